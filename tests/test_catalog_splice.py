"""A local register or unregister writes exactly the file the text edit gives.

In scaffolder's own layout the local edits copy the file's unchanged bytes from the file read
and write only the new ones (`storage.write_pieces`); the result must be byte for byte what
`edit_register` / `edit_unregister` return for the same text (CRLF, a byte order mark,
non-ASCII comments, no final newline), with `copy_file_range` or without it, and the guard
on a cut must refuse a cut that breaks the layout.
"""

from __future__ import annotations

import errno
import os

import pytest

from scaffolder.catalog import edits, locations, storage, yamltext
from scaffolder.errors import CatalogFileError
from tests.test_catalog_fastscan import CASES

NEW = "/srv/projects/new/catalog-info.yaml"
LISTED = "/srv/projects/billing/catalog-info.yaml"


def expected(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except CatalogFileError as exc:
        return ("error", exc.message)


def on_disk(fn, path, raw: bytes, *args, **kwargs):
    path.write_bytes(raw)
    try:
        fn(path, *args, **kwargs)
    except CatalogFileError as exc:
        assert path.read_bytes() == raw  # refused: left as it was
        return ("error", exc.message.replace(str(path), "c.yaml"))
    return ("ok", path.read_bytes().decode("utf-8"))


def variants(text: str) -> list[str]:
    return [text, "\ufeff" + text, text.replace("\n", "\r\n"), "# é ünïcode\n" + text]


@pytest.mark.parametrize("seed", range(10))
def test_local_edits_write_what_the_text_edits_give(tmp_path, seed):
    path = tmp_path / "c.yaml"
    for case in CASES[seed::10][::4]:
        for text in variants(case):
            raw = text.encode("utf-8")
            for target, kind in ((NEW, "file"), (LISTED, "file"), (LISTED, "url")):
                want = expected(
                    locations.edit_register, text, target, target_type=kind, source="c.yaml"
                )
                got = on_disk(locations.register, path, raw, target, target_type=kind)
                assert got == want, (text, target, kind)
            for target in (LISTED, NEW, "/srv/a/catalog-info.yaml"):
                want = expected(locations.edit_unregister, text, target, source="c.yaml")
                got = on_disk(locations.unregister, path, raw, target)
                if want[0] == "ok":
                    want = ("ok", want[1][0])
                assert got == want, (text, target)


def test_the_layout_cases_take_the_spliced_write(tmp_path, monkeypatch):
    """The comparison above is of the spliced write: most layout files never encode it all."""
    whole: list[str] = []
    real = storage.write_atomic
    monkeypatch.setattr(
        locations, "write_atomic", lambda c, p, text: (whole.append(text), real(c, p, text))
    )
    path = tmp_path / "c.yaml"
    text = locations.HEADER + yamltext.document("file", LISTED)
    for raw in (text, text.replace("\n", "\r\n"), "\ufeff" + text):
        path.write_bytes(raw.encode())
        assert locations.register(path, NEW, target_type="file")
        assert locations.unregister(path, LISTED)
        eol = "\r\n" if "\r" in raw else "\n"
        old, new = (yamltext.document("file", t).replace("\n", eol) for t in (LISTED, NEW))
        assert path.read_bytes() == raw.replace(old, new).encode()
    assert whole == []


def test_without_copy_file_range_the_same_file_is_written(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    path = tmp_path / "c.yaml"
    text = "".join(
        ("---\n" if i else locations.HEADER) + yamltext.document("file", f"/srv/p{i}/c.yaml")
        for i in range(7000)
    )
    path.write_text(text)
    locations.register(path, NEW, target_type="file")
    locations.unregister(path, "/srv/p7/c.yaml")
    want = path.read_bytes()
    monkeypatch.setattr(os, "copy_file_range", refuse)
    path.write_text(text)
    locations.register(path, NEW, target_type="file")
    locations.unregister(path, "/srv/p7/c.yaml")
    assert path.read_bytes() == want
    assert len(want) > 1 << 20  # more than one pread


def test_a_cut_that_breaks_the_layout_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    a, b = yamltext.document("file", LISTED), yamltext.document("file", NEW)
    raw = (locations.HEADER + a + "---\n" + b).encode()
    path.write_bytes(raw)

    def without_separator(text, start, end):  # leaves two documents run together
        return (locations.Splice(start, end),)

    monkeypatch.setattr(edits, "_span_cuts", without_separator)
    with pytest.raises(CatalogFileError, match="the edit broke it"):
        locations.unregister(path, NEW)
    assert path.read_bytes() == raw


def test_a_blank_text_is_what_strip_leaves_empty():
    texts = ["", " ", "\n\n", "\r\n", " # c\n", "x", "\ufeff", "\u3000\n", "\x1c\x1d\x1e\x1f\x85"]
    texts += [chr(c) for c in range(0x3100)]
    assert [edits._blank(t) for t in texts] == [not t.strip() for t in texts]
