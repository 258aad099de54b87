"""The fake GitHub's security alert routes: code scanning, Dependabot and secret scanning.

`ALERTS` (at the end) is an opt-in route group; a fake serves it when asked to
(`start_fake(..., alerts=True)`). Importing this module changes no fake.

* Per repository: `GET /repos/{o}/{r}/code-scanning/alerts`, `/dependabot/alerts`,
  `/secret-scanning/alerts`. A feature that is off answers with GitHub's words, not an empty
  list: 403 "Code scanning is not enabled for this repository" (403 "Advanced Security must be
  enabled ..." where the plan lacks it), 403 "Dependabot alerts are disabled for this
  repository.", 404 "Secret scanning is disabled on this repository.". A repository the token
  may see but not administer answers 403 "Resource not accessible by personal access token".
* Per organisation: `GET /orgs/{org}/code-scanning/alerts`, `/dependabot/alerts`,
  `/secret-scanning/alerts`, each item naming its `repository`; only owners and security
  managers (`Account.alert_readers`) may list them, others get a 403.
* `GET /orgs/{org}/repos`: the repositories the token sees, with `security_and_analysis` for
  those it administers (GitHub shows it to admins and security managers only).
* Every list takes `state` (open, dismissed, fixed, resolved, ...) and `per_page` (up to 100);
  code and secret scanning and the repository list page with `page`, Dependabot with an opaque
  `after` cursor, as GitHub does; the next and last pages are in a `Link` header. Every answer
  has an `ETag`; a matching `If-None-Match` gets `304 Not Modified` with no body (the request
  log records the status: `FakeGitHub.rate_limit_cost()` leaves 304s out).

Alerts are GitHub's JSON (`code_scanning_alert(...)`, `dependabot_alert(...)`,
`secret_scanning_alert(...)` build them; `add_alert` numbers and stores one on its repository),
checked against GitHub's response schemas by tests/test_insights_fake.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from tests.fakegithub.routing import R, Reply, Req, Route, RouteGroup, repo_of
from tests.fakegithub.state import Account, ApiError, Repo, State

KINDS = ("code-scanning", "dependabot", "secret-scanning")
WHEN = "2026-01-05T10:00:00Z"
CODE_SCANNING_OFF = "Code scanning is not enabled for this repository"
CODE_SCANNING_UNAVAILABLE = (
    "Advanced Security must be enabled for this repository to use code scanning."
)
DEPENDABOT_OFF = "Dependabot alerts are disabled for this repository."
SECRET_SCANNING_OFF = "Secret scanning is disabled on this repository."
NOT_ACCESSIBLE = "Resource not accessible by personal access token"
ORG_REFUSED = "You must be an organization owner or security manager to access this resource."
_USER_URLS = (
    "followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url",
    "organizations_url", "repos_url", "events_url", "received_events_url",
)  # fmt: skip
_REPO_URLS = (
    "archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits",
    "compare", "contents", "contributors", "deployments", "downloads", "events", "forks",
    "git_commits", "git_refs", "git_tags", "hooks", "issue_comment", "issue_events", "issues",
    "keys", "labels", "languages", "merges", "milestones", "notifications", "pulls", "releases",
    "stargazers", "statuses", "subscribers", "subscription", "tags", "teams", "trees",
)  # fmt: skip


# -- alerts, as GitHub writes them ---------------------------------------------------------
def code_scanning_alert(
    *,
    state: str = "open",
    security_severity_level: str | None = "high",
    severity: str | None = "error",
    rule: str = "py/sql-injection",
) -> dict[str, Any]:
    dismissed = state == "dismissed"
    return {
        "created_at": WHEN,
        "updated_at": WHEN,
        "state": state,
        "fixed_at": WHEN if state == "fixed" else None,
        "dismissed_by": None,
        "dismissed_at": WHEN if dismissed else None,
        "dismissed_reason": "won't fix" if dismissed else None,
        "dismissed_comment": None,
        "rule": {
            "id": rule,
            "name": rule,
            "severity": severity,
            "security_severity_level": security_severity_level,
            "description": f"the rule {rule}",
            "tags": ["security"],
        },
        "tool": {"name": "CodeQL", "version": "2.20.0", "guid": None},
        "most_recent_instance": {
            "ref": "refs/heads/main",
            "analysis_key": ".github/workflows/codeql.yml:analyze",
            "environment": "{}",
            "category": "/language:python",
            "state": state if state != "closed" else "fixed",
            "commit_sha": "0" * 40,
            "message": {"text": "a finding"},
            "location": {"path": "app.py", "start_line": 1, "end_line": 1},
            "classifications": [],
        },
    }


def dependabot_alert(
    *, state: str = "open", severity: str = "high", package: str = "requests"
) -> dict[str, Any]:
    vulnerability = {
        "package": {"ecosystem": "pip", "name": package},
        "severity": severity,
        "vulnerable_version_range": "< 2.32.0",
        "first_patched_version": {"identifier": "2.32.0"},
    }
    closed = state in ("dismissed", "auto_dismissed")
    return {
        "state": state,
        "dependency": {
            "package": {"ecosystem": "pip", "name": package},
            "manifest_path": "requirements.txt",
            "scope": "runtime",
            "relationship": "direct",
        },
        "security_advisory": {
            "ghsa_id": "GHSA-9wx4-h78v-vm56",
            "cve_id": "CVE-2024-35195",
            "summary": f"a vulnerability in {package}",
            "description": "details",
            "vulnerabilities": [vulnerability],
            "severity": severity,
            "cvss": {"score": 5.6, "vector_string": None},
            "cwes": [{"cwe_id": "CWE-670", "name": "Always-Incorrect Control Flow"}],
            "identifiers": [{"type": "GHSA", "value": "GHSA-9wx4-h78v-vm56"}],
            "references": [{"url": "https://github.com/advisories/GHSA-9wx4-h78v-vm56"}],
            "published_at": WHEN,
            "updated_at": WHEN,
            "withdrawn_at": None,
        },
        "security_vulnerability": vulnerability,
        "created_at": WHEN,
        "updated_at": WHEN,
        "dismissed_at": WHEN if closed else None,
        "dismissed_by": None,
        "dismissed_reason": "tolerable_risk" if closed else None,
        "dismissed_comment": None,
        "fixed_at": WHEN if state == "fixed" else None,
        "auto_dismissed_at": WHEN if state == "auto_dismissed" else None,
    }


def secret_scanning_alert(
    *,
    state: str = "open",
    secret_type: str = "github_pat",  # noqa: S107 -- a kind of secret, not one
) -> dict[str, Any]:
    resolved = state == "resolved"
    return {
        "created_at": WHEN,
        "updated_at": WHEN,
        "state": state,
        "resolution": "revoked" if resolved else None,
        "resolved_at": WHEN if resolved else None,
        "resolved_by": None,
        "resolution_comment": None,
        "secret_type": secret_type,
        "secret_type_display_name": "GitHub Personal Access Token",
        "provider": "GitHub",
        "provider_slug": "github",
        "push_protection_bypassed": False,
        "push_protection_bypassed_by": None,
        "push_protection_bypassed_at": None,
        "validity": "active",
        "publicly_leaked": False,
        "multi_repo": False,
        "is_base64_encoded": False,
        "has_more_locations": False,
    }


def add_alert(state: State, repo: Repo, kind: str, alert: dict[str, Any]) -> dict[str, Any]:
    """Store `alert` on `repo` with the next number and its URLs; return it."""
    if kind not in KINDS:
        raise ValueError(f"no such kind of alert: {kind}")
    alerts = repo.alerts.setdefault(kind, [])
    number = len(alerts) + 1
    alert = {
        "number": number,
        "url": f"{state.api_url}/repos/{repo.full_name}/{kind}/alerts/{number}",
        "html_url": f"{state.web_url}/{repo.full_name}/security/{kind}/{number}",
        **alert,
    }
    if kind == "code-scanning":
        alert["instances_url"] = f"{alert['url']}/instances"
    if kind == "secret-scanning":
        alert["locations_url"] = f"{alert['url']}/locations"
    alerts.append(alert)
    return alert


# -- repositories, as the alert lists and the listing name them ------------------------------
def simple_user(state: State, account: Account) -> dict[str, Any]:
    kind = "orgs" if account.type == "Organization" else "users"
    api = f"{state.api_url}/users/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": f"U_{account.id}",
        "avatar_url": f"{state.web_url}/avatars/{account.id}",
        "gravatar_id": "",
        "url": f"{state.api_url}/{kind}/{account.login}",
        "html_url": f"{state.web_url}/{account.login}",
        **{name: f"{api}/{name.removesuffix('_url')}" for name in _USER_URLS},
        "type": account.type,
        "site_admin": False,
    }


def simple_repository(state: State, repo: Repo) -> dict[str, Any]:
    api = f"{state.api_url}/repos/{repo.full_name}"
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": simple_user(state, repo.owner),
        "private": repo.private,
        "html_url": f"{state.web_url}/{repo.full_name}",
        "description": repo.description,
        "fork": False,
        "url": api,
        **{f"{name}_url": f"{api}/{name}" for name in _REPO_URLS},
    }


def _minimal_repository(state: State, repo: Repo, login: str) -> dict[str, Any]:
    out = simple_repository(state, repo)
    out["visibility"] = "private" if repo.private else "public"
    out["default_branch"] = "main"
    if state.can_admin(login, repo):
        out["security_and_analysis"] = state.repo_json(repo, login)["security_and_analysis"]
    return out


# -- paging and conditional requests -----------------------------------------------------------
def _per_page(req: Req) -> int:
    try:
        size = int(req.query.get("per_page", "30"))
    except ValueError as exc:
        raise ApiError(422, "per_page must be a number") from exc
    return max(1, min(size, 100))


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{index}".encode()).decode()


def _uncursor(text: str) -> int:
    try:
        kind, _, index = base64.urlsafe_b64decode(text.encode()).decode().partition(":")
        if kind == "cursor" and index.isdigit():
            return int(index)
    except ValueError:
        pass
    raise ApiError(400, "The provided cursor is invalid.")


def _link(state: State, req: Req, **changes: str | int) -> str:
    query = {**req.query, **{k: str(v) for k, v in changes.items()}}
    return f"{state.api_url}{req.path}?{urllib.parse.urlencode(query)}"


def _paged(
    state: State,
    req: Req,
    items: list[Any],
    *,
    cursor: bool = False,
    render: Callable[[Any], Any] = lambda item: item,
) -> Reply:
    """One page of `items` (by `page`, or by `after` cursor), each `render`ed, with `Link`,
    `ETag` and 304."""
    size = _per_page(req)
    links = []
    if cursor:
        start = _uncursor(req.query["after"]) if req.query.get("after") else 0
        if start + size < len(items):
            links.append(f'<{_link(state, req, after=_cursor(start + size))}>; rel="next"')
    else:
        try:
            page = max(1, int(req.query.get("page", "1")))
        except ValueError as exc:
            raise ApiError(422, "page must be a number") from exc
        start = (page - 1) * size
        last = max(1, -(-len(items) // size))
        if page < last:
            links.append(f'<{_link(state, req, page=page + 1)}>; rel="next"')
            links.append(f'<{_link(state, req, page=last)}>; rel="last"')
    body = [render(item) for item in items[start : start + size]]
    headers = {"Link": ", ".join(links)} if links else {}
    digest = hashlib.sha256(json.dumps([body, links], sort_keys=True).encode()).hexdigest()
    etag = f'W/"{digest}"'
    headers["ETag"] = etag
    asked = req.headers.get("if-none-match", "")
    if etag.removeprefix("W/") in {t.strip().removeprefix("W/") for t in asked.split(",")}:
        return Reply(304, None, headers)
    return Reply(200, body, headers)


def _wanted(req: Req, alert: dict[str, Any]) -> bool:
    states = req.query.get("state")
    return not states or alert["state"] in states.split(",")


# -- per repository --------------------------------------------------------------------------
def _feature_on(repo: Repo, kind: str) -> bool:
    if kind == "code-scanning":
        return repo.security_plan_ok and repo.code_scanning
    if kind == "dependabot":
        return repo.vulnerability_alerts
    return repo.secret_scanning == "enabled"


def _repo_alerts(kind: str) -> Any:
    def route(state: State, req: Req) -> Reply:
        repo = repo_of(state, req)
        if not state.can_admin(req.login, repo):
            raise ApiError(403, NOT_ACCESSIBLE)
        if not _feature_on(repo, kind):
            if kind == "code-scanning":
                raise ApiError(
                    403, CODE_SCANNING_OFF if repo.security_plan_ok else CODE_SCANNING_UNAVAILABLE
                )
            if kind == "dependabot":
                raise ApiError(403, DEPENDABOT_OFF)
            raise ApiError(404, SECRET_SCANNING_OFF)
        alerts = [a for a in repo.alerts.get(kind, []) if _wanted(req, a)]
        return _paged(state, req, alerts, cursor=kind == "dependabot")

    return route


# -- per organisation ------------------------------------------------------------------------
def _org(state: State, req: Req) -> Account:
    org = state.accounts.get(req.params["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    return org


def _org_repos(state: State, org: Account) -> list[Repo]:
    return sorted((r for r in state.repos.values() if r.owner is org), key=lambda r: r.id)


def _org_alerts(kind: str) -> Any:
    def route(state: State, req: Req) -> Reply:
        org = _org(state, req)
        readers = org.members if org.alert_readers is None else org.alert_readers
        if req.login not in readers:
            raise ApiError(403, ORG_REFUSED)
        alerts = [
            (repo, alert)
            for repo in _org_repos(state, org)
            if _feature_on(repo, kind)
            for alert in repo.alerts.get(kind, [])
            if _wanted(req, alert)
        ]

        def render(item: tuple[Repo, dict[str, Any]]) -> dict[str, Any]:
            return {**item[1], "repository": simple_repository(state, item[0])}

        return _paged(state, req, alerts, cursor=kind == "dependabot", render=render)

    return route


def list_org_repos(state: State, req: Req) -> Reply:
    org = _org(state, req)
    visible = [
        repo
        for repo in _org_repos(state, org)
        if not repo.private or state.can_admin(req.login, repo)
    ]
    return _paged(
        state, req, visible, render=lambda repo: _minimal_repository(state, repo, req.login)
    )


_ORG = "/orgs/(?P<org>[^/]+)"

ALERTS = RouteGroup(
    "alerts",
    (
        Route("GET", _ORG + "/repos", list_org_repos),
        *(Route("GET", f"{_ORG}/{kind}/alerts", _org_alerts(kind)) for kind in KINDS),
        *(Route("GET", f"{R}/{kind}/alerts", _repo_alerts(kind)) for kind in KINDS),
    ),
)
