"""Edits of catalog text: register and unregister a target, and look targets up.

Pure text in, text out: the local file (`locations.py`) and a catalog repository on GitHub
(`remote.py`) share these edits. Text made only of scaffolder's own documents is read by
`fastscan.py` (one regular expression over the text) instead of PyYAML, with the same
results; anything else takes the PyYAML path (`yamltext.py`).

A change migrates the earlier layout (`yamltext.migrated`): it happens on the next edit that
changes the file (register or unregister, local or in a pull request). Registering a target
already listed changes nothing, so a file is never rewritten just to migrate it. A target can
be unregistered from a hand-written list; a hand-written Location whose single target it is
is refused. Text that cannot be parsed is refused with the line at fault (`yamltext.parse`),
and the result of an edit is checked again before it is returned (`_check_result`,
`_check_cut`: a bug guard).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml

from scaffolder.catalog import fastscan
from scaffolder.catalog.storage import LIMITS
from scaffolder.catalog.yamltext import Doc as _Doc
from scaffolder.catalog.yamltext import LocationEntry, Splice, location_name
from scaffolder.catalog.yamltext import Style as _Style
from scaffolder.catalog.yamltext import document as _document
from scaffolder.catalog.yamltext import entries as _entries
from scaffolder.catalog.yamltext import is_own as _is_own
from scaffolder.catalog.yamltext import line_end as _line_end
from scaffolder.catalog.yamltext import line_start as _line_start
from scaffolder.catalog.yamltext import migrated as _migrated
from scaffolder.catalog.yamltext import parse as _parse
from scaffolder.catalog.yamltext import remove_document as _remove_document
from scaffolder.catalog.yamltext import separator_above as _separator_above
from scaffolder.catalog.yamltext import span_cuts as _span_cuts
from scaffolder.catalog.yamltext import spliced as _spliced
from scaffolder.catalog.yamltext import split as _split
from scaffolder.errors import CatalogFileError

TargetType = Literal["file", "url"]
#: Where a new target goes in an existing list: at the end, or before the first that sorts
#: after it (fewer conflicts between pull requests pending against one catalog file).
Placement = Literal["end", "sorted"]

HEADER = """\
# Backstage catalog locations, managed by scaffolder.
# Point Backstage at this file: catalog.locations: [{type: file, target: <this path>}]
# Comments and hand-written entries are kept.
"""


def _blank(text: str) -> bool:
    """`not text.strip()` without a copy of the text (22 MB at 100,000 targets)."""
    return not text or text.isspace()


def _remove_target(text: str, doc: _Doc, item: yaml.ScalarNode) -> str:
    seq = doc.targets
    if seq is None:  # pragma: no cover -- callers pick documents that have a list
        raise CatalogFileError("internal error: no spec.targets list to edit")
    remaining = [n for n in seq.value if n is not item]
    if seq.flow_style or not remaining:
        # Rewrite the sequence in flow style: `[]` or `["a", "b"]`.
        start = seq.start_mark.index
        end = seq.end_mark.index
        if not seq.flow_style:
            # A block sequence's span runs from its first `-`; start after the key's colon.
            key = doc.targets_key
            if key is None:  # pragma: no cover -- a parsed list always has its key
                raise CatalogFileError("internal error: spec.targets has no key")
            start = text.index(":", key.end_mark.index) + 1
            end = _line_end(text, seq.value[-1].end_mark.index - 1)
            values = " []\n"
        else:
            values = "[" + ", ".join(json.dumps(n.value) for n in remaining) + "]"
        return text[:start] + values + text[end:]
    start = _line_start(text, item.start_mark.index)
    end = _line_end(text, item.end_mark.index - 1)
    return text[:start] + text[end:]


def _later_start(catalog: str | Path, text: str, target: str, fast: bool) -> int | None:
    """Where the first of scaffolder's documents whose target sorts after `target` starts."""
    if fast:
        return next(
            (
                d.start
                for d in fastscan.scan(text, LIMITS) or ()
                if d.target > target and d.name == location_name(d.type, d.target)
            ),
            None,
        )
    later = next(
        (
            d
            for d in _parse(catalog, text)
            if _is_own(d) and d.target is not None and d.target.value > target
        ),
        None,
    )
    return None if later is None else _line_start(text, later.root.start_mark.index)


def _with_target(
    catalog: str | Path,
    text: str,
    target: str,
    target_type: TargetType,
    placement: Placement = "end",
    fast: bool = False,
) -> str:
    return _spliced(text, [_insertion(catalog, text, target, target_type, placement, fast)])


