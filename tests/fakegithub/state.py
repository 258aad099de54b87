"""The fake GitHub's memory: accounts, repositories, their settings and pull requests.

Everything lives on one `State` object per server, so two fakes in one test share nothing: not
the accounts, not the ids they hand out, not the pull requests, not the lock that serialises
commits. Files and branches live in each repository's bare git repo under `git_root`, so a
branch made through the API can be fetched with git and a file pushed with git is served by the
API; the git plumbing for that is here too.

Responses follow GitHub's REST API closely enough for PyGithub and scaffolder: the same paths,
status codes, error messages and JSON fields. Behaviour that depends on the plan follows
GitHub's: a private repository on the Free plan gets neither rulesets nor branch protection
("Upgrade to GitHub Pro or make this repository public to enable this feature.").
"""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UPGRADE = "Upgrade to GitHub Pro or make this repository public to enable this feature."
#: The null object name: the "old value" of a ref that must not exist yet.
ZERO = "0" * 40
#: Who GitHub's own commits (file edits, merges) are by.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


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
    #: GitHub Code Security bought for the private repositories (an org on Team, or above).
    code_security: bool = False
    #: Who may read the organisation's alert lists (its owners and security managers); None:
    #: every member (the fake's members are owners). Used by `alert_routes.py`.
    alert_readers: set[str] | None = None
    #: An organisation's own rulesets: GitHub lists them with each of its repositories'
    #: (unless asked `includes_parents=false`).
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    id: int = field(kw_only=True)

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
    #: Code scanning has analysed the repository (default setup or an uploaded SARIF).
    code_scanning: bool = False
    #: Security alerts by kind ("code-scanning", "dependabot", "secret-scanning"), each as
    #: GitHub's JSON without `repository`; see `alert_routes.py`.
    alerts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    id: int = field(kw_only=True)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def security_plan_ok(self) -> bool:
        """Secret scanning, PVR and code scanning: public repos, or Advanced Security / Code
        Security (an Enterprise plan, or an organisation that bought Code Security)."""
        return not self.private or self.owner.plan == "enterprise" or self.owner.code_security


@dataclass
class TokenInfo:
    """What kind of token one is, for the identity routes (`identity_routes.py`).

    A token with no `TokenInfo` behaves as before: no `X-OAuth-Scopes` header, every user
    permission granted.
    """

    #: "classic" (sends `X-OAuth-Scopes`), "fine-grained" (no such header) or "app" (a GitHub
    #: App installation token: `GET /user` answers 403).
    kind: str
    #: A classic token's scopes, as GitHub lists them in `X-OAuth-Scopes`.
    scopes: tuple[str, ...] = ()
    #: A fine-grained token's user permissions, e.g. {"emails": "read"}.
    permissions: dict[str, str] = field(default_factory=dict)


@dataclass
class Email:
    email: str
    verified: bool = True
    primary: bool = False
    visibility: str | None = "private"


