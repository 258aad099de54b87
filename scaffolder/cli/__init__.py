"""The command line: flags in, one core call, results rendered out. Nothing else lives here.

Each command is a module with `add_parser(subparsers)`; its handler turns the parsed flags into
keyword arguments for one core function and hands the result to `Output`. Core modules are
imported inside the handlers, so `scaffolder --help` never imports copier or PyGithub.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from scaffolder import __version__
from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode, ScaffolderError, exit_code_for

#: Command modules under scaffolder.cli, in the order `--help` lists them.
COMMANDS = ("new", "resume", "templates", "catalog", "audit", "publish")

EXIT_CODES = """\
exit codes:
  0    success
  1    checks failed (audit, catalog validate)
  2    invalid input or usage: a bad answer, an unknown template, a destination
       that exists and is not empty, a broken data or catalog file
  3    partial success: some steps finished, one failed; the message says
       how to resume
  4    untrusted template refused (pass --trust after reading it)
  5    GitHub refused or failed before anything was written (token, permissions)
  130  interrupted (Ctrl-C)
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with a hint instead of a bare usage dump."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"error: {message}\n  hint: see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scaffolder",
        description="Create secure-by-default services from copier templates, publish them "
        "to GitHub and register them in a Backstage catalog.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scaffolder {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"scaffolder.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    out = Output(json_mode=bool(getattr(args, "json", False)))
    try:
        return int(args.handler(args, out))
    except KeyboardInterrupt:
        out.interrupted()
        return ExitCode.INTERRUPTED
    except ScaffolderError as exc:
        out.error(exc)
        return exit_code_for(exc)


def run() -> NoReturn:
    sys.exit(main())
