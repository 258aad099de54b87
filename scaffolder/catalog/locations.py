"""The catalog file: a multi-document YAML file of Backstage `Location` entities.

Backstage reads it through `catalog.locations` (type `file`). scaffolder writes one Location
document per registered target, named after the target (`location_name`); files written by
earlier versions are read and migrated on the next edit that changes the file. This module is
the public entry point: the file operations that lock, read and write the catalog
(`register`, `unregister`, `read_entries`, `lookup_file`), and the names of the modules below
it, re-exported. The text edits are `edits.py` (register, unregister, lookups, on text), over
`yamltext.py` (PyYAML reading and the text primitives: documents, spans, splices, migration).

Each write is atomic (temp file, then `os.replace`) and happens under a lock, so concurrent
registrations neither lose entries nor corrupt the file; a file that cannot be parsed is
refused with the line at fault and left untouched. Reading and writing the file (lock,
symlinks, modes, atomic replace, failures) is `catalog/storage.py`. In scaffolder's own
layout a local edit copies the unchanged bytes from the file read and writes only the new
ones (`_write`), and a file known to be in the layout (`checked.py`) is not checked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scaffolder.catalog import fastscan
from scaffolder.catalog.checked import LayoutCheck

# Re-exported (the names without an underscore): the edits and lookups of catalog text, and
# the names they use (`yamltext.py`).
from scaffolder.catalog.edits import HEADER as HEADER
from scaffolder.catalog.edits import Placement as Placement
from scaffolder.catalog.edits import TargetType as TargetType
from scaffolder.catalog.edits import edit_register as edit_register
from scaffolder.catalog.edits import edit_unregister as edit_unregister
from scaffolder.catalog.edits import entries_in as entries_in
from scaffolder.catalog.edits import fast_documents as fast_documents
from scaffolder.catalog.edits import fast_entries as fast_entries
from scaffolder.catalog.edits import lookup as lookup
from scaffolder.catalog.edits import lookup_body as _lookup
from scaffolder.catalog.edits import own_document as own_document
from scaffolder.catalog.edits import register_in_layout as _register_in_layout
from scaffolder.catalog.edits import slow_register as _slow_register
from scaffolder.catalog.edits import slow_unregister as _slow_unregister
from scaffolder.catalog.edits import unregister_in_layout as _unregister_in_layout
from scaffolder.catalog.storage import (
    LIMITS,
    Original,
    Piece,
    opened,
    refuse_read_only,
    write_atomic,
    write_pieces,
)

# Re-exported: callers read the catalog through `locations.read_text`, and may hold its lock.
from scaffolder.catalog.storage import locked as locked
from scaffolder.catalog.storage import read_text as read_text
from scaffolder.catalog.yamltext import LocationEntry as LocationEntry
from scaffolder.catalog.yamltext import Splice as Splice
from scaffolder.catalog.yamltext import Style as _Style
from scaffolder.catalog.yamltext import location_name as location_name
from scaffolder.catalog.yamltext import spliced as _spliced
from scaffolder.catalog.yamltext import split as _split


def read_entries(catalog: Path) -> list[LocationEntry]:
    """Every target in the catalog file; an absent file has none."""
    return entries_in(read_text(catalog), source=catalog)


def lookup_file(
    catalog: Path, targets: Sequence[str], *, use_cache: bool = True
) -> LocationEntry | None:
    """`lookup` in a local catalog file; a file known to be in scaffolder's layout
    (`checked.py`: by the digest of its bytes) is not checked again."""
    with opened(catalog) as read:
        body = _split(read.text)[0]
        check = LayoutCheck(read.data, LIMITS.max_values, enabled=use_cache)
        count = check.count(lambda: fastscan.verify(body, LIMITS))
        check.save()
    return _lookup(body, targets, catalog, count is not None)


def register(
    catalog: Path,
    target: str,
    *,
    target_type: TargetType,
    replaces: tuple[str, ...] = (),
) -> bool:
    """Add `target` to the catalog, dropping any of `replaces`. Returns whether it changed.

    Idempotent: a target already listed with the same type is left alone.
    """
    with locked(catalog) as path, opened(path) as read:
        body, style = _split(read.text)
        check = LayoutCheck(read.data, LIMITS.max_values)
        count = check.count(lambda: fastscan.verify(body, LIMITS))
        fast = None
        if count is not None:
            fast = _register_in_layout(catalog, body, target, target_type, replaces, "end")
        if fast is not None and count is not None:
            if fast:
                refuse_read_only(catalog, path)
                check.wrote(_write(catalog, path, read, body, style, fast), count + 1)
            check.save()
            return bool(fast)
        text = _slow_register(catalog, read.text, body, style, target, target_type, replaces, "end")
        if text == read.text:
            return False
        refuse_read_only(catalog, path)
        write_atomic(catalog, path, text)
        return True


def unregister(catalog: Path, target: str, *, use_cache: bool = True) -> bool:
    """Remove `target` from the catalog. Returns whether it was there.

    `use_cache`: with the cache of catalog texts known to be in scaffolder's layout.
    """
    with locked(catalog) as path, opened(path) as read:
        body, style = _split(read.text)
        check = LayoutCheck(read.data, LIMITS.max_values, enabled=use_cache)
        count = check.count(lambda: fastscan.verify(body, LIMITS))
        if count is not None:
            cuts = _unregister_in_layout(catalog, body, target)
            if cuts:
                refuse_read_only(catalog, path)
                check.wrote(_write(catalog, path, read, body, style, cuts), count - 1)
            check.save()
            return bool(cuts)
        text, found = _slow_unregister(catalog, read.text, body, style, target)
        if found:
            refuse_read_only(catalog, path)
            write_atomic(catalog, path, text)
        return found


def _write(
    catalog: Path,
    path: Path,
    read: Original,
    body: str,
    style: _Style,
    splices: Sequence[Splice],
) -> list[Piece]:
    """Write `body` with `splices` made, in `style`: the unchanged bytes copied from the file
    read, when offsets in `body` map simply onto its bytes (ASCII text). Returns what was
    written, as pieces of the file read."""
    pieces: list[Piece]
    if read.source is None or not body.isascii():
        pieces = [style.apply(_spliced(body, splices)).encode("utf-8")]
        write_pieces(catalog, path, pieces, None)
        return pieces

    def offset(at: int) -> int:  # a BOM is 3 bytes; CRLF adds one per line above
        return (3 if style.bom else 0) + at + (body.count("\n", 0, at) if style.crlf else 0)

    pieces = []
    low = 0  # the first range starts with the BOM, if any
    for start, end, new in splices:
        pieces += [(low, offset(start)), style.apply_inside(new).encode()]
        low = offset(end)
    pieces.append((low, offset(len(body))))
    write_pieces(catalog, path, pieces, read.source)
    return pieces
