"""A project on disk, loaded once: its layers' answers, template and version, entity, origin.

`Project.load(path)` reads what scaffolder left in a project folder, without running anything
from it:

* each applied copier layer's answers file (`.copier-answers.yml` for the template,
  `.copier-answers.baseline.yml` for the security baseline), with its `_src_path`/`_commit`;
* the template, resolved by name against the known templates when it is one of them;
* the template version, from the initial commit's message ("Initial commit from the NAME
  VERSION template"), read only when asked for;
* the Component entity of `catalog-info.yaml`, and the `origin` remote, read from
  `.git/config` as text (no git process).

publish, resume, audit and update use it. `scaffolder update` also records its own
`_scaffolder_*` keys in the answers files (`AppliedLayer.own`): the template's name, source and
version, the baseline's version, languages and the standard answers it was given, so a layer
can be replayed without the initial commit's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from scaffolder.errors import ScaffolderError, UsageError
from scaffolder.render import layers
from scaffolder.render.registry import TemplateInfo, resolve_template

CATALOG_INFO = "catalog-info.yaml"
#: The answers files' keys scaffolder itself writes (`scaffolder update`; copier's are `_src_path`
#: and `_commit`): what replays a layer without the initial commit's message.
OWN_PREFIX = "_scaffolder_"
TEMPLATE_KEY = "_scaffolder_template"
TEMPLATE_SOURCE_KEY = "_scaffolder_template_source"
TEMPLATE_VERSION_KEY = "_scaffolder_template_version"
BASELINE_VERSION_KEY = "_scaffolder_baseline_version"
LANGUAGES_KEY = "_scaffolder_languages"
#: The commit trailer naming the security baseline's version a commit rendered: `new` writes it
#: in the initial commit, `outdated` and `update` read the newest one in the history.
BASELINE_TRAILER = "Scaffolder-Baseline"
_INITIAL_COMMIT = re.compile(
    r"^Initial commit from the (?P<name>\S+)(?: (?P<version>\S+))? template"
)


def is_initial_commit(message: str) -> bool:
    """Whether `message` is the one `scaffolder new` gives a project's first commit."""
    return _INITIAL_COMMIT.match(message) is not None


