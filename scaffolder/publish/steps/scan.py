"""scan: before anything is written on GitHub, nothing that would be pushed holds the token.

Every object reachable from `main` (file contents and names, commit messages) is searched for
the token in use and those in the environment; a hit refuses the publish with exit 4 and names
the file, never the token. `push` searches again just before it sends anything.
"""

from __future__ import annotations

from scaffolder.publish import push
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo
from scaffolder.vcs import git


def run(p: PublishRun, undo: Undo) -> StepReport:
    push.local_head(p.path)  # a project without a commit is refused here, with its hint
    secrets = [p.client.token.value, *git.environment_secrets()]
    git.assert_history_clean(p.path, f"refs/heads/{push.BRANCH}", secrets, action="publish")
    return StepReport("scan", "done", "no token in what would be pushed")


STEP = Step[PublishRun]("scan", run, detail=lambda p: f"{push.BRANCH} for the token")
