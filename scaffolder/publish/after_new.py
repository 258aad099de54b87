"""`scaffolder new --publish`: check the token before anything is written, publish after.

`prepare()` runs before rendering: it asks GitHub who the token is (exit 5 on a missing or
rejected token, with nothing written) and settles the owner, which `create()` gives as the
`github_owner` answer (when the template asks it), so the first commit already carries the
`github.com/project-slug` annotation.
`Publisher.run()` runs after the scaffold is committed and registered; a failure there is a
partial success whose hint is the `scaffolder publish` command that finishes the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import PartialSuccessError, ScaffolderError, UsageError
from scaffolder.github import GitHubClient, GitHubSettings, connect
from scaffolder.progress import SILENT, Progress
from scaffolder.publish.model import PublishRequest, PublishResult


@dataclass
class Publisher:
    client: GitHubClient
    owner: str
    private: bool
    api_url: str | None
    #: A catalog on GitHub, where the published repository is proposed by pull request; or
    #: the local catalog file, whose entry moves from the project folder to the repository.
    catalog: Path | RemoteCatalog | None

    def run(self, result: Any, progress: Progress = SILENT) -> Any:
        """Publish a finished `ScaffoldResult`; returns it with `repository` filled in."""
        from scaffolder.publish.pipeline import publish

        if result.dry_run:
            return replace(
                result,
                warnings=(
                    *result.warnings,
                    (
                        f"dry run: the token may publish to {self.owner}; run `scaffolder publish "
                        f"{result.project} --dry-run` after creating to see every GitHub call"
                    ),
                ),
            )
        remote = self.catalog if isinstance(self.catalog, RemoteCatalog) else None
        request = PublishRequest(
            project=result.project,
            owner=self.owner,
            private=self.private,
            api_url=self.api_url,
            catalog=remote or (result.catalog if result.registered else None),
        )
        try:
            published = publish(request, progress, client=self.client)
        except PartialSuccessError as exc:
            partial = exc.result.to_json() if isinstance(exc.result, PublishResult) else None
            raise PartialSuccessError(
                done=[*result.steps, *(f"publish: {s}" for s in exc.done)],
                failed=f"publish: {exc.failed}",
                cause=exc.cause,
                resume=exc.resume,
                result=replace(result, repository=partial),
            ) from exc
        except ScaffolderError as exc:
            raise PartialSuccessError(
                done=list(result.steps),
                failed="publish",
                cause=exc,
                resume=request.resume_command(),
                result=result,
            ) from exc
        return replace(
            result,
            repository=published.to_json(),
            steps=(*result.steps, "publish"),
            warnings=(*result.warnings, *published.warnings),
        )


def prepare(
    *,
    owner: str | None,
    private: bool,
    api_url: str | None,
    catalog: Path | RemoteCatalog | None,
    given: Mapping[str, Any],
) -> Publisher:
    """Check the token and settle the owner, before anything is written."""
    PublishRequest(project=Path(), owner=owner)  # validates the owner before any call
    answered = str(given.get("github_owner") or "") or None
    if owner and answered and owner.lower() != answered.lower():
        raise UsageError(
            f"--github-owner {owner} and the answer github_owner={answered} disagree",
            hint="give one of them, or the same value in both",
        )
    client = connect(GitHubSettings.from_env(api_url=api_url))
    login = client.identity().login
    chosen = owner or answered or login
    if chosen.lower() != login.lower():
        org = client.rest("GET", f"/orgs/{chosen}", what=f"look up organisation {chosen}")
        chosen = str(org["login"])
    return Publisher(client=client, owner=chosen, private=private, api_url=api_url, catalog=catalog)
