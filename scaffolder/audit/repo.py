"""A read-only view of a local repository, as the baseline's checks need it.

Nothing here judges; it finds and parses: the languages (from their manifests, as the
baseline's language table lists them, and from what a scaffolder-made catalog-info.yaml
declares), the workflows (parsed as YAML, with each `uses:` line's trailing comment kept), and
the well-known files (SECURITY.md, CODEOWNERS, LICENSE, ...) wherever GitHub looks for them. It
reads any repository, not only those scaffolder made, so that old repositories can be audited
too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from scaffolder.baseline.languages import Language, LanguageTable

#: The label scaffolder puts on the Components it makes; their tags are the languages.
TEMPLATE_LABEL = "scaffolder.io/template"
#: The baseline layer's answers file.
BASELINE_ANSWERS = ".copier-answers.baseline.yml"
#: Where GitHub looks for SECURITY.md and CODEOWNERS, in its order.
COMMUNITY_DIRS = (".github", "", "docs")

_USES_LINE = re.compile(r"""^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$""")
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def find_file(root: Path, names: Sequence[str], dirs: Sequence[str] = ("",)) -> Path | None:
    """The first of `names` (case-insensitive) in `dirs` under `root`."""
    for folder in dirs:
        base = root / folder if folder else root
        if not base.is_dir():
            continue
        entries = {p.name.lower(): p for p in base.iterdir() if p.is_file()}
        for name in names:
            if (hit := entries.get(name.lower())) is not None:
                return hit
    return None


def normal_action(action: str) -> str:
    """`owner/repo[/path]` with owner/repo lowercased (the path is case-sensitive)."""
    if action.startswith(("./", "docker://")):
        return action
    owner, _, rest = action.partition("/")
    repo, sep, path = rest.partition("/")
    return f"{owner.lower()}/{repo.lower()}{sep}{path}" if rest else action.lower()


#: Folders no audit walks into: git's own, and installed dependencies.
_SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__"}
#: How many files the walk looks at, at most: an audit stays fast on any tree.
MAX_FILES = 50_000


def walk_files(root: Path) -> list[str]:
    """Every file under `root` as a relative POSIX path, sorted; skipping `_SKIPPED_DIRS` and
    virtualenvs, following no symlinked folder, and stopping at `MAX_FILES`."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if d not in _SKIPPED_DIRS and not (base / d / "pyvenv.cfg").is_file()
        )
        rel = base.relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found += [prefix + name for name in files]
        if len(found) >= MAX_FILES:
            break
    return sorted(found[:MAX_FILES])


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _substitute_matrix(text: str, row: Mapping[str, Any]) -> str:
    """`${{ matrix.x }}` replaced by the row's value (left as is when the row has none)."""

    def value(m: re.Match[str]) -> str:
        return str(row.get(m.group(1), m.group(0)))

    return _MATRIX_REF.sub(value, text)


@dataclass(frozen=True)
class Step:
    job: str
    index: int
    data: Mapping[str, Any]

    @property
    def uses(self) -> str:
        value = self.data.get("uses")
        return value if isinstance(value, str) else ""

    @property
    def action(self) -> str:
        """`owner/repo[/path]` without the ref, owner/repo in lowercase: GitHub reads them
        case-insensitively, so `Actions/Checkout` is actions/checkout to every rule."""
        return normal_action(self.uses.partition("@")[0])

    @property
    def with_(self) -> Mapping[str, Any]:
        value = self.data.get("with")
        return value if isinstance(value, Mapping) else {}

    @property
    def run(self) -> str:
        value = self.data.get("run")
        return value if isinstance(value, str) else ""

    @property
    def label(self) -> str:
        name = self.data.get("name")
        return (
            f"job {self.job!r} step {name!r}" if name else f"job {self.job!r} step {self.index + 1}"
        )


