"""The baseline's language table: `templates/_baseline/languages.yml`, parsed and validated.

One entry per language says what the baseline renders for it (CodeQL, Dependabot, CI steps)
and what `scaffolder audit` expects of a repository in it. Copier reads the same file, included
into the baseline's copier.yml as the computed question `baseline_languages`; its header
documents every key. Here it is read with PyYAML (copier's `!` tags are ignored) and checked
key by key: a malformed table or an unknown key is a `LanguageTableError` naming the key and
its line.

A template can describe a language the table does not know, in the same schema, under
`_scaffolder.language_data` of its copier.yml (with `_scaffolder.action_pins` for the actions
its setup uses): `describe()` checks it (`described.py`, re-exported here).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from scaffolder.datafiles import FastSafeLoader
from scaffolder.errors import LanguageTableError
from scaffolder.render.registry import BASELINE_LAYER, templates_root

TABLE_FILE = "languages.yml"
PINS_FILE = "pins.yml"
#: The computed question of copier.yml that holds the table.
QUESTION = "baseline_languages"
BuildMode = Literal["none", "autobuild", "manual"]
BUILD_MODES: tuple[BuildMode, ...] = ("none", "autobuild", "manual")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_ANSWER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: What is written into YAML as it is: CodeQL languages, ecosystems, action inputs.
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INPUT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: An action as `uses:` names it: owner/repo, or owner/repo/path.
_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
#: Control characters (a `run:` may hold newlines and tabs, nothing else may).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_RUN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
T = TypeVar("T")


@dataclass(frozen=True)
class CodeQL:
    language: str
    build_mode: BuildMode
    #: Other names CodeQL accepts for the language.
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.language, *self.aliases)


@dataclass(frozen=True)
class Dependabot:
    ecosystems: tuple[str, ...]
    directory: str


@dataclass(frozen=True)
class Version:
    input: str
    answer: str
    default: str
    #: The versions templates offer (their version question's choices), oldest first.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setup:
    name: str
    action: str
    version: Version | None
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    run: str
    if_answer: str | None = None
    unless_answer: str | None = None


@dataclass(frozen=True)
class CI:
    setup: Setup | None
    install: tuple[Step, ...]
    test: tuple[Step, ...]


@dataclass(frozen=True)
class Expectations:
    """What `scaffolder audit` expects of a repository in the language."""

    manifests: tuple[str, ...]
    ecosystems: frozenset[str]
    test_command: re.Pattern[str]
    test_description: str
    gitignore: tuple[str, ...]


@dataclass(frozen=True)
class Language:
    name: str
    title: str
    codeql: CodeQL | None
    dependabot: Dependabot
    ci: CI
    audit: Expectations


@dataclass(frozen=True)
class LanguageTable:
    path: Path
    languages: tuple[Language, ...]
    #: Actions pinned besides pins.yml's: those the described languages bring.
    extra_pins: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lang.name for lang in self.languages)

    def get(self, name: str) -> Language | None:
        return next((lang for lang in self.languages if lang.name == name), None)

    def __contains__(self, name: object) -> bool:
        return any(lang.name == name for lang in self.languages)

    def with_languages(
        self, languages: Mapping[str, Language], pins: Sequence[str] = ()
    ) -> LanguageTable:
        """This table and `languages` (described ones, never built-in: see `describe`)."""
        return LanguageTable(
            self.path,
            (*self.languages, *languages.values()),
            (*self.extra_pins, *pins),
        )


@dataclass(frozen=True)
class Source:
    """Where data is read from, for messages: the file, the key paths' lines, the hint.

    `lines` may be a function that finds them: it runs only when a message needs a line.
    """

    file: str
    lines: Mapping[str, int] | Callable[[], Mapping[str, int]]
    hint: str

    @functools.cached_property
    def _lines(self) -> Mapping[str, int]:
        return self.lines() if callable(self.lines) else self.lines

    def line(self, where: str) -> int | None:
        """The line of `where` (`a.b[0].c`), else of the nearest enclosing key it has."""
        while where:
            if where in self._lines:
                return self._lines[where]
            where = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", where) if re.search(r"[.\[]", where) else ""
        return None

    def error(self, message: str, where: str = "") -> LanguageTableError:
        line = self.line(where)
        at = f"line {line}: " if line else ""
        return LanguageTableError(f"{self.file}: {at}{message}", hint=self.hint)


def node_lines(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """The 1-based line of every key path under `node`, as `_Reader` names them (`a.b[0]`)."""
    found: dict[str, int] = {}
    pending: list[tuple[yaml.Node, str]] = [(node, prefix)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    path = f"{where}.{key.value}" if where else str(key.value)
                    found.setdefault(path, key.start_mark.line + 1)
                    pending.append((value, path))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                path = f"{where}[{i}]"
                found.setdefault(path, item.start_mark.line + 1)
                pending.append((item, path))
    return found


class _Reader:
    """Reads one mapping of the table, keeping its path (`python.ci.setup`) for messages."""

    def __init__(
        self, source: Source, where: str, value: Any, keys: str, optional: str = ""
    ) -> None:
        self.source = source
        self.where = where
        if not isinstance(value, Mapping):
            raise self.error(f"{where or 'the file'} must be a mapping, not {_kind(value)}")
        self.data: Mapping[Any, Any] = value
        allowed = keys.split() + optional.split()
        for key in value:
            if key not in allowed:
                raise self.error(
                    f"unknown key {self.at(str(key))} "
                    f"({where or 'the file'} takes {', '.join(allowed)})",
                    str(key),
                )
        for key in keys.split():
            if key not in value:
                raise self.error(f"{self.at(key)} is missing")

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(self, message: str, key: str = "") -> LanguageTableError:
        return self.source.error(message, self.at(key) if key else self.where)

    def text(self, key: str, pattern: re.Pattern[str] | None = None, *, lines: bool = False) -> str:
        """A non-empty one-line string (`lines`: newlines and tabs allowed, as in a script)."""
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{self.at(key)} must be a non-empty string, not {_kind(value)}", key)
        if (_RUN_CONTROL if lines else _CONTROL).search(value):
            raise self.error(f"{self.at(key)} holds a control character or line break", key)
        if pattern and not pattern.match(value):
            raise self.error(f"{self.at(key)} {value!r} does not match {pattern.pattern}", key)
        return value

    def optional_text(self, key: str, pattern: re.Pattern[str] | None = None) -> str | None:
        return None if self.data.get(key) is None else self.text(key, pattern)

    def texts(
        self, key: str, pattern: re.Pattern[str] | None = None, *, empty: bool = True
    ) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"{self.at(key)} must be a list of strings, not {_kind(value)}", key)
        if not value and not empty:
            raise self.error(f"{self.at(key)} must not be empty", key)
        for item in value:
            if _CONTROL.search(item):
                raise self.error(f"{self.at(key)} holds a control character or line break", key)
            if pattern and not pattern.match(item):
                raise self.error(f"{self.at(key)}: {item!r} does not match {pattern.pattern}", key)
        return tuple(value)

    def child(self, key: str, keys: str, optional: str = "") -> _Reader:
        return _Reader(self.source, self.at(key), self.data[key], keys, optional)

    def items(
        self, key: str, read: Callable[[_Reader], T], keys: str, optional: str = ""
    ) -> tuple[T, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.error(f"{self.at(key)} must be a list, not {_kind(value)}", key)
        return tuple(
            read(_Reader(self.source, f"{self.at(key)}[{i}]", item, keys, optional))
            for i, item in enumerate(value)
        )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return kinds.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _step(r: _Reader) -> Step:
    step = Step(
        name=r.text("name"),
        run=r.text("run", lines=True),
        if_answer=r.optional_text("if_answer", _ANSWER),
        unless_answer=r.optional_text("unless_answer", _ANSWER),
    )
    if step.if_answer and step.unless_answer:
        raise r.error(f"{r.where} has both if_answer and unless_answer; give one")
    return step


def _codeql(r: _Reader) -> CodeQL | None:
    if r.data["codeql"] is None:
        return None
    c = r.child("codeql", "language build_mode", "aliases")
    mode = c.text("build_mode")
    if mode not in BUILD_MODES:
        raise c.error(
            f"{c.at('build_mode')} is {mode!r}, not one of {', '.join(BUILD_MODES)}", "build_mode"
        )
    return CodeQL(c.text("language", _WORD), mode, c.texts("aliases", _WORD))


def _setup(r: _Reader, pins: Sequence[str] | None) -> Setup | None:
    if r.data.get("setup") is None:
        return None
    s = r.child("setup", "name action", "version with")
    action = s.text("action", _ACTION)
    if pins is not None and action not in pins:
        raise s.error(f"{s.at('action')} {action!r} is not pinned in {PINS_FILE}", "action")
    version = None
    if s.data.get("version") is not None:
        v = s.child("version", "input answer default", "choices")
        default = v.data["default"]
        if not isinstance(default, str):
            raise v.error(
                f"{v.at('default')} must be a string (quote it), not {_kind(default)}", "default"
            )
        choices = v.texts("choices")
        if choices and default not in choices:
            raise v.error(
                f"{v.at('default')} {default!r} is not one of {v.at('choices')}", "default"
            )
        version = Version(v.text("input", _INPUT), v.text("answer", _ANSWER), default, choices)
    inputs = s.data.get("with") or {}
    if not isinstance(inputs, Mapping) or not all(
        isinstance(k, str) and _INPUT.match(k) for k in inputs
    ):
        raise s.error(
            f"{s.at('with')} must be a mapping of input names ({_INPUT.pattern}), "
            f"not {_kind(inputs)}",
            "with",
        )
    for key, value in inputs.items():
        if not isinstance(value, str | bool | int | float):
            raise s.error(
                f"{s.at('with')}.{key} must be a string, number or boolean, not {_kind(value)}",
                "with",
            )
        if isinstance(value, str) and _CONTROL.search(value):
            raise s.error(f"{s.at('with')}.{key} holds a control character or line break", "with")
    return Setup(s.text("name"), action, version, dict(inputs))


def _language(name: str, r: _Reader, pins: Sequence[str] | None) -> Language:
    d = r.child("dependabot", "ecosystems directory")
    dependabot = Dependabot(d.texts("ecosystems", _WORD, empty=False), d.text("directory"))
    c = r.child("ci", "test", "setup install")
    ci = CI(
        setup=_setup(c, pins),
        install=c.items("install", _step, "name run", "if_answer unless_answer"),
        test=c.items("test", _step, "name run", "if_answer unless_answer"),
    )
    if not ci.test:
        raise c.error(f"{c.at('test')} must list at least one step", "test")
    a = r.child("audit", "manifests ecosystems test_command test_description gitignore")
    try:
        command = re.compile(a.text("test_command"))
    except re.error as exc:
        raise a.error(
            f"{a.at('test_command')} is not a regular expression: {exc}", "test_command"
        ) from exc
    audit = Expectations(
        manifests=a.texts("manifests", empty=False),
        ecosystems=frozenset(a.texts("ecosystems", _WORD, empty=False)),
        test_command=command,
        test_description=a.text("test_description"),
        gitignore=a.texts("gitignore"),
    )
    # What the baseline renders must pass its own audit.
    if missing := [e for e in dependabot.ecosystems if e not in audit.ecosystems]:
        raise a.error(
            f"{a.at('ecosystems')} lacks {', '.join(missing)} (dependabot.ecosystems)", "ecosystems"
        )
    if not any(command.search(step.run) for step in ci.test):
        raise a.error(
            f"{a.at('test_command')} matches none of {c.at('test')}'s commands", "test_command"
        )
    return Language(name, r.text("title"), _codeql(r), dependabot, ci, audit)


def read_language(
    source: Source, where: str, name: str, entry: Any, pins: Sequence[str] | None
) -> Language:
    """One entry of the table's schema, at key path `where` of `source`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise source.error(f"language name {name!r} must match {_NAME.pattern}", where)
    return _language(name, _Reader(source, where, entry, "title codeql dependabot ci audit"), pins)


