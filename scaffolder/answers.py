"""Answers: where they come from, the standard questions, and one typed, validated object.

Priority, lowest first: the template's defaults, `--data-file`, then `--set`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from scaffolder.backstage.rules import EntityRef, parse_entity_ref, parse_owner
from scaffolder.baseline import questions
from scaffolder.errors import DataFileError, InvalidAnswerError, UsageError

#: The lifecycle question's choices, as a type (a test holds it to the question's choices).
Lifecycle = Literal["experimental", "production", "deprecated"]
LIFECYCLES: tuple[str, ...] = get_args(Lifecycle)

#: Every template asks at least these, under these names (scaffolder/baseline/questions.py).
STANDARD_QUESTIONS = questions.names()


def load_data_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML or JSON file, read by the safe loader (`datafiles`); a mapping."""
    from scaffolder import datafiles

    data = datafiles.load(
        path, what="data file", hint="fix the file; it must map question names to answers"
    )
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataFileError(
            f"data file {path} holds a {type(data).__name__}, not a mapping",
            hint="write it as 'question: answer' lines (YAML) or a JSON object",
        )
    return {str(k): v for k, v in data.items()}


def parse_set_options(pairs: Sequence[str]) -> dict[str, str]:
    """`--set KEY=VALUE` values. Values stay strings; copier casts them to the question's type."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {pair!r} is not KEY=VALUE",
                hint="write it as --set name=payments-api",
            )
        result[key.strip()] = value
    return result


def merge_sources(data_file: Mapping[str, Any], sets: Mapping[str, Any]) -> dict[str, Any]:
    return {**data_file, **sets}


def standard_problems(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """scaffolder's own rules for the standard answers, whatever the template's validators say.

    The rules are the standard questions' own validators and choices, evaluated as copier does
    (`questions.problems`), so the messages are the built-in templates' own. On top come what
    only a parse can tell: the owner and system as Backstage references, which `Answers` needs.
    """
    problems = questions.problems(answers)
    refused = {name for name, _ in problems}
    if "owner" in answers and "owner" not in refused:
        try:
            parse_owner(str(answers["owner"]))
        except ValueError as exc:
            problems.append(("owner", str(exc)))
    system = answers.get("system")
    if system and "system" not in refused:
        try:
            parse_entity_ref(str(system), default_kind="system", allowed_kinds=("system",))
        except ValueError as exc:
            problems.append(("system", str(exc)))
    description = answers.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(("description", "must be text"))
    return problems


def check_standard(answers: Mapping[str, Any]) -> None:
    if problems := standard_problems(answers):
        raise InvalidAnswerError(problems)


@dataclass(frozen=True)
class Answers:
    """The validated answers of one scaffold: the standard ones typed, the rest as given."""

    name: str
    description: str
    owner: EntityRef
    lifecycle: Lifecycle
    system: EntityRef | None
    #: Every answer, standard ones included, as copier receives them.
    all: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, answers: Mapping[str, Any]) -> Answers:
        check_standard(answers)
        system = answers.get("system") or None
        return cls(
            name=str(answers["name"]),
            description=str(answers.get("description") or ""),
            owner=parse_owner(str(answers["owner"])),
            lifecycle=cast(Lifecycle, answers["lifecycle"]),
            system=(
                parse_entity_ref(str(system), default_kind="system", allowed_kinds=("system",))
                if system
                else None
            ),
            all=MappingProxyType(dict(answers)),
        )

    @property
    def entity_ref(self) -> str:
        return f"component:default/{self.name}"

    def to_json(self) -> dict[str, Any]:
        plain: dict[str, Any] = json.loads(json.dumps(dict(self.all), default=str))
        return plain
