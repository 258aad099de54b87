"""The fake GitHub's alert routes against GitHub's own description of them: every answer's body
conforms to the response schema `@octokit/openapi` gives for its endpoint and status
(`openapi/alert-responses.json`), and paging, filters, ETags and refusals behave as GitHub's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import requests

from tests.fakegithub import FakeGitHub
from tests.fakegithub.alert_routes import (
    add_alert,
    code_scanning_alert,
    dependabot_alert,
    secret_scanning_alert,
)
from tests.fakegithub.fixtures import OTHER_TOKEN, TOKEN, start_fake

SCHEMAS = json.loads(
    (Path(__file__).parent / "fakegithub/openapi/alert-responses.json").read_text(encoding="utf-8")
)
_TEMPLATES = [k.split(" ", 1)[1] for k in SCHEMAS if not k.startswith("_")]


def _template(path: str) -> str:
    for template in _TEMPLATES:
        regex = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(regex, path):
            return template
    raise AssertionError(f"no schema for {path}")


@pytest.fixture
def fake(tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, alerts=True)
    state = fake.state
    state.accounts["acme"].code_security = True
    for name in ("api", "web"):
        repo = state.add_repo("acme", name, private=True)
        repo.code_scanning = repo.vulnerability_alerts = True
        repo.secret_scanning = "enabled"
        for level in ("critical", "high", "medium"):
            add_alert(
                state, repo, "code-scanning", code_scanning_alert(security_severity_level=level)
            )
        add_alert(state, repo, "code-scanning", code_scanning_alert(state="dismissed"))
        add_alert(state, repo, "dependabot", dependabot_alert(severity="low"))
        add_alert(state, repo, "dependabot", dependabot_alert(state="fixed"))
        add_alert(state, repo, "secret-scanning", secret_scanning_alert())
        add_alert(state, repo, "secret-scanning", secret_scanning_alert(state="resolved"))
    state.add_repo("acme", "bare", private=True)
    yield fake
    fake.stop()


def _get(fake: FakeGitHub, path: str, token: str = TOKEN, **headers: str) -> requests.Response:
    url = path if path.startswith("http") else fake.api_url + path
    response = requests.get(url, headers={"Authorization": f"token {token}", **headers}, timeout=5)
    template = _template(url.split("?")[0].removeprefix(fake.api_url))
    schemas = SCHEMAS[f"GET {template}"]
    assert str(response.status_code) in schemas or response.status_code in (403, 304), (
        f"{template} answered {response.status_code}, which GitHub does not document"
    )
    schema = schemas.get(str(response.status_code))
    if schema is not None:
        jsonschema.validate(response.json(), schema)
    return response


ENDPOINTS = [
    "/orgs/acme/repos",
    *(f"/orgs/acme/{k}/alerts" for k in ("code-scanning", "dependabot", "secret-scanning")),
    *(f"/repos/acme/api/{k}/alerts" for k in ("code-scanning", "dependabot", "secret-scanning")),
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_answer_has_githubs_shape(fake, path):
    response = _get(fake, path + "?per_page=100")
    assert response.status_code == 200
    assert response.json(), "an empty list proves nothing about the shape"
    assert response.headers["ETag"]


def test_state_filter_and_the_organisation_lists_name_each_repository(fake):
    items = _get(fake, "/orgs/acme/code-scanning/alerts?state=open").json()
    assert len(items) == 6 and {a["state"] for a in items} == {"open"}
    assert {a["repository"]["full_name"] for a in items} == {"acme/api", "acme/web"}
    levels = [a["rule"]["security_severity_level"] for a in items]
    assert levels == ["critical", "high", "medium"] * 2
    assert len(_get(fake, "/orgs/acme/code-scanning/alerts").json()) == 8
    resolved = _get(fake, "/repos/acme/api/secret-scanning/alerts?state=resolved").json()
    assert [a["resolution"] for a in resolved] == ["revoked"]


def test_pages_by_number_and_by_cursor_follow_link_headers(fake):
    seen, url = [], "/orgs/acme/code-scanning/alerts?per_page=3"
    while url:
        response = _get(fake, url)
        seen += [(a["repository"]["name"], a["number"]) for a in response.json()]
        url = response.links.get("next", {}).get("url")
    assert len(seen) == 8 == len(set(seen))
    first = _get(fake, "/orgs/acme/code-scanning/alerts?per_page=3")
    assert "page=3" in first.links["last"]["url"]

    seen, url = [], "/orgs/acme/dependabot/alerts?per_page=1"
    while url:
        response = _get(fake, url)
        seen += [(a["repository"]["name"], a["number"]) for a in response.json()]
        url = response.links.get("next", {}).get("url")
        assert url is None or "after=" in url
    assert len(seen) == 4 == len(set(seen))


def test_an_unchanged_page_answers_304_and_is_counted_apart(fake):
    before = len(fake.requests)
    first = _get(fake, "/orgs/acme/secret-scanning/alerts")
    again = _get(
        fake, "/orgs/acme/secret-scanning/alerts", **{"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert fake.rate_limit_cost(before) == 1
    add_alert(
        fake.state, fake.state.repos[("acme", "api")], "secret-scanning", secret_scanning_alert()
    )
    changed = _get(
        fake, "/orgs/acme/secret-scanning/alerts", **{"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and fake.rate_limit_cost(before) == 2


def test_features_that_are_off_answer_with_githubs_words(fake):
    answers = {
        kind: _get(fake, f"/repos/acme/bare/{kind}/alerts")
        for kind in ("code-scanning", "dependabot", "secret-scanning")
    }
    assert {k: (r.status_code, r.json()["message"]) for k, r in answers.items()} == {
        "code-scanning": (403, "Code scanning is not enabled for this repository"),
        "dependabot": (403, "Dependabot alerts are disabled for this repository."),
        "secret-scanning": (404, "Secret scanning is disabled on this repository."),
    }
    fake.state.accounts["acme"].code_security = False
    response = _get(fake, "/repos/acme/bare/code-scanning/alerts")
    assert response.json()["message"].startswith("Advanced Security must be enabled")


def test_organisation_lists_need_an_owner_or_security_manager(fake):
    fake.state.accounts["acme"].alert_readers = {"bob"}
    refused = _get(fake, "/orgs/acme/dependabot/alerts")
    assert refused.status_code == 403
    assert "owner or security manager" in refused.json()["message"]
    assert _get(fake, "/orgs/acme/dependabot/alerts", OTHER_TOKEN).status_code == 200
    # bob is no member: the listing shows him no private repository, and no settings.
    assert _get(fake, "/orgs/acme/repos", OTHER_TOKEN).json() == []
    listing = _get(fake, "/orgs/acme/repos").json()
    assert [r["name"] for r in listing] == ["api", "web", "bare"]
    assert listing[0]["security_and_analysis"]["secret_scanning"] == {"status": "enabled"}
