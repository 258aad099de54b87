"""What publish is asked to do, and what it reports back. `PublishResult.to_json()` is a contract.

The `result` of the `--json` envelope (pinned in tests/test_publish.py); the run's warnings are
the envelope's `warnings`::

    {
      "repository": {"owner", "name", "full_name", "html_url", "clone_url", "private", "created"}
                    or null (a dry run, or a failure before it existed),
      "identity": "login the token belongs to" or null,
      "api_url": "https://api.github.com",
      "steps": [{"name", "status", "detail"}],   status: done | unchanged | unavailable |
                                                  skipped | planned | failed
      "protection": "ruleset" | "branch-protection" | "unavailable" | "none" | null,
      "applied": {setting: value read back from GitHub} (empty in a dry run),
      "catalog": {"file", "target", "replaced"} or null,
      "calls": [{"method", "path", "body"}]       every write made (or planned, in a dry run)
      "dry_run": bool
    }
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import UsageError
from scaffolder.runner import StepReport

if TYPE_CHECKING:
    from scaffolder.access.model import Policy

GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}")


@dataclass(frozen=True)
class PublishOptions:
    """What `scaffolder publish` (and the publish half of `new --publish`) is asked to do."""

    project: Path
    #: GitHub user or organisation; default: the project's `github_owner` answer, else the
    #: token's own login.
    owner: str | None = None
    private: bool = True
    #: `--github-api-url` as given (None: environment, then https://api.github.com).
    api_url: str | None = None
    #: The local catalog file, or a catalog on GitHub (registered by pull request).
    catalog: Path | RemoteCatalog | None = None
    dry_run: bool = False
    #: The access policy in force (`access.source.load_policy`); None: no policy.
    policy: Policy | None = None

    def __post_init__(self) -> None:
        from scaffolder.github.settings import resolve_api_url

        resolve_api_url(self.api_url)  # a bad --github-api-url is refused before anything else
        if self.owner is not None and not GITHUB_LOGIN.fullmatch(self.owner):
            raise UsageError(
                f"invalid GitHub owner {self.owner!r}",
                hint="a GitHub login has letters, digits and single hyphens, at most 39 characters",
            )

    def with_owner(self, owner: str | None) -> PublishOptions:
        from dataclasses import replace

        return replace(self, owner=owner)

    def to_journal(self) -> dict[str, Any]:
        """What a resume needs to run the same publish again (no secret is among it)."""
        return {
            "project": str(self.project),
            "owner": self.owner,
            "private": self.private,
            "api_url": self.api_url,
            "catalog": None if self.catalog is None else str(self.catalog),
            "policy": _policy_flag(self.policy),
        }

    @classmethod
    def from_journal(cls, data: Mapping[str, Any]) -> PublishOptions:
        from scaffolder.catalog.sources import LocalCatalog, parse_catalog

        catalog = None if data.get("catalog") is None else parse_catalog(str(data["catalog"]))
        return cls(
            project=Path(str(data["project"])),
            owner=data.get("owner") or None,
            private=bool(data.get("private", True)),
            api_url=data.get("api_url") or None,
            catalog=catalog.path if isinstance(catalog, LocalCatalog) else catalog,
        )

    def resume_command(self, owner: str | None = None) -> str:
        parts = ["scaffolder", "publish", str(self.project)]
        if owner or self.owner:
            parts += ["--github-owner", str(owner or self.owner)]
        if not self.private:
            parts.append("--public")
        if self.api_url:
            parts += ["--github-api-url", self.api_url]
        if self.catalog is not None:
            parts += ["--catalog", str(self.catalog)]
        else:
            parts.append("--no-register")
        if policy := _policy_flag(self.policy):
            parts += ["--policy", policy]  # the rest of the run is checked as its start was
        return shlex.join(parts)


def _policy_flag(policy: Policy | None) -> str | None:
    """`--policy`, as a resume reads it again; None: the resume uses the policy then in force."""
    from scaffolder.access.enforce import location

    return location(policy) if policy and policy.origin and policy.origin.via == "flag" else None


@dataclass(frozen=True)
class Call:
    """One write to GitHub (or a git push), as made or as planned."""

    method: str
    path: str
    body: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


@dataclass(frozen=True)
class RepositoryInfo:
    owner: str
    name: str
    html_url: str
    clone_url: str
    private: bool
    #: This run created it (False: an earlier run of this project did).
    created: bool

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "name": self.name,
            "full_name": self.full_name,
            "html_url": self.html_url,
            "clone_url": self.clone_url,
            "private": self.private,
            "created": self.created,
        }


@dataclass(frozen=True)
class PublishResult:
    project: Path
    api_url: str
    dry_run: bool
    identity: str | None = None
    repository: RepositoryInfo | None = None
    steps: tuple[StepReport, ...] = ()
    protection: str | None = None
    applied: Mapping[str, Any] = field(default_factory=dict)
    catalog: Mapping[str, Any] | None = None
    calls: tuple[Call, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository.to_json() if self.repository else None,
            "identity": self.identity,
            "api_url": self.api_url,
            "steps": [s.to_json() for s in self.steps],
            "protection": self.protection,
            "applied": dict(self.applied),
            "catalog": dict(self.catalog) if self.catalog else None,
            "calls": [c.to_json() for c in self.calls],
            "dry_run": self.dry_run,
        }
