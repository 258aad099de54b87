"""Catalog texts already found in scaffolder's own layout, known by the SHA-256 of their bytes.

`register` and `unregister PATH` check the whole catalog against the layout's regular
expression (`fastscan.verify`) before an edit that reads only one document of it: at 100,000
targets that is some 0.14 s of a 0.4 s command. SHA-256 of the same 22 MB takes about 20 ms,
so the texts a command checked, and the texts it wrote (checked where they changed, see
`edits._check_cut`), are remembered here by their digest and their number of documents,
and a later edit of the same bytes skips the check.

The key is the file's content itself, so it is never trusted over the file: any other byte is
another digest, and the check runs again. The entries hold for one version of the check (a
digest of `fastscan.py` and the caps); the cache file is ignored (and rebuilt) when it is
corrupt, of another format or version, too large, a symlink or unreadable, never an error; it
is written atomically (a temporary file, then `os.replace`), mode 0600 in a 0700 folder, and
holds the last `KEEP` texts only. Two commands writing it at once: the last one's copy stays,
and a lost entry costs one check.

Where: `catalog-layout.json` in `config.cache_dir()`; `SCAFFOLDER_NO_CACHE=1` or
`unregister --no-cache` bypass it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from scaffolder import config
from scaffolder.catalog import fastscan
from scaffolder.catalog.storage import Piece

_FORMAT = "scaffolder-catalog-layout/1"
#: How many texts are remembered: a few catalogs, each at its last few versions.
KEEP = 16
MAX_BYTES = 64 << 10
_NAME = "catalog-layout.json"


def _version(max_values: int) -> str:
    """The check's version: the code that does it and the cap it applies."""
    source = (Path(__file__).resolve().parent / "fastscan.py").read_bytes()
    return hashlib.sha256(source + f"\0{max_values}".encode()).hexdigest()[:32]


class CheckedTexts:
    """The texts known to be in the layout: digest -> number of documents."""

    def __init__(self, file: Path | None, version: str) -> None:
        self.file = file
        self.version = version
        self.texts: dict[str, int] = {}
        self._changed = False

    @classmethod
    def load(cls, max_values: int, *, enabled: bool = True) -> CheckedTexts:
        root = config.cache_dir() if enabled else None
        if root is None:
            return cls(None, "")
        try:
            cache = cls(root / _NAME, _version(max_values))
        except OSError:  # pragma: no cover -- an installation missing its own module
            return cls(None, "")
        cache._read()
        return cache

    def _read(self) -> None:
        if self.file is None:
            return
        try:
            fd = os.open(self.file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return  # absent, a symlink, unreadable: none known
        try:
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return
                data = json.loads(handle.read(MAX_BYTES + 1))
        except (OSError, ValueError, RecursionError):
            return
        if type(data) is not dict or data.get("format") != _FORMAT:
            return
        texts = data.get("texts")
        if data.get("version") != self.version or type(texts) is not dict:
            return
        self.texts = {
            k: v
            for k, v in texts.items()
            if type(k) is str and len(k) == 64 and type(v) is int and v >= 0
        }

    @property
    def enabled(self) -> bool:
        return self.file is not None

    def count(self, digest: str) -> int | None:
        """How many documents the text with `digest` holds, if it is known to be in the layout."""
        return self.texts.get(digest)

    def add(self, digest: str, count: int) -> None:
        if self.file is None or self.texts.get(digest) == count:
            return
        self.texts.pop(digest, None)
        self.texts[digest] = count  # the newest last
        while len(self.texts) > KEEP:
            del self.texts[next(iter(self.texts))]
        self._changed = True

    def save(self) -> None:
        """Write the texts, if any is new; never raises for the cache."""
        if self.file is None or not self._changed:
            return
        with contextlib.suppress(OSError, ValueError):
            self._write(self.file)

    def _write(self, file: Path) -> None:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = json.dumps({"format": _FORMAT, "version": self.version, "texts": self.texts})
        tmp = file.parent / f".{file.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(body.encode())
            tmp.replace(file)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


class LayoutCheck:
    """Whether one catalog file's bytes are in the layout, from the cache or checked."""

    def __init__(self, data: bytes, max_values: int, *, enabled: bool = True) -> None:
        self.cache = CheckedTexts.load(max_values, enabled=enabled)
        self.data = data
        self.max_values = max_values
        self.digest = hashlib.sha256(data) if self.cache.enabled else None

    def count(self, verify: Callable[[], int | None]) -> int | None:
        """The file's number of documents if it is in the layout (`verify` decides, when its
        digest is not known), else None."""
        known = None if self.digest is None else self.cache.count(self.digest.hexdigest())
        if known is not None:
            return known
        count = verify()
        if count is not None and self.digest is not None:
            self.cache.add(self.digest.hexdigest(), count)
        return count

    def wrote(self, pieces: Sequence[Piece], count: int) -> None:
        """The file now holds `pieces` joined (ranges of the bytes read, or new bytes), which
        were checked to be in the layout with `count` documents."""
        if self.digest is None or count * fastscan.VALUES_PER_DOC > self.max_values:
            return  # over the cap: the next check refuses it
        if pieces and pieces[0] == (0, len(self.data)):
            digest, pieces = self.digest.copy(), pieces[1:]  # appended: hash the end only
        else:
            digest = hashlib.sha256()
        view = memoryview(self.data)
        for piece in pieces:
            digest.update(piece if isinstance(piece, bytes) else view[piece[0] : piece[1]])
        self.cache.add(digest.hexdigest(), count)

    def save(self) -> None:
        self.cache.save()
