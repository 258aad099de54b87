"""The token appears in no file, no output and no process argument, even when a step fails."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN

SECRETS = [TOKEN.encode(), base64.b64encode(f"x-access-token:{TOKEN}".encode())]


@pytest.fixture
def git_argv_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that records the argv of every git call, then runs the real git."""
    real = next(
        Path(d) / "git"
        for d in os.environ["PATH"].split(os.pathsep)
        if (Path(d) / "git").is_file() and os.access(Path(d) / "git", os.X_OK)
    )
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    log = tmp_path / "git-argv.log"
    shim = shim_dir / "git"
    shim.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do printf "%s\\0" "$a" >> "{log}"; done\n'
        f'printf "\\n" >> "{log}"\n'
        f'exec "{real}" "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def files_holding_a_secret(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        paths = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in paths:
            data = path.read_bytes()
            if any(secret in data for secret in SECRETS):
                found.append(str(path))
    return found


def test_token_is_nowhere(
    fake_github: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable,
    git_argv_log: Path,
    catalog_file: Path,
    isolated_env: Path,
) -> None:
    project = new_service()
    # a failed push (its error text is shown to the user), then the resume, then a re-run
    fake_github.fail("POST", "/alice/payments-api.git/git-receive-pack", status=500, times=4)
    runs = [
        run_cli(["publish", project, "--json"]),
        run_cli(["publish", project]),
        run_cli(["publish", project, "--json"]),
        run_cli(["publish", project, "--dry-run"]),
    ]
    assert [r.code for r in runs] == [3, 0, 0, 0], runs[0].stderr

    argv = git_argv_log.read_bytes()
    assert b"push" in argv and b"http-backend" in argv, "the shim saw the git calls"
    assert not any(secret in argv for secret in SECRETS), "token in a git argv"
    for result in runs:
        assert TOKEN not in result.stdout + result.stderr
    assert files_holding_a_secret(project, catalog_file, isolated_env) == []
    config = (project / ".git" / "config").read_text()
    assert "extraheader" not in config.lower() and "@" not in config
    # the pushes were authenticated, by header
    git_calls = [r for r in fake_github.requests if r.kind == "git"]
    assert git_calls and all(r.authorized for r in git_calls)


def test_git_without_the_token_is_refused_by_the_fake(
    fake_github: FakeGitHub, new_service: Callable[..., Path]
) -> None:
    """The fake really checks git's Authorization header (so the test above means something)."""
    import subprocess

    fake_github.state.add_repo("alice", "empty")
    project = new_service()
    proc = subprocess.run(
        ["git", "push", f"{fake_github.web_url}/alice/empty.git", "main"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        check=False,
    )
    assert proc.returncode != 0
    assert fake_github.requests[-1].kind == "git" and not fake_github.requests[-1].authorized
