"""Shared test fixtures: an isolated environment for every test, and CLI runners.

Every test gets its own HOME, XDG directories, git config (pinned identity, no system config),
copier settings and catalog file, and runs with no GitHub token in the environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffolder.cli import main as cli_main
from tests.helpers import isolate_environment

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = REPO_ROOT / "templates"

pytest_plugins = [
    "tests.fakegithub.fixtures",
    "tests.baseline_fixtures",
    "tests.backstage.fixture",
]  # fake_github, fake_ghes; scaffolds; backstage (a real Backstage catalog)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        import json

        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    isolate_environment(monkeypatch, home)
    yield home


@pytest.fixture
def catalog_file(isolated_env: Path) -> Path:
    return isolated_env / "catalog.yaml"


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[[Sequence[str]], CliResult]:
    """Run the CLI in-process, as `scaffolder ARGS` would, and capture its output."""

    def run(args: Sequence[str]) -> CliResult:
        capsys.readouterr()
        code = cli_main([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture
def run_subprocess() -> Callable[..., CliResult]:
    """Run `python -m scaffolder ARGS` in a real subprocess (for exit codes, stdin, signals)."""

    def run(
        args: Sequence[str],
        *,
        input: str | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "scaffolder", *map(str, args)],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


#: A group owner comes with its GitHub team when nothing is asked (the owner is never guessed).
STANDARD_ANSWERS = ("--set", "owner=group:default/payments", "--set", "codeowners=@acme/payments")


@pytest.fixture
def new_service(
    run_cli: Callable[[Sequence[str]], CliResult], tmp_path: Path
) -> Callable[..., Path]:
    """Scaffold a project with the CLI and return its folder; extra args are passed through."""

    def make(template: str = "python-service", *extra: str, name: str = "payments-api") -> Path:
        dst = tmp_path / name
        result = run_cli(
            ["new", template, "--output", dst, *STANDARD_ANSWERS, "--no-input", *extra]
        )
        assert result.code == 0, result.stderr
        return dst

    return make
