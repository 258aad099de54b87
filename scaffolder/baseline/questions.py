"""The standard questions: written once, copied into each template, evaluated by Python too.

Every scaffolder template asks name, description, owner, lifecycle and system, first and under
these names. They are written once, in `standard-questions.yml` beside this module: type, help,
default, placeholder, choices and validator. copier's `!include` reads only files inside the
template's own folder, so each template carries a byte-identical copy at its root and includes
it as a document of its `copier.yml`, before its own questions (copier merges the documents in
order, so the standard questions come first)::

    ---
    !include standard-questions.yml
    ---
    _subdirectory: template
    ...

`copy_problems(template_dir)` says what is wrong with a template's copy.

The rules are the validators and choices in that file, in copier's Jinja; Python does not
restate them. `problem(name, value)` evaluates the same validator in a small sandboxed Jinja
environment whose `regex_search` filter behaves as copier's (jinja2-ansible-filters): the answer
is passed as a variable, never rendered as template code, so scaffolder refuses exactly what the
template's validator refuses, with the same message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from scaffolder import jinja_cache
from scaffolder.datafiles import FastSafeLoader

FILE_NAME = "standard-questions.yml"
#: The one source of the standard questions.
SOURCE = Path(__file__).with_name(FILE_NAME)


@dataclass(frozen=True)
class StandardQuestion:
    name: str
    type: str
    help: str
    default: Any
    placeholder: str
    choices: tuple[Any, ...]
    #: copier's Jinja: non-empty output, stripped, is the error message.
    validator: str


@functools.cache
def standard_questions() -> tuple[StandardQuestion, ...]:
    """The questions of the source file, in its order."""
    data = yaml.load(SOURCE.read_text(encoding="utf-8"), Loader=FastSafeLoader)  # noqa: S506
    return tuple(
        StandardQuestion(
            name=str(name),
            type=str(details.get("type", "str")),
            help=str(details.get("help", "")),
            default=details.get("default"),
            placeholder=str(details.get("placeholder", "")),
            choices=tuple(details.get("choices") or ()),
            validator=str(details.get("validator", "")),
        )
        for name, details in data.items()
    )


def question(name: str) -> StandardQuestion:
    for q in standard_questions():
        if q.name == name:
            return q
    raise KeyError(name)


def names() -> tuple[str, ...]:
    return tuple(q.name for q in standard_questions())


def regex_search(
    value: str, regex: str, *, ignorecase: bool = False, multiline: bool = False
) -> str | None:
    """copier's `regex_search` filter (jinja2-ansible-filters) for what validators use:
    the matched text, or None. Backreference arguments are not supported."""
    flags = (re.IGNORECASE if ignorecase else 0) | (re.MULTILINE if multiline else 0)
    match = re.search(regex, value, flags)
    return match.group() if match else None


@functools.cache
def _environment() -> SandboxedEnvironment:
    # copier's own environment is sandboxed too; this one has only Jinja's built-in filters and
    # `regex_search`, none of the filters that read files or the environment. Strict: a
    # validator that refers to anything but its own answer fails loudly (a test checks none
    # does) instead of seeing an empty value.
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["regex_search"] = regex_search
    env.bytecode_cache = jinja_cache.for_environment(env, trusted=True)
    return env


@functools.cache
def _compiled(source: str) -> jinja2.Template:
    return jinja_cache.compile_string(_environment(), source)


def _cast(q: StandardQuestion, value: Any) -> Any:
    """The answer as copier hands it to the validator: cast to the question's type."""
    return str(value) if q.type == "str" else value


def problem(name: str, value: Any) -> str:
    """What the standard question `name` says about `value`: its validator's message, or why the
    value is not one of its choices; "" when the answer is valid."""
    q = question(name)
    answer = _cast(q, value)
    if q.choices and answer not in q.choices:
        return f"{answer!r} is not one of {', '.join(map(str, q.choices))}"
    if not q.validator:
        return ""
    try:
        return _compiled(q.validator).render({name: answer}).strip()
    except jinja2.TemplateError as exc:  # as copier does: a failing validator is the message
        return str(exc)


def problems(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(question, message) for each standard answer in `answers` that its rule refuses."""
    found = []
    for q in standard_questions():
        value = answers.get(q.name)
        if value is not None and (message := problem(q.name, value)):
            found.append((q.name, message))
    return found


# --- A template's copy -------------------------------------------------------------------------


class _IncludeLoader(FastSafeLoader):
    """Reads copier.yml documents, turning `!include X` into ("!include", X) and other tags
    into None. Its own constructors: a global `!include` on SafeLoader would win otherwise."""


def _include(loader: yaml.SafeLoader, node: yaml.Node) -> tuple[str, str] | None:
    # copier accepts only a scalar (a glob) after `!include`.
    if not isinstance(node, yaml.ScalarNode):
        return None
    return ("!include", loader.construct_scalar(node))


_IncludeLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
_IncludeLoader.add_constructor("!include", _include)


def copy_problems(template_dir: Path) -> list[str]:
    """What keeps `template_dir` from asking the standard questions as the source defines them:
    a missing or edited copy of `standard-questions.yml`, a `copier.yml` that does not include
    it, or one that asks a standard question itself (a later document would override it)."""
    found: list[str] = []
    copy = template_dir / FILE_NAME
    if not copy.is_file():
        found.append(f"{copy} is missing; copy it from {SOURCE}")
    elif copy.read_bytes() != SOURCE.read_bytes():
        found.append(f"{copy} differs from scaffolder's standard questions; copy it from {SOURCE}")
    config = template_dir / "copier.yml"
    try:
        docs = list(yaml.load_all(config.read_text(encoding="utf-8"), Loader=_IncludeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [*found, f"cannot read {config}: {exc}"]
    if ("!include", FILE_NAME) not in docs:
        found.append(
            f"{config} does not include {FILE_NAME}: add the document !include {FILE_NAME}"
        )
    for doc in docs:
        if isinstance(doc, dict):
            found.extend(
                f"{config} asks the standard question {name!r} itself; remove it, "
                f"{FILE_NAME} asks it"
                for name in names()
                if name in doc
            )
    return found
