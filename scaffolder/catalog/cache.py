"""The entity cache: what a walk learnt of each local entity file, kept for the next command.

`catalog list`, `validate` and `unregister ENTITY_REF` read every entity file a catalog reaches;
at 100,000 targets, parsing them is most of the time. The cache keeps, per file, the facts of
its documents (`facts.Facts`: a few strings, its problems, its references) or why it could not
be parsed, keyed by the file's path and its `stat`: size, modification and change time (ns),
inode and device.

It is an accelerator, never trusted over the file:

- any difference in those stat fields and the file is read and parsed again; a file modified
  in the last two seconds is not stored (its next change could keep the same size and times);
- the cache file is ignored (and rebuilt) when it is corrupt, truncated, of another format or
  of other code (its version is a digest of the modules that compute the facts), too large,
  a symlink, or unreadable; never an error, never a traceback;
- it is written atomically (a temporary file, then `os.replace`), mode 0600 in a 0700 folder,
  under a lock: a second command that finds it locked skips its write rather than wait;
- it is plain text (no pickle, nothing that can run code), one file per catalog, holding only
  the files the last walk reached: a JSON header line, then one line per file, its path, its
  stamp and its facts as tab-separated fields (a backslash escapes a backslash, tab, newline
  or carriage return in a value). A line is decoded only when its file is reached, and only
  when it starts with that file's path and current stamp, so a walk never holds the whole
  cache as Python objects, and an unchanged file costs one `str.split`.

Where: `catalog-entities/` in `config.cache_dir()` (`$SCAFFOLDER_CACHE_DIR`, else the user
cache directory). `--no-cache`, or `SCAFFOLDER_NO_CACHE=1` (every cache of scaffolder's),
bypasses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from scaffolder import config
from scaffolder.catalog.facts import Facts, decode
from scaffolder.catalog.snapshot import Snapshot, unescape
from scaffolder.catalog.snapshot import escape as _escape
from scaffolder.catalog.sources import is_url

_FORMAT = "scaffolder-entity-cache/3"
#: A cache file larger than this is not read (100,000 entities take about 27 MB).
MAX_BYTES = 256 << 20
#: A file modified this recently is not stored: a change within the same clock tick could
#: leave its size and times as they were.
RACY_NS = 2_000_000_000
#: The modules whose code decides what the facts are, and what a walk finds (the snapshot):
#: a change to any of them is a new version.
_SOURCES = (
    "catalog/facts.py",
    "catalog/walk.py",
    "catalog/snapshot.py",
    "catalog/sources.py",
    "catalog/locations.py",
    "catalog/edits.py",
    "catalog/yamltext.py",
    "catalog/fastscan.py",
    "backstage/documents.py",
    "backstage/entity.py",
    "backstage/rules.py",
)

#: A file's identity: size, mtime_ns, ctime_ns, inode, device.
Stamp = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Unparsed:
    """A file that is not YAML: the line at fault (if known) and why."""

    line: int | None
    reason: str


#: What a file held: the facts of its documents, or why it could not be parsed.
Parsed = tuple[Facts, ...] | Unparsed


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _version() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(_FORMAT.encode())
    for name in _SOURCES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:32]


def _fields(text: str) -> list[str]:
    """The fields of (the rest of) a line, unescaped."""
    fields = text.split("\t")
    if "\\" in text:
        fields = [unescape(f) for f in fields]
    return fields


def _prefix(path: str, stamp: Stamp) -> str:
    """How the line of `path` with `stamp` starts: its path and stamp fields."""
    size, mtime, ctime, inode, device = stamp
    return f"{_escape(path)}\t{size}\t{mtime}\t{ctime}\t{inode}\t{device}\t"


def _encode(path: str, stamp: Stamp, parsed: Parsed) -> str:
    """One file's line: its path and stamp, then its documents or why it is not YAML."""
    out: list[int | str] = []
    if isinstance(parsed, Unparsed):
        out += (-1, "" if parsed.line is None else parsed.line, parsed.reason)
    else:
        out.append(len(parsed))
        for facts in parsed:
            facts.encode(out)
    return _prefix(path, stamp) + "\t".join(_escape(v) if type(v) is str else str(v) for v in out)


def _decode(fields: list[str], memo: dict[Any, Any]) -> Parsed:
    """What `_encode` wrote after the stamp. Raises ValueError, IndexError or LookupError for
    anything else."""
    if fields[0] == "-1":
        if len(fields) != 3:
            raise ValueError("not a reason")
        return Unparsed(int(fields[1]) if fields[1] else None, fields[2])
    count = int(fields[0])
    if count == 1:  # most files: one document
        facts, at = decode(fields, 1, memo)
        if at != len(fields):
            raise ValueError("not one document")
        return (facts,)
    if count < 0:
        raise ValueError("not a count")
    docs = []
    at = 1
    for _ in range(count):
        facts, at = decode(fields, at, memo)
        docs.append(facts)
    if at != len(fields):  # also when one was cut short: `at` is then past the end
        raise ValueError("trailing values")
    return tuple(docs)


