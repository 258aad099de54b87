"""The scaffold pipeline: resolve answers, render, commit, register.

`create()` runs the whole of `scaffolder new`; `finish()` is its tail (commit and register),
which `scaffolder resume` runs on a project whose scaffold stopped partway. Each step is
idempotent, and a failure after rendering never deletes the rendered project.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffolder.answers import Answers
from scaffolder.catalog import locations
from scaffolder.errors import (
    DestinationNotEmptyError,
    PartialSuccessError,
    ScaffolderError,
    UntrustedTemplateError,
    UsageError,
)
from scaffolder.progress import SILENT, Progress
from scaffolder.render import layers
from scaffolder.render.registry import TemplateInfo, resolve_template
from scaffolder.vcs import git

CATALOG_INFO = "catalog-info.yaml"


@dataclass(frozen=True)
class NewRequest:
    template: str
    output: Path
    #: Answers given on the command line or in a data file (not yet validated).
    given: Mapping[str, Any]
    catalog: Path | None
    dry_run: bool = False
    trust: bool = False
    #: Where the project will be published, when known (`new --publish`): answers the
    #: `github_owner` question when the template asks it and no answer was given.
    github_owner: str | None = None


@dataclass(frozen=True)
class ScaffoldResult:
    """What a scaffold produced. `to_json()` is a contract: see tests/test_json_contract.py."""

    project: Path
    template: TemplateInfo
    answers: Answers
    secret_questions: tuple[str, ...]
    catalog: Path | None
    registered: bool
    commit: str | None
    dry_run: bool
    warnings: tuple[str, ...] = ()
    repository: Mapping[str, Any] | None = None
    steps: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        answers = {
            k: v for k, v in self.answers.to_json().items() if k not in self.secret_questions
        }
        return {
            "project": str(self.project),
            "template": {
                "name": self.template.name,
                "version": self.template.version or None,
                "source": self.template.source,
                "builtin": self.template.builtin,
            },
            "answers": answers,
            "entity_ref": self.answers.entity_ref,
            "catalog": str(self.catalog) if self.catalog else None,
            "registered": self.registered,
            "commit": self.commit,
            "repository": dict(self.repository) if self.repository else None,
            "dry_run": self.dry_run,
            "steps": list(self.steps),
            "warnings": list(self.warnings),
        }


def _check_destination(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DestinationNotEmptyError(str(path))


def commit_message(template: TemplateInfo) -> str:
    version = f" {template.version}" if template.version else ""
    return (
        f"Initial commit from the {template.name}{version} template\n\n"
        f"Created with scaffolder (template source: {template.name}{version})."
    )


def create(request: NewRequest, progress: Progress = SILENT) -> ScaffoldResult:
    """Run `scaffolder new`: everything is validated before anything is written."""
    dst = request.output.expanduser().absolute()
    info = resolve_template(request.template)
    _check_destination(dst)
    with progress.step("resolve", f"{info.name} answers"):
        stack = layers.build_stack(info, trust=request.trust)
        given = dict(request.given)
        if request.github_owner and any(q.name == "github_owner" for q in stack.questions):
            given.setdefault("github_owner", request.github_owner)
        answers = Answers.from_mapping(_resolve_checked(stack, given, dst))
    info = stack.template
    secret = tuple(layers.unrecorded_names(stack))
    created_dst = not dst.exists()
    with progress.step("render", f"{info.name} → {dst}"):
        try:
            layers.render_stack(
                stack,
                dst,
                answers.all,
                pretend=request.dry_run,
                on_layer=lambda layer: progress.note(f"rendering layer {layer.name}"),
            )
        except BaseException:
            # A failed render leaves only what this run created; remove that, nothing more.
            if created_dst and dst.exists() and not request.dry_run:
                shutil.rmtree(dst, ignore_errors=True)
            raise
    result = ScaffoldResult(
        project=dst,
        template=info,
        answers=answers,
        secret_questions=secret,
        catalog=request.catalog,
        registered=False,
        commit=None,
        dry_run=request.dry_run,
        warnings=stack.warnings,
        # A dry run renders in copier's pretend mode: everything validated, nothing written.
        steps=("validate",) if request.dry_run else ("render",),
    )
    if request.dry_run:
        return result
    return finish(result, progress)


def _resolve_checked(stack: layers.Stack, given: Mapping[str, Any], dst: Path) -> dict[str, Any]:
    """Template answers, with scaffolder's own standard-answer rules reported with copier's."""
    from scaffolder.answers import standard_problems
    from scaffolder.errors import InvalidAnswerError

    # Computed values (`when: false`) are not questions a user can answer.
    known = {q.name for q in stack.questions if q.when is not False}
    if unknown := sorted(set(given) - known):
        raise UsageError(
            f"unknown question{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"this template asks: {', '.join(sorted(known))}",
        )
    own = standard_problems(given)
    try:
        resolved = layers.resolve_answers(stack, given, dst)
    except InvalidAnswerError as exc:
        seen = {name for name, _ in own}
        raise InvalidAnswerError(own + [p for p in exc.problems if p[0] not in seen]) from exc
    if own:
        raise InvalidAnswerError(own)
    return resolved


def finish(result: ScaffoldResult, progress: Progress = SILENT) -> ScaffoldResult:
    """Commit and register a rendered project. Safe to run again after a failure."""
    done = list(result.steps)
    resume = f"scaffolder resume {result.project}" + (
        f" --catalog {result.catalog}" if result.catalog else " --no-register"
    )
    try:
        with progress.step("commit", "git init -b main, initial commit"):
            sha = git.initial_commit(result.project, commit_message(result.template))
        done.append("commit")
        registered = False
        warnings = list(result.warnings)
        if result.catalog is not None:
            info_file = result.project / CATALOG_INFO
            if info_file.is_file():
                with progress.step("register", f"{result.answers.entity_ref} in {result.catalog}"):
                    locations.register(result.catalog, str(info_file), target_type="file")
                registered = True
                done.append("register")
            else:
                warnings.append(f"not registered: the project has no {CATALOG_INFO}")
    except UntrustedTemplateError:
        raise  # e.g. the token in a file: a refusal (exit 4), not a step that failed
    except ScaffolderError as exc:
        raise PartialSuccessError(
            done=done, failed=_next_step(done), cause=exc, resume=resume, result=result
        ) from exc
    return ScaffoldResult(
        **{
            **result.__dict__,
            "commit": sha,
            "registered": registered,
            "warnings": tuple(warnings),
            "steps": tuple(done),
        }
    )


def _next_step(done: list[str]) -> str:
    for step in ("render", "commit", "register"):
        if step not in done:
            return step
    return "publish"


def load_project(project: Path, catalog: Path | None) -> ScaffoldResult:
    """Rebuild a `ScaffoldResult` from a rendered project's answers file, for `resume`."""
    project = project.expanduser().absolute()
    answers_file = project / layers.TEMPLATE_ANSWERS_FILE
    try:
        recorded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise UsageError(
            f"{project} was not created by scaffolder (no {layers.TEMPLATE_ANSWERS_FILE})",
            hint="give the folder of a scaffolded project",
        ) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read {answers_file}: {exc}") from exc
    baseline_file = project / layers.BASELINE_ANSWERS_FILE
    if baseline_file.is_file():
        recorded = {**(yaml.safe_load(baseline_file.read_text(encoding="utf-8")) or {}), **recorded}
    source = str(recorded.get("_src_path", ""))
    name = Path(source).name or "template"
    try:
        info = resolve_template(name)
    except ScaffolderError:
        info = TemplateInfo(name=name, source=source, builtin=False)
    answers = Answers.from_mapping({k: v for k, v in recorded.items() if not k.startswith("_")})
    return ScaffoldResult(
        project=project,
        template=info,
        answers=answers,
        secret_questions=(),
        catalog=catalog,
        registered=False,
        commit=None,
        dry_run=False,
        steps=("render",),
    )
