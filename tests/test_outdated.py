"""`scaffolder outdated`: projects made with the real CLI, GitHub repositories on the fake
GitHub (real PyGithub over HTTP), templates in folders and in git repositories with tags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scaffolder.render.registry import baseline_layer, resolve_template
from tests.catalog_helpers import entity, write_entities
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN, start_fake
from tests.helpers import make_template
from tests.source_helpers import git, metadata, tagged_repository

BASELINE = baseline_layer().version
PYTHON = resolve_template("python-service").version


def _rows(result) -> dict[str, dict]:
    return {row["name"]: row for row in result.json()["result"]["repositories"]}


def _versions(row: dict) -> tuple:
    baseline = row["baseline"]
    return (
        row["outcome"],
        row["template"]["name"],
        row["template"]["recorded"],
        row["template"]["newest"],
        baseline and baseline["recorded"],
        baseline and baseline["newest"],
    )


@pytest.fixture
def local_fleet(run_cli, new_service, tmp_path) -> dict[str, Path]:
    """Three projects made with `scaffolder new`, registered in the default catalog:
    `current` (today's built-in template), `tool` (a template folder made at 1.0.0 and since
    bumped to 1.1.0) and `legacy` (its initial commit as the 1.0.0 release wrote it: template
    1.0.0, no baseline trailer)."""
    made = {
        "current": new_service("python-service", "--set", "lifecycle=production", name="current")
    }
    template = make_template(tmp_path / "tpl", metadata("Acme tool", "1.0.0"))
    made["tool"] = new_service(str(template), name="tool")
    config = template / "copier.yml"
    config.write_text(config.read_text().replace('version: "1.0.0"', 'version: "1.1.0"'))
    legacy = made["legacy"] = new_service("python-service", name="legacy")
    git(
        legacy,
        "commit",
        "--amend",
        "-q",
        "-m",
        "Initial commit from the python-service 1.0.0 template",
        "-m",
        "Created with scaffolder (template source: python-service 1.0.0).",
    )
    for folder in made.values():
        assert run_cli(["catalog", "register", folder]).code == 0
    return made


def test_local_projects_behind_their_template_or_baseline(run_cli, local_fleet):
    result = run_cli(["outdated", "--json"])
    assert result.code == 1, result.stderr
    rows = _rows(result)
    assert _versions(rows["current"]) == (
        "ok",
        "python-service",
        PYTHON,
        PYTHON,
        BASELINE,
        BASELINE,
    )
    assert _versions(rows["tool"]) == ("finding", "tpl", "1.0.0", "1.1.0", BASELINE, BASELINE)
    assert _versions(rows["legacy"]) == (
        "finding",
        "python-service",
        "1.0.0",
        PYTHON,
        None,
        BASELINE,
    )
    assert rows["tool"]["reason"] == "template tpl 1.0.0 -> 1.1.0"
    assert (
        rows["legacy"]["reason"]
        == f"template python-service 1.0.0 -> {PYTHON}, baseline unrecorded -> {BASELINE}"
    )
    assert rows["current"]["read_from"] == str(local_fleet["current"])
    # The envelope's result: one entry per repository, each with its own outcome.
    assert set(rows["tool"]) == {
        *("name", "ref", "repository", "folder", "github", "outcome", "reason"),
        *("read_from", "template", "baseline"),
    }
    assert rows["tool"]["template"] == {
        "name": "tpl",
        "recorded": "1.0.0",
        "newest": "1.1.0",
        "behind": True,
    }
    assert result.json()["result"]["selection"] == {
        "lifecycle": [],
        "owner": [],
        "system": [],
        "shard": None,
        "concurrency": 4,
    }
    assert result.json()["result"]["counts"] == {"current": 1, "behind": 2, "failed": 0}

    text = run_cli(["outdated"])
    assert text.code == 1
    lines = text.stdout.splitlines()
    assert f"current  current: template python-service {PYTHON}, baseline {BASELINE}" in lines
    assert f"tool     behind: template tpl 1.0.0 -> 1.1.0, baseline {BASELINE}" in lines
    assert lines[-1].endswith(": 1 current, 2 behind, 0 failed")
    assert "[3/3]" in text.stderr  # progress, on stderr


def test_all_current_is_exit_0_and_the_selection_filters(run_cli, local_fleet):
    result = run_cli(["outdated", "--lifecycle", "production", "--json"])
    assert result.code == 0, result.stdout
    assert list(_rows(result)) == ["current"]
    assert result.json()["result"]["selection"]["lifecycle"] == ["production"]
    assert run_cli(["outdated", "--owner", "group:nobody"]).code == 0
    behind = run_cli(["outdated", "--lifecycle", "experimental", "--owner", "payments", "--json"])
    assert behind.code == 1 and sorted(_rows(behind)) == ["legacy", "tool"]
    assert run_cli(["outdated", "--system", "billing", "--json"]).json()["result"]["selected"] == 0


def test_a_git_hosted_template_is_compared_with_its_newest_release_tag(
    run_cli, new_service, tmp_path
):
    repository = tagged_repository(tmp_path / "src" / "worker", ["v1.0.0"])
    made = new_service(str(repository), name="worker")
    answers = yaml.safe_load((made / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"  # copier recorded the tag
    assert run_cli(["catalog", "register", made]).code == 0
    assert run_cli(["outdated"]).code == 0
    tagged_repository(tmp_path / "next", ["v1.1.0"])  # the next release, pushed as a new tag
    git(repository, "fetch", "-q", str(tmp_path / "next"), "refs/tags/v1.1.0:refs/tags/v1.1.0")
    git(repository, "tag", "v2.0.0rc1", "refs/tags/v1.1.0")  # pre-releases are not newest
    result = run_cli(["outdated", "--json"])
    assert result.code == 1, result.stderr
    assert _versions(_rows(result)["worker"])[:4] == ("finding", "worker", "1.0.0", "1.1.0")


# -- repositories on GitHub --------------------------------------------------------------------
@pytest.fixture
def github(tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, timeout="5")
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def _entity_text(name: str, version: str | None = None) -> str:
    doc = entity(name, annotations={"github.com/project-slug": f"acme/{name}"})
    if version:
        doc["metadata"]["labels"] = {"scaffolder.io/template-version": version}
    return yaml.safe_dump(doc, sort_keys=False)


#: What today's release writes: `_src_path` where that scaffolder was installed, no versions.
OLD_ANSWERS = (
    "_src_path: /opt/venv/lib/python3.11/site-packages/scaffolder/_templates/python-service\n"
    "name: gh-old\nowner: group:payments\n"
)
OLD_BASELINE = "_src_path: /opt/venv/lib/python3.11/site-packages/scaffolder/_templates/_baseline\n"


@pytest.fixture
def github_fleet(run_cli, github, tmp_path) -> list[str]:
    """Five components on GitHub, registered by URL but one (a local entity file naming its
    repository by slug, with no local project)."""
    github.seed(
        "acme",
        "gh-old",
        {
            "catalog-info.yaml": _entity_text("gh-old", "1.0.0"),
            ".copier-answers.yml": OLD_ANSWERS,
            ".copier-answers.baseline.yml": OLD_BASELINE,
        },
    )
    github.seed(
        "acme",
        "gh-new",
        {
            "catalog-info.yaml": _entity_text("gh-new"),
            ".copier-answers.yml": OLD_ANSWERS + f"_scaffolder_template_version: {PYTHON}\n",
            ".copier-answers.baseline.yml": OLD_BASELINE
            + f"_scaffolder_baseline_version: {BASELINE}\n",
        },
    )
    github.seed(
        "acme",
        "gh-bad",
        {"catalog-info.yaml": _entity_text("gh-bad"), ".copier-answers.yml": "name: [unclosed\n"},
    )
    github.seed("acme", "gh-none", {"catalog-info.yaml": _entity_text("gh-none")})
    for name in ("gh-old", "gh-new", "gh-bad", "gh-none"):
        url = f"{github.web_url}/acme/{name}/blob/main/catalog-info.yaml"
        assert run_cli(["catalog", "register", url]).code == 0
    local = write_entities(
        tmp_path / "checkout",
        entity("gh-slug", annotations={"github.com/project-slug": "acme/gh-new"}),
    )
    assert run_cli(["catalog", "register", local]).code == 0
    return ["gh-old", "gh-new", "gh-bad", "gh-none", "gh-slug"]


def test_github_repositories_read_through_the_contents_api(run_cli, github, github_fleet):
    result = run_cli(["outdated", "--json"])
    assert result.code == 3, result.stderr  # some could not be read: 3 wins over 1
    rows = _rows(result)
    assert list(rows) == github_fleet
    assert _versions(rows["gh-old"]) == (
        "finding",
        "python-service",
        "1.0.0",
        PYTHON,
        None,
        BASELINE,
    )
    assert _versions(rows["gh-new"]) == ("ok", "python-service", PYTHON, PYTHON, BASELINE, BASELINE)
    assert rows["gh-slug"]["outcome"] == "ok" and rows["gh-slug"]["read_from"] == "acme/gh-new"
    assert rows["gh-bad"]["outcome"] == "failed"
    assert "not valid YAML at line 2" in rows["gh-bad"]["reason"]
    assert set(rows["gh-bad"]) == {
        *("name", "ref", "repository", "folder", "github", "outcome", "reason"),
    }
    assert rows["gh-bad"]["github"] == "acme/gh-bad" and rows["gh-bad"]["folder"] is None
    assert rows["gh-none"]["outcome"] == "failed"
    assert rows["gh-none"]["reason"].startswith("acme/gh-none has no .copier-answers.yml")
    assert result.json()["ok"] is False and result.json()["exit_code"] == 3
    text = run_cli(["outdated"])
    assert text.code == 3
    assert "gh-bad   failed: acme/gh-bad:.copier-answers.yml: not valid YAML" in text.stdout
    for out in (result.stdout, result.stderr, text.stdout, text.stderr):
        assert TOKEN not in out
    reads = github.calls("GET", r"/repos/acme/[^/]+/contents/.*")
    assert reads and all(r.authorized for r in reads)


def test_shards_split_the_fleet_and_concurrency_changes_nothing(run_cli, github, github_fleet):
    shares = []
    for k in (1, 2, 3):
        result = run_cli(["outdated", "--shard", f"{k}/3", "--json"])
        assert result.code in (0, 1, 3)
        shares.append(list(_rows(result)))
    assert sorted(n for share in shares for n in share) == sorted(github_fleet)
    assert len({n for share in shares for n in share}) == len(github_fleet)  # disjoint

    def repositories(concurrency: str) -> list[dict]:
        result = run_cli(["outdated", "--concurrency", concurrency, "--json"])
        assert result.code == 3
        return result.json()["result"]["repositories"]

    assert repositories("1") == repositories("8")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--shard", "3/2"], "error: --shard 3/2: K must be from 1 to N"),
        (["--shard", "two"], "error: --shard 'two' is not K/N"),
        (["--concurrency", "0"], "error: --concurrency 0: give a number from 1 to 64"),
        (["--owner", "group:"], "error: --owner 'group:'"),
    ],
)
def test_bad_selection_flags_are_usage_errors(run_cli, flags, message):
    result = run_cli(["outdated", *flags])
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_concurrency_that_is_no_number_is_refused_by_the_parser(run_subprocess):
    result = run_subprocess(["outdated", "--concurrency", "many"])
    assert result.code == 2
    assert "--concurrency: invalid int value: 'many'" in result.stderr
