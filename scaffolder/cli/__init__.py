"""The command line: flags in, one command's options, one call, the result rendered out.

Each command is a module here with `add_parser(subparsers)`; its handler turns the parsed flags
into the command's options object (`scaffolder.commands`), calls the command and hands the
result to `Output`, which prints text or the JSON envelope. Commands are imported inside the
handlers, so `scaffolder --help` never imports copier, PyGithub or questionary.

`main()` is the one place that turns every outcome into an exit code: a result's own code (0,
or 1 for failed checks), a `ScaffolderError`'s, 130 for Ctrl-C, and 70 for anything else (a
bug: one line and a "please report" hint, never a traceback unless SCAFFOLDER_DEBUG is set).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from scaffolder import __version__
from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode, InternalError, Interrupted, ScaffolderError, exit_codes_help

#: Command modules under scaffolder.cli, in the order `--help` lists them.
COMMANDS = (
    "new",
    "resume",
    "update",
    "outdated",
    "insights",
    "templates",
    "template",
    "catalog",
    "audit",
    "report",
    "publish",
    "policy",
)

EXIT_CODES = exit_codes_help()


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with a hint instead of a bare usage dump."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"error: {message}\n  hint: see `{self.prog} --help`\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (`only`) the top level with that one command under it."""
    parser = _Parser(
        prog="scaffolder",
        description="Create secure-by-default services from copier templates, publish them "
        "to GitHub and register them in a Backstage catalog.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scaffolder {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"scaffolder.cli.{name}")
        module.add_parser(subparsers)
    return parser


def _command_name(args: argparse.Namespace) -> str:
    action = getattr(args, "action", None)
    nested = args.command in ("catalog", "template", "policy")
    return f"{args.command} {action}" if nested and action else args.command


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `scaffolder new ...` needs only `new`'s parser (and its module's imports); anything else
    # (top-level help, a typo) gets the whole tree, so it can list every command.
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if _startup:
        gc.freeze()
        gc.enable()
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    out = Output(json_mode=bool(getattr(args, "json", False)), command=_command_name(args))
    try:
        return int(args.handler(args, out))
    except KeyboardInterrupt:
        return out.failure(Interrupted(undone=False))
    except ScaffolderError as exc:
        return out.failure(exc)
    except Exception as exc:
        if os.environ.get("SCAFFOLDER_DEBUG"):
            raise
        return out.failure(InternalError(exc))


#: Whether `run` paused the garbage collector for the imports (`main` resumes it).
_startup = False


def run() -> NoReturn:
    global _startup
    # What the start-up imports make lives until exit: no collection passes over it.
    gc.disable()
    _startup = True
    # The code `dataclasses` and `typing` compile while the command's modules load comes from
    # the user cache (`code_cache`); installed here, by the console script only.
    from scaffolder import code_cache

    command = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in COMMANDS else ""
    cache = code_cache.install(command)
    try:
        code = main()
    finally:
        if cache is not None:
            cache.save()
    # What is alive now dies with the process: spare the exit its garbage collection pass over
    # every object of copier's and Jinja's (tens of milliseconds for nothing).
    gc.freeze()
    sys.exit(code)
