"""audit on a repository whose plan has no Code Security: the jobs publish left out are not
offered there, so their checks pass and say why; the same absence without that record fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ANSWERS = ["--set", "owner=user:jdoe", "--set", "github_owner=jdoe", "--no-input", "--no-register"]


def _checks(run_cli, project: Path) -> tuple[int, dict[str, dict]]:
    result = run_cli(["audit", project, "--json"])
    return result.code, {c["name"]: c for c in result.json()["result"]["checks"]}


def test_a_repository_without_code_security_passes_and_says_why(run_cli, tmp_path: Path) -> None:
    project = tmp_path / "svc"
    made = run_cli(
        ["new", "python-service", "-o", project, *ANSWERS, "--set", "code_security=false"]
    )
    assert made.code == 0, made.stderr
    workflows = {p.name for p in (project / ".github" / "workflows").iterdir()}
    assert "codeql.yml" not in workflows and "dependency-review.yml" not in workflows
    code, checks = _checks(run_cli, project)
    assert code == 0, [c for c in checks.values() if not c["passed"]]
    for name in ("codeql", "dependency-review", "scorecard"):
        assert checks[name]["passed"] and "not offered here" in checks[name]["reason"]


def test_the_same_absence_without_the_record_fails(run_cli, tmp_path: Path) -> None:
    project = tmp_path / "svc"
    assert run_cli(["new", "python-service", "-o", project, *ANSWERS]).code == 0
    shutil.rmtree(project / ".github" / "workflows")
    (project / ".github" / "workflows").mkdir()
    answers_file = project / ".copier-answers.baseline.yml"
    answers = yaml.safe_load(answers_file.read_text())
    assert answers["code_security"] is True
    code, checks = _checks(run_cli, project)
    assert code == 1
    assert not checks["codeql"]["passed"] and not checks["dependency-review"]["passed"]
