"""`scaffolder report --html FILE --live` end to end: projects published to the fake GitHub
(contents and alert routes, over HTTP), the page's alert and audit columns filled from GitHub by
`insights` and `audit --live`, and a repository GitHub will not show reported, not zeroed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.catalog_helpers import entity, location_catalog, write_entities
from tests.conftest import CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.alert_routes import add_alert, code_scanning_alert, dependabot_alert
from tests.fakegithub.fixtures import TOKEN, start_fake

SEVERITIES = ("critical", "high", "medium", "low")


@pytest.fixture
def github(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(
        tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, alerts=True, timeout="5"
    )
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def _page_rows(page: Path) -> dict[str, dict[str, object]]:
    """The page's own data block: one row per component, by name, as column -> value."""
    found = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>',
        page.read_text(encoding="utf-8"),
        re.S,
    )
    assert found, "the page has no data block"
    data = json.loads(found[1])
    columns = data["columns"]
    return {row["sort"][0]: dict(zip(columns, row["sort"], strict=True)) for row in data["rows"]}


@pytest.fixture
def fleet(
    github: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> Path:
    """ledger (alerts open, every setting in force), billing (push protection turned off since
    publish) and hidden (a repository the token cannot see)."""
    for name in ("ledger", "billing"):
        project = new_service(name=name)
        published = run_cli(["publish", project, "--github-owner", "acme", "--public"])
        assert published.code == 0, published.stderr
    ledger = github.state.repos[("acme", "ledger")]
    ledger.code_scanning = True  # CodeQL has uploaded results
    add_alert(
        github.state,
        ledger,
        "code-scanning",
        code_scanning_alert(security_severity_level="critical"),
    )
    add_alert(github.state, ledger, "dependabot", dependabot_alert(severity="high"))
    add_alert(github.state, ledger, "dependabot", dependabot_alert(state="fixed", severity="low"))
    github.state.repos[("acme", "billing")].push_protection = "disabled"
    github.state.add_repo("bob", "hidden", private=True)
    hidden = write_entities(
        tmp_path / "hidden", entity("hidden", annotations={"github.com/project-slug": "bob/hidden"})
    )
    web = github.web_url
    return location_catalog(
        tmp_path / "fleet.yaml",
        [
            f"{web}/acme/ledger/blob/main/catalog-info.yaml",
            f"{web}/acme/billing/blob/main/catalog-info.yaml",
            str(hidden),
        ],
    )


def test_live_fills_alerts_and_audit_from_github(
    github: FakeGitHub, fleet: Path, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    before = len(github.writes())
    result = run_cli(["report", "--html", page, "--catalog", fleet, "--live", "--json"])
    # The page is written, but one repository could not be read: 3, as the fleet commands say.
    assert result.code == 3, result.stdout + result.stderr
    data = result.json()["result"]
    assert data["alerts_gathered"] is True and data["audit_gathered"] is True
    assert data["open_alerts"] == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    rows = _page_rows(page)
    assert [rows["ledger"][s] for s in SEVERITIES] == [1, 1, 0, 0]
    assert [rows["billing"][s] for s in SEVERITIES] == [0, 0, 0, 0]
    assert [rows["hidden"][s] for s in SEVERITIES] == [None] * 4  # unreadable: never a zero
    assert str(rows["ledger"]["audit"]).startswith("ok")
    assert str(rows["billing"]["audit"]).startswith("finding")
    assert "secret-scanning" in page.read_text(encoding="utf-8")
    assert len(github.writes()) == before  # --live reads only
    assert TOKEN not in result.stdout + result.stderr + page.read_text(encoding="utf-8")


def test_without_live_nothing_is_read_from_github_for_the_columns(
    github: FakeGitHub, fleet: Path, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    before = [r.path for r in github.requests]
    result = run_cli(["report", "--html", page, "--catalog", fleet, "--json"])
    assert result.code == 0, result.stderr
    data = result.json()["result"]
    assert data["alerts_gathered"] is False and data["open_alerts"] is None
    assert not any("alerts" in r.path for r in github.requests[len(before) :])
    assert [_page_rows(page)["ledger"][s] for s in SEVERITIES] == [None] * 4


def test_live_without_a_token_says_what_to_do(
    fleet: Path, run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    page = tmp_path / "report.html"
    result = run_cli(["report", "--html", page, "--catalog", fleet, "--live"])
    assert result.code == 5, result.stdout + result.stderr
    assert "token" in result.stderr and "Traceback" not in result.stderr
    assert not page.exists()