@dataclass(frozen=True)
class AppliedLayer:
    """One copier layer applied to the project, as its answers file records it."""

    name: str
    answers_file: str
    #: The recorded answers, without copier's own `_` keys.
    answers: Mapping[str, Any]
    source: str
    commit: str | None
    #: scaffolder's own `_scaffolder_*` records (written by `scaffolder update`): the
    #: template's name, source and version, the baseline's version and languages.
    own: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "answers_file": self.answers_file,
            "source": self.source,
            "commit": self.commit,
        }


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(
            f"cannot read {path}: {exc}", hint="restore the file from the project's history"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold answers (a mapping)")
    return {str(k): v for k, v in data.items()}


@dataclass(frozen=True)
class Project:
    path: Path
    #: The template layer first, then the baseline when it was applied.
    layers: tuple[AppliedLayer, ...]
    template: TemplateInfo
    _catalog_text: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path) -> Project:
        """The scaffolded project at `path`; UsageError when scaffolder did not create it."""
        root = path.expanduser().absolute()
        answers_file = root / layers.TEMPLATE_ANSWERS_FILE
        if not root.is_dir() or not answers_file.is_file():
            raise UsageError(
                f"{root} was not created by scaffolder (no {layers.TEMPLATE_ANSWERS_FILE})",
                hint="give the folder of a scaffolded project",
            )
        applied = []
        for name, rel in (
            ("template", layers.TEMPLATE_ANSWERS_FILE),
            ("_baseline", layers.BASELINE_ANSWERS_FILE),
        ):
            file = root / rel
            if not file.is_file():
                continue
            recorded = _read_answers(file)
            source = str(recorded.get("_src_path", ""))
            own = {k: v for k, v in recorded.items() if k.startswith(OWN_PREFIX)}
            layer_name = name
            if name == "template":
                layer_name = str(own.get(TEMPLATE_KEY) or "") or Path(source).name or name
            applied.append(
                AppliedLayer(
                    name=layer_name,
                    answers_file=rel,
                    answers={k: v for k, v in recorded.items() if not k.startswith("_")},
                    source=source,
                    commit=str(recorded["_commit"]) if recorded.get("_commit") else None,
                    own=own,
                )
            )
        template_layer = applied[0]
        try:
            info = resolve_template(template_layer.name)
        except ScaffolderError:
            info = TemplateInfo(
                name=template_layer.name or "template", source=template_layer.source, builtin=False
            )
        catalog = root / CATALOG_INFO
        text = catalog.read_text(encoding="utf-8", errors="replace") if catalog.is_file() else None
        return cls(path=root, layers=tuple(applied), template=info, _catalog_text=text)

    # -- what the layers say --------------------------------------------------------------
    @property
    def answers(self) -> dict[str, Any]:
        """Every recorded answer; the template layer's win over the baseline's."""
        merged: dict[str, Any] = {}
        for layer in reversed(self.layers):
            merged.update(layer.answers)
        return merged

    @property
    def name(self) -> str:
        return str(self.answers.get("name") or self.path.name)

    @property
    def has_baseline(self) -> bool:
        return any(layer.answers_file == layers.BASELINE_ANSWERS_FILE for layer in self.layers)

    @cached_property
    def template_version(self) -> str:
        """The version the answers file records (`scaffolder update` writes it), else the one
        the initial commit names ('' when it names none, or no commit yet)."""
        from scaffolder.vcs import git

        if recorded := str(self.layers[0].own.get(TEMPLATE_VERSION_KEY) or ""):
            return recorded
        if not git.is_repository(self.path):
            return self.template.version
        message = git.initial_commit_message(self.path)
        match = _INITIAL_COMMIT.match(message or "")
        return (match.group("version") or "") if match else ""

    @cached_property
    def template_name(self) -> str:
        """The template's name as scaffolder knew it (built-in or configured): the answers
        file's record, else the initial commit's message, else the template layer's name."""
        if recorded := str(self.layers[0].own.get(TEMPLATE_KEY) or ""):
            return recorded
        from scaffolder.vcs import git

        if git.is_repository(self.path):
            match = _INITIAL_COMMIT.match(git.initial_commit_message(self.path) or "")
            if match:
                return match.group("name")
        return self.template.name

    @cached_property
    def baseline_version(self) -> str:
        """The baseline version the answers file records, else the newest `Scaffolder-Baseline`
        trailer in the history (`new` writes one in the initial commit); '' when neither names
        one, or the project has no baseline."""
        for layer in self.layers:
            if layer.answers_file == layers.BASELINE_ANSWERS_FILE:
                return str(
                    layer.own.get(BASELINE_VERSION_KEY) or newest_baseline_trailer(self.path) or ""
                )
        return ""

    # -- what the repository says ---------------------------------------------------------
    @cached_property
    def catalog_info(self) -> Mapping[str, Any] | None:
        """The first Component entity of catalog-info.yaml, or None (absent, or unreadable)."""
        if self._catalog_text is None:
            return None
        try:
            for doc in yaml.safe_load_all(self._catalog_text):
                if isinstance(doc, Mapping) and doc.get("kind") == "Component":
                    return doc
        except yaml.YAMLError:
            return None
        return None

    @property
    def catalog_info_path(self) -> Path:
        return self.path / CATALOG_INFO

    @cached_property
    def origin(self) -> str | None:
        """The `origin` remote's URL, read from `.git/config` as text (git is not run)."""
        try:
            config = (self.path / ".git" / "config").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        section = ""
        for raw in config.splitlines():
            line = raw.strip()
            if line.startswith("["):
                section = line
            elif section == '[remote "origin"]' and line.partition("=")[0].strip() == "url":
                return line.partition("=")[2].strip() or None
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "template": self.template.name,
            "template_version": self.template_version or None,
            "layers": [layer.to_json() for layer in self.layers],
            "origin": self.origin,
        }


def newest_baseline_trailer(folder: Path) -> str | None:
    """The newest `Scaffolder-Baseline:` trailer in the history of HEAD, if any."""
    from scaffolder.vcs import git

    if not git.is_repository(folder):
        return None
    proc = git.run_git(
        ["log", "-1", "--format=%B", f"--grep=^{BASELINE_TRAILER}: ", "HEAD"],
        cwd=folder,
        check=False,
    )
    if proc.returncode != 0:
        return None
    for line in reversed(proc.stdout.splitlines()):
        key, _, value = line.partition(":")
        if key.strip() == BASELINE_TRAILER and value.strip():
            return value.strip()
    return None
