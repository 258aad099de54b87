"""`scaffolder new`: render a template, commit it and register it in the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode, Interrupted


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
        "4 untrusted template, 5 GitHub refused, 6 refused by the access policy (--policy),\n"
        "130 interrupted; `scaffolder --help` has the table.",
    )
    parser.add_argument(
        "template",
        nargs="?",
        help="template name (built-in or from the configuration file), template folder or git URL",
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
        help="allow the tasks, migrations and extensions of a template that is neither "
        "built in nor listed in the configuration file",
    )
    parser.add_argument(
        "--vcs-ref",
        metavar="REF",
        help="a git template's tag, branch or commit (default: its newest release tag)",
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
    from scaffolder.cli.policy import add_policy_flag
    from scaffolder.cli.publish import add_github_flags

    parser.add_argument(
        "--publish",
        action="store_true",
        help="then publish to GitHub (see `scaffolder publish --help`)",
    )
    add_github_flags(parser)
    add_policy_flag(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.access.source import load_policy
    from scaffolder.answers import load_data_file, merge_sources, parse_set_options
    from scaffolder.cli.options import from_args
    from scaffolder.commands import exit_code_of, new

    policy = load_policy(args.policy)  # a broken policy stops here: never "allow everything"
    sets = parse_set_options(args.sets)
    data = load_data_file(args.data_file) if args.data_file else {}
    options = from_args(
        new.NewOptions,
        args,
        given=merge_sources(data, sets),
        catalog=_catalog(args),
        policy=policy,
    )
    wizard = None
    if _interactive(args):
        from scaffolder.wizard import Cancelled

        try:
            options, wizard = _ask(options, args, out)
        except Cancelled:
            return ExitCode.INTERRUPTED  # the review said "Cancelled: nothing was written."
        except KeyboardInterrupt:
            raise Interrupted(undone=True) from None  # Esc or Ctrl-C: the wizard writes nothing
    elif args.save_answers is not None:
        out.warn(
            f"nothing saved to {args.save_answers}: --save-answers saves what the wizard asked, "
            "and no wizard ran (no terminal, --no-input or --json)"
        )
    result = new.run(options, progress=out)
    return out.success(result, lambda r: report(r, out, wizard), exit_code_of(result))


def _catalog(args: argparse.Namespace) -> Any:
    """The local catalog file (a Path), a catalog on GitHub, or None with --no-register."""
    from scaffolder.catalog.sources import LocalCatalog, parse_catalog

    if args.no_register:
        return None
    catalog = parse_catalog(args.catalog)
    return catalog.path if isinstance(catalog, LocalCatalog) else catalog


def _interactive(args: argparse.Namespace) -> bool:
    """The wizard starts only with a terminal on stdin and stdout, without --no-input and
    --json (whose stdout is one JSON object, not a dialogue)."""
    if args.no_input or args.json:
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(options: Any, args: argparse.Namespace, out: Output) -> tuple[Any, Any]:
    """Run the wizard in front of `new`; on return the review was confirmed."""
    from dataclasses import replace
    from pathlib import Path

    from scaffolder.wizard import WizardOptions, run_wizard
    from scaffolder.wizard.publishing import Discovery

    given = dict(options.given)
    if args.github_owner and "github_owner" not in given:
        given["github_owner"] = args.github_owner  # `--github-owner` answers the question
    wizard_options = WizardOptions(
        template=options.template,
        output=options.output,
        given=given,
        catalog=options.catalog if isinstance(options.catalog, Path) else None,
        dry_run=options.dry_run,
        trust=options.trust,
        vcs_ref=options.vcs_ref,
        defaults_only=bool(args.defaults),
        save_answers=args.save_answers,
        github_api_url=options.github_api_url,
        # `--policy`; None: $SCAFFOLDER_POLICY or the configuration's `policy`.
        policy=args.policy,
        # `--publish` (with `--private`/`--public`) settles what the wizard would ask.
        publish_now=True if options.publish else None,
        private=options.private,
    )

    def echo(line: str) -> None:
        out.text(line)
        out.stdout.flush()

    # `--defaults` asks only what has no default: publishing stays with the flags.
    skip = Discovery(None, "not published (--defaults: pass --publish)")
    result = run_wizard(wizard_options, echo=echo, discovery=skip if args.defaults else None)
    # The catalog is the command line's (a catalog on GitHub included): the wizard shows it.
    # ... and so is the access policy: the review's choices are checked like any others.
    chosen = replace(result.options, catalog=options.catalog, policy=options.policy)
    if options.publish and not chosen.publish:
        chosen = replace(
            chosen, publish=True, github_owner=options.github_owner, private=options.private
        )
    return chosen, result


def report(result: Any, out: Output, wizard: Any = None) -> None:
    """A NewResult as a short human summary, then the next commands."""
    if result.dry_run:
        out.text(
            f"Dry run: {result.template.name} would be rendered into {result.project}; "
            "nothing was written."
        )
        if wizard is not None and wizard.saved_answers is not None:
            out.text(f"  # dry run: the answers were not saved to {wizard.saved_answers}")
        return
    out.text(f"Created {result.entity_ref} in {result.project}")
    if result.commit:
        out.text(f"  commit:   {result.commit[:12]} on main")
    if result.registered:
        out.text(f"  catalog:  {result.catalog}")
    published = result.repository.repository if result.repository else None
    if published is not None:
        out.text(f"  github:   {published.html_url}")
    out.text("next:")
    out.text(f"  cd {result.project}")
    out.text(f"  scaffolder audit {result.project}")
    if published is None:
        answered = result.answers is not None and result.answers.all.get("github_owner")
        owner = "" if answered else " --github-owner OWNER"
        out.text(f"  scaffolder publish {result.project}{owner}")
    if wizard is not None and wizard.saved_answers is not None:
        # These follow the "next:" commands, so they read as two more of them.
        out.text(f"  # answers saved to {wizard.saved_answers} (no secrets); replay them in CI:")
        out.text(f"  {wizard.replay}")
