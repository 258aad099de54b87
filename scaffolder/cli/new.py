"""`scaffolder new`: render a template, commit it and register it in the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode, UsageError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "new",
        help="create a project from a template",
        description="Create a project from a template: render it with copier, apply the "
        "security baseline, make the first commit and register it in the catalog. "
        "In a terminal, a wizard asks for whatever is missing (the template, the folder, "
        "every answer not given with --set or --data-file), shows a review, and only then "
        "writes; --defaults asks only what has no default. Esc or Ctrl-C cancels (exit 130). "
        "Without a terminal (or with --no-input or --json) nothing is asked: answers come from "
        "the template's defaults, then --data-file, then --set.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  scaffolder new python-service --output payments-api --set owner=group:payments\n"
        "  scaffolder new go-service --output ledger --data-file answers.yml --json\n\n"
        "exit codes: 0 ok, 2 bad input, 3 partial success (see the hint to resume),\n"
        "4 untrusted template, 130 interrupted. `scaffolder --help` lists them all.",
    )
    parser.add_argument(
        "template", nargs="?", help="built-in template name, template folder or git URL"
    )
    parser.add_argument(
        "--output", "-o", type=Path, help="destination folder (must be new or empty)"
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a question (repeatable); wins over --data-file",
    )
    parser.add_argument("--data-file", type=Path, metavar="FILE", help="answers as YAML or JSON")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="accept every default; in a terminal, ask only what has none",
    )
    parser.add_argument(
        "--no-input", action="store_true", help="never prompt (implied without a terminal)"
    )
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help="catalog file (default: $SCAFFOLDER_CATALOG or the user data dir), or "
        "github:OWNER/REPO/path/to/all.yaml with --publish (registers by pull request)",
    )
    parser.add_argument("--no-register", action="store_true", help="do not register in the catalog")
    parser.add_argument(
        "--trust",
        action="store_true",
        help="allow a non-built-in template's tasks, migrations and extensions",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="validate everything and write nothing"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--save-answers",
        type=Path,
        metavar="FILE",
        help="save the wizard's answers (never secrets) for a replay with --data-file",
    )
    from scaffolder.cli.publish import add_github_flags

    parser.add_argument(
        "--publish",
        action="store_true",
        help="then publish to GitHub (see `scaffolder publish --help`)",
    )
    add_github_flags(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.answers import load_data_file, merge_sources, parse_set_options
    from scaffolder.create import NewRequest, create
    from scaffolder.wizard import command as wizard_cli

    sets = parse_set_options(args.sets)
    data = load_data_file(args.data_file) if args.data_file else {}
    catalog, remote_catalog = _catalogs(args)
    given = merge_sources(data, sets)
    wizard = None
    if wizard_cli.interactive(args):
        # With a terminal, the wizard asks what is missing (everything, without --defaults)
        # and fills args.template/output and the publish flags; the pipeline below is shared.
        wizard = wizard_cli.ask(args, out, given=given, catalog=catalog)
        given = dict(wizard.request.given)
    if args.template is None or args.output is None:
        missing = [
            flag
            for flag, value in (("TEMPLATE", args.template), ("--output", args.output))
            if value is None
        ]
        raise UsageError(
            f"missing {' and '.join(missing)}",
            hint="run `scaffolder templates` to see the templates, then "
            "`scaffolder new TEMPLATE --output DIR`",
        )
    publisher = None
    if getattr(args, "publish", False):
        from scaffolder.publish.after_new import prepare

        # The token is checked before anything is written; the owner becomes `github_owner`.
        publisher = prepare(
            owner=args.github_owner,
            private=args.private,
            api_url=args.github_api_url,
            catalog=remote_catalog or catalog,
            given=given,
        )
    request = NewRequest(
        template=args.template,
        output=args.output,
        given=given,
        catalog=catalog,
        dry_run=args.dry_run,
        trust=args.trust,
        github_owner=publisher.owner if publisher else None,
    )
    with wizard_cli.running(wizard):
        result = create(request, progress=out)
    if publisher is not None:
        result = publisher.run(result, progress=out)
    report(result, out)
    wizard_cli.after(wizard, out, save_answers=args.save_answers)
    return ExitCode.OK


def _catalogs(args: argparse.Namespace) -> tuple[Path | None, Any]:
    """(local catalog file, catalog on GitHub): at most one is set; none with --no-register.

    A catalog on GitHub lists published repositories, so it needs --publish: the project is
    registered there by pull request once its repository exists, not as a local file.
    """
    from scaffolder.catalog.sources import RemoteCatalog, parse_catalog

    if args.no_register:
        return None, None
    catalog = parse_catalog(args.catalog)
    if isinstance(catalog, RemoteCatalog):
        if not getattr(args, "publish", False):
            raise UsageError(
                f"{catalog} is a catalog on GitHub: it can only list published repositories",
                hint="add --publish, or register locally (leave out --catalog)",
            )
        return None, catalog
    return catalog.path, None


def report(result: Any, out: Output) -> None:
    """Print a ScaffoldResult as JSON or as a short human summary."""
    if out.result(result):
        return
    if result.dry_run:
        out.text(
            f"Dry run: {result.template.name} would be rendered into {result.project}; "
            "nothing was written."
        )
        return
    out.text(f"Created {result.answers.entity_ref} in {result.project}")
    if result.commit:
        out.text(f"  commit:   {result.commit[:12]} on main")
    if result.registered:
        out.text(f"  catalog:  {result.catalog}")
    if result.repository and result.repository.get("repository"):
        out.text(f"  github:   {result.repository['repository']['html_url']}")
    out.text("next:")
    out.text(f"  cd {result.project}")
    out.text(f"  scaffolder audit {result.project}")
    if not result.repository:
        out.text(f"  scaffolder publish {result.project} --github-owner OWNER")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()
