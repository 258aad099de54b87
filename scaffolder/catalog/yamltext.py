"""The catalog file's text as PyYAML reads it: documents, spans, splices, and migration.

A catalog file holds one Backstage `Location` document per registered target (`spec.type`
`file` for local projects, `url` for published ones, `spec.target` the project's
catalog-info.yaml), named after the target (`location_name`) and written from one template
(`document`). Backstage fails a whole Location document when one of its targets cannot be
read, so one deleted project hides only its own component, never its neighbours'.

`parse` reads the text with PyYAML's composer and keeps the positions its parser reports, so
`edits.py` can change the text itself and comments, order and formatting survive. It refuses a
duplicate mapping key with its line (PyYAML would silently keep the last, and Backstage's
parser rejects the document); size, depth and aliases are capped (`datafiles`). `split` and
`Style` keep CRLF line endings and a UTF-8 byte order mark. The text primitives here find a
document's lines (`span_cuts`, `separator_above`) and make changes (`Splice`, `spliced`).

Files written by earlier versions (one `scaffolder-file-targets` / `scaffolder-url-targets`
document listing every target) stay readable; `migrated` splits each such document so that
each listed target becomes its own document, in place and in order, with the comments of the
list kept above the document of the target they were above. Hand-written Location documents
are read too and left as they are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

from scaffolder import datafiles
from scaffolder.catalog.storage import BOM as _BOM
from scaffolder.catalog.storage import LIMITS
from scaffolder.errors import CatalogFileError

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


def document(target_type: str, target: str) -> str:
    name = location_name(target_type, target)
    return _LOCATION_TEMPLATE.format(name=name, type=target_type, target=_scalar(target))


try:
    _Loader: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover -- PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Style:
    """What the edits must keep of a file's bytes: its byte order mark and CRLF endings."""

    bom: bool
    crlf: bool

    def apply(self, body: str) -> str:
        return (_BOM if self.bom else "") + self.apply_inside(body)

    def apply_inside(self, part: str) -> str:
        """A part of the body as it goes into the file (the BOM is at its start only)."""
        return part.replace("\n", "\r\n") if self.crlf else part


def split(text: str) -> tuple[str, Style]:
    """The text to edit (LF endings, no BOM) and the style to give the result back.

    A file whose every line ends in CRLF is edited as LF and written back as CRLF; a file
    with mixed endings is edited as it is (its CRs stay where they are).
    """
    bom = text.startswith(_BOM)
    body = text.removeprefix(_BOM)
    # `"\r" in` first: one byte is searched many times faster than two (40 ms at 20 MB).
    crlf = "\r" in body and "\r\n" in body and body.count("\n") == body.count("\r\n")
    return (body.replace("\r\n", "\n") if crlf else body), Style(bom, crlf)


class LocationEntry(NamedTuple):
    """One target of one Location document."""

    type: str
    target: str
    #: 1-based line of the target in the catalog file.
    line: int
    #: metadata.name of the Location document holding it.
    location: str


@dataclass
class Doc:
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


def parse(path: str | Path, text: str) -> list[Doc]:
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
    docs: list[Doc] = []
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
            Doc(
                root=root,
                spec_type=spec_type.value if isinstance(spec_type, yaml.ScalarNode) else "url",
                name=name.value if isinstance(name, yaml.ScalarNode) else "",
                targets_key=targets_key,
                targets=targets,
                target=target,
            )
        )
    return docs


def entries(docs: list[Doc]) -> Iterator[LocationEntry]:
    for doc in docs:
        if doc.target is not None:
            line = doc.target.start_mark.line + 1
            yield LocationEntry(doc.spec_type, doc.target.value, line, doc.name)
        for item in doc.targets.value if doc.targets is not None else ():
            if isinstance(item, yaml.ScalarNode):
                yield LocationEntry(doc.spec_type, item.value, item.start_mark.line + 1, doc.name)


