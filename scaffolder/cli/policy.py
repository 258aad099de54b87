"""`scaffolder policy show`: the access policy in force; `scaffolder policy check`: what the
current user may do under it (docs/access-policy.md).

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
        help="show the access policy in force, or check what you may do under it",
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
    check = actions.add_parser(
        "check",
        help="what you may do under the access policy, rule by rule",
        description="Check the current user (the token in $GH_TOKEN, $GITHUB_TOKEN or `gh auth "
        "token`) against the access policy in force: the identity rules (verified email "
        "domain, organisation membership, app tokens) and the token's scopes, then what the "
        "policy lets you pick (owners you can create under, visibilities, templates).",
        epilog="exit codes: 0 you pass the identity and token rules (or there is no policy), "
        "2 a broken policy, 5 GitHub could not be asked, 6 refused by the policy (or a remote "
        "policy that cannot be read).",
    )
    add_policy_flag(check)
    check.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    check.set_defaults(handler=handle_check)


def _no_action() -> int:
    from scaffolder.errors import UsageError

    raise UsageError(
        "`scaffolder policy` needs an action: show or check", hint="scaffolder policy show"
    )


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


def handle_check(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.cli.options import from_args
    from scaffolder.commands import exit_code_of, policy

    checked = policy.check(from_args(policy.CheckOptions, args), out)
    return out.success(checked, lambda r: _check(r, out), exit_code_of(checked))


def _check(result: Any, out: Output) -> None:
    from scaffolder.commands.policy import NO_POLICY, origin_text

    if result.policy is None:
        out.text(NO_POLICY)
        return
    out.text(origin_text(result.policy.origin))
    width = max(len(rule.rule) for rule in result.rules)
    for rule in result.rules:
        value = f" [{rule.value}]" if rule.value else ""
        out.text(f"  {rule.rule:<{width}}  {rule.status}: {rule.reason}{value}")
        if rule.fix and rule.status in ("refused", "warning"):
            out.text(f"  {'':<{width}}  to do: {rule.fix}")
    choices = result.choices
    if choices is not None:
        owners = "any" if choices.owners is None else ", ".join(choices.owners) or "none"
        out.text(f"you may create repositories under: {owners}")
        out.text(f"with the visibility: {', '.join(choices.visibilities)}")
        for note in choices.unverified_notes():
            out.text(f"  note: {note}")
    for rule in result.described:
        if not rule.name.startswith("where."):
            out.text(f"  {rule.name}: {rule.says}")
    if result.refused:
        first = result.refused[0]
        out.text(f"refused ({first.rule}): you may not create or publish under this policy")
    else:
        out.text("you pass the identity and token rules")
