"""Where scaffolder keeps its files, and the environment variables that move them."""

from __future__ import annotations

import functools
import os
from pathlib import Path

CATALOG_ENV = "SCAFFOLDER_CATALOG"
CACHE_ENV = "SCAFFOLDER_CACHE_DIR"
NO_CACHE_ENV = "SCAFFOLDER_NO_CACHE"
#: Where a GitHub token is read from, in this order (`github/settings.py`); the files a
#: commit would publish are scanned for their values (`vcs/git.py`).
TOKEN_ENVS = ("GH_TOKEN", "GITHUB_TOKEN")


def default_catalog_path() -> Path:
    """`SCAFFOLDER_CATALOG`, else `catalog.yaml` in the user's data directory."""
    if env := os.environ.get(CATALOG_ENV):
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("scaffolder", appauthor=False) / "catalog.yaml"


def cache_dir() -> Path | None:
    """Where scaffolder keeps what it can compute again: `$SCAFFOLDER_CACHE_DIR`, else the user
    cache directory; None when `$SCAFFOLDER_NO_CACHE` is set (to anything but 0): no cache."""
    env = os.environ
    # What platformdirs reads, on Linux, macOS and Windows.
    where = tuple(env.get(name) for name in ("XDG_CACHE_HOME", "HOME", "LOCALAPPDATA"))
    return _cache_dir(env.get(NO_CACHE_ENV, ""), env.get(CACHE_ENV), where)


@functools.lru_cache(maxsize=8)
def _cache_dir(off: str, given: str | None, where: tuple[str | None, ...]) -> Path | None:
    # Asked once per cached item: worked out once per environment (`where`).
    if off not in ("", "0"):
        return None
    if given:
        return Path(given).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("scaffolder", appauthor=False)
