"""`scaffolder report --html FILE`: the selected catalog components as one static HTML page.

Reads the catalog (and each local project's answers files for its versions: `report/rows.py`),
renders the page (`report/page.py`) and writes it to FILE atomically: a temporary file beside
it, then `os.replace`, so a reader never sees half a page and a failed run leaves FILE as it
was. FILE must not be a directory or a symbolic link, and its folder must exist: nothing is
written anywhere else.

`live` (`--live`): the same selection is also run through `insights` and `audit --live
--catalog`, and their `to_json()` are merged into the rows (`rows.with_live`); `insights` and
`audit` may instead be given already gathered. Without either, the alert and audit columns say
"not gathered". With `--live`, a repository GitHub would not answer for is shown as such on the
page and makes the exit code 3 (the page is written, but incomplete).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scaffolder import fleet
from scaffolder.errors import ExitCode, UsageError, more_serious
from scaffolder.progress import SILENT, Progress
from scaffolder.report import page
from scaffolder.report.rows import SEVERITIES, Report, collect


@dataclass(frozen=True)
class ReportOptions:
    html: Path
    selection: fleet.Selection = field(default_factory=fleet.Selection)
    insights: Mapping[str, Any] | None = None
    audit: Mapping[str, Any] | None = None
    #: Gather `insights` and `audit` from GitHub for the selection (`--live`).
    live: bool = False


@dataclass(frozen=True)
class ReportResult:
    path: Path
    report: Report
    size: int
    warnings: tuple[str, ...] = ()
    #: With `--live`: some repository could not be read (partial), else OK.
    exit_code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        rows = self.report.rows
        alerts: dict[str, int] | None = None
        if self.report.alerts_gathered:
            alerts = dict.fromkeys(SEVERITIES, 0)
            for row in rows:
                counts = row.alerts.open_by_severity() if row.alerts else None
                for severity, count in (counts or {}).items():
                    alerts[severity] += count
        lifecycles = Counter(r.lifecycle for r in rows)
        return {
            "path": str(self.path),
            "bytes": self.size,
            "catalog": self.report.catalog,
            "total": self.report.total,
            "components": len(rows),
            "unreadable": len(self.report.unreadable),
            "by_lifecycle": {k: lifecycles[k] for k in page.lifecycle_order(lifecycles)},
            "open_alerts": alerts,
            "alerts_gathered": self.report.alerts_gathered,
            "audit_gathered": self.report.audit_gathered,
        }


def _target(path: Path) -> Path:
    """FILE, absolute; refused when it is a directory or a symlink or its folder is missing."""
    path = path.expanduser().absolute()
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        raise UsageError(
            f"{path} is a symbolic link: the report is not written through it",
            hint="give the path of a regular file (it is replaced) or of a new one",
        )
    if mode is not None and not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise UsageError(
            f"{path} is {what}", hint="give a file name, e.g. --html report/index.html"
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"the folder {path.parent} does not exist", hint="create it, or write elsewhere"
        )
    return path


def write_atomic(path: Path, text: str) -> int:
    """Write `text` to `path` through a temporary file in the same folder; its size."""
    data = text.encode("utf-8")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(0o644)  # a page to publish, not a secret (mkstemp makes it 0600)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return len(data)


def run(options: ReportOptions, progress: Progress = SILENT) -> ReportResult:
    """Reads the catalog and the project folders; writes FILE only."""
    path = _target(options.html)
    selection = options.selection
    with progress.step("catalog", f"reading {selection.catalog or 'the default catalog'}"):
        report = collect(selection)
    insights_json, audit_json = options.insights, options.audit
    code: ExitCode = ExitCode.OK
    live_warnings: tuple[str, ...] = ()
    if options.live:
        insights_json, audit_json, code, live_warnings = _gather(selection, progress)
    if insights_json is not None or audit_json is not None:
        report = report.live(insights_json, audit_json)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with progress.step("page", str(path)):
        size = write_atomic(path, page.render(report, generated=generated))
    warnings = live_warnings + tuple(
        f"cannot read the catalog target {target}: {reason}" for target, reason in report.unreadable
    )
    return ReportResult(path, report, size, warnings, code)


def _gather(
    selection: fleet.Selection, progress: Progress
) -> tuple[dict[str, Any], dict[str, Any], ExitCode, tuple[str, ...]]:
    """Run `insights` and `audit --live` over `selection`: their JSON, exit code, warnings.

    Their findings (open alerts, failed checks) are what the page shows, not a failure of the
    report; a repository that could not be read is (3), a bug in either is (70). Nothing
    here writes."""
    from scaffolder.commands import audit, exit_code_of, insights

    found = insights.run(insights.InsightsOptions(selection=selection), progress)
    checked = audit.run(audit.AuditOptions(live=True, selection=selection), progress)
    warnings = (*found.warnings, *checked.warnings)
    codes = [
        code
        for code in (exit_code_of(found), exit_code_of(checked))
        if code in (ExitCode.PARTIAL, ExitCode.INTERNAL)
    ]
    return found.to_json(), checked.to_json(), more_serious(*codes), tuple(warnings)
