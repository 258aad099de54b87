"""Reach every entity a catalog file leads to: its targets, and the Locations inside them.

`walk()` is shared by `catalog list`, `catalog unregister ENTITY_REF` and `catalog validate`.
It never raises for a target: one that cannot be read or parsed is recorded as `Unreadable`
with the reason, and the walk goes on. Only a broken catalog file itself raises
(`CatalogFileError`, naming the line), because then there is nothing to walk.

URL targets are read concurrently (a small thread pool); local files one after the other,
which is faster for them than threads (parsing holds the GIL). What a local file held is kept
in the entity cache (`cache.py`) keyed by its stat, so an unchanged file is not parsed again;
each document is kept as its `Facts` (a few strings), not as the parsed document.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from scaffolder.backstage.documents import UnparsableError, parse_documents
from scaffolder.backstage.rules import is_valid_object_name
from scaffolder.catalog import fastscan, locations
from scaffolder.catalog.cache import RACY_NS, EntityCache, Parsed, Unparsed, stamp_of
from scaffolder.catalog.facts import Facts, facts_of
from scaffolder.catalog.snapshot import Recorder
from scaffolder.catalog.sources import (
    Catalog,
    LocalCatalog,
    Reader,
    TargetUnreadable,
    is_url,
    resolve,
)
from scaffolder.catalog.stamps import stamp_text
from scaffolder.catalog.storage import read_both, read_data
from scaffolder.errors import CatalogFileError

#: Locations inside targets are followed this deep (Backstage has no limit; loops are cut too).
MAX_DEPTH = 8
_URL_WORKERS = 8


class Target(NamedTuple):
    """One target as a Location lists it (a tuple: 100,000 of them are made per walk)."""

    type: str
    #: As written in the Location.
    target: str
    #: The file (path or URL) holding the Location, and the line of the target in it.
    listed_in: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.listed_in}:{self.line}"


class Found(NamedTuple):
    """One document reached through a target."""

    facts: Facts
    #: The path or URL it was read from.
    origin: str
    target: Target

    @property
    def line(self) -> int:
        """The line its document starts on."""
        return self.facts.line

    @property
    def ref(self) -> str:
        return self.facts.ref

    @property
    def kind(self) -> str:
        return self.facts.kind

    @property
    def is_entity(self) -> bool:
        """A mapping that is not a Location."""
        return self.facts.is_mapping and self.facts.kind != "location"


@dataclass(frozen=True)
class Unreadable:
    target: Target
    #: The path or URL the walk tried to read (empty when the target could not be resolved).
    location: str
    reason: str


@dataclass(frozen=True)
class Walk:
    catalog: str
    #: The catalog file's own documents (its Location entities) that have problems, when
    #: asked for.
    own: tuple[Facts, ...]
    #: Every document reached, in catalog order; nested Locations included.
    found: tuple[Found, ...]
    unreadable: tuple[Unreadable, ...]
    #: Targets that point at a file already reached through another target.
    duplicates: tuple[Target, ...]
    #: How many entities (`Found.is_entity`) were reached, kept in `found` or not.
    entity_count: int = 0

    @property
    def entities(self) -> tuple[Found, ...]:
        """Every entity reached except Locations (documents that are not mappings excluded)."""
        return tuple(f for f in self.found if f.is_entity)


def parse_facts(text: str) -> Parsed:
    """The facts of every document in an entity file's text, or why it is not YAML."""
    try:
        return tuple(facts_of(d.data, d.line) for d in parse_documents(text))
    except UnparsableError as exc:
        return Unparsed(exc.line, exc.reason)


def _nested_targets(doc: Found, parent_type: str) -> list[Target]:
    nested = doc.facts.nested
    if nested is None:
        return []
    spec_type = nested[0] or parent_type
    return [Target(spec_type, value, doc.origin, doc.line) for value in nested[1]]


def _read_one(reader: Reader, location: str) -> Parsed | TargetUnreadable:
    try:
        return parse_facts(reader.read(location))
    except TargetUnreadable as exc:
        return exc


