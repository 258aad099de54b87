"""`scaffolder publish DIR`: put a scaffolded project on GitHub with its security switched on.

identity → [access] → repository → settings → push → protection → security → verify → catalog
(`scaffolder/publish/steps/`), run by the step runner; `access` with an access policy in force,
and the journal begins only once it allowed the run. Every step looks at GitHub before it
writes (except on a repository this run created, whose state the create's answer tells), and
writes only what differs, so running publish again after a failure finishes the job without
duplicating anything, and on a finished repository it only reads; that is also what
`scaffolder resume` does for a publish. What GitHub answered is kept in the `PublishRun` for
later steps, so nothing is asked twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scaffolder.progress import SILENT, Progress
from scaffolder.publish.model import PublishOptions, PublishResult
from scaffolder.publish.run import PublishRun
from scaffolder.publish.steps import STEPS
from scaffolder.publish.steps import access as access_step
from scaffolder.runner import Journal, Run, Step

if TYPE_CHECKING:
    from scaffolder.github import GitHubClient

__all__ = ["PublishOptions", "PublishResult", "run"]


def connector(api_url: str | None) -> Callable[[], GitHubClient]:
    """Builds the GitHub client on first use (so `--help` and bad input never import PyGithub)."""

    def connect() -> GitHubClient:
        from scaffolder.github import GitHubSettings, connect

        return connect(GitHubSettings.from_env(api_url=api_url))

    return connect


def run(options: PublishOptions, progress: Progress = SILENT) -> PublishResult:
    """Publish `options.project`; raises what the runner makes of a failure."""
    from scaffolder.project import Project

    project = Project.load(options.project)  # not a scaffolded project: exit 2, no GitHub call
    owner = options.owner or str(project.answers.get("github_owner") or "") or None
    state = PublishRun(
        request=options.with_owner(owner),
        connect=connector(options.api_url),
        _project=project,
    )
    journal = None if options.dry_run else Journal.open(project.path)
    steps: tuple[Step[PublishRun], ...] = STEPS
    if journal is not None:
        begin = journal.begin
        if options.policy is None:
            begin("publish", options.to_journal())
        else:  # nothing is written, the journal included, before the policy allowed the run
            state.on_allowed = lambda: begin("publish", options.to_journal())
    if options.policy is not None:
        steps = (STEPS[0], access_step.STEP, *STEPS[1:])  # after identity: the owner is known
    runner = Run(
        command="publish",
        steps=steps,
        state=state,
        progress=progress,
        journal=journal,
    )
    try:
        reports = runner.execute()
    finally:
        state.close()
    return state.result(reports)
