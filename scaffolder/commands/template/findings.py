"""What `template lint` and `template test` find: one frozen finding each, with file and line.

A finding is an `error` (the template breaks scaffolder's contract, or a rendered project
fails its audit or its tests: lint exits 1) or a `review` item (an unsafe feature, an opt-out
of the security baseline: listed so an organisation can review it, never a failure by itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

Severity = Literal["error", "review"]

Kind = Literal[
    "config",
    "standard-questions",
    "metadata",
    "subdirectory",
    "answers-file",
    "version",
    "language",
    "unsafe",
    "baseline",
    "render",
    "audit",
    "tests",
]
#: The kinds, in the order a report lists them.
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    message: str
    #: The file the finding is about: the template's copier.yml (or a file it includes), or a
    #: template file. Relative to the template's folder when inside it.
    file: str
    #: 1-based; None when the finding is about a whole file (a missing one).
    line: int | None = None
    severity: Severity = "error"
    hint: str = ""
    #: The matrix rows (render, audit, tests findings) it was seen in.
    rows: tuple[int, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "hint": self.hint or None,
            "rows": list(self.rows),
        }


def relative(path: Path, root: Path) -> str:
    """`path` as a finding names it: relative to the template's folder when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def merged(findings: Iterable[Finding]) -> list[Finding]:
    """The same finding seen in several rows, once, naming every row; order kept."""
    seen: dict[tuple[str, str, str, int | None], Finding] = {}
    for f in findings:
        key = (f.kind, f.message, f.file, f.line)
        if key in seen:
            old = seen[key]
            rows = tuple(sorted({*old.rows, *f.rows}))
            seen[key] = Finding(f.kind, f.message, f.file, f.line, f.severity, f.hint, rows)
        else:
            seen[key] = f
    return sorted(seen.values(), key=lambda f: KINDS.index(f.kind))
