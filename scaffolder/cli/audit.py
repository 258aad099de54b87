"""`scaffolder audit PATH`: check a local repository against the security baseline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check a repository against the security baseline",
        description="Check a local repository against the security baseline: each rule is a "
        "named check that passes or fails with a reason. Works on any repository, including "
        "ones created before the baseline changed, or not by scaffolder.",
        epilog="exit codes: 0 every check passed, 1 at least one check failed, 2 bad PATH or\n"
        "zizmor cannot run;\n"
        "`scaffolder --help` has the table.",
    )
    parser.add_argument(
        "path", nargs="?", type=Path, default=Path(), help="repository folder (default: .)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import audit, exit_code_of

    result = audit.run(audit.AuditOptions(path=args.path), progress=out)
    return out.success(result, lambda r: _render(r.report, out), exit_code_of(result))


def _render(report: Any, out: Output) -> None:
    languages = ", ".join(report.languages) or "no language detected"
    out.text(f"audit {report.path} ({languages})")
    width = max(len(r.name) for r in report.results)
    for r in report.results:
        mark = "✓" if r.passed else "✗"
        out.text(f"  {mark} {r.name:<{width}}  {r.reason}")
    failed = len(report.failed)
    out.text(
        f"{len(report.results)} checks: {len(report.results) - failed} passed, {failed} failed"
    )
