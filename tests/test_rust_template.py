"""The proof of "any language": a rust-service template, written inline, that describes Rust as
data (scaffolder's language table does not know it), made into a project with the real CLI.

The project gets the whole baseline for Rust: its own `cargo test` passes, `scaffolder audit`
passes, its workflows pass zizmor (offline, pedantic) and GitHub's schemas as the built-in
templates' do (tests/test_baseline.py), CodeQL analyses `rust` and Dependabot updates `cargo`.
cargo is found on PATH or in ~/.cargo/bin (.ci/run installs Debian's when neither has it); a
machine without it fails the test, saying how to install it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import STANDARD_ANSWERS
from tests.helpers import run_tool
from tests.rust_template import cargo_test, rust_template

BIN = Path(sys.executable).parent


@pytest.fixture
def project(run_cli, tmp_path: Path) -> Path:
    template = rust_template(tmp_path / "rust-service")
    dst = tmp_path / "ledger"
    result = run_cli(
        [
            "new",
            template,
            "--output",
            dst,
            *STANDARD_ANSWERS,
            "--set",
            "description=Keeps the books: in Rust",
            "--no-input",
            "--json",
        ]
    )
    assert result.code == 0, result.stderr
    assert result.json()["warnings"] == []
    return dst


def workflow(root: Path, name: str) -> dict:
    return yaml.safe_load((root / ".github" / "workflows" / name).read_text())


def test_the_projects_own_cargo_test_passes(project: Path, tmp_path: Path) -> None:
    proc = cargo_test(project, tmp_path / "cargo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test tests::adds_amounts ... ok" in proc.stdout
    # --locked: the committed Cargo.lock is what cargo wants; nothing was written beside it.
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_scaffolder_audit_passes(project: Path, run_cli) -> None:
    result = run_cli(["audit", project, "--json"])
    report = result.json()["result"]
    failed = [c for c in report["checks"] if not c["passed"]]
    assert result.code == 0 and failed == [], failed
    assert report["languages"] == ["rust"]
    checks = {c["name"]: c["reason"] for c in report["checks"]}
    assert "rust in .github/workflows/ci.yml" in checks["ci-tests"]
    assert "actions, rust" in checks["codeql"]
    assert "cargo, github-actions" in checks["dependabot"]


def test_zizmor_pedantic_reports_no_findings(project: Path) -> None:
    proc = run_tool(
        BIN / "zizmor", "--offline", "--persona", "pedantic", "--no-progress", ".", cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout
    assert proc.stderr.count("completed") == 5, proc.stderr  # 4 workflows and dependabot.yml


def test_workflows_and_dependabot_match_githubs_schemas(project: Path) -> None:
    files = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert [f.name for f in files] == [
        "ci.yml",
        "codeql.yml",
        "dependency-review.yml",
        "scorecard.yml",
    ]
    proc = run_tool(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files, cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_tool(
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
        cwd=project,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_codeql_dependabot_ci_and_ruleset_are_rusts(project: Path) -> None:
    codeql = workflow(project, "codeql.yml")["jobs"]["analyze"]
    assert codeql["strategy"]["matrix"]["include"] == [
        {"language": "rust", "build-mode": "none"},
        {"language": "actions", "build-mode": "none"},
    ]
    updates = yaml.safe_load((project / ".github/dependabot.yml").read_text())["updates"]
    assert [(u["package-ecosystem"], u["directory"]) for u in updates] == [
        ("cargo", "/"),
        ("github-actions", "/"),
    ]
    steps = workflow(project, "ci.yml")["jobs"]["test"]["steps"]
    assert [s["name"] for s in steps] == ["Check out", "Test"]
    assert steps[1]["run"] == "cargo test --locked"
    ruleset = json.loads((project / ".github/rulesets/default-branch.json").read_text())
    contexts = [
        c["context"]
        for r in ruleset["rules"]
        if r["type"] == "required_status_checks"
        for c in r["parameters"]["required_status_checks"]
    ]
    assert contexts == ["test", "Analyze (rust)", "Analyze (actions)"]
    entity = yaml.safe_load((project / "catalog-info.yaml").read_text())
    assert entity["metadata"]["tags"] == ["rust"]
    assert entity["metadata"]["description"] == "Keeps the books: in Rust"


def test_the_description_is_recorded_in_the_baselines_answers_file(project: Path) -> None:
    answers = yaml.safe_load((project / ".copier-answers.baseline.yml").read_text())
    recorded = answers["_scaffolder_language_data"]
    assert recorded["action_pins"] == {}
    rust = recorded["language_data"]["rust"]
    assert rust["codeql"] == {"language": "rust", "build_mode": "none"}
    assert rust["audit"]["test_command"] == r"\bcargo\s+test\b"


def test_publish_applies_rusts_ruleset_and_keeps_the_description(
    project: Path, fake_github, run_cli
) -> None:
    """GitHub gets the ruleset that requires Rust's CodeQL check, and the project still
    records its description. (publish does not re-render a project of a template it cannot
    name by version, as this local one: align is skipped, with a warning.)"""
    result = run_cli(["publish", project, "--json"])
    assert result.code == 0, result.stderr
    repo = fake_github.state.repos[("alice", "ledger")]
    (ruleset,) = repo.rulesets
    contexts = [
        c["context"]
        for r in ruleset["rules"]
        if r["type"] == "required_status_checks"
        for c in r["parameters"]["required_status_checks"]
    ]
    assert contexts == ["test", "Analyze (rust)", "Analyze (actions)"]
    answers = yaml.safe_load((project / ".copier-answers.baseline.yml").read_text())
    assert "rust" in answers["_scaffolder_language_data"]["language_data"]
    audit = run_cli(["audit", project, "--json"])
    failed = [c for c in audit.json()["result"]["checks"] if not c["passed"]]
    assert audit.code == 0 and failed == [], failed


def test_rerendering_for_a_github_owner_keeps_the_described_language(project: Path) -> None:
    """What publish's align does for a project it can re-render: the whole stack again, with
    the GitHub owner; the template's description is read again and recorded again."""
    from scaffolder.project import Project
    from scaffolder.publish import align

    change = {"github_owner": "acme", "github_host": "github.com", "review_mode": "team"}
    files = align.plan(Project.load(project), change)
    answers = yaml.safe_load(files[".copier-answers.baseline.yml"] or b"")
    assert answers["github_owner"] == "acme"
    assert "rust" in answers["_scaffolder_language_data"]["language_data"]
    assert b'github.com/project-slug: "acme/ledger"' in (files["catalog-info.yaml"] or b"")
    # Rust's CI, CodeQL and Dependabot do not depend on the owner: unchanged, not rewritten.
    assert ".github/workflows/ci.yml" not in files
    assert ".github/dependabot.yml" not in files


def test_the_rust_template_lints_clean_and_its_matrix_passes_its_own_cargo_test(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template author's view: `template lint` finds nothing to fix in the Rust template
    (its language is described, not known), and `template test` renders every row, audits it
    and runs the description's own test step (`cargo test --locked`) in each project."""
    from tests.rust_template import cargo_env, find_cargo

    template = rust_template(tmp_path / "rust-service")
    lint = run_cli(["template", "lint", template, "--json"])
    assert lint.code == 0, lint.stdout + lint.stderr
    summary = lint.json()["result"]["summary"]
    assert summary["errors"] == 0 and summary["rows"] >= 3 and summary["rows_failed"] == 0

    for key, value in cargo_env(find_cargo(), tmp_path / "cargo").items():
        monkeypatch.setenv(key, value)
    result = run_cli(["template", "test", template, "--offline", "--json"])
    assert result.code == 0, result.stdout + result.stderr
    rows = result.json()["result"]["rows"]
    assert rows and all(row["ok"] for row in rows)
    steps = [(s["name"], s["exit_code"]) for row in rows for s in row["tests"]["steps"]]
    assert steps == [("Test", 0)] * len(rows)
