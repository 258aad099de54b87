"""`scaffolder insights`: open security alerts of the catalog's components, from GitHub."""

from __future__ import annotations

import argparse
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.cli.selection import SELECTION_HELP, add_selection_flags, selection_from_args

_SEVERITIES = ("critical", "high", "medium", "low")
_COLUMNS = (("code_scanning", "CODE SCANNING"), ("dependabot", "DEPENDABOT"))
_STATES = {"off": "off", "unavailable": "n/a", "unreadable": "no access"}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "insights",
        help="show the open security alerts of catalog components (code scanning, "
        "Dependabot, secret scanning)",
        description="For every selected Component whose repository is on GitHub: its open "
        "code scanning and Dependabot alerts by severity and its open secret scanning alerts "
        "(a leaked secret counts as critical), then totals per lifecycle, production first. "
        "A feature that is off shows 'off', one the plan lacks 'n/a', one the token cannot "
        "read 'no access', never 0. Reads the organisation-wide lists where the token may "
        "(an owner or security manager), per repository where not; pages are revalidated "
        "with ETags, so a second run costs almost no rate limit. Reads only.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{SELECTION_HELP}\n\n"
        "severities: c critical, h high, m medium, l low (code scanning: the rule's security\n"
        "severity, else error high, warning medium, note low; Dependabot: the advisory's).\n\n"
        "examples:\n"
        "  scaffolder insights\n"
        "  scaffolder insights --lifecycle production --severity high\n"
        "  scaffolder insights --fail-on high --json   # a CI gate\n\n"
        "exit codes: 0; 1 with --fail-on when an open alert is at or above it; 3 when some\n"
        "repository could not be read (listed with the reason; 3 wins over 1); 2 bad flags\n"
        "or catalog; `scaffolder --help` has the table.",
    )
    add_selection_flags(parser)
    parser.add_argument(
        "--severity",
        metavar="MIN",
        default="low",
        choices=_SEVERITIES,
        help="the least severity shown and counted as a finding (default low)",
    )
    parser.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=_SEVERITIES,
        help="exit 1 when any selected component has an open alert at or above SEVERITY",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of, insights

    options = insights.InsightsOptions(
        selection=selection_from_args(args), severity=args.severity, fail_on=args.fail_on
    )
    result = insights.run(options, progress=out)
    return out.success(result, lambda r: _render(r, out), exit_code_of(result))


def _levels(severity: str) -> tuple[str, ...]:
    return _SEVERITIES[: _SEVERITIES.index(severity) + 1]


def cell(feature: dict[str, Any], levels: tuple[str, ...], *, secrets: bool = False) -> str:
    """One feature of one component: its open alerts, or what it is instead of on."""
    if feature["state"] != "on" or feature["open"] is None:
        return _STATES.get(str(feature["state"]), str(feature["state"]))
    counts = feature["open"]
    if secrets:
        return str(counts["critical"])
    return " ".join(f"{counts[level]}{level[0]}" for level in levels)


def _render(result: Any, out: Output) -> None:
    data = result.to_json()
    levels = _levels(data["severity"])
    rows = data["components"]
    table = [("COMPONENT", "REPOSITORY", "LIFECYCLE", "CODE SCANNING", "DEPENDABOT", "SECRETS")]
    for row in rows:
        table.append(
            (
                row["ref"],
                row["repository"] or "-",
                row["lifecycle"] or "-",
                *(cell(row[name], levels) for name, _ in _COLUMNS),
                cell(row["secret_scanning"], levels, secrets=True),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        out.text("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    for row in rows:
        if row["status"] == "failed":
            out.text(f"failed: {row['ref']}: {row['reason']}")
    out.text("")
    out.text(f"open alerts by lifecycle (at or above {data['severity']}):")
    for total in data["totals"]:
        counts = total["open"]
        shown = ", ".join(f"{counts[level]} {level}" for level in levels)
        failed = f", {total['failed']} not read" if total["failed"] else ""
        number = total["components"]
        components = f"{number} component{'s' if number != 1 else ''}"
        out.text(f"  {total['lifecycle']}: {components}{failed}: {shown}")
    requests = data["requests"]
    counts = data["counts"]
    out.text(
        f"{data['selected']} selected of {data['total']} entities in {data['catalog']}: "
        f"{counts['ok']} clean, {counts['finding']} with alerts, {counts['failed']} failed; "
        f"{requests['requests']} requests ({requests['not_modified']} not modified), "
        f"{requests['probes']} probes ({requests['probes_cached']} cached), rate-limit cost "
        f"{requests['rate_limit_cost']}"
    )
