"""Where templates come from: the built-in ones, a local path, or a git URL.

Built-in templates live in the repository's top-level `templates/`. A wheel carries them as
`scaffolder/_templates` (see `pyproject.toml`); a source checkout or editable install reads the
top-level folder. Folders whose name starts with `_` are layers, not templates: `_baseline` is
the security baseline rendered on top of every template.

Templates the configuration file lists (the org's own: `render/sources.py`) resolve by name
like built-in ones.

Listing reads each `copier.yml` with PyYAML only, so it stays fast and never imports copier.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from scaffolder.datafiles import FastSafeLoader
from scaffolder.errors import TemplateError, UnknownTemplateError, UsageError

BASELINE_LAYER = "_baseline"
_FOLDER_HINT = "point at a copier template folder, a git repository of one, or a git URL"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


#: Points `templates_root()` at another folder of built-in templates: those of another
#: scaffolder release, laid out as `templates/` is. The tests use it to make a project with one
#: version of the baseline and update it to another (tests/test_update.py); a template author
#: can use it to try a change before the release. Everything else about those templates is as
#: for the shipped ones (they are trusted: whoever sets the environment runs scaffolder).
TEMPLATES_DIR_ENV = "SCAFFOLDER_TEMPLATES_DIR"


def templates_root() -> Path:
    """The folder holding the built-in templates, installed or in a checkout (or the folder
    `$SCAFFOLDER_TEMPLATES_DIR` names)."""
    import os

    if override := os.environ.get(TEMPLATES_DIR_ENV):
        return Path(override).expanduser().absolute()
    installed = _PACKAGE_DIR / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "templates"


class PinnedSource(str):
    """A git template source with the ref copier is to check out (a tag, branch or commit).

    It is the URL (or repository path) as text, so it travels wherever a source does (layers,
    messages, JSON); `copier_adapter` reads `vcs_ref` from it and hands copier both. Without a
    pin copier takes the newest release tag itself.
    """

    vcs_ref: str

    def __new__(cls, url: str, vcs_ref: str) -> PinnedSource:
        pinned = super().__new__(cls, url)
        pinned.vcs_ref = vcs_ref
        return pinned

    def __reduce__(self) -> tuple[Any, ...]:
        return (PinnedSource, (str(self), self.vcs_ref))


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    #: What copier is given as `src_path` (a `PinnedSource` for a git ref to check out).
    source: str
    builtin: bool
    title: str = ""
    description: str = ""
    version: str = ""
    languages: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Listed in the configuration file: trusted as copier's `trust` setting trusts a source.
    configured: bool = False
    #: Where the configuration file lists it (`FILE:LINE`), for messages.
    where: str = ""
    #: False for a configured source that cannot be used now; `reason` says why.
    available: bool = True
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "version": self.version,
            "languages": list(self.languages),
            "builtin": self.builtin,
            "configured": self.configured,
            "source": _public(self.source),
            "available": self.available,
            "reason": self.reason or None,
        }

    def describe(self) -> str:
        """The template and where it comes from, for a message naming it."""
        if self.builtin:
            return f"the built-in template {self.name}"
        where = f" ({self.where})" if self.where else ""
        return f"{_public(self.source)}{where}"


def _public(source: str) -> str:
    """A source fit to show: a URL without a user or password in it."""
    parts = urllib.parse.urlsplit(source)
    if parts.scheme and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return source


class _LenientLoader(FastSafeLoader):
    """Reads `copier.yml` files that use copier's `!include` without following it."""


_LenientLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
# Its own `!include` too: a global one added to SafeLoader (pytest-copie does) would win.
_LenientLoader.add_constructor("!include", lambda loader, node: None)


def _read_metadata(template_dir: Path) -> dict[str, Any]:
    for candidate in ("copier.yml", "copier.yaml"):
        config = template_dir / candidate
        if config.is_file():
            break
    else:
        return {}
    return metadata_of(config.read_text(encoding="utf-8"), str(config))


def metadata_of(text: str, where: str) -> dict[str, Any]:
    """The `_scaffolder` block of a `copier.yml`'s text (`where` names it in an error)."""
    try:
        # copier.yml may hold several documents (copier merges them); so does this.
        docs = list(yaml.load_all(text, Loader=_LenientLoader))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{where} is not valid YAML: {exc}") from exc
    data: dict[str, Any] = {}
    for doc in docs:
        if isinstance(doc, dict):
            data.update(doc)
    meta = data.get("_scaffolder")
    return dict(meta) if isinstance(meta, dict) else {}


def _info(name: str, path: Path, *, builtin: bool) -> TemplateInfo:
    return info_from_metadata(name, str(path), _read_metadata(path), builtin=builtin)


