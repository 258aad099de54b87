"""`scaffolder update DIR`: update a project's template and baseline on a new branch;
`scaffolder update --catalog FILE --pull-request`: the same for every selected repository on
GitHub, one pull request each (`commands/rollout.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.cli.selection import SELECTION_HELP, add_selection_flags, selection_from_args


def add_parser(subparsers: Any) -> None:
    from scaffolder.cli.policy import add_policy_flag

    parser = subparsers.add_parser(
        "update",
        help="update a project to the newest template and baseline, on a new branch",
        description="Render the newest (or chosen) version of the project's template and "
        "security baseline with its recorded answers, and merge it into a new branch "
        "scaffolder/update-TEMPLATE-VERSION-baseline-VERSION made from HEAD, which is checked "
        "out at the end. The merge is three-way (its base is the previous pristine render, "
        "kept in the project's history), so the project's own changes stay; conflicts are "
        "left as inline markers. Your branch is never changed. Needs a clean work tree.",
        epilog="fleet mode: scaffolder update --catalog FILE --pull-request [selection] clones "
        "each selected\nrepository on GitHub (github.com/project-slug), updates it on its "
        "scaffolder/update-... branch,\npushes it and opens one pull request (reused on the "
        "next run; conflicts are committed with\ntheir markers, the title starts with "
        "[conflict]). The token comes from $GH_TOKEN or $GITHUB_TOKEN.\n\n"
        f"{SELECTION_HELP}\n\n"
        "exit codes: 0 updated or up to date, 2 bad input, 3 updated with conflicts "
        "to resolve\n(fleet: some repositories conflicted or failed, each listed),\n5 refused "
        "before writing (not a git repository, detached HEAD, uncommitted changes),\n6 refused "
        "by the access policy (--policy; fleet: identity and token, before any repository);\n"
        "`scaffolder --help` has the table.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "project", type=Path, nargs="?", help="the project folder (not with --pull-request)"
    )
    parser.add_argument(
        "--pull-request",
        action="store_true",
        help="update every selected catalog component on GitHub with one pull request each",
    )
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
    add_selection_flags(parser)
    add_policy_flag(parser)
    parser.set_defaults(handler=handle)


def _selection_given(args: argparse.Namespace) -> bool:
    from scaffolder.fleet import DEFAULT_CONCURRENCY

    return bool(args.catalog or args.lifecycle or args.owner or args.system or args.shard) or (
        args.concurrency != DEFAULT_CONCURRENCY
    )


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.access.source import load_policy
    from scaffolder.cli.options import from_args
    from scaffolder.commands import exit_code_of, update
    from scaffolder.errors import UsageError

    policy = load_policy(args.policy)  # broken: stops here, before anything is read
    if args.pull_request:
        if args.project is not None:
            raise UsageError(
                f"--pull-request works on the catalog, not on a folder ({args.project})",
                hint="scaffolder update DIR for one project; scaffolder update --catalog FILE "
                "--pull-request for the fleet",
            )
        return _handle_fleet(args, out, policy)
    if args.project is None:
        raise UsageError(
            "give the project folder to update, or --pull-request for the catalog's repositories",
            hint="scaffolder update ./my-service, or scaffolder update --catalog FILE "
            "--pull-request",
        )
    if _selection_given(args):
        raise UsageError(
            "--catalog and the selection flags go with --pull-request",
            hint="add --pull-request to update the catalog's repositories on GitHub",
        )
    result = update.run(from_args(update.UpdateOptions, args, policy=policy), progress=out)
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


# -- the fleet -------------------------------------------------------------------------------
def _handle_fleet(args: argparse.Namespace, out: Output, policy: Any) -> int:
    from scaffolder.commands import exit_code_of, rollout

    options = rollout.FleetUpdateOptions(
        selection=selection_from_args(args),
        vcs_ref=args.vcs_ref,
        baseline_version=args.baseline_version,
        dry_run=args.dry_run,
        policy=policy,
    )
    result = rollout.run(options, progress=out)
    return out.success(result, lambda r: report_fleet(r, out), exit_code_of(result))


def report_fleet(result: Any, out: Output) -> None:
    data = result.to_json()
    rows = data["repositories"]
    width = max((len(r["name"]) for r in rows), default=0)
    for row in rows:
        status = row["status"]
        pull = row.get("pull_request") or {}
        if status in ("failed", "conflict"):
            line = f"{status}: {row['reason']}"
        elif status == "updated":
            action = {
                "opened": "opened",
                "pushed": "branch pushed to",
                "unchanged": "unchanged",
                "updated": f"updated pull request #{pull.get('number')}",
            }
            done = action.get(str(pull.get("action")), "")
            line = f"updated: {done} {pull.get('url', '')}".rstrip()
        elif status == "planned":
            changed = ", ".join(row.get("changed") or []) or "nothing"
            line = f"would update {row.get('branch')}: {changed}"
        else:
            line = "up to date: nothing was written"
        out.text(f"{row['name']:<{width}}  {line}")
    counts = data["counts"]
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n or s != "planned")
    out.text(
        f"{data['selected']} selected of {data['total']} entities in {data['catalog']}: {summary}"
    )
