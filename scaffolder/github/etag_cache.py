"""Answers of GitHub GET requests kept on disk, for conditional requests and day-long probes.

A page of a list is kept with its `ETag` and `Link` header; the next run sends `If-None-Match`
and an unchanged page answers `304 Not Modified`, which GitHub does not count against the rate
limit. A probe (is Dependabot on for this repository?) is kept with the time it was made and
used for a day without asking again.

* Where: `github-etags/` in `config.cache_dir()` (`$SCAFFOLDER_CACHE_DIR`, else the user cache
  directory); `$SCAFFOLDER_NO_CACHE` turns it off. The directories are created 0700 and used
  only when they are real directories of this user's that no one else may write; each entry is
  a file named by the SHA-256 of its key, written atomically (a 0600 temporary file, then a
  rename) and read only if it is a regular file of this user's (`code_cache`'s guards).
* The key is the API URL (host and path prefix), the request path and its query: the same
  request to another GitHub, or another page, is another entry. What is kept is the key, the
  `ETag`, the `Link` header and the body GitHub sent: never a request header, so never the
  token (tests/test_insights.py scans the files for it).
* An entry that is missing, damaged, of another key or too large is a miss; a cache that cannot
  be written is not written. The cache never makes a command fail.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder import config
from scaffolder.code_cache import private_dir, read_private, write_private

FOLDER = "github-etags"
#: The largest entry read back (GitHub's pages are far smaller: 100 alerts are about 300 kB).
_MAX_ENTRY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    """A kept answer: its validator, its `Link` header and its JSON body."""

    etag: str
    link: str
    body: Any


class ETagCache:
    """Entries under `root` (None: no cache, every lookup a miss)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._private: bool | None = None

    @classmethod
    def default(cls) -> ETagCache:
        root = config.cache_dir()
        return cls(None if root is None else root / FOLDER)

    @staticmethod
    def key(api_url: str, path: str) -> str:
        """The key of a GET of `path` (with its query) on the API at `api_url`."""
        return f"{api_url.rstrip('/')} {path}"

    def _usable(self) -> bool:
        if self._private is None:
            self._private = self.root is not None and all(
                private_dir(folder) for folder in (self.root.parent, self.root)
            )
        return self._private

    def _file(self, key: str) -> Path | None:
        if self.root is None or not self._usable():
            return None
        return self.root / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self._file(key)
        data = None if path is None else read_private(path, _MAX_ENTRY)
        if data is None:
            return None
        try:
            entry = json.loads(data)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def _write(self, key: str, entry: dict[str, Any]) -> None:
        path = self._file(key)
        if path is not None:
            write_private(path, json.dumps({"key": key, **entry}).encode("utf-8"))

    # -- pages --------------------------------------------------------------------------------
    def page(self, key: str) -> Page | None:
        entry = self._read(key)
        if entry is None or not isinstance(entry.get("etag"), str) or "body" not in entry:
            return None
        return Page(entry["etag"], str(entry.get("link") or ""), entry["body"])

    def put_page(self, key: str, page: Page) -> None:
        self._write(key, {"etag": page.etag, "link": page.link, "body": page.body})

    # -- probes -------------------------------------------------------------------------------
    def probe(self, key: str, max_age: float) -> str | None:
        """A probe's answer if it was made less than `max_age` seconds ago."""
        entry = self._read(key)
        if entry is None or not isinstance(entry.get("answer"), str):
            return None
        made = entry.get("at")
        if not isinstance(made, int | float) or not 0 <= time.time() - made < max_age:
            return None
        return str(entry["answer"])

    def put_probe(self, key: str, answer: str) -> None:
        self._write(key, {"answer": answer, "at": time.time()})
