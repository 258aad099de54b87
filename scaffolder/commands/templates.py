"""`scaffolder templates [list|show NAME]`: the templates, and the questions one asks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scaffolder.progress import SILENT, Progress
from scaffolder.render.copier_adapter import QuestionSpec
from scaffolder.render.registry import TemplateInfo, builtin_templates, resolve_template


@dataclass(frozen=True)
class TemplateList:
    templates: tuple[TemplateInfo, ...]

    def to_json(self) -> dict[str, Any]:
        return {"templates": [t.to_json() for t in self.templates]}


def list_templates(progress: Progress = SILENT) -> TemplateList:
    return TemplateList(tuple(builtin_templates()))


@dataclass(frozen=True)
class ShowOptions:
    name: str


@dataclass(frozen=True)
class TemplateQuestions:
    template: TemplateInfo
    questions: tuple[QuestionSpec, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template.to_json(),
            "questions": [q.to_json() for q in self.questions],
        }


def show(options: ShowOptions, progress: Progress = SILENT) -> TemplateQuestions:
    """The questions of a template and of the layers scaffolder adds on top of it."""
    from scaffolder.render.layers import build_stack

    stack = build_stack(resolve_template(options.name), trust=True)
    return TemplateQuestions(stack.template, tuple(stack.questions))
