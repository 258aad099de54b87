"""What GitHub offers decides what the baseline renders: every required check is a job the
rendered workflows define and can run there, and no ruleset asks for reviews nobody can give.

Each case renders the baseline (through `scaffolder new`, copier's API) with the answers publish
records for that kind of repository, then parses the rendered workflows and ruleset.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.baseline_fixtures import Cell, render_scaffold

#: Steps that need GitHub Code Security on a private repository.
NEEDS_CODE_SECURITY = (
    "github/codeql-action/",
    "actions/dependency-review-action",
    "ossf/scorecard-action",
)
GITHUB_ACTIONS = 15368

#: (case, answers publish records for it, Code Security there, owner can review others' PRs)
CASES = [
    ("public", {"github_owner": "acme", "code_security": True, "review_mode": "team"}),
    ("private-code-security", {"github_owner": "acme", "code_security": True}),
    ("private-no-code-security", {"github_owner": "acme", "code_security": False}),
    (
        "user-private",
        {"owner": "user:default/jdoe", "github_owner": "jdoe", "code_security": False},
    ),
    (
        "enterprise-server",
        {"github_owner": "acme", "github_host": "ghe.example.com", "code_security": False},
    ),
    (
        "enterprise-server-advanced-security",
        {"github_owner": "acme", "github_host": "ghe.example.com", "code_security": True},
    ),
]
TEMPLATES = ("python-service", "go-service")


def check_names(job_id: str, job: dict[str, Any]) -> list[str]:
    """The check-run names GitHub gives a job: its name (or id), once per matrix combination."""
    name = str(job.get("name") or job_id)
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    rows: list[dict[str, Any]] = list(matrix.get("include") or [])
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    if axes:
        rows = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    if not rows:
        return [name]
    names = []
    for row in rows:
        text = re.sub(
            r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", lambda m, row=row: str(row[m.group(1)]), name
        )
        if "${{" not in name:  # GitHub appends the matrix values to a name without them
            text = f"{name} ({', '.join(str(v) for v in row.values())})"
        names.append(text)
    return names


def rendered(project: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    folder = project / ".github" / "workflows"
    flows = {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yml"))}
    ruleset = json.loads((project / ".github" / "rulesets" / "default-branch.json").read_text())
    return flows, ruleset


def pull_request_jobs(flows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Check name -> job, for the jobs that run on pull requests (required checks run there)."""
    jobs: dict[str, dict[str, Any]] = {}
    for flow in flows.values():
        triggers = flow.get("on", flow.get(True)) or {}
        if "pull_request" not in triggers:
            continue
        for job_id, job in flow["jobs"].items():
            for name in check_names(job_id, job):
                jobs[name] = job
    return jobs


def uses(job: dict[str, Any]) -> list[str]:
    return [str(s.get("uses", "")) for s in job.get("steps", [])]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(("case", "answers"), CASES, ids=[c for c, _ in CASES])
def test_required_checks_run_on_every_plan(
    template: str, case: str, answers: dict[str, Any], tmp_path: Path, isolated_env: Path
) -> None:
    given = {"owner": "group:default/payments", **answers}
    scaffold = render_scaffold(template, Cell(case, given), tmp_path)
    flows, ruleset = rendered(scaffold.path)
    rules = {r["type"]: r.get("parameters") or {} for r in ruleset["rules"]}
    required = rules["required_status_checks"]["required_status_checks"]
    jobs = pull_request_jobs(flows)

    assert required, "at least the CI job is required"
    for check in required:
        assert check["integration_id"] == GITHUB_ACTIONS, check
        assert check["context"] in jobs, f"{check['context']} is no job of {sorted(jobs)}"
    all_steps = [u for f in flows.values() for j in f["jobs"].values() for u in uses(j)]
    gated = [u for u in all_steps if u.startswith(NEEDS_CODE_SECURITY)]
    if answers["code_security"]:
        contexts = {c["context"] for c in required}
        assert {"test", "Analyze (actions)"} <= contexts
        assert any(u.startswith("github/codeql-action/analyze") for u in gated)
    else:
        assert gated == [], "a job that needs Code Security would fail here"
        assert [c["context"] for c in required] == ["test"]
    on_ghes = answers.get("github_host", "github.com") != "github.com"
    assert ("scorecard.yml" in flows) is (answers["code_security"] and not on_ghes)


@pytest.mark.parametrize(("case", "answers"), CASES, ids=[c for c, _ in CASES])
def test_no_ruleset_needs_reviews_nobody_can_give(
    case: str, answers: dict[str, Any], tmp_path: Path, isolated_env: Path
) -> None:
    given = {"owner": "group:default/payments", **answers}
    scaffold = render_scaffold("python-service", Cell(case, given), tmp_path)
    _, ruleset = rendered(scaffold.path)
    pr = {r["type"]: r.get("parameters") or {} for r in ruleset["rules"]}["pull_request"]
    assert ruleset["bypass_actors"] == []  # a bypass is an explicit choice (admin_bypass)
    if case == "user-private":
        # The author is the only possible reviewer, and GitHub never lets them approve.
        assert pr["required_approving_review_count"] == 0
        assert pr["require_code_owner_review"] is False
        assert pr["require_last_push_approval"] is False
        assert scaffold.answers["review_mode"] == "none"
    else:
        assert pr["required_approving_review_count"] == 1
        assert pr["require_code_owner_review"] is True


def test_admin_bypass_is_explicit_and_through_pull_requests(
    tmp_path: Path, isolated_env: Path
) -> None:
    given = {"owner": "group:default/payments", "github_owner": "acme", "admin_bypass": True}
    scaffold = render_scaffold("python-service", Cell("bypass", given), tmp_path)
    _, ruleset = rendered(scaffold.path)
    assert ruleset["bypass_actors"] == [
        {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}
    ]
