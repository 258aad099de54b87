"""`scaffolder update DIR`: real git, real copier, the real CLI, and two real baseline versions.

The newer baseline is built from the shipped one in a copy of the built-in templates (a new
`actions/checkout` pin and a new Dependabot rule, version 9.9.0), which
`$SCAFFOLDER_TEMPLATES_DIR` makes the built-in templates, as a later scaffolder release's
would be. Projects are made with the shipped templates by `scaffolder new`, so their answers
files are in today's format (no `_commit`, no standard answers in the baseline's file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scaffolder.render.registry import TEMPLATES_DIR_ENV, baseline_layer
from tests.conftest import TEMPLATES
from tests.source_helpers import tagged_repository, write_config

ANSWERS = ["--set", "owner=user:jdoe", "--set", "github_owner=jdoe", "--no-input", "--no-register"]
OLD_PIN = "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
NEW_PIN = "0123456789abcdef0123456789abcdef01234567 # v7.0.2"
NEXT_VERSION = "9.9.0"
DOCKER_RULE = """\
  - package-ecosystem: docker
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 7
    groups:
      docker:
        patterns: ["*"]
"""
CI = ".github/workflows/ci.yml"
LOCAL_STEP = "      - name: Local step\n        run: echo kept-by-the-update\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def newer_templates(root: Path) -> Path:
    """The built-in templates with a newer baseline: a re-pinned checkout, a Dependabot rule."""
    shutil.copytree(TEMPLATES, root)
    base = root / "_baseline"
    pins = base / "pins.yml"
    text = pins.read_text(encoding="utf-8")
    sha, version = OLD_PIN.split(" # ")
    new_sha, new_version = NEW_PIN.split(" # ")
    assert sha in text
    text = text.replace(sha, new_sha, 1).replace(
        f"version: {version}", f"version: {new_version}", 1
    )
    pins.write_text(text, encoding="utf-8")
    config = base / "copier.yml"
    shipped = yaml.safe_load(config.read_text().split("\n---")[1])["_scaffolder"]["version"]
    config.write_text(
        config.read_text().replace(f'version: "{shipped}"', f'version: "{NEXT_VERSION}"')
    )
    rule = base / "template/.github/dependabot.yml.jinja"
    rule.write_text(rule.read_text() + DOCKER_RULE)
    return root


@pytest.fixture
def next_release(tmp_path: Path) -> Path:
    return newer_templates(tmp_path / "next-templates")


def make_project(run_cli, dst: Path) -> Path:
    made = run_cli(["new", "python-service", "-o", dst, *ANSWERS])
    assert made.code == 0, made.stderr
    return dst


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)


def answers(project: Path, name: str = ".copier-answers.baseline.yml") -> dict:
    return yaml.safe_load((project / name).read_text())


def snapshot(project: Path) -> tuple[str, str, str, str]:
    return (
        git(project, "for-each-ref"),
        git(project, "status", "--porcelain", "--untracked-files=all"),
        git(project, "rev-parse", "HEAD"),
        git(project, "count-objects", "-v"),
    )


def test_update_brings_the_new_baseline_and_keeps_a_local_edit(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    shipped = baseline_layer().version
    # Today's answers files: nothing to replay the baseline with, no version recorded.
    before = answers(project)
    assert "_commit" not in before and "owner" not in before
    assert not any(k.startswith("_scaffolder_") for k in before)
    with (project / CI).open("a") as ci:
        ci.write(LOCAL_STEP)
    commit_all(project, "ci: a step of our own")
    main = git(project, "rev-parse", "main")

    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    result = run_cli(["update", project, "--json"])

    assert result.code == 0, result.stderr
    done = result.json()["result"]
    assert set(done) == {  # the --json contract
        "project", "status", "template", "baseline", "branch", "base_branch",
        "pristine_commit", "merge_commit", "changed", "conflicts", "diff", "next",
    }  # fmt: skip
    branch = f"scaffolder/update-python-service-1.1.0-baseline-{NEXT_VERSION}"
    assert (done["status"], done["branch"], done["base_branch"]) == ("updated", branch, "main")
    # The version it came from is the one the initial commit's trailer names.
    assert done["baseline"] == {"from": shipped, "to": NEXT_VERSION}
    assert done["template"] == {"name": "python-service", "from": "1.1.0", "to": "1.1.0"}
    assert CI in done["changed"] and ".github/dependabot.yml" in done["changed"]
    ci = (project / CI).read_text()
    assert NEW_PIN in ci and OLD_PIN not in ci
    assert LOCAL_STEP in ci  # the project's own change is kept
    assert DOCKER_RULE in (project / ".github/dependabot.yml").read_text()
    # On the new branch, checked out; the user's branch did not move; the tree is clean.
    assert git(project, "symbolic-ref", "--short", "HEAD").strip() == branch
    assert git(project, "rev-parse", "main") == main
    assert git(project, "status", "--porcelain") == ""
    # The merge's second parent is the pristine render, whose parent is the initial commit.
    pristine = git(project, "rev-parse", "HEAD^2").strip()
    assert pristine == done["pristine_commit"]
    assert "Scaffolder-Pristine: true" in git(project, "log", "-1", "--format=%B", pristine)
    root = git(project, "rev-list", "--max-parents=0", "HEAD").strip()
    assert git(project, "rev-parse", f"{pristine}^").strip() == root
    # The answers files were migrated: the baseline can be replayed from them alone.
    baseline = answers(project)
    assert baseline["_scaffolder_baseline_version"] == NEXT_VERSION
    assert baseline["_scaffolder_languages"] == ["python"]
    assert (baseline["owner"], baseline["name"]) == ("user:jdoe", "svc")
    template = answers(project, ".copier-answers.yml")
    assert template["_scaffolder_template"] == "python-service"
    assert template["_scaffolder_template_version"] == "1.1.0"
    assert template["_scaffolder_template_source"] == "builtin"
    # The text output says where the update is.
    git(project, "switch", "-q", "main")
    git(project, "branch", "-q", "-D", branch)
    text = run_cli(["update", project])
    assert text.code == 0, text.stderr
    assert f"{branch} (checked out; main was not changed)" in text.stdout


def test_a_conflicting_edit_is_left_with_markers_and_exits_3(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    ci = project / CI
    ci.write_text(ci.read_text().replace(OLD_PIN, OLD_PIN + " (our own pin)"))
    commit_all(project, "ci: our own pin")
    main = git(project, "rev-parse", "main")

    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    result = run_cli(["update", project, "--json"])

    assert result.code == 3, result.stderr
    envelope = result.json()
    assert (envelope["ok"], envelope["exit_code"]) == (False, 3)
    done = envelope["result"]
    assert (done["status"], done["conflicts"]) == ("conflict", [CI])
    assert done["next"][1] == f"git add {CI}"
    text = ci.read_text()
    assert "<<<<<<<" in text and NEW_PIN in text and "(our own pin)" in text
    # The rest merged: the new Dependabot rule is there, staged.
    assert DOCKER_RULE in (project / ".github/dependabot.yml").read_text()
    assert git(project, "rev-parse", "main") == main
    assert git(project, "symbolic-ref", "--short", "HEAD").strip() == done["branch"]


def test_conflicts_are_listed_with_what_to_do_next(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    ci = project / CI
    ci.write_text(ci.read_text().replace(OLD_PIN, OLD_PIN + " (our own pin)"))
    commit_all(project, "ci: our own pin")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))

    result = run_cli(["update", project])

    assert result.code == 3
    assert f"conflicts (inline markers):\n    {CI}\n" in result.stdout
    assert f"git add {CI}" in result.stdout and "git commit --no-edit" in result.stdout


def test_a_dirty_tree_is_refused_and_nothing_changes(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    (project / "SECURITY.md").write_text("work in progress\n")
    (project / "notes.txt").write_text("untracked\n")
    before = snapshot(project)
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))

    result = run_cli(["update", project, "--json"])

    assert result.code == 5
    error = result.json()["error"]
    assert error["code"] == "update-refused" and "uncommitted changes" in error["message"]
    assert "SECURITY.md" in error["message"] and "commit or stash" in error["hint"]
    assert snapshot(project) == before
    assert (project / "SECURITY.md").read_text() == "work in progress\n"


def test_a_detached_head_or_no_repository_is_refused(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    git(project, "switch", "-q", "--detach")

    detached = run_cli(["update", project])
    assert detached.code == 5
    assert "detached HEAD" in detached.stderr and "hint: check out the branch" in detached.stderr
    assert "Traceback" not in detached.stderr

    shutil.rmtree(project / ".git")
    missing = run_cli(["update", project])
    assert missing.code == 5 and "is not a git repository" in missing.stderr


def test_dry_run_shows_the_diff_and_changes_nothing(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    before = snapshot(project)
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))

    result = run_cli(["update", project, "--dry-run", "--json"])

    assert result.code == 0, result.stderr
    planned = result.json()["result"]
    assert planned["status"] == "planned" and planned["branch"] is None
    assert f"-        uses: actions/checkout@{OLD_PIN}" in planned["diff"]
    assert f"+        uses: actions/checkout@{NEW_PIN}" in planned["diff"]
    assert "+  - package-ecosystem: docker" in planned["diff"]
    assert snapshot(project) == before  # refs, status, HEAD and the object count
    text = run_cli(["update", project, "--dry-run"])
    assert text.code == 0 and "nothing was changed" in text.stdout
    assert snapshot(project) == before


def test_a_new_project_is_up_to_date_twice_and_its_answers_wait_for_a_real_update(
    run_cli, tmp_path: Path
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    before = snapshot(project)
    for _ in range(2):
        again = run_cli(["update", project, "--json"])
        assert again.code == 0, again.stderr
        result = again.json()["result"]
        assert result["status"] == "up-to-date" and result["branch"] is None
        assert snapshot(project) == before
    assert "_scaffolder_baseline_version" not in answers(project)


def test_an_updated_project_is_up_to_date_twice(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    assert run_cli(["update", project]).code == 0
    git(project, "switch", "-q", "main")
    git(project, "merge", "-q", "--ff-only", "-")
    branches = git(project, "for-each-ref", "refs/heads")

    for _ in range(2):
        before = snapshot(project)
        again = run_cli(["update", project, "--json"])
        assert again.code == 0, again.stderr
        result = again.json()["result"]
        assert result["status"] == "up-to-date" and result["branch"] is None
        assert result["baseline"] == {"from": NEXT_VERSION, "to": NEXT_VERSION}
        assert snapshot(project) == before
    assert git(project, "for-each-ref", "refs/heads") == branches
    assert "is up to date" in run_cli(["update", project]).stdout


def test_an_existing_update_branch_is_refused(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    assert run_cli(["update", project]).code == 0
    git(project, "switch", "-q", "main")
    before = snapshot(project)

    again = run_cli(["update", project])

    assert again.code == 5 and "exists already" in again.stderr
    assert snapshot(project)[:3] == before[:3]


def test_baseline_version_other_than_the_shipped_one_is_a_clear_error(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    before = snapshot(project)

    wrong = run_cli(["update", project, "--baseline-version", "1.0.0"])

    assert wrong.code == 2
    assert f"baseline 1.0.0 is not available: this scaffolder ships baseline {NEXT_VERSION}" in (
        wrong.stderr
    )
    assert snapshot(project) == before
    right = run_cli(["update", project, "--baseline-version", NEXT_VERSION, "--json"])
    assert right.code == 0 and right.json()["result"]["status"] == "updated"


def test_a_git_template_is_updated_to_its_newest_tag(
    run_cli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0"])
    write_config(isolated_env, f'[[template]]\nname = "python-lib"\nurl = "file://{repo}"\n')
    project = tmp_path / "lib-svc"
    made = run_cli(["new", "python-lib", "-o", project, *ANSWERS])
    assert made.code == 0, made.stderr
    assert "from v1.0.0" in (project / "README.md").read_text()
    with (project / "SECURITY.md").open("a") as policy:
        policy.write("\nOur own notes.\n")
    commit_all(project, "security: our notes")
    # The template's next release: a new tag.
    (repo / "template/README.md.jinja").write_text("# {{ name }}\nfrom v1.2.0\n")
    (repo / "copier.yml").write_text((repo / "copier.yml").read_text().replace("1.0.0", "1.2.0"))
    git(repo, "commit", "-qam", "release v1.2.0")
    git(repo, "tag", "-a", "v1.2.0", "-m", "v1.2.0")

    result = run_cli(["update", project, "--json"])

    assert result.code == 0, result.stderr
    done = result.json()["result"]
    assert done["template"]["from"] == "1.0.0" and done["template"]["to"] == "1.2.0"
    assert done["branch"].startswith("scaffolder/update-python-lib-1.2.0")
    assert "from v1.2.0" in (project / "README.md").read_text()
    assert "Our own notes." in (project / "SECURITY.md").read_text()
    assert answers(project, ".copier-answers.yml")["_scaffolder_template"] == "python-lib"
    assert answers(project, ".copier-answers.yml")["_commit"] == "v1.2.0"


def test_vcs_ref_picks_the_git_template_version_to_update_to(
    run_cli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0", "v1.1.0", "v1.2.0"])
    write_config(isolated_env, f'[[template]]\nname = "python-lib"\nurl = "file://{repo}"\n')
    project = tmp_path / "lib-svc"
    made = run_cli(["new", "python-lib", "-o", project, "--vcs-ref", "v1.0.0", *ANSWERS])
    assert made.code == 0, made.stderr

    result = run_cli(["update", project, "--vcs-ref", "v1.1.0", "--json"])

    assert result.code == 0, result.stderr
    assert result.json()["result"]["template"]["to"] == "1.1.0"
    assert "from v1.1.0" in (project / "README.md").read_text()
    builtin = make_project(run_cli, tmp_path / "svc")
    refused = run_cli(["update", builtin, "--vcs-ref", "v1"])
    assert refused.code == 2 and "is a built-in template" in refused.stderr


def test_a_render_holding_the_token_is_refused_before_anything_is_written(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(run_cli, tmp_path / "svc")
    token = "ghp_" + "T0ken" * 8
    security = next_release / "_baseline/template/SECURITY.md.jinja"
    security.write_text(security.read_text() + "\n{{ 'ghp_' ~ 'T0ken' * 8 }}\n")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))
    monkeypatch.setenv("GITHUB_TOKEN", token)
    before = snapshot(project)

    result = run_cli(["update", project])

    assert result.code == 4 and "SECURITY.md" in result.stderr
    assert token not in result.stdout + result.stderr
    assert snapshot(project) == before


def test_answers_publish_recorded_later_merge_without_a_conflict(
    run_cli, tmp_path: Path, next_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish records the GitHub owner, host and plan in the baseline's answers file and
    re-renders (publish/align.py); the next update renders with those answers."""
    local = ["--set", "owner=user:jdoe", "--no-input", "--no-register"]
    project = tmp_path / "a" / "svc"
    assert run_cli(["new", "python-service", "-o", project, *local]).code == 0
    aligned = tmp_path / "b" / "svc"
    more = ["--set", "github_owner=jdoe", "--set", "code_security=false"]
    assert run_cli(["new", "python-service", "-o", aligned, *local, *more]).code == 0
    git(project, "rm", "-q", "-r", ".")
    for rel in git(aligned, "ls-files").split():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(aligned / rel, project / rel)
    commit_all(project, "publish: align with what GitHub offers")
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(next_release))

    result = run_cli(["update", project, "--json"])

    assert result.code == 0, result.stdout
    baseline = answers(project)
    assert (baseline["github_owner"], baseline["code_security"]) == ("jdoe", False)
    assert baseline["_scaffolder_baseline_version"] == NEXT_VERSION
    assert not (project / ".github/workflows/codeql.yml").exists()
    assert NEW_PIN in (project / CI).read_text()


