"""`scaffolder insights` through the real CLI, against the fake GitHub over HTTP (real PyGithub):
severities, features off or unavailable, unreadable repositories, the organisation lists and
their per-repository fallback, pagination, ETags and the day-long probes, `--fail-on`, the JSON
shape, and the cache files."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.catalog_helpers import entity, location_catalog, write_entities
from tests.fakegithub import FakeGitHub
from tests.fakegithub.alert_routes import (
    add_alert,
    code_scanning_alert,
    dependabot_alert,
    secret_scanning_alert,
)
from tests.fakegithub.fixtures import TOKEN, start_fake

ZERO = {"critical": 0, "high": 0, "medium": 0, "low": 0}
OFF = {"state": "off", "open": None}
UNAVAILABLE = {"state": "unavailable", "open": None}
UNREADABLE = {"state": "unreadable", "open": None}


def _counts(**given: int) -> dict[str, int]:
    return {**ZERO, **given}


@pytest.fixture
def github(tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, alerts=True, timeout="5")
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def _repo(fake: FakeGitHub, slug: str, *, on: bool = True, private: bool = True):
    owner, name = slug.split("/")
    repo = fake.state.add_repo(owner, name, private=private)
    if on:
        repo.code_scanning = repo.vulnerability_alerts = True
        repo.secret_scanning = "enabled"
    return repo


def _catalog(root: Path, *components: tuple[str, str, str]) -> Path:
    """A catalog of (name, OWNER/REPO, lifecycle) components, one entity file each."""
    targets = []
    for name, slug, lifecycle in components:
        doc = entity(name, annotations={"github.com/project-slug": slug}, lifecycle=lifecycle)
        targets.append(str(write_entities(root / name, doc)))
    return location_catalog(root / "all.yaml", targets)


@pytest.fixture
def fleet(github, tmp_path) -> Path:
    """acme (Team, Code Security bought): `api` with alerts of every kind and severity, `quiet`
    with everything on and no alert, `web` with everything off. hobby (Team, no Code Security):
    `legacy`, private, where code and secret scanning are not on the plan."""
    state = github.state
    state.accounts["acme"].code_security = True
    state.add_org("hobby", members={"alice"}, plan="team")
    api = _repo(github, "acme/api")
    for alert in (
        code_scanning_alert(security_severity_level="critical"),
        code_scanning_alert(security_severity_level="high"),
        code_scanning_alert(security_severity_level="medium", severity="warning"),
        # No security severity (a quality rule): the rule's own severity decides.
        code_scanning_alert(security_severity_level=None, severity="error"),
        code_scanning_alert(security_severity_level=None, severity="warning"),
        code_scanning_alert(security_severity_level=None, severity="note"),
        code_scanning_alert(state="dismissed", security_severity_level="critical"),
        code_scanning_alert(state="fixed", security_severity_level="critical"),
    ):
        add_alert(state, api, "code-scanning", alert)
    for alert in (
        dependabot_alert(severity="critical"),
        dependabot_alert(severity="medium"),
        dependabot_alert(severity="low"),
        dependabot_alert(state="dismissed", severity="critical"),
        dependabot_alert(state="fixed", severity="high"),
        dependabot_alert(state="auto_dismissed", severity="high"),
    ):
        add_alert(state, api, "dependabot", alert)
    for alert in (secret_scanning_alert(), secret_scanning_alert(state="resolved")):
        add_alert(state, api, "secret-scanning", alert)
    _repo(github, "acme/quiet")
    _repo(github, "acme/web", on=False)
    _repo(github, "hobby/legacy", on=False)
    return _catalog(
        tmp_path / "catalog",
        ("api", "acme/api", "production"),
        ("web", "acme/web", "experimental"),
        ("quiet", "acme/quiet", "experimental"),
        ("legacy", "hobby/legacy", "production"),
    )


def _rows(result) -> dict[str, dict]:
    return {row["ref"].rsplit("/", 1)[1]: row for row in result.json()["result"]["components"]}


def _features(row: dict) -> tuple:
    return row["code_scanning"], row["dependabot"], row["secret_scanning"]


def test_open_alerts_by_severity_and_features_off_or_unavailable(run_cli, github, fleet):
    result = run_cli(["insights", "--catalog", fleet, "--json"])
    assert result.code == 0, result.stderr
    rows = _rows(result)
    assert _features(rows["api"]) == (
        {"state": "on", "open": _counts(critical=1, high=2, medium=2, low=1)},
        {"state": "on", "open": _counts(critical=1, medium=1, low=1)},
        {"state": "on", "open": _counts(critical=1)},
    )
    assert _features(rows["quiet"]) == (
        {"state": "on", "open": ZERO},
        {"state": "on", "open": ZERO},
        {"state": "on", "open": ZERO},
    )
    assert _features(rows["web"]) == (OFF, OFF, OFF)  # Code Security bought, but nothing runs
    assert _features(rows["legacy"]) == (UNAVAILABLE, OFF, UNAVAILABLE)
    assert {name: row["status"] for name, row in rows.items()} == {
        "api": "finding",
        "web": "ok",
        "quiet": "ok",
        "legacy": "ok",
    }
    # The organisation lists, not one list per repository: only the probes are per repository.
    per_repo = [r.path for r in github.requests if "/repos/" in r.path]
    assert all(p.endswith(("/vulnerability-alerts", "/code-scanning/alerts")) for p in per_repo)
    assert len(github.calls("GET", "/orgs/acme/code-scanning/alerts")) == 1
    totals = result.json()["result"]["totals"]
    assert [t["lifecycle"] for t in totals] == ["production", "experimental"]
    assert totals[0]["components"] == 2
    assert totals[0]["open"] == _counts(critical=3, high=2, medium=3, low=2)
    assert totals[1]["open"] == ZERO

    text = run_cli(["insights", "--catalog", fleet])
    assert text.code == 0
    lines = text.stdout.splitlines()
    header = ["COMPONENT", "REPOSITORY", "LIFECYCLE", "CODE", "SCANNING", "DEPENDABOT"]
    assert lines[0].split() == [*header, "SECRETS"]
    by_name = {line.split()[0].rsplit("/", 1)[1]: line.split() for line in lines[1:5]}
    assert by_name["api"][3:] == ["1c", "2h", "2m", "1l", "1c", "0h", "1m", "1l", "1"]
    assert by_name["web"][3:] == ["off", "off", "off"]
    assert by_name["legacy"][3:] == ["n/a", "off", "n/a"]
    assert "  production: 2 components: 3 critical, 2 high, 3 medium, 2 low" in lines

    high = run_cli(["insights", "--catalog", fleet, "--severity", "high"])
    api = next(line for line in high.stdout.splitlines() if "acme/api" in line)
    assert api.split()[3:] == ["1c", "2h", "1c", "0h", "1"]


def test_fail_on_gates_on_severity_and_an_unreadable_repository_wins(run_cli, github, fleet):
    assert run_cli(["insights", "--catalog", fleet, "--fail-on", "critical"]).code == 1
    # Only acme/quiet: no alert at all.
    quiet = _catalog(fleet.parent / "quiet", ("quiet", "acme/quiet", "production"))
    assert run_cli(["insights", "--catalog", quiet, "--fail-on", "low"]).code == 0
    bad = _catalog(
        fleet.parent / "bad", ("api", "acme/api", "production"), ("gone", "acme/gone", "production")
    )
    assert run_cli(["insights", "--catalog", bad, "--fail-on", "low"]).code == 3


def test_a_severity_that_is_none_is_refused_by_the_parser(run_subprocess, tmp_path):
    result = run_subprocess(["insights", "--fail-on", "urgent"])
    assert result.code == 2
    assert "invalid choice: 'urgent'" in result.stderr and "Traceback" not in result.stderr


def test_unreadable_repositories_are_reported_and_the_rest_go_on(run_cli, github, tmp_path):
    state = github.state
    _repo(github, "acme/api")
    add_alert(state, state.repos[("acme", "api")], "dependabot", dependabot_alert())
    state.add_org("other", members={"bob"}, plan="team")
    _repo(github, "other/public", private=False)  # alice sees it, may not read its alerts
    _repo(github, "bob/private")  # a user's private repository: 404 for alice
    catalog = _catalog(
        tmp_path / "catalog",
        ("api", "acme/api", "production"),
        ("gone", "acme/gone", "production"),
        ("public", "other/public", "production"),
        ("private", "bob/private", "production"),
        ("odd", "acme/x?state=dismissed", "production"),
    )
    result = run_cli(["insights", "--catalog", catalog, "--json"])
    assert result.code == 3, result.stderr
    rows = _rows(result)
    assert rows["api"]["status"] == "finding"
    assert rows["api"]["dependabot"] == {"state": "on", "open": _counts(high=1)}
    for name in ("gone", "public", "private"):
        assert rows[name]["status"] == "failed", name
    assert _features(rows["gone"]) == (UNREADABLE,) * 3
    assert "not among the repositories of acme" in rows["gone"]["reason"]
    assert _features(rows["private"]) == (UNREADABLE,) * 3
    assert "bob/private cannot be read" in rows["private"]["reason"]
    assert "404" in rows["private"]["reason"]
    assert {f["state"] for f in _features(rows["public"])} == {"unreadable"}
    assert rows["odd"]["status"] == "failed" and "is not OWNER/REPO" in rows["odd"]["reason"]
    assert _features(rows["odd"]) == (UNREADABLE,) * 3
    assert "Resource not accessible" in rows["public"]["reason"]

    text = run_cli(["insights", "--catalog", catalog])
    assert text.code == 3
    public = next(line for line in text.stdout.splitlines() if "other/public" in line)
    assert public.split()[3:] == ["no", "access"] * 3
    assert any(
        line.startswith("failed: component:default/gone: ") for line in text.stdout.splitlines()
    )


def test_a_refused_organisation_list_falls_back_per_repository_and_says_so(run_cli, github, fleet):
    expected = {
        name: _features(row)
        for name, row in _rows(run_cli(["insights", "--catalog", fleet, "--json"])).items()
    }
    github.state.accounts["acme"].alert_readers = {"bob"}  # alice: a member, not an owner
    github.state.accounts["hobby"].alert_readers = set()
    since = len(github.requests)
    result = run_cli(["insights", "--catalog", fleet, "--json"])
    assert result.code == 0, result.stderr
    assert {name: _features(row) for name, row in _rows(result).items()} == expected
    fallbacks = result.json()["result"]["fallbacks"]
    assert {(f["owner"], f["alerts"]) for f in fallbacks} == {
        (org, kind)
        for org in ("acme", "hobby")
        for kind in ("code-scanning", "dependabot", "secret-scanning")
    }
    assert all("owner or security manager" in f["reason"] for f in fallbacks)
    warnings = result.json()["warnings"]
    assert any(
        w.startswith("acme: GitHub refused the organisation's Dependabot alert list")
        for w in warnings
    )
    lists = [r.path for r in github.requests[since:] if r.path.startswith("/repos/")]
    assert "/repos/acme/api/dependabot/alerts" in lists
    text = run_cli(["insights", "--catalog", fleet])
    assert "read per repository instead" in text.stderr


def test_pages_are_followed_and_a_second_run_costs_almost_no_rate_limit(run_cli, github, tmp_path):
    state = github.state
    state.accounts["acme"].code_security = True
    repos = [_repo(github, f"acme/svc-{i}") for i in range(3)]
    for number in range(250):
        alert = code_scanning_alert(security_severity_level=("critical", "low")[number % 2])
        add_alert(state, repos[number % 3], "code-scanning", alert)
    for _ in range(130):
        add_alert(state, repos[0], "dependabot", dependabot_alert(severity="medium"))
    catalog = _catalog(
        tmp_path / "catalog", *((f"svc-{i}", f"acme/svc-{i}", "production") for i in range(3))
    )
    first = run_cli(["insights", "--catalog", catalog, "--json"])
    assert first.code == 0, first.stderr
    rows = _rows(first)
    assert sum(sum(r["code_scanning"]["open"].values()) for r in rows.values()) == 250
    assert rows["svc-0"]["dependabot"]["open"] == _counts(medium=130)
    assert len(github.calls("GET", "/orgs/acme/code-scanning/alerts")) == 3  # 100 + 100 + 50
    assert len(github.calls("GET", "/orgs/acme/dependabot/alerts")) == 2  # by cursor
    figures = first.json()["result"]["requests"]
    assert figures["not_modified"] == 0 and figures["probes_cached"] == 0
    # svc-1 and svc-2 have no Dependabot alert: asked whether it is on (and it is), once each.
    assert figures["probes"] == 2 and len(github.calls("GET", r".*/vulnerability-alerts")) == 2

    since = len(github.requests)
    second = run_cli(["insights", "--catalog", catalog, "--json"])
    assert _rows(second) == rows
    assert github.rate_limit_cost(since) == 0
    again = second.json()["result"]["requests"]
    assert again["requests"] == figures["requests"] == again["not_modified"]
    assert again["probes"] == 0 and again["probes_cached"] == 2 and again["rate_limit_cost"] == 0

    # A changed page is downloaded again; the rest stay 304.
    add_alert(state, repos[2], "secret-scanning", secret_scanning_alert())
    since = len(github.requests)
    third = run_cli(["insights", "--catalog", catalog, "--json"])
    assert _rows(third)["svc-2"]["secret_scanning"]["open"] == _counts(critical=1)
    assert github.rate_limit_cost(since) == 1


def test_the_json_shape(run_cli, github, fleet):
    result = run_cli(["insights", "--catalog", fleet, "--json", "--lifecycle", "production"])
    envelope = result.json()
    assert envelope["command"] == "insights" and envelope["ok"] is True
    data = envelope["result"]
    assert set(data) == {
        *("catalog", "selection", "total", "selected", "severity", "fail_on", "counts"),
        *("components", "totals", "requests", "fallbacks"),
    }
    assert data["selected"] == 2 and data["total"] == 4
    row = _rows(result)["api"]
    assert set(row) == {
        *("ref", "repository", "lifecycle", "owner", "system", "status", "reason"),
        *("code_scanning", "dependabot", "secret_scanning"),
    }
    assert (row["ref"], row["repository"], row["owner"]) == (
        "component:default/api",
        "acme/api",
        "group:payments",
    )
    assert set(data["requests"]) == {
        *("requests", "not_modified", "probes", "probes_not_modified", "probes_cached"),
        "rate_limit_cost",
    }
    one_at_a_time = run_cli(["insights", "--catalog", fleet, "--json", "--concurrency", "1"])
    assert (
        one_at_a_time.json()["result"]["components"]
        == run_cli(["insights", "--catalog", fleet, "--json"]).json()["result"]["components"]
    )
    assert set(data["totals"][0]) == {
        *("lifecycle", "components", "failed", "open"),
        *("code_scanning", "dependabot", "secret_scanning"),
    }


def test_the_cache_is_private_and_never_holds_the_token(run_cli, github, fleet, isolated_env):
    assert run_cli(["insights", "--catalog", fleet]).code == 0
    folder = isolated_env / ".cache" / "scaffolder" / "github-etags"
    files = list(folder.iterdir())
    assert len(files) > 5
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert TOKEN not in path.read_text(encoding="utf-8")
    # A damaged entry is a miss, not a failure.
    for path in files:
        path.write_text("{not json", encoding="utf-8")
    assert run_cli(["insights", "--catalog", fleet]).code == 0
    assert all(TOKEN not in p.read_text(encoding="utf-8") for p in folder.iterdir())


def test_a_probe_is_kept_for_a_day_then_asked_again(run_cli, github, fleet, isolated_env):
    first = run_cli(["insights", "--catalog", fleet, "--json"]).json()["result"]["requests"]
    assert first["probes"] > 0
    again = run_cli(["insights", "--catalog", fleet, "--json"]).json()["result"]["requests"]
    assert (again["probes"], again["probes_cached"]) == (0, first["probes"])
    folder = isolated_env / ".cache" / "scaffolder" / "github-etags"
    for path in folder.iterdir():
        entry = json.loads(path.read_text(encoding="utf-8"))
        if "answer" in entry:
            entry["at"] -= 86400 + 60
            path.write_text(json.dumps(entry), encoding="utf-8")
    later = run_cli(["insights", "--catalog", fleet, "--json"]).json()["result"]["requests"]
    assert (later["probes"], later["probes_cached"]) == (first["probes"], 0)


def test_a_rate_limit_is_no_refusal_to_fall_back_from(run_cli, github, fleet):
    github.fail(
        "GET",
        "/orgs/acme/dependabot/alerts",
        status=403,
        times=10,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"},
        message="API rate limit exceeded for user ID 1.",
    )
    result = run_cli(["insights", "--catalog", fleet, "--json"])
    assert result.code == 3, result.stderr
    assert result.json()["result"]["fallbacks"] == []
    rows = _rows(result)
    assert rows["api"]["status"] == "failed" and "rate limit" in rows["api"]["reason"]
    assert not github.calls("GET", "/repos/acme/api/dependabot/alerts")


def test_without_a_token_it_stops_with_a_hint(run_cli, github, fleet, monkeypatch):
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("PATH", "/nonexistent")  # no `gh` to ask either
    result = run_cli(["insights", "--catalog", fleet])
    assert result.code == 5 and "no GitHub token" in result.stderr
    assert "Traceback" not in result.stderr