class _Loader(FastSafeLoader):
    """PyYAML without copier's `!` tags (as the registry reads copier.yml), and strict about
    duplicate keys, which PyYAML would silently merge."""


def _mapping_without_duplicates(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            mark = node.value[i][0].start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
    return loader.construct_mapping(node, deep=True)


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_constructor("!include", lambda loader, node: None)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)

_TABLE_HINT = "fix {name}: the comment at its top documents every key"


def _table_source(path: Path, lines: Mapping[str, int] | None = None) -> Source:
    return Source(str(path), lines or {}, _TABLE_HINT.format(name=path.name))


def read_documents(path: Path, source: Source) -> tuple[list[Any], list[yaml.Node]]:
    """Every YAML document of `path`, as data and as nodes (for lines); errors via `source`."""
    try:
        text = path.read_text(encoding="utf-8")
        # _Loader is a SafeLoader: it builds plain data only.
        docs = list(yaml.load_all(text, Loader=_Loader))
        nodes = [n for n in yaml.compose_all(text, Loader=_Loader) if n is not None]
    except OSError as exc:
        raise source.error(f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise source.error(f"is not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        raise source.error(f"is not valid YAML: {' '.join(str(exc).split())}") from exc
    return docs, nodes


def _read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    docs, nodes = read_documents(path, _table_source(path))
    return (docs[0] if docs else None), (node_lines(nodes[0]) if nodes else {})


def pinned_actions(folder: Path) -> list[str] | None:
    """The actions pins.yml pins, or None when there is no pins.yml beside the table."""
    path = folder / PINS_FILE
    if not path.is_file():
        return None
    data, _ = _read_yaml(path)
    pins = data.get("action_pins", {}).get("default") if isinstance(data, dict) else None
    return [str(k) for k in pins] if isinstance(pins, dict) else []


def parse(path: Path) -> LanguageTable:
    """Read and check the table at `path`; every problem is a `LanguageTableError`."""
    data, lines = _read_yaml(path)
    # Entries' key paths are their names: `python.ci.setup`, as messages say them.
    prefix = f"{QUESTION}.default."
    source = _table_source(
        path, {k.removeprefix(prefix): v for k, v in lines.items() if k.startswith(prefix)}
    )
    question = _Reader(source, "", data, QUESTION).child(QUESTION, "type when default")
    if question.data["type"] != "yaml" or question.data["when"] is not False:
        raise question.error(f"{QUESTION} must be a computed question: type: yaml, when: false")
    table = question.data["default"]
    if not isinstance(table, Mapping) or not table:
        raise question.error(f"{question.at('default')} must map language names to entries")
    pins = pinned_actions(path.parent)
    languages = [
        read_language(source, str(name), name, entry, pins) for name, entry in table.items()
    ]
    return LanguageTable(path, tuple(languages))


def table_path() -> Path:
    return templates_root() / BASELINE_LAYER / TABLE_FILE


@functools.cache
def _load(path: Path) -> LanguageTable:
    return parse(path)


def load(path: Path | None = None) -> LanguageTable:
    """The built-in table (or the one at `path`), read once per process."""
    return _load((path or table_path()).resolve())


def supported_languages() -> tuple[str, ...]:
    """The languages the baseline knows how to scan, update and test, in the table's order."""
    return load().names
