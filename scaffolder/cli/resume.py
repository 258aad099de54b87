"""`scaffolder resume`: finish a scaffold that stopped after rendering (commit, register)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.new import report
from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "resume",
        help="finish a scaffold that stopped partway",
        description="Run the steps a scaffold did not finish: the initial commit and the "
        "catalog registration. Steps already done are left as they are.",
    )
    parser.add_argument("project", type=Path, help="the rendered project folder")
    parser.add_argument("--catalog", type=Path, metavar="FILE", help="catalog file")
    parser.add_argument("--no-register", action="store_true", help="do not register in the catalog")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.config import default_catalog_path
    from scaffolder.create import finish, load_project

    catalog = None if args.no_register else (args.catalog or default_catalog_path())
    result = finish(load_project(args.project, catalog), progress=out)
    report(result, out)
    return ExitCode.OK
