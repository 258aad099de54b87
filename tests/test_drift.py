"""The audit's `drift` check: baseline-managed files against the newest pristine render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaffolder.render.registry import TEMPLATES_DIR_ENV
from tests.test_update import (
    CI,
    LOCAL_STEP,
    NEW_PIN,
    OLD_PIN,
    commit_all,
    git,
    make_project,
    newer_templates,
)

OTHER_SHA = "a" * 40


def drift(run_cli, project: Path) -> tuple[int, dict]:
    result = run_cli(["audit", project, "--json"])
    checks = {c["name"]: c for c in result.json()["result"]["checks"]}
    return result.code, checks["drift"]


def test_a_clean_project_passes(run_cli, tmp_path: Path) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    with (project / CI).open("a") as ci:
        ci.write(LOCAL_STEP)  # the project's own step is not drift
    code, check = drift(run_cli, project)
    assert code == 0, check
    assert check["passed"] and "baseline-managed files as the render" in check["reason"]


def test_a_re_pinned_checkout_is_found_with_both_shas(run_cli, tmp_path: Path) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    ci = project / CI
    sha = OLD_PIN.split(" # ")[0]
    ci.write_text(ci.read_text().replace(sha, OTHER_SHA))
    commit_all(project, "ci: another checkout")

    code, check = drift(run_cli, project)

    assert code == 1 and not check["passed"]
    assert f"{CI}: actions/checkout pinned to {OTHER_SHA} (v7.0.1)" in check["reason"]
    assert f"the baseline render pins {sha} (v7.0.1)" in check["reason"]


def test_widened_permissions_and_a_removed_dependabot_entry_are_found(
    run_cli, tmp_path: Path
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    ci = project / CI
    ci.write_text(
        ci.read_text()
        .replace("permissions: {}", "permissions: write-all")
        .replace("contents: read # to check out the code", "contents: write")
    )
    dependabot = project / ".github/dependabot.yml"
    text = dependabot.read_text()
    dependabot.write_text(text[: text.index("  - package-ecosystem: github-actions")])

    code, check = drift(run_cli, project)

    reason = check["reason"]
    assert code == 1 and not check["passed"]
    assert f"{CI}: top-level permissions write-all; the render sets {{}}" in reason
    assert f"{CI}: job test permissions contents: write; the render sets contents: read" in reason
    assert ".github/dependabot.yml: the github-actions entry for / was removed" in reason


def test_after_an_update_the_newest_pristine_render_is_the_reference(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(tmp_path / "next")))
    assert run_cli(["update", project]).code == 0
    _, check = drift(run_cli, project)
    assert check["passed"], check  # the new pin is the render's own
    ci = project / CI
    ci.write_text(ci.read_text().replace(NEW_PIN, OLD_PIN))
    _, check = drift(run_cli, project)
    assert not check["passed"] and "actions/checkout pinned to 3d3c42e5" in check["reason"]


def test_a_folder_without_history_is_skipped_with_the_reason(run_cli, tmp_path: Path) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    shutil.rmtree(project / ".git")
    code, check = drift(run_cli, project)
    assert code == 0 and check["passed"]
    assert check["reason"].startswith("skipped: not a git repository")


def test_a_repository_scaffolder_did_not_make_is_skipped(run_cli, tmp_path: Path) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    shutil.rmtree(project / ".git")
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "first")
    code, check = drift(run_cli, project)
    assert code == 0 and check["passed"] and "not a scaffolder render" in check["reason"]
