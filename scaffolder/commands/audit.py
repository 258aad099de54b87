"""`scaffolder audit [PATH]`: check a local repository against the security baseline.

`scaffolder audit --live [PATH | --repo OWNER/REPO | --catalog FILE ...]` instead reads back
from GitHub what is in force and compares it with what the repository declares
(`scaffolder/audit/live.py`): one repository (a local project whose `origin` names it, or
`--repo` without a checkout), or every selected component of the catalog through the fleet loop
(`scaffolder/fleet.py`). Exit codes: 0 every check passed or is unavailable on the plan, 1 a
check failed, 3 (fleet) a repository could not be read (3 wins over 1), 70 a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder import fleet
from scaffolder.audit import AuditReport, audit
from scaffolder.audit.live import LiveCheck
from scaffolder.errors import ExitCode, UsageError
from scaffolder.progress import SILENT, Progress

if TYPE_CHECKING:
    from scaffolder.audit.live_source import Declared
    from scaffolder.github.contents import GitHubFetcher


@dataclass(frozen=True)
class AuditOptions:
    #: The local project (None: `.` for a local audit, none for `--repo`/`--catalog`).
    path: Path | None = None
    #: Read back from GitHub instead of checking the files.
    live: bool = False
    #: `--repo OWNER/REPO`: a repository on GitHub, no checkout (live only).
    repo: str | None = None
    #: `--catalog` and the selection flags: the fleet (live only).
    selection: fleet.Selection | None = None
    #: `--github-api-url` (default: $SCAFFOLDER_GITHUB_API_URL or github.com).
    api_url: str | None = None

    def __post_init__(self) -> None:
        if not self.live and (self.repo is not None or self.selection is not None):
            what = "--repo" if self.repo is not None else "--catalog and the selection flags"
            raise UsageError(
                f"{what} work with --live only", hint="add --live to read back from GitHub"
            )
        given = [
            name
            for name, value in (("PATH", self.path), ("--repo", self.repo))
            if value is not None
        ] + (["--catalog"] if self.selection is not None else [])
        if len(given) > 1:
            raise UsageError(
                f"audit --live reads one of PATH, --repo or --catalog, not {' and '.join(given)}",
                hint="give a project folder, --repo OWNER/REPO, or --catalog FILE",
            )


@dataclass(frozen=True)
class AuditResult:
    report: AuditReport
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.report.ok else ExitCode.CHECKS_FAILED

    def to_json(self) -> dict[str, Any]:
        return self.report.to_json()


@dataclass(frozen=True)
class LiveComponent:
    """One repository's live audit."""

    #: The catalog entity's reference (or the catalog target that could not be read).
    ref: str | None
    #: `OWNER/REPO`, when known.
    repository: str | None
    status: fleet.Status
    reason: str | None
    checks: tuple[LiveCheck, ...] = ()
    bug: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "repository": self.repository,
            "status": self.status,
            "reason": self.reason,
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(frozen=True)
class LiveAuditResult:
    #: "path", "repo" or "catalog".
    mode: str
    components: tuple[LiveComponent, ...]
    #: The catalog, selection and entity count of a fleet run.
    catalog: str | None = None
    selection: fleet.Selection | None = None
    total: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return fleet.exit_code_of(self.components)

    def to_json(self) -> dict[str, Any]:
        statuses = ("ok", "finding", "failed")
        return {
            "live": True,
            "mode": self.mode,
            "catalog": self.catalog,
            "selection": self.selection.to_json() if self.selection else None,
            "total": self.total,
            "counts": {s: sum(1 for c in self.components if c.status == s) for s in statuses},
            "components": [c.to_json() for c in self.components],
        }


def run(options: AuditOptions, progress: Progress = SILENT) -> AuditResult | LiveAuditResult:
    """Reads only; writes nothing. Failed checks are a result (exit 1), not an error."""
    if options.live:
        return _live(options, progress)
    return AuditResult(audit(options.path or Path()))


# -- live ------------------------------------------------------------------------------------
def _component(ref: str | None, declared: Declared, checks: tuple[LiveCheck, ...]) -> LiveComponent:
    failed = [c.name for c in checks if c.status == "failed"]
    if failed:
        reason = f"{len(failed)} failed: {', '.join(failed)}"
        return LiveComponent(ref, declared.slug, "finding", reason, checks)
    return LiveComponent(ref, declared.slug, "ok", None, checks)


def _local_ref(path: Path) -> str | None:
    from scaffolder.backstage.documents import ref_of
    from scaffolder.errors import ScaffolderError
    from scaffolder.project import Project

    try:
        return ref_of(Project.load(path).catalog_info) or None
    except ScaffolderError:
        return None


class _Live:
    """Reads for one run: a fetcher whose clients are per thread (the fleet's workers)."""

    def __init__(self, api_url: str | None) -> None:
        from scaffolder.github.contents import GitHubFetcher, web_base

        self.fetcher: GitHubFetcher = GitHubFetcher.from_environment(api_url=api_url)
        self.web = web_base(self.fetcher.settings.api_url)

    def get(self, path: str) -> Any:
        return self.fetcher.client().rest("GET", path, what=f"read {path}")

    def checks(self, declared: Declared) -> tuple[LiveCheck, ...]:
        from scaffolder.audit import live

        return live.check(self.get, declared)

    def declared(self, component: fleet.Component) -> Declared:
        from scaffolder.audit import live_source

        folder = component.folder
        if folder is not None and folder.is_dir():
            return live_source.local(folder, self.web, slug=component.github)
        if component.github:
            return live_source.remote(self.fetcher, component.github)
        raise UsageError(f"{component.ref} names no GitHub repository to read back")

    def unit(self, component: fleet.Component) -> fleet.Outcome:
        declared = self.declared(component)
        done = _component(component.ref, declared, self.checks(declared))
        detail = {"repository": declared.slug, "checks": done.checks}
        if done.status == "ok":
            return fleet.ok(**detail)
        return fleet.finding(done.reason or "", **detail)


def _live(options: AuditOptions, progress: Progress) -> LiveAuditResult:
    from scaffolder.audit import live_source

    slug = live_source.parse_slug(options.repo) if options.repo is not None else None
    reader = _Live(options.api_url)
    try:
        if options.selection is not None:
            return _fleet(reader, options.selection, progress)
        if slug is not None:
            with progress.step("read back", f"{slug} on GitHub"):
                declared = live_source.remote(reader.fetcher, slug)
                checks = reader.checks(declared)
            return LiveAuditResult("repo", (_component(None, declared, checks),))
        path = options.path or Path()
        declared = live_source.local(path, reader.web)
        with progress.step("read back", f"{declared.slug} on GitHub"):
            checks = reader.checks(declared)
        ref = _local_ref(declared.path or path)
        return LiveAuditResult("path", (_component(ref, declared, checks),))
    finally:
        reader.fetcher.close()


def _fleet(reader: _Live, selection: fleet.Selection, progress: Progress) -> LiveAuditResult:
    ran = fleet.run(selection, reader.unit, progress, what="audit --live")
    components = []
    for entry in ran.entries:
        detail = entry.outcome.detail
        github = entry.component.github if entry.component else None
        repository = detail.get("repository") or github
        components.append(
            LiveComponent(
                ref=entry.component.ref if entry.component else entry.name,
                repository=repository,
                status=entry.status,
                reason=entry.outcome.reason or None,
                checks=tuple(detail.get("checks", ())),
                bug=entry.bug,
            )
        )
    return LiveAuditResult(
        "catalog",
        tuple(components),
        catalog=ran.catalog,
        selection=selection,
        total=ran.total,
    )
