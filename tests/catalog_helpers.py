"""Helpers for the catalog tests: entity files written inline, in the shape Backstage reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def entity(
    name: str,
    kind: str = "Component",
    *,
    namespace: str | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """An entity document; Component defaults fill what the spec leaves out."""
    if kind == "Component":
        spec = {"type": "service", "lifecycle": "experimental", "owner": "group:payments", **spec}
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}


def write_entities(
    folder: Path, *docs: dict[str, Any], filename: str = "catalog-info.yaml"
) -> Path:
    """Write `docs` as one multi-document entity file in `folder`; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False), encoding="utf-8")
    return path


def component(root: Path, name: str, **spec: Any) -> Path:
    """A project folder `root/name` holding a catalog-info.yaml for one Component."""
    return write_entities(root / name, entity(name, **spec))


def catalog_targets(catalog: Path) -> list[str]:
    """Every target listed in a catalog file, read with plain PyYAML (as Backstage would)."""
    targets: list[str] = []
    for doc in yaml.safe_load_all(catalog.read_text(encoding="utf-8")):
        if doc:
            spec = doc["spec"]
            targets += spec.get("targets") or []
            if spec.get("target"):
                targets.append(spec["target"])
    return targets


def location_catalog(path: Path, targets: list[str]) -> Path:
    """A catalog file at `path`: one Location listing `targets`."""
    doc = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "all"},
        "spec": {"type": "file", "targets": targets},
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