def _read_local(
    reader: Reader, location: str, cache: EntityCache
) -> tuple[Parsed | TargetUnreadable, str]:
    """A local file's facts (from the cache when its stat is the one stored, else parsed) and
    its stamp for the walk snapshot ('' when it has none to give)."""
    try:
        info = os.stat(location)  # noqa: PTH116 -- 100,000 calls: no Path object for each
    except (OSError, ValueError):
        return _read_one(reader, location), ""  # the read says why, in its own words
    if not stat.S_ISREG(info.st_mode):
        return _read_one(reader, location), ""
    stamp = stamp_of(info)
    recent = time.time_ns() - info.st_mtime_ns < RACY_NS
    cached = cache.get(location, stamp)
    if cached is not None:
        return cached, "" if recent else stamp_text(info)
    parsed = _read_one(reader, location)
    if not isinstance(parsed, TargetUnreadable):
        # Stamped before the read: a change after it makes the stamps differ next time.
        cache.put(location, stamp, parsed)
    return parsed, "" if recent else stamp_text(info)


def _own_facts_fast(entries: list[locations.LocationEntry]) -> tuple[Facts, ...]:
    """The facts of a catalog's own documents, all in scaffolder's layout (`fastscan`).

    They are the same template with a name, a type and a target, so the facts of one with a
    valid name are those of every other of its type with a valid name, but for the name,
    line and target: the first is worked out in full (`facts_of`), and serves as the pattern
    when that holds of it (a valid entity; the name and target where its row and nested
    targets say). Any other document (an invalid name) is worked out in full.
    """
    patterns: dict[str, Facts | None] = {}
    out: list[Facts] = []
    append = out.append
    first_line = fastscan.TARGET_LINE
    for entry in entries:
        name = entry.location
        if is_valid_object_name(name):
            pattern = patterns.get(entry.type)
            if pattern is not None:
                row = (name, *pattern.row[1:])
                append(
                    Facts(
                        entry.line - first_line,
                        True,
                        "location",
                        row,
                        (),
                        (),
                        (entry.type, (entry.target,)),
                    )
                )
                continue
        facts = facts_of(locations.own_document(entry), entry.line - first_line)
        append(facts)
        if (
            entry.type not in patterns
            and is_valid_object_name(name)
            and not facts.problems
            and not facts.refs
            and facts.kind == "location"
            and facts.row[0] == name
            and facts.nested == (entry.type, (entry.target,))
        ):
            patterns[entry.type] = facts
    return tuple(out)


def plan(
    catalog_text: str, catalog_location: str, *, own: bool = False
) -> tuple[list[Target], tuple[Facts, ...]]:
    """A catalog's targets, and (`own`) the facts of its own documents."""
    fast = locations.fast_entries(catalog_text)
    entries = (
        fast if fast is not None else locations.entries_in(catalog_text, source=catalog_location)
    )
    level = [Target(e.type, e.target, catalog_location, e.line) for e in entries]
    if not own:
        return level, ()
    if fast is not None:
        return level, _own_facts_fast(fast)
    return level, tuple(facts_of(d.data, d.line) for d in parse_documents(catalog_text))


def walk(
    catalog_text: str,
    catalog_location: str,
    reader: Reader,
    *,
    cache: EntityCache | None = None,
    own: bool = False,
    recorder: Recorder | None = None,
) -> Walk:
    """Every document reachable from catalog text read from `catalog_location`.

    `own`: also the facts of the catalog file's own documents (for `validate`).
    """
    level, own_facts = plan(catalog_text, catalog_location, own=own or recorder is not None)
    return walk_targets(
        level, catalog_location, reader, cache=cache, own=own_facts, recorder=recorder
    )


