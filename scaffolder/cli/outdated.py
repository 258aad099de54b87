"""`scaffolder outdated`: which catalog components are behind their template or baseline."""

from __future__ import annotations

import argparse
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.cli.selection import SELECTION_HELP, add_selection_flags, selection_from_args


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "outdated",
        help="show which catalog components are behind their template or baseline",
        description="For every selected Component of the catalog (local project folders and "
        "repositories on GitHub), the template and baseline versions that made it against "
        "the newest: built-in ones as this scaffolder ships them, git-hosted templates at "
        "their newest release tag. Reads only.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{SELECTION_HELP}\n\n"
        "examples:\n"
        "  scaffolder outdated\n"
        "  scaffolder outdated --lifecycle production --owner payments --json\n"
        "  scaffolder outdated --catalog github:acme/backstage-catalog/all.yaml --shard 2/4\n\n"
        "exit codes: 0 every repository is current, 1 some are behind, 3 some could not be\n"
        "read (each listed with the reason; 3 wins over 1), 2 bad flags or catalog;\n"
        "`scaffolder --help` has the table.",
    )
    add_selection_flags(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of, outdated

    options = outdated.OutdatedOptions(selection=selection_from_args(args))
    result = outdated.run(options, progress=out)
    return out.success(result, lambda r: _render(r, out), exit_code_of(result))


def _layer(layer: dict[str, Any] | None, label: str) -> str:
    if layer is None:
        return ""
    recorded = layer["recorded"] or "unrecorded"
    if layer["behind"]:
        return f"{label} {recorded} -> {layer['newest']}"
    return f"{label} {recorded}"


def _render(result: Any, out: Output) -> None:
    data = result.to_json()
    rows = data["repositories"]
    width = max((len(r["name"]) for r in rows), default=0)
    for row in rows:
        if row["outcome"] == "failed":
            line = f"failed: {row['reason']}"
        else:
            template = row["template"]
            parts = [_layer(template, f"template {template['name']}")]
            parts.append(_layer(row["baseline"], "baseline"))
            state = "behind" if row["outcome"] == "finding" else "current"
            line = f"{state}: " + ", ".join(p for p in parts if p)
        out.text(f"{row['name']:<{width}}  {line}")
    counts = data["counts"]
    out.text(
        f"{data['selected']} selected of {data['total']} entities in {data['catalog']}: "
        f"{counts['current']} current, {counts['behind']} behind, {counts['failed']} failed"
    )