@dataclass(frozen=True)
class Job:
    id: str
    data: Mapping[str, Any]

    @property
    def steps(self) -> list[Step]:
        steps = self.data.get("steps")
        if not isinstance(steps, list):
            return []
        return [Step(self.id, i, s) for i, s in enumerate(steps) if isinstance(s, Mapping)]

    @property
    def permissions(self) -> Any:
        return self.data.get("permissions")

    def matrix_rows(self) -> list[dict[str, Any]]:
        """The matrix combinations (axes crossed, then `include` rows added); [{}] without one."""
        strategy = self.data.get("strategy")
        matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else None
        if not isinstance(matrix, Mapping):
            return [{}]
        axes = {
            k: v
            for k, v in matrix.items()
            if k not in ("include", "exclude") and isinstance(v, list)
        }
        rows: list[dict[str, Any]] = (
            [dict(zip(axes, combo, strict=True)) for combo in product(*axes.values())]
            if axes
            else []
        )
        includes = matrix.get("include")
        if isinstance(includes, list):
            rows += [{str(k): v for k, v in i.items()} for i in includes if isinstance(i, Mapping)]
        return rows or [{}]

    def check_names(self) -> list[str]:
        """The status check names GitHub reports for this job, one per matrix row.

        A name that uses `${{ matrix.x }}` is rendered per row; any other name of a matrix job
        gets the row's values appended, as GitHub does: `test (3.12, ubuntu-latest)`.
        """
        name = self.data.get("name")
        template = name if isinstance(name, str) else self.id
        rows = [row for row in self.matrix_rows() if row]
        if not rows:
            return [template]
        names: list[str] = []
        for row in rows:
            if "${{" in template:
                rendered = _substitute_matrix(template, row)
            else:
                rendered = f"{template} ({', '.join(_flat(v) for v in row.values())})"
            if rendered not in names:
                names.append(rendered)
        return names


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(_flat(v) for v in value.values())
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(frozen=True)
class UsesLine:
    line: int
    ref: str
    comment: str


@dataclass(frozen=True)
class Workflow:
    path: Path
    relpath: str
    text: str
    data: Mapping[str, Any] | None
    error: str = ""

    @property
    def triggers(self) -> set[str]:
        if self.data is None:
            return set()
        # YAML 1.1 reads the key `on` as the boolean True.
        on = self.data.get("on", self.data.get(True))  # type: ignore[call-overload]  # PyYAML's `on` key is True
        if isinstance(on, str):
            return {on}
        if isinstance(on, list):
            return {str(x) for x in on}
        if isinstance(on, Mapping):
            return {str(k) for k in on}
        return set()

    @property
    def jobs(self) -> list[Job]:
        jobs = self.data.get("jobs") if self.data else None
        if not isinstance(jobs, Mapping):
            return []
        return [Job(str(k), v) for k, v in jobs.items() if isinstance(v, Mapping)]

    def steps(self) -> Iterator[Step]:
        for job in self.jobs:
            yield from job.steps

    @cached_property
    def uses_lines(self) -> list[UsesLine]:
        """Every `uses:` line as written, with its trailing comment (the pinned version)."""
        found = []
        for number, line in enumerate(self.text.splitlines(), start=1):
            if m := _USES_LINE.match(line):
                found.append(UsesLine(number, m.group(1), (m.group(2) or "").strip()))
        return found


@dataclass(frozen=True)
class ActionFile(Workflow):
    """An action definition (action.yml): a composite action's steps form one job, `runs`."""

    @property
    def jobs(self) -> list[Job]:
        runs = self.data.get("runs") if self.data else None
        if not isinstance(runs, Mapping) or not isinstance(runs.get("steps"), list):
            return []
        return [Job("runs", {"steps": runs["steps"]})]


def _parse(root: Path, path: Path, kind: type[Workflow]) -> Workflow:
    text = read_text(path)
    rel = path.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return kind(path, rel, text, None, f"{rel} is not valid YAML: {exc}")
    if not isinstance(data, Mapping):
        noun = "an action" if kind is ActionFile else "a workflow"
        return kind(path, rel, text, None, f"{rel} is not {noun} mapping")
    return kind(path, rel, text, data)


