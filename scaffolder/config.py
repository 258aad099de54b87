"""Where scaffolder keeps its files, the environment variables that move them, and its
configuration file (TOML: the org's template sources; the format is docs/configuration.md)."""

from __future__ import annotations

import functools
import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from scaffolder.errors import ConfigFileError

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


# -- the configuration file ------------------------------------------------------------------
CONFIG_ENV = "SCAFFOLDER_CONFIG"
#: A template's name: what `scaffolder new NAME` takes (a built-in folder's name is one).
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_KINDS = ("path", "collection", "url")
_ENTRY_KEYS: dict[str, type] = {
    "name": str,
    "path": str,
    "collection": str,
    "url": str,
    "subdirectory": str,
    "ref": str,
    "prereleases": bool,
}
_GIT_ONLY = ("subdirectory", "ref", "prereleases")


@dataclass(frozen=True)
class SourceSpec:
    """One `[[template]]` entry of the configuration file, checked but not yet looked at.

    Exactly one of `path` (a template folder), `collection` (a folder of template folders)
    and `url` (a git repository, in any form copier takes) is set.
    """

    #: Where the entry is written: `FILE:LINE`.
    where: str
    name: str | None = None
    path: Path | None = None
    collection: Path | None = None
    url: str | None = None
    #: The folder of the repository that holds the template (its copier.yml).
    subdirectory: str = ""
    #: The tag, branch or commit to use instead of the newest release tag.
    ref: str | None = None
    #: Whether the newest release may be a pre-release (as copier's `--prereleases`).
    prereleases: bool = False

    @property
    def location(self) -> str:
        """The source as the file gives it (a path or URL)."""
        return str(self.url or self.path or self.collection)


@dataclass(frozen=True)
class Config:
    #: The file read, or None when there is none (no configuration: built-in templates only).
    path: Path | None = None
    templates: tuple[SourceSpec, ...] = ()
    #: The access policy (`policy = ...`): an https URL or `github:OWNER/REPO/PATH` as written,
    #: or a path (a relative one made relative to the file's folder); None when not set.
    policy: str | None = None


def config_path() -> tuple[Path, bool]:
    """The configuration file, and whether it was named explicitly (`$SCAFFOLDER_CONFIG`)."""
    if env := os.environ.get(CONFIG_ENV):
        return Path(env).expanduser(), True
    from platformdirs import user_config_path

    return user_config_path("scaffolder", appauthor=False) / "config.toml", False


