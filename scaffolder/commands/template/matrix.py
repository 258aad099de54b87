"""The render matrix: the template rendered with sample answers, each result audited.

The rows: every choice of every choice question once (row i takes choice i, cycling), and edge
answers: a 63-character name and a description full of what YAML treats specially (row 0), a
non-ASCII description and a user owner (row 1), a multi-line description and a bare group
owner (row 2). A required question without a default is answered with its placeholder (or a
plain value of its type). Each `--answers FILE` of `template test` is one more row, its answers
over the sample ones.

Each row is rendered by `scaffolder new`'s own steps (`commands.new.run`: resolve, render every
layer, commit; no catalog, no publishing) into a temporary folder, then audited
(`scaffolder.audit`). A refused answer names the question's line in copier.yml; a render error
names the template file and line Jinja reports; a failed audit check names the template file
that renders what failed, or the metadata line the baseline renders it from.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder.audit import AuditReport
from scaffolder.commands.template.config import TemplateConfig
from scaffolder.commands.template.findings import Finding, relative
from scaffolder.errors import (
    InvalidAnswerError,
    MissingAnswersError,
    ScaffolderError,
)
from scaffolder.progress import Progress
from scaffolder.render.copier_adapter import QuestionSpec

LONG_NAME = ("edge-case-service-name-" * 3)[:62] + "x"  # 63 characters, kebab-case
YAML_DESCRIPTION = (
    "yes: no # not a comment - [list] {map: 1} &anchor *alias !tag %pct @at `tick` "
    "\"double\" 'single' {{ not_jinja }} {% raw %} \\back"
)
NON_ASCII_DESCRIPTION = "Zahlungsdienst für Ünïcødé — 日本語のサービス ✓ 😀"
MULTILINE_DESCRIPTION = "First line: yes\n  second line # hash\n- item"
_GROUP = {"owner": "group:default/platform", "codeowners": "@acme/platform"}
_EDGES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    (
        "63-character name, YAML-special description, a system",
        {"name": LONG_NAME, "description": YAML_DESCRIPTION, "system": "platform", **_GROUP},
    ),
    (
        "non-ASCII description, user owner, GitHub owner",
        {
            "name": "sample-service",
            "description": NON_ASCII_DESCRIPTION,
            "owner": "user:jdoe",
            "github_owner": "acme",
        },
    ),
    (
        "multi-line description, bare group owner",
        {
            "name": "sample-multiline",
            "description": MULTILINE_DESCRIPTION,
            "owner": "payments",
            "github_owner": "acme-corp",
        },
    ),
)

#: The file each audit check is about, in the rendered project.
AUDIT_FILES = {
    "catalog-info": "catalog-info.yaml",
    "codeql": ".github/workflows/codeql.yml",
    "dependabot": ".github/dependabot.yml",
    "ci-tests": ".github/workflows/ci.yml",
    "dependency-review": ".github/workflows/dependency-review.yml",
    "scorecard": ".github/workflows/scorecard.yml",
    "security-policy": "SECURITY.md",
    "codeowners": ".github/CODEOWNERS",
    "license": "LICENSE",
    "gitignore": ".gitignore",
    "branch-ruleset": ".github/rulesets/default-branch.json",
}
_NAMED = re.compile(r"question '([^']+)'")
_WORKFLOW = re.compile(r"\.github/workflows/[\w.-]+\.ya?ml|\b[\w-]+\.ya?ml\b")


@dataclass(frozen=True)
class Row:
    index: int
    label: str
    answers: Mapping[str, Any]
    #: A row of lint's samples (not an answers file the author gave).
    sample: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"row": self.index, "label": self.label, "answers": dict(self.answers)}


@dataclass
class RowResult:
    row: Row
    rendered: bool = False
    audit: AuditReport | None = None
    findings: list[Finding] = field(default_factory=list)
    #: Every answer as resolved for the render (defaults and computed values included).
    resolved: Mapping[str, Any] = field(default_factory=dict)
    #: What `template test` adds: the project's own test run (projectrun.ProjectRun).
    tests: Any = None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        audit = None
        if self.audit is not None:
            failed = [r.name for r in self.audit.results if not r.passed]
            audit = {"passed": len(self.audit.results) - len(failed), "failed": failed}
        return {
            **self.row.to_json(),
            "ok": self.ok,
            "rendered": self.rendered,
            "audit": audit,
            "tests": self.tests.to_json() if self.tests is not None else None,
        }


@dataclass(frozen=True)
class Template:
    """What the matrix needs to know of the template."""

    #: What `scaffolder new` is given: the built-in's name, or the folder.
    ref: str
    config: TemplateConfig
    questions: tuple[QuestionSpec, ...]
    #: Whether the security baseline applies (audit is pointless without it).
    baseline: bool
    subdirectory: str
    #: `_scaffolder.languages`, as declared.
    languages: tuple[str, ...] = ()


def choice_values(choices: Any) -> list[Any]:
    """The values of a `choices` list or mapping; [] for Jinja (not known before a run)."""
    if isinstance(choices, Mapping):
        items = list(choices.values())
    elif isinstance(choices, list):
        items = [c[1] if isinstance(c, list | tuple) and len(c) == 2 else c for c in choices]
    else:
        return []
    return [v.get("value") if isinstance(v, Mapping) else v for v in items]


def _sample(spec: QuestionSpec) -> Any:
    if spec.type == "str" and spec.placeholder:
        return spec.placeholder
    return {"bool": False, "int": 1, "float": 1.0, "json": {}, "yaml": {}}.get(spec.type, "sample")


def sample_rows(
    questions: Sequence[QuestionSpec], extra: Sequence[tuple[str, Mapping[str, Any]]] = ()
) -> list[Row]:
    """The rows for `questions` (every layer's), then one per (label, answers) in `extra`."""
    asked = [q for q in questions if q.when is not False]
    known = {q.name for q in asked}
    choice = {q.name: (q, choice_values(q.choices)) for q in asked if choice_values(q.choices)}
    required = {q.name: _sample(q) for q in asked if not q.has_default}
    count = max([len(_EDGES), *(len(values) for _, values in choice.values())])
    rows = []
    for i in range(count):
        label, edge = (
            _EDGES[i] if i < len(_EDGES) else ("choices", {"name": f"sample-{i}", **_GROUP})
        )
        answers: dict[str, Any] = {**required, **edge}
        picked = []
        for name, (spec, values) in choice.items():
            value = values[i % len(values)]
            answers[name] = [value] if spec.multiselect else value
            picked.append(f"{name}={value}")
        answers = {k: v for k, v in answers.items() if k in known}
        rows.append(Row(i, f"{label}; {', '.join(picked)}" if picked else label, answers))
    for label, given in extra:
        base = {**required, "name": f"sample-{len(rows)}", **_GROUP}
        answers = {k: v for k, v in base.items() if k in known}
        rows.append(Row(len(rows), label, {**answers, **given}, sample=False))
    return rows


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A temporary folder for the rows' projects, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="scaffolder-matrix-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render_rows(
    template: Template,
    rows: Sequence[Row],
    *,
    trust: bool,
    progress: Progress,
    root: Path,
    after: Callable[[RowResult, Path, Template], None] | None = None,
) -> list[RowResult]:
    """Render, commit and audit each row into `root`; `after` sees each rendered project."""
    from scaffolder.audit import audit
    from scaffolder.commands import new

    results = []
    for row in rows:
        result = RowResult(row)
        dst = root / f"row-{row.index}"
        with progress.step(f"row {row.index}", row.label):
            try:
                made = new.run(
                    new.NewOptions(
                        template=template.ref,
                        output=dst,
                        given=dict(row.answers),
                        catalog=None,
                        trust=trust,
                    )
                )
            except ScaffolderError as exc:
                result.findings.extend(_render_findings(template, row, exc))
            else:
                result.rendered = True
                result.resolved = dict(made.answers.all) if made.answers else {}
                result.findings.extend(_answers_file_findings(template, row, dst))
                if template.baseline:
                    result.audit = audit(dst)
                    result.findings.extend(_audit_findings(template, row, result.audit, dst))
                if after is not None:
                    after(result, dst, template)
        results.append(result)
    return results


