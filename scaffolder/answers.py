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


def team_unknown(answers: Mapping[str, Any]) -> EntityRef | None:
    """The owner, when it is a group whose GitHub team cannot be named; else None.

    A group maps to a GitHub team (`@ORG/team`) only when the GitHub owner is known: without
    it, the baseline's CODEOWNERS rule writes `@team`, which GitHub reads as a user. So a group
    owner needs `github_owner` (or an explicit `codeowners`) before CODEOWNERS can be written.
    """
    try:
        owner = parse_owner(str(answers.get("owner") or ""))
    except ValueError:
        return None
    if owner.kind.lower() != "group" or answers.get("github_owner"):
        return None
    return owner


def require_owner(given: Mapping[str, Any], *, codeowners: bool) -> None:
    """The rules for answers when nothing is asked (`--no-input`, `--json`, no terminal).

    The owner is given, never guessed from the login; a group owner comes with `github_owner`
    or `codeowners` when the template writes CODEOWNERS (`codeowners`: it asks that question).
    """
    if not str(given.get("owner") or "").strip():
        raise UsageError(
            "owner is required: nothing was asked (--no-input, --json or no terminal), and "
            "scaffolder does not guess who owns a service",
            hint="pass --set owner=group:default/TEAM (or user:LOGIN), or put owner: in "
            "--data-file",
        )
    group = team_unknown(given) if codeowners and not given.get("codeowners") else None
    if group is not None:
        raise UsageError(
            f"owner {group} is a group, but neither github_owner nor codeowners was given: "
            f"CODEOWNERS would say @{group.name}, which GitHub reads as a user",
            hint=f"pass --set github_owner=ORG (the team is then @ORG/{team_slug(group.name)}) "
            "or --set codeowners=@ORG/TEAM (or --github-owner ORG, or either in --data-file)",
        )


def team_slug(name: str) -> str:
    """A Backstage group name as GitHub's team slug (the baseline's CODEOWNERS rule)."""
    return name.lower().replace("_", "-").replace(".", "-")


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
