"""The audit's results: one frozen result per named check, and the report that holds them.

`AuditReport.to_json()` is the `scaffolder audit --json` contract (pinned in
tests/test_audit.py): `{ok, path, languages, summary: {passed, failed}, checks: [{name, title,
passed, reason}]}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.audit.repo import Repository


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    passed: bool
    #: Why it passed (what was found) or why it failed (every problem, joined by '; ').
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "passed": self.passed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Check:
    """One baseline rule. `run` returns the problems it found (empty: passed) and a summary."""

    name: str
    title: str
    run: Callable[[Repository], tuple[list[str], str]]

    def __call__(self, repo: Repository) -> CheckResult:
        problems, summary = self.run(repo)
        if problems:
            return CheckResult(self.name, self.title, False, "; ".join(problems))
        return CheckResult(self.name, self.title, True, summary)


@dataclass(frozen=True)
class AuditReport:
    path: Path
    languages: tuple[str, ...]
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def result(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        failed = len(self.failed)
        return {
            "path": str(self.path),
            "languages": list(self.languages),
            "summary": {"passed": len(self.results) - failed, "failed": failed},
            "checks": [r.to_json() for r in self.results],
        }


def count(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


Outcome = tuple[list[str], str]


def noted(outcome: Outcome, note: str) -> Outcome:
    """`outcome` with `note` added to its reason, whether the check passed or failed."""
    problems, summary = outcome
    if not note:
        return outcome
    if problems:
        return [*problems, note], summary
    return problems, f"{summary}; {note}" if summary else note
