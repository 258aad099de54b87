"""The `scaffolder.testing` pytest plugin, as a template author's test suite uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.template_helpers import go_template
from tests.test_template_init import toolchain

pytest_plugins = ["pytester"]

AUTHOR_TESTS = """
from pathlib import Path

TEMPLATE = Path({template!r})
ANSWERS = {{"name": "ledger", "owner": "group:default/payments", "codeowners": "@acme/payments"}}


def test_files_audit_and_own_tests(scaffold):
    result = scaffold(TEMPLATE, ANSWERS)
    assert result.exit_code == 0, result.exception
    assert (result.project_dir / "go.mod").read_text().startswith("module example.com/ledger")
    assert result.answers["lifecycle"] == "experimental"
    assert result.audit.ok, result.audit_failures
    run = result.run_tests()
    assert run.ok, run.summary
    assert [s.name for s in run.steps] == ["Vet", "Test"]


def test_a_refused_answer_is_a_result(scaffold):
    result = scaffold(TEMPLATE, {{**ANSWERS, "name": "Not Kebab"}})
    assert result.exit_code == 2 and result.project_dir is None
    assert "not lowercase kebab-case" in str(result.exception)


def test_the_template_option_is_the_default(scaffold):
    assert scaffold(answers=ANSWERS).project_dir.is_dir()


def test_a_failing_project_test_is_seen(scaffold):
    run = scaffold(TEMPLATE.parent / "broken", ANSWERS).run_tests()
    assert run.ok, run.summary
"""


def test_an_author_suite_runs_with_the_scaffold_fixture(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toolchain("go", monkeypatch, tmp_path)
    template = go_template(tmp_path / "tpl")
    go_template(tmp_path / "broken", test_body='t.Fatal("broken on purpose")')
    # As `scaffolder template init` writes it: the plugin named in the root conftest.py.
    pytester.makeconftest('pytest_plugins = ["scaffolder.testing"]')
    pytester.makepyfile(test_author=AUTHOR_TESTS.format(template=str(template)))
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--template", str(template), "--scaffolder-offline"
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_a_failing_project_test_is_seen*", "*Test failed (`go test ./...`)*"]
    )
