"""The catalog file: a multi-document YAML file of Backstage `Location` entities.

Backstage reads it through `catalog.locations` (type `file`). scaffolder writes one Location
document per registered target (`spec.type` `file` for local projects, `url` for published
ones, `spec.target` the project's catalog-info.yaml), named after the target
(`location_name`). Backstage fails a whole Location document when one of its targets cannot be
read, so one deleted project hides only its own component, never its neighbours'.

Files written by earlier versions (one `scaffolder-file-targets` / `scaffolder-url-targets`
document listing every target) stay readable, and are migrated on the next edit that changes
the file (register or unregister, local or in a pull request): each listed target becomes its
own document, in place and in order, with the comments of the list kept above the document
of the target they were above. Registering a target already listed changes nothing, so a
file is never rewritten just to migrate it. Hand-written Location documents are read too and
left as they are (a target can be unregistered from a hand-written list).

Edits are made on the text, guided by the positions PyYAML's parser reports, so comments,
order and formatting survive. Each write is atomic (temp file, then `os.replace`) and happens
under a lock, so concurrent registrations neither lose entries nor corrupt the file. The
result is parsed again before it replaces the original; a file that cannot be parsed is refused
with the line at fault and left untouched. A file made only of scaffolder's own documents is
read by `fastscan.py` (one regular expression over the text) instead of PyYAML, with the same
results; anything else takes the PyYAML path.

Reading and writing the file (lock, symlinks, modes, atomic replace, failures) is
`catalog/storage.py`. The text edits here keep CRLF line endings and a UTF-8 byte order mark,
and refuse a duplicate mapping key with its line (PyYAML would silently keep the last, and
Backstage's parser rejects the document); size, depth and aliases are capped (`datafiles`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml

from scaffolder import datafiles
from scaffolder.catalog import fastscan
from scaffolder.catalog.checked import LayoutCheck
from scaffolder.catalog.storage import BOM as _BOM
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

_LOCATION_TEMPLATE = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: {name}
  description: Registered by scaffolder
spec:
  type: {type}
  target: {target}
"""
#: The documents of the earlier layout: one per target type, listing every target.
_OLD_NAMES = {f"scaffolder-{t}-targets" for t in ("file", "url")}


def location_name(target_type: str, target: str) -> str:
    """The Location document's `metadata.name` for one target: readable, unique, valid.

    Backstage names are `[a-zA-Z0-9]` runs joined by `-`, `_` or `.`, at most 63 characters:
    `scaffolder-` + a slug of the project (its folder, or OWNER-REPO of a GitHub URL) + a
    digest of type and target, so two targets never share a name.
    """
    where = target.split("://", 1)[-1]
    where = re.split(r"/(?:blob|tree|raw)/", where, maxsplit=1)[0]
    parts = [p for p in where.split("/") if p and p not in (".", "..")]
    if parts and re.search(r"\.ya?ml$", parts[-1]):
        parts = parts[:-1]
    keep = parts[-2:] if "://" in target else parts[-1:]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(keep).lower()).strip("-")[:38].strip("-")
    digest = hashlib.sha256(f"{target_type}\0{target}".encode()).hexdigest()[:10]
    return "-".join(p for p in ("scaffolder", slug, digest) if p)


def _document(target_type: str, target: str) -> str:
    name = location_name(target_type, target)
    return _LOCATION_TEMPLATE.format(name=name, type=target_type, target=_scalar(target))


try:
    _Loader: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover -- PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class _Style:
    """What the edits must keep of a file's bytes: its byte order mark and CRLF endings."""

    bom: bool
    crlf: bool

    def apply(self, body: str) -> str:
        return (_BOM if self.bom else "") + self.apply_inside(body)

    def apply_inside(self, part: str) -> str:
        """A part of the body as it goes into the file (the BOM is at its start only)."""
        return part.replace("\n", "\r\n") if self.crlf else part


def _split(text: str) -> tuple[str, _Style]:
    """The text to edit (LF endings, no BOM) and the style to give the result back.

    A file whose every line ends in CRLF is edited as LF and written back as CRLF; a file
    with mixed endings is edited as it is (its CRs stay where they are).
    """
    bom = text.startswith(_BOM)
    body = text.removeprefix(_BOM)
    # `"\r" in` first: one byte is searched many times faster than two (40 ms at 20 MB).
    crlf = "\r" in body and "\r\n" in body and body.count("\n") == body.count("\r\n")
    return (body.replace("\r\n", "\n") if crlf else body), _Style(bom, crlf)


class LocationEntry(NamedTuple):
    """One target of one Location document."""

    type: str
    target: str
    #: 1-based line of the target in the catalog file.
    line: int
    #: metadata.name of the Location document holding it.
    location: str


