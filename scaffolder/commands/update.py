"""`scaffolder update DIR`: bring a project's template and baseline layers to newer versions.

How (see `vcs/pristine.py` for the history this relies on):

1. refuse before writing anything (exit 5) a folder that is not a git repository, a detached
   HEAD, a dirty tree or an update branch that exists already;
2. render the chosen version of each layer (default: the newest; `--vcs-ref` for a git
   template) with the recorded answers into a temporary folder, through the same render path
   as `new` (`render/layers.py`), and add scaffolder's own records to its answers files
   (`_scaffolder_*`: the template's name, source and version, the baseline's version,
   languages and the standard answers it was given), so an answers file written by an older
   release is migrated by its first update;
3. up to date when that render is the previous pristine render (nothing written, exit 0;
   `_src_path`, and scaffolder's records missing from an older render, do not count);
4. else commit the render (parent: the previous pristine commit; trailer
   `Scaffolder-Pristine: true`) and merge it into a new branch `scaffolder/update-...` made
   from HEAD, which is checked out at the end: git's merge base is the previous pristine
   render, so the merge is three-way and keeps the project's own changes. The user's branch
   never moves. Conflicts stay as inline markers, listed file by file (exit 3).

`--dry-run` computes the merge with `git merge-tree --write-tree` in a scratch object folder
and shows `git diff HEAD <merged>`: no branch, ref, index entry or object is left behind.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from scaffolder import project as project_mod
from scaffolder.answers import STANDARD_QUESTIONS
from scaffolder.errors import ExitCode, Interrupted, UpdateRefusedError, UsageError
from scaffolder.progress import SILENT, Progress
from scaffolder.project import Project
from scaffolder.render import layers
from scaffolder.render.registry import TemplateInfo, baseline_layer, resolve_template
from scaffolder.vcs import git, pristine

if TYPE_CHECKING:
    from scaffolder.access.model import Policy

Status = Literal["updated", "conflict", "up-to-date", "planned"]
BRANCH_PREFIX = "scaffolder/update-"
#: The line above scaffolder's records in a rendered answers file.
RECORDS_HEADER = "# Recorded by scaffolder update: what replays this layer.\n"
_UNSAFE_REF_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UpdateOptions:
    project: Path
    #: A git template's tag, branch or commit; None: its newest release tag.
    vcs_ref: str | None = None
    #: The baseline version to update to; None: the one this scaffolder ships.
    baseline_version: str | None = None
    dry_run: bool = False
    #: The access policy in force: its template sources decide whether the template may be
    #: used and trusted (`access/enforce.py`); None: no policy.
    policy: Policy | None = None


@dataclass(frozen=True)
class UpdateResult:
    """What an update did. `to_json()` is the `--json` result."""

    project: Path
    status: Status
    template: str
    template_from: str
    template_to: str
    baseline_from: str
    baseline_to: str
    #: The branch the update is on (checked out), and the branch it was made from.
    branch: str | None
    base_branch: str
    pristine_commit: str | None = None
    merge_commit: str | None = None
    changed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    diff: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PARTIAL if self.status == "conflict" else ExitCode.OK

    @property
    def next_steps(self) -> list[str]:
        if self.status == "conflict":
            return [
                f"resolve the conflict markers in {', '.join(self.conflicts)}",
                f"git add {' '.join(self.conflicts)}",
                "git commit --no-edit",
                f"review, then merge {self.branch} into {self.base_branch}",
            ]
        if self.status == "updated":
            return [f"review, then merge {self.branch} into {self.base_branch}"]
        return []

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "status": self.status,
            "template": {
                "name": self.template,
                "from": self.template_from or None,
                "to": self.template_to or None,
            },
            "baseline": {"from": self.baseline_from or None, "to": self.baseline_to or None},
            "branch": self.branch,
            "base_branch": self.base_branch,
            "pristine_commit": self.pristine_commit,
            "merge_commit": self.merge_commit,
            "changed": list(self.changed),
            "conflicts": list(self.conflicts),
            "diff": self.diff if self.status == "planned" else None,
            "next": self.next_steps,
        }


# -- before anything is written ----------------------------------------------------------------
def _refuse_unless_ready(root: Path) -> tuple[str, str]:
    """The checked-out branch and HEAD; `UpdateRefusedError` for anything else."""
    if not git.is_repository(root):
        raise UpdateRefusedError(
            f"{root} is not a git repository: update merges into the project's history",
            hint="run it in the project scaffolder created (its initial commit is the base)",
        )
    head = git.head_commit(root)
    if head is None:
        raise UpdateRefusedError(
            f"{root} has no commit yet",
            hint=f"finish the scaffold first: scaffolder resume {root}",
        )
    branch = pristine.current_branch(root)
    if branch is None:
        raise UpdateRefusedError(
            f"{root} has a detached HEAD: update makes its branch from a branch",
            hint="check out the branch to update (git switch main), then run it again",
        )
    if dirty := pristine.status_lines(root):
        names = ", ".join(line[3:] for line in dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        raise UpdateRefusedError(
            f"{root} has uncommitted changes ({names}): nothing was changed",
            hint="commit or stash them, then run scaffolder update again",
        )
    return branch, head


def _template_info(project: Project, vcs_ref: str | None) -> TemplateInfo:
    """The template to render: by the name scaffolder knew it by (built-in, or listed in the
    configuration file), else from the source the answers file records."""
    from scaffolder.errors import UnknownTemplateError

    try:
        named = resolve_template(project.template_name, vcs_ref=vcs_ref)
    except UnknownTemplateError:
        named = None
    if named is not None and (named.builtin or named.configured):
        return named
    source = project.template.source
    if not source:
        raise UsageError(
            f"{project.path}: the answers file does not say which template made the project",
            hint=f"restore {layers.TEMPLATE_ANSWERS_FILE} from the project's history",
        )
    return resolve_template(source, vcs_ref=vcs_ref)


def _check_baseline_version(project: Project, wanted: str | None) -> str:
    """The baseline version to render: the shipped one (the only one a release carries)."""
    shipped = baseline_layer().version
    if wanted is None or not project.has_baseline:
        if wanted is not None:
            raise UsageError(
                f"--baseline-version {wanted}: {project.path} has no security baseline",
                hint="leave out --baseline-version",
            )
        return shipped
    if wanted != shipped:
        recorded = project.baseline_version
        now = f"; the project records {recorded}" if recorded else ""
        raise UsageError(
            f"baseline {wanted} is not available: this scaffolder ships baseline {shipped}{now}",
            hint=f"give --baseline-version {shipped} or leave it out; another version comes "
            "with another scaffolder release",
        )
    return wanted


# -- the render ------------------------------------------------------------------------------
def _render(
    project: Project, info: TemplateInfo, dst: Path, policy: Policy | None = None
) -> tuple[layers.Stack, str]:
    """Both layers rendered into `dst` with the recorded answers, as `new` renders them;
    returns the stack and the template version that was rendered."""
    from scaffolder.render.sources import allows_unsafe

    stack = layers.build_stack(info, trust=allows_unsafe(info, trust=False, policy=policy))
    known = {q.name for q in stack.questions if q.when is not False}
    given = {k: v for k, v in project.answers.items() if k in known}
    resolved = layers.resolve_answers(stack, given, dst)
    layers.render_stack(stack, dst, resolved, pretend=False)
    template_answers = _read(dst / layers.TEMPLATE_ANSWERS_FILE)
    version = _tag_version(template_answers.get("_commit")) or stack.template.version
    _record(dst, stack, resolved, version)
    _refuse_secrets(dst)
    return stack, version


def _refuse_secrets(dst: Path) -> None:
    """What `new` checks before its commit: no file of the render holds a token from the
    environment (`SecretInProjectError`, exit 4), in its content or its name."""
    from scaffolder.errors import SecretInProjectError

    needles = [s.encode() for s in git.environment_secrets() if len(s) >= git.MIN_SECRET_LENGTH]
    if not needles:
        return
    for path in sorted(dst.rglob("*")):
        rel = path.relative_to(dst).as_posix()
        named = any(n in rel.encode() for n in needles)
        if named or (path.is_file() and any(n in path.read_bytes() for n in needles)):
            shown = rel
            for needle in needles:
                shown = shown.replace(needle.decode(), "***")
            raise SecretInProjectError(path=shown, action="commit")


def _tag_version(commit: object) -> str:
    """The version a git template's rendered tag names (`v1.2.0` -> 1.2.0); '' for none."""
    from packaging.version import InvalidVersion, Version

    if not commit:
        return ""
    text = str(commit)
    try:
        Version(text)
    except InvalidVersion:
        return text
    return text.removeprefix("v")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data) if isinstance(data, dict) else {}