def info_from_metadata(
    name: str, source: str, meta: dict[str, Any], *, builtin: bool = False, **more: Any
) -> TemplateInfo:
    """A template's info from its `_scaffolder` metadata (`more`: other TemplateInfo fields)."""
    languages = meta.get("languages") or []
    fields: dict[str, Any] = {
        "title": str(meta.get("title", name)),
        "description": str(meta.get("description", "")),
        "version": str(meta.get("version", "")),
        "languages": tuple(str(lang) for lang in languages),
        **more,
    }
    return TemplateInfo(name=name, source=source, builtin=builtin, metadata=meta, **fields)


def builtin_templates() -> list[TemplateInfo]:
    root = templates_root()
    if not root.is_dir():
        return []
    return [
        _info(path.name, path, builtin=True)
        for path in sorted(root.iterdir())
        if path.is_dir() and not path.name.startswith((".", "_")) and _has_config(path)
    ]


def builtin_names() -> list[str]:
    """The built-in templates' names, without reading their `copier.yml`."""
    root = templates_root()
    if not root.is_dir():
        return []
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_")) and _has_config(path)
    )


def has_config(path: Path) -> bool:
    """Whether `path` is a copier template folder (it has a copier.yml)."""
    return _has_config(path)


def _has_config(path: Path) -> bool:
    return (path / "copier.yml").is_file() or (path / "copier.yaml").is_file()


def baseline_layer() -> TemplateInfo:
    return _info(BASELINE_LAYER, templates_root() / BASELINE_LAYER, builtin=True)


def _looks_like_url(ref: str) -> bool:
    return "://" in ref or ref.startswith(("git@", "gh:", "gl:"))


def _is_bare_repository(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _file_url_path(ref: str) -> Path:
    """The local path a `file://` URL names (copier would take it for a folder called `file:`)."""
    parts = urllib.parse.urlsplit(ref)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise TemplateError(
            f"{ref} is not a local file URL",
            hint="write file:///absolute/path/to/template, or give the path itself",
        )
    return Path(urllib.parse.unquote(parts.path))


def resolve_template(ref: str, *, vcs_ref: str | None = None) -> TemplateInfo:
    """A template by name (built-in, or listed in the configuration file), a local template
    folder or git repository, or a git URL. `vcs_ref` picks a tag, branch or commit of a git
    template (else the newest release tag).

    A `file://` URL names a local folder or repository and works exactly like its path.
    """
    from scaffolder.render import sources

    if vcs_ref is not None and not vcs_ref.strip():
        raise UsageError("--vcs-ref is empty", hint="give a tag, branch or commit")
    configured = sources.find(ref, vcs_ref=vcs_ref)
    if configured is not None:
        return configured
    # A built-in name is a folder of the templates root: read that one, not every template.
    builtin = templates_root() / ref
    if (
        ref
        and "/" not in ref
        and not ref.startswith((".", "_"))
        and builtin.is_dir()
        and _has_config(builtin)
    ):
        if vcs_ref is not None:
            raise UsageError(
                f"--vcs-ref {vcs_ref}: {ref} is a built-in template, not a git repository",
                hint="leave out --vcs-ref (a built-in template has one version)",
            )
        return _info(ref, builtin, builtin=True)
    info = _resolve_location(ref)
    if vcs_ref is None:
        return info
    local = not info.source.startswith("git+") and not _looks_like_url(info.source)
    if local and not (Path(info.source) / ".git").exists():
        raise UsageError(
            f"--vcs-ref {vcs_ref}: {ref} is a folder, not a git repository",
            hint="give a git repository or URL, or leave out --vcs-ref",
        )
    return replace(info, source=PinnedSource(info.source, vcs_ref), version="")


def _resolve_location(ref: str) -> TemplateInfo:
    if ref.lower().startswith("file://"):
        path = _file_url_path(ref)
        if not path.exists():
            raise TemplateError(f"{ref} names {path}, which does not exist", hint=_FOLDER_HINT)
        ref = str(path)
    if _looks_like_url(ref):
        name = ref.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        return TemplateInfo(name=name, source=ref, builtin=False, title=name)
    path = Path(ref).expanduser()
    if ("/" in ref or ref.startswith(".")) and path.is_dir():
        if _is_bare_repository(path) and not _has_config(path):
            # copier clones a repository given as a git URL; as a bare path it sees a folder.
            name = path.resolve().name.removesuffix(".git")
            source = f"git+{path.resolve().as_uri()}"
            return TemplateInfo(name=name, source=source, builtin=False, title=name)
        if not _has_config(path):
            raise TemplateError(f"{path} has no copier.yml", hint=_FOLDER_HINT)
        return _info(path.resolve().name, path.resolve(), builtin=False)
    from scaffolder.render import sources

    raise UnknownTemplateError(ref, [*builtin_names(), *sources.configured_names()])