SHIM = """\
#!/bin/sh
# git, except that the update's merge gets a Ctrl-C: before git runs, or once it has merged.
if [ "$1" = merge ] && [ "$2" = --no-ff ]; then
    if [ "$WHEN" = after ]; then "$REAL_GIT" "$@"; fi
    kill -INT "$PPID"
    sleep 5
    exit 130
fi
exec "$REAL_GIT" "$@"
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_ctrl_c_during_the_merge_leaves_the_project_as_it_was(
    run_cli, run_subprocess, tmp_path: Path, next_release: Path, when: str
) -> None:
    """A real SIGINT to `scaffolder update` while git merges (a `git` first on PATH sends it):
    the merge is aborted, the branch the user was on checked out again, the update branch
    deleted. "after": git has already merged, with a conflict, when the signal comes."""
    project = make_project(run_cli, tmp_path / "svc")
    ci = project / CI
    ci.write_text(ci.read_text().replace(OLD_PIN, OLD_PIN + " (our own pin)"))
    commit_all(project, "ci: our own pin")
    before = snapshot(project)[:3]
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "git").write_text(SHIM)
    (shim / "git").chmod(0o755)
    real_git = shutil.which("git")
    assert real_git is not None
    env = {
        "PATH": f"{shim}:{os.environ['PATH']}",
        "REAL_GIT": real_git,
        "WHEN": when,
        TEMPLATES_DIR_ENV: str(next_release),
    }
    result = run_subprocess(["update", project, "--json"], env=env)
    assert result.code == 130, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    error = result.json()["error"]
    assert error["code"] == "interrupted"
    assert "nothing was written" in error["message"]
    assert snapshot(project)[:3] == before  # refs, status, HEAD: as they were
    assert git(project, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert not (project / ".git" / "MERGE_HEAD").exists()
