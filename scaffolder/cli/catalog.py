"""`scaffolder catalog register|unregister|list|validate`: manage the Backstage catalog file."""

from __future__ import annotations

import argparse
import functools
import gc
import operator
from collections.abc import Callable
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode

_CATALOG_HELP = (
    "catalog file, or github:OWNER/REPO/path/to/all.yaml for a catalog repository on GitHub "
    "(changes become pull requests); default: $SCAFFOLDER_CATALOG or the user data dir"
)


def _no_collection(
    handler: Callable[[argparse.Namespace, Output], int],
) -> Callable[[argparse.Namespace, Output], int]:
    """Run a catalog command without the garbage collector.

    At 100,000 entities a command makes some million tuples, none in a reference cycle, and
    each collection on the way walks every object made so far: about a tenth of a warm
    `list`. What a command makes is freed by reference counting as before; the collector
    resumes, as it was, when the command returns.
    """

    @functools.wraps(handler)
    def run(args: argparse.Namespace, out: Output) -> int:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return handler(args, out)
        finally:
            if collecting:
                gc.enable()

    return run


def _common(parser: argparse.ArgumentParser, *, catalog: bool = True) -> None:
    if catalog:
        parser.add_argument("--catalog", metavar="FILE", help=_CATALOG_HELP)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="read every entity file, without the entity cache (also: SCAFFOLDER_NO_CACHE=1)",
    )


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "catalog",
        help="register, list and validate catalog entities",
        description="Manage the Backstage catalog file: a list of Location entities whose "
        "targets are the components' catalog-info.yaml files. Backstage reads it through "
        "catalog.locations.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  scaffolder catalog register ./payments-api\n"
        "  scaffolder catalog register https://github.com/acme/payments-api/blob/main/"
        "catalog-info.yaml \\\n      --catalog github:acme/backstage-catalog/catalog/all.yaml\n"
        "  scaffolder catalog list --lifecycle production\n"
        "  scaffolder catalog validate\n\n"
        "exit codes: 0 ok, 1 `validate` found problems, 2 bad input (a missing or invalid\n"
        "target, a broken catalog file: nothing is written), 5 GitHub refused.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(handler=handle_no_action)

    register = actions.add_parser(
        "register",
        help="add a component's catalog-info.yaml (a path or URL)",
        description="Add a catalog-info.yaml to the catalog: a local file or project folder "
        "(a `file` target) or the URL of a published one (a `url` target). The target must "
        "exist and hold valid entities. Registering twice changes nothing.",
    )
    register.add_argument("target", metavar="PATH|URL")
    _common(register)
    register.set_defaults(handler=handle_register)

    unregister = actions.add_parser(
        "unregister",
        help="remove a target, by entity reference, path or URL",
        description="Remove a target from the catalog. Name it by the path or URL it was "
        "registered with, or by the reference of an entity it holds (component:payments-api, "
        "or just payments-api).",
    )
    unregister.add_argument("target", metavar="ENTITY_REF|TARGET")
    _common(unregister)
    _no_cache(unregister)
    unregister.set_defaults(handler=handle_unregister)

    listing = actions.add_parser(
        "list",
        help="show the registered entities, filtered",
        description="Read every registered entity and show name, kind, type, lifecycle, "
        "owner, system and repository. Filters combine; repeat one to accept several values. "
        "Targets that cannot be read are listed with the reason.",
    )
    for flag, what in (
        ("lifecycle", "production, experimental, deprecated, ..."),
        ("owner", "group:payments, user:jdoe or payments"),
        ("type", "service, website, library, ..."),
        ("system", "a system reference"),
        ("kind", "Component, API, Resource, ..."),
    ):
        listing.add_argument(
            f"--{flag}", action="append", default=[], metavar=flag.upper(), help=what
        )
    _common(listing)
    _no_cache(listing)
    listing.set_defaults(handler=handle_list)

    validate = actions.add_parser(
        "validate",
        help="check the catalog and every entity it reaches",
        description="Check the catalog file and every entity it reaches against Backstage's "
        "rules: the envelope, name/namespace/kind/key formats, each kind's required spec "
        "fields, and that owner/system references resolve when those entities are in the "
        "catalog. Exit 1 when there is any problem.",
    )
    validate.add_argument("file", nargs="?", metavar="FILE", help="catalog file (or --catalog)")
    _common(validate)
    _no_cache(validate)
    validate.set_defaults(handler=handle_validate)


