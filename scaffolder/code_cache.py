"""Code the standard library compiles while modules load, compiled once and kept.

`dataclasses` writes every dataclass's `__init__`, `__repr__`, `__eq__`, `__hash__` (and, when
frozen, `__setattr__` and `__delattr__`) as Python source and compiles it when the class is
made, at import; `typing.ForwardRef` compiles each string annotation pydantic evaluates; and
`re` compiles every regular expression a module compiles at import (PyYAML's, Jinja's, ...)
from its text, in Python. One `scaffolder new` makes about 300 dataclasses (scaffolder's,
copier's, pydantic's), 900 forward references and 300 regular expressions: compiling them was
about a quarter of its instructions. `install()` gives those modules an `exec`, a `compile`
and a regular expression compiler that take the result from a file this user's earlier runs
wrote, and compile only what is not in it.

It is an accelerator, never trusted over the source, as `jinja_cache` is:

- an entry is the exact source text (and the mode it is compiled in) with the code object
  `compile(source, "<string>", mode, dont_inherit=True)` gives, or a pattern's text and flags
  with the program `re._compiler.compile` hands `_sre.compile` for them, in a file named for
  this Python's bytecode magic number, cache tag and regular expression engine version: what
  is loaded is only ever what this same interpreter compiled from the same text. (Neither
  `dataclasses` nor `typing` has `from __future__` imports, so their own calls inherit no
  flags: `dont_inherit=True` compiles exactly what they would.) `_sre.compile` checks every
  program it is given, as it does the compiler's own;
- the directory is created private (0700) and used only if it is a real directory owned by
  this user that no one else may write; the file is written atomically, 0600, and read only
  if it is a regular file owned by this user, under 16 MiB, starting with this module's header;
- a file that cannot be read or does not load is ignored, and a file that cannot be written is
  not written: the cache can never make a command fail.

The entries are `marshal` data (Python code objects among them), as `__pycache__` files
are: the cache directory is as trusted as the user's own files. Each command has its own
file (`new` loads what `new` makes), rewritten when a run compiled enough that was not in it
(an upgrade), with what that run used: the entries the upgrade made stale go.

Only the console entry point (`scaffolder.cli.run`) installs it: importing scaffolder as a
library changes nothing in the standard library. Patterns, functions and classes made with the
cached pieces are equal to those made without (tests/test_code_cache.py compares them).
`$SCAFFOLDER_NO_CACHE=1` turns it off.
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

# The regular expression compiler's modules (private, so without type stubs).
_sre: Any = importlib.import_module("_sre")
_re_compiler: Any = importlib.import_module("re._compiler")
_re_parser: Any = importlib.import_module("re._parser")

#: Bumped when the layout of the file changes.
_HEADER = b"scaffolder-code-cache 1\n"
_MAX_FILE = 16 * 1024 * 1024
_SOURCE_NAME = "<string>"
#: How many pieces a run must compile anew before it rewrites an existing file.
REWRITE_AFTER = 8


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


#: A regular expression's program, as `re._compiler.compile` hands it to `_sre.compile`:
#: (flags, code, number of groups - 1, group indexes by name, group names by index).
Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _valid(key: str, value: object) -> bool:
    if key.startswith(("exec\0", "eval\0")):
        return isinstance(value, types.CodeType)
    if not key.startswith("re\0"):
        return False
    return (
        isinstance(value, tuple)
        and len(value) == 5
        and isinstance(value[0], int)
        # Each op is checked by `_sre.compile`, which refuses what is not its code.
        and isinstance(value[1], list)
        and isinstance(value[2], int)
        and isinstance(value[3], dict)
        and all(type(k) is str and type(v) is int for k, v in value[3].items())
        and isinstance(value[4], tuple)
        and all(name is None or type(name) is str for name in value[4])
    )


class CodeCache:
    """Compiled code by source text, loaded from and saved to one file (or none)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: dict[str, Any] | None = None
        self._private: bool | None = None
        #: What this process asked for: what the next file holds.
        self.used: dict[str, Any] = {}
        #: How many of `used` were compiled here (not found in the file).
        self.compiled = 0

    def _usable(self) -> bool:
        """Whether the cache directory and its `python` folder are private to this user."""
        if self._private is None:
            self._private = self.path is not None and all(
                private_dir(folder) for folder in (self.path.parent.parent, self.path.parent)
            )
        return self._private

    def _load(self) -> dict[str, Any]:
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
        return {key: value for key, value in entries.items() if _valid(key, value)}

    def _lookup(self, key: str) -> Any:
        value = self.used.get(key)
        if value is None:
            if self._known is None:
                self._known = (
                    self._load()
                )  # on first use: a command that makes nothing reads nothing
            value = self._known.get(key)
            if value is not None:
                self.used[key] = value
        return value

    def _store(self, key: str, value: Any) -> Any:
        self.used[key] = value
        self.compiled += 1
        return value

    def code(self, source: str, mode: str) -> types.CodeType:
        """What `compile(source, "<string>", mode, dont_inherit=True)` returns."""
        key = f"{mode}\0{source}"
        code: types.CodeType | None = self._lookup(key)
        if code is None:
            code = self._store(key, builtins.compile(source, _SOURCE_NAME, mode, dont_inherit=True))
        return code

    def program(self, pattern: str, flags: int) -> Program:
        """What `re._compiler.compile(pattern, flags)` hands `_sre.compile`, for a text pattern
        without the DEBUG flag (the steps of that function, up to the call)."""
        key = f"re\0{flags}\0{pattern}"
        program: Program | None = self._lookup(key)
        if program is None:
            parsed = _re_parser.parse(pattern, flags)
            code = _re_compiler._code(parsed, flags)
            groupindex = parsed.state.groupdict
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            program = self._store(
                key,
                (
                    # Plain ints: the compiler's are int subclasses, which marshal refuses.
                    int(flags | parsed.state.flags),
                    [int(op) for op in code],
                    int(parsed.state.groups - 1),
                    {str(name): int(index) for name, index in groupindex.items()},
                    tuple(indexgroup),
                ),
            )
        return program

    def forget(self, key: str) -> None:
        """Drop a damaged entry, so that it is compiled again."""
        self.used.pop(key, None)
        if self._known is not None:
            self._known.pop(key, None)

    def save(self) -> None:
        """Write what this process used, if it compiled what the file did not hold: anything,
        when there was no file; else at least `REWRITE_AFTER` pieces (the text of one of the
        patterns any run compiles changes with every process, its alternatives coming from a
        set: not worth a rewrite each time)."""
        if self.path is None or not self.compiled or not self._usable():
            return
        if self._known and self.compiled < REWRITE_AFTER:
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


