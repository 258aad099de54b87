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
- it is JSON data (no pickle, nothing that can run code), one file per catalog, holding only
  the files the last walk reached: a header line, then one line per file (its path and a flat
  list of its stamp and facts), each decoded only when that file is reached, so a walk never
  holds the whole cache as Python objects.

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
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from scaffolder import config
from scaffolder.catalog.facts import Facts, decode

_FORMAT = "scaffolder-entity-cache/2"
#: A cache file larger than this is not read (100,000 entities take about 27 MB).
MAX_BYTES = 256 << 20
#: A file modified this recently is not stored: a change within the same clock tick could
#: leave its size and times as they were.
_RACY_NS = 2_000_000_000
#: The modules whose code decides what the facts are: a change to any of them is a new version.
_SOURCES = (
    "catalog/facts.py",
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


_DECODER = json.JSONDecoder()


def _key(path: str) -> str:
    """A path as the cache file's lines start: a JSON string, ASCII only (so, no tab)."""
    return encode_basestring_ascii(path)


def _encode(stamp: Stamp, parsed: Parsed) -> list[Any]:
    """One file as one flat list: its stamp, then its documents or why it is not YAML."""
    out: list[Any] = list(stamp)
    if isinstance(parsed, Unparsed):
        out += (-1, parsed.line, parsed.reason)
        return out
    out.append(len(parsed))
    for facts in parsed:
        facts.encode(out)
    return out


def _decode(data: Any, stamp: Stamp, memo: dict[Any, Any]) -> Parsed | None:
    """What `_encode` wrote, if its stamp is `stamp`; None if not. Raises for a bad entry."""
    if type(data) is not list or tuple(data[:5]) != stamp:
        return None
    count = data[5]
    if count == -1 and len(data) == 8:
        line, reason = data[6], data[7]
        if (line is None or type(line) is int) and type(reason) is str:
            return Unparsed(line, reason)
        raise ValueError("not a reason")
    if type(count) is not int or count < 0:
        raise ValueError("not a count")
    docs = []
    at = 6
    for _ in range(count):
        facts, at = decode(data, at, memo)
        docs.append(facts)
    if at != len(data):
        raise ValueError("trailing values")
    return tuple(docs)


class EntityCache:
    """The facts of the entity files one catalog reaches, loaded from and saved to one file."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._version = ""
        #: As loaded: path (as JSON) -> its entry (`_encode`, as JSON); each entry is checked
        #: when it is used, and dropped then (the walk keeps its facts; a save encodes them).
        self._old: dict[bytes, bytes] = {}
        #: What the next save writes: each reached file's entry, encoded (the walk decides
        #: which facts it keeps; the cache holds none).
        self._new: dict[str, bytes] = {}
        self._changed = False
        self._memo: dict[Any, Any] = {}

    @classmethod
    def for_catalog(cls, catalog_location: str, *, enabled: bool = True) -> EntityCache:
        """The cache of one catalog (a path or URL); a disabled one stores nothing."""
        root = config.cache_dir()  # None with $SCAFFOLDER_NO_CACHE
        if not enabled or root is None:
            return cls(None)
        name = hashlib.sha256(catalog_location.encode()).hexdigest()[:24]
        cache = cls(root / "catalog-entities" / f"{name}.json")
        try:
            cache._version = _version()
        except OSError:  # pragma: no cover -- an installation missing its own modules
            return cls(None)
        cache._load()
        return cache

    def _load(self) -> None:
        if self.file is None:
            return
        try:
            fd = os.open(self.file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return  # absent, a symlink, unreadable: start empty
        try:
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                    return
                data = handle.read(MAX_BYTES + 1)
            first = data.find(b"\n")
            if first == -1 or json.loads(data[:first]) != {
                "format": _FORMAT,
                "version": self._version,
            }:
                return
        except (OSError, ValueError, RecursionError):
            return
        # One line per file: its path (JSON, ASCII), a tab, its entry. Entries stay bytes
        # until used, and are dropped then: the whole cache is never held as Python objects.
        find = data.find
        size = len(data)
        at = first + 1
        while at < size:
            end = find(b"\n", at)
            end = size if end == -1 else end
            tab = find(b"\t", at, end)
            if tab != -1:
                self._old[data[at:tab]] = data[tab + 1 : end]
            at = end + 1

    def get(self, path: str, stamp: Stamp) -> Parsed | None:
        """What `path` held when it had `stamp`; None when not known (or the stamp differs)."""
        entry = self._old.pop(_key(path).encode(), None)
        if entry is None:
            return None
        try:
            parsed = _decode(_DECODER.decode(entry.decode()), stamp, self._memo)
        except (ValueError, TypeError, IndexError, RecursionError):
            parsed = None  # a damaged entry is a miss
        if parsed is None:
            self._changed = True
            return None
        self._new[path] = entry
        return parsed

    def put(self, path: str, stamp: Stamp, parsed: Parsed) -> None:
        self._changed = True
        if self.file is not None and time.time_ns() - stamp[1] >= _RACY_NS:
            self._new[path] = json.dumps(_encode(stamp, parsed), separators=(",", ":")).encode()

    def save(self) -> None:
        """Write what this walk reached, if anything changed; never raises for the cache."""
        if self.file is None or not (self._changed or self._old):
            return  # nothing new, and nothing left unread (a file no longer reached)
        with contextlib.suppress(OSError, ValueError):
            self._write(self.file)

    def _write(self, file: Path) -> None:
        from filelock import FileLock, Timeout

        folder = file.parent
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        header = json.dumps({"format": _FORMAT, "version": self._version})
        lines = [header.encode()]
        lines += (_key(path).encode() + b"\t" + entry for path, entry in self._new.items())
        body = b"\n".join(lines) + b"\n"
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
