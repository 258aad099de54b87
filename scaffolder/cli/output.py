"""How results and errors reach the terminal: human text, or one JSON envelope on stdout.

With `--json`, stdout carries exactly one JSON object, for every command, success or failure:

    {
      "schema": 1,                  the envelope's version
      "command": "new",             the command (`catalog register`, ...)
      "ok": true,                   exit_code == 0
      "exit_code": 0,               see `scaffolder --help` (scaffolder.errors.EXIT_CODES)
      "result": {...} | null,       the command's result; on partial success, what was done
      "error": null | {"code", "message", "hint", ...},
      "warnings": ["..."]
    }

Progress and notes go to stderr in both modes, so a pipeline can show them. `NO_COLOR` is
honoured. Pinned in tests/test_json_contract.py.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from scaffolder.errors import ExitCode, PartialSuccessError, ScaffolderError

SCHEMA = 1


def _color_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


class Output:
    def __init__(
        self,
        *,
        json_mode: bool,
        command: str = "",
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ):
        self.json_mode = json_mode
        self.command = command
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.color = _color_enabled(self.stderr)
        self._warned: list[str] = []

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
        if message not in self._warned:
            self._warned.append(message)
            self.stderr.write(f"{self._paint('warning:', '33')} {message}\n")

    def text(self, message: str = "") -> None:
        """Human-readable results: stdout, so they can be piped when not in JSON mode."""
        self.stdout.write(message + "\n")

    # -- the end of a command: exactly one of these ----------------------------------------
    def success(self, result: Any, render: Callable[[Any], None], code: ExitCode) -> ExitCode:
        """Show a command's result: its warnings, then the envelope or `render(result)`."""
        for warning in getattr(result, "warnings", ()):
            self.warn(warning)
        if self.json_mode:
            self._envelope(code, result=result.to_json(), error=None)
        else:
            render(result)
        return code

    def failure(self, exc: ScaffolderError) -> ExitCode:
        """Show an error: one line (and a hint) on stderr; in JSON mode, the envelope too."""
        code = exc.exit_code
        if self.json_mode:
            result = None
            if isinstance(exc, PartialSuccessError) and hasattr(exc.result, "to_json"):
                for warning in getattr(exc.result, "warnings", ()):
                    self.warn(warning)
                result = exc.result.to_json()
            self._envelope(code, result=result, error=exc.to_json())
        elif isinstance(exc, PartialSuccessError):
            for warning in getattr(exc.result, "warnings", ()):
                self.warn(warning)
        if code == ExitCode.INTERRUPTED:
            self.stderr.write(f"\n{exc.message}\n")
        else:
            self.stderr.write(f"{self._paint('error:', '31')} {exc.message}\n")
        if exc.hint:
            self.stderr.write(f"  hint: {exc.hint}\n")
        return code

    def _envelope(self, code: ExitCode, *, result: Any, error: Any) -> None:
        import json  # only with --json: not on the start-up path of every command

        payload = {
            "schema": SCHEMA,
            "command": self.command,
            "ok": code == ExitCode.OK,
            "exit_code": int(code),
            "result": result,
            "error": error,
            "warnings": list(self._warned),
        }
        self.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        self.stdout.flush()
