"""The client's pacing with GitHub's real spacing (scale 1): reads are not held back; writes are
serial and start a second after the previous write, reads in between counting towards it.

Timed from the fake's arrival times, with generous margins (the machine is shared)."""

from __future__ import annotations

import os
import time

from scaffolder.github import GitHubSettings, connect
from tests.fakegithub import FakeGitHub

TOPICS = "/repos/alice/tools/topics"


def paced_client(fake: FakeGitHub):  # type: ignore[no-untyped-def]
    fake.state.add_repo("alice", "tools")
    env = {**os.environ, "SCAFFOLDER_GITHUB_BACKOFF_SCALE": "1"}
    return connect(GitHubSettings.from_env(env=env))


def test_reads_are_not_paced(fake_github: FakeGitHub) -> None:
    client = paced_client(fake_github)
    client.identity()
    start = time.monotonic()
    for _ in range(6):
        client.rest("GET", TOPICS)
    # paced at 0.25 s a request, as before, these would take at least 1.5 s
    assert time.monotonic() - start < 0.9
    client.close()


def test_writes_are_a_second_apart_and_reads_between_shorten_the_wait(
    fake_github: FakeGitHub,
) -> None:
    client = paced_client(fake_github)
    client.rest("PUT", TOPICS, {"names": ["a"]})
    client.rest("PUT", TOPICS, {"names": ["b"]})
    time.sleep(0.7)  # as if reads took this long between two writes
    client.rest("GET", TOPICS)
    client.rest("PUT", TOPICS, {"names": ["c"]})
    first, second, third = (r.at for r in fake_github.calls("PUT", TOPICS))
    assert second - first >= 0.95  # GitHub: at least a second between writes
    # the third waited for what was left of its second, not a second after the read
    assert 0.95 <= third - second < 1.5
    (read,) = [r for r in fake_github.calls("GET", TOPICS) if second < r.at < third]
    assert read.at - second >= 0.7 and third - read.at < 0.6
    client.close()


def test_the_backoff_scale_scales_the_write_spacing(fake_github: FakeGitHub) -> None:
    client = connect(GitHubSettings.from_env())  # the fixture's scale: 0.001
    fake_github.state.add_repo("alice", "tools")
    start = time.monotonic()
    for name in "abcd":
        client.rest("PUT", TOPICS, {"names": [name]})
    assert time.monotonic() - start < 0.9
    client.close()
