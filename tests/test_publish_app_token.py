"""`publish` with a GitHub App installation token, as a CI job has (through the real CLI).

GitHub answers such a token's `GET /user` with 403 "Resource not accessible by integration":
it belongs to no user. It publishes to the organisation the app is installed on, named with
`--github-owner`; in the fake, the installation is the app's bot account being a member of
`acme`. Pushes go over real git with the token as the `x-access-token` password, into the
bare repository the fake serves.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ANSWERS, CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake

Run = Callable[[Sequence[str]], CliResult]

APP = "ghs_PUBLISHappinstallation0123456789abcdEF"


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, identity=True)
    bot = fake.state.add_app_token(APP)
    fake.state.accounts["acme"].members.add(bot)  # the app installed on acme
    monkeypatch.setenv("GH_TOKEN", APP)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def project(run_cli: Run, tmp_path: Path) -> Path:
    dst = tmp_path / "payments-api"
    result = run_cli(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--no-input", "--no-register"]
    )
    assert result.code == 0, result.stderr
    return dst


def publish(run_cli: Run, project: Path, *extra: str | Path) -> CliResult:
    return run_cli(["publish", project, "--no-register", "--json", *extra])


def test_an_installation_token_publishes_to_the_organisation_it_is_installed_on(
    run_cli: Run, fake: FakeGitHub, project: Path
) -> None:
    result = publish(run_cli, project, "--github-owner", "acme")
    assert result.code == 0, result.stdout + result.stderr
    body = result.json()["result"]
    assert body["identity"] is None  # no user: the app's
    (identity,) = [s for s in body["steps"] if s["name"] == "identity"]
    assert "a GitHub App installation" in identity["detail"]
    assert "owner acme (organisation)" in identity["detail"]
    repo = fake.state.repos[("acme", "payments-api")]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    pushed = subprocess.run(
        ["git", "--git-dir", str(fake.state.bare_path("acme", repo.name)), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert pushed == head
    assert fake.calls("POST", "/orgs/acme/repos")
    assert APP not in (project / ".git" / "config").read_text()
    assert APP not in result.stdout + result.stderr

    again = publish(run_cli, project, "--github-owner", "acme")  # a finished repository
    assert again.code == 0, again.stdout + again.stderr


def test_an_installation_token_without_an_owner_says_to_name_the_organisation(
    run_cli: Run, fake: FakeGitHub, project: Path
) -> None:
    result = publish(run_cli, project)
    assert result.code == 2, result.stdout + result.stderr
    error = result.json()["error"]
    assert "GitHub App installation" in error["message"]
    assert "--github-owner ORG" in error["hint"]
    assert fake.writes() == []
    text = run_cli(["publish", project, "--no-register"])
    assert text.code == 2
    assert "Traceback" not in text.stderr
    assert "hint: pass --github-owner ORG" in text.stderr


def test_an_installation_token_cannot_publish_under_a_user_account(
    run_cli: Run, fake: FakeGitHub, project: Path
) -> None:
    result = publish(run_cli, project, "--github-owner", "bob")
    assert result.code == 5, result.stdout + result.stderr
    assert "bob is not an organisation" in result.json()["error"]["message"]
    assert fake.writes() == []


@pytest.mark.parametrize("allowed", [True, False])
def test_the_access_policy_decides_whether_an_app_token_may_publish(
    run_cli: Run, fake: FakeGitHub, project: Path, tmp_path: Path, allowed: bool
) -> None:
    """A policy with identity rules refuses a token of no user unless it allows app tokens."""
    policy = tmp_path / "policy.toml"
    policy.write_text(
        textwrap.dedent(
            f"""\
            version = 1

            [identity]
            email_domains = ["acme.example"]
            allow_app_tokens = {str(allowed).lower()}

            [where]
            owners = ["acme"]
            """
        )
    )
    result = publish(run_cli, project, "--github-owner", "acme", "--policy", policy)
    if allowed:
        assert result.code == 0, result.stdout + result.stderr
        assert ("acme", "payments-api") in fake.state.repos
        assert len(fake.calls("GET", "/user")) == 1  # identity and the policy: one question
    else:
        assert result.code == 6, result.stdout + result.stderr
        assert result.json()["error"]["rule"] == "identity.token"
        assert fake.writes() == []


def test_new_publish_with_an_installation_token(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path
) -> None:
    """A CI job scaffolding and publishing in one command."""
    dst = tmp_path / "orders-api"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            *STANDARD_ANSWERS,
            "--set",
            "name=orders-api",
            "--no-input",
            "--no-register",
            "--publish",
            "--github-owner",
            "acme",
            "--json",
        ]
    )
    assert result.code == 0, result.stdout + result.stderr
    assert ("acme", "orders-api") in fake.state.repos
