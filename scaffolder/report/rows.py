"""The report's row model: one `Row` per selected catalog Component.

From the catalog (`catalog list`'s reading, filtered as every fleet command filters): name,
description, owner, system, lifecycle and repository. From the project's own answers files,
for a component whose entity file sits in a local project folder (`outdated`'s reading,
`commands/outdated.read_local`): the template and the template and baseline versions. A
component known only by its GitHub repository has no versions here: `None`, which the page
shows as "not gathered".

`with_live(rows, insights_json, audit_json)` merges what `scaffolder insights` and `scaffolder
audit --live --catalog` found into the rows, matched by entity reference, from exactly the JSON
shapes of their results' `to_json()` (the shared contract of issue 15). A row the live results
do not name keeps `alerts` / `audit` None: not gathered, never zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from scaffolder import fleet
from scaffolder.commands.outdated import Recorded
from scaffolder.errors import ScaffolderError, UsageError

SEVERITIES = ("critical", "high", "medium", "low")
#: The alert features of an insights component, in the page's order, with their labels.
FEATURES = {
    "code_scanning": "code scanning",
    "dependabot": "Dependabot",
    "secret_scanning": "secret scanning",
}
FEATURE_STATES = ("on", "off", "unavailable", "unreadable")
STATUSES = ("ok", "finding", "failed")
CHECK_STATUSES = ("passed", "failed", "unavailable")
_ANSWERS = ".copier-answers.yml"


# -- live data -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    """One alert feature of one repository: its state, and its open alerts when it is on."""

    state: str
    open: Mapping[str, int] | None


@dataclass(frozen=True)
class Alerts:
    """What `insights` found for one component."""

    status: str
    reason: str | None
    features: Mapping[str, Feature]

    def open_by_severity(self) -> dict[str, int] | None:
        """Open alerts of the features that are on, by severity; None when none is on."""
        counted = [f.open for f in self.features.values() if f.state == "on" and f.open]
        if not counted:
            return None
        return {s: sum(c.get(s, 0) for c in counted) for s in SEVERITIES}

    def not_on(self) -> dict[str, str]:
        """label -> state of every feature that is not on."""
        return {FEATURES[k]: f.state for k, f in self.features.items() if f.state != "on"}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    reason: str | None
    fix: str | None


@dataclass(frozen=True)
class Audit:
    """What `audit --live` found for one component."""

    status: str
    reason: str | None
    checks: tuple[Check, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)


# -- the row ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    ref: str
    name: str
    description: str
    lifecycle: str
    owner: str
    system: str
    #: The repository's web URL as the entity gives it ('' when none).
    repository: str
    #: The template that made it, its version and the baseline's (None: not read).
    template: str | None = None
    template_version: str | None = None
    baseline_version: str | None = None
    #: False when the template opted out of the baseline; None when not read.
    has_baseline: bool | None = None
    #: Why the versions could not be read from the project folder.
    versions_error: str | None = None
    #: The entity's local folder holds no answers file: no versions to read (not `new`'s).
    no_answers: bool = False
    alerts: Alerts | None = None
    audit: Audit | None = None

    @property
    def repository_link(self) -> str | None:
        """`https://HOST/OWNER/REPO` of the repository; None unless it is an http(s) URL."""
        return repository_link(self.repository)

    @property
    def security_link(self) -> str | None:
        link = self.repository_link
        return f"{link}/security" if link else None


def repository_link(url: str) -> str | None:
    """The repository of a web URL (`https://HOST/OWNER/REPO[/tree/...]`), rebuilt from its
    parts; None for anything else (another scheme, credentials, no owner and repository)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or "@" in parts.netloc:
        return None
    if not all(c.isalnum() or c in ".-" for c in host):
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, repo = (quote(s, safe="") for s in segments[:2])
    where = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{where}/{owner}/{repo.removesuffix('.git')}"