def _insertion(
    catalog: str | Path,
    text: str,
    target: str,
    target_type: TargetType,
    placement: Placement,
    fast: bool,
) -> Splice:
    """Where and what `target`'s new document goes into `text`."""
    block = _document(target_type, target)
    if _blank(text):
        return Splice(0, len(text), HEADER + block)
    if placement == "sorted":
        # Before the first of scaffolder's documents whose target sorts after this one.
        start = _later_start(catalog, text, target, fast)
        if start is not None:
            above = _separator_above(text, start)
            if above is not None:
                return Splice(above, above, "---\n" + block)
            return Splice(start, start, block + "---\n")
    end = len(text)
    return Splice(end, end, ("" if text.endswith("\n") else "\n") + "---\n" + block)


def _without_target(catalog: str | Path, text: str, target: str) -> tuple[str, bool]:
    for doc in _parse(catalog, text):
        for item in doc.targets.value if doc.targets is not None else ():
            if isinstance(item, yaml.ScalarNode) and item.value == target:
                return _remove_target(text, doc, item), True
        if doc.target is not None and doc.target.value == target:
            if _is_own(doc):
                return _remove_document(text, doc), True
            raise _hand_written(catalog, target, doc.target.start_mark.line + 1, doc.name)
    return text, False


def _hand_written(catalog: str | Path, target: str, line: int, name: str) -> CatalogFileError:
    return CatalogFileError(
        f"{catalog}:{line}: {target} is the single target of the hand-written Location {name!r}",
        hint="remove that Location document by hand",
    )


def edit_register(
    text: str,
    target: str,
    *,
    target_type: TargetType,
    replaces: tuple[str, ...] = (),
    source: str | Path = "<catalog>",
    placement: Placement = "end",
) -> str:
    """The catalog text with `target` added and `replaces` dropped; `text` itself if unchanged.

    Pure text in, text out: the local file and a catalog repository on GitHub share it.
    `source` names the file in error messages. A change migrates the earlier layout.
    """
    original = text
    text, style = _split(text)
    fast = _fast_register(source, text, target, target_type, replaces, placement)
    if fast is not None:
        return style.apply(_spliced(text, fast)) if fast else original
    return slow_register(source, original, text, style, target, target_type, replaces, placement)


def _fast_register(
    source: str | Path,
    text: str,
    target: str,
    target_type: TargetType,
    replaces: tuple[str, ...],
    placement: Placement,
) -> tuple[Splice, ...] | None:
    """The change registering `target` makes to text in scaffolder's own layout (none: it is
    listed), checked; None for any other text (or one of `replaces` listed): the full path."""
    if fastscan.verify(text, LIMITS) is None:
        return None
    return register_in_layout(source, text, target, target_type, replaces, placement)


def register_in_layout(
    source: str | Path,
    text: str,
    target: str,
    target_type: TargetType,
    replaces: tuple[str, ...],
    placement: Placement,
) -> tuple[Splice, ...] | None:
    """`_fast_register` of text known to be in the layout (`fastscan.verify`)."""
    if any(fastscan.find(text, old) for old in replaces if old != target):
        return None
    # scaffolder's own layout, nothing to drop: no migration, one pass, one insertion.
    if fastscan.find(text, target, kind=target_type) is not None:
        return ()
    insertion = _insertion(source, text, target, target_type, placement, fast=True)
    if not _blank(text) and insertion.start == len(text) and text.endswith("\n"):
        # Appended to a file just checked whole: the guard needs to read the new end only.
        _check_result(source, insertion.new, target)
    else:
        _check_result(source, _spliced(text, [insertion]), target)
    return (insertion,)


def slow_register(
    source: str | Path,
    original: str,
    text: str,
    style: _Style,
    target: str,
    target_type: TargetType,
    replaces: tuple[str, ...],
    placement: Placement,
) -> str:
    entries = list(_entries(_parse(source, text)))
    listed = {e.target for e in entries}
    present = any(e.target == target and e.type == target_type for e in entries)
    dropping = [old for old in replaces if old != target and old in listed]
    if present and not dropping:
        return original
    text = _migrated(source, text)
    for old in dropping:
        text, _ = _without_target(source, text, old)
    if not any(
        e.target == target and e.type == target_type for e in _entries(_parse(source, text))
    ):
        text = _with_target(source, text, target, target_type, placement)
    _check_result(source, text, target)
    return style.apply(text)


def edit_unregister(
    text: str, target: str, *, source: str | Path = "<catalog>"
) -> tuple[str, bool]:
    """The catalog text without `target`, and whether it was there. Migrates the old layout."""
    body, style = _split(text)
    cuts = _fast_unregister(source, body, target)
    if cuts is not None:
        return (style.apply(_spliced(body, cuts)), True) if cuts else (text, False)
    return slow_unregister(source, text, body, style, target)


def _fast_unregister(source: str | Path, body: str, target: str) -> tuple[Splice, ...] | None:
    """What removing `target` cuts from text in scaffolder's own layout (nothing: it is not
    listed), checked; None for any other text: the full path."""
    if fastscan.verify(body, LIMITS) is None:
        return None
    return unregister_in_layout(source, body, target)


