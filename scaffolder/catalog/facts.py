"""What `catalog list`, `validate` and `unregister ENTITY_REF` need of one entity document.

A walk over 100,000 entity files keeps these facts, not the parsed documents: a few strings
per entity, its problems (`entity_problems`, usually none) and the references the relation
check resolves. They are a pure function of the document, so the entity cache
(`catalog/cache.py`) can store them, as plain JSON data, instead of the file's YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaffolder.backstage.documents import entity_problems, kind_of, ref_of

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


@dataclass(frozen=True, slots=True)
class Facts:
    """One document of an entity file, reduced to what the catalog commands use."""

    #: The 1-based line its document starts on.
    line: int
    #: False for a document that is not a mapping (not an entity at all).
    is_mapping: bool
    #: `kind_of` (lowercased) and `ref_of` of the document.
    kind: str
    ref: str
    #: The text of each of `ROW_FIELDS` ('' when absent or not text; namespace as written).
    row: tuple[str, ...]
    #: Why Backstage would reject it (`entity_problems`).
    problems: tuple[str, ...]
    #: (spec field, value) of every reference the relation check resolves, in spec order.
    refs: tuple[tuple[str, str], ...]
    #: For a Location: its `spec.type` ('' when not text: the parent's applies) and targets.
    nested: tuple[str, tuple[str, ...]] | None

    def to_data(self) -> list[Any]:
        nested = None if self.nested is None else [self.nested[0], list(self.nested[1])]
        return [
            self.line,
            self.is_mapping,
            self.kind,
            self.ref,
            list(self.row),
            list(self.problems),
            [list(r) for r in self.refs],
            nested,
        ]

    @classmethod
    def from_data(cls, data: Any) -> Facts:
        """The inverse of `to_data`; raises ValueError (or TypeError) for anything else."""
        line, is_mapping, kind, ref, row, problems, refs, nested = data
        facts = cls(
            line,
            is_mapping,
            kind,
            ref,
            tuple(row),
            tuple(problems),
            tuple((field, value) for field, value in refs),
            None if nested is None else (nested[0], tuple(nested[1])),
        )
        if not facts._well_typed():
            raise ValueError("not the facts of a document")
        return facts

    def _well_typed(self) -> bool:
        strings = (self.kind, self.ref, *self.row, *self.problems)
        strings += tuple(s for pair in self.refs for s in pair)
        if self.nested is not None:
            strings += (self.nested[0], *self.nested[1])
        return (
            type(self.line) is int
            and self.line > 0
            and type(self.is_mapping) is bool
            and len(self.row) == len(ROW_FIELDS)
            and all(type(s) is str for s in strings)
        )


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
        return Facts(line, False, "", "", ("",) * len(ROW_FIELDS), problems, (), None)
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
        ref_of(data),
        row,
        problems,
        _relation_refs(kind, raw_spec),
        _nested(kind, raw_spec),
    )
