"""A template's `copier.yml` as copier merges it, with the file and line of every key.

copier reads `copier.yml` (or `copier.yaml`) as a stream of YAML documents; a document that is
`!include PATTERN` stands for the documents of the files the glob matches inside the template's
folder (recursively). A key in a later document replaces the same key of an earlier one
(`_exclude`, `_jinja_extensions`, `_secret_questions` and `_skip_if_exists` are concatenated
instead). This module reads the same way, with PyYAML's composer, so a lint finding can name
the file and line a key was written at. Only reading: nothing here renders Jinja.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from scaffolder.datafiles import FastSafeLoader
from scaffolder.errors import TemplateError

CONFIG_NAMES = ("copier.yml", "copier.yaml")
#: Options copier concatenates over the documents rather than replacing.
CONCATENATED = ("_exclude", "_jinja_extensions", "_secret_questions", "_skip_if_exists")


class _Loader(FastSafeLoader):
    """Builds plain data; copier's tags inside a value (rare) become None."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class Entry:
    """One top-level key of one document."""

    key: str
    value: Any
    node: yaml.Node
    file: Path
    line: int

    def line_of(self, *path: str) -> int:
        """The line of a nested key (`validator`, or `languages` of `_scaffolder`), or the
        entry's own line when it is not there."""
        node, line = self.node, self.line
        for part in path:
            if not isinstance(node, yaml.MappingNode):
                return line
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    node, line = value_node, key_node.start_mark.line + 1
                    break
            else:
                return line
        return line


@dataclass(frozen=True)
class ConfigProblem:
    message: str
    file: Path
    line: int | None


@dataclass(frozen=True)
class TemplateConfig:
    root: Path
    path: Path
    #: Every top-level entry of every document, in copier's order.
    entries: tuple[Entry, ...]
    #: Includes that match nothing or reach outside the folder.
    problems: tuple[ConfigProblem, ...]
    #: The `!include` documents of `copier.yml` itself: (pattern, line).
    includes: tuple[tuple[str, int], ...]

    def get(self, key: str) -> Entry | None:
        """The entry copier uses for `key`: the last one written."""
        found = [e for e in self.entries if e.key == key]
        return found[-1] if found else None

    def all(self, key: str) -> list[Entry]:
        return [e for e in self.entries if e.key == key]

    @property
    def questions(self) -> dict[str, Entry]:
        merged: dict[str, Entry] = {}
        for e in self.entries:
            if not e.key.startswith("_"):
                merged[e.key] = e
        return merged


def find_config(root: Path) -> Path | None:
    found = [root / name for name in CONFIG_NAMES if (root / name).is_file()]
    return found[0] if len(found) == 1 else None


def read(root: Path) -> TemplateConfig:
    """Read the template at `root`; a missing or unparsable copier.yml is `TemplateError`."""
    present = [root / name for name in CONFIG_NAMES if (root / name).is_file()]
    if not present:
        raise TemplateError(
            f"{root} has no copier.yml",
            hint="give the folder of a copier template (scaffolder template init DIR makes one)",
        )
    if len(present) > 1:
        raise TemplateError(
            f"{root} has both copier.yml and copier.yaml; copier refuses that",
            hint="keep one of them",
        )
    path = present[0]
    entries: list[Entry] = []
    problems: list[ConfigProblem] = []
    includes: list[tuple[str, int]] = []
    for node, file in _documents(path, root.resolve(), problems, depth=0):
        if file == path and _is_include(node):
            includes.append((str(node.value), node.start_mark.line + 1))
            continue
        if not isinstance(node, yaml.MappingNode):
            problems.append(ConfigProblem("a document that is not a mapping", file, _line(node)))
            continue
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            entries.append(
                Entry(key, _construct(value_node, file), value_node, file, _line(key_node) or 1)
            )
    return TemplateConfig(root, path, tuple(entries), tuple(problems), tuple(includes))


def _line(node: yaml.Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark else None


def _is_include(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "!include"


def _compose(file: Path) -> list[yaml.Node]:
    try:
        # _Loader is a SafeLoader: composing builds nodes only.
        return [n for n in yaml.compose_all(file.read_bytes(), Loader=_Loader) if n is not None]
    except OSError as exc:
        raise TemplateError(f"cannot read {file}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise TemplateError(
            f"{file}{at} is not valid YAML: {problem}", hint="fix the YAML; copier cannot read it"
        ) from exc


def _documents(
    file: Path, root: Path, problems: list[ConfigProblem], *, depth: int
) -> Iterator[tuple[yaml.Node, Path]]:
    for node in _compose(file):
        if not _is_include(node):
            yield node, file
            continue
        yield node, file  # the include itself (its line), then what it stands for
        if depth > 8:
            problems.append(ConfigProblem("includes nest deeper than 8", file, _line(node)))
            continue
        pattern = str(node.value)
        if PurePosixPath(pattern).is_absolute():
            problems.append(ConfigProblem(f"!include {pattern} is absolute", file, _line(node)))
            continue
        matches = sorted(root.glob(pattern))
        if not matches:
            problems.append(ConfigProblem(f"!include {pattern} matches no file", file, _line(node)))
        for match in matches:
            if not match.resolve().is_relative_to(root):
                problems.append(
                    ConfigProblem(
                        f"!include {pattern} reaches outside the template", file, _line(node)
                    )
                )
                continue
            for inner, where in _documents(match, root, problems, depth=depth + 1):
                if not _is_include(inner):
                    yield inner, where


def _construct(node: yaml.Node, file: Path) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{file}:{_line(node)} cannot be read: {exc}") from exc
    finally:
        loader.dispose()
