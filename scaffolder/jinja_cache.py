"""Compiled Jinja templates kept between runs, in the user's cache directory.

Jinja compiles every template file, file name and question string of a template to Python
code on every run: most of a render's time after copier's import. `CompiledCache` keeps that
code, so a second scaffold from the same template compiles nothing. copier's environments
(`render/copier_adapter.py`) and the standard questions' validators (`baseline/questions.py`)
use it.

It is an accelerator, never trusted over the source:

- an entry's name is a SHA-256 of everything that shapes the compiled code: the Jinja and
  Python versions, the environment's class, syntax options, extensions, filter and test names,
  whether the template is trusted, and the template's own name and source. Any change is
  another entry, and the old one is never read again;
- the directory is created private (0700) and used only if it is a real directory owned by
  this user that no one else may write; entries are written atomically, 0600, and read only if
  they are regular files owned by this user, under 4 MiB, starting with this module's header;
- an entry that cannot be read or does not load is compiled again (and rewritten), silently:
  the cache can never make a render fail. Cached code is only ever what Jinja compiled from the
  same source in the same kind of environment, so it runs under the same sandbox.

The entries are `marshal` data (Python code objects), as Jinja's own bytecode caches and
Python's `__pycache__` are: the cache directory is as trusted as the user's own files.
`$SCAFFOLDER_CACHE_DIR` moves it; `$SCAFFOLDER_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import sys
import types
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from scaffolder import config
from scaffolder.code_cache import private_dir, read_private, write_private

#: Bumped when the layout of an entry changes.
_HEADER = b"scaffolder-jinja-cache 1\n"
_MAX_ENTRY = 4 * 1024 * 1024
_SYNTAX = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def fingerprint(env: jinja2.Environment, *, trusted: bool) -> str:
    """What, besides a template's source, shapes the code Jinja compiles for it in `env`."""
    parts: list[object] = [
        jinja2.__version__,
        importlib.util.MAGIC_NUMBER.hex(),
        sys.implementation.cache_tag,
        f"{type(env).__module__}.{type(env).__qualname__}",
        trusted,
        *(repr(getattr(env, name, None)) for name in _SYNTAX),
        # autoescape and finalize change the generated code; a callable is named, not repr'd.
        getattr(env.autoescape, "__qualname__", repr(env.autoescape)),
        getattr(env.finalize, "__qualname__", repr(env.finalize)),
        sorted(env.extensions),
        # Jinja checks at compile time that each filter and test used exists.
        sorted(env.filters),
        sorted(env.tests),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class CompiledCache(BytecodeCache):
    """Jinja's bytecode cache interface for one environment, over the cache directory of the
    moment (`config.cache_dir()`, read at each use, so a changed `$SCAFFOLDER_CACHE_DIR` is
    followed)."""

    def __init__(self, env_fingerprint: str) -> None:
        self.env_fingerprint = env_fingerprint

    @property
    def directory(self) -> Path | None:
        root = config.cache_dir()
        if root is None:
            return None
        directory = root / "jinja"
        if directory not in _checked:
            _checked[directory] = private_dir(root) and private_dir(directory)
        return directory if _checked[directory] else None

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # The source is added in `get_bucket`; a key names one compiled text exactly.
        return f"{name}\0{filename or ''}"

    def get_source_checksum(self, source: str) -> str:
        return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        entry = hashlib.sha256(
            "\0".join([self.env_fingerprint, self.get_cache_key(name, filename), source]).encode(
                "utf-8", "surrogatepass"
            )
        ).hexdigest()
        bucket = Bucket(environment, entry, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def _path(self, bucket: Bucket) -> Path | None:
        directory = self.directory
        return None if directory is None else directory / bucket.key[:2] / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        data = None if path is None else read_private(path, _MAX_ENTRY)
        header = _HEADER + bucket.checksum.encode() + b"\n"
        if data is None or not data.startswith(header):
            return
        try:
            # Code Jinja compiled in this user's own private cache (see the module's docstring).
            code = marshal.loads(data[len(header) :])  # noqa: S302
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(code, types.CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        if bucket.code is None or path is None or not private_dir(path.parent):
            return
        write_private(path, _HEADER + bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code))

    def clear(self) -> None:
        """Remove every entry (of any environment): Jinja's interface for it."""
        directory = self.directory
        for entry in directory.glob("??/*.jinja") if directory else ():
            with contextlib.suppress(OSError):
                entry.unlink()


#: Cache directories already checked in this process: whether each is usable.
_checked: dict[Path, bool] = {}


def for_environment(env: jinja2.Environment, *, trusted: bool) -> CompiledCache:
    """The cache for templates compiled in `env`."""
    return CompiledCache(fingerprint(env, trusted=trusted))


def compile_string(env: jinja2.Environment, source: str) -> jinja2.Template:
    """`env.from_string(source)`, with the compiled code from `env.bytecode_cache` if any."""
    cache = env.bytecode_cache
    if cache is None:
        return type(env).from_string(env, source)
    bucket = cache.get_bucket(env, "<string>", None, source)
    code = bucket.code
    if code is None:
        code = env.compile(source)
        bucket.code = code
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, code, env.make_globals(None), None)
