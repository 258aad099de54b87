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
  the files the last walk reached.

Where: `$SCAFFOLDER_CACHE_DIR/catalog-entities/`, else the user cache directory
(`platformdirs.user_cache_path("scaffolder")`). `--no-cache` or `SCAFFOLDER_NO_CACHE=1`
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
from typing import Any

from scaffolder.catalog.facts import Facts

CACHE_DIR_ENV = "SCAFFOLDER_CACHE_DIR"
NO_CACHE_ENV = "SCAFFOLDER_NO_CACHE"
_FORMAT = "scaffolder-entity-cache/1"
#: A cache file larger than this is not read (100,000 entities take about 30 MB).
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


def cache_enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


def cache_root() -> Path:
    if env := os.environ.get(CACHE_DIR_ENV):
        return Path(env).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("scaffolder", appauthor=False)


def _version() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(_FORMAT.encode())
    for name in _SOURCES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:32]


def _encode(parsed: Parsed) -> list[Any]:
    if isinstance(parsed, Unparsed):
        return ["unparsable", parsed.line, parsed.reason]
    return ["docs", [f.to_data() for f in parsed]]


def _decode(data: Any) -> Parsed:
    if data[0] == "docs" and len(data) == 2:
        return tuple(Facts.from_data(d) for d in data[1])
    if data[0] == "unparsable" and len(data) == 3:
        line, reason = data[1], data[2]
        if (line is None or type(line) is int) and type(reason) is str:
            return Unparsed(line, reason)
    raise ValueError("not a cache entry")


class EntityCache:
    """The facts of the entity files one catalog reaches, loaded from and saved to one file."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._version = ""
        #: As loaded: path -> [stamp, encoded]; each entry is checked when it is used.
        self._old: dict[str, Any] = {}
        self._new: dict[str, tuple[Stamp, Any]] = {}
        self._changed = False

    @classmethod
    def for_catalog(cls, catalog_location: str, *, enabled: bool = True) -> EntityCache:
        """The cache of one catalog (a path or URL); a disabled one stores nothing."""
        if not enabled or not cache_enabled():
            return cls(None)
        name = hashlib.sha256(catalog_location.encode()).hexdigest()[:24]
        cache = cls(cache_root() / "catalog-entities" / f"{name}.json")
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
                data = json.loads(handle.read(MAX_BYTES + 1))
        except (OSError, ValueError, RecursionError, MemoryError):
            return
        if (
            isinstance(data, dict)
            and data.get("format") == _FORMAT
            and data.get("version") == self._version
            and isinstance(data.get("files"), dict)
        ):
            self._old = data["files"]

    def get(self, path: str, stamp: Stamp) -> Parsed | None:
        """What `path` held when it had `stamp`; None when not known (or the stamp differs)."""
        entry = self._old.get(path)
        try:
            if entry is None or len(entry) != 2 or tuple(entry[0]) != stamp:
                return None
            parsed = _decode(entry[1])
        except (ValueError, TypeError, IndexError, KeyError):
            return None  # a damaged entry is a miss
        self._new[path] = (stamp, entry[1])
        return parsed

    def put(self, path: str, stamp: Stamp, parsed: Parsed) -> None:
        if self.file is None or time.time_ns() - stamp[1] < _RACY_NS:
            return
        self._new[path] = (stamp, _encode(parsed))
        self._changed = True

    def save(self) -> None:
        """Write what this walk reached, if anything changed; never raises for the cache."""
        if self.file is None or not (self._changed or self._new.keys() != self._old.keys()):
            return
        with contextlib.suppress(OSError, ValueError):
            self._write()

    def _write(self) -> None:
        from filelock import FileLock, Timeout

        file = self.file
        if file is None:  # pragma: no cover -- save() checked it
            return
        folder = file.parent
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        data = {
            "format": _FORMAT,
            "version": self._version,
            "files": {p: [list(s), raw] for p, (s, raw) in self._new.items()},
        }
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
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
