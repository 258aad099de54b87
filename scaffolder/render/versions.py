"""Versions that name one content: every built-in template's released versions and their digests.

A template's version is `_scaffolder.version` in its `copier.yml`. `templates/versions.json`
records, for each built-in template and the baseline, every version released so far with the
digest of its files::

    {"python-service": {"1.0.0": "sha256:…", "1.1.0": "sha256:…"}, "_baseline": {…}}

A test (tests/test_template_versions.py) holds the current files to the digest recorded for the
current version, so a change to a template that does not change its version fails, and an
update can rely on a version naming exactly one content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

VERSIONS_FILE = "versions.json"
#: Never part of a template's content: caches a test run or an editor may leave behind.
_IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_IGNORED_SUFFIXES = (".pyc", ".pyo", "~")


def template_files(root: Path) -> list[Path]:
    """Every file of the template at `root`, sorted, as paths relative to it."""
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if set(rel.parts) & _IGNORED_PARTS or path.name.endswith(_IGNORED_SUFFIXES):
            continue
        if path.is_file() or path.is_symlink():
            files.append(rel)
    return sorted(files, key=lambda p: p.as_posix())


def digest(root: Path) -> str:
    """A digest of a template folder: each file's relative path, mode bit and bytes."""
    h = hashlib.sha256()
    for rel in template_files(root):
        path = root / rel
        data = (
            ("symlink:" + str(path.readlink())).encode() if path.is_symlink() else path.read_bytes()
        )
        executable = b"x" if not path.is_symlink() and path.stat().st_mode & 0o111 else b"-"
        h.update(rel.as_posix().encode() + b"\0" + executable + b"\0")
        h.update(hashlib.sha256(data).digest())
    return "sha256:" + h.hexdigest()


def recorded_versions(templates_root: Path) -> dict[str, dict[str, str]]:
    """The released versions and digests recorded in `templates/versions.json`."""
    path = templates_root / VERSIONS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold an object of template names")
    return {
        str(name): {str(v): str(d) for v, d in versions.items()} for name, versions in data.items()
    }
