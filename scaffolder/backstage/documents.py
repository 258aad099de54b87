"""Entity files: YAML documents with the line each one starts on, and the entity each names.

A `catalog-info.yaml` may hold several documents. Parsing keeps each document's first line so
that every problem can be reported as `file:line`. Validation itself is `entity.validate_entity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from scaffolder.backstage.rules import DEFAULT_NAMESPACE

try:
    _Loader: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover -- PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class UnparsableError(Exception):
    """A file is not YAML. `line` is 1-based, or None when the parser gave no position."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Document:
    """One YAML document of a file, and the 1-based line it starts on."""

    data: Any
    line: int


def parse_documents(text: str) -> list[Document]:
    """Every non-empty document in `text`. Raises UnparsableError naming the line at fault."""
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover -- check_node() said there is one
                continue
            data = loader.construct_document(node)
            if data is not None:
                documents.append(Document(data, node.start_mark.line + 1))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise UnparsableError(
            f"not valid YAML: {exc.problem or exc}", mark.line + 1 if mark else None
        ) from exc
    except yaml.YAMLError as exc:
        raise UnparsableError(f"not valid YAML: {exc}", None) from exc
    finally:
        loader.dispose()
    return documents


def kind_of(data: object) -> str:
    """The entity's kind, lowercased; empty when it has none."""
    if isinstance(data, Mapping) and isinstance(data.get("kind"), str):
        return str(data["kind"]).lower()
    return ""


def ref_of(data: object) -> str:
    """`kind:namespace/name`, as Backstage's `stringifyEntityRef` writes it; '' if unnamed."""
    if not isinstance(data, Mapping):
        return ""
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        return ""
    namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
    if not isinstance(namespace, str) or not namespace:
        namespace = DEFAULT_NAMESPACE
    return f"{kind_of(data) or '?'}:{namespace}/{name}"


def entity_problems(data: object) -> list[str]:
    """Why Backstage would reject `data` as an entity; empty when it is valid."""
    from scaffolder.backstage.entity import validate_entity

    if not isinstance(data, Mapping):
        return [f"a document must be a mapping (an entity), not {type(data).__name__}"]
    return validate_entity(data)
