"""The `drift` check: baseline-managed content that differs from the pristine render.

The rule checks judge what any repository holds; they pass a repository whose `actions/checkout`
was re-pinned to another (older) SHA, since that is still a pinned SHA. This check compares
the baseline-managed files (the workflows and `.github/dependabot.yml`) with the newest
pristine render in the project's history (`vcs/pristine.py`: the initial commit, or the render
the latest `scaffolder update` merged) and reports, per file:

* an action pinned to another ref than the render pins it to (both refs named);
* a workflow or job permission wider than the render grants (`write` where it has `read` or
  nothing, `write-all`, or a job's permissions removed so that it inherits broader ones);
* a Dependabot entry (ecosystem and directory) the render has and the file no longer has.

The project's other edits (an extra step, a line in SECURITY.md) are its own and not drift; a
workflow the project deleted is judged by the rule checks. Cost: one `git ls-tree` and one
`git cat-file --batch` for the pristine files. A folder without git history, or whose first
commit is not scaffolder's, is skipped with the reason (the check passes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from scaffolder.audit.model import Outcome
from scaffolder.audit.repo import Repository
from scaffolder.errors import GitError
from scaffolder.vcs import git, pristine

WORKFLOWS = ".github/workflows"
DEPENDABOT = ".github/dependabot.yml"
_USES = re.compile(r"""^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$""")
_LEVELS = {"none": 0, "read": 1, "write": 2}
_ALL = "*"


def check_drift(repo: Repository) -> Outcome:
    root = repo.root
    if not git.is_repository(root):
        return [], "skipped: not a git repository, so no pristine render to compare with"
    try:
        base = pristine.newest_pristine(root)
        if base is None:
            return [], "skipped: the repository has no commit yet"
        if not _made_by_scaffolder(root, base):
            return [], "skipped: the repository's first commit is not a scaffolder render"
        rendered = pristine.read_blobs(root, base, [WORKFLOWS, DEPENDABOT])
    except GitError as exc:
        return [], f"skipped: git could not read the history ({exc.message})"
    problems: list[str] = []
    compared = 0
    for path, data in sorted(rendered.items()):
        current = root / path
        if not current.is_file() or current.is_symlink():
            continue
        compared += 1
        now = current.read_bytes()
        if now == data:
            continue
        if path == DEPENDABOT:
            problems += _dependabot(path, data, now)
        elif path.endswith((".yml", ".yaml")):
            problems += _pins(path, data, now) + _permissions(path, data, now)
    return problems, f"{compared} baseline-managed files as the render {base[:12]} has them"


def _made_by_scaffolder(root: Path, commit: str) -> bool:
    from scaffolder.project import is_initial_commit

    message = pristine.message_of(root, commit)
    return f"{pristine.TRAILER}: true" in message or is_initial_commit(message)


def _load(data: bytes) -> Any:
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None


# -- pins --------------------------------------------------------------------------------------
def _uses(data: bytes) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if match := _USES.match(line):
            action, _, ref = match.group(1).partition("@")
            comment = (match.group(2) or "").strip()
            found.setdefault(action.lower(), set()).add(f"{ref} ({comment})" if comment else ref)
    return found


def _pins(path: str, old: bytes, new: bytes) -> list[str]:
    before, after = _uses(old), _uses(new)
    problems = []
    for action in sorted(set(before) & set(after)):
        if extra := sorted(after[action] - before[action]):
            problems.append(
                f"{path}: {action} pinned to {', '.join(extra)}; the baseline render pins "
                f"{', '.join(sorted(before[action]))}"
            )
    return problems


# -- permissions -------------------------------------------------------------------------------
def _grants(value: Any) -> dict[str, int] | None:
    """Scope -> level; `*` for write-all/read-all; None when permissions are not set."""
    if value is None:
        return None
    if isinstance(value, str):
        level = {"write-all": 2, "read-all": 1}.get(value.strip(), 0)
        return {_ALL: level}
    if isinstance(value, Mapping):
        return {str(k): _LEVELS.get(str(v).strip(), 0) for k, v in value.items()}
    return {}


def _level(grants: Mapping[str, int], scope: str) -> int:
    return max(grants.get(scope, 0), grants.get(_ALL, 0))


def _describe(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "{}"
    return str(value)


def _wider(where: str, old: Any, new: Any) -> str | None:
    before, after = _grants(old), _grants(new)
    if before is None:
        return None
    if after is None:
        inherited = "it inherits broader ones"
        return f"{where} permissions removed ({inherited}); the render sets {_describe(old)}"
    widened = sorted(s for s in after if _level(after, s) > _level(before, s))
    if widened:
        return f"{where} permissions {_describe(new)}; the render sets {_describe(old)}"
    return None


def _permissions(path: str, old: bytes, new: bytes) -> list[str]:
    before, after = _load(old), _load(new)
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    problems = []
    if found := _wider(f"{path}: top-level", before.get("permissions"), after.get("permissions")):
        problems.append(found)
    old_jobs, new_jobs = before.get("jobs"), after.get("jobs")
    if isinstance(old_jobs, Mapping) and isinstance(new_jobs, Mapping):
        for name in sorted(set(map(str, old_jobs)) & set(map(str, new_jobs))):
            old_job, new_job = old_jobs[name], new_jobs[name]
            if isinstance(old_job, Mapping) and isinstance(new_job, Mapping):
                found = _wider(
                    f"{path}: job {name}", old_job.get("permissions"), new_job.get("permissions")
                )
                if found:
                    problems.append(found)
    return problems


# -- Dependabot --------------------------------------------------------------------------------
def _entries(data: bytes) -> set[tuple[str, str]]:
    loaded = _load(data)
    updates = loaded.get("updates") if isinstance(loaded, Mapping) else None
    if not isinstance(updates, list):
        return set()
    return {
        (str(u.get("package-ecosystem")), str(u.get("directory", u.get("directories", ""))))
        for u in updates
        if isinstance(u, Mapping)
    }


def _dependabot(path: str, old: bytes, new: bytes) -> list[str]:
    removed = sorted(_entries(old) - _entries(new))
    return [
        f"{path}: the {ecosystem} entry for {directory} was removed (the baseline render has it)"
        for ecosystem, directory in removed
    ]


DRIFT_CHECKS = (("drift", "Baseline-managed files as the pristine render has them", check_drift),)
