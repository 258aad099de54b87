"""Real git, run as a subprocess. The one boundary where git's failures become `GitError`.

Nothing here changes the user's git config: identity falls back through environment variables
for one command, and credentials (see `publish`) travel only in `GIT_CONFIG_*` variables.

Every git process runs with repository-supplied commands switched off (`hardened_env`):
a repository's own `.git/config` may name commands (`core.fsmonitor`, hooks, filter drivers)
that git would run on `status`, `add` or `commit`. Settings given in `GIT_CONFIG_*` variables
outrank every config file, so they win over whatever a template managed to put there.
copier's git processes get the same variables (see `render/copier_adapter.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from scaffolder.config import TOKEN_ENVS
from scaffolder.errors import GitError, SecretInProjectError

FALLBACK_EMAIL_DOMAIN = "localhost"

#: Config that keeps git from running commands a repository supplies. `core.hooksPath` names
#: `/dev/null`, which is not a folder, so no hook can ever be found there (not even the
#: user's own: scaffolder's commits and pushes run no hooks).
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("protocol.ext.allow", "never"),
)


def config_env(
    pairs: Iterable[tuple[str, str]], base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n` variables adding `pairs` after those in `base`.

    Entries already counted in `base` (`os.environ` by default) are kept; later ones win.
    """
    base = os.environ if base is None else base
    try:
        start = max(int(base.get("GIT_CONFIG_COUNT", "0") or 0), 0)
    except ValueError:
        start = 0
    env: dict[str, str] = {}
    count = start
    for key, value in pairs:
        env[f"GIT_CONFIG_KEY_{count}"] = key
        env[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def hardened_env(
    base: Mapping[str, str] | None = None, extra: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    """`config_env` of `SAFE_CONFIG` (plus `extra`), appended to `base`'s own entries."""
    return config_env([*SAFE_CONFIG, *extra], base)


def _git_executable() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed", hint="install git and make sure it is on PATH")
    return exe


def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment, plus `env`, with repository-supplied commands off."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if env:
        full_env.update(env)
    full_env.update(hardened_env(full_env))
    return full_env


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
    try:
        proc = subprocess.run(
            [_git_executable(), *args],
            cwd=cwd,
            env=_environment(env),
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
    import getpass  # here: only a git that knows nobody needs them
    import socket

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


def filter_overrides(repo: Path) -> list[tuple[str, str]]:
    """Config that switches off every filter driver `repo`'s own config files define.

    A repository's `.git/config` can define `filter.NAME.clean`, and its `.gitattributes` apply
    it: git then runs that command on `status` and `add`. Reading config runs nothing, so this
    asks git which drivers the repository (not the user) defines, and empties them.
    """
    proc = run_git(
        ["config", "--includes", "--show-scope", "--name-only", "--get-regexp", r"^filter\."],
        cwd=repo,
        check=False,
    )
    names: set[str] = set()
    for line in proc.stdout.splitlines():
        scope, _, key = line.partition("\t")
        name = key.removeprefix("filter.").rpartition(".")[0]
        if scope in ("local", "worktree") and name:
            names.add(name)
    settings = (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false"))
    return [(f"filter.{name}.{key}", value) for name in sorted(names) for key, value in settings]


#: Shorter values are not scanned for: they would match ordinary text. GitHub's are 40+.
MIN_SECRET_LENGTH = 8


def environment_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The GitHub tokens in the environment (`$GH_TOKEN`, `$GITHUB_TOKEN`)."""
    env = os.environ if env is None else env
    return [value for name in TOKEN_ENVS if (value := env.get(name, "").strip())]


def _needles(secrets: Iterable[str]) -> list[bytes]:
    return sorted({s.encode() for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len)


def _file_holds(path: Path, needles: Sequence[bytes]) -> bool:
    """Whether the file (or a symlink's target name, which git stores) holds a needle."""
    if path.is_symlink():
        target = os.fsencode(path.readlink())
        return any(n in target for n in needles)
    if not path.is_file():
        return False
    overlap = max(len(n) for n in needles) - 1
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            window = tail + chunk
            if any(n in window for n in needles):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def assert_no_secret(root: Path, secrets: Sequence[str], *, action: str = "commit") -> None:
    """Refuse (`SecretInProjectError`, exit 4) if a file `git add --all` would stage in the
    repository `root` holds one of `secrets`, in its content or in its name."""
    needles = _needles(secrets)
    if not needles:
        return
    listed = run_git(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root
    ).stdout
    for rel in filter(None, listed.split("\0")):
        if any(n in os.fsencode(rel) for n in needles) or _file_holds(root / rel, needles):
            raise SecretInProjectError(path=_safe_name(rel, needles), action=action)


def _safe_name(rel: str, needles: Sequence[bytes]) -> str:
    """`rel` with any secret in it masked, so the error can name the file."""
    for needle in needles:
        rel = rel.replace(needle.decode(), "***")
    return rel


def assert_history_clean(
    root: Path, ref: str, secrets: Sequence[str], *, action: str = "push"
) -> None:
    """Refuse if any object reachable from `ref` holds a secret: a file's content or name in
    any commit, or a commit message. What a push could send is a subset of these."""
    needles = _needles(secrets)
    if not needles:
        return
    listed = run_git(["rev-list", "--objects", ref, "--"], cwd=root).stdout
    objects: list[tuple[str, str]] = []
    for line in listed.splitlines():
        sha, _, name = line.partition(" ")
        if any(n in os.fsencode(name) for n in needles):
            raise SecretInProjectError(path=_safe_name(name, needles), action=action)
        objects.append((sha, name))
    proc = subprocess.run(
        [_git_executable(), "cat-file", "--batch"],
        cwd=root,
        env=_environment(None),
        input="".join(f"{sha}\n" for sha, _ in objects).encode(),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(f"git cat-file failed in {root}: {proc.stderr.decode(errors='replace')}")
    data, offset = proc.stdout, 0
    for sha, name in objects:
        header_end = data.index(b"\n", offset)
        size = int(data[offset:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        if any(n in body for n in needles):
            raise SecretInProjectError(path=name or f"commit {sha[:12]}", action=action)


def is_repository(path: Path) -> bool:
    return (path / ".git").exists()


def head_commit(path: Path) -> str | None:
    proc = run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=path, check=False)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def initial_commit(
    path: Path, message: str, *, branch: str = "main", secrets: Sequence[str] | None = None
) -> str:
    """`git init -b main`, add everything, commit once. Returns the commit SHA.

    Idempotent: a repository that already has a commit is left as it is. Before `git add`,
    the files are scanned for `secrets` (default: the tokens in the environment).
    """
    created = not is_repository(path)
    if not created:
        if existing := head_commit(path):
            return existing
    else:
        run_git(["init", "--quiet", "-b", branch], cwd=path)
    assert_no_secret(path, environment_secrets() if secrets is None else secrets)
    run_git(["add", "--all"], cwd=path)
    # A new repository has nothing to maintain: no `git maintenance run --auto` after it.
    commit = ["-c", "maintenance.auto=false", "commit", "--quiet", "--no-verify", "-m", message]
    proc = run_git(commit, cwd=path, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:
        # Git knows nobody: fall back for this one commit, without touching any config.
        proc = run_git(commit, cwd=path, env=identity_env(path), check=False)
    if proc.returncode != 0:
        raise GitError(f"git commit failed: {failure_reason(proc)}")
    sha = (_new_branch_tip(path, branch) if created else None) or head_commit(path)
    if sha is None:
        raise GitError(f"git commit in {path} left no commit")
    return sha


_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _new_branch_tip(path: Path, branch: str) -> str | None:
    """The commit a repository `initial_commit` just made has on `branch`, read from the
    files `git init` and `git commit` wrote (no `git rev-parse` process); None, and the caller
    asks git, if they are not the plain ones of a new repository (another ref storage, a
    `.git` elsewhere)."""
    git_dir = path / ".git"
    try:
        head = (git_dir / "HEAD").read_text(encoding="ascii")
        tip = (git_dir / "refs" / "heads" / branch).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if head != f"ref: refs/heads/{branch}\n" or not _OBJECT_ID.fullmatch(tip):
        return None
    return tip


def initial_commit_message(path: Path) -> str | None:
    """The message of the repository's first commit, or None when it has none."""
    proc = run_git(["rev-list", "--max-parents=0", "HEAD"], cwd=path, check=False)
    roots = proc.stdout.split() if proc.returncode == 0 else []
    if not roots:
        return None
    proc = run_git(["log", "-1", "--format=%B", roots[-1]], cwd=path, check=False)
    return proc.stdout if proc.returncode == 0 else None
