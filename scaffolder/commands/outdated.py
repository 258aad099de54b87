"""`scaffolder outdated`: which repositories of the catalog are behind their template or baseline.

For every selected Component (the fleet loop, `scaffolder/fleet.py`), what made it against the
newest available, each layer compared with `packaging.version`:

* **Where it is read.** A component whose entity file sits in a local folder holding
  `.copier-answers.yml` is read there; otherwise one on GitHub (`github.com/project-slug`, its
  source location or the URL its entity was read from) is read through the contents API
  (`github/contents.py`: the token rules, cache and ETags of `catalog`). No answers file, a
  404 or an answers file that is not YAML: that repository could not be read (exit 3).
* **What made it** (the recorded version of each layer), first found wins:
  - template: `_scaffolder_template_version` in `.copier-answers.yml`; `_commit` when it is a
    PEP 440 version (copier records the tag of a git-hosted template); the initial commit's
    message (`Project.template_version`); for a repository on GitHub, its catalog-info.yaml's
    `scaffolder.io/template-version` label;
  - baseline (only when `.copier-answers.baseline.yml` exists: a template may opt out):
    `_scaffolder_baseline_version` in either answers file; `_commit` of the baseline's answers
    when a PEP 440 version; for a local folder, the newest `Scaffolder-Baseline:` trailer in its
    history (`new` writes it in the initial commit). A baseline whose version is recorded
    nowhere predates recording and counts as behind (its first `scaffolder update` records it).
* **The newest.** A built-in template and the baseline: the version this scaffolder ships (its
  `copier.yml`, listed in `templates/versions.json`). A git-hosted template (`_commit`
  recorded): its newest PEP 440 release tag (`render/git_source.py`). A template folder: the
  version its `copier.yml` says now. Each source is looked up once per run.

Exit 1 when any repository is behind, 0 when all are current, 3 when some could not be read
(3 wins over 1), 70 for a bug: the fleet table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from scaffolder import fleet
from scaffolder.datafiles import load_answers
from scaffolder.errors import ExitCode, ScaffolderError, UsageError
from scaffolder.progress import SILENT, Progress
from scaffolder.project import (
    BASELINE_VERSION_KEY,
    TEMPLATE_VERSION_KEY,
    newest_baseline_trailer,
)

if TYPE_CHECKING:
    from scaffolder.github.contents import GitHubFetcher

TEMPLATE_ANSWERS = ".copier-answers.yml"
BASELINE_ANSWERS = ".copier-answers.baseline.yml"
_TEMPLATE_LABEL = "scaffolder.io/template-version"
_BUILTIN_PARENTS = ("templates", "_templates")


@dataclass(frozen=True)
class OutdatedOptions:
    selection: fleet.Selection = field(default_factory=fleet.Selection)


@dataclass(frozen=True)
class LayerVersions:
    """One layer of one repository: what made it, and the newest."""

    name: str
    recorded: str | None
    newest: str

    @property
    def behind(self) -> bool:
        if self.recorded is None:
            return True
        return _version(self.recorded) < _version(self.newest)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recorded": self.recorded,
            "newest": self.newest,
            "behind": self.behind,
        }


@dataclass(frozen=True)
class OutdatedResult:
    run: fleet.FleetRun
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return self.run.exit_code

    def to_json(self) -> dict[str, Any]:
        data = self.run.to_json()
        counts = data.pop("counts")
        data["counts"] = {
            "current": counts["ok"],
            "behind": counts["finding"],
            "failed": counts["failed"],
        }
        return data


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise UsageError(f"{text!r} is not a PEP 440 version") from exc


def _pep440(value: object) -> str | None:
    if value is None or value == "":
        return None
    try:
        return str(Version(str(value)))  # normalised: the tag v1.0.0 is 1.0.0
    except InvalidVersion:
        return None


# -- what made it ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    """What a repository's files say made it."""

    template_answers: Mapping[str, Any]
    baseline_answers: Mapping[str, Any] | None
    #: Where it was read: a folder or `OWNER/REPO`.
    where: str
    #: The template version the history or catalog entity names, looked up when needed.
    template_fallback: Callable[[], str | None]
    baseline_fallback: Callable[[], str | None]

    @property
    def source(self) -> str:
        return str(self.template_answers.get("_src_path") or "")

    def template_version(self) -> str | None:
        answers = self.template_answers
        return (
            _pep440(answers.get(TEMPLATE_VERSION_KEY))
            or _pep440(answers.get("_commit"))
            or _pep440(self.template_fallback())
        )

    def baseline_version(self) -> str | None:
        baseline = self.baseline_answers or {}
        return (
            _pep440(baseline.get(BASELINE_VERSION_KEY))
            or _pep440(self.template_answers.get(BASELINE_VERSION_KEY))
            or _pep440(baseline.get("_commit"))
            or _pep440(self.baseline_fallback())
        )


def read_local(folder: Path) -> Recorded:
    from scaffolder.project import Project

    project = Project.load(folder)  # refuses a folder scaffolder did not make
    template_text = (project.path / TEMPLATE_ANSWERS).read_text(encoding="utf-8", errors="replace")
    baseline_file = project.path / BASELINE_ANSWERS
    baseline = None
    if baseline_file.is_file():
        text = baseline_file.read_text(encoding="utf-8", errors="replace")
        baseline = load_answers(text, str(baseline_file))
    return Recorded(
        template_answers=load_answers(template_text, str(project.path / TEMPLATE_ANSWERS)),
        baseline_answers=baseline,
        where=str(project.path),
        template_fallback=lambda: project.template_version or None,
        baseline_fallback=lambda: newest_baseline_trailer(project.path),
    )


