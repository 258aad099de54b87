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
from collections.abc import Callable
from typing import TypeVar

from scaffolder import datafiles

#: Characters a comment may hold here; anything else is left to PyYAML: other line breaks
#: (`\r`, NEL, LS, PS), controls, surrogates, a byte order mark and the non-characters.
#: Written as the complement: the same set (tab, printable ASCII, from U+00A0 on, without LS, PS,
#: surrogates, U+FEFF, U+FFFE and U+FFFF; a test checks every code point), and a class of a
#: few small ranges compiles several times faster than one of a few large ones.
_SAFE = "^\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_BLANK = rf"(?:[ ]*(?:#[{_SAFE}]*)?\n)"
#: Blank and comment lines around at most one separator, then one document as
#: `locations._document` writes it. The name is always text for YAML (it starts with
#: `scaffolder-`); so is the target: plain characters only, with a `/` (no YAML 1.1 implicit
#: type matches text holding one), not ending in `:`.
_UNIT = re.compile(
    rf"(?P<gap>{_BLANK}*(?P<sep>---[ ]*\n{_BLANK}*)?)"
    r"apiVersion: backstage\.io/v1alpha1\n"
    r"kind: Location\n"
    r"metadata:\n"
    r"  name: (?P<name>scaffolder-[a-z0-9-]*)\n"
    r"  description: Registered by scaffolder\n"
    r"spec:\n"
    r"  type: (?P<type>file|url)\n"
    r"  target: (?P<target>(?=[A-Za-z0-9_.~+@%=,:-]*/)"
    r"[A-Za-z0-9_./~][A-Za-z0-9_./~+@%=,:-]*[A-Za-z0-9_./~+@%=,-])\n"
)
#: What may follow the last document: blank and comment lines, the last without its newline.
_END = re.compile(rf"{_BLANK}*[ ]*(?:#[{_SAFE}]*)?")
T = TypeVar("T")
#: What `datafiles.check_yaml` counts for one document: 3 mappings and 14 scalars.
VALUES_PER_DOC = 17
#: The document's line holding its target, counted from its first line.
TARGET_LINE = 7


class FastDoc:
    """One Location document: where its text is, and what it says."""

    __slots__ = ("line", "match")

    def __init__(self, match: re.Match[str], line: int) -> None:
        #: Its groups: `name`, `type`, `target` (and `gap`, the lines above it).
        self.match = match
        #: 1-based line of its target.
        self.line = line

    @property
    def start(self) -> int:
        """Its text is `text[start:end]` (from its first key to the end of its target line)."""
        return self.match.end("gap")

    @property
    def end(self) -> int:
        return self.match.end()

    @property
    def name(self) -> str:
        return self.match["name"]

    @property
    def type(self) -> str:
        return self.match["type"]

    @property
    def target(self) -> str:
        return self.match["target"]


def scan(text: str, limits: datafiles.Limits) -> list[FastDoc] | None:
    """The documents of catalog text (LF endings, no BOM), or None to take the full path."""
    return scan_as(text, limits, FastDoc)


def scan_as(
    text: str, limits: datafiles.Limits, make: Callable[[re.Match[str], int], T]
) -> list[T] | None:
    """`scan`, making each document with `make(match, line of its target)` as it is found.

    Only what `make` returns is kept (the match objects hold the whole text's positions).
    """
    docs: list[T] = []
    pos = 0
    line = 1
    for match in _UNIT.finditer(text):
        if match.start() != pos:
            return None  # something else between two documents
        if match["sep"] is None and docs:
            return None  # two documents run together
        line += match["gap"].count("\n") + TARGET_LINE
        docs.append(make(match, line))
        line += 1
        pos = match.end()
    if _END.fullmatch(text, pos) is None:
        return None
    if len(docs) * VALUES_PER_DOC > limits.max_values:
        return None  # the full path refuses it, naming the line
    return docs