def load_config() -> Config:
    """The configuration: none when the default file is missing; an error when the file
    `$SCAFFOLDER_CONFIG` names is missing, or when any file is not valid (with its line)."""
    path, explicit = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ConfigFileError(
                path=str(path), problem=f"it does not exist (named by ${CONFIG_ENV})"
            ) from None
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path=str(path), problem=f"cannot be read: {exc}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Check and read the text of the configuration file at `path` (relative paths in it are
    relative to its folder)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        problem = re.sub(r"\s*\(at [^)]*\)$", "", str(exc))
        line = int(found.group(1)) if found else len(text.splitlines()) or None
        raise ConfigFileError(
            path=str(path), problem=f"not valid TOML: {problem}", line=line
        ) from exc
    lines = _Lines(text)
    for key in data:
        if key not in ("template", "policy"):
            raise ConfigFileError(
                path=str(path),
                problem=f"unknown key {key!r} (the file sets `policy` and lists [[template]] "
                "entries)",
                line=lines.top_level(key),
            )
    entries = data.get("template", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigFileError(
            path=str(path),
            problem="`template` must be a list of tables: write each entry as [[template]]",
            line=lines.top_level("template"),
        )
    return Config(
        path=path,
        templates=tuple(_entry(entry, index, path, lines) for index, entry in enumerate(entries)),
        policy=_policy(data.get("policy"), path, lines),
    )


def _policy(value: object, path: Path, lines: _Lines) -> str | None:
    """The `policy` key: where the access policy is (docs/access-policy.md)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigFileError(
            path=str(path),
            problem="`policy` must be a path, an https URL or github:OWNER/REPO/PATH, as text",
            line=lines.top_level("policy"),
        )
    value = value.strip()
    if "://" in value or value.startswith("github:"):
        return value
    given = Path(value).expanduser()
    return str(given if given.is_absolute() else path.parent / given)


def _entry(entry: dict[str, object], index: int, path: Path, lines: _Lines) -> SourceSpec:
    def fail(problem: str, key: str | None = None) -> ConfigFileError:
        return ConfigFileError(
            path=str(path),
            problem=f"[[template]] #{index + 1}: {problem}",
            line=lines.of(index, key),
        )

    for key, value in entry.items():
        expected = _ENTRY_KEYS.get(key)
        if expected is None:
            raise fail(f"unknown key {key!r} (known: {', '.join(_ENTRY_KEYS)})", key)
        if not isinstance(value, expected):
            kind = "true or false" if expected is bool else "a string"
            raise fail(f"{key!r} must be {kind}, not {type(value).__name__}", key)
        if expected is str and not str(value).strip():
            raise fail(f"{key!r} is empty", key)
    kinds = [k for k in _KINDS if k in entry]
    if len(kinds) != 1:
        raise fail(
            "give exactly one of path (a template folder), collection (a folder of "
            "template folders) or url (a git repository)"
        )
    kind = kinds[0]
    if kind != "url" and (extra := [k for k in _GIT_ONLY if k in entry]):
        raise fail(f"{extra[0]!r} applies to a git repository (url), not to a {kind}", extra[0])
    name = entry.get("name")
    if kind == "collection" and name is not None:
        raise fail("a collection's templates are named after their folders: drop 'name'", "name")
    if isinstance(name, str) and (not TEMPLATE_NAME.fullmatch(name)):
        raise fail(
            f"name {name!r} is not a template name (letters, digits, '.', '_' and '-', "
            "starting with a letter or digit)",
            "name",
        )
    subdirectory = str(entry.get("subdirectory", "")).strip("/")
    if subdirectory and (
        subdirectory.startswith("~") or any(p in ("", ".", "..") for p in subdirectory.split("/"))
    ):
        raise fail(
            f"subdirectory {subdirectory!r} must be a relative path inside the repository",
            "subdirectory",
        )
    folder = path.parent

    def local(key: str) -> Path | None:
        value = entry.get(key)
        if not isinstance(value, str):
            return None
        given = Path(value).expanduser()
        return given if given.is_absolute() else (folder / given)

    url = entry.get("url")
    if isinstance(url, str) and "://" in url and urllib.parse.urlsplit(url).password:
        # copier would write it into every project's answers file (`_src_path`).
        raise fail("the url holds a password or token: use a git credential helper", "url")
    if isinstance(url, str) and not _looks_remote(url):
        # A local repository path, as copier takes it: relative to this file, like a path.
        url = str(local("url"))
    return SourceSpec(
        where=f"{path}:{lines.of(index, None) or '?'}",
        name=name if isinstance(name, str) else None,
        path=local("path"),
        collection=local("collection"),
        url=url if isinstance(url, str) else None,
        subdirectory=subdirectory,
        ref=str(entry["ref"]) if "ref" in entry else None,
        prereleases=bool(entry.get("prereleases", False)),
    )


def _looks_remote(url: str) -> bool:
    return "://" in url or url.startswith(("git@", "gh:", "gl:", "git+"))


class _Lines:
    """Finds the line of a key in the text of the configuration file (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        header = re.compile(r"\s*\[\[\s*template\s*\]\]")
        self.headers = [n for n, line in enumerate(self.lines) if header.match(line)]

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(
            rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*="
        )
        for n in range(start, min(end, len(self.lines))):
            if pattern.match(self.lines[n]):
                return n + 1
        return None

    def top_level(self, key: str) -> int | None:
        end = self.headers[0] if self.headers else len(self.lines)
        table = re.compile(rf"\s*\[+\s*{re.escape(key)}\b")
        for n, line in enumerate(self.lines):
            if table.match(line):
                return n + 1
        return self._find(key, 0, end)

    def of(self, index: int, key: str | None) -> int | None:
        """The line of `key` in the `index`th [[template]] entry (its header when `key` is
        None or not found)."""
        if index >= len(self.headers):
            return self._find(key, 0, len(self.lines)) if key else None
        start = self.headers[index]
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines)
        return (self._find(key, start + 1, end) if key else None) or start + 1
