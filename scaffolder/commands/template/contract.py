"""scaffolder's contract for a template, checked on its `copier.yml` without rendering.

- The standard questions are there and are scaffolder's own (`scaffolder/baseline/
  standard-questions.yml`), key by key: a removed validator, a changed regular expression or
  choice, a missing question is a finding at that question's line.
- `_scaffolder` metadata: title, description, version (a PEP 440 string), languages (a list of
  names the language table knows, or that the template describes in `language_data`); optional
  `baseline` (false: opt out of the security baseline, a review item), `language_data`,
  `action_pins`. An unknown key is a finding: a typo (`langauges`) would silently drop it.
- `_subdirectory` names the folder of the template's files, and that folder holds the answers
  file's template (`{{ _copier_conf.answers_file }}.jinja`) writing `_copier_answers`.
- What copier calls unsafe (it refuses them without `--trust`: copier/_main.py,
  `Worker._check_unsafe`): `_tasks` (commands run after rendering), `_migrations` (commands run
  on update), `_jinja_extensions` (Python code loaded into Jinja). Each is a review item.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scaffolder.baseline import described as language_data
from scaffolder.baseline import languages as language_table
from scaffolder.baseline import questions as standard
from scaffolder.commands.template.config import Entry, TemplateConfig
from scaffolder.commands.template.findings import Finding, Kind, relative
from scaffolder.datafiles import FastSafeLoader
from scaffolder.errors import ScaffolderError

METADATA_KEYS = ("title", "description", "version", "languages")
OPTIONAL_METADATA_KEYS = ("baseline", "language_data", "action_pins")
UNSAFE_KEYS = {
    "_tasks": "runs commands after rendering",
    "_migrations": "runs commands when a project is updated",
    "_jinja_extensions": "loads Python code into Jinja",
}
ANSWERS_TEMPLATE = "{{ _copier_conf.answers_file }}"
_STANDARD_HINT = (
    f"copy {standard.SOURCE} beside copier.yml as {standard.FILE_NAME} and include it as the "
    f"first document: `!include {standard.FILE_NAME}`"
)


@dataclass(frozen=True)
class Contract:
    """What the static checks found, and what the render checks need from the metadata."""

    findings: tuple[Finding, ...]
    unsafe: tuple[str, ...]
    languages: tuple[str, ...]
    baseline: bool


@functools.cache
def standard_definitions() -> Mapping[str, Mapping[str, Any]]:
    """The standard questions exactly as scaffolder's source writes them."""
    text = standard.SOURCE.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=FastSafeLoader)  # noqa: S506 -- a SafeLoader
    return {str(k): dict(v) for k, v in data.items()}


class _Checker:
    def __init__(self, config: TemplateConfig) -> None:
        self.config = config
        self.root = config.root
        self.findings: list[Finding] = []

    def add(
        self,
        kind: Kind,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        hint: str = "",
        severity: str = "error",
    ) -> None:
        where = relative(file or self.config.path, self.root)
        self.findings.append(
            Finding(kind, message, where, line, "review" if severity == "review" else "error", hint)
        )

    def at(self, entry: Entry, kind: Kind, message: str, *path: str, hint: str = "") -> None:
        self.add(kind, message, file=entry.file, line=entry.line_of(*path), hint=hint)


def check(config: TemplateConfig) -> Contract:
    c = _Checker(config)
    for problem in config.problems:
        c.add("config", problem.message, file=problem.file, line=problem.line)
    _standard_questions(c)
    meta = _metadata(c)
    _subdirectory(c)
    unsafe = _unsafe(c)
    langs = _languages(c, meta)
    baseline = meta.get("baseline", True) is not False
    return Contract(tuple(c.findings), unsafe, langs, baseline)


# -- the standard questions -----------------------------------------------------------------
def _standard_questions(c: _Checker) -> None:
    questions = c.config.questions
    for name, source in standard_definitions().items():
        entry = questions.get(name)
        if entry is None:
            c.add(
                "standard-questions",
                f"the standard question {name!r} is missing",
                line=1,
                hint=_STANDARD_HINT,
            )
            continue
        value = entry.value if isinstance(entry.value, Mapping) else {"default": entry.value}
        for key in sorted({*source, *value}, key=lambda k: (k not in source, str(k))):
            if key not in value:
                what = f"its {key} was removed"
            elif key not in source:
                what = f"it adds {key}, which scaffolder's does not have"
            elif value[key] != source[key]:
                what = f"its {key} differs from scaffolder's"
            else:
                continue
            c.at(
                entry,
                "standard-questions",
                f"the standard question {name!r} is not scaffolder's: {what}",
                *(() if key not in value else (str(key),)),
                hint=_STANDARD_HINT,
            )


