"""The token goes only where it should.

`scaffolder publish` runs for real against `tests/hostile_server.py` on 127.0.0.1 (plain http is
allowed there, and only there). Each broken answer must end in one `error:` line plus a hint,
exit 5 (3 once something was written), no traceback, and under `--json` exactly one JSON object
with `ok: false`. A second server plays "another host" and must never see a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from scaffolder.errors import GitHubError, UsageError
from scaffolder.github import GitHubSettings, resolve_api_url
from scaffolder.publish.push import check_clone_url
from tests.conftest import CliResult
from tests.hostile_server import (
    HostileServer,
    hostile,
    send_json,
)

TOKEN = "ghp_HOSTILEtoken0123456789abcdefABCDEF01"
ALICE = {"login": "alice", "id": 1, "type": "User", "name": "Alice"}
RATE_LIMITED = {"message": "You have exceeded a secondary rate limit."}

RunCli = Callable[[Sequence[str]], CliResult]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """The hostile "GitHub": GH_TOKEN set, tiny backoff, one second per request."""
    with hostile() as server:
        monkeypatch.setenv("GH_TOKEN", TOKEN)
        monkeypatch.setenv("SCAFFOLDER_GITHUB_BACKOFF_SCALE", "0.001")
        monkeypatch.setenv("SCAFFOLDER_GITHUB_TIMEOUT", "1")
        yield server


@pytest.fixture
def other() -> Iterator[HostileServer]:
    """Another host: it must never receive a request, least of all one with the token."""
    with hostile() as server:
        yield server


@pytest.fixture
def project(new_service: Callable[..., Path]) -> Path:
    return new_service()


def publish(run_cli: RunCli, project: Path, api: HostileServer, *extra: str) -> CliResult:
    return run_cli(
        ["publish", project, "--github-api-url", api.url, "--no-register", "--json", *extra]
    )


def assert_clean_failure(result: CliResult, code: int) -> dict[str, Any]:
    """Exit `code`, one error line and a hint on stderr, one JSON object on stdout."""
    assert result.code == code, (result.stdout, result.stderr)
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert TOKEN not in text
    lines = result.stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert lines[errors[0] + 1].startswith("  hint: "), result.stderr
    payload = json.loads(result.stdout)  # exactly one object, nothing else on stdout
    assert isinstance(payload, dict)
    assert payload["ok"] is False and payload["exit_code"] == code
    assert payload["error"]["message"] in lines[errors[0]]
    return payload


def user_calls(api: HostileServer) -> int:
    return sum(1 for s in api.seen if (s.method, s.path) == ("GET", "/user"))


# -- B.1: the token travels over https only -------------------------------------------------
def test_plain_http_api_url_is_refused_before_any_request(
    run_cli: RunCli, project: Path, api: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hostile server plays an HTTP proxy: had the client sent anything to ghe.corp.example,
    # the proxy would have seen it, token and all.
    monkeypatch.setenv("HTTP_PROXY", api.url)
    monkeypatch.setenv("http_proxy", api.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = run_cli(
        ["publish", project, "--github-api-url", "http://ghe.corp.example/api/v3", "--json"]
    )
    assert [s.credentials for s in api.seen] == []
    payload = assert_clean_failure(result, 2)
    assert "https" in payload["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.github.com",
        "https://ghe.corp.example/api/v3",
        "http://127.0.0.1:8080",
        "http://127.5.6.7:8080/api/v3",
        "http://localhost:3000",
        "http://[::1]:3000/api/v3",
    ],
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert resolve_api_url(url, {}) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://ghe.corp.example/api/v3",
        "http://127.0.0.1.nip.io/api/v3",
        "http://10.0.0.1/api/v3",
        "HTTP://api.github.com",
        "https://x-access-token:secret@ghe.corp.example/api/v3",
    ],
)
def test_unsafe_api_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_api_url(url, {})
    assert info.value.hint
    assert "secret" not in str(info.value)


def test_settings_built_by_hand_are_checked_too() -> None:
    with pytest.raises(UsageError, match="https"):
        GitHubSettings(api_url="http://ghe.corp.example/api/v3", token=None)


# -- B.2: git pushes only to the API's own host ---------------------------------------------
@pytest.mark.parametrize(
    ("clone_url", "api_url"),
    [
        ("https://github.com/acme/api.git", "https://api.github.com"),
        ("https://ghe.corp.example/acme/api.git", "https://ghe.corp.example/api/v3"),
        ("https://ghe.corp.example:443/acme/api.git", "https://ghe.corp.example/api/v3"),
        ("https://acme.ghe.com/acme/api.git", "https://api.acme.ghe.com"),
        ("http://127.0.0.1:8080/acme/api.git", "http://127.0.0.1:8080"),
        ("https://GitHub.com/acme/api.git", "https://api.github.com"),
    ],
)
def test_clone_url_on_the_api_host_is_accepted(clone_url: str, api_url: str) -> None:
    check_clone_url(clone_url, api_url)


@pytest.mark.parametrize(
    ("clone_url", "api_url"),
    [
        ("https://evil.example/acme/api.git", "https://api.github.com"),
        ("https://github.com.evil.example/acme/api.git", "https://api.github.com"),
        ("http://github.com/acme/api.git", "https://api.github.com"),
        ("https://github.com:8443/acme/api.git", "https://api.github.com"),
        ("http://127.0.0.1:9999/acme/api.git", "http://127.0.0.1:8080"),
        ("http://localhost:8080/acme/api.git", "http://127.0.0.1:8080"),
        ("git@github.com:acme/api.git", "https://api.github.com"),
        ("ext::sh -c touch% /tmp/pwned", "https://api.github.com"),
        ("file:///tmp/repo.git", "https://api.github.com"),
        ("https://ghe.corp.example/acme/api.git", "https://api.github.com"),
        ("https://github.com:notaport/acme/api.git", "https://api.github.com"),
    ],
)
def test_clone_url_elsewhere_is_refused(clone_url: str, api_url: str) -> None:
    with pytest.raises(GitHubError, match="refusing to push") as info:
        check_clone_url(clone_url, api_url)
    assert info.value.hint


def test_a_clone_url_on_another_host_never_receives_the_token(
    run_cli: RunCli, project: Path, api: HostileServer, other: HostileServer
) -> None:
    full = "alice/payments-api"
    repo = {
        "id": 7,
        "name": "payments-api",
        "full_name": full,
        "owner": ALICE,
        "private": True,
        "html_url": f"{api.url}/{full}",
        "url": f"{api.url}/repos/{full}",
        "clone_url": f"{other.url}/{full}.git",  # another port: another origin
        "default_branch": "main",
        "delete_branch_on_merge": True,
        "description": "",
        "topics": [],
        "permissions": {"admin": True, "push": True, "pull": True},
    }
    api.on("GET", "/user", send_json(200, ALICE))
    api.on("POST", "/user/repos", send_json(201, repo))
    api.on("PATCH", f"/repos/{full}", send_json(200, repo))
    api.on("PUT", f"/repos/{full}/topics", send_json(200, {"names": []}))
    api.on("GET", f"/repos/{full}/branches", send_json(200, []))
    result = publish(run_cli, project, api)
    assert [s.credentials for s in other.seen] == []
    payload = assert_clean_failure(result, 3)  # the repository was created: partial success
    assert payload["error"]["failed"] == "push"
    assert other.url in payload["error"]["message"]
    assert "refusing to push" in payload["error"]["message"]
    assert "origin" not in (project / ".git" / "config").read_text()
