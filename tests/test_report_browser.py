"""The report page in a real headless browser (Debian's Chromium through Playwright), opened
from file:// as a platform team would: filters, sorting, the summary, a hostile description
that must not run, and not one request leaving the page."""

from __future__ import annotations

import pytest

from scaffolder.commands import report as report_command
from scaffolder.fleet import Selection
from tests.browser import chromium, find_chromium, watched_page
from tests.report_helpers import AUDIT, FLEET, HOSTILE, INSIGHTS, write_fleet

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _visible(page) -> list[str]:
    return page.eval_on_selector_all(
        "#components tbody tr",
        "rows => rows.filter(r => !r.hidden).map(r => r.getAttribute('data-ref').split('/')[1])",
    )


def _column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#components tbody tr",
        f"rows => rows.filter(r => !r.hidden).map(r => r.cells[{index}].innerText.trim())",
    )


def _sort(page, column: str) -> None:
    page.click(f'#components th[data-column="{column}"] button')


def test_filter_sort_summary_in_chromium(run_cli, browser, tmp_path):
    catalog = write_fleet(tmp_path / "fleet")
    out = tmp_path / "report.html"
    assert run_cli(["report", "--html", out, "--catalog", catalog]).code == 0
    with watched_page(browser, out) as watched:
        page = watched.page
        assert _visible(page) == list(FLEET)
        assert page.inner_text("#shown") == "4 of 4 components shown"
        # The summary: components by lifecycle; alerts not gathered (and how to get them).
        assert page.inner_text('#by-lifecycle td[data-lifecycle="production"]') == "2"
        assert page.inner_text('#by-lifecycle td[data-lifecycle=""]') == "4"
        assert "not gathered" in page.inner_text("#by-severity")
        assert "--live" in page.inner_text("#by-severity")

        page.select_option("#filter-lifecycle", "production")
        assert _visible(page) == ["pay-api", "pay-web"]
        assert page.inner_text("#shown") == "2 of 4 components shown"
        page.select_option("#filter-owner", "group:default/web")
        assert _visible(page) == ["pay-web"]
        page.select_option("#filter-owner", "")
        page.select_option("#filter-lifecycle", "")
        page.select_option("#filter-system", "storefront")
        assert _visible(page) == ["pay-web", "old"]
        page.select_option("#filter-system", "")

        _sort(page, "name")
        assert _visible(page) == ["lab", "old", "pay-api", "pay-web"]
        assert page.get_attribute('th[data-column="name"]', "aria-sort") == "ascending"
        _sort(page, "name")
        assert _visible(page) == ["pay-web", "pay-api", "old", "lab"]
        _sort(page, "lifecycle")
        assert _visible(page) == ["old", "lab", "pay-api", "pay-web"]
        # Sorting keeps the filter.
        page.select_option("#filter-lifecycle", "production")
        _sort(page, "system")
        assert _visible(page) == ["pay-api", "pay-web"]

        # The hostile description is text on the page, and nothing of it ran.
        assert HOSTILE.replace("\u2028", "") in page.inner_text(
            '#components tr[data-ref="component:default/pay-api"] .desc'
        ).replace("\u2028", "")
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("document.scripts.length") == 2
        assert page.evaluate("document.querySelectorAll('#components img').length") == 0
        page.hover('#components tr[data-ref="component:default/pay-api"] .desc')
        assert watched.dialogs == []
        assert watched.errors == []
        # No request but the page itself.
        assert watched.requests == [out.resolve().as_uri()]

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        assert data.startswith(PNG) and len(data) > 1000


def test_live_counts_sort_as_numbers_with_the_ungathered_last(browser, tmp_path):
    catalog = write_fleet(tmp_path / "fleet")
    out = tmp_path / "report.html"
    report_command.run(
        report_command.ReportOptions(
            html=out, selection=Selection(str(catalog)), insights=INSIGHTS, audit=AUDIT
        )
    )
    with watched_page(browser, out) as watched:
        page = watched.page
        total = {
            s: page.inner_text(f'#severity-total td[data-severity="{s}"]')
            for s in ("critical", "high", "medium", "low")
        }
        assert total == {"critical": "3", "high": "3", "medium": "9", "low": "4"}
        _sort(page, "medium")
        assert _visible(page) == ["pay-api", "pay-web", "lab", "old"]
        _sort(page, "medium")
        assert _visible(page) == ["pay-web", "pay-api", "lab", "old"]  # None stays last
        medium = _column(page, 9)
        assert medium[0].startswith("5") and "*" in medium[0]  # partial: a feature is off
        assert _column(page, 6)[1].startswith("1 failed")
        assert watched.errors == [] and watched.dialogs == []
        assert watched.requests == [out.resolve().as_uri()]


def test_without_chromium_the_test_fails_saying_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("SCAFFOLDER_CHROMIUM", str(tmp_path / "no-chromium"))
    for ci in ("", "true"):  # a developer's machine and CI alike: a failure, never a skip
        monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.fail.Exception, match=r"sudo apt-get install chromium"):
            find_chromium()
