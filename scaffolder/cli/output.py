"""How results and errors reach the terminal: human text on stderr, or one JSON object on stdout.

With `--json`, stdout carries exactly one JSON object, success or failure; progress and notes
still go to stderr so a pipeline can show them. `NO_COLOR` is honoured.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from scaffolder.errors import ExitCode, PartialSuccessError, ScaffolderError


def _color_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


class Output:
    def __init__(
        self, *, json_mode: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ):
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.color = _color_enabled(self.stderr)

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    # -- progress (the Progress protocol) ---------------------------------------------------
    @contextlib.contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[None]:
        started = time.monotonic()
        label = f"{name}: {detail}" if detail else name
        self.stderr.write(f"{self._paint('•', '36')} {label} ...\n")
        self.stderr.flush()
        try:
            yield
        except BaseException:
            self.stderr.write(f"  {self._paint('✗', '31')} {name} failed\n")
            raise
        self.stderr.write(
            f"  {self._paint('✓', '32')} {name} ({time.monotonic() - started:.2f}s)\n"
        )

    def note(self, message: str) -> None:
        self.stderr.write(f"  {message}\n")

    def warn(self, message: str) -> None:
        self.stderr.write(f"{self._paint('warning:', '33')} {message}\n")

    # -- results ----------------------------------------------------------------------------
    def json(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
        self.stdout.flush()

    def result(self, result: Any) -> bool:
        """Show a result's warnings; in JSON mode also print it, and return True (done)."""
        for warning in result.warnings:
            self.warn(warning)
        if self.json_mode:
            self.json({"ok": True, **result.to_json()})
        return self.json_mode

    def text(self, message: str = "") -> None:
        """Human-readable results: stdout, so they can be piped when not in JSON mode."""
        self.stdout.write(message + "\n")

    def error(self, exc: ScaffolderError) -> None:
        if self.json_mode:
            payload: dict[str, Any] = {
                "ok": False,
                "exit_code": int(exc.exit_code),
                "error": exc.to_json(),
            }
            if isinstance(exc, PartialSuccessError):
                result = exc.result
                payload["result"] = result.to_json() if hasattr(result, "to_json") else None
            self.json(payload)
        self.stderr.write(f"{self._paint('error:', '31')} {exc.message}\n")
        if exc.hint:
            self.stderr.write(f"  hint: {exc.hint}\n")

    def interrupted(self) -> None:
        if self.json_mode:
            self.json(
                {
                    "ok": False,
                    "exit_code": int(ExitCode.INTERRUPTED),
                    "error": {"kind": "interrupted", "message": "interrupted", "hint": None},
                }
            )
        self.stderr.write("\ninterrupted\n")
