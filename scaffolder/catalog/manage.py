"""`catalog register` and `catalog unregister`: check the target, then edit the catalog.

A target is checked before it is added: it must exist (a local `catalog-info.yaml`, or a
project folder holding one; or a URL that can be read) and every document in it must be a valid
Backstage entity. A local catalog file is edited in place (`locations.py`: locked, atomic,
comments kept); a catalog on GitHub gets a pull request (`remote.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scaffolder.backstage.documents import UnparsableError, entity_problems, parse_documents, ref_of
from scaffolder.backstage.rules import parse_entity_ref
from scaffolder.catalog import locations
from scaffolder.catalog.cache import Unparsed
from scaffolder.catalog.facts import Facts, Keep, ref_column
from scaffolder.catalog.sources import (
    Catalog,
    Reader,
    RemoteCatalog,
    TargetUnreadable,
    is_url,
)
from scaffolder.catalog.walk import Found, load, parse_facts, read_catalog
from scaffolder.errors import CatalogTargetError
from scaffolder.progress import SILENT, Progress

CATALOG_INFO = "catalog-info.yaml"


@dataclass(frozen=True)
class CheckedTarget:
    type: locations.TargetType
    target: str
    #: The entities the target holds, as references.
    entities: tuple[str, ...]
    #: For a local file: where its repository is published, if its entity says so.
    published_url: str | None = None


@dataclass(frozen=True)
class CatalogChange:
    """What `register` or `unregister` did."""

    action: Literal["register", "unregister"]
    catalog: str
    target: str
    type: str
    entities: tuple[str, ...]
    #: False when the catalog already was as asked (registering twice changes nothing).
    changed: bool
    #: For a catalog on GitHub: the pull request proposing the change.
    pull_request: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "catalog": self.catalog,
            "target": self.target,
            "type": self.type,
            "entities": list(self.entities),
            "changed": self.changed,
            "pull_request": self.pull_request,
            "notes": list(self.notes),
        }


def _published_url(data: object) -> str | None:
    meta = data.get("metadata") if isinstance(data, Mapping) else None
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    slug = annotations.get("github.com/project-slug") if isinstance(annotations, Mapping) else None
    if isinstance(slug, str) and slug.count("/") == 1:
        return f"https://github.com/{slug}/blob/main/{CATALOG_INFO}"
    return None


def check_target(value: str, reader: Reader) -> CheckedTarget:
    """Resolve a PATH or URL to a target, read it and validate every entity in it."""
    value = value.strip()
    if not value:
        raise CatalogTargetError("a path or URL to register is required")
    if is_url(value):
        target_type: locations.TargetType = "url"
        target = value
    else:
        target_type = "file"
        path = Path(os.path.normpath(Path(value).expanduser().absolute()))
        if path.is_dir():
            path = path / CATALOG_INFO
        target = str(path)
    try:
        text = reader.read(target)
    except TargetUnreadable as exc:
        hint = (
            "give a project folder holding catalog-info.yaml, or the file itself"
            if target_type == "file"
            else "check the URL, and that your token may read the repository"
        )
        raise CatalogTargetError(f"cannot register {target}: {exc.reason}", hint=hint) from None
    try:
        documents = parse_documents(text)
    except UnparsableError as exc:
        where = f"{target}:{exc.line}" if exc.line else target
        raise CatalogTargetError(
            f"{where}: {exc.reason}", hint="fix the entity file, then register it again"
        ) from None
    if not documents:
        raise CatalogTargetError(f"{target} holds no entity", hint="it needs a catalog entity")
    problems = [
        f"{target}:{doc.line}: {(ref_of(doc.data) + ': ') if ref_of(doc.data) else ''}{p}"
        for doc in documents
        for p in entity_problems(doc.data)
    ]
    if problems:
        raise CatalogTargetError(
            f"{target} is not a valid entity file:\n  " + "\n  ".join(problems),
            hint="fix the entity file (see `scaffolder catalog validate`), then register it",
        )
    return CheckedTarget(
        target_type,
        target,
        tuple(ref_of(d.data) for d in documents),
        _published_url(documents[0].data) if target_type == "file" else None,
    )


def register(
    catalog: Catalog,
    value: str,
    *,
    reader: Reader | None = None,
    progress: Progress = SILENT,
) -> CatalogChange:
    """Check PATH|URL and add it to the catalog (idempotent)."""
    if reader is None:
        with Reader() as own:
            return register(catalog, value, reader=own, progress=progress)
    with progress.step("check", value):
        checked = check_target(value, reader)
    if isinstance(catalog, RemoteCatalog):
        if checked.type != "url":
            example = (
                checked.published_url or f"https://github.com/OWNER/REPO/blob/main/{CATALOG_INFO}"
            )
            raise CatalogTargetError(
                f"{catalog} is on GitHub; it cannot list the local file {checked.target}",
                hint=f"publish the project, then register its URL: {example}",
            )
        from scaffolder.catalog import remote

        pr, changed = remote.propose(
            catalog,
            reader.fetcher(),
            lambda text: locations.edit_register(
                text, checked.target, target_type="url", source=str(catalog), placement="sorted"
            ),
            title=f"Register {', '.join(checked.entities)} in the catalog",
            branch_hint="register-" + checked.target,
            progress=progress,
        )
        return CatalogChange(
            "register", str(catalog), checked.target, checked.type, checked.entities, changed, pr
        )
    with progress.step("register", f"{checked.target} in {catalog}"):
        changed = locations.register(catalog.path, checked.target, target_type=checked.type)
    return CatalogChange(
        "register", str(catalog), checked.target, checked.type, checked.entities, changed
    )


class _Named(Keep):
    """The documents whose reference is `key` (lowercased)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, facts: Facts) -> bool:
        return facts.is_mapping and facts.ref.lower() == self.key

    def mask(
        self, mapping: Sequence[bool], kinds: Sequence[str], row: Sequence[Sequence[str]]
    ) -> list[bool]:
        key = self.key
        return [ref.lower() == key for ref in ref_column(row[0], row[1], row[2], mapping)]


