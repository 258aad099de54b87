"""The catalog file read without PyYAML, when it is exactly in the shape scaffolder writes.

At 100,000 targets the catalog file is some 20 MB of one-target Location documents; composing
it with PyYAML takes seconds, and `register` used to do it three times. Every document
scaffolder writes is the same eight lines (`yamltext._LOCATION_TEMPLATE`) with a plain name,
type and target, so a file made only of those documents, `---` separators, comments and blank
lines is checked here with one regular expression over the whole text (`verify`); its
documents are then read with `findall`, or the one an edit needs is found with `str.find`.

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
from typing import NamedTuple, TypeVar

from scaffolder import datafiles

#: Characters a comment may hold here; anything else is left to PyYAML: other line breaks
#: (`\r`, NEL, LS, PS), controls, surrogates, a byte order mark and the non-characters.
#: Written as the complement: the same set (tab, printable ASCII, from U+00A0 on, without LS, PS,
#: surrogates, U+FEFF, U+FFFE and U+FFFF; a test checks every code point), and a class of a
#: few small ranges compiles several times faster than one of a few large ones.
_SAFE = "^\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_BLANK = rf"(?:[ ]*(?:#[{_SAFE}]*)?\n)"
#: One document as `yamltext.document` writes it. The name is always text for YAML (it
#: starts with `scaffolder-`); so is the target: plain characters only, with a `/` (no YAML 1.1
#: implicit type matches text holding one), not ending in `:`.
_TARGET = r"(?=[A-Za-z0-9_.~+@%=,:-]*/)[A-Za-z0-9_./~][A-Za-z0-9_./~+@%=,:-]*[A-Za-z0-9_./~+@%=,-]"
_DOC = (
    r"apiVersion: backstage\.io/v1alpha1\n"
    r"kind: Location\n"
    r"metadata:\n"
    r"  name: (?P<name>scaffolder-[a-z0-9-]*)\n"
    r"  description: Registered by scaffolder\n"
    r"spec:\n"
    r"  type: (?P<type>file|url)\n"
    rf"  target: (?P<target>{_TARGET})\n"
)
#: Blank and comment lines around at most one separator, then one document.
_UNIT = re.compile(rf"(?P<gap>{_BLANK}*(?P<sep>---[ ]*\n{_BLANK}*)?){_DOC}")
#: A whole file of them: the first document's separator is optional, every other one's is
#: required (two documents run together are something else). Atomic groups and possessive
#: repeats: one pass over the text, no backtracking.
_PLAIN_DOC = re.sub(r"\(\?P<\w+>", "(?:", _DOC)
_WHOLE = re.compile(
    rf"(?>{_BLANK}*(?:---[ ]*\n{_BLANK}*)?{_PLAIN_DOC})?"
    rf"(?>{_BLANK}*---[ ]*\n{_BLANK}*{_PLAIN_DOC})*+"
    rf"{_BLANK}*+[ ]*(?:#[{_SAFE}]*)?"
)
_DOC_AT = re.compile(_DOC)
_IS_TARGET = re.compile(_TARGET)
T = TypeVar("T")
#: What `datafiles.check_yaml` counts for one document: 3 mappings and 14 scalars.
VALUES_PER_DOC = 17
#: The document's line holding its target, counted from its first line.
TARGET_LINE = 7
#: How every target line starts (no other line of an accepted text does).
TARGET_KEY = "\n  target: "


class FastDoc(NamedTuple):
    """One Location document: where its text is (`text[start:end]`, from its first key to the
    end of its target line), what it says, and the 1-based line of its target."""

    start: int
    end: int
    name: str
    type: str
    target: str
    line: int


def verify(text: str, limits: datafiles.Limits) -> int | None:
    """How many documents catalog text (LF endings, no BOM) holds, if it is all in scaffolder's
    layout and within the caps; None to take the full path."""
    if _WHOLE.fullmatch(text) is None:
        return None
    count = text.count(TARGET_KEY)
    if count * VALUES_PER_DOC > limits.max_values:
        return None  # the full path refuses it, naming the line
    return count


def scan(text: str, limits: datafiles.Limits) -> list[FastDoc] | None:
    """The documents of catalog text (LF endings, no BOM), or None to take the full path."""
    if verify(text, limits) is None:
        return None
    docs: list[FastDoc] = []
    line = 1
    for match in _UNIT.finditer(text):
        line += match["gap"].count("\n") + TARGET_LINE
        name, kind, target = match.group("name", "type", "target")
        docs.append(FastDoc(match.end("gap"), match.end(), name, kind, target, line))
        line += 1
    return docs


def scan_as(
    text: str, limits: datafiles.Limits, make: Callable[[str, str, int, str], T]
) -> list[T] | None:
    """`scan`, making each document with `make(type, target, line of its target, name)`.

    `findall`, not match objects: at 100,000 documents, one tuple each is what it costs.
    """
    if verify(text, limits) is None:
        return None
    docs: list[T] = []
    line = 1
    for gap, _, name, kind, target in _UNIT.findall(text):
        line += gap.count("\n") + TARGET_LINE
        docs.append(make(_TYPES[kind], target, line, name))
        line += 1
    return docs


#: One string for each target type, rather than one per document.
_TYPES = {"file": "file", "url": "url"}


def find(text: str, target: str, *, kind: str | None = None, last: bool = False) -> FastDoc | None:
    """The first (or `last`) document of `text` whose target is `target` (and whose type is
    `kind`, if given), for text `verify` accepted.

    Only target lines start with `  target: `, so `str.find` locates it; nothing is read beyond
    that document and the line count above it.
    """
    if _IS_TARGET.fullmatch(target) is None:
        return None  # not a plain value: no document of an accepted text holds it
    needle = f"{TARGET_KEY}{target}\n"
    at = text.rfind(needle) if last else text.find(needle)
    while at != -1:
        start = text.rfind("\napiVersion: ", 0, at) + 1
        match = _DOC_AT.match(text, start)
        if match is None or match["target"] != target:  # pragma: no cover -- not verified
            return None
        if kind is None or match["type"] == kind:
            line = text.count("\n", 0, at) + 2
            return FastDoc(start, match.end(), match["name"], match["type"], target, line)
        at = text.rfind(needle, 0, at) if last else text.find(needle, at + 1)
    return None
