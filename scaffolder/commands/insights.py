"""`scaffolder insights`: open security alerts of every selected catalog component, from GitHub.

Per component: open code scanning, Dependabot and secret scanning alerts by severity
(`github/alerts.py` says how each alert's severity is read), each feature's state (`on`, `off`,
`unavailable` on the repository's plan, `unreadable` with this token: only `on` has counts, a
feature that is off is never shown as zero), and totals per lifecycle, production first.

Fewest requests (`docs/insights.md`): the repositories of one owner are read together, once per
run, whatever the concurrency (`_Owner`):

1. `GET /orgs/{org}/repos`: which repositories the token sees, and their
   `security_and_analysis` (Advanced Security / Code Security, secret scanning). A 404: the
   owner is a user, read per repository (`GET /repos/{o}/{r}`).
2. `GET /orgs/{org}/{code-scanning,dependabot,secret-scanning}/alerts?state=open`: every open
   alert of the organisation, by repository. Where GitHub refuses a list (it needs an owner or a
   security manager), that kind is read per repository (`/repos/{o}/{r}/.../alerts`) and the run
   says so: a warning, and `fallbacks` in JSON.
3. What neither says, probed per repository, kept for a day and counted apart: whether
   Dependabot alerts are on (`vulnerability-alerts`), and, for a repository with no open code
   scanning alert in the organisation's list, whether code scanning runs at all.

Every list is paged to the end and revalidated with ETags (`github/etag_cache.py`), so a second
run within the day costs almost no rate limit. A repository the token cannot read is `failed`
with the reason; the others go on.

Exit codes (the fleet's, `errors.EXIT_CODES`): 0; 1 with `--fail-on SEVERITY` when a selected
component has an open alert at or above it; 3 when some repository could not be read (3 wins
over 1); 70 for a bug.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scaffolder import fleet
from scaffolder.errors import (
    ExitCode,
    GitHubError,
    GitHubRateLimitError,
    ScaffolderError,
    UsageError,
    more_serious,
)
from scaffolder.github.alerts import (
    KINDS,
    SEVERITIES,
    AlertClient,
    Kind,
    count_open,
    count_open_by_repository,
    empty_counts,
    off_or_unavailable,
)
from scaffolder.progress import SILENT, Progress

T = TypeVar("T")
#: What GitHub allows in an owner's or a repository's name (checked before it is in a path).
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
#: The JSON field of each kind of alert.
FIELDS: dict[Kind, str] = {
    "code-scanning": "code_scanning",
    "dependabot": "dependabot",
    "secret-scanning": "secret_scanning",
}
_LABELS: dict[str, str] = {
    "code-scanning": "code scanning",
    "dependabot": "Dependabot",
    "secret-scanning": "secret scanning",
}


def _severity(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    if value not in SEVERITIES:
        raise UsageError(
            f"{flag} {value!r} is not a severity", hint=f"give one of {', '.join(SEVERITIES)}"
        )
    return value


def at_or_above(counts: Mapping[str, int], level: str) -> int:
    """How many of `counts` are at `level` or more severe."""
    return sum(counts[s] for s in SEVERITIES[: SEVERITIES.index(level) + 1])


@dataclass(frozen=True)
class InsightsOptions:
    selection: fleet.Selection = field(default_factory=fleet.Selection)
    #: The least severity counted as a finding and shown in the text table.
    severity: str = "low"
    #: Exit 1 when an open alert is at or above this severity; None: never.
    fail_on: str | None = None

    def __post_init__(self) -> None:
        _severity(self.severity, "--severity")
        _severity(self.fail_on, "--fail-on")


@dataclass(frozen=True)
class Feature:
    state: str
    open: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "open": dict(self.open) if self.open is not None else None}


UNREADABLE = Feature("unreadable")


# -- what one owner holds, read once ------------------------------------------------------------
class _Once:
    """A value worked out once, by the first thread that asks; a ScaffolderError is kept too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: ScaffolderError | None = None

    def get(self, make: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = make()
                except ScaffolderError as exc:
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        value: T = self._value
        return value


class _Owner:
    """One owner's repository listing and organisation alert lists (None: read per repository)."""

    def __init__(self, reader: _Reader, owner: str) -> None:
        self.reader = reader
        self.owner = owner
        self._listing = _Once()
        self._lists = {kind: _Once() for kind in KINDS}

    def listing(self) -> dict[str, dict[str, Any]] | None:
        """Repositories by lower-cased name; None when the owner is no organisation."""

        def read() -> dict[str, dict[str, Any]] | None:
            try:
                items = self.reader.client.pages(
                    f"/orgs/{self.owner}/repos",
                    {"type": "all"},
                    f"list the repositories of {self.owner}",
                )
            except GitHubError as exc:
                if exc.status == 404:
                    return None
                raise
            return {
                str(r["name"]).lower(): r
                for r in items
                if isinstance(r, dict) and isinstance(r.get("name"), str)
            }

        return self._listing.get(read)

    def open_alerts(self, kind: Kind) -> dict[str, dict[str, int]] | None:
        """The organisation's open alerts of `kind` by repository; None: read per repository."""

        def read() -> dict[str, dict[str, int]] | None:
            if self.listing() is None:
                return None
            try:
                alerts = self.reader.client.pages(
                    f"/orgs/{self.owner}/{kind}/alerts",
                    {"state": "open"},
                    f"list the open {_LABELS[kind]} alerts of {self.owner}",
                )
            except GitHubError as exc:
                if not _refused(exc):
                    raise
                self.reader.fall_back(self.owner, kind, exc)
                return None
            return count_open_by_repository(kind, alerts)

        return self._lists[kind].get(read)


class _Reader:
    """The unit of work of the fleet loop: one component's alerts, from its owner's lists."""

    def __init__(self, client: AlertClient, concurrency: int) -> None:
        self.client = client
        self._owners: dict[str, _Owner] = {}
        self._lock = threading.Lock()
        #: (owner, kind, reason) of every organisation list GitHub refused.
        self.fallbacks: list[tuple[str, str, str]] = []
        #: Reads an owner's three alert lists side by side: each is a chain of pages, so one
        #: after the other they would take the sum of the chains instead of the longest.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="insights")

    def owner(self, name: str) -> _Owner:
        with self._lock:
            found = self._owners.get(name.lower())
            if found is None:
                found = self._owners[name.lower()] = _Owner(self, name)
                for kind in KINDS:  # errors are kept by each list's _Once, for its readers
                    self._pool.submit(found.open_alerts, kind)
        return found

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def fall_back(self, owner: str, kind: Kind, exc: GitHubError) -> None:
        with self._lock:
            self.fallbacks.append((owner, kind, exc.message))

    def __call__(self, component: fleet.Component) -> fleet.Outcome:
        if not component.github:
            raise UsageError(f"{component.ref} names no repository on GitHub")
        owner_name, _, name = component.github.partition("/")
        if not all(
            _NAME.fullmatch(part) and part not in (".", "..") for part in (owner_name, name)
        ):
            raise UsageError(f"{component.ref}: {component.github!r} is not OWNER/REPO on GitHub")
        owner = self.owner(owner_name)
        try:
            repo = self._repository(owner, name)
        except GitHubError as exc:
            if not _refused(exc):
                raise
            reason = f"{component.github} cannot be read with this token: {exc.message}"
            return _unreadable(reason)
        if repo is None:
            reason = (
                f"{component.github} is not among the repositories of {owner_name} this token "
                "sees (it does not exist, or the token may not read it)"
            )
            return _unreadable(reason)
        features: dict[Kind, Feature] = {}
        problems = []
        for kind in KINDS:
            try:
                features[kind] = self._feature(kind, owner, name, repo)
            except GitHubError as exc:
                if not _refused(exc):
                    raise
                features[kind] = UNREADABLE
                problems.append(f"{_LABELS[kind]}: {exc.message}")
        detail = {FIELDS[kind]: feature.to_json() for kind, feature in features.items()}
        if problems:
            return fleet.Outcome("failed", detail, "; ".join(problems))
        return fleet.ok(**detail)

    def _repository(self, owner: _Owner, name: str) -> dict[str, Any] | None:
        listing = owner.listing()
        if listing is not None:
            return listing.get(name.lower())
        data = self.client.one(f"/repos/{owner.owner}/{name}", f"read {owner.owner}/{name}")
        return data if isinstance(data, dict) else None

    def _feature(self, kind: Kind, owner: _Owner, name: str, repo: Mapping[str, Any]) -> Feature:
        settings = repo.get("security_and_analysis")
        sa = settings if isinstance(settings, dict) else None
        known = _from_settings(kind, repo, sa)
        if known is not None and known.state != "on":
            return known
        org = owner.open_alerts(kind)
        if org is None:
            return self._per_repository(kind, owner.owner, name)
        counts = org.get(name.lower())
        if counts is not None and any(counts.values()):
            return Feature("on", counts)  # open alerts: the feature is on
        if kind == "secret-scanning" and known is None:
            return self._per_repository(kind, owner.owner, name)
        if kind == "dependabot":
            state = self.client.dependabot_probe(owner.owner, name)
        elif kind == "code-scanning":
            state = self.client.code_scanning_probe(owner.owner, name)
        else:
            state = "on"
        return Feature(state, empty_counts() if state == "on" else None)

    def _per_repository(self, kind: Kind, owner: str, name: str) -> Feature:
        try:
            alerts = self.client.pages(
                f"/repos/{owner}/{name}/{kind}/alerts",
                {"state": "open"},
                f"list the open {_LABELS[kind]} alerts of {owner}/{name}",
            )
        except GitHubError as exc:
            if state := off_or_unavailable(exc):
                return Feature(state)
            raise
        return Feature("on", count_open(kind, alerts))


def _refused(exc: GitHubError) -> bool:
    """A 403 or 404 that is GitHub's refusal, not a rate limit (which is a 403 too)."""
    return exc.status in (403, 404) and not isinstance(exc, GitHubRateLimitError)


def _unreadable(reason: str) -> fleet.Outcome:
    detail = {FIELDS[kind]: UNREADABLE.to_json() for kind in KINDS}
    return fleet.Outcome("failed", detail, reason)


def _enabled(sa: Mapping[str, Any], name: str) -> bool:
    entry = sa.get(name)
    return isinstance(entry, dict) and entry.get("status") == "enabled"


def _from_settings(
    kind: Kind, repo: Mapping[str, Any], sa: Mapping[str, Any] | None
) -> Feature | None:
    """What the repository's `security_and_analysis` says of a feature: `on` (counts still to
    read), `off`, `unavailable`; None when it says nothing (absent, or Dependabot)."""
    if sa is None or kind == "dependabot":
        return None
    licensed = (
        not repo.get("private")
        or _enabled(sa, "advanced_security")
        or _enabled(sa, "code_security")
        or ("advanced_security" not in sa and "code_security" not in sa)
    )
    if kind == "code-scanning":
        return Feature("on") if licensed else Feature("unavailable")
    if _enabled(sa, "secret_scanning"):
        return Feature("on")
    return Feature("off") if licensed else Feature("unavailable")


# -- the result ------------------------------------------------------------------------------
def _features(entry: fleet.Entry) -> dict[str, dict[str, Any]]:
    detail = entry.outcome.detail
    return {FIELDS[kind]: dict(detail.get(FIELDS[kind]) or UNREADABLE.to_json()) for kind in KINDS}


def _lifecycle_order(name: str) -> tuple[int, str]:
    return (0 if name == "production" else 1, name)


@dataclass(frozen=True)
class InsightsResult:
    run: fleet.FleetRun
    severity: str
    fail_on: str | None
    stats: dict[str, int]
    #: (owner, kind, GitHub's reason) of each organisation list read per repository instead.
    fallbacks: tuple[tuple[str, str, str], ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"{owner}: GitHub refused the organisation's {_LABELS[kind]} alert list "
            f"({reason}); read per repository instead"
            for owner, kind, reason in self.fallbacks
        )

    def components(self) -> list[dict[str, Any]]:
        rows = []
        for entry in self.run.entries:
            component = entry.component
            features = _features(entry)
            status = entry.status
            if status != "failed" and self._over(features, self.severity):
                status = "finding"
            rows.append(
                {
                    "ref": component.ref if component else entry.name,
                    "repository": component.github if component else None,
                    "lifecycle": component.lifecycle if component else None,
                    "owner": component.owner if component else None,
                    "system": component.system if component else None,
                    "status": status,
                    "reason": entry.outcome.reason or None,
                    **features,
                }
            )
        return rows

    @staticmethod
    def _over(row: Mapping[str, Any], level: str) -> bool:
        """Whether a component's row (or its features) has an open alert at `level` or above."""
        return any(
            row[name]["open"] is not None and at_or_above(row[name]["open"], level)
            for name in FIELDS.values()
        )

    @property
    def exit_code(self) -> ExitCode:
        codes = [ExitCode.OK]
        rows = self.components()
        if any(e.bug for e in self.run.entries):
            codes.append(ExitCode.INTERNAL)
        if any(r["status"] == "failed" for r in rows):
            codes.append(ExitCode.PARTIAL)
        if self.fail_on and any(self._over(r, self.fail_on) for r in rows):
            codes.append(ExitCode.CHECKS_FAILED)
        return more_serious(*codes)

    def totals(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_lifecycle: dict[str, dict[str, Any]] = {}
        for row in rows:
            name = row["lifecycle"] or "unknown"
            total = by_lifecycle.setdefault(
                name,
                {
                    "lifecycle": name,
                    "components": 0,
                    "failed": 0,
                    **{FIELDS[k]: empty_counts() for k in KINDS},
                    "open": empty_counts(),
                },
            )
            total["components"] += 1
            total["failed"] += row["status"] == "failed"
            for kind in KINDS:
                counts = row[FIELDS[kind]]["open"] or {}
                for level, number in counts.items():
                    total[FIELDS[kind]][level] += number
                    total["open"][level] += number
        return [by_lifecycle[name] for name in sorted(by_lifecycle, key=_lifecycle_order)]

    def to_json(self) -> dict[str, Any]:
        rows = self.components()
        return {
            "catalog": self.run.catalog,
            "selection": self.run.selection.to_json(),
            "total": self.run.total,
            "selected": len(rows),
            "severity": self.severity,
            "fail_on": self.fail_on,
            "counts": {s: sum(r["status"] == s for r in rows) for s in ("ok", "finding", "failed")},
            "components": rows,
            "totals": self.totals(rows),
            "requests": dict(self.stats),
            "fallbacks": [
                {"owner": owner, "alerts": kind, "reason": reason}
                for owner, kind, reason in self.fallbacks
            ],
        }


def run(options: InsightsOptions, progress: Progress = SILENT) -> InsightsResult:
    """Reads only; writes nothing but the ETag cache."""
    from scaffolder.github import GitHubSettings
    from scaffolder.github.etag_cache import ETagCache

    settings = GitHubSettings.from_env()
    settings.require_token()  # before reading the catalog: every component needs it
    client = AlertClient(settings, ETagCache.default())
    reader = _Reader(client, options.selection.concurrency)
    try:
        result = fleet.run(options.selection, reader, progress, what="insights")
    finally:
        reader.close()
        client.close()
    return InsightsResult(
        run=result,
        severity=options.severity,
        fail_on=options.fail_on,
        stats=client.stats.to_json(),
        fallbacks=tuple(sorted(reader.fallbacks)),
    )
