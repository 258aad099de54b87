"""Publish learns the owner and what the repository's plan offers, and aligns the project:
through the real CLI, against the fake GitHub (which answers as GitHub does per plan)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.fakegithub import FakeGitHub

WORKFLOWS = Path(".github") / "workflows"
CODE_SECURITY_WORKFLOWS = {"codeql.yml", "dependency-review.yml"}


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def baseline_answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.baseline.yml").read_text())


def workflows(project: Path) -> set[str]:
    return {p.name for p in (project / WORKFLOWS).glob("*.yml")}


def remote_ruleset(fake: FakeGitHub, owner: str, name: str) -> dict[str, Any]:
    (ruleset,) = fake.state.repos[(owner, name)].rulesets
    return {r["type"]: r.get("parameters") or {} for r in ruleset["rules"]}


def step(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in data["result"]["steps"] if s["name"] == name)


def test_user_private_repository_needs_no_approvals_and_no_code_security(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    head = git(project, "rev-parse", "HEAD")
    assert workflows(project) >= CODE_SECURITY_WORKFLOWS  # before: the defaults
    result = run_cli(["publish", project, "--json"])
    assert result.code == 0, result.stderr
    data = result.json()
    align = step(data, "align")
    assert align["status"] == "done"
    assert "review_mode: 'none'" in align["detail"] and "code_security: False" in align["detail"]
    assert any("user account" in w and "review_mode: team" in w for w in data["warnings"])
    assert any("no GitHub Code Security" in w for w in data["warnings"])

    # one alignment commit, pushed; content and answers agree
    assert git(project, "rev-parse", "HEAD~1") == head
    assert git(project, "status", "--porcelain") == ""
    repo = fake_github.state.repos[("alice", "payments-api")]
    assert fake_github.state.branches(repo) == {"main": git(project, "rev-parse", "HEAD")}
    answers = baseline_answers(project)
    assert answers["github_owner"] == "alice" and answers["review_mode"] == "none"
    assert answers["code_security"] is False
    assert not CODE_SECURITY_WORKFLOWS & workflows(project)
    assert "scorecard.yml" not in workflows(project)
    info = yaml.safe_load((project / "catalog-info.yaml").read_text())
    assert info["metadata"]["annotations"]["github.com/project-slug"] == "alice/payments-api"

    # the ruleset GitHub holds can be satisfied: no approvals, only the CI check
    rules = remote_ruleset(fake_github, "alice", "payments-api")
    assert rules["pull_request"]["required_approving_review_count"] == 0
    assert rules["pull_request"]["require_code_owner_review"] is False
    checks = rules["required_status_checks"]["required_status_checks"]
    assert checks == [{"context": "test", "integration_id": 15368}]

    # a second publish changes nothing
    again = run_cli(["publish", project, "--json"])
    assert again.code == 0, again.stderr
    assert step(again.json(), "align")["status"] == "unchanged"
    assert git(project, "rev-parse", "HEAD~1") == head


def test_org_private_repository_without_code_security(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service("go-service", name="ledger")
    assert "module example.com/ledger" in (project / "go.mod").read_text()
    result = run_cli(["publish", project, "--github-owner", "acme", "--json"])
    assert result.code == 0, result.stderr
    answers = baseline_answers(project)
    assert answers["review_mode"] == "team" and answers["code_security"] is False
    assert not CODE_SECURITY_WORKFLOWS & workflows(project)
    # the template layer's go module path follows the repository, in go.mod and its answers
    module = (project / "go.mod").read_text().splitlines()[0]
    assert module.startswith("module ") and module.endswith("/acme/ledger")
    template_answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert template_answers["module_path"] == module.removeprefix("module ")
    rules = remote_ruleset(fake_github, "acme", "ledger")
    assert rules["pull_request"]["required_approving_review_count"] == 1
    assert rules["pull_request"]["require_code_owner_review"] is True
    contexts = [c["context"] for c in rules["required_status_checks"]["required_status_checks"]]
    assert contexts == ["test"]


def test_org_repository_with_code_security_keeps_codeql(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    fake_github.state.add_org("secure", members={"alice"}, plan="team", code_security=True)
    project = new_service()
    result = run_cli(["publish", project, "--github-owner", "secure", "--json"])
    assert result.code == 0, result.stderr
    assert baseline_answers(project)["code_security"] is True
    assert workflows(project) >= CODE_SECURITY_WORKFLOWS
    contexts = [
        c["context"]
        for c in remote_ruleset(fake_github, "secure", "payments-api")["required_status_checks"][
            "required_status_checks"
        ]
    ]
    assert contexts == ["test", "Analyze (python)", "Analyze (actions)"]
    assert not any("Code Security" in w for w in result.json()["warnings"])


def test_public_repository_has_code_security(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    result = run_cli(["publish", project, "--public", "--json"])
    assert result.code == 0, result.stderr
    answers = baseline_answers(project)
    assert answers["code_security"] is True and answers["review_mode"] == "none"
    assert workflows(project) >= CODE_SECURITY_WORKFLOWS


def test_new_publish_aligns_in_one_commit(
    fake_github: FakeGitHub, run_cli: Callable, tmp_path: Path
) -> None:
    dst = tmp_path / "svc"
    result = run_cli(
        [
            *("new", "python-service", "--output", dst, "--set", "owner=group:default/payments"),
            *("--no-input", "--publish", "--no-register", "--json"),
        ]
    )
    assert result.code == 0, result.stderr
    log = git(dst, "log", "--format=%s").splitlines()
    assert len(log) == 2 and log[0].startswith("Align with what GitHub offers")
    assert baseline_answers(dst)["review_mode"] == "none"
    assert not CODE_SECURITY_WORKFLOWS & workflows(dst)


def test_dry_run_plans_the_alignment_without_writing(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    head = git(project, "rev-parse", "HEAD")
    plan = run_cli(["publish", project, "--dry-run", "--json"])
    assert plan.code == 0, plan.stderr
    align = step(plan.json(), "align")
    assert align["status"] == "planned" and ".github/workflows/codeql.yml" in align["detail"]
    assert git(project, "rev-parse", "HEAD") == head and git(project, "status", "--porcelain") == ""
    (ruleset,) = [c["body"] for c in plan.json()["result"]["calls"] if "rulesets" in c["path"]]
    assert ruleset["rules"][2]["parameters"]["required_approving_review_count"] == 0


def test_project_edits_survive_the_alignment(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    ci = project / WORKFLOWS / "ci.yml"
    ci.write_text(ci.read_text().replace("name: CI\n", "name: CI\n# our own note\n"))
    path = project / ".github" / "rulesets" / "default-branch.json"
    ruleset = json.loads(path.read_text())
    text = path.read_text().replace(
        '    {"type": "deletion"},\n',
        '    {"type": "deletion"},\n    {"type": "required_linear_history"},\n',
    )
    path.write_text(text)
    assert len(json.loads(text)["rules"]) == len(ruleset["rules"]) + 1
    git(project, "commit", "-qam", "Our own edits")
    result = run_cli(["publish", project, "--json"])
    assert result.code == 0, result.stderr
    assert "# our own note" in ci.read_text()
    merged = json.loads(path.read_text())
    types = [r["type"] for r in merged["rules"]]
    assert "required_linear_history" in types  # ours
    pr = next(r for r in merged["rules"] if r["type"] == "pull_request")
    assert pr["parameters"]["required_approving_review_count"] == 0  # the alignment's


def test_an_edited_workflow_the_plan_cannot_run_is_a_named_conflict(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    codeql = project / WORKFLOWS / "codeql.yml"
    codeql.write_text(codeql.read_text() + "# tuned by us\n")
    git(project, "commit", "-qam", "Tune CodeQL")
    head = git(project, "rev-parse", "HEAD")
    result = run_cli(["publish", project, "--json"])
    assert result.code == 3, result.stderr
    error = result.json()["error"]
    assert ".github/workflows/codeql.yml" in error["message"]
    assert "Traceback" not in result.stderr
    assert git(project, "rev-parse", "HEAD") == head and codeql.is_file()
    assert git(project, "status", "--porcelain") == ""
