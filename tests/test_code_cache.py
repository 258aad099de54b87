"""What `dataclasses`, `typing` and `re` compile at import, kept between runs (`code_cache`).

What a user sees: a second `scaffolder new` finds every piece of that code in the cache and
writes nothing to it, renders the very same project as a run without any cache, and a damaged
or foreign cache file is never an error. Speed itself is measured by `benchmarks/scaffold.py`.
"""

from __future__ import annotations

import dataclasses
import marshal
import re
import stat
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scaffolder import code_cache
from tests.conftest import STANDARD_ANSWERS, CliResult

#: The regular expression compiler as the standard library has it (this process never installs
#: the cache outside the `installed` fixture).
_REAL_RE = re._compiler.compile  # type: ignore[attr-defined]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _files(cache: Path) -> list[Path]:
    return sorted((cache / "python").glob("*.marshal"))


def _entries(path: Path) -> dict[str, object]:
    return _entries_of(path.read_bytes())


def _entries_of(data: bytes) -> dict[str, object]:
    header, _, body = data.partition(b"\n")
    assert header == b"scaffolder-code-cache 1"
    entries = marshal.loads(body)  # noqa: S302 -- a file this test's own run wrote
    assert isinstance(entries, dict)
    return entries


@pytest.fixture
def scaffold(run_subprocess: Callable[..., CliResult], tmp_path: Path) -> Callable[..., Path]:
    """`scaffolder new` in a new process (the console entry point), with its own cache."""

    def run(name: str, *, cache: Path | None = None, no_cache: bool = False) -> Path:
        dst = tmp_path / name / "svc"
        env = {"SCAFFOLDER_CACHE_DIR": str(cache or tmp_path / "cache")}
        if no_cache:
            env["SCAFFOLDER_NO_CACHE"] = "1"
        args = ["new", "python-service", "--output", dst, "--no-input", *STANDARD_ANSWERS]
        result = run_subprocess(args, env=env)
        assert result.code == 0, result.stderr
        return dst

    return run


def test_a_second_run_compiles_nothing_and_renders_what_no_cache_renders(
    scaffold: Callable[..., Path], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = scaffold("first")
    [entry] = _files(cache)
    assert stat.S_IMODE((cache / "python").stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    entries = _entries(entry)
    # copier's, pydantic's and scaffolder's dataclass methods, and string annotations.
    assert sum(key.startswith("exec\0") for key in entries) > 100
    assert sum(key.startswith("eval\0") for key in entries) > 100
    assert sum(key.startswith("re\0") for key in entries) > 100
    before = entry.stat().st_mtime_ns, entry.read_bytes()

    second = scaffold("second")
    # Everything was found: the file was not written again.
    assert (entry.stat().st_mtime_ns, entry.read_bytes()) == before
    none = scaffold("none", cache=tmp_path / "off", no_cache=True)
    assert not (tmp_path / "off").exists()
    assert _tree(first) == _tree(second) == _tree(none)


def _check_every_entry(path: Path) -> None:
    """Each entry is what this Python compiles from the entry's text."""
    for key, value in _entries(path).items():
        kind, _, source = key.partition("\0")
        if kind == "re":
            flags, _, pattern = source.partition("\0")
            assert code_cache._program_pattern(pattern, value) == _REAL_RE(pattern, int(flags))
        else:
            assert value == compile(source, "<string>", kind, dont_inherit=True), source


def test_every_cached_entry_is_what_python_compiles_from_its_text(
    scaffold: Callable[..., Path], tmp_path: Path
) -> None:
    scaffold("svc")
    [entry] = _files(tmp_path / "cache")
    _check_every_entry(entry)


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "truncated",
        "other-header",
        "not-a-dict",
        "bad-programs",
        "symlink",
        "directory",
        "huge",
    ],
)
def test_a_damaged_cache_file_is_replaced_never_an_error(
    damage: str, scaffold: Callable[..., Path], tmp_path: Path
) -> None:
    first = scaffold("first")
    [entry] = _files(tmp_path / "cache")
    data = entry.read_bytes()
    entry.unlink()
    if damage == "garbage":
        entry.write_bytes(b"scaffolder-code-cache 1\n" + b"\x00\xff" * 64)
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "other-header":
        entry.write_bytes(b"scaffolder-code-cache 0\n" + data.partition(b"\n")[2])
    elif damage == "not-a-dict":
        entry.write_bytes(b"scaffolder-code-cache 1\n" + marshal.dumps(["exec\0x = 1"]))
    elif damage == "bad-programs":
        # Well formed, but what `_sre` refuses (or not a program at all).
        entries = _entries_of(data)
        for key in [k for k in entries if k.startswith("re\0")][::2]:
            entries[key] = (0, [999, 1, 2], 0, {}, (None,))
        for key in [k for k in entries if k.startswith("re\0")][1::2]:
            entries[key] = (0, ["x"], 0, {}, (None,))
        entry.write_bytes(b"scaffolder-code-cache 1\n" + marshal.dumps(entries))
    elif damage == "symlink":
        (tmp_path / "target").write_bytes(data)
        entry.symlink_to(tmp_path / "target")
    elif damage == "directory":
        entry.mkdir()
    else:
        entry.write_bytes(data + b"\0" * (17 << 20))
    second = scaffold("second")
    assert _tree(first) == _tree(second)
    if damage == "directory":  # a folder in the way is left alone: nothing to write over
        assert entry.is_dir()
        return
    assert entry.is_file() and not entry.is_symlink()
    _check_every_entry(entry)
    # Rewritten whole: the next run finds what it needs and leaves the file as it is.
    before = entry.read_bytes()
    scaffold("third")
    assert entry.read_bytes() == before


