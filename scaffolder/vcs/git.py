"""Real git, run as a subprocess. The one boundary where git's failures become `GitError`.

Nothing here changes the user's git config: identity falls back through environment variables
for one command, and credentials (see `publish`) travel only in `GIT_CONFIG_*` variables.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from scaffolder.errors import GitError

FALLBACK_EMAIL_DOMAIN = "localhost"


def _git_executable() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed", hint="install git and make sure it is on PATH")
    return exe


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    secrets: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd`. `env` entries are added to this process's environment.

    `secrets` are scrubbed from any error message, in case git echoes one back.
    """
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            [_git_executable(), *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise GitError(f"could not run git in {cwd}: {exc}") from exc
    if check and proc.returncode != 0:
        message = failure_reason(proc)
        for secret in secrets:
            if secret:
                message = message.replace(secret, "***")
        raise GitError(f"git {args[0]} failed: {message}")
    return proc


def failure_reason(proc: subprocess.CompletedProcess[str]) -> str:
    """What git said went wrong: its `error:`/`fatal:` lines (a failed push prints the HTTP
    status on one and "the remote end hung up" on the next), else its last line."""
    lines = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "fatal:"))]
    return "; ".join(errors[-3:] or lines[-1:]) or f"exit status {proc.returncode}"


def _config_value(key: str, cwd: Path) -> str:
    proc = run_git(["config", "--get", key], cwd=cwd, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def identity_env(cwd: Path) -> dict[str, str]:
    """Author/committer variables for when the user's git config names nobody.

    The user's own `user.name`/`user.email` (and GIT_AUTHOR_* variables) win; only what is
    missing is filled in, for this one command.
    """
    env: dict[str, str] = {}
    name = os.environ.get("GIT_AUTHOR_NAME") or _config_value("user.name", cwd)
    email = os.environ.get("GIT_AUTHOR_EMAIL") or _config_value("user.email", cwd)
    if not name:
        try:
            login = getpass.getuser()
        except (OSError, KeyError):
            login = "scaffolder"
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = login
    if not email:
        login = env.get("GIT_AUTHOR_NAME") or "scaffolder"
        host = socket.gethostname() or FALLBACK_EMAIL_DOMAIN
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = f"{login}@{host}"
    return env


def is_repository(path: Path) -> bool:
    return (path / ".git").exists()


def head_commit(path: Path) -> str | None:
    proc = run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=path, check=False)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def initial_commit(path: Path, message: str, *, branch: str = "main") -> str:
    """`git init -b main`, add everything, commit once. Returns the commit SHA.

    Idempotent: a repository that already has a commit is left as it is.
    """
    if is_repository(path):
        if existing := head_commit(path):
            return existing
    else:
        run_git(["init", "--quiet", "-b", branch], cwd=path)
    run_git(["add", "--all"], cwd=path)
    commit = ["commit", "--quiet", "--no-verify", "-m", message]
    proc = run_git(commit, cwd=path, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:
        # Git knows nobody: fall back for this one commit, without touching any config.
        proc = run_git(commit, cwd=path, env=identity_env(path), check=False)
    if proc.returncode != 0:
        raise GitError(f"git commit failed: {failure_reason(proc)}")
    sha = head_commit(path)
    if sha is None:
        raise GitError(f"git commit in {path} left no commit")
    return sha


def initial_commit_message(path: Path) -> str | None:
    """The message of the repository's first commit, or None when it has none."""
    proc = run_git(["rev-list", "--max-parents=0", "HEAD"], cwd=path, check=False)
    roots = proc.stdout.split() if proc.returncode == 0 else []
    if not roots:
        return None
    proc = run_git(["log", "-1", "--format=%B", roots[-1]], cwd=path, check=False)
    return proc.stdout if proc.returncode == 0 else None