@dataclass
class Membership:
    #: "active" or "pending" (invited, not yet accepted).
    state: str
    #: "admin" or "member".
    role: str = "member"


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
        #: Pull requests by lower-cased "owner/name", numbered from 1 in each repository.
        self.pulls: dict[str, list[dict[str, Any]]] = {}
        #: Serialises changes to refs (file commits, new branches) made through the API.
        self.write_lock = threading.Lock()
        #: Token kinds and scopes (identity routes); tokens not listed behave as before.
        self.token_info: dict[str, TokenInfo] = {}
        #: Each user's email addresses (`GET /user/emails`), by login.
        self.emails: dict[str, list[Email]] = {}
        #: Org memberships by (org, login), lower-cased org; members not listed are active.
        self.memberships: dict[tuple[str, str], Membership] = {}
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        """A fresh id for an account, a repository or a ruleset (unique in this fake)."""
        return next(self._ids)

    # -- setup helpers for tests -----------------------------------------------------------
    def add_user(self, login: str, token: str | None = None, *, plan: str = "free") -> Account:
        account = self.accounts[login] = Account(login, "User", plan, id=self.next_id())
        if token:
            self.tokens[token] = login
        return account

    def add_org(
        self, login: str, *, members: set[str], plan: str = "free", code_security: bool = False
    ) -> Account:
        account = Account(
            login, "Organization", plan, set(members), code_security, id=self.next_id()
        )
        self.accounts[login] = account
        return account

    def add_token(
        self,
        login: str,
        token: str,
        kind: str = "classic",
        *,
        scopes: tuple[str, ...] = (),
        permissions: dict[str, str] | None = None,
    ) -> None:
        """Another token of `login`'s: classic with `scopes`, or fine-grained with
        `permissions`."""
        self.tokens[token] = login
        self.token_info[token] = TokenInfo(kind, tuple(scopes), dict(permissions or {}))

    def add_app_token(self, token: str, app: str = "scaffolder-ci") -> str:
        """A GitHub App installation token; it belongs to the bot account `APP[bot]`."""
        login = f"{app}[bot]"
        self.accounts[login] = Account(login, "Bot", id=self.next_id())
        self.tokens[token] = login
        self.token_info[token] = TokenInfo("app")
        return login

    def add_email(
        self, login: str, email: str, *, verified: bool = True, primary: bool = False
    ) -> None:
        self.emails.setdefault(login, []).append(Email(email, verified, primary))

    def add_membership(
        self, org: str, login: str, *, state: str = "active", role: str = "member"
    ) -> None:
        """`login`'s membership of `org`; only an active one makes them a member."""
        self.memberships[(org.lower(), login)] = Membership(state, role)
        members = self.accounts[org].members
        if state == "active":
            members.add(login)
        else:
            members.discard(login)

    def token_from(self, authorization: str | None) -> str | None:
        """The token an `Authorization: token T` (or `Bearer T`) header carries."""
        scheme, _, value = (authorization or "").partition(" ")
        return value.strip() if scheme.lower() in ("token", "bearer") else None

    def token_headers(self, authorization: str | None) -> dict[str, str]:
        """Headers GitHub sends on every API answer to this token: `X-OAuth-Scopes` for a
        classic one."""
        info = self.token_info.get(self.token_from(authorization) or "")
        if info is None or info.kind != "classic":
            return {}
        return {"X-OAuth-Scopes": ", ".join(info.scopes)}

    def bare_path(self, owner: str, name: str) -> Path:
        return self.git_root / owner / f"{name}.git"

    def add_repo(self, owner: str, name: str, *, private: bool = True) -> Repo:
        repo = Repo(self.accounts[owner], name, private, id=self.next_id())
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

    def pulls_of(self, repo: Repo) -> list[dict[str, Any]]:
        return self.pulls.setdefault(repo.full_name.lower(), [])

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
        security = "enabled" if repo.security_plan_ok else "disabled"
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
                # As GitHub answers: Advanced Security / Code Security are reported for
                # private repositories of organisations; "enabled" only where bought.
                **(
                    {
                        "advanced_security": {"status": security},
                        "code_security": {"status": security},
                    }
                    if repo.owner.type == "Organization" and repo.private
                    else {}
                ),
                "secret_scanning": {"status": repo.secret_scanning},
                "secret_scanning_push_protection": {"status": repo.push_protection},
            },
        }

    # -- git plumbing on the bare repositories ------------------------------------------
    def git(
        self, repo: Repo, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
    ) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.bare_path(repo.owner.login, repo.name),
            input=input,
            capture_output=True,
            check=False,
            env={**os.environ, **_IDENTITY, **(env or {})},
        )
        if proc.returncode:
            raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode()}")
        return proc.stdout.decode().strip()

    def resolve(self, repo: Repo, ref: str) -> str | None:
        """The commit `ref` (a ref, branch or sha) names, or None."""
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=self.bare_path(repo.owner.login, repo.name),
            capture_output=True,
            check=False,
        )
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def is_ancestor(self, repo: Repo, older: str, newer: str) -> bool:
        proc = subprocess.run(
            ["git", "merge-base", "--is-ancestor", older, newer],
            cwd=self.bare_path(repo.owner.login, repo.name),
            check=False,
        )
        return proc.returncode == 0

    def blob(self, repo: Repo, commit: str, path: str) -> tuple[str, bytes] | None:
        """(blob sha, bytes) of the file at `path` in `commit`, or None if it is no file."""
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{commit}:{path}"],
            cwd=self.bare_path(repo.owner.login, repo.name),
            capture_output=True,
            check=False,
        )
        if proc.returncode:
            return None
        sha = proc.stdout.decode().strip()
        if self.git(repo, "cat-file", "-t", sha) != "blob":
            return None
        data = subprocess.run(
            ["git", "cat-file", "blob", sha],
            cwd=self.bare_path(repo.owner.login, repo.name),
            capture_output=True,
            check=True,
        ).stdout
        return sha, data

    def commit_file(
        self,
        repo: Repo,
        branch: str,
        path: str,
        content: bytes,
        message: str,
        parent: str | None,
    ) -> str:
        """Commit one file on top of `parent` and move `branch` there (it must still be at
        `parent`); return the new commit."""
        with self.write_lock, tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                self.git(repo, "read-tree", parent, env=env)
            else:
                self.git(repo, "read-tree", "--empty", env=env)
            blob = self.git(repo, "hash-object", "-w", "--stdin", input=content)
            info = f"100644,{blob},{path}"
            self.git(repo, "update-index", "--add", "--cacheinfo", info, env=env)
            tree = self.git(repo, "write-tree", env=env)
            parents = ["-p", parent] if parent else []
            commit = self.git(repo, "commit-tree", tree, *parents, "-m", message)
            self.git(repo, "update-ref", f"refs/heads/{branch}", commit, parent or ZERO)
            return commit

    def create_ref(self, repo: Repo, ref: str, sha: str) -> bool:
        """Point the new `ref` at `sha`; False if the ref exists already."""
        with self.write_lock:
            if self.resolve(repo, ref) is not None:
                return False
            self.git(repo, "update-ref", ref, sha, ZERO)
            return True

    def merge(self, repo: Repo, pull: dict[str, Any]) -> str:
        """Merge an open pull request into its base (fast-forward, or a merge commit)."""
        base = self.resolve(repo, f"refs/heads/{pull['base']['ref']}")
        head = self.resolve(repo, f"refs/heads/{pull['head']['ref']}")
        if base is None or head is None:
            raise ValueError(f"pull request #{pull['number']} lost its base or head branch")
        with self.write_lock:
            if self.is_ancestor(repo, base, head):
                merged = head
            else:
                tree = self.git(repo, "merge-tree", "--write-tree", base, head).split()[0]
                message = f"Merge pull request #{pull['number']}"
                merged = self.git(repo, "commit-tree", tree, "-p", base, "-p", head, "-m", message)
            self.git(repo, "update-ref", f"refs/heads/{pull['base']['ref']}", merged, base)
        pull.update(state="closed", merged=True)
        return merged