@dataclass
class _Doc:
    root: yaml.MappingNode
    spec_type: str
    name: str
    targets_key: yaml.ScalarNode | None
    targets: yaml.SequenceNode | None
    target: yaml.ScalarNode | None


def _get(node: yaml.MappingNode, key: str) -> tuple[yaml.ScalarNode | None, yaml.Node | None]:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None, None


def _where(path: str | Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _parse(path: str | Path, text: str) -> list[_Doc]:
    try:
        # Depth and aliases are checked on the parser's events, before composing.
        datafiles.check_yaml(text, LIMITS)
        roots = list(yaml.compose_all(text, Loader=_Loader))
    except datafiles.Refused as exc:
        line = f":{exc.line}" if exc.line else ""
        raise CatalogFileError(
            f"{path}{line}: {exc.reason}" + (f": {exc.detail}" if exc.detail else ""),
            hint="fix the file by hand (it was left untouched), or point --catalog elsewhere",
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CatalogFileError(
            f"{path}{line}: not valid YAML: {exc.problem or exc}",
            hint="fix the file by hand (it was left untouched), or point --catalog elsewhere",
        ) from exc
    docs: list[_Doc] = []
    for root in roots:
        if root is None:
            continue
        if duplicate := datafiles.duplicate_key(root):
            raise CatalogFileError(
                f"{path}:{duplicate.line}: duplicate key {duplicate.key!r} "
                f"(first at line {duplicate.first_line})",
                hint="keep one of them, by hand (the file was left untouched): PyYAML would "
                "read only the last, and Backstage rejects the document",
            )
        if not isinstance(root, yaml.MappingNode):
            raise CatalogFileError(
                f"{_where(path, root)}: a catalog document must be a mapping (a Location entity)"
            )
        _, kind = _get(root, "kind")
        if not isinstance(kind, yaml.ScalarNode) or kind.value != "Location":
            raise CatalogFileError(
                f"{_where(path, root)}: expected a Location entity (kind: Location)",
                hint="the catalog file lists Location entities only; fix it by hand "
                "(it was left untouched)",
            )
        _, meta = _get(root, "metadata")
        _, name = _get(meta, "name") if isinstance(meta, yaml.MappingNode) else (None, None)
        _, spec = _get(root, "spec")
        if not isinstance(spec, yaml.MappingNode):
            raise CatalogFileError(f"{_where(path, root)}: a Location needs a spec mapping")
        _, spec_type = _get(spec, "type")
        targets_key, targets = _get(spec, "targets")
        _, target = _get(spec, "target")
        if targets is not None and not (
            isinstance(targets, yaml.SequenceNode)
            or (isinstance(targets, yaml.ScalarNode) and targets.value in ("", "~", "null"))
        ):
            raise CatalogFileError(f"{_where(path, targets)}: spec.targets must be a list")
        if targets is not None and not isinstance(targets, yaml.SequenceNode):
            targets = None
        if target is not None and not isinstance(target, yaml.ScalarNode):
            raise CatalogFileError(f"{_where(path, target)}: spec.target must be a string")
        docs.append(
            _Doc(
                root=root,
                spec_type=spec_type.value if isinstance(spec_type, yaml.ScalarNode) else "url",
                name=name.value if isinstance(name, yaml.ScalarNode) else "",
                targets_key=targets_key,
                targets=targets,
                target=target,
            )
        )
    return docs


def _entries(docs: list[_Doc]) -> Iterator[LocationEntry]:
    for doc in docs:
        if doc.target is not None:
            line = doc.target.start_mark.line + 1
            yield LocationEntry(doc.spec_type, doc.target.value, line, doc.name)
        for item in doc.targets.value if doc.targets is not None else ():
            if isinstance(item, yaml.ScalarNode):
                yield LocationEntry(doc.spec_type, item.value, item.start_mark.line + 1, doc.name)


def read_entries(catalog: Path) -> list[LocationEntry]:
    """Every target in the catalog file; an absent file has none."""
    return entries_in(read_text(catalog), source=catalog)


def _scalar(value: str) -> str:
    """A YAML scalar for `value` that reads back as exactly `value`."""
    plain = yaml.safe_dump(value, default_flow_style=True, width=1 << 20)
    plain = plain.removesuffix("\n...\n").removesuffix("\n")
    return plain if "\n" not in plain else json.dumps(value)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end + 1


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node a document's last line ends with (its trailing comments are not part of it)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _span(text: str, doc: _Doc) -> tuple[int, int]:
    """Where a document's lines are: from its first key to the end of its last value's line."""
    start = _line_start(text, doc.root.start_mark.index)
    leaf = _last_leaf(doc.root)
    return start, _line_end(text, max(leaf.end_mark.index - 1, start))


def _is_separator(line: str) -> bool:
    return line.rstrip() == "---" or line.startswith("--- ")


def _separator_above(text: str, start: int) -> int | None:
    """The start of the `---` line above the document at `start`, past its comment lines."""
    at = start
    while at > 0:
        above = _line_start(text, at - 1)
        line = text[above:at]
        if _is_separator(line):
            return above
        if line.strip() and not line.lstrip().startswith("#"):
            return None
        at = above
    return None


def _remove_document(text: str, doc: _Doc) -> str:
    """`text` without one document and one of the `---` separating it; comments stay."""
    return _remove_span(text, *_span(text, doc))


def _blank(text: str) -> bool:
    """`not text.strip()` without a copy of the text (22 MB at 100,000 targets)."""
    return not text or text.isspace()


class Splice(NamedTuple):
    """One change of a text: `text[start:end]` becomes `new`."""

    start: int
    end: int
    new: str = ""


def _spliced(text: str, splices: Sequence[Splice]) -> str:
    """`text` with `splices` (in order, not overlapping) made."""
    parts: list[str] = []
    at = 0
    for start, end, new in splices:
        parts += (text[at:start], new)
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _remove_span(text: str, start: int, end: int) -> str:
    """`text` without the document at `text[start:end]` and one `---` next to it."""
    return _spliced(text, _span_cuts(text, start, end))


def _span_cuts(text: str, start: int, end: int) -> tuple[Splice, ...]:
    """What removing the document at `text[start:end]` and one `---` next to it cuts."""
    above = _separator_above(text, start)
    if above is not None:
        return Splice(above, _line_end(text, above)), Splice(start, end)
    at = end  # the first document: drop the separator below it instead
    while at < len(text):
        line_end = _line_end(text, at)
        line = text[at:line_end]
        if _is_separator(line):
            return Splice(start, end), Splice(at, line_end)
        if line.strip() and not line.lstrip().startswith("#"):
            break
        at = line_end
    return (Splice(start, end),)


def _is_own(doc: _Doc) -> bool:
    """A one-target Location that scaffolder wrote (its name is the one it gives the target)."""
    return doc.target is not None and doc.name == location_name(doc.spec_type, doc.target.value)


def _comment_lines(chunk: str) -> str:
    """The full-line comments in `chunk`, unindented (they move to the top level)."""
    lines = (line.lstrip() for line in chunk.splitlines(keepends=True))
    return "".join(line for line in lines if line.startswith("#"))


def _migrate_one(text: str, doc: _Doc) -> str | None:
    """One earlier-layout document split into one document per target; None if it cannot be."""
    items = doc.targets.value if doc.targets is not None else []
    if not all(isinstance(item, yaml.ScalarNode) for item in items):
        return None  # something hand-edited into the list: leave it for a person to look at
    if not items:
        return _remove_document(text, doc)
    start, end = _span(text, doc)
    key = doc.targets_key
    previous = _line_end(text, key.end_mark.index) if key is not None else start
    lead = _comment_lines(text[start:previous])
    parts: list[str] = []
    seen: set[str] = set()
    for item in items:
        line = _line_start(text, item.start_mark.index)
        above = _comment_lines(text[previous:line])
        previous = _line_end(text, item.end_mark.index - 1)
        inline = text[item.end_mark.index : previous].strip()
        if item.value in seen:
            lead += above + (f"{inline}\n" if inline.startswith("#") else "")
            continue
        seen.add(item.value)
        note = f"{inline}\n" if inline.startswith("#") else ""
        parts.append(above + note + _document(doc.spec_type, item.value))
    return text[:start] + lead + "---\n".join(parts) + text[end:]


def _migrated(source: str | Path, text: str) -> str:
    """`text` with every document of the earlier layout split into one per target."""
    done: set[int] = set()
    while True:
        docs = _parse(source, text)
        old = next(
            (
                d
                for d in docs
                if d.name in _OLD_NAMES
                and d.target is None
                and d.targets_key is not None
                and d.root.start_mark.index not in done
            ),
            None,
        )
        if old is None:
            return text
        migrated = _migrate_one(text, old)
        if migrated is None:
            done.add(old.root.start_mark.index)
        else:
            text = migrated


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
    return _slow_register(source, original, text, style, target, target_type, replaces, placement)


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
    return _register_in_layout(source, text, target, target_type, replaces, placement)


def _register_in_layout(
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


def _slow_register(
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
    return _slow_unregister(source, text, body, style, target)


def _fast_unregister(source: str | Path, body: str, target: str) -> tuple[Splice, ...] | None:
    """What removing `target` cuts from text in scaffolder's own layout (nothing: it is not
    listed), checked; None for any other text: the full path."""
    if fastscan.verify(body, LIMITS) is None:
        return None
    return _unregister_in_layout(source, body, target)


def _unregister_in_layout(source: str | Path, body: str, target: str) -> tuple[Splice, ...]:
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


def _slow_unregister(
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
    return _lookup(body, targets, source, fastscan.verify(body, LIMITS) is not None)


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


def _lookup(
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