def _cached_regex(cache: CodeCache, real: Any) -> Any:
    def compile_(pattern: Any, flags: int = 0) -> Any:
        if type(pattern) is not str or flags & re.DEBUG:
            return real(pattern, flags)
        flags = int(flags)
        try:
            return _program_pattern(pattern, cache.program(pattern, flags))
        except (RuntimeError, TypeError, ValueError, OverflowError):
            # A damaged entry `_sre` refuses ("invalid SRE code"): compiled again, and kept.
            cache.forget(f"re\0{flags}\0{pattern}")
            return _program_pattern(pattern, cache.program(pattern, flags))

    return compile_


def _program_pattern(pattern: str, program: Program) -> Any:
    final, code, groups, groupindex, indexgroup = program
    # The pattern keeps its group index: a copy of its own, as a compile makes.
    return _sre.compile(pattern, final, code, groups, dict(groupindex), indexgroup)


_REAL_REGEX_COMPILE = _re_compiler.compile

#: The cache `install()` put in place, if any.
_installed: CodeCache | None = None


def _file_name(command: str) -> str:
    tag = sys.implementation.cache_tag or "python"
    engine = _sre.MAGIC
    name = re.sub(r"[^a-z]", "", command)
    return f"{tag}-{importlib.util.MAGIC_NUMBER.hex()}-{engine}-{name}.marshal"


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
    _re_compiler.compile = _cached_regex(cache, _REAL_REGEX_COMPILE)
    _installed = cache
    return cache


def uninstall() -> None:
    """Give `dataclasses` and `typing` back the builtins (tests)."""
    global _installed
    for module, name in ((dataclasses, "exec"), (typing, "compile")):
        module.__dict__.pop(name, None)
    _re_compiler.compile = _REAL_REGEX_COMPILE
    _installed = None