def _record(dst: Path, stack: layers.Stack, answers: Mapping[str, Any], version: str) -> None:
    """Append scaffolder's own records to the rendered answers files (see the module doc)."""
    from scaffolder.render.registry import _public

    info = stack.template
    source = "builtin" if info.builtin else _public(str(info.source))
    _append(
        dst / layers.TEMPLATE_ANSWERS_FILE,
        {
            project_mod.TEMPLATE_KEY: info.name,
            project_mod.TEMPLATE_SOURCE_KEY: source,
            project_mod.TEMPLATE_VERSION_KEY: version,
        },
    )
    if len(stack.layers) > 1:
        standard = {name: answers[name] for name in STANDARD_QUESTIONS if name in answers}
        _append(
            dst / layers.BASELINE_ANSWERS_FILE,
            {
                project_mod.BASELINE_VERSION_KEY: baseline_layer().version,
                project_mod.LANGUAGES_KEY: list(stack.context.get("scaffolder_languages", [])),
                **standard,
            },
        )


def _same_render(
    root: Path, previous: str, tree: str, render_dir: Path, env: Mapping[str, str]
) -> bool:
    """Whether the render is the previous pristine render: the same tree, or one whose only
    differences are copier's `_src_path` (where scaffolder is installed) and, when the previous
    render predates them, scaffolder's records (the migration waits for a real update)."""
    if tree == pristine.tree_of(root, previous, env):
        return True
    changed = pristine.changed_files(root, previous, tree, env)
    if not set(changed) <= {layers.TEMPLATE_ANSWERS_FILE, layers.BASELINE_ANSWERS_FILE}:
        return False
    before = pristine.read_blobs(root, previous, changed)
    for rel in changed:
        old = before.get(rel, b"").decode("utf-8", errors="replace")
        path = render_dir / rel
        new = path.read_text(encoding="utf-8") if path.is_file() else ""
        if RECORDS_HEADER not in old:
            new = new.split(RECORDS_HEADER)[0]
        if _without_source(old) != _without_source(new):
            return False
    return True