# -- from the catalog ------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """The rows of one report, and what was gathered for them."""

    catalog: str
    rows: tuple[Row, ...]
    #: (target, reason) of every catalog target that could not be read, in the selection.
    unreadable: tuple[tuple[str, str], ...]
    #: Entities in the catalog before selecting.
    total: int
    alerts_gathered: bool = False
    audit_gathered: bool = False

    def live(
        self, insights_json: Mapping[str, Any] | None, audit_json: Mapping[str, Any] | None
    ) -> Report:
        """This report with the live results merged in (`with_live`)."""
        return replace(
            self,
            rows=with_live(self.rows, insights_json, audit_json),
            alerts_gathered=self.alerts_gathered or insights_json is not None,
            audit_gathered=self.audit_gathered or audit_json is not None,
        )


def _answers(path: Path) -> dict[str, Any]:
    from scaffolder.datafiles import load_answers

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return load_answers(text, str(path))


def _history(folder: Path) -> tuple[str | None, str | None]:
    """(the template version the initial commit names, the newest `Scaffolder-Baseline:`
    trailer) of a project's history, from one `git log`: what `Project.template_version` and
    `newest_baseline_trailer` read with three git calls."""
    from scaffolder.project import _INITIAL_COMMIT, BASELINE_TRAILER
    from scaffolder.vcs.git import run_git

    proc = run_git(["log", "--format=%B%x00", "HEAD"], cwd=folder, check=False)
    if proc.returncode != 0:
        return None, None
    messages = [m.strip("\n") for m in proc.stdout.split("\0")]
    messages = [m for m in messages if m]
    template = None
    if messages and (match := _INITIAL_COMMIT.match(messages[-1])):
        template = match.group("version") or None
    for message in messages:  # newest first
        for line in reversed(message.splitlines()):
            key, _, value = line.partition(":")
            if key.strip() == BASELINE_TRAILER and value.strip():
                return template, value.strip()
    return template, None


def _recorded(folder: Path) -> Recorded:
    """What the answers files say made the project: one read of each. Only a version they do
    not record is looked up in the history (`_history`: one git call), or, in a folder that
    is not a git repository, as `outdated` does (`read_local`)."""
    from scaffolder.commands.outdated import BASELINE_ANSWERS, TEMPLATE_ANSWERS, read_local

    baseline_file = folder / BASELINE_ANSWERS
    in_git = (folder / ".git").exists()
    history = cache(lambda: _history(folder))
    full = cache(lambda: read_local(folder))

    def template_fallback() -> str | None:
        return history()[0] if in_git else full().template_version()

    def baseline_fallback() -> str | None:
        return history()[1] if in_git else full().baseline_version()

    return Recorded(
        template_answers=_answers(folder / TEMPLATE_ANSWERS),
        baseline_answers=_answers(baseline_file) if baseline_file.is_file() else None,
        where=str(folder),
        template_fallback=template_fallback,
        baseline_fallback=baseline_fallback,
    )


def _versions(row: Row, folder: Path | None) -> Row:
    if folder is None:
        return row
    if not (folder / _ANSWERS).is_file():
        return replace(row, no_answers=True)
    try:
        recorded = _recorded(folder)
        template = Path(recorded.source).name if recorded.source else None
        has_baseline = recorded.baseline_answers is not None
        return replace(
            row,
            template=template.removesuffix(".git") if template else None,
            template_version=recorded.template_version(),
            baseline_version=recorded.baseline_version() if has_baseline else None,
            has_baseline=has_baseline,
        )
    except ScaffolderError as exc:
        return replace(row, versions_error=exc.message)


def collect(selection: fleet.Selection) -> Report:
    """The selected Components of the catalog, in catalog order, with their versions."""
    selected = fleet.select(selection)
    bare = [
        Row(
            ref=c.ref,
            name=c.name,
            description=c.description,
            lifecycle=c.lifecycle,
            owner=c.owner,
            system=c.system,
            repository=c.repository,
        )
        for c in selected.components
    ]
    folders = [c.folder for c in selected.components]
    if selection.concurrency == 1 or len(bare) < 2:
        rows = [_versions(r, f) for r, f in zip(bare, folders, strict=True)]
    else:
        with ThreadPoolExecutor(selection.concurrency, thread_name_prefix="report") as pool:
            rows = list(pool.map(_versions, bare, folders))
    return Report(selected.catalog, tuple(rows), selected.unreadable, selected.total)


