"""The walk snapshot: a whole walk of a local catalog, kept in its entity cache file.

A warm `catalog list`, `validate` or `unregister ENTITY_REF` at 100,000 entities would still
read the 20 MB catalog file, resolve every target and decode one cache line per entity file.
When nothing changed since the last walk, none of that is needed: the snapshot holds the
walk's result (every document reached, in order, with its facts and the target that reached
it), a digest of the catalog's text and the stamps of every file the walk read.

It is used only when all of them are as stored: the catalog's text (its length and SHA-256
digest: reading and hashing 20 MB takes a few tens of milliseconds, and a text restored as it
was is the same walk), the user's home and working folders (targets may start with `~` or be
relative), and the stamp of every entity file (each is `stat`-ed, as the per-file cache
does). Anything else, and the walk is done again (with the per-file cache), and a new
snapshot stored. A walk that read a URL, met an unreadable target, or read a file modified in
the last two seconds stores none.

Its lines are columns: the documents in blocks of `BLOCK`, each block one line per column
(`COLUMNS`), the values tab-separated and escaped as the cache's other lines; each line starts
with a tab, so the per-file reader passes over them. Columns are split with one `str.split`
each, and rows are made only for the documents a command keeps. Problems, references and
nested targets, which repeat, are numbers into tables kept in the header.
"""

from __future__ import annotations

import functools
import os
import re
import zlib
from collections.abc import Callable, Iterable
from itertools import accumulate, compress
from typing import Any, TypeVar

from scaffolder.catalog.facts import Facts, Keep, decode
from scaffolder.catalog.stamps import unchanged

T = TypeVar("T", bound=tuple[Any, ...])
F = TypeVar("F", bound=tuple[Any, ...])
#: Documents per block: what a walk holds decoded at once.
BLOCK = 4096
#: origin, its stamp, target type, target, listed in, target line, document line, the row
#: (`facts.ROW_FIELDS`), then problems, references and nested targets (as table numbers).
COLUMNS = 20
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape(value: str) -> str:
    """A value as one field of a line: no tab, no line break (a backslash escapes them)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return "".join(_ESCAPES.get(c, c) for c in value)
    return value


def _pick(before: str, at: str) -> str:
    return at or before


def _origins(column: list[str]) -> list[str]:
    """A block's origin column filled in: "" is the origin of the row before (a file holding
    several documents)."""
    if "" not in column:
        return column
    if column and not column[0]:
        raise ValueError("a block starts without its file")
    return list(accumulate(column, _pick))


def context() -> list[str]:
    """What resolving targets depends on besides the catalog: the home and working folders."""
    try:
        cwd = os.getcwd()  # noqa: PTH109 -- a string, as resolve() uses
    except OSError:  # pragma: no cover -- a deleted working folder
        cwd = ""
    return [os.path.expanduser("~"), cwd]  # noqa: PTH111 -- a string, as resolve() uses


class Recorder:
    """Collects a walk's documents as snapshot columns, as the walk finds them."""

    def __init__(self, catalog_location: str, catalog_stamp: str | None) -> None:
        #: `catalog_stamp`: the catalog text's digest (`walk.catalog_digest`).
        self.ok = catalog_stamp is not None
        self.catalog = catalog_location
        self.catalog_stamp = catalog_stamp
        self._columns: list[list[str]] = [[] for _ in range(COLUMNS)]
        self._lines: list[str] = []
        self._blocks: list[int] = []
        self._problems: dict[tuple[str, ...], int] = {(): 0}
        self._refs: dict[tuple[tuple[str, str], ...], int] = {(): 0}
        self._nested: dict[tuple[str, tuple[str, ...]] | None, int] = {None: 0}
        self._origin = ""

    def fail(self) -> None:
        """This walk cannot be stored (a URL, an unreadable target, a file just modified)."""
        self.ok = False
        self._columns = []
        self._lines = []

    def add(self, facts: Facts, origin: str, target: Any, stamp: str) -> None:
        """One document; `stamp` is its file's (the same for every document of one file)."""
        if not self.ok:
            return
        if not target.target or not origin:
            self.fail()  # "" is the column's "same as before"
            return
        c = self._columns
        first = origin != self._origin or not c[0]
        c[0].append(escape(origin) if first else "")
        c[1].append(stamp if first else "")
        self._origin = origin
        c[2].append(escape(target.type))
        c[3].append("" if target.target == origin else escape(target.target))
        c[4].append("" if target.listed_in == self.catalog else escape(target.listed_in))
        c[5].append(str(target.line))
        c[6].append(str(facts.line if facts.is_mapping else -facts.line))
        for i, value in enumerate(facts.row, 7):
            c[i].append(escape(value))
        c[17].append(str(self._problems.setdefault(facts.problems, len(self._problems))))
        c[18].append(str(self._refs.setdefault(facts.refs, len(self._refs))))
        c[19].append(str(self._nested.setdefault(facts.nested, len(self._nested))))
        if len(c[0]) >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._columns and self._columns[0]:
            self._blocks.append(len(self._columns[0]))
            self._lines += ("\t" + "\t".join(column) for column in self._columns)
            self._columns = [[] for _ in range(COLUMNS)]
            self._origin = ""

    def finish(
        self, entity_count: int, duplicates: list[Any], own: tuple[Facts, ...] | None
    ) -> tuple[dict[str, Any], bytes] | None:
        """The snapshot's header fields and its lines, or None when this walk is not stored."""
        if not self.ok:
            return None
        self._flush()
        body = "".join(line + "\n" for line in self._lines).encode("utf-8", "surrogatepass")
        own_flat: list[list[int | str]] | None = None
        if own is not None:
            own_flat = []
            for facts in own:
                flat: list[int | str] = []
                facts.encode(flat)
                own_flat.append(flat)
        meta = {
            "catalog": self.catalog,
            "stamp": self.catalog_stamp,
            "context": context(),
            "entities": entity_count,
            "duplicates": [list(d) for d in duplicates],
            "own": own_flat,
            "problems": [list(p) for p in self._problems],
            "refs": [[list(r) for r in refs] for refs in self._refs],
            "nested": [None if n is None else [n[0], list(n[1])] for n in self._nested],
            "blocks": self._blocks,
            "bytes": len(body),
            "crc": zlib.crc32(body),
        }
        return meta, body


