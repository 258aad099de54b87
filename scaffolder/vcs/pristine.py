"""The pristine renders of a project's templates, kept in the project's own history.

The project's first commit (scaffolder's "Initial commit from the NAME VERSION template") is the
pristine render of both layers at the versions it was made with: `new` renders into an empty
folder and commits it all, before anything else touches it. Each `scaffolder update` renders
the newer versions with the recorded answers and stores that render as a commit whose parent is
the previous pristine commit and whose message carries the `Scaffolder-Pristine: true`
trailer; merging it into the project is a real three-way merge whose base is that previous
render. The pristine commits stay reachable through the merge commits, so no old template
version is ever needed again: the history holds every render the project was merged with.

Every helper runs git through `vcs/git.run_git` (repository-supplied commands off, no hooks).
Objects a dry run writes go to a scratch object folder (`scratch_objects`) that is deleted
afterwards, so a dry run leaves no object, branch or index change in the repository.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scaffolder.errors import GitError
from scaffolder.vcs import git

#: The trailer that marks a pristine render's commit.
TRAILER = "Scaffolder-Pristine"
_GREP = f"^{TRAILER}: true$"


def _git(
    repo: Path, args: Sequence[str], env: Mapping[str, str] | None = None, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return git.run_git(args, cwd=repo, env=env, check=check)


def status_lines(repo: Path) -> list[str]:
    """`git status --porcelain` (untracked files included): empty when the tree is clean."""
    proc = _git(repo, ["status", "--porcelain", "--untracked-files=normal"])
    return [line for line in proc.stdout.splitlines() if line.strip()]


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, or None for a detached HEAD."""
    proc = _git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"], check=False)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def branch_exists(repo: Path, branch: str) -> bool:
    ref = f"refs/heads/{branch}"
    return _git(repo, ["rev-parse", "--verify", "--quiet", ref], check=False).returncode == 0


def newest_pristine(repo: Path, head: str = "HEAD") -> str | None:
    """The newest pristine render reachable from `head`: the newest commit with the trailer,
    else the root commit (the initial commit is the first pristine render)."""
    proc = _git(repo, ["rev-list", "-n1", f"--grep={_GREP}", head, "--"], check=False)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    proc = _git(repo, ["rev-list", "--max-parents=0", head, "--"], check=False)
    roots = proc.stdout.split() if proc.returncode == 0 else []
    return roots[-1] if roots else None


def tree_of(repo: Path, commit: str, env: Mapping[str, str] | None = None) -> str:
    return _git(repo, ["rev-parse", f"{commit}^{{tree}}"], env).stdout.strip()


def message_of(repo: Path, commit: str) -> str:
    return _git(repo, ["log", "-1", "--format=%B", commit]).stdout


