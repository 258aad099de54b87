"""The state one publish shares across its steps, and the calls every step makes through it.

Steps (`publish/steps/`) read and write GitHub only through `PublishRun`: `get`/`get_or_none`
for reads, `write` for writes (which, in a dry run, are only recorded as the plan). What GitHub
answered (the repository's JSON, the branches, the settings' state, the rulesets' and the
protection's answers) is kept here for the later steps and the verify step, so nothing is asked
twice: a fact from a write's answer is as good as a GET of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import GitHubError
from scaffolder.publish.model import Call, PublishOptions, PublishResult, RepositoryInfo
from scaffolder.runner import StepReport, StepStatus

if TYPE_CHECKING:
    from scaffolder.access.identity import Facts
    from scaffolder.github import GitHubClient, Identity
    from scaffolder.project import Project


@dataclass
class PublishRun:
    request: PublishOptions
    #: Connected on first use, so a run that fails before GitHub is asked needs no token.
    connect: Callable[[], GitHubClient]
    #: Given by `new --publish`, whose project is loaded only once it is committed.
    _project: Project | None = None
    _client: GitHubClient | None = None
    calls: list[Call] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    identity: Identity | None = None
    owner: str | None = None
    org: bool = False
    repo: dict[str, Any] | None = None
    repo_info: RepositoryInfo | None = None
    created: bool = False
    protection: str | None = None
    rulesets: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, Any] = field(default_factory=dict)
    excused: set[str] = field(default_factory=set)
    catalog: dict[str, Any] | None = None
    #: What GitHub has said of the repository's settings in this run (`security.APPLIED_KEYS`:
    #: value), from a GET or from a write's answer; a write that answers nothing drops its keys.
    #: Later steps and the verify step use these instead of asking again.
    facts: dict[str, Any] = field(default_factory=dict)
    #: The repository's branches (name: sha), once read; {} for a repository this run created.
    branches: dict[str, str] | None = None
    #: The enforcement of each ruleset by name, as GitHub last answered it (a GET or a write).
    ruleset_state: dict[str, Any] = field(default_factory=dict)
    #: Classic branch protection as GitHub last answered it (a GET or the PUT's answer).
    branch_protection: dict[str, Any] | None = None
    #: A dry run's alignment (publish/align.py): relative path -> content, None if removed.
    planned_files: dict[str, bytes | None] = field(default_factory=dict)
    #: What GitHub says of the token, for the access policy (read once, with the identity).
    _access_facts: Facts | None = None
    #: Called once the access step allowed the run (publish begins its journal there).
    on_allowed: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.owner = self.request.owner

    # -- what is published -------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.request.project.expanduser().absolute()

    @property
    def project(self) -> Project:
        if self._project is None:
            from scaffolder.project import Project

            self._project = Project.load(self.path)
        return self._project

    def reload_project(self) -> None:
        """Read the project again (after a step changed its answers)."""
        self._project = None

    @property
    def answers(self) -> dict[str, Any]:
        return self.project.answers

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def description(self) -> str:
        return str(self.answers.get("description") or "")

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def dry(self) -> bool:
        return self.request.dry_run

    @property
    def remote_catalog(self) -> RemoteCatalog | None:
        catalog = self.request.catalog
        return catalog if isinstance(catalog, RemoteCatalog) else None

    # -- GitHub --------------------------------------------------------------------------
    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            self._client = self.connect()
        return self._client

    def access_facts(self) -> Facts:
        """The token's facts through this run's client: the identity step's `GET /user` is
        the one the access policy's rules read."""
        if self._access_facts is None:
            from scaffolder.access.identity import Facts

            self._access_facts = Facts.for_client(self.client)
        return self._access_facts

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def write(
        self,
        what: str,
        method: str,
        path: str,
        body: Any = None,
    ) -> Any:
        """Make (or, in a dry run, only record) one write; returns GitHub's answer (None in a
        dry run), which steps keep as facts where it shows the new state."""
        self.calls.append(Call(method, path, body))
        if self.dry:
            return None
        return self.client.rest(method, path, body, what=what)

    def learn_repo(self, data: Any) -> None:
        """A repository JSON GitHub answered (a GET, the create, a PATCH): keep it and its facts."""
        from scaffolder.publish.security import repo_facts

        if isinstance(data, dict) and isinstance(data.get("owner"), dict):
            self.repo = data
            self.facts.update(repo_facts(data))

    def status(self, changed: bool = True) -> StepStatus:
        """ "planned" in a dry run, else "done" or "unchanged"."""
        if self.dry:
            return "planned"
        return "done" if changed else "unchanged"

    def get(self, path: str) -> Any:
        return self.client.rest("GET", path, what=f"read {path}")

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def resume_command(self) -> str:
        return self.request.resume_command(self.owner)

    def result(self, reports: Sequence[StepReport] = ()) -> PublishResult:
        api_url = self._client.api_url if self._client is not None else self.request.api_url
        return PublishResult(
            project=self.path,
            api_url=api_url or "",
            dry_run=self.dry,
            identity=self.identity.login if self.identity else None,
            repository=self.repo_info,
            steps=tuple(reports),
            protection=self.protection,
            applied=dict(self.applied),
            catalog=self.catalog,
            calls=tuple(self.calls),
            warnings=tuple(self.warnings),
        )