def handle_no_action(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.errors import UsageError

    raise UsageError(
        "`scaffolder catalog` needs an action: register, unregister, list or validate",
        hint="see `scaffolder catalog --help`",
    )


def _render_change(change: Any, out: Output) -> None:
    verb = "Registered" if change.action == "register" else "Unregistered"
    if change.pull_request:
        out.text(f"Proposed: {change.action} {change.target} in {change.catalog}")
        out.text(f"  pull request: {change.pull_request}")
    elif change.changed:
        out.text(f"{verb} {change.target} ({change.type}) in {change.catalog}")
    else:
        state = "already registered" if change.action == "register" else "not registered"
        out.text(f"{change.target} is {state} in {change.catalog}; nothing changed")
    if change.entities:
        out.text(f"  entities: {', '.join(change.entities)}")


@_no_collection
def handle_register(args: argparse.Namespace, out: Output) -> int:
    return _change("register", args, out)


@_no_collection
def handle_unregister(args: argparse.Namespace, out: Output) -> int:
    return _change("unregister", args, out)


def _change(action: str, args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import catalog

    options = catalog.ChangeOptions(
        action=action,
        target=args.target,
        catalog=args.catalog,
        use_cache=getattr(args, "use_cache", True),
    )
    change = catalog.change(options, progress=out)
    for note in change.notes:
        out.note(note)
    return out.success(change, lambda c: _render_change(c, out), ExitCode.OK)


@_no_collection
def handle_list(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.catalog.listing import Filters
    from scaffolder.commands import catalog

    filters = Filters(
        kind=tuple(args.kind),
        type=tuple(args.type),
        lifecycle=tuple(args.lifecycle),
        owner=tuple(args.owner),
        system=tuple(args.system),
    )
    options = catalog.ListOptions(catalog=args.catalog, filters=filters, use_cache=args.use_cache)
    listing = catalog.listing(options, out)
    return out.success(listing, lambda r: _render_list(r, out), ExitCode.OK)


def _render_list(listing: Any, out: Output) -> None:
    from scaffolder.catalog.listing import COLUMNS

    filters = listing.filters
    if listing.rows:
        # Column by column (`map` does the looping): at 100,000 rows a Python step per cell
        # is most of the table's cost.
        columns = [
            list(map(_short, map(operator.attrgetter(c), listing.rows)))
            if c == "repository"
            else [value or "-" for value in map(operator.attrgetter(c), listing.rows)]
            for c in COLUMNS
        ]
        widths = [max(len(c), *map(len, col)) for c, col in zip(COLUMNS, columns, strict=True)]
        header = (c.upper().ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
        padded = [
            list(map(str.ljust, col, [w] * len(col)))
            for col, w in zip(columns, widths, strict=True)
        ]
        # One write of the whole table: 100,000 rows are as many lines.
        lines = ["  ".join(header).rstrip()]
        lines += map(str.rstrip, map("  ".join, zip(*padded, strict=True)))
        out.text("\n".join(lines))
    shown = f"{len(listing.rows)} of {listing.total}" if filters.to_json() else str(listing.total)
    noun = "entity" if listing.total == 1 and not filters.to_json() else "entities"
    out.text(f"{shown} {noun} in {listing.catalog}")
    if listing.unreadable:
        out.text(f"{len(listing.unreadable)} target(s) could not be read:")
        for u in listing.unreadable:
            out.text(f"  {u.target}: {u.reason}")


def _short(url: str) -> str:
    if not url:
        return "-"
    for prefix in ("https://github.com/", "https://", "http://"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
            break
    for suffix in ("/tree/main/", "/tree/main", "/"):
        url = url.removesuffix(suffix)
    return url


@_no_collection
def handle_validate(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import catalog, exit_code_of
    from scaffolder.errors import UsageError

    if args.file and args.catalog:
        raise UsageError("give the catalog as FILE or as --catalog, not both")
    options = catalog.ValidateOptions(catalog=args.file or args.catalog, use_cache=args.use_cache)
    result = catalog.validate(options, out)
    return out.success(
        result, lambda r: _render_validation(r.validation, out), exit_code_of(result)
    )


def _render_validation(validation: Any, out: Output) -> None:
    for problem in validation.problems:
        out.text(str(problem))
    for note in validation.notes:
        out.note(f"note: {note}")
    counts = f"{validation.entities} entit{'y' if validation.entities == 1 else 'ies'}"
    if validation.targets:
        counts += f", {validation.targets} target{'' if validation.targets == 1 else 's'}"
    if validation.ok:
        out.text(f"{validation.catalog}: valid ({counts})")
    else:
        n = len(validation.problems)
        out.text(f"{validation.catalog}: {n} problem{'s' if n > 1 else ''} ({counts})")