def _refs_in(target: str, reader: Reader) -> tuple[str, ...]:
    """The entities a target holds, for the report; none when it cannot be read any more."""
    if not is_url(target) and not Path(target).is_absolute():
        return ()
    try:
        return tuple(r for d in parse_documents(reader.read(target)) if (r := ref_of(d.data)))
    except (TargetUnreadable, UnparsableError):
        return ()


def _held(found: Found, reader: Reader) -> tuple[str, ...]:
    """The entities of the file a catalog target reached `found` in, in order (what leaves
    the catalog with the target); the walk kept only `found`, so the file is read again (it
    was as the walk saw it: its stamp was checked)."""
    try:
        parsed = parse_facts(reader.read(found.origin))
    except TargetUnreadable:
        return (found.ref,)  # gone since: the one the walk saw
    if isinstance(parsed, Unparsed):
        return (found.ref,)
    return tuple(f.ref for f in parsed if f.ref)


def _find_target(
    catalog: Catalog, value: str, reader: Reader, *, use_cache: bool = True
) -> tuple[str, str, tuple[str, ...]]:
    """The registered target meant by `value`: a target, a path to one, or an entity ref."""
    candidates = [value.strip()]
    if not is_url(value):
        path = Path(value).expanduser()
        absolute = Path(os.path.normpath(path.absolute()))
        candidates += [str(absolute), str(absolute / CATALOG_INFO)]
        if path.exists():
            candidates += [str(path.resolve()), str(path.resolve() / CATALOG_INFO)]
    if isinstance(catalog, RemoteCatalog):
        text, _ = read_catalog(catalog, reader)
        entry = locations.lookup(text, candidates, source=str(catalog))
        del text
    else:
        entry = locations.lookup_file(catalog.path, candidates, use_cache=use_cache)
    if entry is not None:
        return entry.target, entry.type, _refs_in(entry.target, reader)
    try:
        ref = parse_entity_ref(value, default_kind="component")
    except ValueError:
        ref = None
    if ref is not None:
        # Only the documents of that name are kept: at 100,000 entities, not a row per other.
        walked = load(catalog, reader, use_cache=use_cache, keep=_Named(str(ref).lower()))
        # The catalog's own targets that reach it (not a Location's inside another file).
        holders = {f.target.target: f for f in walked.found if f.target.listed_in == walked.catalog}
        if len(holders) > 1:
            raise CatalogTargetError(
                f"{ref} is registered through {len(holders)} targets: {', '.join(holders)}",
                hint="unregister one of those targets by its path or URL",
            )
        if holders:
            ((target, found),) = holders.items()
            return target, found.target.type, _held(found, reader)
    raise CatalogTargetError(
        f"{value} is not registered in {catalog}",
        hint="see `scaffolder catalog list`; give an entity reference, a path or a URL",
    )


def unregister(
    catalog: Catalog,
    value: str,
    *,
    reader: Reader | None = None,
    progress: Progress = SILENT,
    use_cache: bool = True,
) -> CatalogChange:
    """Remove the target meant by ENTITY_REF|TARGET from the catalog.

    An entity reference is looked up by walking the catalog (`use_cache`: with the entity
    cache).
    """
    if reader is None:
        with Reader() as own:
            return unregister(catalog, value, reader=own, progress=progress, use_cache=use_cache)
    target, target_type, entities = _find_target(catalog, value, reader, use_cache=use_cache)
    notes = (
        (
            f"{target} holds {len(entities)} entities; all leave the catalog with it: "
            + ", ".join(entities),
        )
        if len(entities) > 1
        else ()
    )
    if isinstance(catalog, RemoteCatalog):
        from scaffolder.catalog import remote

        def edit(text: str) -> str:
            return locations.edit_unregister(text, target, source=str(catalog))[0]

        pr, changed = remote.propose(
            catalog,
            reader.fetcher(),
            edit,
            title=f"Unregister {target} from the catalog",
            branch_hint="unregister-" + target,
            progress=progress,
        )
        return CatalogChange(
            "unregister", str(catalog), target, target_type, entities, changed, pr, notes
        )
    with progress.step("unregister", f"{target} from {catalog}"):
        changed = locations.unregister(catalog.path, target, use_cache=use_cache)
    return CatalogChange(
        "unregister", str(catalog), target, target_type, entities, changed, None, notes
    )