class Snapshot:
    """A stored walk, checked against the files before anything of it is used."""

    def __init__(self, meta: dict[str, Any], body: bytes) -> None:
        self.meta = meta
        self.body = body

    def matches(self, catalog_location: str, catalog_stamp: str | None) -> bool:
        meta = self.meta
        return (
            catalog_stamp is not None
            and meta.get("catalog") == catalog_location
            and meta.get("stamp") == catalog_stamp
            and meta.get("context") == context()
            and len(self.body) == meta.get("bytes")
            and zlib.crc32(self.body) == meta.get("crc")
        )

    def rows(
        self, target: type[T], found: type[F], keep: Callable[[Facts], bool] | None
    ) -> list[F] | None:
        """Every document whose facts `keep` wants, as `found(facts, origin, target(type,
        target, listed in, line))` (both named tuples); None when an entity file changed or is
        gone (or the snapshot is damaged)."""
        try:
            return self._rows(target, found, keep)
        except (OSError, ValueError, LookupError, TypeError):
            return None  # a file changed, is gone, or the snapshot is damaged

    def _raw_columns(self) -> list[bytes]:
        """The body as one line per column (`COLUMNS` per block), not yet decoded."""
        lines = self.body.split(b"\n")
        self.body = b""  # used once: not held beside its lines
        if lines.pop() != b"":
            raise ValueError("not whole lines")
        if len(lines) != COLUMNS * len(self.meta["blocks"]):
            raise ValueError("not its blocks")
        return lines

    @staticmethod
    def _column(raw: bytes, size: int) -> list[str]:
        line = raw.decode("utf-8", "surrogatepass")
        cells = line.split("\t")
        if cells[0] != "" or len(cells) != size + 1:
            raise ValueError("not a column")
        del cells[0]
        if "\\" in line:
            cells = [unescape(c) for c in cells]
        return cells

    def _rows(
        self, target: type[T], found: type[F], keep: Callable[[Facts], bool] | None
    ) -> list[F]:
        # Named tuples made by `tuple.__new__` straight from `zip`: no Python call per row.
        new_facts = functools.partial(tuple.__new__, Facts)
        new_target = functools.partial(tuple.__new__, target)
        new_found = functools.partial(tuple.__new__, found)
        meta = self.meta
        problems = [tuple(p) for p in meta["problems"]]
        refs = [tuple((f, v) for f, v in r) for r in meta["refs"]]
        nested = [None if n is None else (n[0], tuple(n[1])) for n in meta["nested"]]
        catalog = self.catalog
        columns = self._raw_columns()
        blocks: list[int] = meta["blocks"]
        # Every file as it was, before anything else: each is `stat`-ed (its first document
        # carries its stamp), all of them at once (`stamps.unchanged` shares a batch out).
        origins_of: list[list[str]] = []
        checked: list[str] = []
        stored: list[str] = []
        for n, size in enumerate(blocks):
            origins = _origins(self._column(columns[n * COLUMNS], size))
            stamped = self._column(columns[n * COLUMNS + 1], size)
            origins_of.append(origins)
            checked += compress(origins, stamped)
            stored += filter(None, stamped)
        if "" in checked:
            raise ValueError("a stamp without its file")
        if not unchanged(checked, stored):
            raise ValueError("changed")
        del checked, stored
        kept: list[Any] = []
        lowered: dict[str, str] = {}
        for n, size in enumerate(blocks):
            # The origin and stamp columns were read above.
            rest_raw = columns[n * COLUMNS + 2 : (n + 1) * COLUMNS]
            c: list[list[str]] = [[], [], *(self._column(raw, size) for raw in rest_raw)]
            origins, origins_of[n] = origins_of[n], []
            # Then the rows, column by column (`map` and `zip` do the looping).
            for kind in set(c[9]):
                lowered.setdefault(kind, kind.lower())
            lines = list(map(int, c[6]))
            mapping = list(map((0).__lt__, lines))  # negative: not a mapping (its row is empty)
            kinds = list(map(lowered.__getitem__, c[9]))
            row = c[7:17]
            rest = [c[2], c[3], c[4], c[5], c[17], c[18], c[19]]
            mask = keep.mask(mapping, kinds, row) if isinstance(keep, Keep) else None
            if mask is not None:  # facts made for the documents kept only
                if len(mask) != len(lines):
                    raise ValueError("a mask of another length")
                lines = list(compress(lines, mask))
                mapping = list(compress(mapping, mask))
                kinds = list(compress(kinds, mask))
                origins = list(compress(origins, mask))
                row = [list(compress(column, mask)) for column in row]
                rest = [list(compress(column, mask)) for column in rest]
            types, given, listed_in, target_lines, problem_ids, ref_ids, nested_ids = rest
            facts = list(
                map(
                    new_facts,
                    zip(
                        map(abs, lines),
                        mapping,
                        kinds,
                        zip(*row, strict=True),
                        map(problems.__getitem__, map(int, problem_ids)),
                        map(refs.__getitem__, map(int, ref_ids)),
                        map(nested.__getitem__, map(int, nested_ids)),
                        strict=True,
                    ),
                )
            )
            if len(facts) != len(origins):
                raise ValueError("columns of different lengths")
            targets: Iterable[tuple[str, str, str, int]] = zip(
                types,
                [t or o for t, o in zip(given, origins, strict=True)],
                [listed or catalog for listed in listed_in],
                map(int, target_lines),
                strict=True,
            )
            if keep is not None and mask is None:  # rows made for the documents kept only
                kept_each = list(map(keep, facts))
                facts = list(compress(facts, kept_each))
                origins = list(compress(origins, kept_each))
                targets = compress(targets, kept_each)
            kept += map(new_found, zip(facts, origins, map(new_target, targets), strict=True))
        return kept

    @property
    def catalog(self) -> str:
        return str(self.meta["catalog"])

    def own(self) -> tuple[Facts, ...] | None:
        flat = self.meta.get("own")
        if flat is None:
            return None
        out = []
        for values in flat:
            fields = [str(v) for v in values]
            facts, at = decode(fields, 0, {})
            if at != len(fields):
                raise ValueError("not one document")
            out.append(facts)
        return tuple(out)


_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\(.?)", re.DOTALL)


def _unescape_one(match: re.Match[str]) -> str:
    return _UNESCAPES[match[1]]  # KeyError (a LookupError) for what `escape` cannot write


def unescape(cell: str) -> str:
    """What `escape` was given."""
    return _ESCAPED.sub(_unescape_one, cell) if "\\" in cell else cell
