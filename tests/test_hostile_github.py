"""The token goes only where it should, and hostile or broken GitHub answers are clean errors.

`scaffolder publish` runs for real against `tests/hostile_server.py` on 127.0.0.1 (plain http is
allowed there, and only there). Each broken answer must end in one `error:` line plus a hint,
exit 5 (3 once something was written), no traceback, and under `--json` exactly one JSON object
with `ok: false`. A second server plays "another host" and must never see a request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from scaffolder.errors import GitHubError, GitHubRateLimitError, UsageError
from scaffolder.github import GitHubSettings, connect, resolve_api_url
from scaffolder.github.settings import MAX_RESPONSE_BYTES
from scaffolder.publish.push import check_clone_url
from tests.conftest import CliResult
from tests.hostile_server import (
    HostileServer,
    Route,
    drip,
    endless,
    hostile,
    send_json,
    send_raw,
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


# -- B.3 and C: redirects are refused, and the other host never sees the token ---------------
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_and_not_followed(
    run_cli: RunCli, project: Path, api: HostileServer, other: HostileServer, status: int
) -> None:
    other.on("GET", "/user", send_json(200, ALICE))
    location = f"{other.url}/user"
    api.on("GET", "/user", send_raw(status, b"", {"Location": location, "Content-Length": "0"}))
    result = publish(run_cli, project, api)
    assert [s.credentials for s in other.seen] == []
    payload = assert_clean_failure(result, 5)
    message = payload["error"]["message"]
    assert str(status) in message and "redirect" in message and location in message
    assert payload["error"]["status"] == status
    assert user_calls(api) == 1  # not retried


def test_a_same_host_redirect_is_refused_too(
    run_cli: RunCli, project: Path, api: HostileServer
) -> None:
    api.on("GET", "/user", send_raw(301, b"", {"Location": "/user2", "Content-Length": "0"}))
    api.on("GET", "/user2", send_raw(301, b"", {"Location": "/user3", "Content-Length": "0"}))
    assert_clean_failure(publish(run_cli, project, api), 5)
    assert [s.path for s in api.seen] == ["/user"]


# -- C: bodies that are not the user object -------------------------------------------------
@pytest.mark.parametrize(
    ("route", "words"),
    [
        (send_json(200, [ALICE]), "a JSON list"),
        (send_json(200, {"name": "Alice"}), "no login"),
        (send_json(200, {"login": 42}), "no login"),
        (send_json(200, None), "no login"),
        (
            send_raw(200, b"<!doctype html><html><body>Sign in</body></html>", {}),
            "not JSON",
        ),
        (
            send_raw(200, b"<html>hi</html>", {"Content-Type": "text/html; charset=utf-8"}),
            "not JSON",
        ),
        (send_raw(200, b'{"login": "alice"', {"Content-Type": "application/json"}), "not JSON"),
    ],
    ids=["list", "no-login", "login-not-a-string", "null", "html", "html-typed", "truncated-json"],
)
def test_a_body_that_is_not_the_user_is_a_clear_error(
    run_cli: RunCli, project: Path, api: HostileServer, route: Route, words: str
) -> None:
    api.on("GET", "/user", route)
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    assert "GET /user" in payload["error"]["message"]
    assert words in payload["error"]["message"]
    assert "--github-api-url" in payload["error"]["hint"]
    assert user_calls(api) == 1


@pytest.mark.parametrize("declared", [400 * 1024 * 1024, None], ids=["declared", "chunked"])
def test_a_huge_body_is_refused_at_the_cap(
    run_cli: RunCli, project: Path, api: HostileServer, declared: int | None
) -> None:
    api.on("GET", "/user", endless(declared=declared))
    started = time.monotonic()
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    assert f"more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB" in payload["error"]["message"]
    assert time.monotonic() - started < 30
    assert user_calls(api) == 1  # not retried: it would be just as big again


def test_a_body_drip_fed_a_byte_at_a_time_hits_the_deadline(
    run_cli: RunCli, project: Path, api: HostileServer
) -> None:
    body = json.dumps({**ALICE, "bio": "x" * 40}).encode()
    # Each byte comes well within the one-second socket timeout; the whole would take 30 s.
    api.on("GET", "/user", drip(body, every=0.3))
    started = time.monotonic()
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    elapsed = time.monotonic() - started
    assert "timed out" in payload["error"]["message"]
    assert "1 s" in payload["error"]["message"]
    assert user_calls(api) == 4  # retried like any timeout, within the budget
    assert elapsed < 4 * 1 + 6, elapsed


def test_drip_fed_headers_hit_the_deadline_too(
    run_cli: RunCli, project: Path, api: HostileServer
) -> None:
    def slow_headers(h: Any) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            if h.server_state.stopping.wait(0.3):
                return
            h.wfile.write(b"X-Slow: 1\r\n")
            h.wfile.flush()

    api.on("GET", "/user", slow_headers)
    started = time.monotonic()
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    assert "timed out" in payload["error"]["message"]
    assert time.monotonic() - started < 10


def test_an_error_message_from_the_server_cannot_forge_lines_or_escapes(
    run_cli: RunCli, project: Path, api: HostileServer
) -> None:
    body = {"message": "Bad\nerror: forged line\x1b[2J" + "x" * 5000, "errors": 7}
    api.on("GET", "/user", send_json(422, body))
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    assert "\x1b" not in payload["error"]["message"]
    assert len(payload["error"]["message"]) < 400


# -- C: rate-limit headers that are junk or absurd ------------------------------------------
@pytest.mark.parametrize(
    ("status", "headers", "calls"),
    [
        (403, {"Retry-After": "soon"}, 4),  # junk: a bounded backoff, then the error
        (429, {"Retry-After": "Thu, 32 Foo 2024 99:99:99 GMT"}, 4),
        (429, {"Retry-After": "nan"}, 4),
        (403, {"Retry-After": "1e300"}, 1),  # absurd: fail at once
        (429, {"Retry-After": "inf"}, 1),
        (429, {"Retry-After": "9" * 5000}, 1),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999999999999"},
            1,
        ),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9" * 5000}, 4),
        (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e400"}, 4),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "tomorrow"}, 4),
    ],
    ids=[
        "retry-after-soon",
        "retry-after-bad-date",
        "retry-after-nan",
        "retry-after-1e300",
        "retry-after-inf",
        "retry-after-5000-digits",
        "reset-huge",
        "reset-5000-digits",
        "reset-overflows-float",
        "reset-junk",
    ],
)
def test_junk_or_absurd_rate_limit_headers_are_a_clear_rate_limit_error(
    run_cli: RunCli,
    project: Path,
    api: HostileServer,
    status: int,
    headers: dict[str, str],
    calls: int,
) -> None:
    api.on("GET", "/user", send_json(status, RATE_LIMITED, headers))
    started = time.monotonic()
    payload = assert_clean_failure(publish(run_cli, project, api), 5)
    assert payload["error"]["code"] == "github-rate-limit"
    assert payload["error"]["status"] == status
    assert "rate limit" in payload["error"]["hint"]
    assert user_calls(api) == calls
    assert time.monotonic() - started < 10  # never slept for what the headers asked


def test_a_retry_after_date_is_honoured(api: HostileServer) -> None:
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3))
    answers = iter([send_json(429, RATE_LIMITED, {"Retry-After": soon}), send_json(200, ALICE)])
    api.on("GET", "/user", lambda h: next(answers)(h))
    client = connect(GitHubSettings.from_env(api_url=api.url))
    assert client.identity().login == "alice"
    assert len(client.waits) == 1 and 1.0 <= client.waits[0] <= 4.0


def test_absurd_rate_limit_headers_on_a_success_are_ignored(api: HostileServer) -> None:
    """PyGithub parses these on every answer (int(float(...))): junk must not break a 200."""
    junk = {"x-ratelimit-remaining": "lots", "x-ratelimit-limit": "nan"}
    api.on("GET", "/user", send_json(200, ALICE, {**junk, "x-ratelimit-reset": "1e400"}))
    client = connect(GitHubSettings.from_env(api_url=api.url))
    assert client.identity().login == "alice"


def test_a_rate_limit_longer_than_a_day_names_no_reset_time(api: HostileServer) -> None:
    api.on("GET", "/user", send_json(429, RATE_LIMITED, {"Retry-After": "1e300"}))
    with pytest.raises(GitHubRateLimitError) as info:
        connect(GitHubSettings.from_env(api_url=api.url)).identity()
    assert "more than a day" in (info.value.hint or "")
