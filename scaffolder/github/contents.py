"""Read files on GitHub through the contents API, cached on disk and revalidated with ETags.

A `url` target such as `https://github.com/acme/api/blob/main/catalog-info.yaml` is read as
`GET /repos/acme/api/contents/catalog-info.yaml?ref=main`. The answer is kept in the user cache
directory with its `ETag`; the next read sends `If-None-Match` and a `304 Not Modified` costs no
rate limit and no download. Enterprise Server works the same way: its web host is the API
URL's host (`https://HOST/api/v3` serves `https://HOST/OWNER/REPO/blob/...`).

All calls go through `scaffolder.github.GitHubClient` (token, retries, error translation).
PyGithub's requester is not safe to share between threads, so each thread gets its own client.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.errors import GitHubError
from scaffolder.github.pool import ClientPool

if TYPE_CHECKING:
    from github import Github

    from scaffolder.github import GitHubSettings


def web_base(api_url: str) -> str:
    """`https://github.com` for github.com; `scheme://host[:port]` of the API otherwise."""
    parts = urllib.parse.urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class FileAddress:
    owner: str
    repo: str
    path: str
    #: Branch, tag or commit; None means the repository's default branch.
    ref: str | None


class NotAGitHubFile(ValueError):
    """A URL that names no file on the GitHub scaffolder reads; the message says why."""


def parse_github_url(url: str, api_url: str) -> FileAddress:
    """The repository file a web URL points at; NotAGitHubFile if it is not on this GitHub."""
    parts = urllib.parse.urlsplit(url)
    segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    base = urllib.parse.urlsplit(web_base(api_url))
    if parts.hostname == "raw.githubusercontent.com" and base.hostname == "github.com":
        if len(segments) >= 4:
            return FileAddress(segments[0], segments[1], "/".join(segments[3:]), segments[2])
    elif parts.netloc == base.netloc:
        if len(segments) >= 5 and segments[2] in ("blob", "tree"):
            return FileAddress(segments[0], segments[1], "/".join(segments[4:]), segments[3])
    else:
        raise NotAGitHubFile(
            f"not a file on {base.netloc} (the GitHub scaffolder reads; set "
            "SCAFFOLDER_GITHUB_API_URL for an Enterprise Server)"
        )
    raise NotAGitHubFile("not a GitHub file URL (expected .../OWNER/REPO/blob/REF/PATH)")


def repository_of_url(url: str) -> str:
    """`https://github.com/OWNER/REPO` for a file URL on GitHub; '' when it has no such shape."""
    parts = urllib.parse.urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return ""
    host = "github.com" if parts.hostname == "raw.githubusercontent.com" else parts.netloc
    return f"{parts.scheme}://{host}/{segments[0]}/{segments[1]}"


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


@dataclass(frozen=True)
class RemoteFile:
    text: str
    #: The blob sha (needed to update the file), and the address it was read from.
    sha: str
    address: FileAddress


class _Cache:
    """`{etag, sha, text}` per request, one JSON file each, written atomically, mode 0600."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def get(self, key: str) -> dict[str, str] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        ok = isinstance(data, dict) and data.get("key") == key and "etag" in data
        return data if ok else None

    def put(self, key: str, etag: str, sha: str, text: str) -> None:
        """Best effort: a cache that cannot be written only costs a download next time."""
        payload = json.dumps({"key": key, "etag": etag, "sha": sha, "text": text})
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            Path(tmp).replace(self._path(key))
        except OSError:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()


@dataclass
class FetchStats:
    """How reads were answered: downloaded, or revalidated from the cache (304)."""

    downloaded: int = 0
    not_modified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int) -> None:
        with self.lock:
            if status == 304:
                self.not_modified += 1
            else:
                self.downloaded += 1


class GitHubFetcher(ClientPool):
    """Reads repository files and catalogs on one GitHub, for any number of threads."""

    def __init__(self, settings: GitHubSettings, cache_dir: Path) -> None:
        super().__init__(settings)
        self.cache = _Cache(cache_dir)
        self.stats = FetchStats()

    @classmethod
    def from_environment(cls, *, api_url: str | None = None) -> GitHubFetcher:
        """Settings from the environment; `api_url` is a `--github-api-url` flag, if given."""
        from platformdirs import user_cache_path

        from scaffolder.github import GitHubSettings

        cache = user_cache_path("scaffolder", appauthor=False) / "catalog"
        return cls(GitHubSettings.from_env(api_url=api_url), cache)

    # -- reading ----------------------------------------------------------------------------
    def get_file(self, address: FileAddress) -> RemoteFile | None:
        """The file's text, from the cache when GitHub says it has not changed; None if absent.

        Raises GitHubError (already translated) for anything but a 404.
        """
        client = self.client()
        repo = f"{address.owner}/{address.repo}"
        path = f"/repos/{urllib.parse.quote(repo)}/contents/{urllib.parse.quote(address.path)}"
        params = {"ref": address.ref} if address.ref else None
        key = f"{self.settings.api_url} {repo} {address.path} {address.ref or ''}"
        cached = self.cache.get(key)
        headers = {"If-None-Match": cached["etag"]} if cached else {}

        def send(gh: Github) -> tuple[int, dict[str, Any], Any]:
            status, response_headers, body = gh.requester.requestJson(
                "GET", path, parameters=params, headers=headers
            )
            data = json.loads(body) if body and status != 304 else None
            if status >= 400:
                raise gh.requester.createException(status, response_headers, data or {})
            return status, response_headers, data

        what = f"read {address.path} in {repo}" + (f" at {address.ref}" if address.ref else "")
        try:
            status, response_headers, data = client.call(what, send)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        self.stats.count(status)
        if status == 304 and cached is not None:
            return RemoteFile(cached["text"], cached["sha"], address)
        if not isinstance(data, dict) or data.get("type") != "file":
            raise GitHubError(f"{what}: GitHub answered with a {_kind(data)}, not a file")
        text = _decode(data, what)
        sha = str(data.get("sha", ""))
        if etag := _header(response_headers, "etag"):
            self.cache.put(key, etag, sha, text)
        return RemoteFile(text, sha, address)

    def default_branch(self, owner: str, repo: str) -> str:
        data = self.client().rest("GET", f"/repos/{owner}/{repo}", what=f"read {owner}/{repo}")
        return str(data.get("default_branch") or "main")

    def read_default_branch_file(self, owner: str, repo: str, path: str) -> tuple[str, str]:
        """A file on the default branch: its text ('' when it does not exist yet), its web URL."""
        branch = self.default_branch(owner, repo)
        found = self.get_file(FileAddress(owner, repo, path, branch))
        url = self.blob_url(owner, repo, branch, path)
        return (found.text if found else ""), url

    def blob_url(self, owner: str, repo: str, ref: str, path: str) -> str:
        quoted = urllib.parse.quote(path)
        return f"{web_base(self.settings.api_url)}/{owner}/{repo}/blob/{ref}/{quoted}"


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "folder"
    if isinstance(data, dict):
        return str(data.get("type", "non-file answer"))
    return "empty answer"


def _decode(data: Mapping[str, Any], what: str) -> str:
    if data.get("encoding") != "base64":
        raise GitHubError(
            f"{what}: the file is too large for the contents API (encoding "
            f"{data.get('encoding')!r})"
        )
    try:
        return base64.b64decode(str(data.get("content", ""))).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise GitHubError(f"{what}: not UTF-8 text") from exc
