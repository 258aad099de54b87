"""The fake GitHub itself: each server has its own routes and state, and a route sees the request.

These drive the fakes over real HTTP on 127.0.0.1 (http.client, so that status codes, headers
and empty bodies are seen exactly as sent).
"""

from __future__ import annotations

import base64
import http.client
import importlib
import json
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import tests.fakegithub.catalog_routes
from tests.fakegithub import CATALOG, CORE, FakeGitHub, Reply, Req, Route, RouteGroup, State
from tests.fakegithub.fixtures import TOKEN
from tests.fakegithub.routing import Router

FILE = "/repos/acme/catalog/contents/catalog/all.yaml"


def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, Any]:
    """One API request with alice's token; returns (status, response headers, JSON or None)."""
    url = urlsplit(fake.api_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        sent = {"Authorization": f"token {TOKEN}", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, url.path + path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        return response.status, response.headers, json.loads(raw) if raw else None
    finally:
        conn.close()


def start(root: Path, *groups: RouteGroup, prefix: str = "") -> FakeGitHub:
    fake = FakeGitHub(root, prefix=prefix, groups=groups or (CORE,)).start()
    fake.state.add_user("alice", TOKEN, plan="pro")
    fake.state.add_org("acme", members={"alice"}, plan="team")
    return fake


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[tuple[FakeGitHub, FakeGitHub]]:
    """Two fakes side by side: one serving the catalog routes, one serving only the core."""
    with ExitStack() as stack:
        catalog = stack.enter_context(start(tmp_path / "catalog", CORE, CATALOG))
        plain = stack.enter_context(start(tmp_path / "plain"))
        for fake in (catalog, plain):
            fake.seed("acme", "catalog", {"catalog/all.yaml": "# all\n"})
        yield catalog, plain
        assert catalog.violations == plain.violations == []


def test_two_fakes_in_one_test_answer_with_their_own_routes(fakes) -> None:
    catalog, plain = fakes
    status, _, payload = call(catalog, "GET", FILE)
    assert status == 200
    assert base64.b64decode(payload["content"]) == b"# all\n"
    assert call(plain, "GET", FILE)[0] == 404
    assert call(plain, "GET", "/repos/acme/catalog/pulls")[0] == 404
    # Both serve the core routes from their own state.
    assert call(catalog, "GET", "/repos/acme/catalog")[2]["full_name"] == "acme/catalog"
    assert call(plain, "GET", "/repos/acme/catalog")[2]["full_name"] == "acme/catalog"
    # A valid write to an endpoint the plain fake does not serve is its 404, not a schema error.
    put = {"message": "edit", "content": base64.b64encode(b"x\n").decode(), "sha": "0" * 40}
    assert call(plain, "PUT", FILE, put)[0] == 404
    assert plain.violations == []
    assert plain.router.groups == ("core",)
    assert catalog.router.groups == ("core", "catalog")


def test_importing_the_catalog_routes_changes_no_plain_fake(tmp_path: Path) -> None:
    with start(tmp_path / "before") as before:
        before.seed("acme", "catalog", {"catalog/all.yaml": "# all\n"})
        endpoints = before.router.endpoints()
        importlib.reload(tests.fakegithub.catalog_routes)  # runs the module's body again
        with start(tmp_path / "after") as after:
            after.seed("acme", "catalog", {"catalog/all.yaml": "# all\n"})
            for fake in (before, after):
                assert fake.router.endpoints() == endpoints == Router([CORE]).endpoints()
                assert call(fake, "GET", FILE)[0] == 404
    assert not any("/contents/" in pattern for _, pattern in endpoints)


def _echo(state: State, req: Req) -> Reply:
    return Reply(
        203,
        {
            "method": req.method,
            "path": req.path,
            "params": dict(req.params),
            "query": dict(req.query),
            "probe": req.headers.get("x-probe"),
            "login": req.login,
            "body": req.body,
            "repos": len(state.repos),
        },
        {"X-Echo": "yes"},
    )


ECHO = RouteGroup(
    "echo",
    (
        Route("GET", "/echo/(?P<word>[a-z]+)", _echo),
        Route("POST", "/user/repos", _echo),  # a write GitHub's description knows
    ),
)


@pytest.mark.parametrize("prefix", ["", "/api/v3"], ids=["github.com", "enterprise-server"])
def test_a_route_sees_the_query_and_headers_and_answers_with_its_own(
    tmp_path: Path, prefix: str
) -> None:
    with start(tmp_path, ECHO, CORE, prefix=prefix) as fake:
        status, headers, payload = call(
            fake, "GET", "/echo/hello?a=1&a=2&b=x%20y", headers={"X-Probe": "present"}
        )
        assert status == 203
        assert headers["X-Echo"] == "yes"
        assert payload == {
            "method": "GET",
            "path": "/echo/hello",
            "params": {"word": "hello"},
            "query": {"a": "2", "b": "x y"},
            "probe": "present",
            "login": "alice",
            "body": None,
            "repos": 0,
        }
        # The first group that matches answers: ECHO was given before CORE.
        status, _, payload = call(fake, "POST", "/user/repos", {"name": "tools"})
        assert (status, payload["body"]) == (203, {"name": "tools"})
        assert fake.state.repos == {}
        assert call(fake, "GET", "/echo/HELLO")[0] == 404
        assert call(fake, "GET", "/user/repos")[0] == 405  # a known path, another method
        assert fake.violations == []


def test_contents_answer_with_an_etag_and_304_when_it_matches(tmp_path: Path) -> None:
    with start(tmp_path, CORE, CATALOG) as fake:
        fake.seed("acme", "catalog", {"catalog/all.yaml": "# all\n"})
        status, headers, _ = call(fake, "GET", FILE)
        etag = headers["ETag"]
        assert status == 200 and etag.startswith('"')
        status, headers, payload = call(fake, "GET", FILE, headers={"If-None-Match": etag})
        assert (status, headers["ETag"], payload) == (304, etag, None)
        assert call(fake, "GET", FILE, headers={"If-None-Match": f'"x", W/{etag}'})[0] == 304
        fake.seed("acme", "catalog", {"catalog/all.yaml": "# changed\n"})
        status, headers, _ = call(fake, "GET", FILE, headers={"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        status, _, payload = call(fake, "GET", FILE + "?ref=nowhere")
        assert (status, payload["message"]) == (404, "No commit found for the ref nowhere")


def test_contents_list_a_folder_and_404_for_a_missing_path(tmp_path: Path) -> None:
    with start(tmp_path, CORE, CATALOG) as fake:
        fake.seed("acme", "catalog", {"catalog/all.yaml": "# all\n", "catalog/teams/a.yaml": "a"})
        status, _, listing = call(fake, "GET", "/repos/acme/catalog/contents/catalog")
        assert status == 200
        assert [(e["type"], e["path"], e["size"]) for e in listing] == [
            ("file", "catalog/all.yaml", 6),
            ("dir", "catalog/teams", 0),
        ]
        assert all("content" not in e for e in listing)
        assert call(fake, "GET", "/repos/acme/catalog/contents/nowhere")[0] == 404
        assert fake.violations == []


def test_pull_requests_and_ids_belong_to_each_fake(tmp_path: Path) -> None:
    with start(tmp_path / "a", CORE, CATALOG) as a, start(tmp_path / "b", CORE, CATALOG) as b:
        for fake in (a, b):
            sha = fake.seed("acme", "catalog", {"catalog/all.yaml": "# all\n"})
            ref = {"ref": "refs/heads/topic", "sha": sha}
            assert call(fake, "POST", "/repos/acme/catalog/git/refs", ref)[0] == 201
            fake.seed("acme", "catalog", {"catalog/all.yaml": "# more\n"}, branch="topic")
        pull = {"title": "More", "head": "topic", "base": "main"}
        status, _, created = call(a, "POST", "/repos/acme/catalog/pulls", pull)
        assert (status, created["number"]) == (201, 1)
        assert [p["number"] for p in a.pulls("acme", "catalog")] == [1]
        assert b.pulls("acme", "catalog") == []
        assert call(b, "GET", "/repos/acme/catalog/pulls")[2] == []
        assert call(b, "POST", "/repos/acme/catalog/pulls", pull)[2]["number"] == 1
        # Ids count per fake: the same steps give the same ids in both.
        assert a.state.add_user("carol").id == b.state.add_user("carol").id
        assert a.state.repos[("acme", "catalog")].id == b.state.repos[("acme", "catalog")].id
        a.merge("acme", "catalog", 1)
        assert a.read("acme", "catalog", "catalog/all.yaml") == "# more\n"
        assert b.read("acme", "catalog", "catalog/all.yaml") == "# all\n"
        assert a.violations == b.violations == []


@pytest.mark.parametrize(
    ("owner", "private", "code_security", "status"),
    [
        ("acme", True, False, "disabled"),  # a Team plan without Code Security
        ("secure", True, True, "enabled"),  # an organisation that bought it
        ("acme", False, False, None),  # public: code scanning is free, nothing to report
        ("alice", True, False, None),  # a user's private repository: never offered
    ],
)
def test_security_and_analysis_and_code_scanning_follow_the_plan(
    tmp_path: Path, owner: str, private: bool, code_security: bool, status: str | None
) -> None:
    with start(tmp_path) as fake:
        fake.state.add_org("secure", members={"alice"}, plan="team", code_security=code_security)
        fake.state.add_repo(owner, "svc", private=private)
        code, _, repo = call(fake, "GET", f"/repos/{owner}/svc")
        assert code == 200
        sa = repo["security_and_analysis"]
        assert (sa.get("advanced_security") or {}).get("status") == status
        code, _, body = call(fake, "GET", f"/repos/{owner}/svc/code-scanning/default-setup")
        if private and not code_security:
            assert code == 403
            assert body["message"] == (
                "Advanced Security must be enabled for this repository to use code scanning."
            )
        else:
            assert code == 200
