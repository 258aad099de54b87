"""`scaffolder resume DIR`: run the command that stopped on DIR again, skipping what finished."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.new import report
from scaffolder.cli.output import Output


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "resume",
        help="finish a scaffold that stopped partway",
        description="Run the command that stopped on DIR again (new, or publish), with the "
        "options it was given: steps whose work is done are skipped, the others run again "
        "and finish the job. A render that did not complete is rendered again, so a resume "
        "never commits a half-rendered project. A project without a record of its run is "
        "finished from its answers files: the initial commit and the catalog registration.",
    )
    parser.add_argument("project", type=Path, help="the rendered project folder")
    parser.add_argument("--catalog", type=Path, metavar="FILE", help="catalog file")
    parser.add_argument("--no-register", action="store_true", help="do not register in the catalog")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.cli.options import from_args
    from scaffolder.cli.publish import report as publish_report
    from scaffolder.commands import exit_code_of, resume
    from scaffolder.publish.model import PublishResult

    result = resume.run(from_args(resume.ResumeOptions, args), progress=out)
    if isinstance(result, PublishResult):  # the stopped command was a publish
        return out.success(result, lambda r: publish_report(r, out), exit_code_of(result))
    return out.success(result, lambda r: report(r, out), exit_code_of(result))
