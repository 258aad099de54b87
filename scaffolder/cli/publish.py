"""`scaffolder publish DIR`: create the GitHub repository, push, protect, secure, register."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output

MARKS = {
    "done": "✓",
    "unchanged": "=",
    "planned": "→",
    "skipped": "-",
    "unavailable": "!",
    "failed": "✗",
}


def add_github_flags(parser: argparse.ArgumentParser) -> None:
    """The GitHub flags `publish` and `new --publish` share (visibility lands in `private`)."""
    parser.add_argument(
        "--github-owner",
        metavar="OWNER",
        help="GitHub user or organisation (default: the project's github_owner "
        "answer, else the token's account)",
    )
    vis = parser.add_mutually_exclusive_group()
    vis.add_argument(
        "--private",
        dest="private",
        action="store_true",
        default=True,
        help="create a private repository (the default)",
    )
    vis.add_argument(
        "--public", dest="private", action="store_false", help="create a public repository"
    )
    parser.add_argument(
        "--github-api-url",
        metavar="URL",
        help="GitHub API URL (default: $SCAFFOLDER_GITHUB_API_URL or "
        "https://api.github.com; Enterprise Server: https://HOST/api/v3)",
    )


def add_parser(subparsers: Any) -> None:
    from scaffolder.cli.policy import add_policy_flag

    parser = subparsers.add_parser(
        "publish",
        help="publish a project to GitHub with its security switched on",
        description="Create the GitHub repository (private by default), push main, apply the "
        "rulesets in .github/rulesets/ (or classic branch protection where rulesets are not "
        "available), switch on vulnerability alerts, Dependabot security updates, secret "
        "scanning with push protection, private vulnerability reporting and read-only Actions "
        "tokens, read it all back, and point the catalog entry at the repository. Running it "
        "again after a failure finishes the job. The token comes from $GH_TOKEN, "
        "$GITHUB_TOKEN or `gh auth token`, and only ever reaches git through the environment.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  scaffolder publish payments-api --github-owner acme\n"
        "  scaffolder publish payments-api --dry-run --json\n\n"
        "environment:\n"
        "  GH_TOKEN, GITHUB_TOKEN      the token (else `gh auth token`); never written anywhere\n"
        "  SCAFFOLDER_GITHUB_API_URL   default for --github-api-url\n"
        "  SCAFFOLDER_GITHUB_TIMEOUT   seconds per request (15); transient failures get\n"
        "                              up to 4 tries, honouring Retry-After\n\n"
        "--dry-run still reads from GitHub (who the token is, what exists): it needs a token.\n\n"
        "exit codes: 0 ok, 2 bad input, 3 partial success (rerun the command in the hint;\n"
        "also when the plan allows no branch protection), 5 GitHub refused before any write,\n"
        "6 refused by the access policy (--policy) before any write.",
    )
    parser.add_argument("project", type=Path, help="the scaffolded project folder")
    add_github_flags(parser)
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help="catalog file (default: $SCAFFOLDER_CATALOG or the user data dir), "
        "or github:OWNER/REPO/path/to/all.yaml: a pull request there",
    )
    parser.add_argument("--no-register", action="store_true", help="leave the catalog alone")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print every API call and body that would be made; write nothing",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_policy_flag(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.access.source import load_policy
    from scaffolder.catalog.sources import LocalCatalog, parse_catalog
    from scaffolder.commands import exit_code_of, publish

    policy = load_policy(args.policy)
    catalog = None if args.no_register else parse_catalog(args.catalog)
    options = publish.PublishOptions(
        project=args.project,
        owner=args.github_owner,
        private=args.private,
        api_url=args.github_api_url,
        catalog=catalog.path if isinstance(catalog, LocalCatalog) else catalog,
        dry_run=args.dry_run,
        policy=policy,
    )
    result = publish.run(options, progress=out)
    return out.success(result, lambda r: report(r, out), exit_code_of(result))


def report(result: Any, out: Output) -> None:
    """A PublishResult as a step-by-step summary."""
    out.text(render_text(result))


def render_text(result: Any) -> str:
    lines = []
    repo = result.repository
    if result.dry_run:
        lines.append("Dry run: nothing was written. The plan:")
    elif repo is not None:
        lines.append(f"Published {repo.full_name}: {repo.html_url}")
    for step in result.steps:
        lines.append(
            f"  {MARKS.get(step.status, '?')} {step.name:<11} {step.status:<11} {step.detail}"
        )
    if result.dry_run:
        lines.append("calls:")
        for call in result.calls:
            body = "" if call.body is None else " " + _compact(call.body)
            lines.append(f"  {call.method} {call.path}{body}")
    if result.applied:
        lines.append("read back from GitHub:")
        for key, value in result.applied.items():
            lines.append(f"  {key}: {_compact(value)}")
    return "\n".join(lines)


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), default=str)
