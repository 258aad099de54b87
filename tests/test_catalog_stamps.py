"""`stamps.unchanged`: whether files are as they were, a large batch shared with helpers.

The helpers are real `python -I -S` processes; the threshold is lowered so a few files make a
batch, and the machine is taken to have four cores, so three helpers share it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from scaffolder.catalog import stamps

COUNT = 40


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(stamps, "_cores", lambda: 4)
    paths = []
    for i in range(COUNT):
        path = tmp_path / f"dir {i}" / ("catalog-info.yaml" if i % 2 else "caf\u00e9.yaml")
        path.parent.mkdir()
        path.write_text(f"{i}\n")
        paths.append(str(path))
    return paths


def now(paths: list[str]) -> list[str]:
    return [stamps.stamp_text(Path(p).stat()) for p in paths]


def test_files_as_they_were_are_unchanged_with_or_without_helpers(files):
    stored = now(files)
    assert stamps._helpers(len(files), 8) == 3
    assert stamps.unchanged(files, stored, parallel_from=8)
    assert stamps.unchanged(files, stored)  # too few for helpers: all stat-ed here


@pytest.mark.parametrize("index", [0, COUNT // 2, COUNT - 1])  # this process's share, helpers'
def test_a_file_changed_or_gone_is_seen_whichever_share_it_is_in(files, index):
    stored = now(files)
    path = Path(files[index])
    path.write_text("changed, and longer\n")
    assert not stamps.unchanged(files, stored, parallel_from=8)
    path.unlink()
    assert not stamps.unchanged(files, stored, parallel_from=8)
    assert not stamps.unchanged(files, stored)


def test_the_helpers_answer_is_what_is_used(files, monkeypatch):
    """A helper that says every file changed is believed: its share is not stat-ed again."""
    stored = now(files)
    monkeypatch.setattr(
        stamps,
        "_HELPER",
        "import sys; n = sys.stdin.buffer.read().count(b'\\0') + 1\n"
        "sys.stdout.write('\\t'.join(['0:0:0:0:0'] * n))",
    )
    assert not stamps.unchanged(files, stored, parallel_from=8)


@pytest.mark.parametrize(
    "helper",
    [
        "import sys; sys.stdout.write('too few')",  # one stamp for many paths
        "import sys; sys.exit(3)",
        "raise SystemExit('a helper that fails')",
    ],
)
def test_a_helper_that_says_nothing_useful_is_not_believed(files, monkeypatch, helper):
    stored = now(files)
    monkeypatch.setattr(stamps, "_HELPER", helper)
    assert stamps.unchanged(files, stored, parallel_from=8)
    Path(files[-1]).write_text("changed, and longer\n")
    assert not stamps.unchanged(files, stored, parallel_from=8)


def test_a_helper_that_cannot_start_leaves_the_work_here(files, monkeypatch, tmp_path):
    stored = now(files)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    assert stamps.unchanged(files, stored, parallel_from=8)
    os.utime(files[-1], ns=(1, 1))
    assert not stamps.unchanged(files, stored, parallel_from=8)


def test_no_helpers_on_one_core_or_in_a_frozen_application(files, monkeypatch):
    assert stamps._helpers(100_000, 8) == 3
    monkeypatch.setattr(stamps, "_cores", lambda: 1)
    assert stamps._helpers(100_000, 8) == 0
    monkeypatch.setattr(stamps, "_cores", lambda: 64)
    assert stamps._helpers(100_000, 8) == stamps.MAX_HELPERS
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert stamps._helpers(100_000, 8) == 0


def test_paths_and_stamps_of_other_lengths_are_not_unchanged(files):
    stored = now(files)
    assert not stamps.unchanged(files, stored[:-1], parallel_from=8)
    assert stamps.unchanged([], [])
