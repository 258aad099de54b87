"""Publish is resumable: whichever step fails, running the resume command finishes the job
without duplicating anything; transient failures are retried within the run."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub

R = "/repos/alice/payments-api"
#: step → (method, path regex, exit code of the failed run). 403 and 422 are not retried;
#: a 500 that outlasts the retry budget is a permanent failure too.
FAILURES = {
    "identity": ("GET", "/user", 403, 5),
    "repository": ("POST", "/user/repos", 403, 5),
    "settings": ("PUT", f"{R}/topics", 422, 3),
    "push": ("POST", "/alice/payments-api.git/git-receive-pack", 500, 3),
    "protection": ("POST", f"{R}/rulesets", 422, 3),
    "security: vulnerability alerts": ("PUT", f"{R}/vulnerability-alerts", 500, 3),
    "security: Dependabot": ("PUT", f"{R}/automated-security-fixes", 500, 3),
    "security: Actions": ("PUT", f"{R}/actions/permissions/workflow", 403, 3),
    "security: CodeQL default setup": ("PATCH", f"{R}/code-scanning/default-setup", 500, 3),
    "verify": ("GET", f"{R}/actions/permissions/workflow", 500, 3),
}


def finished(fake: FakeGitHub) -> None:
    """One repository, pushed, one ruleset, every switch on; never a duplicate create."""
    assert list(fake.state.repos) == [("alice", "payments-api")]
    repo = fake.state.repos[("alice", "payments-api")]
    assert "main" in fake.state.branches(repo)
    assert len(repo.rulesets) == 1
    assert repo.vulnerability_alerts and repo.automated_security_fixes
    assert repo.workflow_permissions["default_workflow_permissions"] == "read"
    assert repo.default_setup == "not-configured"
    created = [r for r in fake.calls("POST", "/user/repos") if r.status == 201]
    assert len(created) == 1
    rulesets = [r for r in fake.calls("POST", f"{R}/rulesets") if r.status == 201]
    assert len(rulesets) == 1


@pytest.mark.parametrize("step", list(FAILURES))
def test_each_step_fails_once_then_resume_finishes(
    step: str,
    fake_github: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable,
    catalog_file: Path,
) -> None:
    method, path, status, code = FAILURES[step]
    fake_github.state.new_repo_defaults = {"default_setup": "configured"}
    project = new_service()
    fake_github.fail(method, path, status=status, times=10, message="injected failure")
    # public: every switch (secret scanning, PVR, code scanning) is available and exercised
    first = run_cli(["publish", project, "--public", "--catalog", catalog_file, "--json"])
    assert first.code == code, first.stderr
    error = first.json()["error"]
    assert "injected failure" in first.stderr or step == "push"
    if code == 3:
        assert error["code"] == "partial-success"
        assert error["failed"] == step.split(":")[0]
        assert error["resume"].startswith(f"scaffolder publish {project}")
        resume = shlex.split(error["resume"])[1:]
    else:
        assert fake_github.state.repos == {}  # exit 5: GitHub refused before any write
        resume = ["publish", str(project), "--public", "--catalog", str(catalog_file)]
    fake_github.faults.clear()
    second = run_cli([*resume, "--json"])
    assert second.code == 0, second.stderr
    finished(fake_github)
    repo = fake_github.state.repos[("alice", "payments-api")]
    assert repo.secret_scanning == repo.push_protection == "enabled"
    assert repo.private_vulnerability_reporting
    assert catalog_file.read_text().count("payments-api/blob/main/catalog-info.yaml") == 1


def test_catalog_step_fails_then_resume_finishes(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable, catalog_file: Path
) -> None:
    project = new_service()
    good = catalog_file.read_text()
    catalog_file.write_text("kind: [not a catalog\n")
    first = run_cli(["publish", project, "--json"])
    assert first.code == 3
    assert first.json()["error"]["failed"] == "catalog"
    assert first.json()["result"]["repository"]["full_name"] == "alice/payments-api"
    catalog_file.write_text(good)
    second = run_cli(["publish", project, "--json"])
    assert second.code == 0, second.stderr
    finished(fake_github)
    text = catalog_file.read_text()
    assert "blob/main/catalog-info.yaml" in text and str(project) not in text


@pytest.mark.parametrize("step", ["repository", "protection", "security: Actions", "push"])
def test_transient_failure_is_retried_within_the_run(
    step: str, fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    method, path, _, _ = FAILURES[step]
    project = new_service()
    fake_github.fail(method, path, status=502, times=1)
    result = run_cli(["publish", project])
    assert result.code == 0, result.stderr
    assert len(fake_github.calls(method, path)) == 2
    finished(fake_github)


@pytest.mark.parametrize("method,path", [("POST", "/user/repos"), ("POST", f"{R}/rulesets")])
def test_create_that_timed_out_but_landed_is_not_repeated(
    method: str,
    path: str,
    fake_github: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable,
) -> None:
    project = new_service()
    # The fake answers after 1.3 s; the client gives up after 1 s, but the write lands.
    fake_github.fail(method, path, status=None, delay=1.3, times=1)
    result = run_cli(["publish", project])
    assert result.code == 0, result.stderr
    finished(fake_github)


def test_rate_limited_write_waits_and_succeeds(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable
) -> None:
    project = new_service()
    fake_github.fail(
        "PUT",
        f"{R}/vulnerability-alerts",
        status=403,
        times=2,
        headers={"Retry-After": "1"},
        message="You have exceeded a secondary rate limit.",
    )
    result = run_cli(["publish", project])
    assert result.code == 0, result.stderr
    assert len(fake_github.calls("PUT", f"{R}/vulnerability-alerts")) == 3
    finished(fake_github)


def test_new_publish_that_fails_partway_resumes_with_publish(
    fake_github: FakeGitHub, run_cli: Callable, tmp_path: Path
) -> None:
    dst = tmp_path / "payments-api"
    fake_github.fail("PUT", f"{R}/vulnerability-alerts", status=403, message="injected failure")
    first = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            "--set",
            "owner=group:x",
            "--no-input",
            "--publish",
            "--json",
        ]
    )
    assert first.code == 3, first.stderr
    data = first.json()
    assert data["error"]["failed"] == "security"
    assert data["error"]["done"][:5] == ["identity", "resolve", "render", "commit", "register"]
    scaffold = data["result"]
    assert scaffold["answers"]["github_owner"] == "alice"
    assert scaffold["repository"]["repository"]["full_name"] == "alice/payments-api"
    resume = shlex.split(data["error"]["resume"])
    assert resume[:3] == ["scaffolder", "publish", str(dst)]
    second = run_cli([*resume[1:], "--json"])
    assert second.code == 0, second.stderr
    finished(fake_github)