# -- metadata -------------------------------------------------------------------------------
def _metadata(c: _Checker) -> Mapping[str, Any]:
    entry = c.config.get("_scaffolder")
    if entry is None:
        c.add(
            "metadata",
            "no _scaffolder metadata (title, description, version, languages)",
            line=1,
            hint='add `_scaffolder: {title: ..., description: ..., version: "0.1.0", '
            "languages: [python]}`",
        )
        return {}
    meta = entry.value
    if not isinstance(meta, Mapping):
        c.at(entry, "metadata", "_scaffolder must be a mapping")
        return {}
    for key in meta:
        if key not in (*METADATA_KEYS, *OPTIONAL_METADATA_KEYS):
            c.at(
                entry,
                "metadata",
                f"unknown key _scaffolder.{key}",
                str(key),
                hint=f"_scaffolder takes {', '.join((*METADATA_KEYS, *OPTIONAL_METADATA_KEYS))}",
            )
    for key in METADATA_KEYS:
        if key not in meta:
            c.at(entry, "metadata", f"_scaffolder.{key} is missing", hint="the picker shows it")
    for key in ("title", "description", "version"):
        if key in meta and not isinstance(meta[key], str):
            c.at(
                entry,
                "version" if key == "version" else "metadata",
                f"_scaffolder.{key} must be a string (quote it), not {_kind(meta[key])}",
                key,
            )
    if isinstance(meta.get("title"), str) and not meta["title"].strip():
        c.at(entry, "metadata", "_scaffolder.title is empty", "title")
    version = meta.get("version")
    if isinstance(version, str):
        from packaging.version import InvalidVersion, Version

        try:
            Version(version)
        except InvalidVersion:
            c.at(
                entry,
                "version",
                f"_scaffolder.version {version!r} is not a PEP 440 version",
                "version",
                hint='write it as MAJOR.MINOR.PATCH, e.g. "1.2.0", and tag releases with it',
            )
    langs = meta.get("languages")
    if "languages" in meta and (
        not isinstance(langs, list) or not all(isinstance(x, str) for x in langs)
    ):
        c.at(entry, "metadata", "_scaffolder.languages must be a list of names", "languages")
    baseline = meta.get("baseline", True)
    if not isinstance(baseline, bool):
        c.at(entry, "metadata", "_scaffolder.baseline must be true or false", "baseline")
    elif baseline is False:
        c.add(
            "baseline",
            "opts out of the security baseline (_scaffolder.baseline: false): its projects get "
            "no catalog-info, CI, CodeQL, Dependabot, SECURITY.md or ruleset, and are not audited",
            file=entry.file,
            line=entry.line_of("baseline"),
            severity="review",
        )
    return meta


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


# -- _subdirectory and the answers file -----------------------------------------------------
def _subdirectory(c: _Checker) -> None:
    entry = c.config.get("_subdirectory")
    if entry is None or not isinstance(entry.value, str) or not entry.value.strip("/ "):
        c.add(
            "subdirectory",
            "no _subdirectory: the template's files must live in a folder of their own",
            file=entry.file if entry else None,
            line=entry.line if entry else 1,
            hint="add `_subdirectory: template` and move the project's files into template/",
        )
        return
    folder = c.root / entry.value
    if not folder.is_dir() or not folder.resolve().is_relative_to(c.root.resolve()):
        c.at(
            entry, "subdirectory", f"_subdirectory {entry.value!r} is not a folder of the template"
        )
        return
    suffix_entry = c.config.get("_templates_suffix")
    suffix = (
        suffix_entry.value if suffix_entry and isinstance(suffix_entry.value, str) else ".jinja"
    )
    answers = folder / f"{ANSWERS_TEMPLATE}{suffix}"
    if not answers.is_file():
        c.add(
            "answers-file",
            f"{relative(answers, c.root)} is missing: projects would not record their answers, "
            "so `copier update` and scaffolder cannot read them back",
            file=answers,
            hint="write it with: {{ _copier_answers | to_nice_yaml -}}",
        )
    elif "_copier_answers" not in answers.read_text(encoding="utf-8", errors="replace"):
        c.add(
            "answers-file",
            f"{relative(answers, c.root)} does not write _copier_answers",
            file=answers,
            line=1,
            hint="write it with: {{ _copier_answers | to_nice_yaml -}}",
        )


# -- unsafe features ------------------------------------------------------------------------
def _unsafe(c: _Checker) -> tuple[str, ...]:
    found: list[str] = []
    for key, what in UNSAFE_KEYS.items():
        entries = [e for e in c.config.all(key) if e.value]
        for e in entries:
            items = e.value if isinstance(e.value, list) else [e.value]
            shown = "; ".join(_describe(item) for item in items[:3])
            more = f" (and {len(items) - 3} more)" if len(items) > 3 else ""
            c.add(
                "unsafe",
                f"{key} {what}: {shown}{more}",
                file=e.file,
                line=e.line,
                severity="review",
                hint="review it: copier and scaffolder refuse it without --trust",
            )
        if entries:
            found.append(key)
    return tuple(found)


def _describe(item: Any) -> str:
    if isinstance(item, Mapping):
        command = item.get("command", item)
        return " ".join(map(str, command)) if isinstance(command, list) else str(command)
    return " ".join(map(str, item)) if isinstance(item, list) else str(item)


# -- languages ------------------------------------------------------------------------------
def _languages(c: _Checker, meta: Mapping[str, Any]) -> tuple[str, ...]:
    langs = meta.get("languages")
    if not isinstance(langs, list):
        return ()
    names = tuple(str(x) for x in langs)
    entry = c.config.get("_scaffolder")
    if entry is None:
        return names
    known = language_table.supported_languages()
    unknown = [n for n in names if n not in known]
    if not unknown:
        return names
    raw = meta.get("language_data")
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    stubs = [n for n in unknown if n in data and "TODO" in yaml.safe_dump(data[n])]
    for name in stubs:
        c.at(
            entry,
            "language",
            f"_scaffolder.language_data.{name} still holds the TODO placeholders of "
            "`scaffolder template init`",
            "language_data",
            name,
            hint="fill in every TODO (the comments beside them say what goes there)",
        )
    if stubs:
        return names
    try:
        descriptions = language_data.described_languages(meta, str(c.config.path))
    except ScaffolderError as exc:
        c.at(entry, "language", exc.message, "language_data", hint=exc.hint or "")
        return names
    for name in unknown:
        if name in descriptions:
            continue
        c.at(
            entry,
            "language",
            f"language {name!r} is not one scaffolder knows ({', '.join(known)}) and the "
            "template does not describe it",
            "languages",
            hint=f"describe it under _scaffolder.language_data.{name} (scaffolder template init "
            f"--language {name} writes a stub), or declare a known language",
        )
    return names
