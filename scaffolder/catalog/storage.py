"""The catalog file on disk: locked, atomic, and respectful of the file it replaces.

`locations.py` edits the catalog's text (with `edits.py` and `yamltext.py`); this module
reads and writes it:

- a symlinked catalog: the file it points to is read and replaced, the link stays;
- the file's mode (and owner, where allowed) is kept; a new file gets 0666 minus the umask,
  so a Backstage running as another user can read it;
- a file its mode marks read-only is refused, never replaced behind its mode's back (a
  rename would do that even without write permission on the file, and root ignores modes);
- each write goes to a temporary file beside the catalog, then `os.replace`, under a lock;
  a write that fails (no space, no permission) removes the temporary file, leaves the old
  file as it was and says so in one line (`CatalogFileError`);
- reading is capped in size (`datafiles`), UTF-8 only, and keeps the BOM and line endings
  for the edits to give back;
- an edit that keeps most of the file (a target added at the end, one document removed) is
  written as the same atomic replace, but the temporary file gets the unchanged bytes by
  `copy_file_range` from the file that was read (`opened`: the descriptor it was read
  through, so a file renamed over it meanwhile is not mixed in), and only the new bytes are
  written: at 100,000 targets, 22 MB are not encoded and copied through Python.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from scaffolder import datafiles
from scaffolder.errors import CatalogFileError

#: A catalog may list many thousands of targets: a larger size cap than a data file's. One
#: target takes about 220 bytes and 17 values in scaffolder's layout: 100,000 targets are
#: 22 MB and 1.7 million values; the caps leave room for some 115,000.
LIMITS = datafiles.Limits(max_bytes=32 << 20, max_values=2_000_000)
BOM = "\ufeff"


@contextlib.contextmanager
def locked(catalog: Path) -> Iterator[Path]:
    """Hold the catalog's lock file while a change is read, made and written.

    Yields the file to read and replace: the catalog itself, or the file a symlinked catalog
    points to (so the link survives, and two links to one file share one lock).
    """
    from filelock import FileLock, Timeout

    if str(catalog).startswith("github:"):
        # A `--catalog github:OWNER/REPO/path` that reached the local-file code would otherwise
        # create a local file of that name. Only `catalog.manage` writes to catalogs on GitHub.
        raise CatalogFileError(
            f"{catalog} is a catalog on GitHub, not a local file",
            hint="register through a pull request: scaffolder catalog register URL "
            f"--catalog {catalog}",
        )

    path = Path(os.path.realpath(catalog))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock", timeout=60)
        lock.acquire()
    except Timeout as exc:
        raise CatalogFileError(
            f"catalog file {catalog} is locked by another scaffolder for over 60 s",
            hint=f"if no scaffolder is running, delete {exc.lock_file}",
        ) from exc
    except OSError as exc:
        raise _write_error(catalog, path, exc) from exc
    try:
        yield path
    finally:
        lock.release()


def _write_error(catalog: Path, path: Path, exc: OSError) -> CatalogFileError:
    """One line for a write that failed: the old file, if any, is as it was."""
    folder = path.parent
    hints = {
        errno.ENOSPC: f"free some space on the disk holding {folder}, then run again",
        errno.EDQUOT: f"free some space in your quota on {folder}, then run again",
        errno.EFBIG: "the file is over this process's file size limit (ulimit -f)",
        errno.EROFS: f"{folder} is on a read-only file system; point --catalog elsewhere",
    }
    access = f"scaffolder needs write access to {folder} (it writes a temporary file there)"
    hint = hints.get(exc.errno or 0, access if exc.errno in (errno.EACCES, errno.EPERM) else None)
    return CatalogFileError(
        f"cannot write catalog file {catalog}: {exc.strerror or exc}; it was left unchanged",
        hint=hint,
    )


def refuse_read_only(catalog: Path, path: Path) -> None:
    """A catalog its mode marks read-only is refused, even for root (who could replace it)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_mode & 0o222 == 0 or not os.access(path, os.W_OK):
        raise CatalogFileError(
            f"catalog file {catalog} is read-only; it was left unchanged",
            hint=f"make it writable (chmod u+w {path}) for scaffolder to edit it, "
            "or point --catalog at another file",
        )


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new file next to `path`, created with mode 0666 so that the umask applies."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover -- 48 random bits collided
            continue


def write_atomic(catalog: Path, path: Path, text: str) -> None:
    """Replace `path` (the resolved catalog) with `text`, keeping its mode and owner."""
    write_pieces(catalog, path, [text.encode("utf-8")], None)


#: One piece of a new file: bytes to write, or a `(start, end)` range of the file read.
Piece = bytes | tuple[int, int]


