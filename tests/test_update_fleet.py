"""`scaffolder update --catalog FILE --pull-request`: the fleet update on the fake GitHub.

Real HTTP (PyGithub to the fake's API), real git (fetches and pushes into the bare repositories
the fake serves), real copier, the real CLI. The repositories are made with today's templates by
`scaffolder new` and pushed to the fake; the newer baseline (9.9.0) comes from a copy of the
built-in templates through `$SCAFFOLDER_TEMPLATES_DIR` (`tests/test_update.py`'s fixture).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffolder.errors import GitHubRateLimitError
from scaffolder.github.pulls import WritePacer
from scaffolder.render.registry import TEMPLATES_DIR_ENV, baseline_layer
from tests.catalog_helpers import entity, location_catalog, write_entities
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN, start_fake
from tests.test_publish_secrets import SECRETS, files_holding_a_secret, git_argv_log
from tests.test_update import CI, NEW_PIN, NEXT_VERSION, OLD_PIN, newer_templates

__all__ = ["git_argv_log"]  # the fixture, imported to be used here

COUNT = 20
SHIPPED = baseline_layer().version  # read before the newer templates are installed
NAMES = [f"svc-{i:02d}" for i in range(COUNT)]
#: Repositories whose owner is `group:web` (the others: group:payments).
WEB = {"svc-00", "svc-01", "svc-02"}
CONFLICTED = "svc-03"
GONE = "svc-gone"  # in the catalog, not on GitHub
#: The one proposal branch per template, whatever the versions (`rollout.proposal_branch`).
BRANCH = "scaffolder/update-python-service"
LATER = "9.9.1"
ANSWERS = ["--set", "owner=group:payments", "--set", "github_owner=acme", "--no-input"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def github(tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, timeout="10")
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def _push_to_fake(fake: FakeGitHub, project: Path, name: str) -> None:
    fake.state.add_repo("acme", name, private=True)
    bare = fake.state.bare_path("acme", name)
    git(project, "push", "-q", str(bare), "main:main")


def _catalog(root: Path, names: list[str]) -> Path:
    targets = []
    for name in names:
        owner = "group:web" if name in WEB else "group:payments"
        doc = entity(name, owner=owner, annotations={"github.com/project-slug": f"acme/{name}"})
        targets.append(str(write_entities(root / "entities" / name, doc)))
    catalog = root / "all.yaml"
    return location_catalog(catalog, targets)


@pytest.fixture
def fleet(run_cli, github, tmp_path, monkeypatch) -> Path:
    """20 repositories on the fake made with today's baseline (one with a local edit that the
    newer baseline conflicts with), a catalog naming them and one that does not exist, and the
    newer baseline installed. Returns the catalog file."""
    project = tmp_path / "svc"
    made = run_cli(["new", "python-service", "-o", project, "--no-register", *ANSWERS])
    assert made.code == 0, made.stderr
    for name in NAMES:
        if name != CONFLICTED:
            _push_to_fake(github, project, name)
    ci = project / CI
    ci.write_text(ci.read_text().replace(OLD_PIN, OLD_PIN + " (our own pin)"))
    git(project, "commit", "-q", "-am", "ci: our own pin")
    _push_to_fake(github, project, CONFLICTED)
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(tmp_path / "next")))
    return _catalog(tmp_path, [*NAMES, GONE])


def _rows(result) -> dict[str, dict]:
    return {row["name"].split("/")[-1]: row for row in result.json()["result"]["repositories"]}


def _update(run_cli, catalog: Path, *extra: str):
    return run_cli(["update", "--catalog", catalog, "--pull-request", "--json", *extra])


def test_the_fleet_gets_one_pull_request_each_and_a_second_run_writes_nothing(
    run_cli, github, fleet, git_argv_log
) -> None:
    # A shard first: only its share is touched.
    shard = _update(run_cli, fleet, "--shard", "1/2", "--concurrency", "4")
    shard_rows = _rows(shard)
    in_shard = {n for n in NAMES if n in shard_rows}
    assert 0 < len(in_shard) < COUNT
    assert {n for n in NAMES if github.pulls("acme", n)} == in_shard

    start = len(github.requests)
    first = _update(run_cli, fleet, "--concurrency", "8")
    assert first.code == 3, first.stderr
    envelope = first.json()
    assert (envelope["ok"], envelope["exit_code"]) == (False, 3)
    rows = _rows(first)
    assert envelope["result"]["counts"] == {
        "updated": COUNT - 1, "up-to-date": 0, "conflict": 1, "failed": 1, "planned": 0,
    }, first.stderr  # fmt: skip
    for name in NAMES:
        pulls = github.pulls("acme", name)
        assert len(pulls) == 1, name  # the shard's were found again, not opened twice
        assert pulls[0]["head"]["ref"] == BRANCH and pulls[0]["base"]["ref"] == "main"
        row = rows[name]
        assert row["pull_request"]["number"] == pulls[0]["number"]
        assert row["pull_request"]["action"] == ("unchanged" if name in in_shard else "opened")
        ci = github.read("acme", name, CI, ref=BRANCH)
        assert ci is not None and NEW_PIN in ci
        assert github.read("acme", name, CI) is not None and NEW_PIN not in github.read(
            "acme", name, CI
        )  # main is untouched
    ok = github.pulls("acme", "svc-05")[0]
    assert ok["title"] == f"Update to template python-service 1.1.0 and baseline {NEXT_VERSION}"
    assert f"| baseline | {SHIPPED} | {NEXT_VERSION} |" in ok["body"]
    assert f"- `{CI}`" in ok["body"] and "- `.github/dependabot.yml`" in ok["body"]
    # The conflict: pushed with its markers, the pull request marked as needing work.
    conflict = rows[CONFLICTED]
    assert (conflict["status"], conflict["outcome"], conflict["conflicts"]) == (
        "conflict", "failed", [CI],
    )  # fmt: skip
    marked = github.pulls("acme", CONFLICTED)[0]
    assert marked["title"].startswith("[conflict] ") and f"`{CI}`" in marked["body"]
    assert "<<<<<<<" in (github.read("acme", CONFLICTED, CI, ref=BRANCH) or "")
    # The repository that is not there: failed with the reason, the rest done.
    gone = rows[GONE]
    assert gone["status"] == "failed" and "acme/svc-gone" in gone["reason"]
    # Only the second shard's pull requests were opened; the first shard's needed no write.
    opened = [r for r in github.requests[start:] if r.method == "POST" and r.kind == "api"]
    assert len(opened) == COUNT - len(in_shard)

    # The second run: nothing to write anywhere.
    start = len(github.requests)
    second = _update(run_cli, fleet, "--concurrency", "8")
    assert second.code == 3
    assert second.json()["result"]["counts"]["updated"] == COUNT - 1
    log = github.log(start)
    assert not [entry for entry in log if entry[2]], "an API write on the second run"
    assert not [p for m, p, _ in log if m == "GIT" and "receive-pack" in p], "a push"
    assert all(len(github.pulls("acme", n)) == 1 for n in NAMES)
    actions = {r["pull_request"]["action"] for r in _rows(second).values() if r.get("pull_request")}
    assert actions == {"unchanged"}

    # The token: in no output, no git argument, no file the run left.
    for result in (shard, first, second):
        assert TOKEN not in result.stdout + result.stderr
    argv = git_argv_log.read_bytes()
    assert b"fetch" in argv and b"push" in argv, "the shim saw the git calls"
    assert not any(secret in argv for secret in SECRETS), "token in a git argv"
    assert not files_holding_a_secret(fleet.parent / "entities", github.state.git_root)


def test_a_human_commit_on_the_branch_is_never_overwritten(run_cli, github, fleet) -> None:
    first = _update(run_cli, fleet, "--owner", "web")
    assert first.code == 0, first.stderr
    assert set(_rows(first)) == WEB
    human = github.seed("acme", "svc-00", {"NOTES.md": "ours\n"}, branch=BRANCH, message="notes")
    # main moves too, so the update's merge differs from the branch
    github.seed("acme", "svc-00", {"README.extra": "x\n"}, message="docs")
    github.seed("acme", "svc-01", {"README.extra": "x\n"}, message="docs")
    start = len(github.requests)

    again = _update(run_cli, fleet, "--owner", "web", "--concurrency", "1")

    assert again.code == 3
    rows = _rows(again)
    assert rows["svc-00"]["status"] == "failed"
    assert "commits scaffolder did not make" in rows["svc-00"]["reason"]
    assert human[:7] in rows["svc-00"]["reason"] and "'notes'" in rows["svc-00"]["reason"]
    assert (
        github.state.resolve(github.state.repos[("acme", "svc-00")], f"refs/heads/{BRANCH}")
        == human
    )
    # svc-01's branch is scaffolder's own: force-pushed to the new merge, same pull request.
    assert rows["svc-01"]["status"] == "updated"
    assert rows["svc-01"]["pull_request"]["action"] == "pushed"
    assert github.read("acme", "svc-01", "README.extra", ref=BRANCH) == "x\n"
    assert rows["svc-02"]["pull_request"]["action"] == "unchanged"
    assert [p for p in github.log(start) if p[2]] == []  # pushes only, no API write
    assert all(len(github.pulls("acme", n)) == 1 for n in WEB)


def test_up_to_date_dry_run_and_bad_flags(run_cli, github, fleet, monkeypatch) -> None:
    monkeypatch.delenv(TEMPLATES_DIR_ENV)  # today's templates: every repository is current
    start = len(github.requests)
    current = _update(run_cli, fleet, "--system", "none", "--owner", "web")
    assert current.code == 0 and current.json()["result"]["selected"] == 0
    current = _update(run_cli, fleet, "--owner", "web")
    assert current.code == 0, current.stderr
    assert {r["status"] for r in _rows(current).values()} == {"up-to-date"}
    assert not [p for p in github.log(start) if p[2] or "receive-pack" in p[1]]
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(fleet.parent / "next2")))
    planned = _update(run_cli, fleet, "--owner", "web", "--dry-run")
    assert planned.code == 0, planned.stderr
    assert {r["status"] for r in _rows(planned).values()} == {"planned"}
    assert not [p for p in github.log(start) if p[2] or "receive-pack" in p[1]]
    assert not any(github.pulls("acme", n) for n in WEB)
    # A secondary rate limit on one pull request: waited for (Retry-After), then opened.
    github.fail(
        "POST", "/repos/acme/svc-01/pulls", status=403, headers={"Retry-After": "1"},
        message="You have exceeded a secondary rate limit",
    )  # fmt: skip
    text = run_cli(["update", "--catalog", fleet, "--pull-request", "--owner", "web"])
    assert text.code == 0, text.stderr
    assert len(github.calls("POST", "/repos/acme/svc-01/pulls")) == 2
    assert len(github.pulls("acme", "svc-01")) == 1
    assert "svc-00  updated: opened http" in text.stdout
    assert "3 selected of 21 entities" in text.stdout and "3 updated" in text.stdout
    for args, message in (
        (["update", "--pull-request", "somewhere"], "--pull-request works on the catalog"),
        (["update"], "give the project folder"),
        (["update", "svc", "--catalog", fleet], "go with --pull-request"),
    ):
        bad = run_cli(args)
        assert bad.code == 2 and message in bad.stderr, bad.stderr


def _later_templates(root: Path) -> Path:
    """The newer templates once more, the baseline at LATER with one more change."""
    templates = newer_templates(root)
    config = templates / "_baseline" / "copier.yml"
    text = config.read_text()
    assert f'version: "{NEXT_VERSION}"' in text
    config.write_text(text.replace(f'version: "{NEXT_VERSION}"', f'version: "{LATER}"'))
    rule = templates / "_baseline" / "template/.github/dependabot.yml.jinja"
    rule.write_text(rule.read_text() + f"# baseline {LATER}\n")
    return templates


def _api_writes(github: FakeGitHub, start: int) -> list[tuple[str, str]]:
    return [(m, p) for m, p, write in github.log(start) if write and m != "GIT"]


def test_a_later_release_edits_the_same_pull_request(run_cli, github, fleet, monkeypatch) -> None:
    first = _update(run_cli, fleet, "--owner", "web")
    assert first.code == 0, first.stderr
    numbers = {n: github.pulls("acme", n)[0]["number"] for n in WEB}

    # A newer baseline while the pull requests are still open: the same branch is pushed and
    # the same pull requests get the new title and body.
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(_later_templates(fleet.parent / "later")))
    start = len(github.requests)
    text = run_cli(["update", "--catalog", fleet, "--pull-request", "--owner", "web"])
    assert text.code == 0, text.stderr
    for name in sorted(WEB):
        pulls = github.pulls("acme", name)
        assert len(pulls) == 1 and pulls[0]["number"] == numbers[name], name
        pull = pulls[0]
        assert pull["state"] == "open" and pull["head"]["ref"] == BRANCH
        assert pull["title"] == f"Update to template python-service 1.1.0 and baseline {LATER}"
        assert f"| baseline | {SHIPPED} | {LATER} |" in pull["body"]
        assert NEXT_VERSION not in pull["body"]
        assert f"# baseline {LATER}" in (
            github.read("acme", name, ".github/dependabot.yml", ref=BRANCH) or ""
        )
        url = f"{github.web_url}/acme/{name}/pull/{numbers[name]}"
        assert f"{name}  updated: updated pull request #{numbers[name]} {url}" in text.stdout
    writes = _api_writes(github, start)
    assert sorted(writes) == sorted(
        ("PATCH", f"/repos/acme/{n}/pulls/{numbers[n]}") for n in WEB
    ), writes  # edited, none opened
    assert "3 updated" in text.stdout

    # A reviewer edits a description; a rerun with nothing new writes nothing, keeps the edit.
    edited = github.pulls("acme", "svc-01")[0]
    edited["body"] = "Reviewed: fine once CI passes.\n\n" + edited["body"]
    edited["title"] = "Baseline bump (reviewed)"
    start = len(github.requests)
    again = _update(run_cli, fleet, "--owner", "web")
    assert again.code == 0, again.stderr
    assert _api_writes(github, start) == []
    assert not [p for m, p, _ in github.log(start) if m == "GIT" and "receive-pack" in p]
    rows = _rows(again)
    assert {rows[n]["pull_request"]["action"] for n in WEB} == {"unchanged"}
    assert github.pulls("acme", "svc-01")[0]["title"] == "Baseline bump (reviewed)"

    # JSON says so too: the PATCH run's action is `updated`, distinct from opened/unchanged.
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(newer_templates(fleet.parent / "back")))
    back = _update(run_cli, fleet, "--owner", "web", "--concurrency", "1")
    assert back.code == 0, back.stderr
    row = _rows(back)["svc-00"]
    assert (row["status"], row["pull_request"]["action"]) == ("updated", "updated")
    assert row["pull_request"]["number"] == numbers["svc-00"]
    assert row["branch"] == BRANCH
    assert github.pulls("acme", "svc-00")[0]["title"].endswith(f"baseline {NEXT_VERSION}")


def test_the_rest_of_the_fleet_fails_fast_once_the_write_cap_is_hit(run_cli, github, fleet) -> None:
    # GitHub's hourly cap on content-creating requests: a secondary limit whose Retry-After is
    # far beyond the retry budget, for every pull request from now on.
    github.fail(
        "POST", "/repos/acme/svc-0[0-9]/pulls", status=403, times=50,
        headers={"Retry-After": "3600"}, message="You have exceeded a secondary rate limit",
    )  # fmt: skip
    start = len(github.requests)

    capped = _update(run_cli, fleet, "--owner", "web", "--concurrency", "1")

    assert capped.code == 3, capped.stderr
    rows = _rows(capped)
    assert {n: rows[n]["status"] for n in WEB} == dict.fromkeys(WEB, "failed")
    hit = rows["svc-00"]["reason"]
    assert "secondary rate limit" in hit and "resets at about" in hit and "run again" in hit
    for name in ("svc-01", "svc-02"):
        reason = rows[name]["reason"]
        assert reason.startswith("not tried: GitHub's rate limit stopped this run's writes at ")
        assert "acme/svc-00" in reason and "resets at about" in reason and "run again" in reason
    # Not one request for them: no API read, no fetch (so no render either).
    touched = {p for _, p, _ in github.log(start)}
    assert not [p for p in touched if "svc-01" in p or "svc-02" in p], touched
    assert len(github.calls("POST", "/repos/acme/svc-00/pulls")) == 1  # not waited an hour for


def test_a_halted_pacer_refuses_the_write_of_a_repository_in_progress() -> None:
    pacer = WritePacer(0.0)
    with pacer.write():
        pass
    hint = "GitHub's rate limit resets at about 18:00:00 UTC; run again then"
    pacer.halt(GitHubRateLimitError("open a pull request in acme/a: 403", hint=hint), "acme/a")
    with pytest.raises(GitHubRateLimitError) as refused, pacer.write():
        raise AssertionError("written after the halt")
    assert refused.value.message == (
        "not tried: GitHub's rate limit stopped this run's writes at acme/a "
        f"(open a pull request in acme/a: 403); {hint}"
    )
    assert refused.value.hint == hint
    assert pacer.count == 1
