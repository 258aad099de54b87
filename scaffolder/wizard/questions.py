"""A template stack's questions, asked in order with the fitting prompt.

Evaluation is copier's, through `Questionnaire`: `when`, Jinja defaults computed from earlier
answers, rendered choices, the help text as the message, the placeholder and the template's
validator. scaffolder's own rules for the standard answers (`standard_problems`) run on top, so
an answer the pipeline would reject is refused while it is typed.

`QuestionFlow.walk()` goes through every question and keeps what is already known: answers given
with `--set`/`--data-file`, and earlier answers when the person goes back from the review to
change one. Defaults that the person accepted follow the answers they depend on; an answer that
an earlier change made invalid is asked again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from scaffolder.answers import STANDARD_QUESTIONS, standard_problems, team_slug, team_unknown
from scaffolder.render.copier_adapter import Questionnaire, QuestionSpec, QuestionState
from scaffolder.render.layers import Stack
from scaffolder.wizard.prompts import Option, Prompter

#: The owner pick that means "do not publish".
NOT_ON_GITHUB = "(none: not on GitHub yet)"

#: Where an answer came from; "default" answers follow changes to the answers they depend on.
Origin = Literal["given", "asked", "default", "computed"]

#: The access policy's say on one answer: (question, value, every answer known) -> reason or "".
PolicyCheck = Callable[[str, Any, Mapping[str, Any]], str]


@dataclass(frozen=True)
class Entry:
    spec: QuestionSpec
    questionnaire: Questionnaire
    layer: str


@contextlib.contextmanager
def open_entries(stack: Stack, dst: Path) -> Iterator[list[Entry]]:
    """Every question of every layer, each with its layer's evaluator; first one wins."""
    with contextlib.ExitStack() as exits:
        entries: list[Entry] = []
        seen: set[str] = set()
        for layer in stack.layers:
            questionnaire = exits.enter_context(
                Questionnaire(layer.source, unsafe=layer.unsafe, dst=dst)
            )
            for spec in questionnaire.specs:
                if spec.name not in seen:
                    seen.add(spec.name)
                    entries.append(Entry(spec, questionnaire, layer.name))
        yield entries


