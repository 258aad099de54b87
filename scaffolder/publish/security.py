"""The security switches publish turns on, and reading them back.

Each switch is an idempotent PUT/PATCH, sent raw through the client rather than through
PyGithub's `enable_vulnerability_alert()`/`enable_automated_security_fixes()`: those return
False on any error instead of raising, which would hide a 5xx from the retry budget and a 403
from the report. Raw calls also make the dry-run plan exactly the request that is sent.

Secret scanning, private vulnerability reporting and code scanning are not offered for every
repository (a private one without GitHub Advanced Security); GitHub's refusal there is reported
as "unavailable", not as a failure.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class Switch:
    """One write: its name in reports, the call, and whether GitHub may refuse it by plan."""

    name: str
    method: str
    path: str
    body: Any
    optional: bool
    #: The `read_back()` keys this switch sets.
    keys: tuple[str, ...]


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
            "secret scanning and push protection",
            "PATCH",
            r,
            SECRET_SCANNING_BODY,
            True,
            ("secret_scanning", "secret_scanning_push_protection"),
        ),
        Switch(
            "private vulnerability reporting",
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


def unavailable(exc: GitHubError) -> bool:
    """GitHub refuses an optional feature for this repository or plan."""
    return exc.status in (403, 404, 422)


def read_back(get: Callable[[str], Any], full_name: str) -> dict[str, Any]:
    """What GitHub says is switched on now. `get(path)` is a GET through the client.

    A setting GitHub will not show for this repository reads as "unavailable".
    """
    r = f"/repos/{full_name}"

    def safe(path: str, pick: Callable[[Any], Any]) -> Any:
        try:
            return pick(get(path))
        except GitHubError as exc:
            if exc.status == 404 and path.endswith("/vulnerability-alerts"):
                return False  # GitHub's "not enabled" answer
            if unavailable(exc):
                return "unavailable"
            raise

    repo = get(r)
    sa = repo.get("security_and_analysis") or {}
    workflow = safe(f"{r}/actions/permissions/workflow", lambda d: d)
    return {
        "private": repo.get("private"),
        "delete_branch_on_merge": repo.get("delete_branch_on_merge"),
        "topics": list(repo.get("topics") or []),
        "vulnerability_alerts": safe(f"{r}/vulnerability-alerts", lambda d: True),
        "automated_security_fixes": safe(
            f"{r}/automated-security-fixes", lambda d: bool(d.get("enabled"))
        ),
        "secret_scanning": (sa.get("secret_scanning") or {}).get("status", "unavailable"),
        "secret_scanning_push_protection": (sa.get("secret_scanning_push_protection") or {}).get(
            "status", "unavailable"
        ),
        "private_vulnerability_reporting": safe(
            f"{r}/private-vulnerability-reporting", lambda d: bool(d.get("enabled"))
        ),
        "default_workflow_permissions": workflow.get("default_workflow_permissions")
        if isinstance(workflow, dict)
        else workflow,
        "can_approve_pull_request_reviews": workflow.get("can_approve_pull_request_reviews")
        if isinstance(workflow, dict)
        else workflow,
        "code_scanning_default_setup": safe(
            f"{r}/code-scanning/default-setup", lambda d: d.get("state")
        ),
    }


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


def mismatches(applied: dict[str, Any], excused: set[str]) -> list[str]:
    """Settings that do not read back as set; `excused` keys were refused as unavailable."""
    problems = []
    for key, want in EXPECTED.items():
        got = applied.get(key)
        if got != want and got != "unavailable" and key not in excused:
            problems.append(f"{key} is {got!r}, expected {want!r}")
    return problems
