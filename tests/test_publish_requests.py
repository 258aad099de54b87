"""Publish makes the fewest requests: nothing asked twice, a finished repository gets reads only,
and a setting changed by hand between two runs is repaired by exactly one write. Asserted on the
fake GitHub's request log, through the real CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import Repo


@dataclass(frozen=True)
class Case:
    owner: str
    private: bool = True
    ghes_without_rulesets: bool = False
    code_security: bool = False


CASES = {
    "user private (Pro)": Case("alice"),
    "user public": Case("alice", private=False),
    "org private (Team)": Case("acme"),
    "org private with Code Security": Case("secure", code_security=True),
    "classic protection (no rulesets API)": Case("acme", ghes_without_rulesets=True),
}


def publish(run_cli: Callable, project: Path, case: Case, *extra: str) -> dict[str, Any]:
    args = ["publish", project, "--github-owner", case.owner, "--json", *extra]
    if not case.private:
        args.append("--public")
    result = run_cli(args)
    assert result.code == 0, result.stderr
    data: dict[str, Any] = result.json()
    return data


def prepare(fake: FakeGitHub, case: Case) -> None:
    fake.state.add_org("secure", members={"alice"}, plan="team", code_security=True)
    fake.state.rulesets_supported = not case.ghes_without_rulesets


def the_repo(fake: FakeGitHub, case: Case) -> Repo:
    return fake.state.repos[(case.owner, "payments-api")]


@pytest.mark.parametrize("name", list(CASES))
def test_publish_again_on_a_finished_repository_only_reads(
    name: str, fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    case = CASES[name]
    prepare(fake_github, case)
    project = new_service()
    publish(run_cli, project, case)
    since = len(fake_github.requests)
    data = publish(run_cli, project, case)
    log = fake_github.log(since)
    assert [entry for entry in log if entry[2] or entry[0] == "GIT"] == []
    assert data["result"]["calls"] == []
    assert all(s["status"] in ("unchanged", "done", "skipped") for s in data["result"]["steps"])
    assert {s["name"]: s["status"] for s in data["result"]["steps"]}["security"] == "unchanged"
    # nothing read twice either
    paths = [(method, path) for method, path, _ in log]
    assert len(paths) == len(set(paths)), paths


@pytest.mark.parametrize("name", ["user private (Pro)", "org private (Team)"])
def test_publish_of_a_new_repository_asks_nothing_twice(
    name: str, fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    case = CASES[name]
    prepare(fake_github, case)
    project = new_service()
    data = publish(run_cli, project, case)
    log = fake_github.log()
    repo = f"/repos/{case.owner}/payments-api"
    reads = [path for method, path, _ in log if method == "GET"]
    assert len(reads) == len(set(reads)), reads
    # a repository this run created has no branches and no rulesets to list
    assert f"{repo}/branches" not in reads and f"{repo}/rulesets" not in reads
    # the create's, the PUT's and the POST's answers are facts: not fetched again (above), and
    # the organisation identity read is not read again before the create
    assert reads.count(f"/orgs/{case.owner}") == (case.owner != "alice")
    # a private repository gets no private vulnerability reporting: neither asked nor read
    assert not [path for _, path, _ in log if path.endswith("/private-vulnerability-reporting")]
    assert len(log) <= 17  # issue 12's goal, git requests included
    assert data["result"]["applied"]["rulesets"] == [
        {"name": "default-branch-protection", "enforcement": "active"}
    ]


def _workflow_write(repo: Repo) -> None:
    repo.workflow_permissions["default_workflow_permissions"] = "write"


def _ruleset_evaluate(repo: Repo) -> None:
    repo.rulesets[0]["enforcement"] = "evaluate"


def _protection_off(repo: Repo) -> None:
    repo.protection.clear()


def _force_push_allowed(repo: Repo) -> None:
    repo.protection["main"]["allow_force_pushes"] = {"enabled": True}


R = "/repos/{owner}/payments-api"
#: name -> (case, the change made by hand on GitHub, the one write that repairs it, check)
DRIFT: dict[str, tuple[str, Callable[[Repo], None], tuple[str, str], Callable[[Repo], bool]]] = {
    "description": (
        "user private (Pro)",
        lambda r: setattr(r, "description", "changed by hand"),
        ("PATCH", R),
        lambda r: r.description == "Pays the bills",
    ),
    "delete branch on merge": (
        "org private (Team)",
        lambda r: setattr(r, "delete_branch_on_merge", False),
        ("PATCH", R),
        lambda r: r.delete_branch_on_merge,
    ),
    "topics": (
        "user private (Pro)",
        lambda r: r.topics.clear(),
        ("PUT", R + "/topics"),
        lambda r: "python" in r.topics,
    ),
    "ruleset deleted": (
        "user private (Pro)",
        lambda r: r.rulesets.clear(),
        ("POST", R + "/rulesets"),
        lambda r: [x["enforcement"] for x in r.rulesets] == ["active"],
    ),
    "ruleset weakened": (
        "org private (Team)",
        _ruleset_evaluate,
        ("PUT", R + "/rulesets/[0-9]+"),
        lambda r: [x["enforcement"] for x in r.rulesets] == ["active"],
    ),
    "classic protection removed": (
        "classic protection (no rulesets API)",
        _protection_off,
        ("PUT", R + "/branches/main/protection"),
        lambda r: r.protection.get("main", {}).get("allow_deletions") == {"enabled": False},
    ),
    "classic protection weakened": (
        "classic protection (no rulesets API)",
        _force_push_allowed,
        ("PUT", R + "/branches/main/protection"),
        lambda r: r.protection["main"]["allow_force_pushes"] == {"enabled": False},
    ),
    "vulnerability alerts off": (
        "user private (Pro)",
        lambda r: setattr(r, "vulnerability_alerts", False),
        ("PUT", R + "/vulnerability-alerts"),
        lambda r: r.vulnerability_alerts,
    ),
    "Dependabot security updates off": (
        "org private (Team)",
        lambda r: setattr(r, "automated_security_fixes", False),
        ("PUT", R + "/automated-security-fixes"),
        lambda r: r.automated_security_fixes,
    ),
    "Actions token writable": (
        "user private (Pro)",
        _workflow_write,
        ("PUT", R + "/actions/permissions/workflow"),
        lambda r: r.workflow_permissions["default_workflow_permissions"] == "read",
    ),
    "secret scanning off": (
        "user public",
        lambda r: setattr(r, "secret_scanning", "disabled"),
        ("PATCH", R),
        lambda r: r.secret_scanning == "enabled",
    ),
    "private vulnerability reporting off": (
        "user public",
        lambda r: setattr(r, "private_vulnerability_reporting", False),
        ("PUT", R + "/private-vulnerability-reporting"),
        lambda r: r.private_vulnerability_reporting,
    ),
    "CodeQL default setup on": (
        "org private with Code Security",
        lambda r: setattr(r, "default_setup", "configured"),
        ("PATCH", R + "/code-scanning/default-setup"),
        lambda r: r.default_setup == "not-configured",
    ),
}


@pytest.mark.parametrize("name", list(DRIFT))
def test_a_setting_changed_by_hand_is_repaired_by_one_write(
    name: str, fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    case_name, change, (method, path), repaired = DRIFT[name]
    case = CASES[case_name]
    prepare(fake_github, case)
    project = new_service("python-service", "--set", "description=Pays the bills")
    publish(run_cli, project, case)
    repo = the_repo(fake_github, case)
    change(repo)
    assert not repaired(repo)
    since = len(fake_github.requests)
    data = publish(run_cli, project, case)
    writes = [(m, p) for m, p, write in fake_github.log(since) if write or m == "GIT"]
    assert len(writes) == 1, writes
    assert writes[0][0] == method
    assert re.fullmatch(path.format(owner=case.owner), writes[0][1]), writes
    assert repaired(repo)
    assert {s["name"]: s["status"] for s in data["result"]["steps"]}["verify"] == "done"


def test_a_repair_is_verified_by_reading_it_back(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    """A write that answers 204 proves nothing: the verify step reads that setting again, and
    fails when GitHub does not show it (here: the fake drops the PUT)."""
    case = CASES["user private (Pro)"]
    project = new_service()
    publish(run_cli, project, case)
    repo = the_repo(fake_github, case)
    repo.vulnerability_alerts = False
    fake_github.fail("PUT", "/repos/alice/payments-api/vulnerability-alerts", status=204)
    since = len(fake_github.requests)
    result = run_cli(["publish", project, "--json"])
    assert result.code == 3, result.stderr
    assert result.json()["error"]["failed"] == "verify"
    assert "vulnerability_alerts is False" in result.json()["error"]["message"]
    reads = [p for m, p, _ in fake_github.log(since) if m == "GET"]
    assert reads.count("/repos/alice/payments-api/vulnerability-alerts") == 2
