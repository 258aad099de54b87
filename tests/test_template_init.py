"""`scaffolder template init`: a new template that passes lint and test as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffolder.baseline import questions
from tests.conftest import TEMPLATES
from tests.template_helpers import config_line, findings, go_env
from tests.test_templates_builtin import (
    GO_INSTALL,
    NODE_INSTALL,
    NPM_CACHE,
    NPM_FILL,
    missing,
    require_toolchain,
    tool_version,
)

SKELETON = Path(questions.__file__).resolve().parent.parent / "template_skeleton"


def toolchain(language: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What `template test --offline` needs for `language`, or how to get it."""
    if language == "go":
        require_toolchain("Go", tool_version(["go", "env", "GOVERSION"]), "1.26", GO_INSTALL)
        for key, value in go_env(tmp_path).items():
            monkeypatch.setenv(key, value)
    elif language == "typescript":
        require_toolchain("Node.js", tool_version(["node", "--version"]), "22", NODE_INSTALL)
        if not NPM_CACHE.is_dir():
            missing(f"the npm cache {NPM_CACHE} is empty; fill it: {NPM_FILL}")
        monkeypatch.setenv("npm_config_cache", str(NPM_CACHE))


@pytest.mark.parametrize("language", ["python", "typescript", "go"])
def test_init_writes_a_template_that_passes_lint_and_test(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    toolchain(language, monkeypatch, tmp_path)
    dst = tmp_path / f"{language}-service"
    result = run_cli(["template", "init", dst, "--language", language, "--json"])
    assert result.code == 0, result.stderr
    made = result.json()["result"]
    assert made["title"] == f"{language.capitalize()} service" and made["version"] == "0.1.0"
    assert (dst / "standard-questions.yml").read_bytes() == questions.SOURCE.read_bytes()
    config = (dst / "copier.yml").read_text()
    assert "!include standard-questions.yml" in config and "_subdirectory: template" in config
    meta = yaml.safe_load(config.split("---")[2])["_scaffolder"]
    assert meta["version"] == "0.1.0" and meta["languages"] == [language]
    assert (dst / "template" / "{{ _copier_conf.answers_file }}.jinja").is_file()
    assert (dst / "tests" / "test_template.py").is_file() and (dst / "README.md").is_file()
    assert "scaffolder.testing" in (dst / "conftest.py").read_text()

    lint = run_cli(["template", "lint", dst, "--json"])
    assert lint.code == 0, lint.stdout
    assert lint.json()["result"]["findings"] == []

    tested = run_cli(["template", "test", dst, "--offline", "--json"])
    assert tested.code == 0, tested.stdout
    rows = tested.json()["result"]["rows"]
    ran = [r for r in rows if r["tests"]["steps"]]
    assert ran, rows
    assert all(r["tests"]["ok"] for r in ran)
    # Each ran the language table's test steps, e.g. `go test ./...`.
    assert {s["phase"] for s in ran[0]["tests"]["steps"]} >= {"test"}


def test_an_unknown_language_gets_a_description_to_fill_in(run_cli, tmp_path: Path) -> None:
    dst = tmp_path / "rust-service"
    result = run_cli(["template", "init", dst, "--language", "rust", "--title", "Rust service"])
    assert result.code == 0, result.stderr
    assert "fill in _scaffolder.language_data.rust" in result.stderr
    meta = yaml.safe_load((dst / "copier.yml").read_text().split("---")[2])["_scaffolder"]
    rust = meta["language_data"]["rust"]
    # The language table's schema (templates/_baseline/languages.yml), to fill in.
    assert set(rust) == {"title", "codeql", "dependabot", "ci", "audit"}
    assert set(rust["audit"]) == {
        "manifests",
        "ecosystems",
        "test_command",
        "test_description",
        "gitignore",
    }
    assert rust["ci"]["test"][0]["name"] == "Test"
    # lint says what is left to do, at the description's line.
    lint = run_cli(["template", "lint", dst, "--json"])
    assert lint.code == 1
    todo = [f for f in findings(lint.json(), "language") if "TODO" in f["message"]]
    assert todo and todo[0]["line"] == config_line(dst, r"^    rust:")
    # Its own tests pass as written.
    out = run_template_tests(dst)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout


def test_the_template_own_tests_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toolchain("go", monkeypatch, tmp_path)
    from scaffolder.commands.template import init

    init.run(init.InitOptions(path=tmp_path / "svc", languages=("go",)))
    out = run_template_tests(tmp_path / "svc", "--scaffolder-offline")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout


def run_template_tests(template: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pytest tests` in the template, as its author runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=template,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--language", "Py thon"], "is not a language name"),
        (["--language", "rust", "--title", "two\nlines"], "--title must be one line"),
    ],
)
def test_bad_flags_write_nothing(run_cli, tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(["template", "init", tmp_path / "new", *args])
    assert result.code == 2 and message in result.stderr
    assert not (tmp_path / "new").exists()


def test_a_folder_that_is_not_empty_is_refused(run_cli, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n")
    result = run_cli(["template", "init", tmp_path / "taken", "--json"])
    assert result.code == 2
    assert result.json()["error"]["code"] == "destination-not-empty"
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    assert run_cli(["template", "init", tmp_path / "file"]).code == 2
    # An empty folder is fine, and nothing is written beside it.
    (tmp_path / "empty").mkdir()
    assert run_cli(["template", "init", tmp_path / "empty", "--language", "go"]).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "taken"]


@pytest.mark.parametrize(
    ("copy", "source"),
    [
        (
            "python/template/requirements-test.txt.in",
            "python-service/template/requirements-test.txt",
        ),
        (
            "typescript/template/package-lock.json.jinja.in",
            "typescript-service/template/package-lock.json.jinja",
        ),
        ("typescript/template/.npmrc.in", "typescript-service/template/.npmrc"),
        ("typescript/template/tsconfig.json.in", "typescript-service/template/tsconfig.json"),
    ],
)
def test_pinned_files_are_the_builtin_templates_own(copy: str, source: str) -> None:
    """Dependabot updates the built-in templates' pins; init's copies follow them."""
    assert (SKELETON / copy).read_bytes() == (TEMPLATES / source).read_bytes()


def test_the_typescript_skeleton_asks_for_what_its_lock_pins() -> None:
    package = (SKELETON / "typescript/template/package.json.jinja.in").read_text()
    lock = (SKELETON / "typescript/template/package-lock.json.jinja.in").read_text()
    wanted = json.loads(
        package.split("\n", 1)[1]
        .replace("{{ quoted(name) }}", '"x"')
        .replace("{{ quoted(description) }}", '"x"')
    )["devDependencies"]
    for name, version in wanted.items():
        assert f'"node_modules/{name}": {{\n      "version": "{version}"' in lock