def _label(text: str) -> str | None:
    from scaffolder.datafiles import Refused, load_yaml

    try:
        doc = load_yaml(text.split("\n---", 1)[0])
    except Refused:
        return None
    labels = doc.get("metadata", {}).get("labels") if isinstance(doc, dict) else None
    return str(labels.get(_TEMPLATE_LABEL) or "") or None if isinstance(labels, dict) else None


def read_github(fetcher: GitHubFetcher, slug: str) -> Recorded:
    from scaffolder.github.contents import FileAddress

    owner, repo = slug.split("/", 1)

    def read(path: str) -> str | None:
        found = fetcher.get_file(FileAddress(owner, repo, path, None))
        return found.text if found is not None else None

    template_text = read(TEMPLATE_ANSWERS)
    if template_text is None:
        raise UsageError(
            f"{slug} has no {TEMPLATE_ANSWERS} on its default branch (or the repository does "
            "not exist): not created by scaffolder, or not readable with this token"
        )
    baseline_text = read(BASELINE_ANSWERS)
    baseline = (
        None if baseline_text is None else load_answers(baseline_text, f"{slug}:{BASELINE_ANSWERS}")
    )

    def label() -> str | None:
        text = read("catalog-info.yaml")
        return _label(text) if text else None

    return Recorded(
        template_answers=load_answers(template_text, f"{slug}:{TEMPLATE_ANSWERS}"),
        baseline_answers=baseline,
        where=slug,
        template_fallback=label,
        baseline_fallback=lambda: None,
    )


# -- the newest --------------------------------------------------------------------------------
class Newest:
    """The newest version of each template source, looked up once per run (thread-safe)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[str, str] | ScaffolderError] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def baseline(self) -> str:
        from scaffolder.render.registry import baseline_layer

        return self._once("\0baseline", lambda: ("_baseline", baseline_layer().version))[1]

    def template(self, recorded: Recorded) -> tuple[str, str]:
        """(name, newest version) of the template that made the repository."""
        source = recorded.source
        if not source:
            raise UsageError(f"{recorded.where}: {TEMPLATE_ANSWERS} names no template (_src_path)")
        git_hosted = bool(recorded.template_answers.get("_commit"))
        return self._once(source, lambda: _newest_template(source, git_hosted=git_hosted))

    def _once(self, key: str, look_up: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._known:
                try:
                    self._known[key] = look_up()
                except ScaffolderError as exc:
                    self._known[key] = exc
            known = self._known[key]
        if isinstance(known, ScaffolderError):
            raise known
        return known


def _newest_template(source: str, *, git_hosted: bool) -> tuple[str, str]:
    from scaffolder.render import git_source
    from scaffolder.render.registry import builtin_names, resolve_template

    if git_hosted:
        with git_source.Repository(source.removeprefix("git+")) as repo:
            release = repo.newest_release()
        name = source.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        return name, release.version
    path = Path(source)
    if path.parent.name in _BUILTIN_PARENTS and path.name in builtin_names():
        # A built-in template, wherever the scaffolder that made it was installed.
        return path.name, resolve_template(path.name).version
    if path.is_dir():
        info = resolve_template(str(path))
        if not info.version:
            raise UsageError(f"the template {path} has no _scaffolder.version in its copier.yml")
        return info.name, info.version
    raise UsageError(
        f"the template {source} is not a built-in one, a git repository or a folder that exists"
    )


# -- the unit ----------------------------------------------------------------------------------
class _Outdated:
    def __init__(self) -> None:
        from scaffolder.catalog.sources import Reader

        self.newest = Newest()
        #: The GitHub fetcher, made on first use and shared by the threads (as `catalog`'s).
        self._reader = Reader()

    def fetcher(self) -> GitHubFetcher:
        return self._reader.fetcher()

    def close(self) -> None:
        self._reader.close()

    def read(self, component: fleet.Component) -> Recorded:
        folder = component.folder
        if folder is not None and (folder / TEMPLATE_ANSWERS).is_file():
            return read_local(folder)
        if component.github:
            return read_github(self.fetcher(), component.github)
        where = (
            f"{folder} has no {TEMPLATE_ANSWERS}" if folder else "its entity names no repository"
        )
        raise UsageError(f"cannot tell what made {component.ref}: {where}")

    def __call__(self, component: fleet.Component) -> fleet.Outcome:
        recorded = self.read(component)
        name, newest = self.newest.template(recorded)
        template = LayerVersions(name, recorded.template_version(), newest)
        baseline = None
        if recorded.baseline_answers is not None:
            baseline = LayerVersions(
                "_baseline", recorded.baseline_version(), self.newest.baseline()
            )
        detail = {
            "read_from": recorded.where,
            "template": template.to_json(),
            "baseline": baseline.to_json() if baseline else None,
        }
        behind = [layer for layer in (template, baseline) if layer is not None and layer.behind]
        if not behind:
            return fleet.ok(**detail)
        reason = ", ".join(_describe(layer) for layer in behind)
        return fleet.finding(reason, **detail)


def _describe(layer: LayerVersions) -> str:
    what = "baseline" if layer.name == "_baseline" else f"template {layer.name}"
    recorded = layer.recorded or "unrecorded"
    return f"{what} {recorded} -> {layer.newest}"


def run(options: OutdatedOptions, progress: Progress = SILENT) -> OutdatedResult:
    """Reads only; writes nothing (but the contents cache). Behind is a result (exit 1)."""
    unit = _Outdated()
    try:
        result = fleet.run(options.selection, unit, progress, what="outdated")
    finally:
        unit.close()
    return OutdatedResult(result)
