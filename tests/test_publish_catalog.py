"""Publishing meets the catalog: a catalog repository on GitHub gets a pull request for the
published repository, and `new --publish` works with templates that have no baseline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import STANDARD_ANSWERS
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake
from tests.helpers import make_template

CATALOG = "github:acme/backstage-catalog/catalog/all.yaml"


@pytest.fixture
def github(tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, timeout="5")
    fake.seed("acme", "backstage-catalog", {"catalog/all.yaml": "# reviewed by platform\n"})
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def _proposed_targets(github: FakeGitHub) -> list[str]:
    (pull,) = github.pulls("acme", "backstage-catalog")
    text = github.read("acme", "backstage-catalog", "catalog/all.yaml", pull["head"]["ref"])
    assert text is not None and text.startswith("# reviewed by platform\n")
    specs = [doc["spec"] for doc in yaml.safe_load_all(text) if doc]
    return [t for spec in specs for t in spec.get("targets", [spec.get("target")]) if t]


def test_new_publish_proposes_the_repository_to_a_catalog_on_github(
    run_cli, github, tmp_path, catalog_file
):
    dst = tmp_path / "payments-api"
    result = run_cli(
        [
            "new",
            "python-service",
            "-o",
            dst,
            *STANDARD_ANSWERS,
            "--publish",
            "--github-owner",
            "acme",
            "--catalog",
            CATALOG,
            "--json",
        ]
    )
    assert result.code == 0, result.stderr
    payload = result.json()
    url = f"{github.web_url}/acme/payments-api/blob/main/catalog-info.yaml"
    assert _proposed_targets(github) == [url]
    assert (
        payload["result"]["repository"]["catalog"]["pull_request"]
        == github.pulls("acme", "backstage-catalog")[0]["html_url"]
    )
    assert not catalog_file.exists()  # nothing registered locally: the catalog is on GitHub
    # The catalog file on main is untouched until the platform team merges.
    assert (
        github.read("acme", "backstage-catalog", "catalog/all.yaml") == "# reviewed by platform\n"
    )


def test_publish_to_a_catalog_on_github_twice_opens_one_pull_request(run_cli, github, new_service):
    project = new_service("python-service", "--set", "github_owner=acme", "--no-register")
    for _ in range(2):
        result = run_cli(["publish", project, "--catalog", CATALOG])
        assert result.code == 0, result.stderr
    assert len(github.pulls("acme", "backstage-catalog")) == 1
    assert len(_proposed_targets(github)) == 1


def test_a_catalog_on_github_without_publish_is_refused_before_writing(run_cli, tmp_path):
    dst = tmp_path / "svc"
    result = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--catalog", CATALOG])
    assert result.code == 2
    assert "add --publish" in result.stderr
    assert not dst.exists()


def test_new_publish_with_a_template_without_the_baseline(run_cli, github, tmp_path):
    template = make_template(tmp_path / "tpl", extra_config="_scaffolder:\n  baseline: false\n")
    dst = tmp_path / "plain"
    result = run_cli(
        ["new", str(template), "-o", dst, *STANDARD_ANSWERS, "--publish", "--no-register", "--json"]
    )
    # The owner is not forced on a template that does not ask for it; publishing goes on,
    # and says plainly that there is no ruleset to apply.
    assert result.code == 0, result.stderr
    assert any("branches left unprotected" in w for w in result.json()["warnings"])
    assert ("alice", "plain") in github.state.repos
    assert result.json()["result"]["answers"].get("github_owner") is None
    assert Path(dst / "README.md").is_file()
