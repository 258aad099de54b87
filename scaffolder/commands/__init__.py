"""The commands: one module per command, each `run(options, progress) -> result`.

A command takes one typed, validated options object (a frozen dataclass, checked in its
`__post_init__`), runs (through `scaffolder.runner` when it changes things) and returns one
result object. It never prints, prompts or exits: the CLI (`scaffolder.cli`) and the wizard
are front ends that build the options and render the result.

Every result follows `Result`: `to_json()` is the `result` of the `--json` envelope (a
contract: see tests/test_json_contract.py), `warnings` go to the envelope's `warnings`, and
`exit_code` is 0, or 1 when the command found something (audit, catalog validate).
"""

from __future__ import annotations

from typing import Any, Protocol

from scaffolder.errors import ExitCode


class Result(Protocol):
    @property
    def warnings(self) -> tuple[str, ...]: ...

    def to_json(self) -> dict[str, Any]: ...


def exit_code_of(result: Result) -> ExitCode:
    """A result's own exit code: 0, or what it says (1 for failed checks)."""
    code = getattr(result, "exit_code", ExitCode.OK)
    return ExitCode(int(code))