def _without_source(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("_src_path:")]


def _append(path: Path, records: Mapping[str, Any]) -> None:
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    block = RECORDS_HEADER + yaml.safe_dump(
        dict(records), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    path.write_text(text + ("" if text.endswith("\n") else "\n") + block, encoding="utf-8")


def _branch_name(template: str, version: str, baseline: str | None) -> str:
    def clean(text: str) -> str:
        return _UNSAFE_REF_CHARS.sub("-", text).strip(".-") or "unversioned"

    name = f"{BRANCH_PREFIX}{clean(template)}-{clean(version)}"
    return f"{name}-baseline-{clean(baseline)}" if baseline else name


def _messages(template: str, version: str, baseline: str | None) -> tuple[str, str]:
    what = f"the {template} {version} template".replace("  ", " ")
    if baseline:
        what += f" and baseline {baseline}"
    pristine_message = (
        f"Pristine render of {what}\n\n"
        "Rendered by scaffolder update with the project's recorded answers; the merge that\n"
        "follows brings it into the project.\n\n"
        f"{pristine.TRAILER}: true\n"
    )
    return pristine_message, f"Update to {what}\n\nMerged by scaffolder update.\n"


# -- the command -------------------------------------------------------------------------------
def run(options: UpdateOptions, progress: Progress = SILENT) -> UpdateResult:
    """Update one project. Interrupted (Ctrl-C) before its update branch is made, or while
    it merges (the merge undoes itself: `pristine.merge_on_branch`), the project is left as
    it was: its branches, index and files."""
    made: list[str] = []  # the update branch, once made and merged into
    try:
        return _run(options, progress, made)
    except KeyboardInterrupt:
        if made:
            raise  # later than that: the branch stays, as `git status` shows
        raise Interrupted(undone=True) from None


def _run(options: UpdateOptions, progress: Progress, made: list[str]) -> UpdateResult:
    root = options.project.expanduser().absolute()
    project = Project.load(root)
    base_branch, head = _refuse_unless_ready(root)
    baseline_to = _check_baseline_version(project, options.baseline_version)
    info = _template_info(project, options.vcs_ref)
    if options.policy is not None:
        from scaffolder.access.enforce import check_template

        with progress.step("access", f"template {info.name} under the access policy"):
            check_template(options.policy, info, trust=False, command="update")
    previous = pristine.newest_pristine(root)
    if previous is None:
        raise UpdateRefusedError(f"{root} has no initial commit to update from")
    has_baseline = project.has_baseline
    with tempfile.TemporaryDirectory(prefix="scaffolder-update-") as tmp:
        render_dir = Path(tmp) / "render"
        with progress.step("render", f"{info.name} with the recorded answers"):
            stack, version = _render(project, info, render_dir, options.policy)
        baseline = baseline_to if len(stack.layers) > 1 else None
        base = UpdateResult(
            project=root,
            status="up-to-date",
            template=stack.template.name,
            template_from=project.template_version,
            template_to=version,
            baseline_from=project.baseline_version if has_baseline else "",
            baseline_to=baseline or "",
            branch=None,
            base_branch=base_branch,
            warnings=stack.warnings,
        )
        with pristine.scratch_objects(root) as scratch:
            tree = pristine.tree_of_folder(root, render_dir, scratch)
            if _same_render(root, previous, tree, render_dir, scratch):
                return base
            pristine_message, merge_message = _messages(stack.template.name, version, baseline)
            if options.dry_run:
                with progress.step("merge", "git merge-tree (nothing is written)"):
                    planned = pristine.commit_tree(root, tree, previous, pristine_message, scratch)
                    preview = pristine.merge_tree(root, head, planned, scratch)
                    diff = pristine.diff(root, head, preview.tree, scratch)
                    changed = pristine.changed_files(root, head, preview.tree, scratch)
                return replace(
                    base,
                    status="planned",
                    changed=tuple(changed),
                    conflicts=preview.conflicts,
                    diff=diff,
                )
        branch = _branch_name(stack.template.name, version, baseline)
        if pristine.branch_exists(root, branch):
            raise UpdateRefusedError(
                f"branch {branch} exists already: nothing was changed",
                hint=f"merge it (git merge {branch}) or delete it (git branch -D {branch}), "
                "then run scaffolder update again",
            )
        with progress.step("merge", f"{branch} from {base_branch}"):
            tree = pristine.tree_of_folder(root, render_dir)
            commit = pristine.commit_tree(root, tree, previous, pristine_message)
            # The render's answers files hold the project's own recorded answers, plus what
            # the new versions add: on a conflict (lines next to what publish recorded), the
            # render's file is the right one.
            answer_files = (layers.TEMPLATE_ANSWERS_FILE, layers.BASELINE_ANSWERS_FILE)
            conflicts = pristine.merge_on_branch(
                root, branch, commit, merge_message, theirs=answer_files
            )
            made.append(branch)
    merged = None if conflicts else git.head_commit(root)
    changed = pristine.changed_files(root, head, merged or "HEAD") if merged else conflicts
    return replace(
        base,
        status="conflict" if conflicts else "updated",
        branch=branch,
        pristine_commit=commit,
        merge_commit=merged,
        changed=tuple(changed),
        conflicts=tuple(conflicts),
    )
