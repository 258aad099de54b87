"""`scaffolder resume DIR`: run the command that stopped on DIR again, skipping what finished.

The step runner journals every run (`scaffolder.runner.Journal`): which command, with which
options (never a secret), and which steps finished. A resume runs the same steps again: those
whose work is on disk and recorded as done are skipped (a finished render), the others run
again and, being idempotent, finish the job (the commit, the catalog entry, each publish step).
A render the journal does not record as complete is rendered again, so a resume never commits
a half-rendered project.

A project without a journal (made on another machine, or by an older scaffolder) is finished
from what it holds: its answers files say what was rendered; the commit and the registration
run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.answers import Answers
from scaffolder.catalog.sources import LocalCatalog, parse_catalog
from scaffolder.commands import new, publish
from scaffolder.progress import SILENT, Progress
from scaffolder.publish.model import PublishOptions, PublishResult
from scaffolder.runner import Journal, Run

if TYPE_CHECKING:
    from scaffolder.access.model import Policy


@dataclass(frozen=True)
class ResumeOptions:
    project: Path
    #: `--catalog FILE`, or None to keep the catalog the stopped run was given.
    catalog: Path | None = None
    #: `--no-register`.
    no_register: bool = False


def run(options: ResumeOptions, progress: Progress = SILENT) -> new.NewResult | PublishResult:
    project = options.project.expanduser().absolute()
    journal = Journal.open(project)
    if journal.command == "publish":
        recorded = PublishOptions.from_journal(journal.options)
        return publish.run(
            replace(
                recorded,
                catalog=_catalog(options, recorded.catalog),
                policy=_policy(journal.options),
            ),
            progress,
        )
    if journal.command == "new":
        return new.run(_new_options(journal, options), progress, resume=True)
    return _finish_without_journal(project, options, progress)


def _policy(recorded: Mapping[str, Any]) -> Policy | None:
    """The access policy the run was started under (`--policy`), else the one now in force:
    a resume is checked again, before it writes anything more."""
    from scaffolder.access.source import load_policy

    flag = recorded.get("policy")
    return load_policy(str(flag) if flag else None)


def _catalog(options: ResumeOptions, recorded: object) -> Path | None:
    if options.no_register:
        return None
    if options.catalog is not None:
        return options.catalog
    return recorded if isinstance(recorded, Path) else None


def _new_options(journal: Journal, options: ResumeOptions) -> new.NewOptions:
    data = journal.options
    catalog = None if data.get("catalog") is None else parse_catalog(str(data["catalog"]))
    recorded = catalog.path if isinstance(catalog, LocalCatalog) else catalog
    if options.no_register:
        recorded = None
    elif options.catalog is not None:
        recorded = options.catalog
    return new.NewOptions(
        template=str(data["template"]),
        output=Path(str(data["output"])),
        given=dict(data.get("given") or {}),
        catalog=recorded,
        trust=bool(data.get("trust")),
        vcs_ref=data.get("vcs_ref") or None,
        publish=bool(data.get("publish")),
        github_owner=data.get("github_owner") or None,
        private=bool(data.get("private", True)),
        github_api_url=data.get("github_api_url") or None,
        policy=_policy(data),
    )


def _finish_without_journal(
    project_dir: Path, options: ResumeOptions, progress: Progress
) -> new.NewResult:
    from scaffolder.config import default_catalog_path
    from scaffolder.project import Project

    project = Project.load(project_dir)
    catalog = None if options.no_register else (options.catalog or default_catalog_path())
    new_options = new.NewOptions(
        template=project.template.source or project.template.name,
        output=project.path,
        given=project.answers,
        catalog=catalog,
    )
    state = new.NewRun(
        options=new_options,
        template_ref=project.template.name,
        dst=project.path,
        info=project.template,
        answers=Answers.from_mapping(project.answers),
        resuming=True,
        progress=progress,
    )
    runner = Run(
        command="resume",
        steps=[new.COMMIT, new.REGISTER],
        state=state,
        progress=progress,
    )
    return state.result(runner.execute())
