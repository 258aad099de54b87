"""What GitHub offers a repository, and bringing the project's answers and files in line with it.

`wanted(...)` computes the answers the layers should have for the repository publish found:
the GitHub owner and host, whether GitHub Code Security is available (a public repository, or
a private one whose `security_and_analysis` says Advanced Security or Code Security is
enabled), who can review (an organisation's repository: `team`; a user's: `none`, since GitHub
never lets authors approve their own pull request), and the Go module path while it is still
the template's placeholder (`example.com/NAME`).

`realign(...)` applies a change of answers the way an update does: the whole stack of layers is
rendered twice at the version the project records, with the old answers and with the new ones,
into temporary folders, and each file that differs is merged into the project with
`git merge-file` (a three-way merge), so the project's own edits stay. A conflict names the
files and changes nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.errors import AlignConflictError, GitError
from scaffolder.project import Project
from scaffolder.render import layers
from scaffolder.vcs import git

#: Baseline answers publish learns from GitHub, and why each value is chosen.
LEARNED = ("github_owner", "github_host", "code_security", "review_mode")
GO_PLACEHOLDER = "example.com/"


@dataclass(frozen=True)
class Offer:
    """What publish learned about the repository and its owner."""

    owner: str
    host: str
    org: bool
    private: bool
    #: Code scanning and dependency review are available (None: GitHub did not say).
    code_security: bool | None


def code_security(repo: Mapping[str, Any] | None, *, private: bool) -> bool | None:
    """Whether the repository has GitHub Code Security, from its `security_and_analysis`."""
    if not private:
        return True
    sa = (repo or {}).get("security_and_analysis")
    if not isinstance(sa, Mapping):
        return None
    statuses = [(sa.get(key) or {}).get("status") for key in ("advanced_security", "code_security")]
    return "enabled" in statuses


def reasons(offer: Offer) -> dict[str, str]:
    return {
        "github_owner": f"the repository is {offer.owner}'s",
        "github_host": f"GitHub is at {offer.host}",
        "code_security": (
            "public repositories have code scanning and dependency review"
            if not offer.private
            else "GitHub Code Security is enabled for this private repository"
            if offer.code_security
            else "this private repository has no GitHub Code Security: code scanning and "
            "dependency review would fail"
        ),
        "review_mode": (
            f"{offer.owner} is an organisation: reviews by the lifecycle rule"
            if offer.org
            else f"{offer.owner} is a user, whose pull requests nobody else can approve"
        ),
        "module_path": "the Go module path follows the repository",
    }


def wanted(project: Project, offer: Offer) -> dict[str, Any]:
    """The answers (of any layer) that differ from what the project records, with new values."""
    answers = project.answers
    base: Mapping[str, Any] = next(
        (la.answers for la in project.layers if la.answers_file == layers.BASELINE_ANSWERS_FILE),
        {},
    )
    target: dict[str, Any] = {
        "github_owner": offer.owner,
        "github_host": offer.host,
        "review_mode": "team" if offer.org else "none",
    }
    if offer.code_security is not None:
        target["code_security"] = offer.code_security
    # Asked once the GitHub owner is known, so a project made without one records none yet.
    change = {k: v for k, v in target.items() if base.get(k) != v}
    module = answers.get("module_path")
    if isinstance(module, str) and module == f"{GO_PLACEHOLDER}{project.name}":
        host = offer.host.rpartition(":")[0] if ":" in offer.host else offer.host
        change["module_path"] = f"{host}/{offer.owner}/{project.name}".lower()
    return change


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _merge(current: bytes, old: bytes, new: bytes, rel: str) -> bytes | None:
    """The three-way merge of `current` with the change old → new; None on a conflict."""
    with tempfile.TemporaryDirectory(prefix="scaffolder-merge-") as tmp:
        paths = []
        for name, data in (("current", current), ("old", old), ("new", new)):
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))
        proc = git.run_git(["merge-file", "-p", *paths], cwd=Path(tmp), check=False)
        if proc.returncode < 0 or proc.returncode > 127:
            raise GitError(f"git merge-file failed on {rel}: {git.failure_reason(proc)}")
        if proc.returncode != 0:
            return None
        return proc.stdout.encode()


def plan(project: Project, change: Mapping[str, Any]) -> dict[str, bytes | None]:
    """What each file that the change touches becomes (None: removed). Writes nothing."""
    stack = layers.build_stack(project.template, trust=False)
    old_answers = project.answers
    new_answers = {**old_answers, **change}
    with tempfile.TemporaryDirectory(prefix="scaffolder-align-") as tmp:
        trees = []
        for label, answers in (("old", old_answers), ("new", new_answers)):
            dst = Path(tmp) / label
            layers.render_stack(stack, dst, answers, pretend=False)
            trees.append(_tree(dst))
    old, new = trees
    result: dict[str, bytes | None] = {}
    conflicts = []
    for rel in sorted(set(old) | set(new)):
        before, after = old.get(rel), new.get(rel)
        if before == after:
            continue
        path = project.path / rel
        current = path.read_bytes() if path.is_file() else None
        if current == after:
            continue
        if after is None:  # the new answers remove it: only when the project kept it as made
            if current == before:
                result[rel] = None
            elif current is not None:
                conflicts.append(rel)
        elif before is None:  # the new answers add it
            if current is None:
                result[rel] = after
            else:
                conflicts.append(rel)
        elif current is not None:  # a file the project deleted stays deleted
            merged = after if current == before else _merge(current, before, after, rel)
            if merged is None:
                conflicts.append(rel)
            else:
                result[rel] = merged
    if conflicts:
        why = ", ".join(f"{k} {v}" for k, v in change.items())
        raise AlignConflictError(paths=conflicts, why=why)
    return result


def apply(project: Project, files: Mapping[str, bytes | None], message: str) -> str:
    """Write the planned files and commit them (only them) in one commit; returns its SHA."""
    root = project.path
    dirty = git.run_git(["status", "--porcelain", "--", *files], cwd=root).stdout.strip()
    if dirty:
        raise AlignConflictError(
            paths=[line[3:] for line in dirty.splitlines()], why="they have uncommitted changes"
        )
    for rel, data in files.items():
        path = root / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.scaffolder-tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    git.assert_no_secret(root, git.environment_secrets())
    git.run_git(["add", "--all", "--", *files], cwd=root)
    commit = ["commit", "--quiet", "--no-verify", "-m", message, "--", *files]
    proc = git.run_git(commit, cwd=root, check=False)
    if proc.returncode != 0 and "user.email" in proc.stderr + proc.stdout:
        proc = git.run_git(commit, cwd=root, env=git.identity_env(root), check=False)
    if proc.returncode != 0:
        raise GitError(f"git commit failed: {git.failure_reason(proc)}")
    return git.head_commit(root) or ""