# -- merging the live results ----------------------------------------------------------------
def _bad(what: str, where: str) -> UsageError:
    return UsageError(
        f"live result {where}: {what}",
        hint="pass the `to_json()` of an insights or audit --live result, unchanged",
    )


def _text(data: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _bad(f"{key!r} is not text", where)
    return value


def _choice(data: Mapping[str, Any], key: str, choices: Sequence[str], where: str) -> str:
    value = data.get(key)
    if value not in choices:
        raise _bad(f"{key} {value!r} is not one of {', '.join(choices)}", where)
    return str(value)


def _components(document: Mapping[str, Any] | None, what: str) -> Iterable[tuple[str, Any]]:
    if document is None:
        return
    components = document.get("components") if isinstance(document, Mapping) else None
    if not isinstance(components, list):
        raise _bad("has no list of components", what)
    for index, item in enumerate(components):
        where = f"{what}.components[{index}]"
        if not isinstance(item, Mapping):
            raise _bad("is not an object", where)
        yield where, item


def _feature(data: Any, where: str) -> Feature:
    if not isinstance(data, Mapping):
        raise _bad("is not an object", where)
    state = _choice(data, "state", FEATURE_STATES, where)
    counts = data.get("open")
    if counts is None:
        return Feature(state, None)
    if state != "on" or not isinstance(counts, Mapping):
        raise _bad("'open' must be null unless the state is 'on', else counts", where)
    parsed = {}
    for severity in SEVERITIES:
        value = counts.get(severity, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _bad(f"open.{severity} {value!r} is not a count", where)
        parsed[severity] = value
    return Feature(state, parsed)


def parse_insights(document: Mapping[str, Any] | None) -> dict[str, Alerts]:
    """ref -> Alerts of an `insights` result's JSON."""
    found: dict[str, Alerts] = {}
    for where, item in _components(document, "insights"):
        features = {
            key: _feature(item[key], f"{where}.{key}")
            for key in FEATURES
            if item.get(key) is not None
        }
        found[_text(item, "ref", where)] = Alerts(
            status=_choice(item, "status", STATUSES, where),
            reason=_text(item, "reason", where, optional=True),
            features=features,
        )
    return found


def parse_audit(document: Mapping[str, Any] | None) -> dict[str, Audit]:
    """ref -> Audit of an `audit --live` fleet result's JSON."""
    found: dict[str, Audit] = {}
    for where, item in _components(document, "audit"):
        checks = item.get("checks") or []
        if not isinstance(checks, list):
            raise _bad("'checks' is not a list", where)
        parsed = []
        for index, check in enumerate(checks):
            at = f"{where}.checks[{index}]"
            if not isinstance(check, Mapping):
                raise _bad("is not an object", at)
            parsed.append(
                Check(
                    name=_text(check, "name", at),
                    status=_choice(check, "status", CHECK_STATUSES, at),
                    reason=_text(check, "reason", at, optional=True),
                    fix=_text(check, "fix", at, optional=True),
                )
            )
        found[_text(item, "ref", where)] = Audit(
            status=_choice(item, "status", STATUSES, where),
            reason=_text(item, "reason", where, optional=True),
            checks=tuple(parsed),
        )
    return found


def with_live(
    rows: Sequence[Row],
    insights_json: Mapping[str, Any] | None,
    audit_json: Mapping[str, Any] | None,
) -> tuple[Row, ...]:
    """`rows` with the alert counts of `insights_json` and the audit of `audit_json` (either
    may be None: not gathered), matched by entity reference."""
    alerts = parse_insights(insights_json)
    audits = parse_audit(audit_json)
    return tuple(
        replace(
            row,
            alerts=alerts.get(row.ref, row.alerts),
            audit=audits.get(row.ref, row.audit),
        )
        for row in rows
    )