def test_a_cache_directory_others_may_write_is_not_used(
    scaffold: Callable[..., Path], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    (cache / "python").mkdir(parents=True)
    (cache / "python").chmod(0o777)
    scaffold("svc")
    assert _files(cache) == []


# -- the cached exec and compile, in this process -------------------------------------------
@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[code_cache.CodeCache]:
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(tmp_path / "cache"))
    code_cache.uninstall()
    cache = code_cache.install("new")
    assert cache is not None
    try:
        yield cache
    finally:
        code_cache.uninstall()


def test_a_dataclass_made_with_cached_code_behaves_as_one_made_without(
    installed: code_cache.CodeCache,
) -> None:
    def make() -> type:
        @dataclasses.dataclass(frozen=True, order=True)
        class Point:
            x: int
            y: int = 0
            tags: list[str] = dataclasses.field(default_factory=list, hash=False)

        return Point

    cached = make()
    assert installed.compiled > 0
    compiled = installed.compiled
    again = make()  # the same source: found, not compiled
    assert installed.compiled == compiled
    code_cache.uninstall()
    plain = make()
    seen = []
    for cls in (cached, again, plain):
        point = cls(1)
        seen.append((repr(point), point == cls(1), point < cls(2), hash(point) == hash(cls(1))))
        with pytest.raises(dataclasses.FrozenInstanceError):
            point.x = 2
    assert (
        seen == [(f"{make.__qualname__}.<locals>.Point(x=1, y=0, tags=[])", True, True, True)] * 3
    )
    assert cached.__init__.__code__ == plain.__init__.__code__  # type: ignore[misc]


def test_forward_references_compile_as_before(installed: code_cache.CodeCache) -> None:
    assert typing.ForwardRef("list[int]")._evaluate(globals(), None, frozenset()) == list[int]
    with pytest.raises(SyntaxError, match="Forward reference must be an expression"):
        typing.ForwardRef("1 +")
    # Calls that are not a forward reference's are compiled as asked.
    code = typing.compile("x = 1", "<other>", "exec")  # type: ignore[attr-defined]
    assert code.co_filename == "<other>"


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        (r"(?P<key>[a-z_]+)\s*=\s*(?P<value>.*)$", 0),
        (r"(?i)^[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", 0),
        (r"(a)|(b)(?:c)", re.MULTILINE | re.DOTALL),
        (r"x{2,5}?y+", re.VERBOSE),
    ],
)
def test_a_pattern_made_from_a_cached_program_is_the_pattern_re_makes(
    installed: code_cache.CodeCache, pattern: str, flags: int
) -> None:
    fresh = _REAL_RE(pattern, flags)
    made = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
    assert installed.compiled == 1
    again = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
    assert installed.compiled == 1  # found, not compiled
    for compiled in (made, again):
        assert compiled == fresh  # flags, text and program alike
        assert (compiled.groups, dict(compiled.groupindex)) == (
            fresh.groups,
            dict(fresh.groupindex),
        )
    assert made.groupindex is not again.groupindex or not fresh.groupindex
    # What is not cached is compiled as before: bytes, and DEBUG (which prints the program).
    assert re._compiler.compile(b"a+", 0) == _REAL_RE(b"a+", 0)  # type: ignore[attr-defined]
    assert installed.compiled == 1


def test_the_file_is_written_when_there_was_none_and_then_only_for_enough_news(
    installed: code_cache.CodeCache, tmp_path: Path
) -> None:
    installed.save()
    assert _files(tmp_path / "cache") == []  # nothing compiled yet
    installed.code("x = 1", "exec")
    installed.save()
    [entry] = _files(tmp_path / "cache")
    assert list(_entries(entry)) == ["exec\0x = 1"]
    assert entry.name.endswith("-new.marshal")

    def next_run(news: int) -> list[str]:
        code_cache.uninstall()
        cache = code_cache.install("new")
        assert cache is not None
        cache.code("x = 1", "exec")
        for n in range(news):
            cache.code(f"y = {n}", "exec")
        cache.save()
        return list(_entries(entry))

    # One new piece (a pattern whose text changes with each process): not worth a rewrite.
    assert next_run(code_cache.REWRITE_AFTER - 1) == ["exec\0x = 1"]
    news = next_run(code_cache.REWRITE_AFTER)  # an upgrade: rewritten with what the run used
    assert news == ["exec\0x = 1", *(f"exec\0y = {n}" for n in range(code_cache.REWRITE_AFTER))]


def test_no_cache_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCAFFOLDER_NO_CACHE", "1")
    code_cache.uninstall()
    assert code_cache.install("new") is None
    assert "exec" not in vars(dataclasses) and "compile" not in vars(typing)
