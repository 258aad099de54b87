"""`scaffolder template test`: the matrix, audit and each project's own tests; exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.template_helpers import findings, go_template
from tests.test_template_init import toolchain


@pytest.fixture(autouse=True)
def _go(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toolchain("go", monkeypatch, tmp_path)


def test_a_generated_test_that_fails_fails_its_rows(run_cli, tmp_path: Path) -> None:
    root = go_template(tmp_path / "t", test_body='t.Fatal("the generated test fails")')
    result = run_cli(["template", "test", root, "--offline", "--json"])
    assert result.code == 1, result.stdout
    envelope = result.json()
    assert envelope["command"] == "template test" and envelope["result"]["offline"] is True
    [failed] = findings(envelope, "tests")
    assert failed["file"] == "template/" and failed["rows"] == [0, 1, 2]
    assert failed["message"].startswith("the project's test step 'Test' (`go test ./...`) exits 1")
    row = envelope["result"]["rows"][0]
    assert not row["ok"] and row["audit"]["failed"] == []  # rendered and audited clean
    steps = row["tests"]["steps"]
    assert [(s["name"], s["exit_code"]) for s in steps] == [("Vet", 0), ("Test", 1)]
    assert "the generated test fails" in steps[1]["output"]


def test_a_passing_template_and_an_answers_file_row(run_cli, tmp_path: Path) -> None:
    root = go_template(tmp_path / "t")
    answers = tmp_path / "prod.yml"
    answers.write_text("name: ledger\nlifecycle: production\ndescription: Prod ledger\n")
    result = run_cli(["template", "test", root, "--offline", "--answers", answers])
    assert result.code == 0, result.stdout + result.stderr
    # Progress per row on stderr; a result line per row on stdout.
    assert "row 3 tests" in result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("✓ row")]
    assert len(lines) == 4 and f"answers from {answers}" in lines[3]
    assert lines[3].endswith("2 steps passed")
    assert result.stdout.rstrip().endswith("0 findings, 0 for review, 4 rendered")


def test_unusable_answers_file_is_exit_2(run_cli, tmp_path: Path) -> None:
    root = go_template(tmp_path / "t")
    bad = tmp_path / "bad.yml"
    bad.write_text("- a list\n")
    result = run_cli(["template", "test", root, "--answers", bad])
    assert result.code == 2 and "not a mapping" in result.stderr
