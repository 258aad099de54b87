"""What `catalog list`, `validate` and `unregister ENTITY_REF` need of one entity document.

A walk over 100,000 entity files keeps these facts, not the parsed documents: a few strings
per entity, its problems (`entity_problems`, usually none) and the references the relation
check resolves. They are a pure function of the document, so the entity cache
(`catalog/cache.py`) can store them, as plain JSON data, instead of the file's YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from scaffolder.backstage.documents import entity_problems, kind_of
from scaffolder.backstage.rules import DEFAULT_NAMESPACE

#: The list columns an entity row is made of, in `Facts.row` order (see `listing.row_of`).
ROW_FIELDS = (
    "name",
    "namespace",
    "kind",
    "type",
    "description",
    "lifecycle",
    "owner",
    "system",
    "source_location",
    "project_slug",
)


class Facts(NamedTuple):
    """One document of an entity file, reduced to what the catalog commands use."""

    #: The 1-based line its document starts on.
    line: int
    #: False for a document that is not a mapping (not an entity at all).
    is_mapping: bool
    #: `kind_of` of the document (lowercased); `ref` is worked out from the row when asked.
    kind: str
    #: The text of each of `ROW_FIELDS` ('' when absent or not text; namespace as written).
    row: tuple[str, ...]
    #: Why Backstage would reject it (`entity_problems`).
    problems: tuple[str, ...]
    #: (spec field, value) of every reference the relation check resolves, in spec order.
    refs: tuple[tuple[str, str], ...]
    #: For a Location: its `spec.type` ('' when not text: the parent's applies) and targets.
    nested: tuple[str, tuple[str, ...]] | None

    @property
    def ref(self) -> str:
        """`ref_of` of the document."""
        return _kind_ref(self.row)[1] if self.is_mapping else ""

    def encode(self, out: list[int | str]) -> None:
        """Append this document to a flat list of numbers and text (the cache's format): its
        line (negative when it is not a mapping), how many problems, references and nested
        targets (-1: not a Location) follow, the row, then those.

        `kind` is not stored: it follows from the row (`_kind_ref`).
        """
        nested = -1 if self.nested is None else len(self.nested[1])
        out += (
            self.line if self.is_mapping else -self.line,
            len(self.problems),
            len(self.refs),
            nested,
        )
        out += self.row
        out += self.problems
        for field, value in self.refs:
            out += (field, value)
        if self.nested is not None:
            out.append(self.nested[0])
            out += self.nested[1]


class Keep:
    """Which documents a walk keeps, by their facts: `catalog list` keeps the rows it shows,
    `unregister ENTITY_REF` the documents of one name. At 100,000 entities, holding the
    others would only cost memory and time.

    `mask` is the same decision for a block of documents given as columns (the snapshot's),
    so that facts are made for the documents kept only.
    """

    def __call__(self, facts: Facts) -> bool:
        raise NotImplementedError

    def mask(
        self, mapping: Sequence[bool], kinds: Sequence[str], row: Sequence[Sequence[str]]
    ) -> list[bool]:
        """For each document: `mapping` (`Facts.is_mapping`), `kinds` (`Facts.kind`), and
        `row`, one sequence per field of `Facts.row` (`ROW_FIELDS` order), whether it is kept:
        what `self(facts)` says of the same document."""
        raise NotImplementedError


def _kind_ref(row: tuple[str, ...]) -> tuple[str, str]:
    """`kind_of` and `ref_of` of a mapping whose row this is."""
    name, namespace, kind = row[0], row[1], row[2].lower()
    return kind, (f"{kind or '?'}:{namespace or DEFAULT_NAMESPACE}/{name}" if name else "")


def refs_of(documents: Sequence[Facts]) -> list[str]:
    """`Facts.ref` of each document, worked out column by column (`map` does the looping):
    `validate` needs the reference of all 100,000 entities, `list` of every row it shows."""
    if not documents:
        return []
    names, namespaces, kinds = zip(*(facts.row[:3] for facts in documents), strict=True)
    return ref_column(names, namespaces, kinds, [facts.is_mapping for facts in documents])


def ref_column(
    names: Sequence[str], namespaces: Sequence[str], kinds: Sequence[str], mapping: Sequence[bool]
) -> list[str]:
    """`Facts.ref` of each document given as columns: the name, namespace and kind of its row
    (as written), and whether it is a mapping."""
    refs = list(
        map(
            "{}:{}/{}".format,
            [kind.lower() or "?" for kind in kinds],
            [namespace or DEFAULT_NAMESPACE for namespace in namespaces],
            names,
        )
    )
    if "" in names or not all(mapping):
        refs = [
            ref if name and is_mapping else ""
            for ref, name, is_mapping in zip(refs, names, mapping, strict=True)
        ]
    return refs


def decode(fields: list[str], at: int, memo: dict[Any, Any]) -> tuple[Facts, int]:
    """The document `encode` wrote at `fields[at]` (its values as text), and where the next
    one starts.

    Raises ValueError or IndexError for anything `encode` cannot have written, except that a
    document cut short is only seen by the caller: the index returned is then past the end.
    Repeated values (kinds, types, lifecycles, owners) are shared through `memo`.
    """
    line, problems_n, refs_n, nested_n = map(int, fields[at : at + 4])
    if line == 0 or problems_n < 0 or refs_n < 0 or nested_n < -1:
        raise ValueError("not a document")
    at += 14
    name, ns, kind, type_, text, life, owner, system, source, slug = fields[at - 10 : at]
    share = memo.setdefault
    row = (
        name,
        share(ns, ns),
        share(kind, kind),
        share(type_, type_),
        text,
        share(life, life),
        share(owner, owner),
        share(system, system),
        source,
        slug,
    )
    problems: tuple[str, ...] = ()
    if problems_n:
        problems = tuple(fields[at : at + problems_n])
        at += problems_n
    refs: tuple[tuple[str, str], ...] = ()
    if refs_n:
        flat = fields[at : at + 2 * refs_n]
        refs = tuple(zip(flat[::2], flat[1::2], strict=False))
        refs = share(refs, refs)  # one tuple for equal references (a few owners for many)
        at += 2 * refs_n
    nested: tuple[str, tuple[str, ...]] | None = None
    if nested_n != -1:
        nested = (fields[at], tuple(fields[at + 1 : at + 1 + nested_n]))
        at += 1 + nested_n
    if line < 0:
        return Facts(-line, False, "", row, problems, refs, nested), at
    lower = kind.lower()
    return Facts(line, True, share(lower, lower), row, problems, refs, nested), at


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _relation_refs(kind: str, spec: object) -> tuple[tuple[str, str], ...]:
    from scaffolder.backstage.entity import KIND_SPECS

    if not isinstance(spec, Mapping) or kind not in KIND_SPECS:
        return ()
    refs: list[tuple[str, str]] = []
    for field in KIND_SPECS[kind]:
        if not field.ref:
            continue
        value = spec.get(field.name)
        if isinstance(value, str):
            refs.append((field.name, value))
        elif isinstance(value, list):
            refs += ((field.name, v) for v in value if isinstance(v, str))
    return tuple(refs)


def _nested(kind: str, spec: object) -> tuple[str, tuple[str, ...]] | None:
    if kind != "location":
        return None
    if not isinstance(spec, Mapping):
        return ("", ())
    spec_type = spec.get("type")
    values = list(spec["targets"]) if isinstance(spec.get("targets"), list) else []
    if isinstance(spec.get("target"), str):
        values.insert(0, spec["target"])
    return (
        spec_type if isinstance(spec_type, str) else "",
        tuple(v for v in values if isinstance(v, str) and v),
    )


def facts_of(data: object, line: int) -> Facts:
    """The facts of one parsed document starting on `line`."""
    problems = tuple(entity_problems(data))
    if not isinstance(data, Mapping):
        return Facts(line, False, "", ("",) * len(ROW_FIELDS), problems, (), None)
    meta = _mapping(data.get("metadata"))
    spec = _mapping(data.get("spec"))
    annotations = _mapping(meta.get("annotations"))
    kind = kind_of(data)
    row = (
        _text(meta.get("name")),
        _text(meta.get("namespace")),
        _text(data.get("kind")),
        _text(spec.get("type")),
        _text(meta.get("description")),
        _text(spec.get("lifecycle")),
        _text(spec.get("owner")),
        _text(spec.get("system")),
        _text(annotations.get("backstage.io/source-location")),
        _text(annotations.get("github.com/project-slug")),
    )
    raw_spec = data.get("spec")
    return Facts(
        line,
        True,
        kind,
        row,
        problems,
        _relation_refs(kind, raw_spec),
        _nested(kind, raw_spec),
    )
