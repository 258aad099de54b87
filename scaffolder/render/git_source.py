"""A template in a git repository, read with git plumbing: which revision to use (its newest
PEP 440 release tag, or a ref asked for), and files of that revision, without a checkout,
without rendering and without running anything from it.

Objects are fetched (one commit deep) into a bare repository in scaffolder's cache, one per
URL, so a revision read once is read again without the network; with the cache off, into a
temporary one. Every git process runs hardened (`vcs.git.run_git`), and honours the user's git
config (`url.<base>.insteadOf`, credentials helpers) as copier's own git calls do.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tarfile
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffolder.config import cache_dir
from scaffolder.errors import GitError, TemplateError
from scaffolder.vcs import git

#: copier's shortcuts (`copier._vcs.REPLACEMENTS`): `gh:owner/repo` is GitHub over https.
_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_HEX = re.compile(r"[0-9a-f]{7,64}")
#: How long a fetch waits for another one into the same cached repository.
FETCH_LOCK_SECONDS = 300


def fetch_url(url: str) -> str:
    """The URL git is given for a source written in one of copier's forms."""
    for alias, base in _ALIASES.items():
        if url.startswith(alias):
            rest = url.removeprefix(alias).lstrip("/")
            return base + (rest if rest.endswith(".git") else f"{rest}.git")
    if url.startswith("git+"):
        return url.removeprefix("git+")
    if url.startswith("https://") and not url.endswith(".git") and "github.com/" in url:
        return f"{url}.git"
    return url


