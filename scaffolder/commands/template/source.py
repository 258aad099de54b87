"""The template a lint or test is about: a local folder, a built-in name, or a git URL.

A git URL (`https://...`, `git@host:path`, `ssh://`, `git://`, `file://` of a repository, or
copier's `gh:owner/repo` and `gl:owner/repo` shortcuts) is cloned with real git into a
temporary folder, which is removed when the `Source` closes. A URL's user and password never
appear in a message.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffolder.errors import GitError, TemplateError, UsageError
from scaffolder.render.registry import templates_root
from scaffolder.vcs import git

_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class Source:
    #: What the user gave (shown in results, without credentials).
    ref: str
    #: The template's folder on disk.
    root: Path
    #: A built-in template (it may use unsafe features: scaffolder ships it).
    builtin: bool = False


def is_url(ref: str) -> bool:
    return "://" in ref or ref.startswith(("git@", *_SHORTCUTS))


def display(ref: str) -> str:
    parts = urllib.parse.urlsplit(ref)
    if parts.scheme and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return ref


@contextlib.contextmanager
def open_source(ref: str, *, vcs_ref: str | None = None) -> Iterator[Source]:
    """The template `ref` names, on disk for as long as the context lasts."""
    if not is_url(ref):
        yield _local(ref)
        return
    url = ref
    for short, base in _SHORTCUTS.items():
        if url.startswith(short):
            url = base + url.removeprefix(short).removesuffix(".git") + ".git"
    tmp = Path(tempfile.mkdtemp(prefix="scaffolder-template-"))
    try:
        dst = tmp / "template"
        branch = ["--branch", vcs_ref] if vcs_ref else []
        try:
            git.run_git(["clone", "--quiet", *branch, "--", url, str(dst)], cwd=tmp)
        except GitError as exc:
            raise TemplateError(
                f"cannot clone {display(ref)}: {display(exc.message)}",
                hint="check the URL, that the repository exists and has a commit, and your "
                "network; a local template can be given as a path",
            ) from exc
        yield Source(display(ref), dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _local(ref: str) -> Source:
    path = Path(ref).expanduser()
    if not path.exists() and "/" not in ref and (templates_root() / ref).is_dir():
        return Source(ref, (templates_root() / ref).resolve(), builtin=True)
    if not path.exists():
        raise UsageError(f"{ref} does not exist", hint="give a template folder or a git URL")
    if not path.is_dir():
        raise UsageError(f"{ref} is not a folder", hint="give a template folder or a git URL")
    return Source(ref, path.resolve())
