"""`catalog validate`: the catalog file and every entity it reaches, against Backstage's rules.

Checked, each problem reported with its file, line and entity:

- the catalog file itself: YAML, Location entities only (the rules `locations.py` edits by);
- every entity, the catalog's own Locations included: envelope, name/namespace/kind/key
  formats, required spec fields per kind (`entity.validate_entity`);
- every target: it exists, parses, holds at least one entity, is not listed twice;
- no two entities share a reference (Backstage would reject the second);
- relations: `spec.owner`, `spec.system`, `spec.domain`, `spec.dependsOn`, ... must resolve to
  an entity in the catalog **when the catalog holds entities of the referenced kind**. A
  catalog without any Group entities gets its groups from elsewhere (an org provider), so its
  owner references cannot be checked here; those kinds are reported as notes, not problems.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from scaffolder.backstage.documents import UnparsableError, kind_of, parse_documents
from scaffolder.backstage.rules import parse_entity_ref
from scaffolder.catalog.cache import EntityCache
from scaffolder.catalog.facts import facts_of, refs_of
from scaffolder.catalog.snapshot import Recorder
from scaffolder.catalog.sources import Catalog, LocalCatalog, Reader
from scaffolder.catalog.storage import read_both
from scaffolder.catalog.walk import Found, Target, Walk, catalog_digest, from_snapshot, walk
from scaffolder.errors import CatalogFileError, UsageError

_FACTS = operator.attrgetter("facts")
_KIND = operator.attrgetter("facts.kind")
_REFS = operator.attrgetter("refs")
_PROBLEMS = operator.attrgetter("problems")
_ORIGIN = operator.attrgetter("origin")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    #: The entity's reference (`component:default/x`), or '' when the problem has none.
    entity: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.entity + ': ' if self.entity else ''}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Validation:
    catalog: str
    problems: tuple[Problem, ...]
    #: How many entities and targets were checked.
    entities: int
    targets: int
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "valid": self.ok,
            "entities": self.entities,
            "targets": self.targets,
            "problems": [p.to_json() for p in self.problems],
            "notes": list(self.notes),
        }


def _kind_label(kind: str) -> str:
    from scaffolder.backstage.entity import KIND_NAMES

    return KIND_NAMES.get(kind, kind.capitalize())


def check_relations(entities: list[Found], refs: list[str]) -> tuple[list[Problem], list[str]]:
    """Unresolved references, and notes on the kinds that could not be checked; `refs`: each
    entity's reference (`refs_of`)."""
    from scaffolder.backstage.entity import KIND_SPECS

    present = set(map(str.lower, filter(None, refs)))
    kinds = set(map(_KIND, entities))
    problems: list[Problem] = []
    unchecked: dict[str, set[str]] = {}
    by_name = {kind: {f.name: f for f in fields} for kind, fields in KIND_SPECS.items()}

    def messages(kind: str, named: tuple[tuple[str, str], ...]) -> list[str]:
        """What the references `named` of an entity of `kind` say is unresolved."""
        out = []
        for name, value in named:
            field = by_name[kind][name]
            try:
                ref = parse_entity_ref(value, default_kind=field.default_kind)
            except ValueError:
                continue  # a malformed reference is already an entity problem
            if ref.kind not in kinds:
                unchecked.setdefault(ref.kind, set()).add(f"spec.{field.name}")
            elif str(ref).lower() not in present:
                out.append(
                    f"spec.{field.name} {value!r} does not resolve: no "
                    f"{_kind_label(ref.kind)} {ref.namespace}/{ref.name} in the catalog"
                )
        return out

    # Column by column: the kind and references of each entity, each distinct pair decided
    # once (most entities name one of a few owners and systems, and a walk shares their equal
    # tuples), and problems made for the entities whose pair has something to say.
    keys = list(zip(map(_KIND, entities), map(_REFS, map(_FACTS, entities)), strict=True))
    decided = {key: messages(*key) for key in set(keys) if key[1]}
    said = [decided.get(key, ()) for key in keys]
    for index in compress(range(len(said)), said):
        found = entities[index]
        problems += [Problem(found.origin, found.line, refs[index], m) for m in said[index]]
    notes = [
        f"{', '.join(sorted(fields))} references to {_kind_label(kind)} entities were not "
        f"checked: the catalog holds no {_kind_label(kind)}"
        for kind, fields in sorted(unchecked.items())
    ]
    return problems, notes


def _catalog_file_problem(catalog: str, exc: CatalogFileError) -> Problem:
    match = re.match(rf"^{re.escape(catalog)}:(\d+): (.*)$", exc.message, re.DOTALL)
    if match:
        return Problem(catalog, int(match[1]), "", match[2])
    return Problem(catalog, None, "", exc.message.removeprefix(f"{catalog}: "))


