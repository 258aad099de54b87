"""Where templates come from: the built-in ones, a local path, or a git URL.

Built-in templates live in the repository's top-level `templates/`. A wheel carries them as
`scaffolder/_templates` (see `pyproject.toml`); a source checkout or editable install reads the
top-level folder. Folders whose name starts with `_` are layers, not templates: `_baseline` is
the security baseline rendered on top of every template.

Listing reads each `copier.yml` with PyYAML only, so it stays fast and never imports copier.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffolder.datafiles import FastSafeLoader
from scaffolder.errors import TemplateError, UnknownTemplateError

BASELINE_LAYER = "_baseline"
_FOLDER_HINT = "point at a copier template folder, a git repository of one, or a git URL"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def templates_root() -> Path:
    """The folder holding the built-in templates, installed or in a checkout."""
    installed = _PACKAGE_DIR / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "templates"


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    #: What copier is given as `src_path`.
    source: str
    builtin: bool
    title: str = ""
    description: str = ""
    version: str = ""
    languages: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "version": self.version,
            "languages": list(self.languages),
            "builtin": self.builtin,
        }


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
    try:
        # copier.yml may hold several documents (copier merges them); so does this.
        docs = list(yaml.load_all(config.read_text(encoding="utf-8"), Loader=_LenientLoader))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{config} is not valid YAML: {exc}") from exc
    data: dict[str, Any] = {}
    for doc in docs:
        if isinstance(doc, dict):
            data.update(doc)
    meta = data.get("_scaffolder")
    return dict(meta) if isinstance(meta, dict) else {}


def _info(name: str, path: Path, *, builtin: bool) -> TemplateInfo:
    meta = _read_metadata(path)
    languages = meta.get("languages") or []
    return TemplateInfo(
        name=name,
        source=str(path),
        builtin=builtin,
        title=str(meta.get("title", name)),
        description=str(meta.get("description", "")),
        version=str(meta.get("version", "")),
        languages=tuple(str(lang) for lang in languages),
        metadata=meta,
    )


def builtin_templates() -> list[TemplateInfo]:
    root = templates_root()
    if not root.is_dir():
        return []
    return [
        _info(path.name, path, builtin=True)
        for path in sorted(root.iterdir())
        if path.is_dir() and not path.name.startswith((".", "_")) and _has_config(path)
    ]


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


def resolve_template(ref: str) -> TemplateInfo:
    """A built-in template by name, a local template folder or git repository, or a git URL.

    A `file://` URL names a local folder or repository and works exactly like its path.
    """
    # A built-in name is a folder of the templates root: read that one, not every template.
    builtin = templates_root() / ref
    if (
        ref
        and "/" not in ref
        and not ref.startswith((".", "_"))
        and builtin.is_dir()
        and _has_config(builtin)
    ):
        return _info(ref, builtin, builtin=True)
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
    raise UnknownTemplateError(ref, [t.name for t in builtin_templates()])
