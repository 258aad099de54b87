"""The catalog file read without PyYAML, when it is exactly in the shape scaffolder writes.

At 100,000 targets the catalog file is some 20 MB of one-target Location documents; composing
it with PyYAML takes seconds, and `register` used to do it three times. Every document
scaffolder writes is the same eight lines (`locations._LOCATION_TEMPLATE`) with a plain name,
type and target, so a file made only of those documents, `---` separators, comments and blank
lines is read here with one regular expression per document.

Anything else (a hand-written document, the earlier layout, a quoted or unusual value, a
flow collection, tabs, a directive, an odd line break or control character, a `---` with
something after it, too many values for the caps) returns None, and the caller takes the full
PyYAML path, which reports errors with their lines. For what this accepts, both paths give the
same entries, lines and spans (tests/test_catalog_fastscan.py compares them on generated
files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scaffolder import datafiles

#: One document as `locations._document` writes it. The name is always text for YAML (it
#: starts with `scaffolder-`); so is the target: plain characters only, with a `/` (no YAML
#: 1.1 implicit type matches text holding one), not ending in `:`.
_DOC = re.compile(
    r"apiVersion: backstage\.io/v1alpha1\n"
    r"kind: Location\n"
    r"metadata:\n"
    r"  name: (scaffolder-[a-z0-9-]*)\n"
    r"  description: Registered by scaffolder\n"
    r"spec:\n"
    r"  type: (file|url)\n"
    r"  target: ([A-Za-z0-9_./~][A-Za-z0-9_./~+@%=,:-]*)\n"
)
#: A blank line, a comment line, or a separator.
_GAP = re.compile(r"(?:[ ]*(?:#[^\n]*)?|---[ ]*)\n")
_LAST_LINE = re.compile(r"[ ]*(?:#[^\n]*)?")
#: Characters this reading leaves to PyYAML: other line breaks (`\r`, NEL, LS, PS), controls,
#: surrogates, a byte order mark inside the text and the non-characters.
_UNSAFE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: What `datafiles.check_yaml` counts for one document: 3 mappings and 14 scalars.
VALUES_PER_DOC = 17
#: The document's line holding its target, counted from its first line.
TARGET_LINE = 7


@dataclass(frozen=True, slots=True)
class FastDoc:
    """One Location document: where its text is, and what it says."""

    #: Its text is `text[start:end]` (from its first key to the end of its target's line).
    start: int
    end: int
    name: str
    type: str
    target: str
    #: 1-based line of its target.
    line: int


def scan(text: str, limits: datafiles.Limits) -> list[FastDoc] | None:
    """The documents of catalog text (LF endings, no BOM), or None to take the full path."""
    if _UNSAFE.search(text):
        return None
    docs: list[FastDoc] = []
    pos = 0
    line = 1
    match = _DOC.match
    gap = _GAP.match
    while True:
        separators = 0
        doc = match(text, pos)
        while doc is None:
            blank = gap(text, pos)
            if blank is None:
                break
            separators += text.startswith("---", pos)
            pos = blank.end()
            line += 1
            doc = match(text, pos)
        if doc is None:
            break
        if separators != 1 and not (separators == 0 and not docs):
            return None  # two documents run together, or an empty document between them
        name, kind, target = doc.groups()
        if "/" not in target or target.endswith(":"):
            return None
        docs.append(FastDoc(doc.start(), doc.end(), name, kind, target, line + TARGET_LINE))
        pos = doc.end()
        line += 8
    if separators or _LAST_LINE.fullmatch(text, pos) is None:
        return None
    if len(docs) * VALUES_PER_DOC > limits.max_values:
        return None  # the full path refuses it, naming the line
    return docs
