"""What an untrusted template may not do: read the environment or the disk, write into `.git`,
or have git run commands that a repository supplies.

Without `--trust`, a template may only render files. copier's Jinja sandbox stops attribute
tricks, but copier also loads `jinja2_ansible_filters`, whose `expandvars`, `expanduser`,
`realpath` and `fileglob` read the environment and the file system; `restrict_filters` replaces
them with filters that refuse. copier's own default exclude of `.git` is dropped as soon as a
template sets `_subdirectory`; `touches_git` is the rule `copier_adapter` applies to every path
of every layer, trusted or not. Nothing here imports copier.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePath
from typing import Any

from scaffolder.errors import UntrustedTemplateError
from scaffolder.vcs import git

#: Filters that reach outside the template, and what they reach.
_FORBIDDEN_FILTERS = {
    "expandvars": "reads the environment",
    "expanduser": "reads the environment and the user database",
    "realpath": "reads the file system",
    "fileglob": "lists files on disk",
}

_refusals: contextvars.ContextVar[list[UntrustedTemplateError] | None] = contextvars.ContextVar(
    "scaffolder_refusals", default=None
)


def _refuse(template: str, name: str, reads: str) -> UntrustedTemplateError:
    exc = UntrustedTemplateError(
        f"template {template} uses the `{name}` filter, which {reads}",
        hint="an untrusted template may only render files; read the template, and pass "
        "--trust if you trust it",
    )
    found = _refusals.get()
    if found is not None:
        found.append(exc)
    return exc


def _refusing_filter(template: str, name: str, reads: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _refuse(template, name, reads)

    return refuse


def _pure_relpath(template: str) -> Callable[..., str]:
    """`relpath` of two absolute paths is arithmetic; anything else reads the working folder."""

    def relpath(path: Any, start: Any = None) -> str:
        if start is None or not PurePath(path).is_absolute() or not PurePath(start).is_absolute():
            raise _refuse(template, "relpath", "reads the working folder (give two absolute paths)")
        return os.path.relpath(str(path), str(start))

    return relpath


def restrict_filters(env: Any, template: str) -> None:
    """Replace, in the Jinja environment `env`, every filter that reaches outside the template."""
    for name, reads in _FORBIDDEN_FILTERS.items():
        env.filters[name] = _refusing_filter(template, name, reads)
    env.filters["relpath"] = _pure_relpath(template)


@contextlib.contextmanager
def collect_refusals() -> Iterator[list[UntrustedTemplateError]]:
    """Record every refusal inside the block, even one copier catches and rewords.

    (copier turns any exception in a validator into "Validation error"; the caller raises the
    recorded refusal instead.) Nested blocks share the outermost list.
    """
    found = _refusals.get()
    if found is not None:
        yield found
        return
    found = []
    token = _refusals.set(found)
    try:
        yield found
    finally:
        _refusals.reset(token)


#: Code points HFS+ ignores in names, so `.g\u200cit` is `.git` on a Mac (as git's own check).
_HFS_IGNORED = re.compile("[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]")


def is_git_name(part: str) -> bool:
    """Whether a path component names git's folder on some file system: `.git`, `.GIT`,
    `.git.` and `.git ` (Windows), `git~1` (an 8.3 short name), `.g\u200cit` (HFS+)."""
    name = _HFS_IGNORED.sub("", part).casefold().rstrip(". ")
    return name in (".git", "git~1")


def touches_git(path: PurePath) -> bool:
    """Whether `path` is a `.git` folder or file, or lies inside one, at any depth."""
    return any(is_git_name(part) for part in path.parts)


_environ_lock = threading.Lock()
_environ_depth = 0


@contextlib.contextmanager
def hardened_git(extra: Iterable[tuple[str, str]] = ()) -> Iterator[None]:
    """Put `vcs.git.hardened_env` (plus `extra`) into `os.environ` for the block.

    copier runs git through plumbum with this process's environment, so this is how its git
    processes get repository-supplied commands switched off. Existing `GIT_CONFIG_*` entries are
    kept (ours are appended); everything is restored afterwards. Re-entrant: an inner block
    (another template, a nested call) adds its own `extra` and restores only those. Blocks
    nest; they are not meant to overlap from several threads (scaffolder runs copier in one).
    """
    global _environ_depth
    with _environ_lock:
        pairs = list(extra) if _environ_depth else [*git.SAFE_CONFIG, *extra]
        added = git.config_env(pairs) if pairs else {}
        saved = {key: os.environ.get(key) for key in added}
        os.environ.update(added)
        _environ_depth += 1
    try:
        yield
    finally:
        with _environ_lock:
            _environ_depth -= 1
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
