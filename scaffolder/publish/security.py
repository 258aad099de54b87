"""The security switches publish turns on, what GitHub says of them now, and reading them back.

Each switch is an idempotent PUT/PATCH, sent raw through the client rather than through
PyGithub's `enable_vulnerability_alert()`/`enable_automated_security_fixes()`: those return
False on any error instead of raising, which would hide a 5xx from the retry budget and a 403
from the report. Raw calls also make the dry-run plan exactly the request that is sent.

What GitHub says of a setting is kept as a *fact* (`read()` per endpoint, `repo_facts()` for
the repository's JSON, `Switch.proves` for a write whose answer shows the new state): publish
reads a finished repository's settings once, writes only those that differ, and verifies with
what it already knows plus a read of each setting whose write answered nothing (204).

Secret scanning, private vulnerability reporting and code scanning are not offered for every
repository. Where the repository's facts already say GitHub does not offer one
(`not_offered()`: private vulnerability reporting on a private repository, secret scanning on a
private repository of a user or of an organisation without Advanced Security or Secret
Protection, code scanning where `align.code_security` says there is no Code Security), it is
reported as "unavailable" without asking; where they do not say, the write is tried and
GitHub's refusal is reported as "unavailable", not as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scaffolder.errors import GitHubError

SECRET_SCANNING_BODY = {
    "security_and_analysis": {
        "secret_scanning": {"status": "enabled"},
        "secret_scanning_push_protection": {"status": "enabled"},
    }
}
WORKFLOW_BODY = {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}
DEFAULT_SETUP_BODY = {"state": "not-configured"}


#: The keys of `PublishResult.applied` (besides the protection), in the order reported.
APPLIED_KEYS = (
    "private",
    "delete_branch_on_merge",
    "topics",
    "vulnerability_alerts",
    "automated_security_fixes",
    "secret_scanning",
    "secret_scanning_push_protection",
    "private_vulnerability_reporting",
    "default_workflow_permissions",
    "can_approve_pull_request_reviews",
    "code_scanning_default_setup",
)
UNAVAILABLE = "unavailable"
#: The keys the repository's own JSON holds.
REPO_KEYS = (
    "private",
    "delete_branch_on_merge",
    "topics",
    "secret_scanning",
    "secret_scanning_push_protection",
)
Facts = dict[str, Any]


# -- reading ---------------------------------------------------------------------------------
def repo_facts(repo: Mapping[str, Any]) -> Facts:
    """The settings a repository's JSON (a GET, or a create's or PATCH's answer) shows.

    A field the JSON leaves out is not a fact (the verify step reads the repository then);
    `security_and_analysis` without secret scanning means GitHub does not offer it here.
    """
    facts: Facts = {}
    for key in ("private", "delete_branch_on_merge"):
        if key in repo:
            facts[key] = repo[key]
    if isinstance(repo.get("topics"), list):
        facts["topics"] = list(repo["topics"])
    sa = repo.get("security_and_analysis")
    if isinstance(sa, Mapping):
        for key in ("secret_scanning", "secret_scanning_push_protection"):
            facts[key] = (sa.get(key) or {}).get("status", UNAVAILABLE)
    return facts


def _repo_read(repo: Any) -> Facts:
    """A GET of the repository: every key, as the read-back has always reported them."""
    unknown: Facts = {"private": None, "delete_branch_on_merge": None, "topics": []}
    return {**unknown, **dict.fromkeys(REPO_KEYS[3:], UNAVAILABLE), **repo_facts(repo)}


def _workflow(data: Any) -> Facts:
    return {
        "default_workflow_permissions": data.get("default_workflow_permissions"),
        "can_approve_pull_request_reviews": data.get("can_approve_pull_request_reviews"),
    }


@dataclass(frozen=True)
class Read:
    """One GET under `/repos/{o}/{r}` ("" is the repository itself) and the facts it gives."""

    suffix: str
    keys: tuple[str, ...]
    pick: Callable[[Any], Facts]


READS = (
    Read("", REPO_KEYS, _repo_read),
    Read("/vulnerability-alerts", ("vulnerability_alerts",),
         lambda d: {"vulnerability_alerts": True}),
    Read("/automated-security-fixes", ("automated_security_fixes",),
         lambda d: {"automated_security_fixes": bool(d.get("enabled"))}),
    Read("/private-vulnerability-reporting", ("private_vulnerability_reporting",),
         lambda d: {"private_vulnerability_reporting": bool(d.get("enabled"))}),
    Read("/actions/permissions/workflow",
         ("default_workflow_permissions", "can_approve_pull_request_reviews"), _workflow),
    Read("/code-scanning/default-setup", ("code_scanning_default_setup",),
         lambda d: {"code_scanning_default_setup": d.get("state")}),
)  # fmt: skip


def read(get: Callable[[str], Any], full_name: str, what: Read) -> Facts:
    """What one GET says; a setting GitHub will not show for this repository is "unavailable"."""
    try:
        data = get(f"/repos/{full_name}{what.suffix}")
    except GitHubError as exc:
        if exc.status == 404 and what.suffix == "/vulnerability-alerts":
            return {"vulnerability_alerts": False}  # GitHub's "not enabled" answer
        if unavailable(exc):
            return dict.fromkeys(what.keys, UNAVAILABLE)
        raise
    return what.pick(data if isinstance(data, dict) else {})


def read_missing(
    get: Callable[[str], Any], full_name: str, facts: Facts, keys: tuple[str, ...] = APPLIED_KEYS
) -> None:
    """Read, into `facts`, each of `keys` that is not known yet (one GET an endpoint)."""
    for what in READS:
        if any(key in keys and key not in facts for key in what.keys):
            facts.update(read(get, full_name, what))


def read_back(get: Callable[[str], Any], full_name: str) -> Facts:
    """What GitHub says is switched on now, read afresh. `get(path)` is a GET through the client."""
    facts: Facts = {}
    read_missing(get, full_name, facts)
    return {key: facts[key] for key in APPLIED_KEYS}


# -- writing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Switch:
    """One write: its name in reports, the call, and whether GitHub may refuse it by plan."""

    name: str
    method: str
    path: str
    body: Any
    optional: bool
    #: The `APPLIED_KEYS` this switch sets.
    keys: tuple[str, ...]
    #: The facts the write's answer proves, or None when it proves nothing (a 204).
    proves: Callable[[Any], Facts | None] = lambda answer: None

    def wanted(self) -> Facts:
        return {key: EXPECTED[key] for key in self.keys}


def _proves_repo(answer: Any) -> Facts | None:
    if isinstance(answer, dict) and isinstance(answer.get("security_and_analysis"), dict):
        return repo_facts(answer)
    return None


SECRET_SCANNING = "secret scanning and push protection"  # noqa: S105  # a name, no secret
PRIVATE_REPORTING = "private vulnerability reporting"


def switches(full_name: str) -> list[Switch]:
    r = f"/repos/{full_name}"
    return [
        Switch(
            "vulnerability alerts",
            "PUT",
            f"{r}/vulnerability-alerts",
            None,
            False,
            ("vulnerability_alerts",),
        ),
        Switch(
            "Dependabot security updates",
            "PUT",
            f"{r}/automated-security-fixes",
            None,
            False,
            ("automated_security_fixes",),
        ),
        Switch(
            SECRET_SCANNING,
            "PATCH",
            r,
            SECRET_SCANNING_BODY,
            True,
            ("secret_scanning", "secret_scanning_push_protection"),
            _proves_repo,
        ),
        Switch(
            PRIVATE_REPORTING,
            "PUT",
            f"{r}/private-vulnerability-reporting",
            None,
            True,
            ("private_vulnerability_reporting",),
        ),
        Switch(
            "Actions: read-only token, no PR approvals",
            "PUT",
            f"{r}/actions/permissions/workflow",
            WORKFLOW_BODY,
            False,
            ("default_workflow_permissions", "can_approve_pull_request_reviews"),
        ),
    ]


def not_offered(
    switch: Switch, repo: Mapping[str, Any] | None, *, org: bool, private: bool
) -> str | None:
    """Why GitHub does not offer `switch` for this repository, when its facts already say so.

    None means it is offered, or the facts do not say (then the write is tried).
    """
    if not private or not switch.optional:
        return None
    if switch.name == PRIVATE_REPORTING:
        return "GitHub offers it for public repositories only"
    if switch.name == SECRET_SCANNING:
        if not org:
            return "a user's private repository has no GitHub Secret Protection"
        sa = (repo or {}).get("security_and_analysis")
        if isinstance(sa, Mapping):
            keys = ("advanced_security", "secret_protection")
            statuses = [(sa.get(k) or {}).get("status") for k in keys if k in sa]
            if statuses and "enabled" not in statuses:
                return "this private repository has neither Advanced Security nor Secret Protection"
    return None


def unavailable(exc: GitHubError) -> bool:
    """GitHub refuses an optional feature for this repository or plan."""
    return exc.status in (403, 404, 422)


#: What read_back must show after publish.
EXPECTED: dict[str, Any] = {
    "delete_branch_on_merge": True,
    "vulnerability_alerts": True,
    "automated_security_fixes": True,
    "secret_scanning": "enabled",
    "secret_scanning_push_protection": "enabled",
    "private_vulnerability_reporting": True,
    "default_workflow_permissions": "read",
    "can_approve_pull_request_reviews": False,
    "code_scanning_default_setup": "not-configured",
}


def mismatches(applied: Mapping[str, Any], excused: set[str]) -> list[str]:
    """Settings that do not read back as set; `excused` keys were refused as unavailable."""
    problems = []
    for key, want in EXPECTED.items():
        got = applied.get(key)
        if got != want and got != UNAVAILABLE and key not in excused:
            problems.append(f"{key} is {got!r}, expected {want!r}")
    return problems
