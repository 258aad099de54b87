"""The org's template sources: what the configuration file lists (`config.load_config`),
resolved into templates that list and resolve by name beside the built-in ones.

* A `path` is one template folder; a `collection` is a folder whose template folders (those
  with a copier.yml) are templates named after them.
* A `url` is a git repository in any form copier takes. It is used at its newest PEP 440
  release tag (pre-releases only with `prereleases = true`), or at the `ref` the entry (or
  `scaffolder new --vcs-ref`) gives. Its title, languages and version are read from that
  revision's copier.yml with git plumbing (`git_source`), nothing rendered or run. copier is
  then given the URL pinned to that revision, so it records `_commit` in the answers file;
  a template in a `subdirectory` of the repository is rendered from that folder, exported.
* A source that cannot be used now (a missing folder, a repository that cannot be reached, no
  copier.yml, no release tag) is listed as unavailable with the reason; the rest still work.
* Two sources, or a source and a built-in template, with one name are an error naming both.

Sources the configuration lists are trusted with unsafe features, as copier's own `trust`
setting trusts the sources it lists: `allows_unsafe` is the one place that decides.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaffolder.config import Config, SourceSpec, cache_dir, load_config
from scaffolder.errors import (
    ScaffolderError,
    TemplateError,
    TemplateNameClashError,
    TemplateUnavailableError,
    UsageError,
)
from scaffolder.render import git_source
from scaffolder.render.registry import (
    PinnedSource,
    TemplateInfo,
    builtin_names,
    has_config,
    info_from_metadata,
    metadata_of,
)

if TYPE_CHECKING:
    from scaffolder.access.model import Policy


@dataclass(frozen=True)
class _Named:
    """A configured template, named but not yet read."""

    name: str
    spec: SourceSpec
    #: Its folder, for a `path` or a collection's template (None for a `url`).
    folder: Path | None = None
    #: Why it cannot be used, when that is known before reading it (a missing collection).
    broken: str = ""


def _url_name(spec: SourceSpec) -> str:
    last = spec.subdirectory or urllib.parse.urlsplit(str(spec.url)).path or str(spec.url)
    return last.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")


def _named(config: Config) -> list[_Named]:
    named: list[_Named] = []
    for spec in config.templates:
        if spec.collection is not None:
            folder = spec.collection
            if not folder.is_dir():
                why = f"the collection folder {folder} does not exist"
                named.append(_Named(folder.name or str(folder), spec, None, why))
                continue
            named.extend(
                _Named(child.name, spec, child)
                for child in sorted(folder.iterdir())
                if child.is_dir() and not child.name.startswith((".", "_")) and has_config(child)
            )
        elif spec.path is not None:
            named.append(_Named(spec.name or spec.path.name, spec, spec.path))
        else:
            named.append(_Named(spec.name or _url_name(spec), spec))
    return named


def _checked(config: Config) -> list[_Named]:
    """The configured templates; an error if two of them, or one and a built-in, clash."""
    named = _named(config)
    seen: dict[str, str] = {name: f"the built-in template {name}" for name in builtin_names()}
    for entry in named:
        this = f"{entry.spec.location} ({entry.spec.where})"
        if entry.name in seen:
            raise TemplateNameClashError(name=entry.name, first=seen[entry.name], second=this)
        seen[entry.name] = this
    return named


def configured_names() -> list[str]:
    return [entry.name for entry in _checked(load_config())]


def configured_templates() -> list[TemplateInfo]:
    """Every configured template, read; an unavailable one says why (`available`, `reason`)."""
    return [_listed(entry) for entry in _checked(load_config())]


def find(name: str, *, vcs_ref: str | None = None) -> TemplateInfo | None:
    """The configured template called `name` (at `vcs_ref`, for a git one), or None when the
    configuration lists none. Unavailable: `TemplateUnavailableError`."""
    config = load_config()
    if not config.templates:
        return None
    for entry in _checked(config):
        if entry.name == name:
            try:
                return _resolve(entry, vcs_ref)
            except UsageError as exc:
                if isinstance(exc, TemplateError):
                    raise TemplateUnavailableError(name=name, reason=exc.message) from exc
                raise
    return None


def _listed(entry: _Named) -> TemplateInfo:
    try:
        return _resolve(entry, None)
    except TemplateError as exc:
        return TemplateInfo(
            name=entry.name,
            source=entry.spec.location,
            builtin=False,
            title=entry.name,
            configured=True,
            where=entry.spec.where,
            available=False,
            reason=exc.message,
        )


def _resolve(entry: _Named, vcs_ref: str | None) -> TemplateInfo:
    spec = entry.spec
    if entry.broken:
        raise TemplateError(entry.broken)
    if entry.folder is not None:
        if vcs_ref is not None:
            raise UsageError(
                f"--vcs-ref {vcs_ref}: template {entry.name} is a folder ({entry.folder}), "
                "not a git repository",
                hint="leave out --vcs-ref",
            )
        return _folder(entry.name, entry.folder, spec)
    return _git(entry.name, spec, vcs_ref)


def _folder(name: str, folder: Path, spec: SourceSpec) -> TemplateInfo:
    from scaffolder.render.registry import _read_metadata

    if not folder.is_dir():
        raise TemplateError(f"the folder {folder} does not exist")
    if not has_config(folder):
        raise TemplateError(f"{folder} has no copier.yml")
    path = folder.resolve()
    return info_from_metadata(
        name, str(path), _read_metadata(path), configured=True, where=spec.where
    )


def _git(name: str, spec: SourceSpec, vcs_ref: str | None) -> TemplateInfo:
    url = _local_url(str(spec.url))
    with git_source.Repository(url) as repo:
        ref = vcs_ref or spec.ref
        revision = repo.revision(ref) if ref else repo.newest_release(prereleases=spec.prereleases)
        prefix = f"{spec.subdirectory}/" if spec.subdirectory else ""
        text = repo.read(revision, f"{prefix}copier.yml") or repo.read(
            revision, f"{prefix}copier.yaml"
        )
        at = f"{git_source.public(str(spec.url))} at {revision.ref[:40]}"
        if text is None:
            where = f" in {spec.subdirectory}/" if spec.subdirectory else ""
            raise TemplateError(f"{at} has no copier.yml{where}")
        meta = metadata_of(text, f"copier.yml of {at}")
        version = revision.version or _unreleased(meta, revision.commit)
        if spec.subdirectory:
            # copier takes a template only at a repository's root: give it the folder itself.
            source = str(repo.export(revision, spec.subdirectory, _tree(name, revision, spec)))
        else:
            source = PinnedSource(_copier_url(url), revision.ref)
    return info_from_metadata(
        name, source, meta, configured=True, where=spec.where, version=version
    )


def _unreleased(meta: dict[str, object], commit: str) -> str:
    """The version of a commit no release tag names: its copier.yml's, plus the commit (a
    PEP 440 local version, such as 1.2.0+g1a2b3c4d5e6f)."""
    return f"{meta.get('version') or '0'}+g{commit[:12]}"


def _local_url(url: str) -> str:
    """A `file://` URL as the path it names (git and copier both take a path)."""
    if url.lower().startswith("file://"):
        parts = urllib.parse.urlsplit(url)
        if parts.netloc in ("", "localhost"):
            return urllib.parse.unquote(parts.path)
    return url


def _copier_url(url: str) -> str:
    """The source copier is given for a repository: a bare one on disk as a `git+` URL (as a
    path, copier would take it for a folder)."""
    path = Path(url)
    local = "://" not in url and not url.startswith(("gh:", "gl:", "git@", "git+"))
    bare = (path / "HEAD").is_file() and (path / "objects").is_dir() and not has_config(path)
    if local and bare:
        return f"git+{path.resolve().as_uri()}"
    return url


_temporary: list[Path] = []


@atexit.register
def _remove_temporary() -> None:
    for folder in _temporary:
        shutil.rmtree(folder, ignore_errors=True)


def _tree(name: str, revision: git_source.Revision, spec: SourceSpec) -> Path:
    """Where a subdirectory's files at one commit are exported (named after the template, so
    the answers file's `_src_path` names it)."""
    root = cache_dir()
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="scaffolder-tree-"))
        _temporary.append(root)
    key = hashlib.sha256(f"{spec.subdirectory}\0{revision.commit}".encode()).hexdigest()[:24]
    return root / "template-trees" / key / name


