"""The one safe loader for the YAML and JSON files scaffolder reads from its users.

`--data-file` uses it today; configuration and policy files are meant to. A data file is never
trusted: it may be `/dev/zero`, 1 GB, a YAML alias bomb or nested 100,000 deep. Each of those is
refused within a fraction of a second, naming the file and the line (or byte offset):

- size: at most `Limits.max_bytes` are read, never more than that plus one byte, so an endless
  stream is refused as soon as it passes the limit;
- encoding: UTF-8 only; a UTF-8 byte order mark is accepted and dropped; other bytes are
  refused with their offset;
- YAML: the parser's events are scanned before anything is composed, so nesting depth, the
  number of aliases and the number of values the aliases expand to are capped before PyYAML's
  recursive composer or a consumer ever walks them (the limits of the `yaml` package Backstage
  uses are similar: 100 aliases). Duplicate mapping keys are refused with their line, where
  PyYAML would silently keep the last;
- JSON: a `.json` file, or text that starts with `{`, is read with `json.loads` (which, unlike
  a YAML parser, accepts surrogate-pair escapes such as `"\\ud83d\\ude00"`), after a scan that
  caps its depth and refuses duplicate keys with their line.

`load()` raises `DataFileError`. The parts (`read_bytes`, `decode`, `check_yaml`,
`duplicate_key`) raise `Refused`, so a caller with its own error class (the catalog file)
can reuse them and word the error its own way.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scaffolder.errors import DataFileError

if TYPE_CHECKING:
    FastSafeLoader = yaml.SafeLoader
else:
    #: PyYAML's SafeLoader over libyaml when PyYAML has it (several times faster, the same
    #: data): the base of every loader scaffolder defines.
    FastSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Loader = FastSafeLoader

_MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a data file may hold. The defaults suit answers, configuration and policy files."""

    max_bytes: int = _MIB
    #: Nested mappings and sequences (JSON: objects and arrays).
    max_depth: int = 64
    #: YAML alias events (`*name`).
    max_aliases: int = 100
    #: Values (scalars and collections) once every alias is expanded.
    max_values: int = 100_000


DEFAULT_LIMITS = Limits()


