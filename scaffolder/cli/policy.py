"""`scaffolder policy show`: the access policy in force (docs/access-policy.md).

`add_policy_flag(parser)` gives a command the `--policy` option (`args.policy`); every command
that writes takes it, so one run may use another policy than `$SCAFFOLDER_POLICY`'s.
"""

from __future__ import annotations

import argparse
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode

POLICY_HELP = (
    "the access policy: a .toml or .yaml file, an https URL or github:OWNER/REPO/PATH[@REF]; "
    "default: $SCAFFOLDER_POLICY, else the configuration file's `policy` key"
)


def add_policy_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="POLICY", default=None, help=POLICY_HELP)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "policy",
        help="show the access policy in force",
        description="The access policy a platform team sets: who may create what, and where "
        "(docs/access-policy.md). `policy show` prints the policy in force, where it came from "
        "and each rule in plain words.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(handler=lambda args, out: _no_action())
    show = actions.add_parser(
        "show",
        help="the access policy in force, where it came from, and each rule",
        description="Print the access policy in force: from --policy, else $SCAFFOLDER_POLICY, "
        "else the configuration file's `policy` key. With none, every action the token allows "
        "is allowed. A policy that cannot be read is an error (exit 2 for a broken file, 6 for "
        "a remote one that cannot be reached and has no cached copy).",
    )
    add_policy_flag(show)
    show.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    show.set_defaults(handler=handle_show)


def _no_action() -> int:
    from scaffolder.errors import UsageError

    raise UsageError("`scaffolder policy` needs an action: show", hint="scaffolder policy show")


def handle_show(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.cli.options import from_args
    from scaffolder.commands import policy

    shown = policy.show(from_args(policy.ShowOptions, args), out)
    return out.success(shown, lambda r: _show(r, out), ExitCode.OK)


def _show(result: Any, out: Output) -> None:
    from scaffolder.commands.policy import NO_POLICY, origin_text

    if result.policy is None:
        out.text(NO_POLICY)
        return
    out.text(origin_text(result.policy.origin))
    width = max(len(rule.name) for rule in result.rules)
    for rule in result.rules:
        out.text(f"  {rule.name:<{width}}  {rule.says}")
