"""The GitHub client seam: token discovery, API URL, identity, retries and error translation.

PyGithub talks to the fake GitHub over real HTTP; nothing in PyGithub is mocked.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from scaffolder.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubPermissionError,
    GitHubRateLimitError,
    UsageError,
)
from scaffolder.github import GitHubSettings, connect, find_token, resolve_api_url
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN


def client_for(fake: FakeGitHub, **env: str):  # type: ignore[no-untyped-def]
    return connect(GitHubSettings.from_env(env={**os.environ, **env}))


def test_token_order_gh_token_then_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_token(env={"GH_TOKEN": "a", "GITHUB_TOKEN": "b"}).value == "a"  # type: ignore[union-attr]
    found = find_token(env={"GITHUB_TOKEN": "b"})
    assert found is not None and found.value == "b" and found.source == "GITHUB_TOKEN"
    assert find_token(env={}) is None
    assert "b" not in repr(found)


def test_token_from_gh_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = tmp_path / "gh"
    gh.write_text('#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo "$3 $4 gho_fromcli"\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    token = find_token(env={})
    assert token is not None and token.value.strip() == "gho_fromcli"
    assert token.source == "gh auth token"
    ghes = find_token("https://ghe.example.com/api/v3", env={})
    assert ghes is not None and ghes.value == "--hostname ghe.example.com gho_fromcli"


def test_api_url_resolution() -> None:
    assert resolve_api_url(None, {}) == "https://api.github.com"
    env = {"SCAFFOLDER_GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
    assert resolve_api_url(None, env) == "https://ghe.example.com/api/v3"
    assert resolve_api_url("https://other/api/v3", env) == "https://other/api/v3"
    with pytest.raises(UsageError, match="/api/v3"):
        resolve_api_url("https://ghe.example.com", {})
    with pytest.raises(UsageError):
        resolve_api_url("ftp://x", {})


def test_identity(fake_github: FakeGitHub) -> None:
    me = client_for(fake_github).identity()
    assert me.login == "alice"
    assert fake_github.requests[-1].authorized


def test_identity_on_enterprise_server_prefix(fake_ghes: FakeGitHub) -> None:
    assert fake_ghes.api_url.endswith("/api/v3")
    assert client_for(fake_ghes).identity().login == "alice"
    assert fake_ghes.requests[-1].path == "/user"


def test_missing_token_fails_before_any_request(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GitHubAuthError, match="no GitHub token") as info:
        connect(GitHubSettings.from_env()).identity()
    assert "GH_TOKEN" in (info.value.hint or "")
    assert fake_github.requests == []


def test_bad_token_is_an_auth_error_without_the_token(fake_github: FakeGitHub) -> None:
    bad = "ghp_BADtoken000000000000000000000000000"
    with pytest.raises(GitHubAuthError) as info:
        client_for(fake_github, GH_TOKEN=bad).identity()
    assert info.value.status == 401
    assert bad not in str(info.value) and "Bad credentials" in str(info.value)
    assert len(fake_github.requests) == 1  # a 401 is not retried


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502},
        {"status": 503, "headers": {"Retry-After": "1"}},
        {
            "status": 403,
            "headers": {"Retry-After": "2"},
            "message": "You have exceeded a secondary rate limit.",
        },
        {
            "status": 429,
            "headers": {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(time.time()) + 3),
            },
        },
        {"status": None, "delay": 1.3},  # the client times out after 1 s
    ],
    ids=["502", "503-retry-after", "403-secondary", "429-reset", "timeout"],
)
def test_transient_failures_are_retried(fake_github: FakeGitHub, fault: dict) -> None:
    fake_github.fail("GET", "/user", times=2, **fault)
    client = client_for(fake_github)
    assert client.identity().login == "alice"
    assert len(fake_github.calls("GET", "/user")) == 3
    assert len(client.waits) == 2
    if "headers" in fault and "Retry-After" in fault["headers"]:
        assert client.waits == [float(fault["headers"]["Retry-After"])] * 2


def test_retry_budget_is_bounded(fake_github: FakeGitHub) -> None:
    fake_github.fail("GET", "/user", status=500, times=100)
    client = client_for(fake_github)
    with pytest.raises(GitHubError, match="500") as info:
        client.identity()
    assert info.value.status == 500
    assert len(fake_github.calls("GET", "/user")) == 4
    assert client.waits == [1.0, 2.0, 4.0]


def test_rate_limit_longer_than_the_budget_fails_at_once(fake_github: FakeGitHub) -> None:
    reset = str(int(time.time()) + 3600)
    fake_github.fail(
        "GET",
        "/user",
        status=403,
        times=5,
        message="API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
    )
    with pytest.raises(GitHubRateLimitError, match="rate limit") as info:
        client_for(fake_github).identity()
    assert "resets at" in (info.value.hint or "")
    assert len(fake_github.calls("GET", "/user")) == 1


def test_plain_403_is_a_permission_error_not_retried(fake_github: FakeGitHub) -> None:
    fake_github.fail("GET", "/user", status=403, message="Resource not accessible by integration")
    with pytest.raises(GitHubPermissionError) as info:
        client_for(fake_github).identity()
    assert not info.value.plan_limited
    assert len(fake_github.calls("GET", "/user")) == 1


def test_raw_rest_call_and_pygithub_call_share_the_boundary(fake_github: FakeGitHub) -> None:
    fake_github.state.add_repo("alice", "tools", private=True)
    client = client_for(fake_github)
    repo = client.call("read alice/tools", lambda gh: gh.get_repo("alice/tools"))
    assert repo.private and repo.clone_url.endswith("/alice/tools.git")
    pvr = client.rest("GET", "/repos/alice/tools/private-vulnerability-reporting")
    assert pvr["enabled"] is False
    with pytest.raises(GitHubError) as info:
        client.call("read alice/nope", lambda gh: gh.get_repo("alice/nope"))
    assert info.value.status == 404 and "read alice/nope" in str(info.value)


def test_token_not_in_pygithub_debug_log(
    fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="github")
    client_for(fake_github).identity()
    assert caplog.records, "PyGithub logs requests at DEBUG"
    assert TOKEN not in caplog.text
