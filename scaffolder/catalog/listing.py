"""`catalog list`: one row per registered entity, filtered; unreadable targets with the reason.

Filters combine: an entity is shown when it matches every filter given. Values of one filter
are alternatives (`--lifecycle production --lifecycle experimental`). Kind, type and
lifecycle compare case-insensitively; owner and system compare as entity references, so
`--owner payments`, `--owner group:payments` and `--owner group:default/payments` are the same
filter, as they are the same owner in Backstage.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from scaffolder.backstage.rules import EntityRef, parse_entity_ref
from scaffolder.catalog.facts import Facts, Keep, refs_of
from scaffolder.catalog.sources import Catalog, Reader
from scaffolder.catalog.walk import Found, Walk, load
from scaffolder.errors import UsageError

#: The columns of the table, in order; also the keys of each JSON row.
COLUMNS = ("name", "kind", "type", "lifecycle", "owner", "system", "repository")


@dataclass(frozen=True)
class Filters:
    kind: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    lifecycle: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    system: tuple[str, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.__dict__.items() if v}


class EntityRow(NamedTuple):
    """One entity as `catalog list` shows it (a named tuple: 100,000 are made in a walk, and a
    frozen dataclass's `__init__` costs several times a tuple's)."""

    ref: str
    name: str
    namespace: str
    kind: str
    type: str
    description: str
    lifecycle: str
    owner: str
    system: str
    repository: str
    #: The path or URL the entity was read from, and the catalog target that reached it.
    source: str
    target: str

    def to_json(self) -> dict[str, str]:
        return self._asdict()


@dataclass(frozen=True)
class UnreadableRow:
    target: str
    type: str
    reason: str
    #: `file:line` of the target in the catalog (or in the Location that lists it).
    listed_at: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Listing:
    catalog: str
    filters: Filters
    rows: tuple[EntityRow, ...]
    unreadable: tuple[UnreadableRow, ...]
    #: How many entities the catalog holds before filtering.
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "filters": self.filters.to_json(),
            "total": self.total,
            "count": len(self.rows),
            "entities": [r.to_json() for r in self.rows],
            "unreadable": [u.to_json() for u in self.unreadable],
        }


def _repository(facts: Facts, found: Found) -> str:
    source, slug = facts.row[8], facts.row[9]
    if source:
        return source.removeprefix("url:")
    if slug:
        return f"https://github.com/{slug}"
    if found.origin.startswith(("https://", "http://")):
        from scaffolder.github.contents import repository_of_url

        return repository_of_url(found.origin)
    return ""


def rows_of(found: Sequence[Found]) -> list[EntityRow]:
    """The rows of these entities, in order: this runs for every entity shown."""
    new_row = functools.partial(tuple.__new__, EntityRow)  # not a Python call per row
    return [
        new_row(
            (
                ref,
                row[0],
                row[1] or "default",
                *row[2:8],
                _repository(f.facts, f),
                f.origin,
                f.target.target,
            )
        )
        for f, ref in zip(found, refs_of([f.facts for f in found]), strict=True)
        for row in (f.facts.row,)
    ]


def _refs(values: Sequence[str], default_kind: str, flag: str) -> set[EntityRef]:
    refs = set()
    for value in values:
        try:
            refs.add(parse_entity_ref(value, default_kind=default_kind))
        except ValueError as exc:
            raise UsageError(f"{flag} {value!r}: {exc}") from exc
    return refs


def _ref_or_none(value: str, default_kind: str) -> EntityRef | None:
    try:
        return parse_entity_ref(value, default_kind=default_kind)
    except ValueError:
        return None


class _Matcher:
    """Whether an entity matches every filter given."""

    def __init__(self, filters: Filters) -> None:
        owners = _refs(filters.owner, "group", "--owner")
        systems = _refs(filters.system, "system", "--system")
        #: For each filter given: the index of its field in `Facts.row`, and what the filter
        #: says of that field's value.
        self.checks = [
            (index, match)
            for index, match in (
                (2, _among(filters.kind)),
                (3, _among(filters.type)),
                (5, _among(filters.lifecycle)),
                (6, _referring(owners, "group")),
                (7, _referring(systems, "system")),
            )
            if match is not None
        ]

    def __call__(self, facts: Facts) -> bool:
        row = facts.row
        return all(match(row[index]) for index, match in self.checks)


def _among(values: Sequence[str]) -> Callable[[str], bool] | None:
    """What a filter of case-insensitive values says of one value; None: no filter."""
    lowered = {v.lower() for v in values}
    return (lambda value: value.lower() in lowered) if lowered else None


def _referring(refs: set[EntityRef], default_kind: str) -> Callable[[str], bool] | None:
    """What a filter of entity references says of one reference; None: no filter."""
    return (lambda value: _ref_or_none(value, default_kind) in refs) if refs else None


class _Shown(Keep):
    """What the listing shows: matching entities, and documents that are not entities (the
    listing reports them as unreadable)."""

    def __init__(self, matches: _Matcher) -> None:
        self.matches = matches

    def __call__(self, facts: Facts) -> bool:
        return not facts.is_mapping or (facts.kind != "location" and self.matches(facts))

    def mask(
        self, mapping: Sequence[bool], kinds: Sequence[str], row: Sequence[Sequence[str]]
    ) -> list[bool]:
        # Each filter decided once per distinct value of its field (a catalog has a few kinds,
        # types, lifecycles, owners and systems), then looked up for every document, and the
        # filters' masks combined: `map` does the looping.
        entity = {kind: kind != "location" for kind in set(kinds)}
        shown = list(map(entity.__getitem__, kinds))
        for index, match in self.matches.checks:
            column = row[index]
            decided = {value: match(value) for value in set(column)}
            shown = list(map(operator.and_, shown, map(decided.__getitem__, column)))
        # Documents that are not mappings are shown (as unreadable), whatever the filters.
        return list(map(operator.or_, shown, map(operator.not_, mapping)))


def list_walk(walk: Walk, filters: Filters, *, filtered: bool = False) -> Listing:
    """The listing of a walk; `filtered`: the walk kept only what `filters` match (and the
    documents that are not entities), so they are not matched again."""
    # Rows are made for the entities shown only: at 100,000 entities, most are filtered out.
    if filtered:
        rows = rows_of([f for f in walk.found if f.is_entity])
    else:
        matches = _Matcher(filters)
        rows = rows_of([f for f in walk.entities if matches(f.facts)])
    unreadable = [
        UnreadableRow(u.target.target, u.target.type, u.reason, u.target.where)
        for u in walk.unreadable
    ]
    for found in walk.found:
        if not found.facts.is_mapping:
            unreadable.append(
                UnreadableRow(
                    found.target.target,
                    found.target.type,
                    f"{found.origin}:{found.line}: not an entity (a YAML mapping)",
                    found.target.where,
                )
            )
    return Listing(
        catalog=walk.catalog,
        filters=filters,
        rows=tuple(rows),
        unreadable=tuple(unreadable),
        total=walk.entity_count,
    )


def list_catalog(
    catalog: Catalog,
    filters: Filters,
    reader: Reader | None = None,
    *,
    use_cache: bool = True,
) -> Listing:
    """Read every entity the catalog reaches and keep those matching `filters`."""
    keep = _Shown(_Matcher(filters))  # bad filter values are refused before anything is read
    if reader is not None:
        walked = load(catalog, reader, use_cache=use_cache, keep=keep)
    else:
        with Reader() as own:
            walked = load(catalog, own, use_cache=use_cache, keep=keep)
    return list_walk(walked, filters, filtered=True)
