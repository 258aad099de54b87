"""The fake GitHub's memory: accounts, repositories and their settings, and the API routes.

Responses follow GitHub's REST API closely enough for PyGithub and scaffolder: the same paths,
status codes, error messages and JSON fields. Behaviour that depends on the plan follows
GitHub's: a private repository on the Free plan gets neither rulesets nor branch protection
("Upgrade to GitHub Pro or make this repository public to enable this feature.").
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UPGRADE = "Upgrade to GitHub Pro or make this repository public to enable this feature."
_ids = itertools.count(1000)


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, **extra}


@dataclass
class Account:
    login: str
    type: str  # "User" or "Organization"
    plan: str = "free"  # free, pro, team, enterprise
    members: set[str] = field(default_factory=set)
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def paid(self) -> bool:
        return self.plan != "free"


@dataclass
class Repo:
    owner: Account
    name: str
    private: bool
    description: str | None = None
    homepage: str | None = None
    delete_branch_on_merge: bool = False
    topics: list[str] = field(default_factory=list)
    vulnerability_alerts: bool = False
    automated_security_fixes: bool = False
    secret_scanning: str = "disabled"
    push_protection: str = "disabled"
    private_vulnerability_reporting: bool = False
    workflow_permissions: dict[str, Any] = field(
        # GitHub's legacy default for older accounts: write-all and may approve PRs.
        default_factory=lambda: {
            "default_workflow_permissions": "write",
            "can_approve_pull_request_reviews": True,
        }
    )
    default_setup: str = "not-configured"
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    protection: dict[str, dict[str, Any]] = field(default_factory=dict)
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def security_plan_ok(self) -> bool:
        """Secret scanning, PVR and code scanning: public repos, or Advanced Security."""
        return not self.private or self.owner.plan == "enterprise"


class State:
    """Everything the fake GitHub knows. Tests read and change it directly."""

    def __init__(self, git_root: Path, *, web_url: str, api_url: str) -> None:
        self.git_root = git_root
        self.web_url = web_url
        self.api_url = api_url
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, str] = {}
        self.repos: dict[tuple[str, str], Repo] = {}
        #: False imitates an Enterprise Server older than 3.11: no repository rulesets API.
        self.rulesets_supported = True
        #: Settings a new repository starts with (e.g. {"default_setup": "configured"}).
        self.new_repo_defaults: dict[str, Any] = {}

    # -- setup helpers for tests -----------------------------------------------------------
    def add_user(self, login: str, token: str | None = None, *, plan: str = "free") -> Account:
        account = self.accounts[login] = Account(login, "User", plan)
        if token:
            self.tokens[token] = login
        return account

    def add_org(self, login: str, *, members: set[str], plan: str = "free") -> Account:
        account = self.accounts[login] = Account(login, "Organization", plan, set(members))
        return account

    def bare_path(self, owner: str, name: str) -> Path:
        return self.git_root / owner / f"{name}.git"

    def add_repo(self, owner: str, name: str, *, private: bool = True) -> Repo:
        repo = Repo(self.accounts[owner], name, private)
        for key, value in self.new_repo_defaults.items():
            setattr(repo, key, value)
        self.repos[(owner.lower(), name.lower())] = repo
        bare = self.bare_path(owner, name)
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
        return repo

    def branches(self, repo: Repo) -> dict[str, str]:
        proc = subprocess.run(
            ["git", "for-each-ref", "refs/heads", "--format=%(refname:short) %(objectname)"],
            cwd=self.bare_path(repo.owner.login, repo.name),
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line)

    # -- access ---------------------------------------------------------------------------
    def can_admin(self, login: str, repo: Repo) -> bool:
        return repo.owner.login == login or login in repo.owner.members

    def repo_for(self, login: str, owner: str, name: str, *, admin: bool = False) -> Repo:
        repo = self.repos.get((owner.lower(), name.lower()))
        if repo is None or (repo.private and not self.can_admin(login, repo)):
            raise ApiError(404, "Not Found")
        if admin and not self.can_admin(login, repo):
            raise ApiError(403, "Must have admin rights to Repository.")
        return repo

    # -- JSON -----------------------------------------------------------------------------
    def account_json(self, account: Account) -> dict[str, Any]:
        return {
            "login": account.login,
            "id": account.id,
            "type": account.type,
            "url": f"{self.api_url}/{'orgs' if account.type == 'Organization' else 'users'}/"
            f"{account.login}",
            "html_url": f"{self.web_url}/{account.login}",
            "name": account.login.title(),
            "plan": {"name": account.plan},
        }

    def repo_json(self, repo: Repo, login: str) -> dict[str, Any]:
        admin = self.can_admin(login, repo)
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.account_json(repo.owner),
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "html_url": f"{self.web_url}/{repo.full_name}",
            "url": f"{self.api_url}/repos/{repo.full_name}",
            "clone_url": f"{self.web_url}/{repo.full_name}.git",
            "description": repo.description,
            "homepage": repo.homepage,
            "fork": False,
            "default_branch": "main",
            "delete_branch_on_merge": repo.delete_branch_on_merge,
            "topics": list(repo.topics),
            "permissions": {"admin": admin, "push": admin, "pull": True},
            "security_and_analysis": {
                "secret_scanning": {"status": repo.secret_scanning},
                "secret_scanning_push_protection": {"status": repo.push_protection},
            },
        }


Handler = Callable[[State, str, dict[str, str], Any], tuple[int, Any]]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}$"), fn))
        return fn

    return register


R = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def dispatch(state: State, method: str, path: str, login: str, body: Any) -> tuple[int, Any]:
    allowed = False
    for verb, pattern, fn in ROUTES:
        match = pattern.match(path)
        if match:
            allowed = True
            if verb == method:
                return fn(state, login, match.groupdict(), body)
    raise ApiError(404 if not allowed else 405, "Not Found")


@route("GET", "/user")
def get_user(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, state.account_json(state.accounts[login])


@route("GET", "/user/orgs")
def list_my_orgs(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, [
        state.account_json(a)
        for a in state.accounts.values()
        if a.type == "Organization" and login in a.members
    ]


@route("GET", "/orgs/(?P<org>[^/]+)")
def get_org(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    org = state.accounts.get(p["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    return 200, state.account_json(org)


def _create(state: State, owner: Account, login: str, body: dict[str, Any]) -> tuple[int, Any]:
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
    return 201, state.repo_json(repo, login)


@route("POST", "/user/repos")
def create_user_repo(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return _create(state, state.accounts[login], login, body)


@route("POST", "/orgs/(?P<org>[^/]+)/repos")
def create_org_repo(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    org = state.accounts.get(p["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    if login not in org.members:
        raise ApiError(
            403, "You need admin access to the organization before adding a repository to it."
        )
    return _create(state, org, login, body)


@route("GET", R)
def get_repo(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, state.repo_json(state.repo_for(login, p["owner"], p["repo"]), login)


@route("PATCH", R)
def edit_repo(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
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
    return 200, state.repo_json(repo, login)


@route("GET", R + "/topics")
def get_topics(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, {"names": state.repo_for(login, p["owner"], p["repo"]).topics}


@route("PUT", R + "/topics")
def put_topics(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    repo.topics = list(body["names"])
    return 200, {"names": repo.topics}


@route("GET", R + "/branches")
def list_branches(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"])
    return 200, [
        {"name": name, "commit": {"sha": sha}, "protected": name in repo.protection}
        for name, sha in sorted(state.branches(repo).items())
    ]


# -- rulesets ------------------------------------------------------------------------------
def _ruleset_repo(state: State, login: str, p: dict[str, str]) -> Repo:
    if not state.rulesets_supported:
        raise ApiError(404, "Not Found")
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if repo.private and not repo.owner.paid:
        raise ApiError(403, UPGRADE)
    return repo


def _ruleset_json(repo: Repo, ruleset: dict[str, Any], *, full: bool) -> dict[str, Any]:
    summary = {k: ruleset[k] for k in ("id", "name", "target", "enforcement")}
    summary |= {"source_type": "Repository", "source": repo.full_name}
    return {**ruleset, **summary} if full else summary


@route("GET", R + "/rulesets")
def list_rulesets(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _ruleset_repo(state, login, p)
    return 200, [_ruleset_json(repo, r, full=False) for r in repo.rulesets]


@route("POST", R + "/rulesets")
def create_ruleset(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _ruleset_repo(state, login, p)
    if any(r["name"] == body["name"] for r in repo.rulesets):
        raise ApiError(422, "Validation Failed", errors=["Name must be unique"])
    ruleset = {"id": next(_ids), "target": "branch", "bypass_actors": [], "rules": [], **body}
    repo.rulesets.append(ruleset)
    return 201, _ruleset_json(repo, ruleset, full=True)


def _find_ruleset(repo: Repo, ruleset_id: str) -> dict[str, Any]:
    for ruleset in repo.rulesets:
        if str(ruleset["id"]) == ruleset_id:
            return ruleset
    raise ApiError(404, "Not Found")


@route("GET", R + "/rulesets/(?P<id>[0-9]+)")
def get_ruleset(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _ruleset_repo(state, login, p)
    return 200, _ruleset_json(repo, _find_ruleset(repo, p["id"]), full=True)


@route("PUT", R + "/rulesets/(?P<id>[0-9]+)")
def update_ruleset(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _ruleset_repo(state, login, p)
    ruleset = _find_ruleset(repo, p["id"])
    ruleset.update(body)
    return 200, _ruleset_json(repo, ruleset, full=True)


# -- classic branch protection ------------------------------------------------------------
B = R + "/branches/(?P<branch>[^/]+)/protection"


def _protection_repo(state: State, login: str, p: dict[str, str]) -> Repo:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if repo.private and not repo.owner.paid:
        raise ApiError(403, UPGRADE)
    if p["branch"] not in state.branches(repo):
        raise ApiError(404, "Branch not found")
    return repo


def _enabled(value: Any) -> dict[str, bool]:
    return {"enabled": bool(value)}


@route("PUT", B)
def put_protection(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _protection_repo(state, login, p)
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
        "required_signatures": repo.protection.get(p["branch"], {}).get(
            "required_signatures", _enabled(False)
        ),
    }
    repo.protection[p["branch"]] = stored
    return 200, stored


@route("GET", B)
def get_protection(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _protection_repo(state, login, p)
    if p["branch"] not in repo.protection:
        raise ApiError(404, "Branch not protected")
    return 200, repo.protection[p["branch"]]


@route("POST", B + "/required_signatures")
def add_signatures(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _protection_repo(state, login, p)
    if p["branch"] not in repo.protection:
        raise ApiError(404, "Branch not protected")
    repo.protection[p["branch"]]["required_signatures"] = _enabled(True)
    return 200, _enabled(True)


# -- security switches ---------------------------------------------------------------------
@route("GET", R + "/vulnerability-alerts")
def get_alerts(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if not repo.vulnerability_alerts:
        raise ApiError(404, "Not Found")
    return 204, None


@route("PUT", R + "/vulnerability-alerts")
def put_alerts(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    state.repo_for(login, p["owner"], p["repo"], admin=True).vulnerability_alerts = True
    return 204, None


@route("GET", R + "/automated-security-fixes")
def get_fixes(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    return 200, {"enabled": repo.automated_security_fixes, "paused": False}


@route("PUT", R + "/automated-security-fixes")
def put_fixes(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if not repo.vulnerability_alerts:
        raise ApiError(422, "Vulnerability alerts must be enabled first.")
    repo.automated_security_fixes = True
    return 204, None


@route("GET", R + "/private-vulnerability-reporting")
def get_pvr(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    return 200, {"enabled": repo.private_vulnerability_reporting}


@route("PUT", R + "/private-vulnerability-reporting")
def put_pvr(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if repo.private:
        raise ApiError(
            422, "Private vulnerability reporting is only available for public repositories."
        )
    repo.private_vulnerability_reporting = True
    return 204, None


@route("GET", R + "/actions/permissions/workflow")
def get_workflow(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    return 200, dict(state.repo_for(login, p["owner"], p["repo"], admin=True).workflow_permissions)


@route("PUT", R + "/actions/permissions/workflow")
def put_workflow(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    state.repo_for(login, p["owner"], p["repo"], admin=True).workflow_permissions.update(body)
    return 204, None


def _code_scanning_repo(state: State, login: str, p: dict[str, str]) -> Repo:
    repo = state.repo_for(login, p["owner"], p["repo"], admin=True)
    if not repo.security_plan_ok:
        raise ApiError(
            403, "Code Security must be enabled for this repository to use code scanning."
        )
    return repo


@route("GET", R + "/code-scanning/default-setup")
def get_default_setup(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _code_scanning_repo(state, login, p)
    return 200, {"state": repo.default_setup, "languages": [], "query_suite": "default"}


@route("PATCH", R + "/code-scanning/default-setup")
def patch_default_setup(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    _code_scanning_repo(state, login, p).default_setup = body["state"]
    return 200, {}