@dataclass(frozen=True)
class Repository:
    root: Path
    #: The baseline's language table: which languages exist and what each one expects.
    table: LanguageTable

    @cached_property
    def detected_languages(self) -> list[str]:
        """The table's languages whose manifests are at the top of the repository."""
        return [
            lang.name
            for lang in self.table.languages
            if any((self.root / m).is_file() for m in lang.audit.manifests)
        ]

    @cached_property
    def _scaffolder_tags(self) -> list[str] | None:
        """A scaffolder-made Component's tags (its languages); None for other repositories."""
        metadata = (self.component or {}).get("metadata")
        if not isinstance(metadata, Mapping):
            return None
        labels = metadata.get("labels")
        if not (isinstance(labels, Mapping) and labels.get(TEMPLATE_LABEL)):
            return None
        tags = metadata.get("tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else None

    @cached_property
    def declared_languages(self) -> list[str]:
        """The languages a scaffolder-made Component declares: its tags, as scaffolder wrote
        them (the languages the baseline was applied for). Other repositories declare none."""
        return self._scaffolder_tags or []

    @property
    def without_language(self) -> bool:
        """Made by scaffolder from a template without languages (`tags: []`), and no
        language's manifest found: nothing for CI to test."""
        return self._scaffolder_tags == [] and not self.detected_languages

    def missing_manifests(self) -> list[tuple[Language, tuple[str, ...]]]:
        """Declared languages none of whose manifests is at the top of the repository."""
        return [
            (lang, lang.audit.manifests)
            for lang in self.known_languages
            if lang.name in self.declared_languages
            and not any((self.root / m).is_file() for m in lang.audit.manifests)
        ]

    @cached_property
    def languages(self) -> list[str]:
        """Detected or declared: the table's in its order, then any the table does not know."""
        found = {*self.detected_languages, *self.declared_languages}
        known = [name for name in self.table.names if name in found]
        return known + [lang for lang in self.declared_languages if lang not in self.table]

    @cached_property
    def known_languages(self) -> list[Language]:
        """The languages' entries in the table."""
        return [lang for name in self.languages if (lang := self.table.get(name)) is not None]

    @cached_property
    def unknown_languages(self) -> list[str]:
        """Languages declared but missing from the table: nothing is known to check of them."""
        return [name for name in self.languages if name not in self.table]

    def unknown_note(self, what: str) -> str:
        """A note for a check's reason: the languages it could not check, and why; or "".

        `what` says what went unchecked, with `{its}` for "its" or "their".
        """
        if not (unknown := self.unknown_languages):
            return ""
        one = len(unknown) == 1
        return (
            f"{', '.join(unknown)} {'is' if one else 'are'} not in the baseline's language "
            f"table ({self.table.path.name}): {what.format(its='its' if one else 'their')} "
            "not checked"
        )

    @cached_property
    def files(self) -> list[str]:
        """Every file of the repository (see `walk_files`), relative, sorted."""
        return walk_files(self.root)

    @cached_property
    def workflows(self) -> list[Workflow]:
        """`.github/workflows/*.yml` and `*.yaml`: what GitHub runs."""
        folder = self.root / ".github" / "workflows"
        if not folder.is_dir():
            return []
        return [
            _parse(self.root, path, Workflow)
            for path in sorted(folder.iterdir())
            if path.suffix in (".yml", ".yaml") and path.is_file()
        ]

    @cached_property
    def actions(self) -> list[Workflow]:
        """The repository's own actions: every `action.yml` / `action.yaml` (composite ones
        under `.github/actions/`, or anywhere a `uses: ./path` can point)."""
        return [
            _parse(self.root, self.root / rel, ActionFile)
            for rel in self.files
            if rel.rpartition("/")[2] in ("action.yml", "action.yaml")
        ]

    def yaml_file(self, *names: str) -> tuple[Path | None, Any, str]:
        """(path, parsed data, error) for the first existing of `names` (relative paths)."""
        for name in names:
            path = self.root / name
            if path.is_file():
                try:
                    return path, yaml.safe_load(read_text(path)), ""
                except yaml.YAMLError as exc:
                    return path, None, f"{name} is not valid YAML: {exc}"
        return None, None, ""

    @cached_property
    def catalog_documents(self) -> tuple[Path | None, list[Any], str]:
        for name in ("catalog-info.yaml", "catalog-info.yml"):
            path = self.root / name
            if path.is_file():
                try:
                    return path, list(yaml.safe_load_all(read_text(path))), ""
                except yaml.YAMLError as exc:
                    return path, [], f"{name} is not valid YAML: {exc}"
        return None, [], ""

    @property
    def baseline_answers_path(self) -> Path:
        return self.root / BASELINE_ANSWERS

    @cached_property
    def baseline_answers(self) -> Mapping[str, Any]:
        """What the baseline layer recorded (`.copier-answers.baseline.yml`); {} when none."""
        path = self.baseline_answers_path
        try:
            data = yaml.safe_load(read_text(path)) if path.is_file() else None
        except (OSError, ValueError, yaml.YAMLError):
            data = None
        return data if isinstance(data, Mapping) else {}

    @cached_property
    def component(self) -> Mapping[str, Any] | None:
        """The first Component entity of catalog-info.yaml, if any."""
        for doc in self.catalog_documents[1]:
            if isinstance(doc, Mapping) and doc.get("kind") == "Component":
                return doc
        return None

    @cached_property
    def github_remote(self) -> str | None:
        """`owner/repo` of the `origin` remote when it is on github.com, read from .git/config."""
        config = read_text(self.root / ".git" / "config")
        section = ""
        for raw in config.splitlines():
            line = raw.strip()
            if line.startswith("["):
                section = line
            elif section == '[remote "origin"]' and line.startswith("url"):
                url = line.partition("=")[2].strip()
                m = re.search(r"github\.com[:/]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", url)
                if m:
                    return f"{m.group(1)}/{m.group(2)}"
        return None
