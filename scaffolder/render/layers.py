"""A scaffold is a stack of copier layers: the chosen template, then the security baseline.

The baseline (`templates/_baseline`) is one copier template rendered on top of every template,
whatever its languages, with its own answers file; only `_scaffolder.baseline: false` opts out.
So the baseline lives in one place and changing it changes every template. Each layer's
questions are evaluated by copier's rules; the answers of earlier layers are given to later
ones as data.

Every declared language is either in the baseline's language table or described by the
template itself (`_scaffolder.language_data`, scaffolder/baseline/described.py); a language
that is neither is an error, never a missing baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scaffolder import __version__
from scaffolder.answers import STANDARD_QUESTIONS
from scaffolder.backstage.rules import is_valid_object_name
from scaffolder.baseline import described as language_data
from scaffolder.baseline import languages as language_table
from scaffolder.baseline.languages import supported_languages
from scaffolder.errors import TemplateError, UntrustedTemplateError
from scaffolder.render import copier_adapter
from scaffolder.render.copier_adapter import QuestionSpec
from scaffolder.render.registry import TemplateInfo, baseline_layer

#: Languages the baseline knows how to scan, update and test.
SUPPORTED_LANGUAGES = supported_languages()
BASELINE_ANSWERS_FILE = ".copier-answers.baseline.yml"
TEMPLATE_ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class Layer:
    name: str
    source: str
    answers_file: str
    #: Unsafe features (tasks, migrations, extensions) may run.
    unsafe: bool
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class Stack:
    template: TemplateInfo
    layers: tuple[Layer, ...]
    #: Data every layer receives besides the answers (never recorded as answers; the
    #: baseline's answers file records the template's language descriptions, see described.py).
    context: Mapping[str, Any]
    warnings: tuple[str, ...]

    @property
    def questions(self) -> list[QuestionSpec]:
        """Every question of every layer, in order; a later duplicate is dropped."""
        seen: dict[str, QuestionSpec] = {}
        for layer in self.layers:
            for q in layer.questions:
                seen.setdefault(q.name, q)
        return list(seen.values())


def _with_metadata(info: TemplateInfo, config: copier_adapter.TemplateConfig) -> TemplateInfo:
    if info.builtin or not config.metadata:
        return info
    meta = dict(config.metadata)
    return replace(
        info,
        title=str(meta.get("title", info.name)),
        description=str(meta.get("description", "")),
        # A configured git template's version is its release tag's (`render/sources.py`).
        version=info.version if info.configured else str(meta.get("version", "")),
        languages=tuple(str(x) for x in meta.get("languages") or ()),
        metadata=meta,
    )


def current_user() -> str:
    """The login name as a Backstage entity name, or "" when it cannot be one."""
    import getpass
    import re

    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        return ""
    name = re.sub(r"[^A-Za-z0-9]+", "-", login).strip("-")
    return name if is_valid_object_name(name) else ""


def build_stack(info: TemplateInfo, *, trust: bool) -> Stack:
    """Read the template (and the baseline) and check the template keeps scaffolder's contract."""
    config = copier_adapter.read_template(info.source)
    info = _with_metadata(info, config)
    unsafe = info.builtin or trust
    if config.uses_unsafe_features and not unsafe:
        raise UntrustedTemplateError(
            f"template {info.source} runs tasks, migrations or Jinja extensions",
            hint="read them first; if you trust the template, pass --trust",
        )
    names = {q.name for q in config.questions}
    if missing := [n for n in STANDARD_QUESTIONS if n not in names]:
        raise TemplateError(
            f"template {info.name} does not ask the standard questions: {', '.join(missing)}",
            hint="every template must ask name, description, owner, lifecycle and system",
        )
    layers = [
        Layer(info.name, info.source, TEMPLATE_ANSWERS_FILE, unsafe, config.questions),
    ]
    warnings: list[str] = []
    context: dict[str, Any] = {
        "scaffolder_user": current_user(),
        "scaffolder_version": __version__,
        "scaffolder_template": info.name,
        "scaffolder_template_version": info.version,
    }
    if info.metadata.get("baseline", True) is False:
        warnings.append(f"template {info.name} opts out of the security baseline")
        languages = [lang for lang in info.languages if lang in SUPPORTED_LANGUAGES]
    else:
        languages = list(info.languages)
        described = _described_languages(info, config)
        if described:
            context[language_data.DATA_KEY] = described.data
        base = baseline_layer()
        base_config = copier_adapter.read_template(base.source)
        layers.append(
            Layer(base.name, base.source, BASELINE_ANSWERS_FILE, True, base_config.questions)
        )
    context["scaffolder_languages"] = languages
    return Stack(template=info, layers=tuple(layers), context=context, warnings=tuple(warnings))


def _described_languages(
    info: TemplateInfo, config: copier_adapter.TemplateConfig
) -> language_data.Described:
    """The languages the template describes, checked against what it declares: every declared
    language is built in or described, and every described one is declared."""
    table = language_table.load()
    # A git template is read from a temporary clone: name the source, not the clone.
    display = None if Path(info.source).is_dir() else f"copier.yml of {info.source}"
    described = language_data.describe(info.metadata, config.path, display=display)
    if unknown := [
        lang for lang in info.languages if lang not in table and lang not in described.languages
    ]:
        one = len(unknown) == 1
        raise TemplateError(
            f"template {info.name} declares {', '.join(unknown)}, which scaffolder's baseline "
            f"does not know ({', '.join(table.names)} are built in) and the template does not "
            "describe",
            hint=f"describe {'it' if one else 'them'} under _scaffolder.language_data in the "
            "template's copier.yml, in the schema the header of scaffolder's "
            "templates/_baseline/languages.yml documents (CodeQL, Dependabot, CI, audit)",
        )
    if extra := [lang for lang in described.languages if lang not in info.languages]:
        raise TemplateError(
            f"template {info.name} describes {', '.join(extra)} in _scaffolder.language_data "
            "but does not declare it in _scaffolder.languages",
            hint="add it to _scaffolder.languages, or remove its description",
        )
    return described


def resolve_answers(stack: Stack, given: Mapping[str, Any], dst: Path) -> dict[str, Any]:
    """Every layer's answers from `given` and defaults; all problems of a layer at once."""
    answers: dict[str, Any] = {}
    for layer in stack.layers:
        with copier_adapter.Questionnaire(
            layer.source, unsafe=layer.unsafe, dst=dst
        ) as questionnaire:
            answers = questionnaire.resolve(given, context={**stack.context, **answers})
    return {k: v for k, v in answers.items() if k not in stack.context}


def render_stack(
    stack: Stack,
    dst: Path,
    answers: Mapping[str, Any],
    *,
    pretend: bool,
    on_layer: Callable[[Layer], None] = lambda layer: None,
    on_done: Callable[[Layer], None] = lambda layer: None,
) -> None:
    """Render each layer in order; `on_layer` hears it start and `on_done` finish."""
    for layer in stack.layers:
        on_layer(layer)
        copier_adapter.render(
            layer.source,
            dst,
            {**stack.context, **answers},
            unsafe=layer.unsafe,
            pretend=pretend,
            answers_file=layer.answers_file,
        )
        on_done(layer)


def unrecorded_names(stack: Stack) -> Sequence[str]:
    """Answers never shown or saved: secrets, and computed values (`when: false`)."""
    return [q.name for q in stack.questions if q.secret or q.when is False]
