"""`scaffolder template init|lint|test`: write, check and test a template of your own."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scaffolder.cli.options import from_args
from scaffolder.cli.output import Output

_TRUST = (
    "render a template that has tasks, migrations or Jinja extensions (its tasks then run, "
    "as with `scaffolder new --trust`)"
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "template",
        help="write, lint and test a template of your own",
        description="Tools for template authors: `init` writes a new template that keeps "
        "scaffolder's contract, `lint` checks a template against it, `test` also runs each "
        "rendered project's own tests.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  scaffolder template init ./rust-service --language rust --title 'Rust service'\n"
        "  scaffolder template lint ./rust-service\n"
        "  scaffolder template lint https://github.com/acme/templates.git --vcs-ref v1.2.0\n"
        "  scaffolder template test ./rust-service --answers prod.yml --offline",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(handler=lambda args, out: _no_action(parser))

    init = actions.add_parser(
        "init",
        help="write a new template that passes lint and test as it is",
        description="Write a new template into DIR (which must not exist or be empty): "
        "copier.yml with scaffolder's standard questions (a copy of their one source, "
        "standard-questions.yml), _scaffolder metadata (title, description, version 0.1.0, "
        "languages), _subdirectory: template, the answers-file template, a minimal project "
        "for a language scaffolder knows (python, typescript, go), or for any other language "
        "a language description (_scaffolder.language_data) to fill in, a tests/ folder with "
        "a passing test (the scaffolder.testing pytest plugin) and a README for authors. "
        "Nothing is written outside DIR.",
        epilog="exit codes: 0 written, 2 DIR is not empty or a flag is bad (nothing written).",
    )
    init.add_argument("path", metavar="DIR", type=Path, help="the new template's folder")
    init.add_argument(
        "--language",
        action="append",
        dest="languages",
        metavar="L",
        help="a language of the project (repeat for several; default: python). Known ones "
        "get a minimal project; any other gets a description stub to fill in",
    )
    init.add_argument("--title", help="the template's title (default: from DIR's name)")
    init.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    init.set_defaults(handler=handle_init)

    lint = actions.add_parser(
        "lint",
        help="check a template against scaffolder's contract",
        description="Check a template without rendering by hand: the standard questions are "
        "present and identical to scaffolder's, the _scaffolder metadata is complete and "
        "typed (a PEP 440 version, known or described languages), _subdirectory and the "
        "answers file are there; unsafe features (tasks, migrations, Jinja extensions) are "
        "listed for review. Then it renders the template with sample answers (every choice "
        "once, a 63-character name, YAML-special, multi-line and non-ASCII descriptions) "
        "through `scaffolder new`'s steps into temporary folders, and audits each result. "
        "Every finding names a file and line. A git URL is cloned into a temporary folder.",
        epilog="exit codes: 0 no finding (review items may be listed), 1 findings, 2 unusable\n"
        "input (no folder, no copier.yml, unreadable YAML, a URL that cannot be cloned),\n"
        "4 it has unsafe features and --trust was not given (not rendered).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(lint)
    lint.set_defaults(handler=handle_lint)

    test = actions.add_parser(
        "test",
        help="lint's render matrix, plus each project's own tests",
        description="Render the template with lint's sample answers (and each --answers file "
        "as one more row), audit each project, and run its own tests: the language table's CI "
        "install and test steps for each of the template's languages (its toolchain set-up "
        "is not run: the tools on PATH are used). Python steps run in a fresh virtual "
        "environment per row. Progress is shown per row. A sample row that chooses "
        "another toolchain version than the language table's default (python_version=3.13) "
        "is rendered and audited, but its tests are not run: the tools on PATH serve the "
        "default; an --answers row always runs them.",
        epilog="--offline: no step reaches the network (pip's index, npm's registry, Go's\n"
        "module proxy and toolchain downloads, cargo's registry are switched off), and\n"
        "what is installed in the current environment serves: Python's virtual environment\n"
        "sees this environment's packages and builds without isolation; npm installs from\n"
        "its cache. An install step that cannot be satisfied offline fails its row.\n\n"
        "exit codes: 0 every row passed, 1 a row failed (render, audit or tests), 2 unusable\n"
        "input, 4 unsafe features without --trust.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(test)
    test.add_argument(
        "--answers",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a YAML or JSON file of answers: one more matrix row (repeatable)",
    )
    test.add_argument(
        "--offline", action="store_true", help="run every step without the network (below)"
    )
    test.set_defaults(handler=handle_test)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", metavar="PATH|URL", help="template folder, or git URL")
    parser.add_argument("--trust", action="store_true", help=_TRUST)
    parser.add_argument("--vcs-ref", metavar="REF", help="a git URL's branch or tag to check")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _no_action(parser: argparse.ArgumentParser) -> int:
    from scaffolder.errors import UsageError

    raise UsageError(
        "`scaffolder template` needs an action: init, lint or test",
        hint="scaffolder template init DIR, then scaffolder template lint DIR",
    )


def handle_init(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of
    from scaffolder.commands.template import init

    result = init.run(from_args(init.InitOptions, args, languages=tuple(args.languages or ())), out)

    def render(r: Any) -> None:
        out.text(f"wrote template {r.path} ({', '.join(r.languages) or 'no language'})")
        for rel in r.files:
            out.text(f"  {rel}")
        out.text(f"next: scaffolder template lint {r.path} && scaffolder template test {r.path}")

    return out.success(result, render, exit_code_of(result))


def handle_lint(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of
    from scaffolder.commands.template import lint

    result = lint.run(from_args(lint.LintOptions, args), out)
    return out.success(result, lambda r: _render_findings(r, out), exit_code_of(result))


def handle_test(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import exit_code_of
    from scaffolder.commands.template import testrun

    result = testrun.run(from_args(testrun.TestOptions, args), out)

    def render(r: Any) -> None:
        for row in r.lint.rows:
            mark = "✓" if row.ok else "✗"
            tests = row.tests.summary if row.tests is not None else "tests not run"
            out.text(f"{mark} row {row.row.index}: {row.row.label}: {tests}")
        _render_findings(r.lint, out)

    return out.success(result, render, exit_code_of(result))


def _render_findings(result: Any, out: Output) -> None:
    for f in result.findings:
        rows = f" (rows {', '.join(map(str, f.rows))})" if f.rows else ""
        out.text(f"{f.where}: {f.severity} [{f.kind}] {f.message}{rows}")
        if f.hint:
            out.text(f"    hint: {f.hint}")
    if result.not_rendered:
        out.text(result.not_rendered)
    errors = len(result.errors)
    rows = f", {len(result.rows)} rendered" if result.rows else ""
    out.text(
        f"{result.template}: {errors} finding{'s' * (errors != 1)}, "
        f"{len(result.findings) - errors} for review{rows}"
    )
