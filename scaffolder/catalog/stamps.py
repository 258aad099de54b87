"""Whether many files are as they were: a warm walk checks the stamp of every entity file.

A file's stamp is its size, modification and change time (ns), inode and device
(`stamp_text`). At 100,000 entity files the `stat` calls are a third of a warm `catalog list`
or `validate` (about 5 us each: the system call, and CPython building its result). Threads do
not help: the result is built holding the GIL, and handing it back and forth costs more than
it saves. So on a machine with more than one core a large batch is shared out: each helper is
`python -I -S` (isolated: no site, no environment, nothing of the user's) running `_HELPER`,
given its share of the paths on its standard input and giving back their stamps on its
standard output, while this process stats its own share. git does the same with threads
(`core.preloadIndex`).

A helper is only ever a shortcut: one that cannot start, fails, or says anything but one stamp
per path, and its share is stat-ed here. The answer is the same either way.
"""

from __future__ import annotations

import contextlib
import operator
import os
import subprocess
import sys

_STAMP = "%x:%x:%x:%x:%x"
_FIELDS = ("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino", "st_dev")
_STAMP_FIELDS = operator.attrgetter(*_FIELDS)
#: Fewer paths than this are all stat-ed here: a helper costs about 20 ms to start.
PARALLEL_FROM = 20_000
#: Helpers at most, whatever the number of cores.
MAX_HELPERS = 3

#: What a helper runs: the stamp of each NUL-separated path it is given ("" for a file it
#: cannot stat), tab-separated.
_HELPER = f"""\
import operator, os, sys
fields = operator.attrgetter(*{_FIELDS!r})
out = []
for path in sys.stdin.buffer.read().split(b"\\0"):
    try:
        out.append({_STAMP!r} % fields(os.stat(path)))
    except OSError:
        out.append("")
sys.stdout.write("\\t".join(out))
"""


def stamp_text(info: os.stat_result) -> str:
    """A file's stamp as the snapshot holds it, in hexadecimal (a warm walk formats 100,000 of
    them: `%x` of a 19-digit number takes a fraction of what `%d` does)."""
    return _STAMP % _STAMP_FIELDS(info)


def unchanged(paths: list[str], stored: list[str], *, parallel_from: int | None = None) -> bool:
    """Whether each of `paths` still has its stamp in `stored` (a file gone has none);
    `parallel_from`: the batch shared with helpers (default `PARALLEL_FROM`)."""
    if len(paths) != len(stored):
        return False
    helpers = _helpers(len(paths), PARALLEL_FROM if parallel_from is None else parallel_from)
    if helpers < 1:
        return _here(paths) == stored
    size = -(-len(paths) // (helpers + 1))
    started = [(_start(paths[at : at + size]), at) for at in range(size, len(paths), size)]
    same = _here(paths[:size]) == stored[:size]
    for proc, at in started:
        if not same:
            _stop(proc)  # the answer is known: no need to wait for it
            continue
        share = paths[at : at + size]
        same = _finish(proc, share) == stored[at : at + size]
    return same


def _helpers(count: int, parallel_from: int) -> int:
    """How many helpers to share `count` paths with: none for a small batch, on one core, or
    where this is not a Python that can start one (a frozen application)."""
    if count < parallel_from or not sys.executable or getattr(sys, "frozen", False):
        return 0
    return max(0, min(MAX_HELPERS, _cores() - 1))


def _cores() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _here(paths: list[str]) -> list[str] | None:
    """The stamps of `paths`, stat-ed by this process; None when one cannot be stat-ed."""
    try:
        # `map` does the looping, `stat` and the formatting in C.
        return list(map(_STAMP.__mod__, map(_STAMP_FIELDS, map(os.stat, paths))))
    except OSError:
        return None


def _start(share: list[str]) -> subprocess.Popen[bytes] | None:
    """A helper given `share`, or None when it could not be started."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _HELPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
        )
    except (OSError, ValueError):
        return None
    try:
        if proc.stdin is None:  # pragma: no cover -- stdin=PIPE gives one
            raise OSError("no pipe")
        with proc.stdin:
            proc.stdin.write(b"\0".join(map(os.fsencode, share)))
    except OSError:
        _stop(proc)
        return None
    return proc


def _finish(proc: subprocess.Popen[bytes] | None, share: list[str]) -> list[str] | None:
    """What the helper given `share` says of it (stat-ed here if it says nothing useful)."""
    if proc is None or proc.stdout is None:
        return _here(share)
    try:
        with proc.stdout:
            out = proc.stdout.read()
        proc.wait()
    except OSError:
        _stop(proc)
        return _here(share)
    said = out.decode("ascii", "replace").split("\t")
    if proc.returncode != 0 or len(said) != len(share):
        return _here(share)
    return said


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        with contextlib.suppress(OSError):
            proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()