def _scalar(value: str) -> str:
    """A YAML scalar for `value` that reads back as exactly `value`."""
    plain = yaml.safe_dump(value, default_flow_style=True, width=1 << 20)
    plain = plain.removesuffix("\n...\n").removesuffix("\n")
    return plain if "\n" not in plain else json.dumps(value)


def line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end + 1


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node a document's last line ends with (its trailing comments are not part of it)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _span(text: str, doc: Doc) -> tuple[int, int]:
    """Where a document's lines are: from its first key to the end of its last value's line."""
    start = line_start(text, doc.root.start_mark.index)
    leaf = _last_leaf(doc.root)
    return start, line_end(text, max(leaf.end_mark.index - 1, start))


def _is_separator(line: str) -> bool:
    return line.rstrip() == "---" or line.startswith("--- ")


def separator_above(text: str, start: int) -> int | None:
    """The start of the `---` line above the document at `start`, past its comment lines."""
    at = start
    while at > 0:
        above = line_start(text, at - 1)
        line = text[above:at]
        if _is_separator(line):
            return above
        if line.strip() and not line.lstrip().startswith("#"):
            return None
        at = above
    return None


def remove_document(text: str, doc: Doc) -> str:
    """`text` without one document and one of the `---` separating it; comments stay."""
    return _remove_span(text, *_span(text, doc))


class Splice(NamedTuple):
    """One change of a text: `text[start:end]` becomes `new`."""

    start: int
    end: int
    new: str = ""


def spliced(text: str, splices: Sequence[Splice]) -> str:
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
    return spliced(text, span_cuts(text, start, end))


def span_cuts(text: str, start: int, end: int) -> tuple[Splice, ...]:
    """What removing the document at `text[start:end]` and one `---` next to it cuts."""
    above = separator_above(text, start)
    if above is not None:
        return Splice(above, line_end(text, above)), Splice(start, end)
    at = end  # the first document: drop the separator below it instead
    while at < len(text):
        stop = line_end(text, at)
        line = text[at:stop]
        if _is_separator(line):
            return Splice(start, end), Splice(at, stop)
        if line.strip() and not line.lstrip().startswith("#"):
            break
        at = stop
    return (Splice(start, end),)


def is_own(doc: Doc) -> bool:
    """A one-target Location that scaffolder wrote (its name is the one it gives the target)."""
    return doc.target is not None and doc.name == location_name(doc.spec_type, doc.target.value)


def _comment_lines(chunk: str) -> str:
    """The full-line comments in `chunk`, unindented (they move to the top level)."""
    lines = (line.lstrip() for line in chunk.splitlines(keepends=True))
    return "".join(line for line in lines if line.startswith("#"))


def _migrate_one(text: str, doc: Doc) -> str | None:
    """One earlier-layout document split into one document per target; None if it cannot be."""
    items = doc.targets.value if doc.targets is not None else []
    if not all(isinstance(item, yaml.ScalarNode) for item in items):
        return None  # something hand-edited into the list: leave it for a person to look at
    if not items:
        return remove_document(text, doc)
    start, end = _span(text, doc)
    key = doc.targets_key
    previous = line_end(text, key.end_mark.index) if key is not None else start
    lead = _comment_lines(text[start:previous])
    parts: list[str] = []
    seen: set[str] = set()
    for item in items:
        line = line_start(text, item.start_mark.index)
        above = _comment_lines(text[previous:line])
        previous = line_end(text, item.end_mark.index - 1)
        inline = text[item.end_mark.index : previous].strip()
        if item.value in seen:
            lead += above + (f"{inline}\n" if inline.startswith("#") else "")
            continue
        seen.add(item.value)
        note = f"{inline}\n" if inline.startswith("#") else ""
        parts.append(above + note + document(doc.spec_type, item.value))
    return text[:start] + lead + "---\n".join(parts) + text[end:]


def migrated(source: str | Path, text: str) -> str:
    """`text` with every document of the earlier layout split into one per target."""
    done: set[int] = set()
    while True:
        docs = parse(source, text)
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
        one = _migrate_one(text, old)
        if one is None:
            done.add(old.root.start_mark.index)
        else:
            text = one
