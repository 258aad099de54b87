"""`scaffolder templates`: list the built-in templates, or show one template's questions."""

from __future__ import annotations

import argparse
from typing import Any

from scaffolder.cli.output import Output
from scaffolder.errors import ExitCode


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "templates",
        help="list templates, or show one template's questions",
        description="List the built-in templates and those the configuration file lists "
        "(`scaffolder templates`; see docs/configuration.md), or show the "
        "questions a template asks (`scaffolder templates show NAME`), including those of the "
        "security baseline layered on top of it.",
    )
    parser.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    parser.add_argument("name", nargs="?", help="template name, folder or git URL (for show)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from scaffolder.commands import templates
    from scaffolder.errors import UsageError

    if args.action == "list":
        return out.success(templates.list_templates(out), lambda r: _list(r, out), ExitCode.OK)
    if not args.name:
        raise UsageError(
            "`templates show` needs a template name",
            hint="scaffolder templates show python-service",
        )
    shown = templates.show(templates.ShowOptions(name=args.name), out)
    return out.success(shown, lambda r: _show(r, out), ExitCode.OK)


def _list(result: Any, out: Output) -> None:
    width = max((len(t.name) for t in result.templates), default=0)
    for t in result.templates:
        if not t.available:
            out.text(f"{t.name:<{width}}  unavailable: {t.reason}")
            continue
        version = f" {t.version}" if t.version else ""
        out.text(f"{t.name:<{width}}  {t.title}{version} [{', '.join(t.languages)}]")
        if t.description:
            out.text(f"{'':<{width}}  {t.description}")


def _show(result: Any, out: Output) -> None:
    t = result.template
    out.text(f"{t.name} {t.version}  {t.title}".rstrip())
    for q in (q.to_json() for q in result.questions):
        flags = ", ".join(
            f
            for f, on in (
                ("required", q["required"]),
                ("secret", q["secret"]),
                ("conditional", q["conditional"]),
            )
            if on
        )
        out.text(f"  {q['name']} ({q['type']}{', ' + flags if flags else ''})")
        if q["help"]:
            out.text(f"      {q['help'].strip().splitlines()[0]}")
        if q["choices"]:
            out.text(f"      choices: {q['choices']}")
        if q["default_from"]:
            out.text(f"      default: from {q['default_from']}")
        elif not q["required"] and not q["secret"]:
            out.text(f"      default: {_value(q['default'])}")
    if result.computed:
        out.text("  computed by the template (not answerable with --set):")
        for c in result.computed:
            shown = f"from {c.depends_on}" if c.depends_on else _value(c.default)
            out.text(fit(f"    {c.name} = {shown}", 80))


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _value(value: Any) -> str:
    """A default as an answer would read: text plain (or '' when empty), other values as YAML."""
    if isinstance(value, str):
        return value if value.strip() and value == value.strip() else repr(value)
    import json

    return json.dumps(value)