def as_text(value: Any, qtype: str) -> str:
    """An answer as the text a prompt starts with."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if qtype == "json":
        return json.dumps(value)
    if qtype == "yaml" and isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)


class QuestionFlow:
    """Asks a stack's questions; holds the answers and where each came from."""

    def __init__(
        self,
        entries: list[Entry],
        *,
        context: Mapping[str, Any],
        given: Mapping[str, Any],
        prompter: Prompter,
        echo: Callable[[str], None],
        defaults_only: bool = False,
        owner_options: Collection[str] = (),
        policy_check: PolicyCheck | None = None,
    ) -> None:
        self.entries = entries
        self.context = dict(context)
        self.given = dict(given)
        self.prompter = prompter
        self.echo = echo
        #: `--defaults`: ask only what has no valid default.
        self.defaults_only = defaults_only
        #: GitHub accounts the token can publish to: `github_owner` becomes a pick from them.
        self.owner_options = list(owner_options)
        #: The access policy's rules on answers (`wizard/policy.py`); they see later answers
        #: too (production's rules apply to an owner asked before the lifecycle).
        self.policy_check = policy_check
        self.values: dict[str, Any] = {}
        self.origin: dict[str, Origin] = {}

    # -- evaluation -------------------------------------------------------------------------
    def _earlier(self, index: int) -> dict[str, Any]:
        earlier = dict(self.context)
        for entry in self.entries[:index]:
            if entry.spec.name in self.values:
                earlier[entry.spec.name] = self.values[entry.spec.name]
        return earlier

    def index_of(self, name: str) -> int:
        for index, entry in enumerate(self.entries):
            if entry.spec.name == name:
                return index
        raise KeyError(name)

    def state(self, index: int) -> QuestionState:
        entry = self.entries[index]
        earlier = self._earlier(index)
        state = entry.questionnaire.state(entry.spec, earlier)
        group = team_unknown(earlier) if entry.spec.name == "codeowners" else None
        if group is None or not state.applies:
            return state
        # The baseline's rule would map the group to `@name`, which GitHub reads as a user:
        # without a GitHub owner, the person names the team (or the people) themselves.
        return replace(
            state,
            default=None,
            has_default=False,
            message=f"{state.message}. {group} is a group and no GitHub owner was given: "
            "name its GitHub team (@org/team) or the people (@login)",
            placeholder=f"@ORG/{team_slug(group.name)}",
        )

    def check(self, index: int, value: Any) -> tuple[Any, str]:
        """Parse and validate: the template's validator, then scaffolder's naming rules."""
        entry = self.entries[index]
        try:
            parsed, error = entry.questionnaire.check(entry.spec, value, self._earlier(index))
        except Exception as exc:  # noqa: BLE001 -- a template's validator can fail in any way
            # (an undefined variable, a bad filter); show it inline rather than crash the prompt.
            return value, f"the template cannot check this answer: {exc}"
        if error:
            return parsed, error
        if entry.spec.name in STANDARD_QUESTIONS:
            for name, reason in standard_problems({entry.spec.name: parsed}):
                if name == entry.spec.name:
                    return parsed, reason
        if self.policy_check is not None:
            known = {**self.values, **self._earlier(index), entry.spec.name: parsed}
            if reason := self.policy_check(entry.spec.name, parsed, known):
                return parsed, reason
        return parsed, ""

    def applicable(self) -> list[Entry]:
        """The questions that apply with the current answers (computed ones excluded)."""
        return [e for e in self.entries if self.origin.get(e.spec.name) not in (None, "computed")]

    def answers(self) -> dict[str, Any]:
        """What the person answered or accepted: handed to the pipeline as `given`."""
        return {e.spec.name: self.values[e.spec.name] for e in self.applicable()}

    def recorded(self) -> dict[str, Any]:
        """The answers worth saving for a replay: those that apply, never secrets."""
        return {
            e.spec.name: self.values[e.spec.name] for e in self.applicable() if not e.spec.secret
        }

    # -- the walk ---------------------------------------------------------------------------
    def walk(self, force: Collection[str] = ()) -> None:
        """Go through every question in order; ask those in `force` and those still unknown.

        Under an access policy, an answer a later one made unacceptable (an owner asked before
        the lifecycle that needs a group) is then asked again, with the policy's reason.
        """
        self._walk(force)
        if self.policy_check is None:
            return
        for _ in self.entries:  # bounded: what is asked again passes every check
            stale = {}
            for entry in self.applicable():
                index = self.index_of(entry.spec.name)
                if error := self.check(index, self.values[entry.spec.name])[1]:
                    stale[entry.spec.name] = error
            if not stale:
                return
            for name, error in stale.items():
                self.echo(f"✗ {name}: {error}; please answer again")
                self.origin.pop(name)
            self._walk(stale)

    def _walk(self, force: Collection[str]) -> None:
        for index, entry in enumerate(self.entries):
            name = entry.spec.name
            state = self.state(index)
            if not state.applies:
                self.values.pop(name, None)
                self.origin.pop(name, None)
                if state.has_default:
                    self.values[name] = state.default
                    self.origin[name] = "computed"
                continue
            if name in force:
                self._ask(index, state, current=self.values.get(name, state.default))
                continue
            if self._keep(index, state):
                continue
            if name in self.given and self.origin.get(name) is None:
                parsed, error = self.check(index, self.given[name])
                if not error:
                    self.values[name], self.origin[name] = parsed, "given"
                    continue
                self.echo(
                    f"✗ {name}: the answer given ({self.given[name]!r}) is not valid: {error}"
                )
                self._ask(index, state, current=self.given[name])
                continue
            if self.defaults_only and state.has_default:
                parsed, error = self.check(index, state.default)
                if not error:
                    self.values[name], self.origin[name] = parsed, "default"
                    continue
            # An answer an earlier change made invalid is offered again for editing.
            fallback = state.default if state.has_default else None
            self._ask(index, state, current=self.values.get(name, fallback))

    def _keep(self, index: int, state: QuestionState) -> bool:
        """Keep an earlier answer that is still valid; accepted defaults follow their inputs."""
        name = self.entries[index].spec.name
        origin = self.origin.get(name)
        if origin in (None, "computed"):
            return False
        if origin == "default" and state.has_default:
            parsed, error = self.check(index, state.default)
            if not error:
                self.values[name] = parsed
                return True
        if origin == "default" and not state.has_default:
            self.origin.pop(name)  # the default it accepted is gone: ask again
            return False
        parsed, error = self.check(index, self.values[name])
        if not error:
            self.values[name] = parsed
            return True
        if origin != "given":  # a given answer is reported by walk(), with what was given
            self.echo(f"✗ {name}: {error} (after your change); please answer again")
        self.origin.pop(name)
        return False

    def ask_one(self, name: str) -> None:
        """Ask one question again (from the review), then bring the later ones up to date."""
        self.walk(force={name})

    def _ask(self, index: int, state: QuestionState, *, current: Any) -> None:
        entry = self.entries[index]
        spec = entry.spec
        message = state.message or spec.name
        while True:
            raw = self._prompt(index, state, message, current)
            parsed, error = self.check(index, raw)
            if not error:
                break
            # Only choice prompts get here: text prompts refuse a bad answer as it is typed.
            self.echo(f"✗ {spec.name}: {error}")
            current = raw
        self.values[spec.name] = parsed
        same_as_default = state.has_default and parsed == self.check(index, state.default)[0]
        self.origin[spec.name] = "default" if same_as_default and not spec.secret else "asked"

    def _prompt(self, index: int, state: QuestionState, message: str, current: Any) -> Any:
        spec = self.entries[index].spec
        ask = self.prompter
        if spec.name == "github_owner" and self.owner_options:
            options = [Option(o, o) for o in self.owner_options]
            options.append(Option(NOT_ON_GITHUB, ""))
            return ask.select(message, options, default=current or self.owner_options[0])
        if state.choices and spec.multiselect:
            options = [Option(title, value) for title, value in state.choices]

            def check_list(values: list[Any]) -> str:
                return self.check(index, values)[1]

            return ask.checkbox(message, options, default=list(current or []), check=check_list)
        if state.choices:
            options = [Option(title, value) for title, value in state.choices]
            return ask.select(message, options, default=current)
        if spec.type == "bool":
            return ask.confirm(message, default=bool(current))

        def check_text(text: str) -> str:
            return self.check(index, text)[1]

        return ask.text(
            message,
            default=as_text(current, spec.type),
            placeholder=state.placeholder,
            check=check_text,
            secret=spec.secret,
        )