def write_pieces(catalog: Path, path: Path, pieces: Sequence[Piece], source: int | None) -> None:
    """Replace `path` with `pieces` joined, keeping its mode and owner; ranges are copied from
    the descriptor `source` (the file as it was read, see `opened`)."""
    try:
        info: os.stat_result | None = path.stat()
    except FileNotFoundError:
        info = None
    tmp: Path | None = None
    try:
        fd, tmp = _temp_beside(path)
        with os.fdopen(fd, "wb", buffering=0) as handle:
            if info is not None:
                os.fchmod(fd, stat.S_IMODE(info.st_mode))
                if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                    with contextlib.suppress(OSError):  # only root may give a file away
                        os.fchown(fd, info.st_uid, info.st_gid)
            for piece in pieces:
                if isinstance(piece, bytes):
                    handle.write(piece)  # a raw file's write is a loop until all is written
                elif piece[1] > piece[0]:
                    if source is None:  # pragma: no cover -- callers copy only from a file read
                        raise CatalogFileError("internal error: a range without its file")
                    _copy_range(source, fd, *piece)
            os.fsync(fd)
        tmp.replace(path)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if isinstance(exc, OSError):
            raise _write_error(catalog, path, exc) from exc
        raise


def _copy_range(source: int, target: int, start: int, end: int) -> None:
    """`source`'s bytes `start:end` appended to `target`, in the kernel where it can."""
    at = start
    while at < end:
        try:
            done = os.copy_file_range(source, target, end - at, at)
        except (AttributeError, OSError) as exc:  # not Linux, or not between these files
            if isinstance(exc, OSError) and exc.errno not in _NO_COPY_RANGE:
                raise
            done = os.write(target, os.pread(source, min(end - at, 1 << 20), at))
        if done == 0:
            raise OSError(errno.EIO, "the catalog file shrank while it was copied")
        at += done


_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


class Original(NamedTuple):
    """The catalog file as an edit read it."""

    #: Its text, as `read_text` gives it.
    text: str
    #: A descriptor open on the file it was read from, for `write_pieces` to copy from; None
    #: when there is no file (or the path names another file by now).
    source: int | None
    #: Its bytes.
    data: bytes


@contextlib.contextmanager
def opened(catalog: Path) -> Iterator[Original]:
    """The catalog file read for an edit (see `Original`)."""
    try:
        handle = catalog.open("rb")
    except FileNotFoundError:
        yield Original("", None, b"")
        return
    except OSError as exc:
        raise _read_error(catalog, exc) from exc
    with handle:
        try:
            text, data = _read(catalog)
        except FileNotFoundError:  # removed since it was opened
            yield Original("", None, b"")
            return
        # Read through the path: the same file as the descriptor's, or nothing is copied.
        mine = os.fstat(handle.fileno())
        try:
            now = catalog.stat()
        except OSError:
            now = None
        same = now is not None and (mine.st_dev, mine.st_ino, mine.st_size) == (
            now.st_dev,
            now.st_ino,
            now.st_size,
        )
        yield Original(text, handle.fileno() if same else None, data)


def read_text(catalog: Path) -> str:
    """The catalog file's text, as it is (BOM and line endings included); absent is empty."""
    return read_both(catalog)[0]


def read_both(catalog: Path) -> tuple[str, bytes]:
    """The catalog file's text (as `read_text`) and its bytes; absent is empty."""
    try:
        return _read(catalog)
    except FileNotFoundError:
        return "", b""


def _read_error(catalog: Path, exc: OSError) -> CatalogFileError:
    if isinstance(exc, IsADirectoryError):
        return CatalogFileError(
            f"catalog file {catalog} is a folder", hint="give the path of a YAML file"
        )
    return CatalogFileError(f"cannot read catalog file {catalog}: {exc.strerror or exc}")


def read_data(catalog: Path) -> bytes:
    """The catalog file's bytes, not decoded (for a digest); absent is empty."""
    try:
        return _read(catalog, decode=False)[1]
    except FileNotFoundError:
        return b""


def _read(catalog: Path, *, decode: bool = True) -> tuple[str, bytes]:
    try:
        data = datafiles.read_bytes(catalog, max_bytes=LIMITS.max_bytes)
        text = datafiles.decode(data) if decode else ""
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _read_error(catalog, exc) from exc
    except datafiles.Refused as exc:
        line = f":{exc.line}" if exc.line else ""
        raise CatalogFileError(
            f"{catalog}{line}: {exc.reason}" + (f" ({exc.detail})" if exc.detail else ""),
            hint="fix the file by hand (it was left untouched), or point --catalog elsewhere",
        ) from exc
    return (BOM if data.startswith(codecs.BOM_UTF8) else "") + text, data
