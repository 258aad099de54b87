"""The selection flags every fleet command shares (`scaffolder/fleet.py`), and the Selection
they make. One place, so `outdated`, `update --pull-request`, `insights` and `audit --live
--catalog` select alike."""

from __future__ import annotations

import argparse

from scaffolder.fleet import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Selection, Shard

_CATALOG_HELP = (
    "catalog file, or github:OWNER/REPO/path/to/all.yaml for a catalog repository on GitHub; "
    "default: $SCAFFOLDER_CATALOG or the user data dir"
)

SELECTION_HELP = (
    "selection: the Components the catalog reaches; --lifecycle, --owner and --system may\n"
    "be repeated (the values of one are alternatives; filters combine); --shard K/N keeps\n"
    "the K-th of N stable, disjoint shares (by a hash of the entity reference), so a CI\n"
    "matrix of N jobs covers the fleet once."
)


def add_selection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("selection")
    group.add_argument("--catalog", metavar="FILE", help=_CATALOG_HELP)
    for flag, what in (
        ("lifecycle", "production, experimental, deprecated, ..."),
        ("owner", "group:payments, user:jdoe or payments"),
        ("system", "a system reference"),
    ):
        group.add_argument(
            f"--{flag}", action="append", default=[], metavar=flag.upper(), help=what
        )
    group.add_argument(
        "--shard", metavar="K/N", help="the K-th of N stable shares of the fleet (K from 1 to N)"
    )
    group.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"repositories worked on at once (1 to {MAX_CONCURRENCY}; "
        f"default {DEFAULT_CONCURRENCY})",
    )


def selection_from_args(args: argparse.Namespace) -> Selection:
    return Selection(
        catalog=args.catalog,
        lifecycle=tuple(args.lifecycle),
        owner=tuple(args.owner),
        system=tuple(args.system),
        shard=Shard.parse(args.shard) if args.shard is not None else None,
        concurrency=args.concurrency,
    )
