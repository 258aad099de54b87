"""`scaffolder update DIR`: update a project's template and baseline on a new branch."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "update",
        help="update a project to the newest template and baseline, on a new branch",
        description="Render the newest (or chosen) version of the project's template and "
        "security baseline with its recorded answers, and merge it into a new branch "
        "scaffolder/update-TEMPLATE-VERSION-baseline-VERSION made from HEAD, which is checked "
        "out at the end. The merge is three-way (its base is the previous pristine render, "
        "kept in the project's history), so the project's own changes stay; conflicts are "
        "left as inline markers. Your branch is never changed. Needs a clean work tree.",
        epilog="exit codes: 0 updated or up to date, 2 bad input, 3 updated with conflicts "
        "to resolve,\n5 refused before writing (not a git repository, detached HEAD, "
        "uncommitted changes);\n`scaffolder --help` has the table.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", type=Path, help="the project folder")
    parser.add_argument(
        "--vcs-ref",
        metavar="REF",
        help="a git template's tag, branch or commit (default: its newest release tag)",
    )
    parser.add_argument(
        "--baseline-version",
        metavar="V",
        help="the baseline version to update to (default and only choice: the one this "
        "scaffolder ships)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show the diff the update makes; change nothing"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.cli.options import from_args
    from scaffolder.commands import exit_code_of, update

    result = update.run(from_args(update.UpdateOptions, args), progress=out)
    return out.success(result, lambda r: report(r, out), exit_code_of(result))


def _versions(result: Any) -> str:
    text = f"{result.template} {result.template_from or '?'} → {result.template_to or '?'}"
    if result.baseline_to:
        text += f", baseline {result.baseline_from or '(not recorded)'} → {result.baseline_to}"
    return text


def report(result: Any, out: Output) -> None:
    if result.status == "up-to-date":
        out.text(f"{result.project} is up to date ({_versions(result)}): nothing was written")
        return
    if result.status == "planned":
        out.text(f"dry run: {_versions(result)}; nothing was changed")
        if result.conflicts:
            out.text(f"would conflict in: {', '.join(result.conflicts)}")
        out.text(result.diff.rstrip("\n") or "(no change to the files)")
        return
    out.text(f"updated {result.project}: {_versions(result)}")
    out.text(f"  branch:   {result.branch} (checked out; {result.base_branch} was not changed)")
    out.text(f"  changed:  {', '.join(result.changed) or 'nothing'}")
    if result.conflicts:
        out.text("  conflicts (inline markers):")
        for name in result.conflicts:
            out.text(f"    {name}")
    out.text("next:")
    for step in result.next_steps:
        out.text(f"  {step}")