def walk_targets(
    level: list[Target],
    catalog_location: str,
    reader: Reader,
    *,
    cache: EntityCache | None = None,
    own: tuple[Facts, ...] = (),
    keep: Callable[[Facts], bool] | None = None,
    recorder: Recorder | None = None,
) -> Walk:
    """Every document reachable from a catalog's targets.

    `keep`: which documents (by their facts) `found` holds (default: all). `catalog list`
    keeps the rows it shows: at 100,000 entities, holding the others would only cost memory.
    `recorder`: what collects the walk for the snapshot (`snapshot.py`) the cache stores.
    """
    cache = cache if cache is not None else EntityCache(None)
    record = recorder if recorder is not None else Recorder("", None)
    found: list[Found] = []
    unreadable: list[Unreadable] = []
    duplicates: list[Target] = []
    seen: set[str] = {catalog_location}
    entity_count = 0
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
                if pending:
                    parsed, stamp = pending.result(), ""
                else:
                    parsed, stamp = _read_local(reader, location, cache)
                if not stamp:
                    record.fail()  # a URL, a file just modified or not a file
                if isinstance(parsed, TargetUnreadable):
                    unreadable.append(Unreadable(target, location, parsed.reason))
                    continue
                if isinstance(parsed, Unparsed):
                    at = f"line {parsed.line}: " if parsed.line else ""
                    unreadable.append(Unreadable(target, location, at + parsed.reason))
                    continue
                if not parsed:
                    unreadable.append(Unreadable(target, location, "holds no entity"))
                    continue
                for facts in parsed:
                    record.add(facts, location, target, stamp)
                    item = Found(facts, location, target)
                    entity_count += item.is_entity
                    if keep is None or keep(facts):
                        found.append(item)
                    if item.kind == "location":
                        next_level.extend(_nested_targets(item, target.type))
            level = next_level
    for target in level:
        unreadable.append(Unreadable(target, "", f"Locations nested deeper than {MAX_DEPTH}"))
    if unreadable:
        record.fail()
    own = tuple(f for f in own if f.problems)  # all `validate` reads of them
    cache.save(record.finish(entity_count, duplicates, own))
    return Walk(
        catalog=catalog_location,
        own=own,
        found=tuple(found),
        unreadable=tuple(unreadable),
        duplicates=tuple(duplicates),
        entity_count=entity_count,
    )


def read_catalog(catalog: Catalog, reader: Reader) -> tuple[str, str]:
    """A catalog's text (a local file that is absent is empty) and its path or URL."""
    if isinstance(catalog, LocalCatalog):
        return locations.read_text(catalog.path), str(catalog.path)
    return reader.read_catalog(catalog)


def catalog_digest(data: bytes) -> str:
    """What identifies a catalog's text for the snapshot: the length and SHA-256 digest of its
    bytes (the text itself, not its file's stamp: the walk depends on nothing else of it).
    SHA-256, not BLAKE2b: with the CPU's SHA instructions, 20 ms for 22 MB instead of 55."""
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()[:40]}"


def from_snapshot(
    cache: EntityCache,
    location: str,
    stamp: str | None,
    *,
    own: bool = False,
    keep: Callable[[Facts], bool] | None = None,
) -> Walk | None:
    """The walk the cache's snapshot holds, if the catalog and every file are as then."""
    snap = cache.snapshot
    if snap is None or not snap.matches(location, stamp):
        return None

    try:
        own_facts = snap.own() if own else ()
    except (ValueError, IndexError, TypeError):
        return None
    found = snap.rows(Target, Found, keep)
    if found is None or own_facts is None:
        return None
    duplicates = tuple(Target(*d) for d in snap.meta["duplicates"])
    entity_count = snap.meta["entities"]
    if type(entity_count) is not int:
        return None
    cache.close()
    return Walk(location, own_facts, tuple(found), (), duplicates, entity_count)


def load(
    catalog: Catalog,
    reader: Reader,
    *,
    use_cache: bool = True,
    own: bool = False,
    keep: Callable[[Facts], bool] | None = None,
) -> Walk:
    """Walk a local catalog file (an absent one is empty) or one in a repository on GitHub.

    A local catalog unchanged since the last walk, and every file it reached, is not walked
    again: the cache's snapshot of that walk is what it found.
    """
    if isinstance(catalog, LocalCatalog):
        location = str(catalog.path)
        cache = EntityCache.for_catalog(location, enabled=use_cache)
        stamp: str | None = None
        if cache.snapshot is not None:
            # Not held while the snapshot is read (at 100,000 targets, 20 MB): read again if
            # it does not serve.
            stamp = catalog_digest(read_data(catalog.path))
            cached = from_snapshot(cache, location, stamp, own=own, keep=keep)
            if cached is not None:
                return cached
        text, data = read_both(catalog.path)
        stamp = catalog_digest(data) if cache.file is not None else None
        del data
    else:
        text, location = reader.read_catalog(catalog)
        cache = EntityCache.for_catalog(location, enabled=use_cache)
        stamp = None
    recording = stamp is not None and cache.file is not None
    # A snapshot holds the catalog's own documents for `validate`, whoever walks first.
    try:
        level, own_facts = plan(text, location, own=own or recording)
    except CatalogFileError:
        cache.close()  # nothing to walk
        raise
    del text  # 20 MB at 100,000 targets: not held while the entity files are read
    recorder = Recorder(location, stamp) if recording else None
    return walk_targets(
        level, location, reader, cache=cache, own=own_facts, keep=keep, recorder=recorder
    )
