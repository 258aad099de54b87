"""Where a catalog and its targets live, and how their text is read.

A catalog is a local file (`LocalCatalog`) or a file in a repository on GitHub
(`RemoteCatalog`, written `github:OWNER/REPO/path/to/all.yaml`). Its targets are local paths
(type `file`) or URLs (type `url`); relative targets are resolved against the file that lists
them, as Backstage does. Local files are read directly; GitHub URLs through the GitHub API
(`github/contents.py`: cached, revalidated with ETags).
"""

from __future__ import annotations

import os
import re
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaffolder.errors import UsageError

if TYPE_CHECKING:
    from scaffolder.github.contents import GitHubFetcher

#: What `os.path.normpath` changes in an absolute path: `//`, a `.` or `..` part, a final `/`.
_UNUSUAL = re.compile(r"//|/\.\.?(?:/|$)|/$")
_REMOTE = re.compile(r"^github:(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)/(?P<path>.+)$")


@dataclass(frozen=True)
class LocalCatalog:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class RemoteCatalog:
    """A catalog file in a GitHub repository; changes to it are proposed as pull requests."""

    owner: str
    repo: str
    path: str

    def __str__(self) -> str:
        return f"github:{self.owner}/{self.repo}/{self.path}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


Catalog = LocalCatalog | RemoteCatalog


def parse_catalog(value: str | Path | None) -> Catalog:
    """`--catalog`: a path, or `github:OWNER/REPO/path/to/all.yaml`; None means the default."""
    if value is None:
        from scaffolder.config import default_catalog_path

        return LocalCatalog(default_catalog_path())
    text = str(value)
    if text.startswith("github:"):
        match = _REMOTE.match(text)
        path = match["path"].strip("/") if match else ""
        if not match or not path or any(p in ("", ".", "..") for p in path.split("/")):
            raise UsageError(
                f"{text!r} is not a catalog on GitHub",
                hint="write it as github:OWNER/REPO/path/to/all.yaml",
            )
        return RemoteCatalog(match["owner"], match["repo"], path)
    return LocalCatalog(Path(text).expanduser())


def is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


class TargetUnreadable(Exception):
    """A target could not be read; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve(base: str, target: str, target_type: str) -> str:
    """The path or URL `target` points at, read from the file `base` (a path or URL)."""
    if (
        target.startswith("/")
        and target_type == "file"
        and not is_url(base)
        and not _UNUSUAL.search(target)
    ):
        # Absolute, no `//`, no `.` or `..` part, no trailing `/`: normpath would give it back
        # as it is (what a catalog scaffolder writes holds; tests/test_catalog_list.py checks).
        return target
    if is_url(target):
        return target
    if is_url(base):
        return urllib.parse.urljoin(base, target)
    if target_type == "url":
        raise TargetUnreadable("a url target must be an absolute http(s) URL")
    # os.path, not pathlib: a walk resolves each of 100,000 targets; pathlib's objects took
    # a quarter of a warm `catalog list`. The result is the same string.
    path = os.path.expanduser(target) if target.startswith("~") else target  # noqa: PTH111
    if not os.path.isabs(path):  # noqa: PTH117
        path = os.path.join(os.path.dirname(base), path)  # noqa: PTH118, PTH120
    normal = os.path.normpath(path)
    return target if normal == target else normal  # one string, not two equal ones


def read_local(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetUnreadable("no such file") from None
    except IsADirectoryError:
        raise TargetUnreadable("is a folder, not an entity file") from None
    except PermissionError:
        raise TargetUnreadable("permission denied") from None
    except UnicodeDecodeError:
        raise TargetUnreadable("not UTF-8 text") from None
    except OSError as exc:
        raise TargetUnreadable(exc.strerror or str(exc)) from None


class Reader:
    """Reads local files directly and URLs through a GitHub fetcher, created on first use."""

    def __init__(self, fetcher: GitHubFetcher | None = None) -> None:
        self._fetcher = fetcher
        self._lock = threading.Lock()

    def fetcher(self) -> GitHubFetcher:
        with self._lock:
            if self._fetcher is None:
                from scaffolder.github.contents import GitHubFetcher

                self._fetcher = GitHubFetcher.from_environment()
            return self._fetcher

    def close(self) -> None:
        """Close the GitHub connections this reader opened, if any."""
        with self._lock:
            if self._fetcher is not None:
                self._fetcher.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, location: str) -> str:
        """The text at a path or URL; raises TargetUnreadable with the reason."""
        if is_url(location):
            return self.read_url(location)
        return read_local(location)

    def read_url(self, url: str) -> str:
        """A `url` target's text, read through the GitHub contents API."""
        from scaffolder.errors import GitHubError
        from scaffolder.github.contents import NotAGitHubFile, parse_github_url

        fetcher = self.fetcher()
        try:
            address = parse_github_url(url, fetcher.settings.api_url)
            found = fetcher.get_file(address)
        except (NotAGitHubFile, GitHubError) as exc:
            raise TargetUnreadable(str(getattr(exc, "message", exc))) from None
        if found is None:
            raise TargetUnreadable(f"not found on GitHub ({address.owner}/{address.repo})")
        return found.text

    def read_catalog(self, catalog: RemoteCatalog) -> tuple[str, str]:
        """A remote catalog's text ('' when the file does not exist yet) and its web URL."""
        return self.fetcher().read_default_branch_file(catalog.owner, catalog.repo, catalog.path)