def _as_entity_file(text: str, location: str) -> Validation | None:
    """A file of entities and no Location at all is a `catalog-info.yaml`: check it as one."""
    try:
        documents = parse_documents(text)
    except UnparsableError:
        return None
    if not documents or any(
        not isinstance(d.data, Mapping) or kind_of(d.data) == "location" for d in documents
    ):
        return None
    target = Target("file", location, location, 0)
    found = [Found(facts_of(d.data, d.line), location, target) for d in documents]
    refs = refs_of([f.facts for f in found])
    problems = _entity_problems(found, refs)
    problems += _duplicates(found, refs)
    relation_problems, notes = _relations(found, refs)
    return Validation(
        catalog=location,
        problems=tuple(problems + relation_problems),
        entities=len(found),
        targets=0,
        notes=(f"{location} holds entities, not Locations: checked as an entity file", *notes),
    )


def _duplicates(found: Sequence[Found], refs: list[str]) -> list[Problem]:
    lowered = [ref.lower() for ref in refs]
    named = [key for key in lowered if key]
    if len(set(named)) == len(named):
        return []  # the usual case: no two alike, nothing to report
    first: dict[str, Found] = {}
    problems = []
    for item, ref, key in zip(found, refs, lowered, strict=True):
        if not key:
            continue
        if key in first:
            seen = first[key]
            problems.append(
                Problem(
                    item.origin,
                    item.line,
                    ref,
                    f"defined twice; Backstage keeps only one (also at {seen.origin}:{seen.line})",
                )
            )
        else:
            first[key] = item
    return problems


def _entity_problems(found: Sequence[Found], refs: list[str]) -> list[Problem]:
    """What each document's own facts say is wrong with it (`entity_problems`)."""
    said = list(map(_PROBLEMS, map(_FACTS, found)))
    return [
        Problem(found[i].origin, found[i].line, refs[i], p)
        for i in compress(range(len(said)), said)
        for p in said[i]
    ]


def _relations(found: Sequence[Found], refs: list[str]) -> tuple[list[Problem], list[str]]:
    """`check_relations` of the documents that are mappings with a kind (a document that is
    not a mapping has none)."""
    kinds = list(map(_KIND, found))
    return check_relations(list(compress(found, kinds)), list(compress(refs, kinds)))


def validate_text(
    text: str,
    location: str,
    reader: Reader,
    *,
    use_cache: bool = True,
    cache: EntityCache | None = None,
    stamp: str | None = None,
) -> Validation:
    """Validate catalog text read from `location` (a path or URL) and all it reaches.

    `stamp`: the local catalog text's `catalog_digest` (the walk is then stored).
    """
    try:
        if cache is None:
            cache = EntityCache.for_catalog(location, enabled=use_cache)
        recorder = Recorder(location, stamp) if stamp and cache.file is not None else None
        result = walk(text, location, reader, cache=cache, own=True, recorder=recorder)
    except CatalogFileError as exc:
        if cache is not None:
            cache.close()  # nothing was walked
        entity_file = _as_entity_file(text, location)
        if entity_file is not None:
            return entity_file
        return Validation(location, (_catalog_file_problem(location, exc),), 0, 0)
    return _validation(result, location)


def _validation(result: Walk, location: str) -> Validation:
    """What a walk of the catalog at `location` says of it."""
    problems: list[Problem] = []
    for doc in result.own:
        problems += [Problem(location, doc.line, doc.ref, p) for p in doc.problems]
    for bad in result.unreadable:
        shown = bad.location or bad.target.target
        problems.append(
            Problem(bad.target.listed_in, bad.target.line, "", f"target {shown}: {bad.reason}")
        )
    for dup in result.duplicates:
        problems.append(
            Problem(dup.listed_in, dup.line, "", f"target {dup.target} is listed more than once")
        )
    refs = refs_of([f.facts for f in result.found])  # each worked out once, column by column
    problems += _entity_problems(result.found, refs)
    problems += _duplicates(result.found, refs)
    relation_problems, notes = _relations(result.found, refs)
    problems += relation_problems
    origins = dict.fromkeys(map(_ORIGIN, result.found))  # in walk order
    targets = len(origins) + len(result.unreadable)
    if problems:
        order = {location: 0} | {origin: i for i, origin in enumerate(origins, 1)}
        problems.sort(key=lambda p: (order.get(p.file, len(order)), p.line or 0))
    return Validation(
        catalog=location,
        problems=tuple(problems),
        entities=result.entity_count,
        targets=targets,
        notes=tuple(notes),
    )


def validate_catalog(
    catalog: Catalog, reader: Reader | None = None, *, use_cache: bool = True
) -> Validation:
    """Validate a local catalog file or one in a repository on GitHub."""
    if reader is None:
        with Reader() as own:
            return validate_catalog(catalog, own, use_cache=use_cache)
    if isinstance(catalog, LocalCatalog):
        if not catalog.path.is_file():
            raise UsageError(
                f"no catalog file at {catalog.path}",
                hint="give the catalog file to check: scaffolder catalog validate FILE",
            )
        location = str(catalog.path)
        text, data = read_both(catalog.path)
        cache = EntityCache.for_catalog(location, enabled=use_cache)
        stamp = catalog_digest(data)
        del data
        cached = from_snapshot(cache, location, stamp, own=True)
        if cached is not None:
            return _validation(cached, location)
        return validate_text(text, location, reader, use_cache=use_cache, cache=cache, stamp=stamp)
    text, url = reader.read_catalog(catalog)
    return validate_text(text, url, reader, use_cache=use_cache)
