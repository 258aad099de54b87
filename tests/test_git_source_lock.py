"""Fetches into scaffolder's cached copy of a git template wait for one another.

Two `scaffolder new` runs of one git template at once would both fetch into the same bare
repository in the cache, and git lets only one hold its `shallow.lock`: the other failed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from filelock import FileLock

from scaffolder.errors import GitError
from scaffolder.render import git_source
from tests.source_helpers import tagged_repository


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> Path:
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(tmp_path / "cache"))
    return tagged_repository(tmp_path / "remote", ["v1.0.0", "v1.1.0"])


def test_a_fetch_waits_for_another_into_the_same_cached_repository(remote: Path) -> None:
    with git_source.Repository(str(remote)) as repo:
        revision = repo.newest_release()
        assert revision.version == "1.1.0"
        held = FileLock(f"{repo.store}.lock")
        held.acquire()
        read: list[str | None] = []
        thread = threading.Thread(target=lambda: read.append(repo.read(revision, "copier.yml")))
        thread.start()
        thread.join(1.0)
        assert thread.is_alive() and not read  # waiting for the other fetch
        held.release()
        thread.join(60)
        assert read and read[0] is not None and "1.1.0" in read[0]
    with git_source.Repository(str(remote)) as again:  # fetched once: read without a fetch
        assert again.read(again.newest_release(), "copier.yml") == read[0]


def test_a_fetch_that_waits_too_long_says_why(
    remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git_source, "FETCH_LOCK_SECONDS", 0.2)
    with git_source.Repository(str(remote)) as repo:
        revision = repo.newest_release()
        with FileLock(f"{repo.store}.lock"), pytest.raises(GitError) as caught:
            repo.read(revision, "copier.yml")
    assert "another scaffolder has been fetching" in caught.value.message
    assert caught.value.hint == "wait for it to finish, then run this again"