def _question_line(template: Template, name: str) -> tuple[str, int | None]:
    entry = template.config.questions.get(name)
    if entry is None:
        return relative(template.config.path, template.config.root), 1
    return relative(entry.file, template.config.root), entry.line


def _render_findings(template: Template, row: Row, exc: ScaffolderError) -> list[Finding]:
    rows = (row.index,)
    if isinstance(exc, InvalidAnswerError):
        found = []
        for name, message in exc.problems:
            if name == "answers" and (named := _NAMED.search(message)):
                # copier's own refusal of a computed value, while rendering: it names it.
                name = named.group(1)
            file, line = _question_line(template, name)
            value = row.answers.get(name)
            given = f"the sample answer {value!r}" if name in row.answers else "its default"
            found.append(
                Finding(
                    "render",
                    f"question {name!r} refuses {given}: {message}",
                    file,
                    line,
                    rows=rows,
                    hint="a template must accept every value its questions' rules allow",
                )
            )
        return found
    if isinstance(exc, MissingAnswersError):
        return [
            Finding(
                "render",
                f"question {name!r} has no default and no answer",
                *_question_line(template, name),
                rows=rows,
                hint="give it a default, or a placeholder lint and test can answer with",
            )
            for name in exc.names
        ]
    file, line = _jinja_location(template, exc)
    return [Finding("render", exc.message, file, line, rows=rows, hint=exc.hint or "")]


