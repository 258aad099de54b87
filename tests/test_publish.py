"""`scaffolder publish` and `new --publish` against the fake GitHub: the happy paths, the plan,
the JSON contract, Enterprise Server, a free plan, someone else's repository and a bad token."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scaffolder.catalog.locations import read_entries
from tests.fakegithub import UPGRADE, FakeGitHub
from tests.fakegithub.fixtures import TOKEN

RESULT_KEYS = {
    "repository",
    "identity",
    "api_url",
    "steps",
    "protection",
    "applied",
    "catalog",
    "calls",
    "dry_run",
}
STEP_NAMES = [
    "identity",
    "scan",
    "repository",
    "align",
    "settings",
    "push",
    "protection",
    "security",
    "verify",
    "catalog",
]


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def assert_fully_secured(fake: FakeGitHub, owner: str, name: str, *, private: bool = True) -> None:
    repo = fake.state.repos[(owner, name)]
    assert repo.private is private
    assert repo.delete_branch_on_merge
    assert repo.vulnerability_alerts and repo.automated_security_fixes
    assert repo.workflow_permissions == {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": False,
    }
    assert repo.default_setup == "not-configured"
    assert [r["name"] for r in repo.rulesets] == ["default-branch-protection"]
    rules = {r["type"] for r in repo.rulesets[0]["rules"]}
    assert {"deletion", "non_fast_forward", "pull_request", "required_status_checks"} <= rules


def test_publish_user_repository(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable, catalog_file: Path
) -> None:
    project = new_service()
    head = git(project, "rev-parse", "HEAD")
    result = run_cli(["publish", project, "--json"])
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data["result"]) == RESULT_KEYS
    assert data["result"]["identity"] == "alice"
    assert data["result"]["repository"]["full_name"] == "alice/payments-api"
    assert (
        data["result"]["repository"]["private"] is True
        and data["result"]["repository"]["created"] is True
    )
    assert [s["name"] for s in data["result"]["steps"]] == STEP_NAMES
    assert all(s["status"] in ("done", "unchanged") for s in data["result"]["steps"]), data[
        "result"
    ]["steps"]
    assert data["result"]["protection"] == "ruleset"
    applied = data["result"]["applied"]
    assert applied["vulnerability_alerts"] is True
    assert applied["default_workflow_permissions"] == "read"
    assert applied["secret_scanning"] == "disabled"  # private, no Advanced Security on "pro"
    assert applied["rulesets"] == [{"name": "default-branch-protection", "enforcement": "active"}]

    assert_fully_secured(fake_github, "alice", "payments-api")
    repo = fake_github.state.repos[("alice", "payments-api")]
    # one commit on top: the project aligned with what a user's private repository offers
    pushed = git(project, "rev-parse", "HEAD")
    assert fake_github.state.branches(repo) == {"main": pushed}
    assert git(project, "rev-parse", "HEAD~1") == head
    assert git(project, "log", "-1", "--format=%s").startswith("Align with what GitHub offers")
    assert set(repo.topics) >= {"python", "python-service", "experimental"}
    # origin is the clean URL; nothing else changed locally
    origin = git(project, "remote", "get-url", "origin")
    assert origin == f"{fake_github.web_url}/alice/payments-api.git"
    assert git(project, "status", "--porcelain") == ""
    # the catalog now points at the repository instead of the folder
    targets = [(e.type, e.target) for e in read_entries(catalog_file)]
    url = f"{fake_github.web_url}/alice/payments-api/blob/main/catalog-info.yaml"
    assert ("url", url) in targets
    assert all(t != str(project / "catalog-info.yaml") for _, t in targets)
    # every API call carried the token; every git call too
    assert all(r.authorized for r in fake_github.requests)
    assert any(r.kind == "git" for r in fake_github.requests)


def test_publish_twice_changes_nothing(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    assert run_cli(["publish", project]).code == 0
    writes_before = len(fake_github.writes())
    again = run_cli(["publish", project, "--json"])
    assert again.code == 0, again.stderr
    statuses = {s["name"]: s["status"] for s in again.json()["result"]["steps"]}
    assert statuses["repository"] == statuses["push"] == "unchanged"
    assert statuses["settings"] == "unchanged"
    new_writes = fake_github.writes()[writes_before:]
    assert not [w for w in new_writes if w.method == "POST"], new_writes
    assert len(fake_github.state.repos) == 1
    assert len(fake_github.state.repos[("alice", "payments-api")].rulesets) == 1


def test_new_publish_for_an_organisation(
    fake_github: FakeGitHub, run_cli: Callable, tmp_path: Path
) -> None:
    dst = tmp_path / "ledger"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            "--set",
            "owner=group:default/payments",
            "--set",
            "description=Keeps the ledger",
            "--no-input",
            "--publish",
            "--github-owner",
            "acme",
            "--json",
        ]
    )
    assert result.code == 0, result.stderr
    data = result.json()
    repository = data["result"]["repository"]
    assert repository["repository"]["full_name"] == "acme/ledger"
    assert repository["identity"] == "alice"
    assert fake_github.calls("POST", "/orgs/acme/repos")
    assert not fake_github.calls("POST", "/user/repos")
    assert_fully_secured(fake_github, "acme", "ledger")
    assert fake_github.state.repos[("acme", "ledger")].description == "Keeps the ledger"
    # the first commit already carries the GitHub annotations
    info = yaml.safe_load((dst / "catalog-info.yaml").read_text())
    assert info["metadata"]["annotations"]["github.com/project-slug"] == "acme/ledger"
    assert not [w for w in data["warnings"] if "project-slug" in w]
    # private without Advanced Security: said, not hidden
    assert any("secret scanning" in w and "unavailable" in w for w in data["warnings"])


def test_dry_run_plans_every_write_and_makes_none(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable, tmp_path: Path
) -> None:
    project = new_service()
    plan = run_cli(["publish", project, "--dry-run", "--json"])
    assert plan.code == 0, plan.stderr
    planned = plan.json()
    assert planned["result"]["dry_run"] is True and planned["result"]["repository"] is None
    assert fake_github.writes() == [] and fake_github.state.repos == {}
    assert not any(r.kind == "git" for r in fake_github.requests)
    human = run_cli(["publish", project, "--dry-run"])
    assert "POST /user/repos" in human.stdout and "PUT /repos/alice/payments-api/" in human.stdout

    # The plan is exactly what a real run then sends (same calls, same bodies, same order).
    real = run_cli(["publish", project, "--json"])
    assert real.code == 0, real.stderr
    made = [(r.method, r.path, r.body) for r in fake_github.writes()]
    api_plan = [
        (c["method"], c["path"], c["body"])
        for c in planned["result"]["calls"]
        if c["method"] != "GIT"
    ]
    # a new repository starts with CodeQL default setup off, so no PATCH is needed or planned
    assert made == api_plan
    assert [c["method"] for c in planned["result"]["calls"]].count("GIT") == 1


def test_enterprise_server(
    fake_ghes: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    result = run_cli(["publish", project, "--github-api-url", fake_ghes.api_url, "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"]["api_url"].endswith("/api/v3")
    assert_fully_secured(fake_ghes, "alice", "payments-api")
    repo = fake_ghes.state.repos[("alice", "payments-api")]
    assert "main" in fake_ghes.state.branches(repo)
    assert (
        result.json()["result"]["repository"]["clone_url"]
        == f"{fake_ghes.web_url}/alice/payments-api.git"
    )
    assert all(
        r.path.startswith("/repos") or r.path in ("/user", "/user/repos") or r.kind == "git"
        for r in fake_ghes.requests
    )


def test_older_enterprise_server_without_rulesets_gets_classic_protection(
    fake_ghes: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_ghes.state.rulesets_supported = False
    project = new_service()
    result = run_cli(["publish", project, "--github-owner", "acme", "--json"])
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["result"]["protection"] == "branch-protection"
    protection = fake_ghes.state.repos[("acme", "payments-api")].protection["main"]
    assert protection["allow_force_pushes"] == {"enabled": False}
    assert protection["allow_deletions"] == {"enabled": False}
    assert protection["enforce_admins"] == {"enabled": True}
    reviews = protection["required_pull_request_reviews"]
    assert reviews["required_approving_review_count"] >= 1
    assert reviews["require_code_owner_reviews"] and reviews["require_last_push_approval"]
    assert "test" in protection["required_status_checks"]["contexts"]
    assert data["result"]["applied"]["branch_protection"]["allow_force_pushes"] is False
    # running again keeps one protection and creates nothing
    assert run_cli(["publish", project]).code == 0
    assert len(fake_ghes.state.repos) == 1


def test_private_repository_on_free_plan_says_so(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_github.state.accounts["alice"].plan = "free"
    project = new_service()
    result = run_cli(["publish", project, "--json"])
    assert result.code == 3, result.stderr
    data = result.json()
    assert data["error"]["failed"] == "protection"
    assert "public" in data["error"]["message"] and "upgrade" in data["error"]["message"]
    steps = {s["name"]: s["status"] for s in data["result"]["steps"]}
    assert steps["protection"] == "unavailable"
    assert steps["security"] == steps["verify"] == steps["catalog"] == "done"
    assert UPGRADE in result.stderr or "Upgrade to GitHub Pro" in data["error"]["message"]
    assert "protection" in result.stderr and "unavailable" in result.stderr
    repo = fake_github.state.repos[("alice", "payments-api")]
    assert repo.vulnerability_alerts and not repo.rulesets and not repo.protection
    # made public, the same command finishes the job
    again = run_cli(["publish", project, "--public", "--json"])
    assert again.code == 3  # visibility of an existing repository is never changed silently
    assert "left as it is" in " ".join(again.json()["warnings"])


def test_public_repository_on_free_plan_is_fully_protected(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_github.state.accounts["alice"].plan = "free"
    project = new_service()
    result = run_cli(["publish", project, "--public", "--json"])
    assert result.code == 0, result.stderr
    assert_fully_secured(fake_github, "alice", "payments-api", private=False)
    repo = fake_github.state.repos[("alice", "payments-api")]
    assert repo.secret_scanning == repo.push_protection == "enabled"
    assert repo.private_vulnerability_reporting


def test_existing_repository_of_someone_else_is_left_alone(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable, tmp_path: Path
) -> None:
    other = fake_github.state.add_repo("acme", "payments-api", private=False)
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "README").write_text("someone else's work\n")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "theirs")
    git(seed, "push", "-q", str(fake_github.state.bare_path("acme", "payments-api")), "main")
    project = new_service()
    result = run_cli(["publish", project, "--github-owner", "acme", "--json"])
    assert result.code == 5, result.stderr
    error = result.json()["error"]
    assert error["code"] == "repository-conflict"
    assert "acme/payments-api" in error["message"] and "not in" in error["message"]
    assert fake_github.writes() == []
    assert not other.vulnerability_alerts and not other.rulesets
    assert git(project, "remote") == ""


def test_repository_owned_by_another_user(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_github.state.add_repo("bob", "payments-api", private=False)
    project = new_service()
    result = run_cli(["publish", project, "--github-owner", "bob"])
    assert result.code == 5
    assert "bob is neither alice" in result.stderr
    assert fake_github.writes() == []


def test_bad_token(
    fake_github: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = new_service()
    monkeypatch.setenv("GH_TOKEN", "ghp_wrong000000000000000000000000000000")
    result = run_cli(["publish", project])
    assert result.code == 5
    assert "401" in result.stderr and "GH_TOKEN" in result.stderr
    assert "ghp_wrong" not in result.stderr + result.stdout
    assert fake_github.writes() == []


def test_new_publish_checks_the_token_before_writing_anything(
    fake_github: FakeGitHub, run_cli: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no `gh` to fall back on
    dst = tmp_path / "svc"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            "--set",
            "owner=group:x",
            "--no-input",
            "--publish",
        ]
    )
    assert result.code == 5
    assert "no GitHub token" in result.stderr
    assert not dst.exists()
    assert fake_github.requests == []


def test_publish_a_project_rendered_without_owner_warns(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    head = git(project, "rev-parse", "HEAD")
    result = run_cli(["publish", project, "--json"])
    assert result.code == 0
    # publish learned the owner: one alignment commit on top, history not rewritten
    assert not any("project-slug" in w for w in result.json()["warnings"])
    assert git(project, "rev-parse", "HEAD~1") == head
    info = yaml.safe_load((project / "catalog-info.yaml").read_text())
    assert info["metadata"]["annotations"]["github.com/project-slug"] == "alice/payments-api"
    assert TOKEN not in result.stdout + result.stderr


def test_organisation_the_token_cannot_create_in(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_github.state.add_org("elsewhere", members={"bob"})
    project = new_service()
    result = run_cli(["publish", project, "--github-owner", "elsewhere", "--json"])
    assert result.code == 5
    error = result.json()["error"]
    assert error["code"] == "github-permission" and error["status"] == 403
    assert "repo" in error["hint"]
    assert fake_github.state.repos == {}


def test_publish_help_and_bad_flags(
    run_cli: Callable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli_exit(run_cli, ["publish", "--help"]) == 0
    assert "--github-api-url" in capsys.readouterr().out
    both = run_cli_exit(run_cli, ["publish", str(tmp_path), "--public", "--private"])
    assert both == 2
    bad_owner = run_cli(["publish", tmp_path, "--github-owner", "not an owner"])
    assert bad_owner.code == 2 and "invalid GitHub owner" in bad_owner.stderr
    bad_url = run_cli(["publish", tmp_path, "--github-api-url", "https://ghe.example.com"])
    assert bad_url.code == 2 and "/api/v3" in bad_url.stderr
    missing = run_cli(["publish", tmp_path / "nowhere"])
    assert missing.code == 2 and "not created by scaffolder" in missing.stderr


def run_cli_exit(run_cli: Callable, args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        run_cli(args)
    return int(info.value.code or 0)