def unregister_in_layout(source: str | Path, body: str, target: str) -> tuple[Splice, ...]:
    """`_fast_unregister` of text known to be in the layout (`fastscan.verify`)."""
    doc = fastscan.find(body, target)
    if doc is None:
        return ()
    if doc.name != location_name(doc.type, doc.target):
        raise _hand_written(source, target, doc.line, doc.name)
    cuts = _span_cuts(body, doc.start, doc.end)
    _check_cut(source, body, cuts)
    return cuts


def _check_cut(source: str | Path, body: str, cuts: tuple[Splice, ...]) -> None:
    """The bug guard for a document cut from text `verify` accepted: the text around the cut,
    from the document before it to the one after it, must still be in scaffolder's layout with
    one document fewer (the rest is as checked: a file of the layout's units joined at their
    documents' ends is in the layout)."""
    low = body.rfind("\napiVersion: ", 0, cuts[0].start) + 1
    after = body.find(fastscan.TARGET_KEY, cuts[-1].end)
    high = len(body) if after == -1 else _line_end(body, after + 1)
    window = _spliced(body[low:high], [Splice(s - low, e - low) for s, e, _ in cuts])
    count = fastscan.verify(window, LIMITS)
    if count is None or count != body.count(fastscan.TARGET_KEY, low, high) - 1:  # pragma: no cover
        raise CatalogFileError(f"refusing to write {source}: the edit broke it")


def slow_unregister(
    source: str | Path, text: str, body: str, style: _Style, target: str
) -> tuple[str, bool]:
    if target not in {e.target for e in _entries(_parse(source, body))}:
        return text, False
    new, found = _without_target(source, _migrated(source, body), target)
    if not found:  # pragma: no cover -- it was listed before the migration
        return text, False
    _check_result(source, new, None)
    return style.apply(new), True


def entries_in(text: str, *, source: str | Path = "<catalog>") -> list[LocationEntry]:
    """Every target in catalog text; raises CatalogFileError naming the line if it is broken."""
    body = _split(text)[0]
    fast = fastscan.scan_as(body, LIMITS, LocationEntry)
    if fast is not None:
        return fast
    return list(_entries(_parse(source, body)))


def fast_entries(text: str) -> list[LocationEntry] | None:
    """Every target in catalog text when it is all in scaffolder's own layout, else None."""
    return fastscan.scan_as(_split(text)[0], LIMITS, LocationEntry)


def lookup(
    text: str, targets: Sequence[str], *, source: str | Path = "<catalog>"
) -> LocationEntry | None:
    """The entry of the first of `targets` that catalog text lists (the last entry of it, if
    it is listed twice); None when it lists none of them."""
    body = _split(text)[0]
    return lookup_body(body, targets, source, fastscan.verify(body, LIMITS) is not None)


def lookup_body(
    body: str, targets: Sequence[str], source: str | Path, in_layout: bool
) -> LocationEntry | None:
    if in_layout:
        for target in targets:
            if (doc := fastscan.find(body, target, last=True)) is not None:
                return LocationEntry(doc.type, doc.target, doc.line, doc.name)
        return None
    by_target = {e.target: e for e in _entries(_parse(source, body))}
    return next((by_target[t] for t in targets if t in by_target), None)


def fast_documents(text: str) -> list[fastscan.FastDoc] | None:
    """Catalog text's documents when it is all in scaffolder's own layout, else None."""
    return fastscan.scan(_split(text)[0], LIMITS)


def own_document(doc: fastscan.FastDoc | LocationEntry) -> dict[str, Any]:
    """What PyYAML reads from one document `fastscan` found: the template, filled in."""
    name = doc.name if isinstance(doc, fastscan.FastDoc) else doc.location
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": name, "description": "Registered by scaffolder"},
        "spec": {"type": doc.type, "target": doc.target},
    }


def _check_result(catalog: str | Path, text: str, must_hold: str | None) -> None:
    """Refuse to write a file that does not parse or lost its new target: a bug guard."""
    if fastscan.verify(text, LIMITS) is not None:
        if must_hold is not None and fastscan.find(text, must_hold) is None:  # pragma: no cover
            raise CatalogFileError(f"refusing to write {catalog}: the edit lost {must_hold}")
        return
    try:
        entries = list(_entries(_parse(catalog, text)))
    except CatalogFileError as exc:  # pragma: no cover -- would be a bug in the text edits
        raise CatalogFileError(f"refusing to write {catalog}: the edit broke it ({exc})") from exc
    if must_hold is not None and must_hold not in {e.target for e in entries}:  # pragma: no cover
        raise CatalogFileError(f"refusing to write {catalog}: the edit lost {must_hold}")
