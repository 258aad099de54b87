"""`scaffolder report --html FILE`: the catalog as one self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.cli.selection import SELECTION_HELP, add_selection_flags, selection_from_args


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the catalog as one static HTML page (filters, sorting, summary)",
        description="One self-contained HTML page of the selected catalog Components: name, "
        "owner, system, lifecycle, template and baseline version, audit result, open alerts "
        "by severity, links to the repository and its security tab; filters by lifecycle, "
        "owner and system and sorting in the page itself (no server, no request leaves it). "
        "Reads the catalog and local project folders; writes FILE only.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{SELECTION_HELP}\n\n"
        "examples:\n"
        "  scaffolder report --html report.html\n"
        "  scaffolder report --html site/index.html --catalog github:acme/catalog/all.yaml\n\n"
        "  scaffolder report --html report.html --live --lifecycle production\n\n"
        "exit codes: 0 the page was written, 2 bad flags, catalog or FILE (a directory or a\n"
        "symbolic link is refused), 3 with --live: written, but some repository could not be\n"
        "read (the page says which), 5 with --live: no token; `scaffolder --help` has the table.",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        required=True,
        type=Path,
        help="the page to write (replaced atomically; its folder must exist)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="also read open alerts (as `scaffolder insights`) and the live audit (as "
        "`scaffolder audit --live`) from GitHub for the selected Components; needs a token",
    )
    add_selection_flags(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of, report

    options = report.ReportOptions(
        html=args.html, selection=selection_from_args(args), live=args.live
    )
    result = report.run(options, progress=out)
    return out.success(result, lambda r: _render(r, out), exit_code_of(result))


def _render(result: Any, out: Output) -> None:
    data = result.to_json()
    out.text(
        f"wrote {data['path']}: {data['components']} components of {data['total']} entities "
        f"in {data['catalog']}"
    )
