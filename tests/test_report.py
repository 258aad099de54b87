"""`scaffolder report --html FILE`: the page written from a real catalog by the real CLI, its
escaping and CSP read back with an HTML parser, the live results merged from JSON in the
issue-15 contract's shapes. The page in a real browser: tests/test_report_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scaffolder.commands import report as report_command
from scaffolder.errors import UsageError
from scaffolder.fleet import Selection
from scaffolder.render.registry import baseline_layer, resolve_template
from scaffolder.report import page
from scaffolder.report.rows import Report, Row, collect, parse_insights, with_live
from tests.catalog_helpers import catalog_targets, location_catalog
from tests.report_helpers import AUDIT, FLEET, HOSTILE, INSIGHTS, write_fleet
from tests.source_helpers import git


class _Parsed(HTMLParser):
    """Every element's tag and attributes, each script's text, and the visible text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture
def fleet_catalog(tmp_path) -> Path:
    return write_fleet(tmp_path / "fleet")


def test_the_page_holds_every_component_and_says_what_was_not_gathered(
    run_cli, fleet_catalog, tmp_path
):
    out = tmp_path / "report.html"
    result = run_cli(["report", "--html", out, "--catalog", fleet_catalog, "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"] == {
        "path": str(out),
        "bytes": out.stat().st_size,
        "catalog": str(fleet_catalog),
        "total": 4,
        "components": 4,
        "unreadable": 0,
        "by_lifecycle": {"production": 2, "experimental": 1, "deprecated": 1},
        "open_alerts": None,
        "alerts_gathered": False,
        "audit_gathered": False,
    }
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
    parsed = _Parsed(out.read_text(encoding="utf-8"))
    rows = [a for a in parsed.tags("tr") if a.get("data-ref")]
    assert [r["data-ref"] for r in rows] == [f"component:default/{n}" for n in FLEET]
    text = " ".join(parsed.text)
    assert text.count("not gathered") >= 4 * 5  # audit and 4 severities in every row
    assert text.count("no answers") == 4 * 2  # entity folders without answers files
    assert "scaffolder report --html FILE --live" in text
    by_lifecycle = {a["data-lifecycle"]: a for a in parsed.tags("td") if "data-lifecycle" in a}
    assert set(by_lifecycle) == {"production", "experimental", "deprecated", ""}

    plain = run_cli(["report", "--html", out, "--catalog", fleet_catalog])
    assert plain.code == 0
    assert plain.stdout == f"wrote {out}: 4 components of 4 entities in {fleet_catalog}\n"


def test_hostile_values_are_text_and_only_http_links_are_links(run_cli, fleet_catalog, tmp_path):
    out = tmp_path / "report.html"
    assert run_cli(["report", "--html", out, "--catalog", fleet_catalog]).code == 0
    html = out.read_text(encoding="utf-8")
    parsed = _Parsed(html)
    # Exactly the page's own two script elements: the data block and the (hashed) script.
    assert [attrs.get("type") for attrs, _ in parsed.scripts] == ["application/json", None]
    assert parsed.tags("img") == []
    assert all(not k.startswith("on") for _, attrs in parsed.elements for k in attrs)
    assert html.count("</table>") == len(parsed.tags("table"))  # none came from a value
    assert HOSTILE in "".join(parsed.text)  # shown as the text it is
    # The data block: no <, > or & in it, and it parses back to the values.
    (_, data_text) = parsed.scripts[0]
    assert not set(data_text) & {"<", ">", "&", "\u2028", "\u2029"}
    data = json.loads(data_text)
    assert data["rows"][0]["sort"][0] == "pay-api"
    assert [r["lifecycle"] for r in data["rows"]] == [v[0] for v in FLEET.values()]
    hrefs = [a["href"] for a in parsed.tags("a")]
    assert hrefs == [
        "https://github.com/acme/pay-api",
        "https://github.com/acme/pay-api/security",
        "https://github.example.com/acme/pay-web",
        "https://github.example.com/acme/pay-web/security",
    ]
    assert "javascript:alert(4)//acme/lab" in parsed.text  # the text, not a link


def test_the_csp_allows_exactly_the_inline_script(run_cli, fleet_catalog, tmp_path):
    out = tmp_path / "report.html"
    assert run_cli(["report", "--html", out, "--catalog", fleet_catalog]).code == 0
    parsed = _Parsed(out.read_text(encoding="utf-8"))
    (meta,) = [m for m in parsed.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    policy = dict(
        (d.split()[0], d.split()[1:]) for d in str(meta["content"]).split(";") if d.strip()
    )
    (_, script) = parsed.scripts[1]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy == {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "script-src": [f"'sha256-{digest}'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    assert parsed.tags("link") == [] and all("src" not in a for _, a in parsed.elements)


def _version_cells(out: Path) -> dict[str, tuple[str | None, str | None]]:
    data = json.loads(_Parsed(out.read_text(encoding="utf-8")).scripts[0][1])
    columns = data["columns"]
    at = columns.index("template"), columns.index("baseline")
    return {r["sort"][0]: (r["sort"][at[0]], r["sort"][at[1]]) for r in data["rows"]}


def test_versions_are_what_outdated_reads_from_the_project(run_cli, new_service, tmp_path):
    """Projects as `new` leaves them (versions in the history only), one whose answers record
    them, one with a later baseline trailer and a legacy one: the page says what `outdated`
    reads."""
    made = {
        name: new_service("python-service", "--set", "lifecycle=production", name=name)
        for name in ("fresh", "recorded", "trailer", "legacy")
    }
    answers = made["recorded"] / ".copier-answers.yml"
    answers.write_text(answers.read_text() + "_scaffolder_template_version: 0.9.0\n")
    git(
        made["trailer"],
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Update",
        "-m",
        "Scaffolder-Baseline: 1.0.5",
    )
    git(
        made["legacy"],
        "commit",
        "--amend",
        "-q",
        "-m",
        "Initial commit from the python-service 1.0.0 template",
    )
    catalog = tmp_path / "catalog.yaml"
    for folder in made.values():
        assert run_cli(["catalog", "register", folder, "--catalog", catalog]).code == 0
    out = tmp_path / "report.html"
    assert run_cli(["report", "--html", out, "--catalog", catalog]).code == 0
    template, baseline = resolve_template("python-service").version, baseline_layer().version
    assert _version_cells(out) == {
        "fresh": (f"python-service {template}", baseline),
        "recorded": ("python-service 0.9.0", baseline),
        "trailer": (f"python-service {template}", "1.0.5"),
        "legacy": ("python-service 1.0.0", "unrecorded"),
    }
    outdated = run_cli(["outdated", "--catalog", catalog, "--json"]).json()["result"]
    read = {
        r["name"]: (f"python-service {r['template']['recorded']}", r["baseline"]["recorded"])
        for r in outdated["repositories"]
    }
    assert {
        k: (t, b if b != "unrecorded" else None) for k, (t, b) in _version_cells(out).items()
    } == read


def test_catalog_targets_that_cannot_be_read_are_listed(run_cli, fleet_catalog, tmp_path):
    gone = tmp_path / "gone" / "catalog-info.yaml"
    targets = [*catalog_targets(fleet_catalog), str(gone)]
    catalog = location_catalog(tmp_path / "catalog.yaml", targets)
    out = tmp_path / "report.html"
    result = run_cli(["report", "--html", out, "--catalog", catalog, "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"]["unreadable"] == 1
    assert any(str(gone) in w for w in result.json()["warnings"])
    parsed = _Parsed(out.read_text(encoding="utf-8"))
    assert [a["id"] for a in parsed.tags("section") if a.get("id") == "unreadable"] == [
        "unreadable"
    ]
    assert str(gone) in parsed.text


@pytest.mark.parametrize("kind", ["directory", "symlink", "missing-folder"])
def test_a_target_that_is_not_a_file_is_refused_and_nothing_is_written(
    run_cli, fleet_catalog, tmp_path, kind
):
    victim = tmp_path / "victim.html"
    victim.write_text("keep me", encoding="utf-8")
    if kind == "directory":
        target = tmp_path / "site"
        target.mkdir()
    elif kind == "symlink":
        target = tmp_path / "link.html"
        target.symlink_to(victim)
    else:
        target = tmp_path / "nowhere" / "report.html"
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli(["report", "--html", target, "--catalog", fleet_catalog, "--json"])
    assert result.code == 2, result.stderr
    error = result.json()["error"]
    assert error["code"] == "usage" and error["hint"]
    assert "Traceback" not in result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if kind == "directory":
        assert list(target.iterdir()) == []


def test_a_failed_render_leaves_the_old_page(monkeypatch, fleet_catalog, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("the old page", encoding="utf-8")

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report_command.os, "fsync", broken)
    options = report_command.ReportOptions(html=out, selection=Selection(str(fleet_catalog)))
    with pytest.raises(RuntimeError):
        report_command.run(options)
    assert out.read_text(encoding="utf-8") == "the old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet", "report.html"]


# -- the live results ------------------------------------------------------------------------
def test_live_results_are_merged_by_reference(fleet_catalog):
    report = collect(Selection(str(fleet_catalog)))
    rows = {r.name: r for r in with_live(report.rows, INSIGHTS, AUDIT)}
    assert rows["pay-api"].alerts.open_by_severity() == {
        "critical": 3,
        "high": 3,
        "medium": 4,
        "low": 3,
    }
    # A feature that is off is not a zero: pay-web counts Dependabot only, and says so.
    assert rows["pay-web"].alerts.open_by_severity() == {
        "critical": 0,
        "high": 0,
        "medium": 5,
        "low": 1,
    }
    assert rows["pay-web"].alerts.not_on() == {
        "code scanning": "off",
        "secret scanning": "unavailable",
    }
    assert rows["lab"].alerts.open_by_severity() is None
    assert rows["old"].alerts is None and rows["old"].audit is None
    assert rows["pay-api"].audit.count("failed") == 1
    assert rows["pay-web"].audit.status == "ok"
    assert with_live(report.rows, None, None) == report.rows


def test_the_page_with_live_results(fleet_catalog, tmp_path):
    out = tmp_path / "report.html"
    options = report_command.ReportOptions(
        html=out, selection=Selection(str(fleet_catalog)), insights=INSIGHTS, audit=AUDIT
    )
    result = report_command.run(options)
    assert result.to_json()["open_alerts"] == {"critical": 3, "high": 3, "medium": 9, "low": 4}
    parsed = _Parsed(out.read_text(encoding="utf-8"))
    total = {a["data-severity"]: a for a in parsed.tags("td") if "data-severity" in a}
    assert set(total) == {"critical", "high", "medium", "low"}
    data = json.loads(parsed.scripts[0][1])
    columns = data["columns"]
    by_name = {r["sort"][0]: r["sort"] for r in data["rows"]}
    severities = [columns.index(s) for s in ("critical", "high", "medium", "low")]
    assert [by_name["pay-api"][i] for i in severities] == [3, 3, 4, 3]
    assert [by_name["lab"][i] for i in severities] == [None] * 4  # unreadable: not a zero
    assert [by_name["old"][i] for i in severities] == [None] * 4  # not gathered
    assert by_name["pay-api"][columns.index("audit")].startswith("finding")
    text = " ".join(parsed.text)
    assert "1 failed" in text and "ruleset" in text and "unreadable" in text
    assert 'id="not-gathered"' not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"components": "x"}, "has no list of components"),
        ({"components": [{"ref": 1, "status": "ok"}]}, "'ref' is not text"),
        (
            {
                "components": [
                    {"ref": "r", "status": "ok", "dependabot": {"state": "off", "open": {}}}
                ]
            },
            "'open' must be null unless the state is 'on'",
        ),
        (
            {
                "components": [
                    {
                        "ref": "r",
                        "status": "ok",
                        "dependabot": {"state": "on", "open": {"high": -1}},
                    }
                ]
            },
            "open.high -1 is not a count",
        ),
        ({"components": [{"ref": "r", "status": "maybe"}]}, "status 'maybe' is not one of"),
    ],
)
def test_a_live_result_of_another_shape_is_refused(document, message):
    with pytest.raises(UsageError, match=message):
        parse_insights(document)


def test_a_component_known_only_on_github_has_its_versions_not_gathered():
    row = Row(
        ref="component:default/remote",
        name="remote",
        description="",
        lifecycle="production",
        owner="group:default/payments",
        system="",
        repository="https://github.com/acme/remote",
    )
    html = page.render(Report("github:acme/catalog/all.yaml", (row,), (), 1), generated="now")
    parsed = _Parsed(html)
    cells = [t.strip() for t in parsed.text if t.strip()]
    start = cells.index("remote")
    assert cells[start : start + 6] == [
        "remote",
        "group:default/payments",
        "production",
        "not gathered",  # template
        "not gathered",  # baseline
        "not gathered",  # audit
    ]


def test_the_json_block_escapes_what_could_end_it():
    text = page.json_for_script({"v": "</script><!-- & \u2028\u2029 >"})
    assert text == '{"v":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029 \\u003e"}'
    assert json.loads(text) == {"v": "</script><!-- & \u2028\u2029 >"}