class EntityCache:
    """The facts of the entity files one catalog reaches, loaded from and saved to one file."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._version = ""
        #: As loaded: path (as a field, UTF-8) -> its line (`_encode`, UTF-8); each line is
        #: checked when it is used, and dropped then (the walk keeps its facts).
        self._old: dict[bytes, bytes] = {}
        #: What the next save writes: each reached file's line (the walk decides which facts
        #: it keeps; the cache holds none).
        self._new: dict[str, bytes] = {}
        self._changed = False
        self._memo: dict[Any, Any] = {}
        #: The stored walk (`snapshot.py`), if the file holds one; checked before it is used.
        self.snapshot: Snapshot | None = None
        #: The open cache file, until `_lines` reads its per-file lines (after the header).
        self._rest: BinaryIO | None = None
        self._after_header = 0

    @classmethod
    def for_catalog(cls, catalog_location: str, *, enabled: bool = True) -> EntityCache:
        """The cache of one catalog (a path or URL); a disabled one stores nothing."""
        root = config.cache_dir()  # None with $SCAFFOLDER_NO_CACHE
        if not enabled or root is None:
            return cls(None)
        # One file per catalog however its path is written (`catalog.yaml` from its folder
        # is its absolute path): the per-file lines serve both; the snapshot matches only
        # the spelling it was walked with (targets may be relative to it).
        key = catalog_location
        if not is_url(key):
            key = os.path.abspath(key)  # noqa: PTH100 -- a string, as the walk uses
        name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        cache = cls(root / "catalog-entities" / f"{name}.json")
        try:
            cache._version = _version()
        except OSError:  # pragma: no cover -- an installation missing its own modules
            return cls(None)
        cache._load()
        return cache

    def _load(self) -> None:
        """Read the header and the walk snapshot; the per-file lines wait for `_lines`."""
        if self.file is None:
            return
        try:
            fd = os.open(self.file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return  # absent, a symlink, unreadable: start empty
        handle = os.fdopen(fd, "rb")
        try:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                handle.close()
                return
            first = handle.readline(MAX_BYTES)
            header = json.loads(first)
            if (
                type(header) is not dict
                or header.get("format") != _FORMAT
                or header.get("version") != self._version
            ):
                handle.close()
                return
            walk = header.get("walk")
            if type(walk) is dict and type(walk.get("bytes")) is int:
                self.snapshot = Snapshot(walk, handle.read(max(0, min(walk["bytes"], MAX_BYTES))))
        except (OSError, ValueError, RecursionError):
            handle.close()
            return
        self._rest = handle
        self._after_header = len(first)

    def _lines(self) -> None:
        """Read the per-file lines (the first time they are needed)."""
        handle, self._rest = self._rest, None
        if handle is None:
            return
        try:
            with handle:
                # From the header on, whatever the snapshot's header says of its length.
                handle.seek(self._after_header)
                data = handle.read(MAX_BYTES + 1)
        except OSError:
            return
        # One line per file, starting with its path and a tab (the snapshot's lines start
        # with a tab). Lines stay bytes until used, and are dropped then: the whole cache is
        # never held as Python objects.
        lines = data.split(b"\n")
        del data
        for line in lines:
            tab = line.find(b"\t")
            if tab > 0:
                self._old[line[:tab]] = line

    def close(self) -> None:
        """Let go of the cache file (a walk that used the snapshot reads nothing else)."""
        if self._rest is not None:
            self._rest.close()
            self._rest = None

    def get(self, path: str, stamp: Stamp) -> Parsed | None:
        """What `path` held when it had `stamp`; None when not known (or the stamp differs)."""
        if self._rest is not None:
            self._lines()
        key = _escape(path)
        line = self._old.pop(key.encode("utf-8", "surrogatepass"), None)
        if line is None:
            return None
        size, mtime, ctime, inode, device = stamp
        prefix = f"{key}\t{size}\t{mtime}\t{ctime}\t{inode}\t{device}\t"
        try:
            text = line.decode("utf-8", "surrogatepass")
            parsed = (
                _decode(_fields(text[len(prefix) :]), self._memo)
                if text.startswith(prefix)
                else None
            )
        except (ValueError, IndexError, LookupError):
            parsed = None  # a damaged line is a miss
        if parsed is None:
            self._changed = True
            return None
        self._new[path] = line
        return parsed

    def put(self, path: str, stamp: Stamp, parsed: Parsed) -> None:
        self._changed = True
        if self.file is not None and time.time_ns() - stamp[1] >= RACY_NS:
            self._new[path] = _encode(path, stamp, parsed).encode("utf-8", "surrogatepass")

    def save(self, walk: tuple[dict[str, Any], bytes] | None = None) -> None:
        """Write what this walk reached (and `walk`, its snapshot), if anything changed; never
        raises for the cache."""
        if self._rest is not None:
            self._lines()
        if self.file is None or not (walk or self._changed or self._old):
            return  # nothing new, and nothing left unread (a file no longer reached)
        with contextlib.suppress(OSError, ValueError):
            self._write(self.file, walk)

    def _write(self, file: Path, walk: tuple[dict[str, Any], bytes] | None) -> None:
        from filelock import FileLock, Timeout

        folder = file.parent
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        meta, snapshot = walk if walk is not None else (None, b"")
        header = json.dumps({"format": _FORMAT, "version": self._version, "walk": meta})
        body = header.encode() + b"\n" + snapshot + b"".join(v + b"\n" for v in self._new.values())
        lock = FileLock(str(file) + ".lock", timeout=0, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            return  # another command is writing it: its copy is as good as this one
        tmp = folder / f".{file.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            tmp.replace(file)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            lock.release()