# -- trust -----------------------------------------------------------------------------------
def allows_unsafe(info: TemplateInfo, *, trust: bool, policy: Policy | None = None) -> bool:
    """Whether `info`'s tasks, migrations and Jinja extensions may run.

    Built-in templates, and the sources the configuration file lists (by name, or given as the
    same URL or folder, or a folder inside a listed collection), are trusted; any other needs
    `--trust`. With an access `policy` in force, its list of template sources replaces this
    answer (`access.enforce.template_trusted`): a source the configuration trusts but the
    policy does not list is not trusted, and `--trust` counts only where the policy permits it.
    """
    if policy is not None:
        from scaffolder.access.enforce import template_trusted

        decided = template_trusted(policy, info, trust=trust)
        if decided is not None:
            return decided
    if trust or info.builtin or info.configured:
        return True
    try:
        return _is_listed(str(info.source), load_config())
    except ScaffolderError:
        return False


def _is_listed(source: str, config: Config) -> bool:
    for spec in config.templates:
        if spec.url is not None and matches_source(source, spec.url):
            return True
        if spec.path is not None and matches_source(source, str(spec.path)):
            return True
        if spec.collection is not None and matches_source(
            source, str(spec.collection), inside=True
        ):
            return True
    return False


def matches_source(source: str, listed: str, *, inside: bool = False) -> bool:
    """Whether the template source `source` is the one `listed` names: a git URL in any of
    copier's forms (`gh:`, `git+`, `file://`, with or without `.git`) or a folder, compared
    after the same normalisation; with `inside`, also any folder inside `listed`.

    The one matching rule for the configuration's `[[template]]` entries (`allows_unsafe`) and the
    access policy's `templates.sources` (`scaffolder.access.rules`).
    """
    source = source.removeprefix("git+")
    url = _local_url(listed)
    forms = {listed, url, git_source.fetch_url(url), _copier_url(url).removeprefix("git+")}
    if source in forms or _same_path(source, url):
        return True
    if not inside:
        return False
    folder = _as_path(url)
    return folder is not None and _inside(source, folder)


def _as_path(text: str) -> Path | None:
    if text.lower().startswith("file://"):
        text = _local_url(text)
    if "://" in text or text.startswith(("gh:", "gl:", "git@")):
        return None
    try:
        return Path(text).expanduser().resolve()
    except OSError:
        return None


def _same_path(a: str, b: str) -> bool:
    left, right = _as_path(a), _as_path(b)
    return left is not None and left == right


def _inside(source: str, folder: Path) -> bool:
    path = _as_path(source)
    try:
        return path is not None and path.is_relative_to(folder.resolve())
    except OSError:
        return False