def public(url: str) -> str:
    """`url` fit for a message: without a user or password."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return url


def _secrets(url: str) -> list[str]:
    password = urllib.parse.urlsplit(url).password if "://" in url else None
    return [password] if password else []


@dataclass(frozen=True)
class Revision:
    """The revision of a repository a template is read and rendered at."""

    #: What copier checks out: the tag's name, else the commit.
    ref: str
    commit: str
    #: The release the tag names (PEP 440, normalised: `v1.2.0` is 1.2.0); "" for a branch or
    #: a commit.
    version: str


def release_version(tag: str) -> Version | None:
    """The PEP 440 version a tag names (`v1.0.0`, `1.0.0rc1`), or None."""
    try:
        return Version(tag)
    except InvalidVersion:
        return None


class Repository:
    """A git repository at `url`, read through a local bare repository of its objects."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.remote = fetch_url(url)
        self._refs: dict[str, str] | None = None
        self._store: Path | None = None
        self._temporary: Path | None = None

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    # -- the remote ----------------------------------------------------------------------
    def _git(self, args: list[str], cwd: Path) -> str:
        try:
            return git.run_git(args, cwd=cwd, secrets=_secrets(self.remote)).stdout
        except GitError as exc:
            raise TemplateError(
                f"cannot read {public(self.url)}: {public(exc.message)}",
                hint="check the URL, that the repository exists, and your network",
            ) from exc

    def refs(self) -> dict[str, str]:
        """Every ref of the remote (`refs/tags/v1.0.0`, `refs/heads/main`) and its commit."""
        if self._refs is None:
            found: dict[str, str] = {}
            for line in self._git(["ls-remote", "--", self.remote], self.store).splitlines():
                sha, _, name = line.partition("\t")
                if name.endswith("^{}"):
                    found[name.removesuffix("^{}")] = sha  # an annotated tag's commit
                else:
                    found.setdefault(name, sha)
            self._refs = found
        return self._refs

    def tags(self) -> dict[str, str]:
        return {
            name.removeprefix("refs/tags/"): sha
            for name, sha in self.refs().items()
            if name.startswith("refs/tags/")
        }

    def newest_release(self, *, prereleases: bool = False) -> Revision:
        """The newest PEP 440 release tag (pre-releases only when asked), as copier picks."""
        releases = [
            (version, tag, sha)
            for tag, sha in self.tags().items()
            if (version := release_version(tag)) is not None
            and (prereleases or not version.is_prerelease)
        ]
        if not releases:
            tags = self.tags()
            raise TemplateError(
                f"{public(self.url)} has no release tag"
                + (
                    f" (its tags {', '.join(sorted(tags))} are not PEP 440 versions)"
                    if tags
                    else ""
                )
                + ("" if prereleases else ", or only pre-releases"),
                hint="tag a release (git tag v1.0.0), or give a ref in the configuration file",
            )
        version, tag, sha = max(releases)
        return Revision(ref=tag, commit=sha, version=str(version))

    def revision(self, ref: str) -> Revision:
        """The revision `ref` names: a tag, a branch, or a commit (its hash, or a prefix of
        one the remote advertises)."""
        refs = self.refs()
        if (sha := refs.get(f"refs/tags/{ref}")) is not None:
            version = release_version(ref)
            return Revision(ref=ref, commit=sha, version=str(version) if version else "")
        if (sha := refs.get(f"refs/heads/{ref}") or refs.get(ref)) is not None:
            return Revision(ref=sha, commit=sha, version="")
        if _HEX.fullmatch(ref):
            known = {sha for sha in refs.values() if sha.startswith(ref)}
            commit = known.pop() if len(known) == 1 else ref
            self._fetch(commit)
            full = self._git(
                ["rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"], self.store
            )
            return Revision(ref=full.strip(), commit=full.strip(), version="")
        raise TemplateError(
            f"{public(self.url)} has no tag, branch or commit {ref!r}",
            hint="see its tags with `git ls-remote --tags URL`",
        )

    # -- objects -------------------------------------------------------------------------
    @property
    def store(self) -> Path:
        """The bare repository holding what was fetched from the remote."""
        if self._store is None:
            root = cache_dir()
            if root is None:
                self._temporary = Path(tempfile.mkdtemp(prefix="scaffolder-source-"))
                store = self._temporary / "objects.git"
            else:
                key = hashlib.sha256(public(self.remote).encode()).hexdigest()[:32]
                store = root / "template-sources" / f"{key}.git"
            if not (store / "HEAD").is_file():
                store.mkdir(parents=True, exist_ok=True)
                git.run_git(["init", "--bare", "--quiet", str(store)], cwd=store)
            self._store = store
        return self._store

    def _has(self, commit: str) -> bool:
        proc = git.run_git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=self.store, check=False)
        return proc.returncode == 0

    def _fetch(self, commit: str, refname: str | None = None) -> None:
        if self._has(commit):
            return
        from filelock import FileLock, Timeout

        # One fetch at a time into a store: two at once (two `new` runs of one template) race
        # for its `shallow.lock`, and the second fails. The one that waited may find the
        # commit fetched already.
        lock = FileLock(f"{self.store}.lock", timeout=FETCH_LOCK_SECONDS, mode=0o600)
        # By name when there is one (every server serves a ref), else by hash.
        want = refname or commit
        try:
            with lock:
                if self._has(commit):
                    return
                args = ["fetch", "--quiet", "--depth=1", "--no-tags", "--", self.remote, want]
                self._git(args, self.store)
        except Timeout:
            raise GitError(
                f"another scaffolder has been fetching {public(self.url)} into {self.store} "
                f"for over {FETCH_LOCK_SECONDS} s",
                hint="wait for it to finish, then run this again",
            ) from None
        if not self._has(commit):
            raise TemplateError(f"{public(self.url)}: fetching {want} did not bring {commit}")

    def _refname(self, revision: Revision) -> str | None:
        for name, sha in self.refs().items():
            if sha == revision.commit and name.startswith(("refs/tags/", "refs/heads/")):
                return name
        return None

    def read(self, revision: Revision, path: str) -> str | None:
        """The text of the file `path` at `revision`, or None when there is none."""
        self._fetch(revision.commit, self._refname(revision))
        spec = f"{revision.commit}:{path}"
        kind = git.run_git(["cat-file", "-t", spec], cwd=self.store, check=False)
        if kind.returncode != 0 or kind.stdout.strip() != "blob":
            return None
        return self._git(["cat-file", "blob", spec], self.store)

    def export(self, revision: Revision, subdirectory: str, dest: Path) -> Path:
        """The files of `subdirectory` at `revision`, as a plain folder at `dest` (made once:
        a commit's files do not change)."""
        if dest.is_dir():
            return dest
        self._fetch(revision.commit, self._refname(revision))
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            archive = staging / "tree.tar"
            tree = f"{revision.commit}:{subdirectory}" if subdirectory else revision.commit
            self._git(["archive", "--format=tar", f"--output={archive}", tree], self.store)
            folder = staging / "tree"
            with tarfile.open(archive) as tar:
                # The "data" filter refuses links out of the folder, devices and odd modes.
                tar.extractall(folder, filter="data")
            try:
                folder.replace(dest)
            except OSError:
                if not dest.is_dir():  # else another run exported it first: use that one
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest
