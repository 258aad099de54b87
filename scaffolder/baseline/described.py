"""Languages a template describes as data, in the schema of the baseline's language table.

A template declares its languages in `_scaffolder.languages`. One the table
(templates/_baseline/languages.yml) does not know is described in the same `_scaffolder` block
of the template's copier.yml (any of its YAML documents), so the template gets a correct
baseline without any change to scaffolder:

    _scaffolder:
      languages: [rust]
      language_data:          # language name -> an entry in languages.yml's schema (its header)
        rust:
          title: Rust
          codeql: {language: rust, build_mode: none}     # or `codeql: null`
          dependabot: {ecosystems: [cargo], directory: /}
          ci:
            test:
              - {name: Test, run: cargo test --locked}
          audit:
            manifests: [Cargo.toml]
            ecosystems: [cargo]
            test_command: '\\bcargo\\s+test\\b'
            test_description: cargo test
            gitignore: [target]
      action_pins:            # optional: the actions its ci.setup uses, as pins.yml pins them
        owner/action: {sha: <40 lowercase hex>, version: vX.Y.Z}

Besides the schema, key by key: a description may not redefine a built-in language, nor pin an
action pins.yml already pins; `ci.setup.action` must be pinned (by pins.yml or here); and a
`run:` is the template author's shell text, into which no answer is ever put (no `{NAME}` of an
`if_answer`). Every problem is a `LanguageTableError` naming the key and its copier.yml line.

The checked data travels to the baseline as copier data `scaffolder_language_data` (copier
never renders data as Jinja), `{"language_data": {...}, "action_pins": {...}}`. The baseline
merges it into its table and pins, and records it in its answers file
(`.copier-answers.baseline.yml`) under `_scaffolder_language_data`, so `scaffolder audit` of the
project, later and without the template, judges by the same descriptions (`recorded`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scaffolder.baseline.languages import (
    _ACTION,
    PINS_FILE,
    Language,
    LanguageTable,
    Source,
    _Reader,
    load,
    node_lines,
    pinned_actions,
    read_documents,
    read_language,
)
from scaffolder.errors import LanguageTableError

#: The copier data that carries the descriptions to the baseline.
DATA_KEY = "scaffolder_language_data"
#: The key of the baseline's answers file that records them.
RECORDED_KEY = "_scaffolder_language_data"
#: The template's own block in copier.yml.
METADATA_KEY = "_scaffolder"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_PIN_VERSION = re.compile(r"^v?\d+(\.\d+)*$")
_HINT = (
    "describe the language under _scaffolder.language_data in the schema of scaffolder's "
    "templates/_baseline/languages.yml (its header documents every key)"
)


@dataclass(frozen=True)
class Described:
    """A template's language descriptions, checked."""

    languages: Mapping[str, Language]
    #: action -> {sha, version}: the pins the descriptions bring.
    pins: Mapping[str, Mapping[str, str]]
    #: The entries as written (checked): what the baseline renders from.
    entries: Mapping[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        """What the baseline takes (and records): plain data, in the template's schema."""
        return {"language_data": dict(self.entries), "action_pins": dict(self.pins)}

    def __bool__(self) -> bool:
        return bool(self.languages or self.pins)

    def table(self, base: LanguageTable) -> LanguageTable:
        """`base` with these languages (and their pins) added."""
        return base.with_languages(self.languages, tuple(self.pins))


def _config_file(source: str | Path) -> Path:
    path = Path(source)
    if path.is_dir():
        for name in ("copier.yml", "copier.yaml"):
            if (path / name).is_file():
                return path / name
        return path / "copier.yml"
    return path


def _source(file: Path, where: str, display: str | None, hint: str) -> Source:
    """Messages about `file`, with the lines of its top-level key `where` in any of its YAML
    documents, read only if a message needs one (none if unreadable: copier read the same
    data, so the messages still name the keys)."""

    def lines() -> dict[str, int]:
        found: dict[str, int] = {}
        if not file.is_file():
            return found
        try:
            _, nodes = read_documents(file, Source(str(file), {}, hint))
        except LanguageTableError:
            return found
        for node in nodes:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == where:
                        found.setdefault(where, key.start_mark.line + 1)
                        found.update(node_lines(value, where))
        return found

    return Source(display or str(file), lines, hint)


def describe(
    metadata: Mapping[str, Any],
    source: str | Path,
    *,
    table: LanguageTable | None = None,
    where: str = METADATA_KEY,
    display: str | None = None,
    hint: str = _HINT,
) -> Described:
    """Check the `language_data` and `action_pins` of `metadata` (a template's `_scaffolder`
    block, or what an answers file recorded), read from `source`: the template's folder or the
    file itself, for lines. Raises `LanguageTableError` naming the key and line."""
    raw = metadata.get("language_data")
    raw_pins = metadata.get("action_pins")
    if raw is None and raw_pins is None:
        return Described({}, {}, {})  # the common case: nothing to read or check
    table = table or load()
    src = _source(_config_file(source), where, display, hint)
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise src.error(f"{where}.language_data must map language names to entries", where)
    raw_pins = {} if raw_pins is None else raw_pins
    if not isinstance(raw_pins, Mapping):
        raise src.error(f"{where}.action_pins must map actions to {{sha, version}}", where)
    builtin = pinned_actions(table.path.parent)
    pins: dict[str, dict[str, str]] = {}
    for action, pin in raw_pins.items():
        at = f"{where}.action_pins.{action}"
        if not isinstance(action, str) or not _ACTION.match(action):
            raise src.error(f"{at}: {action!r} is not an action (owner/repo)", at)
        if builtin is not None and action in builtin:
            raise src.error(
                f"{at} pins {action}, which the baseline pins itself "
                f"({table.path.parent / PINS_FILE}); a template cannot override a built-in pin",
                at,
            )
        r = _Reader(src, at, pin, "sha version")
        sha = r.text("sha")
        if not _SHA.match(sha):
            raise r.error(f"{r.at('sha')} {sha!r} is not a full commit SHA (40 hex)", "sha")
        pins[action] = {"sha": sha, "version": r.text("version", _PIN_VERSION)}
    available = None if builtin is None else [*builtin, *pins]
    described: dict[str, Language] = {}
    for name, entry in raw.items():
        at = f"{where}.language_data.{name}"
        if isinstance(name, str) and name in table:
            raise src.error(
                f"{at} redefines {name}, a built-in language of {table.path}; remove the "
                "description (the built-in entry applies), or give the language another name",
                at,
            )
        language = read_language(src, at, name, entry, available)
        for step in (*language.ci.install, *language.ci.test):
            if step.if_answer and f"{{{step.if_answer}}}" in step.run:
                raise src.error(
                    f"{at}.ci: step {step.name!r} puts the answer {{{step.if_answer}}} into its "
                    "run:, which is shell; a description never puts answers into commands",
                    f"{at}.ci",
                )
        described[name] = language
    return Described(described, pins, {name: raw[name] for name in described})


def described_languages(metadata: Mapping[str, Any], source: str) -> dict[str, Language]:
    """The languages a template's `_scaffolder` block describes (`metadata`), checked; `source`
    is the template's folder or its copier.yml, whose lines the errors name."""
    return dict(describe(metadata, source).languages)


def recorded(answers: Mapping[str, Any], path: Path, table: LanguageTable) -> Described:
    """The descriptions a baseline answers file (`path`, read as `answers`) records."""
    data = answers.get(RECORDED_KEY)
    if data is None:
        return Described({}, {}, {})
    if not isinstance(data, Mapping):
        raise Source(str(path), {}, "").error(f"{RECORDED_KEY} must be a mapping")
    return describe(
        data,
        path,
        table=table,
        where=RECORDED_KEY,
        hint=f"{path.name} records the template's language descriptions; restore it from the "
        "project's history",
    )
