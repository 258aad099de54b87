"""Progress reporting: the core announces steps, the edge decides how (or whether) to show them.

Nothing below the CLI prints. Core functions take a `Progress` and call `step()` around each
long-running step; the CLI passes one that writes to stderr, tests and libraries pass
`SILENT`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol


class Progress(Protocol):
    def step(self, name: str, detail: str = "") -> contextlib.AbstractContextManager[None]:
        """Wrap one step; it is reported as started, then done or failed."""

    def note(self, message: str) -> None:
        """A line of information, or a warning, that belongs to the current run."""


class _Silent:
    @contextlib.contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[None]:
        yield

    def note(self, message: str) -> None:
        return None


SILENT: Progress = _Silent()
