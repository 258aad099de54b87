"""The access policy enforced by `update` (one project) and the fleet update (issue 16).

The fleet update checks identity and token once, before it reads or writes any repository; each
repository's template source is checked by its own update (the child gets `--policy`). Real
HTTP to the fake GitHub (identity and catalog routes), real git, real copier, the real CLI.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from scaffolder.render.registry import TEMPLATES_DIR_ENV
from tests.catalog_helpers import entity, location_catalog, write_entities
from tests.conftest import CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake
from tests.test_update import newer_templates

Run = Callable[[Sequence[str]], CliResult]

CLASSIC = "ghp_UPDATEclassic0123456789abcdefABCDEF01"
GMAIL_ONLY = "ghp_UPDATEbobtoken0123456789abcdefABCDEF"
ANSWERS = ["--set", "owner=group:payments", "--set", "github_owner=acme", "--no-input"]
IDENTITY = 'version = 1\n[identity]\nemail_domains = ["acme.example"]\norganizations = ["acme"]\n'
NO_BUILTIN = IDENTITY + "[templates]\nbuiltin = false\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def github(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(
        tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, identity=True, timeout="10"
    )
    fake.state.add_token("alice", CLASSIC, scopes=("repo", "user:email", "read:org"))
    fake.state.add_token("bob", GMAIL_ONLY, scopes=("repo", "user:email"))
    fake.state.add_email("alice", "alice@acme.example", primary=True)
    fake.state.add_email("bob", "bob@gmail.example", primary=True)
    monkeypatch.setenv("GH_TOKEN", CLASSIC)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def project(run_cli: Run, tmp_path: Path) -> Path:
    dst = tmp_path / "svc"
    made = run_cli(["new", "python-service", "-o", dst, "--no-register", *ANSWERS])
    assert made.code == 0, made.stderr
    return dst


@pytest.fixture
def fleet(
    github: FakeGitHub, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Two repositories on the fake made with today's baseline, the newer baseline installed;
    returns the catalog file."""
    targets = []
    for name in ("svc-a", "svc-b"):
        github.state.add_repo("acme", name, private=True)
        git(project, "push", "-q", str(github.state.bare_path("acme", name)), "main:main")
        doc = entity(
            name, owner="group:payments", annotations={"github.com/project-slug": f"acme/{name}"}
        )
        targets.append(str(write_entities(tmp_path / "entities" / name, doc)))
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(tmp_path / "next")))
    return location_catalog(tmp_path / "all.yaml", targets)


def fleet_update(run_cli: Run, catalog: Path, *extra: str | Path) -> CliResult:
    return run_cli(["update", "--catalog", catalog, "--pull-request", "--json", *extra])


# -- one project ----------------------------------------------------------------------------
def test_update_refuses_a_template_the_policy_does_not_allow_before_writing(
    run_cli: Run, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(tmp_path / "next")))
    branches = git(project, "branch", "--list")
    head = git(project, "rev-parse", "HEAD")
    policy = write(tmp_path, "policy.toml", "version = 1\n[templates]\nbuiltin = false\n")
    result = run_cli(["update", project, "--policy", policy, "--json"])
    assert result.code == 6, result.stderr
    error = result.json()["error"]
    assert (error["rule"], error["value"]) == ("templates.source", "python-service")
    assert git(project, "branch", "--list") == branches
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""

    allowed = write(tmp_path, "allowed.toml", "version = 1\n[templates]\nbuiltin = true\n")
    updated = run_cli(["update", project, "--policy", allowed, "--json"])
    assert updated.code == 0, updated.stderr
    assert updated.json()["result"]["status"] == "updated"


# -- the fleet ------------------------------------------------------------------------------
def test_fleet_update_refused_by_identity_reads_and_writes_no_repository(
    run_cli: Run,
    github: FakeGitHub,
    fleet: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GH_TOKEN", GMAIL_ONLY)
    start = len(github.requests)
    result = fleet_update(run_cli, fleet, "--policy", write(tmp_path, "p.toml", IDENTITY))
    assert result.code == 6, result.stderr
    error = result.json()["error"]
    assert error["rule"] == "identity.email_domain"
    assert "bob@gmail.example (verified)" in error["message"]
    asked = [(method, path) for method, path, _ in github.log(start)]
    # Only the identity routes: no repository was read, fetched or written.
    assert asked == [
        ("GET", "/user"),
        ("GET", "/user/emails"),
        ("GET", "/user/memberships/orgs/acme"),
    ]
    assert github.writes() == []
    assert github.pulls("acme", "svc-a") == [] and github.pulls("acme", "svc-b") == []


def test_fleet_update_checks_each_repositorys_template_under_the_policy(
    run_cli: Run, github: FakeGitHub, fleet: Path, tmp_path: Path
) -> None:
    result = fleet_update(run_cli, fleet, "--policy", write(tmp_path, "p.toml", NO_BUILTIN))
    assert result.code == 3, result.stderr
    rows = result.json()["result"]["repositories"]
    assert [row["status"] for row in rows] == ["failed", "failed"]
    for row in rows:
        assert "refused by the access policy (templates.source)" in row["reason"]
    assert github.writes() == []
    # Identity was checked once for the run, not once per repository.
    assert len(github.calls("GET", "/user/emails")) == 1


def test_fleet_update_allowed_by_the_policy_proposes_as_before(
    run_cli: Run, github: FakeGitHub, fleet: Path, tmp_path: Path
) -> None:
    result = fleet_update(run_cli, fleet, "--policy", write(tmp_path, "p.toml", IDENTITY))
    assert result.code == 0, result.stderr
    assert result.json()["result"]["counts"]["updated"] == 2
    assert "access: identity and token, once for the run" in result.stderr
    assert len(github.pulls("acme", "svc-a")) == 1 and len(github.pulls("acme", "svc-b")) == 1
