"""`scaffolder audit PATH`: check a local repository against the security baseline;
`scaffolder audit --live`: check what GitHub has in force against what the repository declares."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.cli.selection import SELECTION_HELP, add_selection_flags, selection_from_args

#: Flags that make `audit --live` a fleet run (besides --catalog).
_SELECTING = ("lifecycle", "owner", "system", "shard")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check a repository against the security baseline (--live: as GitHub has it)",
        description="Check a local repository against the security baseline: each rule is a "
        "named check that passes or fails with a reason. Works on any repository, including "
        "ones created before the baseline changed, or not by scaffolder. With --live, read "
        "back from GitHub what is in force (rulesets or branch protection, Dependabot alerts "
        "and security updates, secret scanning and push protection, private vulnerability "
        "reporting, the Actions token, CodeQL default setup) and compare it with what the "
        "repository declares: of a project folder (its origin names the repository), of "
        "--repo OWNER/REPO (no checkout needed), or of every selected catalog component. "
        "What the plan does not offer is `unavailable`, not failed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{SELECTION_HELP}\n(with --live only)\n\n"
        "examples:\n"
        "  scaffolder audit ./payments-api\n"
        "  scaffolder audit --live ./payments-api\n"
        "  scaffolder audit --live --repo acme/payments-api --json\n"
        "  scaffolder audit --live --catalog catalog.yaml --lifecycle production\n\n"
        "exit codes: 0 every check passed (or, live, is unavailable on the plan), 1 at least\n"
        "one check failed, 2 bad PATH, flags or catalog, or zizmor cannot run, 3 (live, a\n"
        "catalog) some repository could not be read (3 wins over 1), 5 (live, one repository)\n"
        "the token cannot read it; `scaffolder --help` has the table.",
    )
    parser.add_argument(
        "path", nargs="?", type=Path, default=None, help="repository folder (default: .)"
    )
    parser.add_argument(
        "--live", action="store_true", help="read back from GitHub what is in force"
    )
    parser.add_argument(
        "--repo", metavar="OWNER/REPO", help="with --live: a repository on GitHub (no checkout)"
    )
    parser.add_argument(
        "--github-api-url",
        dest="api_url",
        metavar="URL",
        help="with --live: the GitHub API (default: $SCAFFOLDER_GITHUB_API_URL or "
        "https://api.github.com)",
    )
    add_selection_flags(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import audit, exit_code_of

    fleet_run = args.catalog is not None or any(getattr(args, f) for f in _SELECTING)
    options = audit.AuditOptions(
        path=args.path,
        live=args.live,
        repo=args.repo,
        selection=selection_from_args(args) if fleet_run else None,
        api_url=args.api_url,
    )
    result = audit.run(options, progress=out)
    if isinstance(result, audit.LiveAuditResult):
        return out.success(result, lambda r: _render_live(r, out), exit_code_of(result))
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


_MARKS = {"passed": "✓", "failed": "✗", "unavailable": "-"}


def _render_live(result: Any, out: Output) -> None:
    for component in result.components:
        label = component.repository or component.ref or "?"
        ref = f" ({component.ref})" if component.ref and component.repository else ""
        out.text(f"audit --live {label}{ref}")
        if component.status == "failed":
            out.text(f"  ✗ could not be read: {component.reason}")
            continue
        width = max((len(c.name) for c in component.checks), default=0)
        for c in component.checks:
            reason = f"unavailable: {c.reason}" if c.status == "unavailable" else c.reason
            out.text(f"  {_MARKS[c.status]} {c.name:<{width}}  {reason}")
            if c.fix:
                out.text(f"    {'':<{width}}  fix: {c.fix}")
        counts = {s: sum(1 for c in component.checks if c.status == s) for s in _MARKS}
        out.text(
            f"{len(component.checks)} checks: {counts['passed']} passed, {counts['failed']} "
            f"failed, {counts['unavailable']} unavailable"
        )
    if result.mode == "catalog":
        data = result.to_json()
        counts = data["counts"]
        out.text(
            f"{len(result.components)} selected of {result.total} entities in {result.catalog}: "
            f"{counts['ok']} ok, {counts['finding']} with failed checks, {counts['failed']} "
            "could not be read"
        )
