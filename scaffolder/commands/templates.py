"""`scaffolder templates [list|show NAME]`: the templates (built-in, and those the configuration
file lists), and the questions one asks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaffolder.errors import ScaffolderError, UntrustedTemplateError
from scaffolder.progress import SILENT, Progress
from scaffolder.render.copier_adapter import QuestionSpec
from scaffolder.render.registry import TemplateInfo, builtin_templates, resolve_template


@dataclass(frozen=True)
class TemplateList:
    templates: tuple[TemplateInfo, ...]

    def to_json(self) -> dict[str, Any]:
        return {"templates": [t.to_json() for t in self.templates]}


def list_templates(progress: Progress = SILENT) -> TemplateList:
    """The built-in templates, then the configured ones (an unavailable one says why)."""
    from scaffolder.render.sources import configured_templates

    return TemplateList((*builtin_templates(), *configured_templates()))


@dataclass(frozen=True)
class ShowOptions:
    name: str


@dataclass(frozen=True)
class ShownQuestion:
    """A question with its default evaluated against the defaults of the questions before it."""

    spec: QuestionSpec
    #: The default as an answer would be (Jinja evaluated), or None when there is none.
    default: Any
    has_default: bool
    #: When the default depends on what is not known before a run: on what it depends.
    depends_on: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    def to_json(self) -> dict[str, Any]:
        return {
            **self.spec.to_json(),
            "default": self.default if self.has_default else None,
            "required": not self.has_default,
            "default_from": self.depends_on or None,
        }


@dataclass(frozen=True)
class TemplateQuestions:
    template: TemplateInfo
    #: What `--set` and `--data-file` may answer, in order.
    questions: tuple[ShownQuestion, ...]
    #: Values the template computes (`when: false`): shown apart, they cannot be answered.
    computed: tuple[ShownQuestion, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template.to_json(),
            "questions": [q.to_json() for q in self.questions],
            "computed": [{"name": q.name, "value": q.default} for q in self.computed],
        }


def show(options: ShowOptions, progress: Progress = SILENT) -> TemplateQuestions:
    """The questions of a template and of the layers scaffolder adds on top of it.

    Defaults are evaluated as a run with nothing asked would: each against the defaults
    before it, without the login (`scaffolder_user`), since the owner must then be given.
    """
    from scaffolder.render.copier_adapter import Questionnaire
    from scaffolder.render.layers import build_stack
    from scaffolder.render.sources import allows_unsafe

    info = resolve_template(options.name)
    trusted = allows_unsafe(info, trust=False)
    stack = build_stack(info, trust=True)
    context = {k: v for k, v in stack.context.items() if k != "scaffolder_user"}
    answers: dict[str, Any] = dict(context)
    shown: dict[str, ShownQuestion] = {}
    names = {q.name for q in stack.questions}
    for index, layer in enumerate(stack.layers):
        # Only scaffolder's own layers, and the templates the configuration trusts, run with
        # trust: any other template shown is not yet trusted.
        try:
            with Questionnaire(layer.source, unsafe=trusted or index > 0) as questionnaire:
                for spec in questionnaire.specs:
                    if spec.name not in shown:
                        shown[spec.name] = question = _evaluate(questionnaire, spec, answers, names)
                        if question.has_default and not question.depends_on:
                            answers[spec.name] = question.default
        except UntrustedTemplateError:
            # Its Jinja needs trust (extensions): show its defaults as written.
            for spec in layer.questions:
                shown.setdefault(spec.name, ShownQuestion(spec, spec.default, spec.has_default))
    questions = tuple(q for q in shown.values() if q.spec.when is not False)
    computed = tuple(q for q in shown.values() if q.spec.when is False)
    return TemplateQuestions(stack.template, questions, computed)


def _evaluate(
    questionnaire: Any, spec: QuestionSpec, answers: Mapping[str, Any], names: set[str]
) -> ShownQuestion:
    if not spec.has_default:
        return ShownQuestion(spec, None, False)
    uses = _variables(spec.default)
    if "_folder_name" in uses:
        return ShownQuestion(spec, None, True, "the --output folder's name")
    if missing := sorted(uses & (names - set(answers))):
        # It follows answers that have no default (such as the owner): known only in a run.
        return ShownQuestion(
            spec, None, True, f"the answer{'s' * (len(missing) > 1)} to " + ", ".join(missing)
        )
    try:
        state = questionnaire.state(spec, answers)
    except ScaffolderError:
        return ShownQuestion(spec, None, True, "the answers before it")
    return ShownQuestion(spec, state.default, state.has_default)


def _variables(default: Any) -> set[str]:
    """The names a Jinja default reads (none for a plain value or broken Jinja)."""
    if not isinstance(default, str) or "{" not in default:
        return set()
    import jinja2
    from jinja2 import meta

    try:
        # Parsed only, never rendered: autoescape does not matter.
        return set(
            meta.find_undeclared_variables(jinja2.Environment(autoescape=True).parse(default))
        )
    except jinja2.TemplateError:
        return set()
