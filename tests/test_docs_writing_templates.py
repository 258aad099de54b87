"""docs/writing-templates.md: every example in the guide is exercised.

The guide marks each fenced block: `<!-- example: DIR/PATH -->` is a file written out exactly
as shown (DIR is the example template's folder), `<!-- commands: NAME -->` is a console block
whose `$ scaffolder ...` and `$ pytest ...` lines are run, in order, in a folder holding the
example templates. Its tables are checked against the code they describe.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from scaffolder.baseline import languages
from scaffolder.baseline.questions import SOURCE as STANDARD_QUESTIONS_FILE
from scaffolder.commands.template import contract
from scaffolder.render import layers
from scaffolder.render.registry import resolve_template
from tests.conftest import CliResult
from tests.rust_template import CRATE, cargo_env, find_cargo

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "writing-templates.md"
TEXT = GUIDE.read_text(encoding="utf-8")
BLOCK = re.compile(
    r"^(?:<!-- (?P<kind>example|commands): (?P<what>[^\n]+?) -->\n)?"
    r"```(?P<lang>\w*)\n(?P<body>.*?)^```\n",
    re.M | re.S,
)

RunCli = Callable[[Sequence[str]], CliResult]


def blocks() -> list[re.Match[str]]:
    return list(BLOCK.finditer(TEXT))


def examples() -> dict[str, dict[str, str]]:
    """Each example template's files, by folder, as the guide shows them."""
    found: dict[str, dict[str, str]] = {}
    for m in blocks():
        if m["kind"] == "example":
            folder, _, path = m["what"].partition("/")
            found.setdefault(folder, {})[path] = m["body"]
    return found


def commands(name: str) -> list[list[str]]:
    [m] = [m for m in blocks() if m["kind"] == "commands" and m["what"] == name]
    lines = [line.removeprefix("$ ") for line in m["body"].splitlines() if line.startswith("$ ")]
    assert lines, f"the commands block {name} runs nothing"
    return [shlex.split(line) for line in lines]


def write_example(root: Path, folder: str) -> Path:
    """The example template `folder` on disk: its files as the guide shows them, plus the copy
    of the standard questions the guide says to put beside copier.yml."""
    dst = root / folder
    for path, body in examples()[folder].items():
        target = dst / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    shutil.copyfile(STANDARD_QUESTIONS_FILE, dst / "standard-questions.yml")
    return dst


def run(run_cli: RunCli, argv: list[str], cwd: Path) -> None:
    if argv[0] == "scaffolder":
        result = run_cli(argv[1:])
        assert result.code == 0, f"{shlex.join(argv)}\n{result.stdout}\n{result.stderr}"
    elif argv[0] == "pytest":
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv[1:]],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert proc.returncode == 0, f"{shlex.join(argv)}\n{proc.stdout}\n{proc.stderr}"
        assert " passed" in proc.stdout
    else:
        pytest.fail(f"the guide runs {argv[0]}, which this test does not know how to run")


def test_every_block_of_the_guide_is_an_example_or_commands_this_test_runs() -> None:
    found = blocks()
    assert found and all(m["kind"] for m in found), [m["body"][:40] for m in found if not m["kind"]]
    # Nothing fenced escapes the pattern (an unmarked or malformed block).
    assert TEXT.count("```") == 2 * len(found)
    assert set(examples()) == {"docs-site", "rust-service"}


def test_template_init_then_lint_then_test_as_the_guide_starts(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in commands("start"):
        run(run_cli, argv, tmp_path)
    assert (tmp_path / "billing-template" / "copier.yml").is_file()


def test_the_complete_example_lints_tests_and_passes_its_own_pytest(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_example(tmp_path, "docs-site")
    monkeypatch.chdir(tmp_path)
    for argv in commands("docs-site"):
        run(run_cli, argv, tmp_path)
    # And a project made from it passes the audit, with the neutral baseline.
    dst = tmp_path / "handbook"
    made = run_cli(["new", "./docs-site", "-o", dst, "--no-input", "--set", "owner=user:jdoe"])
    assert made.code == 0, made.stderr
    assert (dst / "docs" / "index.md").read_text().startswith("# Handbook\n")
    assert run_cli(["audit", dst]).code == 0


def test_the_rust_example_describes_rust_well_enough_for_lint_new_audit_and_cargo(
    run_cli: RunCli, tmp_path: Path
) -> None:
    root = write_example(tmp_path, "rust-service")
    (root / "template").mkdir()
    (root / "template" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        examples()["docs-site"]["template/{{ _copier_conf.answers_file }}.jinja"]
    )
    for path, body in CRATE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(body), encoding="utf-8")
    lint = run_cli(["template", "lint", root])
    assert lint.code == 0, lint.stdout + lint.stderr
    dst = tmp_path / "ledger"
    made = run_cli(["new", root, "-o", dst, "--no-input", "--set", "owner=user:jdoe"])
    assert made.code == 0, made.stderr
    assert run_cli(["audit", dst]).code == 0
    cargo = find_cargo()
    proc = subprocess.run(
        [str(cargo), "test", "--locked", "--offline"],
        cwd=dst,
        env=cargo_env(cargo, tmp_path / "cargo"),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr


def table(heading: str) -> list[str]:
    """The first column (between backquotes) of the first table after `heading`."""
    lines = TEXT.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("|"))
    rows = []
    for line in lines[start + 2 :]:  # after the header and its rule
        if not line.lstrip().startswith("|"):
            break
        rows.append(re.match(r"\s*\| `([^`]+)` \|", line)[1])  # type: ignore[index]
    assert rows, heading
    return rows


def test_the_metadata_table_names_every_key_lint_accepts() -> None:
    keys = table("Every key:")
    assert keys[: len(contract.METADATA_KEYS)] == list(contract.METADATA_KEYS)
    assert set(keys) == {*contract.METADATA_KEYS, *contract.OPTIONAL_METADATA_KEYS}


def test_the_variables_table_is_what_scaffolder_passes() -> None:
    stack = layers.build_stack(resolve_template("python-service"), trust=False)
    assert set(table("## What scaffolder gives the template")) == set(stack.context)


def test_the_answers_table_is_every_answer_the_language_table_reads() -> None:
    named = set()
    for lang in languages.load().languages:
        if lang.ci.setup and lang.ci.setup.version:
            named.add(lang.ci.setup.version.answer)
        for step in (*lang.ci.install, *lang.ci.test):
            named.update(a for a in (step.if_answer, step.unless_answer) if a)
    assert set(table("## What the baseline reads from the template")) == named
