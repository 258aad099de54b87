"""`scaffolder audit [PATH]`: check a local repository against the security baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.audit import AuditReport, audit
from scaffolder.errors import ExitCode
from scaffolder.progress import SILENT, Progress


@dataclass(frozen=True)
class AuditOptions:
    path: Path = Path()


@dataclass(frozen=True)
class AuditResult:
    report: AuditReport
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.report.ok else ExitCode.CHECKS_FAILED

    def to_json(self) -> dict[str, Any]:
        return self.report.to_json()


def run(options: AuditOptions, progress: Progress = SILENT) -> AuditResult:
    """Reads only; writes nothing. Failed checks are a result (exit 1), not an error."""
    return AuditResult(audit(options.path))
