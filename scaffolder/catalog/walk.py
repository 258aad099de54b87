"""Reach every entity a catalog file leads to: its targets, and the Locations inside them.

`walk()` is shared by `catalog list`, `catalog unregister ENTITY_REF` and `catalog validate`.
It never raises for a target: one that cannot be read or parsed is recorded as `Unreadable`
with the reason, and the walk goes on. Only a broken catalog file itself raises
(`CatalogFileError`, naming the line), because then there is nothing to walk.

URL targets are read concurrently (a small thread pool); local files one after the other,
which is faster for them than threads (parsing holds the GIL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from scaffolder.backstage.documents import (
    Document,
    UnparsableError,
    kind_of,
    parse_documents,
    ref_of,
)
from scaffolder.catalog import locations
from scaffolder.catalog.sources import (
    Catalog,
    LocalCatalog,
    Reader,
    TargetUnreadable,
    is_url,
    resolve,
)

#: Locations inside targets are followed this deep (Backstage has no limit; loops are cut too).
MAX_DEPTH = 8
_URL_WORKERS = 8


@dataclass(frozen=True)
class Target:
    """One target as a Location lists it."""

    type: str
    #: As written in the Location.
    target: str
    #: The file (path or URL) holding the Location, and the line of the target in it.
    listed_in: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.listed_in}:{self.line}"


@dataclass(frozen=True)
class Found:
    """One document reached through a target."""

    data: Any
    #: The path or URL it was read from, and the line its document starts on.
    origin: str
    line: int
    target: Target

    @property
    def ref(self) -> str:
        return ref_of(self.data)

    @property
    def kind(self) -> str:
        return kind_of(self.data)


@dataclass(frozen=True)
class Unreadable:
    target: Target
    #: The path or URL the walk tried to read (empty when the target could not be resolved).
    location: str
    reason: str


@dataclass(frozen=True)
class Walk:
    catalog: str
    #: The catalog file's own documents (its Location entities).
    own: tuple[Document, ...]
    #: Every document reached, in catalog order; nested Locations included.
    found: tuple[Found, ...]
    unreadable: tuple[Unreadable, ...]
    #: Targets that point at a file already reached through another target.
    duplicates: tuple[Target, ...]

    @property
    def entities(self) -> tuple[Found, ...]:
        """Every entity reached except Locations (documents that are not mappings excluded)."""
        return tuple(f for f in self.found if isinstance(f.data, Mapping) and f.kind != "location")


def _nested_targets(doc: Found, parent_type: str) -> Iterable[Target]:
    spec = doc.data.get("spec") if isinstance(doc.data, Mapping) else None
    if not isinstance(spec, Mapping):
        return
    spec_type = spec.get("type") if isinstance(spec.get("type"), str) else parent_type
    values = list(spec["targets"]) if isinstance(spec.get("targets"), list) else []
    if isinstance(spec.get("target"), str):
        values.insert(0, spec["target"])
    for value in values:
        if isinstance(value, str) and value:
            yield Target(str(spec_type), value, doc.origin, doc.line)


def _read_one(reader: Reader, location: str) -> str | TargetUnreadable:
    try:
        return reader.read(location)
    except TargetUnreadable as exc:
        return exc


def walk(catalog_text: str, catalog_location: str, reader: Reader) -> Walk:
    """Every document reachable from catalog text read from `catalog_location`."""
    entries = locations.entries_in(catalog_text, source=catalog_location)
    own = tuple(parse_documents(catalog_text))
    found: list[Found] = []
    unreadable: list[Unreadable] = []
    duplicates: list[Target] = []
    seen: set[str] = {catalog_location}
    level = [Target(e.type, e.target, catalog_location, e.line) for e in entries]
    with ThreadPoolExecutor(max_workers=_URL_WORKERS) as pool:
        for _depth in range(MAX_DEPTH):
            if not level:
                break
            resolved: list[tuple[Target, str]] = []
            for target in level:
                try:
                    location = resolve(target.listed_in, target.target, target.type)
                except TargetUnreadable as exc:
                    unreadable.append(Unreadable(target, "", exc.reason))
                    continue
                if location in seen:
                    duplicates.append(target)
                    continue
                seen.add(location)
                resolved.append((target, location))
            remote = {
                loc: pool.submit(_read_one, reader, loc) for _, loc in resolved if is_url(loc)
            }
            next_level: list[Target] = []
            for target, location in resolved:
                pending = remote.get(location)
                text = pending.result() if pending else _read_one(reader, location)
                if isinstance(text, TargetUnreadable):
                    unreadable.append(Unreadable(target, location, text.reason))
                    continue
                try:
                    documents = parse_documents(text)
                except UnparsableError as exc:
                    at = f"line {exc.line}: " if exc.line else ""
                    unreadable.append(Unreadable(target, location, at + exc.reason))
                    continue
                if not documents:
                    unreadable.append(Unreadable(target, location, "holds no entity"))
                    continue
                for document in documents:
                    item = Found(document.data, location, document.line, target)
                    found.append(item)
                    if item.kind == "location":
                        next_level.extend(_nested_targets(item, target.type))
            level = next_level
    for target in level:
        unreadable.append(Unreadable(target, "", f"Locations nested deeper than {MAX_DEPTH}"))
    return Walk(
        catalog=catalog_location,
        own=own,
        found=tuple(found),
        unreadable=tuple(unreadable),
        duplicates=tuple(duplicates),
    )


def load(catalog: Catalog, reader: Reader) -> Walk:
    """Walk a local catalog file (an absent one is empty) or one in a repository on GitHub."""
    if isinstance(catalog, LocalCatalog):
        return walk(locations.read_text(catalog.path), str(catalog.path), reader)
    text, url = reader.read_catalog(catalog)
    return walk(text, url, reader)