def tree_of_folder(repo: Path, folder: Path, env: Mapping[str, str] | None = None) -> str:
    """The tree object of every file in `folder` as `git add --all` there would stage it
    (the project's ignore rules apply, as they did to the initial commit), written with a
    temporary index: the project's own index and work tree are not touched."""
    with tempfile.TemporaryDirectory(prefix="scaffolder-index-") as tmp:
        scratch = {**(env or {}), "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        work = ["--work-tree", str(folder)]
        _git(repo, [*work, "add", "--all", "--", "."], scratch)
        return _git(repo, [*work, "write-tree"], scratch).stdout.strip()


def commit_tree(
    repo: Path, tree: str, parent: str, message: str, env: Mapping[str, str] | None = None
) -> str:
    """A commit object of `tree` with `parent`, by the user's git identity; no ref moves."""
    args = ["commit-tree", tree, "-p", parent, "-m", message]
    proc = _git(repo, args, env, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:
        proc = _git(repo, args, {**(env or {}), **git.identity_env(repo)}, check=False)
    if proc.returncode != 0:
        raise GitError(f"git commit-tree failed: {git.failure_reason(proc)}")
    return proc.stdout.strip()


@dataclass(frozen=True)
class MergePreview:
    tree: str
    conflicts: tuple[str, ...]


def merge_tree(
    repo: Path, ours: str, theirs: str, env: Mapping[str, str] | None = None
) -> MergePreview:
    """`git merge-tree --write-tree` (git 2.38 or later): the merge result's tree and the
    conflicted files, computed without a work tree."""
    proc = _git(
        repo, ["merge-tree", "--write-tree", "--name-only", "-z", ours, theirs], env, check=False
    )
    if proc.returncode not in (0, 1):
        reason = git.failure_reason(proc)
        raise GitError(
            f"git merge-tree failed: {reason}",
            hint="scaffolder update --dry-run needs git 2.38 or later",
        )
    tree, _, rest = proc.stdout.partition("\0")
    files = rest.split("\0\0", 1)[0] if proc.returncode == 1 else ""
    return MergePreview(tree=tree.strip(), conflicts=tuple(f for f in files.split("\0") if f))


def diff(repo: Path, old: str, new: str, env: Mapping[str, str] | None = None) -> str:
    return _git(repo, ["diff", "--no-color", "--no-ext-diff", old, new], env).stdout


def changed_files(
    repo: Path, old: str, new: str, env: Mapping[str, str] | None = None
) -> list[str]:
    proc = _git(repo, ["diff", "--name-only", "-z", "--no-renames", old, new], env)
    return [f for f in proc.stdout.split("\0") if f]


@contextlib.contextmanager
def scratch_objects(repo: Path) -> Iterator[dict[str, str]]:
    """Environment that sends every object git writes to a temporary folder, deleted after;
    the repository's own objects stay readable (as an alternate)."""
    objects = _git(repo, ["rev-parse", "--path-format=absolute", "--git-path", "objects"])
    with tempfile.TemporaryDirectory(prefix="scaffolder-objects-") as tmp:
        yield {
            "GIT_OBJECT_DIRECTORY": tmp,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects.stdout.strip(),
        }


def _with_identity(repo: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    env = {"GIT_MERGE_AUTOEDIT": "no"}
    proc = _git(repo, args, env, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:
        proc = _git(repo, args, {**env, **git.identity_env(repo)}, check=False)
    return proc


def merge_on_branch(
    repo: Path, branch: str, commit: str, message: str, *, theirs: Sequence[str] = ()
) -> list[str]:
    """Create `branch` at HEAD, check it out and merge `commit` into it (no fast-forward,
    no hooks). A conflict in one of the files `theirs` names is resolved with `commit`'s
    version. Returns the other conflicted files (left with inline markers, merge not
    committed); empty when the merge was committed. A merge git refuses outright, or one
    interrupted (Ctrl-C), is undone: the previous branch is checked out again and `branch`
    deleted, as if the update had not begun."""
    previous = current_branch(repo)
    _git(repo, ["switch", "--quiet", "-c", branch])
    try:
        return _merge(repo, commit, message, theirs)
    except (GitError, KeyboardInterrupt):
        _undo(repo, previous, branch)
        raise


def _merge(repo: Path, commit: str, message: str, theirs: Sequence[str]) -> list[str]:
    proc = _with_identity(
        repo, ["merge", "--no-ff", "--no-verify", "--no-edit", "-m", message, commit]
    )
    if proc.returncode == 0:
        return []
    conflicts = _git(repo, ["diff", "--name-only", "-z", "--diff-filter=U"], check=False)
    files = [f for f in conflicts.stdout.split("\0") if f]
    if taken := [f for f in files if f in theirs]:
        _git(repo, ["checkout", "--theirs", "--", *taken])
        _git(repo, ["add", "--", *taken])
        files = [f for f in files if f not in taken]
        if not files:
            committed = _with_identity(repo, ["commit", "--quiet", "--no-verify", "--no-edit"])
            if committed.returncode != 0:
                raise GitError(f"git commit failed: {git.failure_reason(committed)}")
            return []
    if files:
        return files
    raise GitError(f"git merge failed: {git.failure_reason(proc)}")


def _undo(repo: Path, previous: str | None, branch: str) -> None:
    """Back to `previous` as it was (a merge in progress aborted), and `branch` deleted."""
    _git(repo, ["merge", "--abort"], check=False)
    if previous:
        _git(repo, ["switch", "--quiet", "--discard-changes", previous], check=False)
        _git(repo, ["branch", "-D", branch], check=False)


def read_blobs(repo: Path, commit: str, paths: Sequence[str]) -> dict[str, bytes]:
    """The files at `paths` (folders: every file under them) in `commit`: one `git ls-tree`
    and one `git cat-file --batch`."""
    listed = _git(repo, ["ls-tree", "-r", "-z", commit, "--", *paths], check=False)
    entries: list[tuple[str, str]] = []
    for record in filter(None, listed.stdout.split("\0")):
        meta, _, name = record.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            entries.append((parts[2], name))
    if not entries:
        return {}
    proc = subprocess.run(
        [git_executable(), "cat-file", "--batch"],
        cwd=repo,
        env={**os.environ, **git.hardened_env()},
        input="".join(f"{sha}\n" for sha, _ in entries).encode(),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(f"git cat-file failed in {repo}: {proc.stderr.decode(errors='replace')}")
    data, offset, blobs = proc.stdout, 0, {}
    for _, name in entries:
        header_end = data.index(b"\n", offset)
        size = int(data[offset:header_end].split()[2])
        blobs[name] = data[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
    return blobs


def git_executable() -> str:
    import shutil

    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed", hint="install git and make sure it is on PATH")
    return exe
