"""Python code the standard library writes while modules load, compiled once and kept.

`dataclasses` writes every dataclass's `__init__`, `__repr__`, `__eq__`, `__hash__` (and, when
frozen, `__setattr__` and `__delattr__`) as Python source and compiles it when the class is
made, at import; `typing.ForwardRef` compiles each string annotation pydantic evaluates. One
`scaffolder new` makes about 300 dataclasses (scaffolder's, copier's, pydantic's) and 900
forward references: compiling that source was about a tenth of its run. `install()` gives
those two modules an `exec` and a `compile` that take the code from a file this user's
earlier runs wrote, and compile only what is not in it.

It is an accelerator, never trusted over the source, as `jinja_cache` is:

- an entry is the exact source text (and the mode it is compiled in) with the code object
  `compile(source, "<string>", mode, dont_inherit=True)` gives, in a file named for this
  Python's bytecode magic number and cache tag: the code is only ever what this same
  interpreter compiled from the same text. (Neither module has `from __future__` imports, so
  their own calls inherit no flags: `dont_inherit=True` compiles exactly what they would.)
- the directory is created private (0700) and used only if it is a real directory owned by
  this user that no one else may write; the file is written atomically, 0600, and read only
  if it is a regular file owned by this user, under 16 MiB, starting with this module's header;
- a file that cannot be read or does not load is ignored, and a file that cannot be written is
  not written: the cache can never make a command fail.

The entries are `marshal` data (Python code objects), as `__pycache__` files are: the cache
directory is as trusted as the user's own files. Each command has its own file (`new` loads
what `new` makes), rewritten when a run compiled something new, with what that run used and
compiled: entries an upgrade made stale go with the next rewrite.

Only the console entry point (`scaffolder.cli.run`) installs it: importing scaffolder as a
library changes nothing in the standard library. `$SCAFFOLDER_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import re
import stat
import sys
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

from scaffolder import config

#: Bumped when the layout of the file changes.
_HEADER = b"scaffolder-code-cache 1\n"
_MAX_FILE = 16 * 1024 * 1024
_SOURCE_NAME = "<string>"


def private_dir(path: Path) -> bool:
    """Create `path` (0700) if missing; True if it is a real directory only this user writes."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def read_private(path: Path, limit: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a symlink) of this user's, at most
    `limit` bytes long; else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > limit:
            return None
        chunks = []
        while chunk := os.read(fd, limit + 1):
            chunks.append(chunk)
        data = b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a 0600 temporary file, then a rename); nothing (and
    no error) if that cannot be done. The caller checked that the folder is private."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        Path(tmp).replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()


class CodeCache:
    """Compiled code by source text, loaded from and saved to one file (or none)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: dict[str, types.CodeType] | None = None
        self._private: bool | None = None
        #: What this process asked for: what the next file holds.
        self.used: dict[str, types.CodeType] = {}
        #: How many of `used` were compiled here (not found in the file).
        self.compiled = 0

    def _usable(self) -> bool:
        """Whether the cache directory and its `python` folder are private to this user."""
        if self._private is None:
            self._private = self.path is not None and all(
                private_dir(folder) for folder in (self.path.parent.parent, self.path.parent)
            )
        return self._private

    def _load(self) -> dict[str, types.CodeType]:
        if self.path is None or not self._usable():
            return {}
        data = read_private(self.path, _MAX_FILE)
        if data is None or not data.startswith(_HEADER):
            return {}
        try:
            # Code this interpreter compiled, in this user's private cache (module docstring).
            entries = marshal.loads(data[len(_HEADER) :])  # noqa: S302
        except (EOFError, ValueError, TypeError):
            return {}
        if not isinstance(entries, dict):
            return {}
        return {
            key: code
            for key, code in entries.items()
            if isinstance(key, str) and isinstance(code, types.CodeType)
        }

    def code(self, source: str, mode: str) -> types.CodeType:
        """What `compile(source, "<string>", mode, dont_inherit=True)` returns."""
        key = f"{mode}\0{source}"
        code = self.used.get(key)
        if code is not None:
            return code
        if self._known is None:
            self._known = self._load()  # on first use: a command that makes nothing reads nothing
        code = self._known.get(key)
        if code is None:
            code = builtins.compile(source, _SOURCE_NAME, mode, dont_inherit=True)
            self.compiled += 1
        self.used[key] = code
        return code

    def save(self) -> None:
        """Write what this process used, if it compiled anything the file did not hold."""
        if self.path is None or not self.compiled or not self._usable():
            return
        write_private(self.path, _HEADER + marshal.dumps(self.used))
        self.compiled = 0


def _cached_exec(cache: CodeCache) -> Any:
    def exec_(source: Any, namespace: Any = None, local_ns: Any = None, /) -> None:
        if namespace is None:
            # exec's default is its caller's namespace, which a wrapper cannot stand for.
            frame = sys._getframe(1)
            namespace = frame.f_globals
            local_ns = frame.f_locals if local_ns is None else local_ns
        if type(source) is str:
            source = cache.code(source, "exec")
        builtins.exec(source, namespace, local_ns)  # noqa: S102 -- the standard library's own call

    return exec_


def _cached_compile(cache: CodeCache) -> Any:
    def compile_(
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
        **kwargs: Any,
    ) -> Any:
        if (
            type(source) is str
            and filename == _SOURCE_NAME
            and mode == "eval"
            and not flags
            and optimize == -1
            and not kwargs
        ):
            return cache.code(source, mode)
        # The caller (a module without `from __future__` imports) had no flags to inherit.
        return builtins.compile(source, filename, mode, flags, True, optimize, **kwargs)

    return compile_


#: The cache `install()` put in place, if any.
_installed: CodeCache | None = None


def _file_name(command: str) -> str:
    tag = sys.implementation.cache_tag or "python"
    return f"{tag}-{importlib.util.MAGIC_NUMBER.hex()}-{re.sub(r'[^a-z]', '', command)}.marshal"


def install(command: str) -> CodeCache | None:
    """Give `dataclasses` and `typing` the cached `exec`/`compile`, with `command`'s file.

    Returns the cache (None when caching is off); `save()` it at the end of the run.
    """
    global _installed
    if _installed is not None:
        return _installed
    root = config.cache_dir()
    if root is None:
        return None
    cache = CodeCache(root / "python" / _file_name(command or "none"))
    # Module globals named like the builtins: these two modules' calls find them first.
    dataclasses.exec = _cached_exec(cache)  # type: ignore[attr-defined]
    typing.compile = _cached_compile(cache)  # type: ignore[attr-defined]
    _installed = cache
    return cache


def uninstall() -> None:
    """Give `dataclasses` and `typing` back the builtins (tests)."""
    global _installed
    for module, name in ((dataclasses, "exec"), (typing, "compile")):
        module.__dict__.pop(name, None)
    _installed = None