class Refused(Exception):
    """Why a file's content was refused: a short reason, the 1-based line, and a detail."""

    def __init__(self, reason: str, *, line: int | None = None, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.detail = detail

    def describe(self) -> str:
        """`reason at line N (detail)`, each part only when known."""
        at = f" at line {self.line}" if self.line else ""
        return f"{self.reason}{at}" + (f" ({self.detail})" if self.detail else "")


def _size(n: int) -> str:
    return f"{n / _MIB:g} MiB" if n >= _MIB and n % (_MIB // 16) == 0 else f"{n:,} bytes"


def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """At most `max_bytes` of `path`; Refused when it holds more. OSError passes through."""
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
            raise Refused(f"larger than {_size(max_bytes)}", detail=f"{_size(info.st_size)}")
        # Never an unbounded read(): /dev/zero or a pipe that never ends stops here.
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Refused(f"larger than {_size(max_bytes)}")
    return data


def decode(data: bytes) -> str:
    """UTF-8 text without its byte order mark; Refused naming the offset of a bad byte."""
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skipped + exc.start
        raise Refused(
            "not UTF-8 text",
            line=data.count(b"\n", 0, offset) + 1,
            detail=f"byte 0x{data[offset]:02x} at offset {offset}",
        ) from None


def _yaml_refused(exc: yaml.YAMLError, reason: str) -> Refused:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return Refused(reason, line=mark.line + 1 if mark else None, detail=str(problem))


def _event_line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark else None


def check_yaml(
    text: str, limits: Limits = DEFAULT_LIMITS, *, reason: str = "not valid YAML"
) -> None:
    """Refuse YAML that nests too deep or whose aliases expand too far, without composing it.

    Only the parser runs (it is not recursive); every document of the stream is checked.
    """
    from yaml import events as ev

    depth = 0
    aliases = 0
    values = 0
    #: Per open collection: its anchor and how many values it holds so far (expanded).
    open_: list[tuple[str | None, list[int]]] = []
    sizes: dict[str, int] = {}
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, ev.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    raise Refused(
                        f"nested deeper than {limits.max_depth} levels",
                        line=_event_line(event),
                    )
                open_.append((event.anchor, [1]))
                added = 1
            elif isinstance(event, ev.CollectionEndEvent):
                depth -= 1
                anchor, size = open_.pop()
                if anchor is not None:
                    sizes[anchor] = size[0]
                if open_:
                    open_[-1][1][0] += size[0]
                continue
            elif isinstance(event, ev.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                added = 1
            elif isinstance(event, ev.AliasEvent):
                aliases += 1
                if aliases > limits.max_aliases:
                    raise Refused(
                        f"more than {limits.max_aliases} aliases",
                        line=_event_line(event),
                    )
                added = sizes.get(str(event.anchor), 1)
            else:
                continue
            if open_ and not isinstance(event, ev.CollectionStartEvent):
                open_[-1][1][0] += added
            values += added
            if values > limits.max_values:
                raise Refused(
                    f"more than {limits.max_values:,} values once its aliases are expanded",
                    line=_event_line(event),
                )
    except yaml.YAMLError as exc:
        refused = _yaml_refused(exc, reason)
        if "maximum nesting depth" in refused.detail:  # libyaml's own cap (1,000) came first
            refused = Refused(f"nested deeper than {limits.max_depth} levels", line=refused.line)
        raise refused from None


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    #: 1-based lines of the repeated key and of its first occurrence.
    line: int
    first_line: int


def _key_value(constructor: yaml.constructor.SafeConstructor, node: yaml.Node) -> object:
    """What a key means once constructed (`1` and `0x1` are the same key), or the node itself."""
    if not isinstance(node, yaml.ScalarNode):
        return node
    try:
        value = constructor.construct_object(node, deep=True)
        hash(value)
    except (yaml.YAMLError, TypeError, ValueError):
        return (node.tag, node.value)
    return (type(value).__name__, value)


def duplicate_key(root: yaml.Node) -> DuplicateKey | None:
    """The first mapping key that repeats, anywhere under a composed node; None if none does.

    Merge keys (`<<: *base`) are not duplicates: keys written next to them override on purpose.
    The walk is iterative, and a node shared through aliases is visited once.
    """
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    pending: list[yaml.Node] = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[object, yaml.Node] = {}
            for key, value in node.value:
                pending.extend((key, value))
                if key.tag == "tag:yaml.org,2002:merge":
                    continue
                meaning = _key_value(constructor, key)
                if meaning in first:
                    return DuplicateKey(
                        key=str(key.value) if isinstance(key, yaml.ScalarNode) else "?",
                        line=key.start_mark.line + 1,
                        first_line=first[meaning].start_mark.line + 1,
                    )
                first[meaning] = key
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return None


def _refuse_duplicate(root: yaml.Node) -> None:
    if found := duplicate_key(root):
        raise Refused(
            f"duplicate key {found.key!r}",
            line=found.line,
            detail=f"first at line {found.first_line}",
        )


def load_yaml(text: str, limits: Limits = DEFAULT_LIMITS, *, reason: str = "not valid YAML") -> Any:
    """The one document in YAML `text` (None when empty), checked as the module says."""
    check_yaml(text, limits, reason=reason)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_duplicate(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_refused(exc, reason) from None
    finally:
        loader.dispose()


def load_answers(text: str, where: str) -> dict[str, Any]:
    """A copier answers file's text (`where`: its path or address, for the message) as its
    answers; `UsageError` for one that does not parse or is not a mapping."""
    from scaffolder.errors import UsageError

    try:
        data = load_yaml(text)
    except Refused as exc:
        raise UsageError(f"{where}: {exc.describe()}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{where} does not hold answers (a mapping)")
    return {str(k): v for k, v in data.items()}


#: A JSON string (unrolled, so long strings do not backtrack), optionally a key's colon, or a
#: bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|[\[\]{}]', re.DOTALL)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def check_json(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse JSON nested too deep (before `json.loads` recurses) or with a repeated key."""
    #: Per open object, its keys and the index of each; None for an array.
    open_: list[dict[str, int] | None] = []
    for match in _JSON_TOKEN.finditer(text):
        piece = match.group()
        if piece in ("{", "["):
            if len(open_) >= limits.max_depth:
                raise Refused(
                    f"nested deeper than {limits.max_depth} levels",
                    line=_line_of(text, match.start()),
                )
            open_.append({} if piece == "{" else None)
        elif piece in ("}", "]"):
            if open_:
                open_.pop()
        elif match.group(1) and open_ and (keys := open_[-1]) is not None:
            try:
                key = json.loads(piece[: -len(match.group(1))])
            except ValueError:
                continue  # json.loads below reports the broken string
            if key in keys:
                raise Refused(
                    f"duplicate key {key!r}",
                    line=_line_of(text, match.start()),
                    detail=f"first at line {_line_of(text, keys[key])}",
                )
            keys[key] = match.start()


def load_json(text: str, limits: Limits = DEFAULT_LIMITS, *, reason: str = "not valid JSON") -> Any:
    check_json(text, limits)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(reason, line=exc.lineno, detail=exc.msg) from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise Refused(reason, detail=str(exc)) from None


def parse(text: str, *, json_first: bool, limits: Limits = DEFAULT_LIMITS) -> Any:
    """JSON when `json_first` (a `.json` file), JSON-looking text as JSON then YAML, else YAML."""
    if json_first:
        return load_json(text, limits)
    if text.lstrip().startswith("{"):
        try:
            return load_json(text, limits)
        except Refused as exc:
            if not exc.reason.startswith("not valid JSON"):
                raise  # too deep, or a duplicate key: YAML would not do better
    return load_yaml(text, limits, reason="not valid YAML or JSON")


def load(
    path: Path,
    *,
    what: str = "data file",
    hint: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """The data in a YAML or JSON file, or DataFileError naming the file and what is wrong."""
    try:
        text = decode(read_bytes(path, max_bytes=limits.max_bytes))
        return parse(text, json_first=path.suffix.lower() == ".json", limits=limits)
    except FileNotFoundError as exc:
        raise DataFileError(f"{what} {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise DataFileError(f"{what} {path} is a folder, not a file") from exc
    except OSError as exc:
        raise DataFileError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except Refused as exc:
        raise DataFileError(f"{what} {path}: {exc.describe()}", hint=hint) from None
