"""The fake GitHub's core routes: users, organisations, repositories and their settings.

`CORE` (at the end) is the route group every fake serves: the endpoints scaffolder's publish
step calls, with GitHub's status codes and messages, including the plan checks (rulesets and
branch protection on a private Free-plan repository answer 403 with `UPGRADE`).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from tests.fakegithub.routing import R, Reply, Req, Route, RouteGroup, repo_of
from tests.fakegithub.state import UPGRADE, Account, ApiError, Repo, State


def get_user(state: State, req: Req) -> Reply:
    return Reply(200, state.account_json(state.accounts[req.login]))


def list_my_orgs(state: State, req: Req) -> Reply:
    orgs = [a for a in state.accounts.values() if a.type == "Organization"]
    return Reply(200, [state.account_json(a) for a in orgs if req.login in a.members])


def get_org(state: State, req: Req) -> Reply:
    org = state.accounts.get(req.params["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    return Reply(200, state.account_json(org))


def _create(state: State, owner: Account, req: Req) -> Reply:
    body = req.body
    name = body["name"]
    if (owner.login.lower(), name.lower()) in state.repos:
        raise ApiError(
            422,
            "Repository creation failed.",
            errors=[
                {
                    "resource": "Repository",
                    "code": "custom",
                    "field": "name",
                    "message": "name already exists on this account",
                }
            ],
        )
    repo = state.add_repo(owner.login, name, private=bool(body.get("private", False)))
    repo.description = body.get("description")
    repo.homepage = body.get("homepage")
    repo.delete_branch_on_merge = bool(body.get("delete_branch_on_merge", False))
    return Reply(201, state.repo_json(repo, req.login))


def create_user_repo(state: State, req: Req) -> Reply:
    return _create(state, state.accounts[req.login], req)


def create_org_repo(state: State, req: Req) -> Reply:
    org = state.accounts.get(req.params["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    if req.login not in org.members:
        raise ApiError(
            403, "You need admin access to the organization before adding a repository to it."
        )
    return _create(state, org, req)


def get_repo(state: State, req: Req) -> Reply:
    return Reply(200, state.repo_json(repo_of(state, req), req.login))


def edit_repo(state: State, req: Req) -> Reply:
    repo, body = repo_of(state, req, admin=True), req.body
    if "security_and_analysis" in body:
        if not repo.security_plan_ok:
            raise ApiError(422, "Secret scanning is not available for this repository.")
        sa = body["security_and_analysis"]
        repo.secret_scanning = sa.get("secret_scanning", {}).get("status", repo.secret_scanning)
        repo.push_protection = sa.get("secret_scanning_push_protection", {}).get(
            "status", repo.push_protection
        )
    for key in ("description", "homepage", "delete_branch_on_merge", "private"):
        if key in body:
            setattr(repo, key, body[key])
    return Reply(200, state.repo_json(repo, req.login))


def get_topics(state: State, req: Req) -> Reply:
    return Reply(200, {"names": repo_of(state, req).topics})


def put_topics(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    repo.topics = list(req.body["names"])
    return Reply(200, {"names": repo.topics})


def list_branches(state: State, req: Req) -> Reply:
    repo = repo_of(state, req)
    branches = sorted(state.branches(repo).items())
    return Reply(
        200,
        [
            {"name": name, "commit": {"sha": sha}, "protected": name in repo.protection}
            for name, sha in branches
        ],
    )


# -- rulesets ------------------------------------------------------------------------------
def _ruleset_repo(state: State, req: Req) -> Repo:
    if not state.rulesets_supported:
        raise ApiError(404, "Not Found")
    repo = repo_of(state, req, admin=True)
    if repo.private and not repo.owner.paid:
        raise ApiError(403, UPGRADE)
    return repo


def _ruleset_json(repo: Repo, ruleset: dict[str, Any], *, full: bool) -> dict[str, Any]:
    summary = {k: ruleset[k] for k in ("id", "name", "target", "enforcement")}
    summary |= {"source_type": "Repository", "source": repo.full_name}
    return {**ruleset, **summary} if full else summary


def list_rulesets(state: State, req: Req) -> Reply:
    """The repository's rulesets after its organisation's (`includes_parents`, true unless
    "false"), a page at a time (`per_page`, 30 unless given, at most 100; `page`), with
    GitHub's `Link` header to the next page."""
    repo = _ruleset_repo(state, req)
    found = [_ruleset_json(repo, r, full=False) for r in repo.rulesets]
    if req.query.get("includes_parents", "true") != "false":
        org = repo.owner
        parents = [
            {k: r[k] for k in ("id", "name", "target", "enforcement")}
            | {"source_type": "Organization", "source": org.login}
            for r in org.rulesets
        ]
        found = parents + found
    per_page = min(int(req.query.get("per_page", "30")), 100)
    page = int(req.query.get("page", "1"))
    items = found[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(found):
        path = f"/repos/{repo.full_name}/rulesets"
        query = {**req.query, "page": str(page + 1), "per_page": str(per_page)}
        next_url = f"{state.api_url}{path}?{urllib.parse.urlencode(query)}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Reply(200, items, headers)


def create_ruleset(state: State, req: Req) -> Reply:
    repo = _ruleset_repo(state, req)
    body = req.body
    if any(r["name"] == body["name"] for r in repo.rulesets):
        raise ApiError(422, "Validation Failed", errors=["Name must be unique"])
    ruleset = {"id": state.next_id(), "target": "branch", "bypass_actors": [], "rules": [], **body}
    repo.rulesets.append(ruleset)
    return Reply(201, _ruleset_json(repo, ruleset, full=True))


def _find_ruleset(repo: Repo, ruleset_id: str) -> dict[str, Any]:
    for ruleset in repo.rulesets:
        if str(ruleset["id"]) == ruleset_id:
            return ruleset
    raise ApiError(404, "Not Found")


def get_ruleset(state: State, req: Req) -> Reply:
    repo = _ruleset_repo(state, req)
    return Reply(200, _ruleset_json(repo, _find_ruleset(repo, req.params["id"]), full=True))


def update_ruleset(state: State, req: Req) -> Reply:
    repo = _ruleset_repo(state, req)
    ruleset = _find_ruleset(repo, req.params["id"])
    ruleset.update(req.body)
    return Reply(200, _ruleset_json(repo, ruleset, full=True))


# -- classic branch protection ------------------------------------------------------------
B = R + "/branches/(?P<branch>[^/]+)/protection"


def _protection_repo(state: State, req: Req) -> Repo:
    repo = repo_of(state, req, admin=True)
    if repo.private and not repo.owner.paid:
        raise ApiError(403, UPGRADE)
    if req.params["branch"] not in state.branches(repo):
        raise ApiError(404, "Branch not found")
    return repo


def _enabled(value: Any) -> dict[str, bool]:
    return {"enabled": bool(value)}


def put_protection(state: State, req: Req) -> Reply:
    repo, body = _protection_repo(state, req), req.body
    checks = body["required_status_checks"]
    stored = {
        "required_status_checks": checks
        and {
            "strict": checks["strict"],
            "contexts": list(checks.get("contexts", [])),
        },
        "enforce_admins": _enabled(body["enforce_admins"]),
        "required_pull_request_reviews": body["required_pull_request_reviews"],
        "restrictions": body["restrictions"],
        "required_linear_history": _enabled(body.get("required_linear_history")),
        "allow_force_pushes": _enabled(body.get("allow_force_pushes")),
        "allow_deletions": _enabled(body.get("allow_deletions")),
        "required_conversation_resolution": _enabled(body.get("required_conversation_resolution")),
        "required_signatures": repo.protection.get(req.params["branch"], {}).get(
            "required_signatures", _enabled(False)
        ),
    }
    repo.protection[req.params["branch"]] = stored
    return Reply(200, stored)


def get_protection(state: State, req: Req) -> Reply:
    repo = _protection_repo(state, req)
    if req.params["branch"] not in repo.protection:
        raise ApiError(404, "Branch not protected")
    return Reply(200, repo.protection[req.params["branch"]])


def add_signatures(state: State, req: Req) -> Reply:
    repo = _protection_repo(state, req)
    if req.params["branch"] not in repo.protection:
        raise ApiError(404, "Branch not protected")
    repo.protection[req.params["branch"]]["required_signatures"] = _enabled(True)
    return Reply(200, _enabled(True))


# -- security switches ---------------------------------------------------------------------
def get_alerts(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    if not repo.vulnerability_alerts:
        raise ApiError(404, "Not Found")
    return Reply(204, None)


def put_alerts(state: State, req: Req) -> Reply:
    repo_of(state, req, admin=True).vulnerability_alerts = True
    return Reply(204, None)


def get_fixes(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    return Reply(200, {"enabled": repo.automated_security_fixes, "paused": False})


def put_fixes(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    if not repo.vulnerability_alerts:
        raise ApiError(422, "Vulnerability alerts must be enabled first.")
    repo.automated_security_fixes = True
    return Reply(204, None)


def get_pvr(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    return Reply(200, {"enabled": repo.private_vulnerability_reporting})


def put_pvr(state: State, req: Req) -> Reply:
    repo = repo_of(state, req, admin=True)
    if repo.private:
        raise ApiError(
            422, "Private vulnerability reporting is only available for public repositories."
        )
    repo.private_vulnerability_reporting = True
    return Reply(204, None)


def get_workflow(state: State, req: Req) -> Reply:
    return Reply(200, dict(repo_of(state, req, admin=True).workflow_permissions))


def put_workflow(state: State, req: Req) -> Reply:
    repo_of(state, req, admin=True).workflow_permissions.update(req.body)
    return Reply(204, None)


def _code_scanning_repo(state: State, req: Req) -> Repo:
    repo = repo_of(state, req, admin=True)
    if not repo.security_plan_ok:
        raise ApiError(
            403, "Advanced Security must be enabled for this repository to use code scanning."
        )
    return repo


def get_default_setup(state: State, req: Req) -> Reply:
    repo = _code_scanning_repo(state, req)
    return Reply(200, {"state": repo.default_setup, "languages": [], "query_suite": "default"})


def patch_default_setup(state: State, req: Req) -> Reply:
    _code_scanning_repo(state, req).default_setup = req.body["state"]
    return Reply(200, {})


CORE = RouteGroup(
    "core",
    (
        Route("GET", "/user", get_user),
        Route("GET", "/user/orgs", list_my_orgs),
        Route("GET", "/orgs/(?P<org>[^/]+)", get_org),
        Route("POST", "/user/repos", create_user_repo),
        Route("POST", "/orgs/(?P<org>[^/]+)/repos", create_org_repo),
        Route("GET", R, get_repo),
        Route("PATCH", R, edit_repo),
        Route("GET", R + "/topics", get_topics),
        Route("PUT", R + "/topics", put_topics),
        Route("GET", R + "/branches", list_branches),
        Route("GET", R + "/rulesets", list_rulesets),
        Route("POST", R + "/rulesets", create_ruleset),
        Route("GET", R + "/rulesets/(?P<id>[0-9]+)", get_ruleset),
        Route("PUT", R + "/rulesets/(?P<id>[0-9]+)", update_ruleset),
        Route("PUT", B, put_protection),
        Route("GET", B, get_protection),
        Route("POST", B + "/required_signatures", add_signatures),
        Route("GET", R + "/vulnerability-alerts", get_alerts),
        Route("PUT", R + "/vulnerability-alerts", put_alerts),
        Route("GET", R + "/automated-security-fixes", get_fixes),
        Route("PUT", R + "/automated-security-fixes", put_fixes),
        Route("GET", R + "/private-vulnerability-reporting", get_pvr),
        Route("PUT", R + "/private-vulnerability-reporting", put_pvr),
        Route("GET", R + "/actions/permissions/workflow", get_workflow),
        Route("PUT", R + "/actions/permissions/workflow", put_workflow),
        Route("GET", R + "/code-scanning/default-setup", get_default_setup),
        Route("PATCH", R + "/code-scanning/default-setup", patch_default_setup),
    ),
)