def _jinja_location(template: Template, exc: BaseException) -> tuple[str, int | None]:
    """The template file and line Jinja blamed, when an error in the chain says."""
    config = template.config
    cause: BaseException | None = exc
    while cause is not None:
        name, lineno = getattr(cause, "filename", None), getattr(cause, "lineno", None)
        if isinstance(name, str) and name:
            path = Path(name)
            if not path.is_absolute():
                path = config.root / template.subdirectory / name
            return relative(path, config.root), lineno if isinstance(lineno, int) else None
        cause = cause.__cause__ or cause.__context__
    return relative(config.path, config.root), 1


def _answers_file_findings(template: Template, row: Row, dst: Path) -> list[Finding]:
    from scaffolder.render.layers import TEMPLATE_ANSWERS_FILE

    answers = dst / TEMPLATE_ANSWERS_FILE
    text = answers.read_text(encoding="utf-8") if answers.is_file() else ""
    if "name:" in text:
        return []
    source = f"{template.subdirectory}/{{{{ _copier_conf.answers_file }}}}.jinja"
    return [
        Finding(
            "answers-file",
            f"the rendered project has no {TEMPLATE_ANSWERS_FILE} recording its answers",
            source,
            rows=(row.index,),
            hint="write it with: {{ _copier_answers | to_nice_yaml -}}",
        )
    ]


def _audit_findings(template: Template, row: Row, report: AuditReport, dst: Path) -> list[Finding]:
    found = []
    for result in report.results:
        if result.passed:
            continue
        rendered = AUDIT_FILES.get(result.name) or _mentioned_workflow(result.reason, dst)
        file, line, origin = _origin(template, rendered)
        found.append(
            Finding(
                "audit",
                f"audit check {result.name} fails{f' on {rendered}' if rendered else ''}"
                f"{origin}: {result.reason}",
                file,
                line,
                rows=(row.index,),
                hint="run `scaffolder audit` on a project made from the template for details",
            )
        )
    return found


def _mentioned_workflow(reason: str, dst: Path) -> str:
    for match in _WORKFLOW.finditer(reason):
        text = match.group()
        candidate = text if text.startswith(".github/") else f".github/workflows/{text}"
        if (dst / candidate).is_file():
            return candidate
    return ""


def _origin(template: Template, rendered: str) -> tuple[str, int | None, str]:
    """The template file that renders `rendered`, else the metadata line the baseline follows."""
    config = template.config
    folder = config.root / template.subdirectory
    if rendered:
        for candidate in (rendered, f"{rendered}.jinja"):
            if (folder / candidate).is_file():
                return relative(folder / candidate, config.root), None, ""
    meta = config.get("_scaffolder")
    if meta is None:
        return relative(config.path, config.root), 1, ""
    line = meta.line_of("languages")
    return relative(meta.file, config.root), line, " (rendered by the baseline from _scaffolder)"
