"""The only module that imports copier.

copier's public API (`run_copy`) renders; reading a template's questions and evaluating them
one by one (Jinja defaults, `when`, validators) needs its private `Template`, `Worker` and
`Question`. That is why copier is pinned to one exact version in `pyproject.toml`, and why every
copier import lives here, imported lazily so `scaffolder --help` stays fast.

copier's exceptions are translated into scaffolder's own here, and nowhere else.

Answers always travel to copier as `data`, never as `user_defaults` or settings defaults:
copier renders defaults as Jinja, but takes `data` verbatim. So a user's answer is never
evaluated as template code.

copier is imported without the libraries scaffolder's use of it never reaches (its prompt
libraries, `urllib.request` for plumbum): `render/import_stubs.py`.

Every copier call runs inside `_translate_errors`, which also switches off repository-supplied
commands for copier's git processes and raises any refusal of `render/untrusted.py`. copier's
`Worker` is subclassed (`_worker_class`) so that no layer ever writes into `.git` and an
untrusted template's Jinja environment cannot read the environment or the disk.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import threading
import types
import urllib.parse
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder import jinja_cache
from scaffolder.errors import (
    InvalidAnswerError,
    MissingAnswersError,
    ScaffolderError,
    TemplateError,
    UntrustedTemplateError,
    UsageError,
)
from scaffolder.render import import_stubs, untrusted
from scaffolder.vcs import git

if TYPE_CHECKING:
    from copier._main import Worker


@dataclass(frozen=True)
class QuestionSpec:
    """One question of a template as written in its `copier.yml`, before any evaluation."""

    name: str
    type: str
    help: str
    default: Any
    choices: Any
    multiselect: bool
    secret: bool
    placeholder: str
    when: Any
    validator: str
    has_default: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "help": self.help,
            "default": self.default if self.has_default else None,
            "choices": self.choices or None,
            "multiselect": self.multiselect,
            "secret": self.secret,
            "required": not self.has_default,
            "conditional": self.when is not True,
        }


@dataclass(frozen=True)
class TemplateConfig:
    """What scaffolder reads from a template's `copier.yml`."""

    path: Path
    questions: tuple[QuestionSpec, ...]
    #: The `_scaffolder:` block: title, description, version, languages, ...
    metadata: Mapping[str, Any]
    uses_unsafe_features: bool


_MISSING = object()


def _question_spec(name: str, details: Mapping[str, Any]) -> QuestionSpec:
    default = details.get("default", _MISSING)
    qtype = details.get("type") or (
        {bool: "bool", int: "int", float: "float", str: "str"}.get(type(default), "yaml")
        if default is not _MISSING
        else "str"
    )
    return QuestionSpec(
        name=name,
        type=str(qtype),
        help=str(details.get("help", "")),
        default=None if default is _MISSING else default,
        choices=details.get("choices") or [],
        multiselect=bool(details.get("multiselect", False)),
        secret=bool(details.get("secret", False)),
        placeholder=str(details.get("placeholder", "")),
        when=details.get("when", True),
        validator=str(details.get("validator", "")),
        has_default=default is not _MISSING,
    )


def _display(src: str) -> str:
    """`src` fit for a message: a URL without any user or password in it."""
    parts = urllib.parse.urlsplit(src)
    if parts.scheme and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return src


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


_source_config: dict[str, list[tuple[str, str]]] = {}


def _source_overrides(src: str) -> list[tuple[str, str]]:
    """Extra git config for copier's calls in a local template repository: its filter drivers,
    emptied (its hooks and fsmonitor are covered by `git.SAFE_CONFIG`)."""
    if src not in _source_config:
        path = Path(src)
        local = not urllib.parse.urlsplit(src).scheme and (path / ".git").exists()
        _source_config[src] = git.filter_overrides(path) if local else []
    return _source_config[src]


@functools.cache
def _import_copier() -> None:
    """Import copier, once, without the libraries it never uses here (`import_stubs`).

    Every function below that touches copier calls this first.
    """
    # copier's, pydantic's and Jinja's objects live as long as the process: no collection
    # while they are made (each would walk every object made so far), and none over them after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with import_stubs.stubbed():
            import copier._main  # imported for its effect
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    import copier._template
    import yaml

    if hasattr(yaml, "CSafeLoader"):
        # copier reads copier.yml with a subclass of `yaml.SafeLoader`, in pure Python; the same
        # loader over libyaml builds the same data (and the same `!include`s) several times
        # faster. Only copier's template loading sees this `yaml`.
        fast = types.ModuleType("yaml", "PyYAML, with SafeLoader over libyaml (copier_adapter)")
        fast.__dict__.update(vars(yaml))
        fast.SafeLoader = yaml.CSafeLoader  # type: ignore[attr-defined]
        copier._template.yaml = fast  # type: ignore[attr-defined]


@contextlib.contextmanager
def _translate_errors(template: str) -> Iterator[None]:
    """Map copier's exceptions onto scaffolder's tree: the one boundary for copier.

    Inside, copier's git runs with repository-supplied commands off, and a refused filter is
    raised even when copier caught it (it rewords errors in validators).
    """
    _import_copier()
    from plumbum import local

    with (
        untrusted.collect_refusals() as refused,
        untrusted.hardened_git(_source_overrides(template)),
        # plumbum (copier's git) keeps its own copy of the environment, taken at import.
        local.env(**os.environ),
    ):
        try:
            yield
        except ScaffolderError as exc:
            if refused and exc is not refused[0]:
                raise refused[0] from exc
            raise
        except Exception as exc:
            if refused:
                raise refused[0] from exc
            translated = _translated(_display(template), exc)
            if translated is exc:
                raise
            raise translated from exc
        if refused:
            raise refused[0]


def _translated(template: str, exc: Exception) -> Exception:
    """scaffolder's error for one of copier's (or Jinja's, or plumbum's); others unchanged."""
    from copier import errors as cerr
    from jinja2 import exceptions as jerr
    from plumbum import ProcessExecutionError

    if isinstance(exc, cerr.UnsafeTemplateError):
        return UntrustedTemplateError(
            f"template {template} uses unsafe features ({exc})",
            hint="read the template's tasks, migrations and extensions; if you trust them, "
            "pass --trust",
        )
    if isinstance(exc, cerr.InteractiveSessionError):
        return UsageError(
            "answers are missing and there is no terminal to ask them",
            hint="pass --defaults, --set KEY=VALUE or --data-file FILE",
        )
    broken = cerr.ConfigFileError | cerr.InvalidConfigFileError | cerr.ForbiddenPathError
    if isinstance(exc, broken):
        return TemplateError(
            f"template {template} is broken: {_one_line(exc)}",
            hint="fix its copier.yml, or report it to the template's authors",
        )
    if isinstance(exc, cerr.CopierError):
        return TemplateError(f"copier failed on template {template}: {_one_line(exc)}")
    if isinstance(exc, jerr.SecurityError):
        return TemplateError(
            f"template {template} tried something the Jinja sandbox forbids: {_one_line(exc)}",
            hint="the template is broken or hostile; report it to its authors",
        )
    if isinstance(exc, OverflowError) and "sandbox" in str(exc):
        return TemplateError(
            f"template {template} goes over a sandbox limit: {_one_line(exc)}",
            hint="the template is broken or hostile; report it to its authors",
        )
    if isinstance(exc, jerr.TemplateNotFound):
        return TemplateError(
            f"template {template} includes {exc.name!r}, which is not one of its files",
            hint="a template can include only its own files; report it to its authors",
        )
    if isinstance(exc, jerr.TemplateError):
        return TemplateError(
            f"template {template} failed to render: {_one_line(exc)}",
            hint="fix the template, or report it to its authors",
        )
    if isinstance(exc, ProcessExecutionError):
        stderr = exc.stderr
        if isinstance(stderr, bytes):
            stderr = stderr.decode(errors="replace")
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = next((ln for ln in reversed(lines) if ln.startswith("fatal:")), "") or (
            lines[-1] if lines else f"git exited with {exc.retcode}"
        )
        return TemplateError(
            f"cannot fetch template {template}: {_display(reason)}",
            hint="check the URL, that the repository exists and has a commit, and your network; "
            "a local template can be given as a path",
        )
    if isinstance(exc, OSError):
        # The file system refused: no permission, a full disk, a dangling symlink as --output.
        path = Path(str(exc.filename)) if exc.filename else None
        why = exc.strerror or str(exc)
        if path and path.is_symlink() and not path.exists():
            why = f"it is a symlink to {path.readlink()}, which does not exist"
        return UsageError(
            f"file system error at {path}: {why}"
            if path
            else f"file system error while rendering {template}: {why}",
            hint="give an --output you can write to, on a disk with free space",
        )
    if isinstance(exc, ValueError):
        # copier raises bare ValueError for failed validators and missing answers.
        return InvalidAnswerError([("answers", str(exc))])
    return exc


def _settings() -> Any:
    _import_copier()
    from copier._settings import SettingsModel

    # The user's copier settings may carry defaults rendered as Jinja; scaffolder ignores
    # them, so results do not depend on a file the user may not know about.
    return SettingsModel()


_templates: dict[tuple[str, int, str | None], Any] = {}
_templates_lock = threading.Lock()
#: Jinja environments by (id of the Template, whether it is trusted).
_environments: dict[tuple[int, bool], Any] = {}


def _template(src: str) -> Any:
    """copier's `Template` for `src`, built once per process.

    Building one is not free: for a local folder copier runs git three times to learn whether
    it is a repository or a bundle, and a git URL is cloned. A scaffold needs each template
    several times (questions, then rendering), so they are kept, keyed by the modification
    time of the folder's `copier.yml` so an edited template is read again. Clones are removed
    at exit by `release_templates`.
    """
    _import_copier()
    from copier._template import Template

    path = Path(src)
    stamp = max(
        (p.stat().st_mtime_ns for p in (path / "copier.yml", path / "copier.yaml") if p.exists()),
        default=0,
    )
    # A git source pinned to a tag, branch or commit (`registry.PinnedSource`); else copier
    # takes the newest release tag.
    ref: str | None = getattr(src, "vcs_ref", None)
    with _templates_lock:
        template = _templates.get((src, stamp, ref))
        if template is None:
            template = Template(url=str(src), ref=ref)
            if path.is_dir() and not (path / ".git").exists():
                # A plain folder (a bundle is a file), not a repository root: what copier learns
                # from three git processes. (Inside a repository, copier also uses the folder.)
                template.__dict__["vcs"] = None
            try:
                # Fetch it now (a clone, for git), so a bad source fails here, as a source error.
                template.local_abspath  # noqa: B018 -- a cached property, read for its effect
            except ValueError as exc:
                template._cleanup()
                raise TemplateError(
                    f"template {_display(src)} cannot be used: {_one_line(exc)}",
                    hint="give a template folder, a git repository or a git URL",
                ) from exc
            except BaseException:
                template._cleanup()
                raise
            _templates[(src, stamp, ref)] = template
        return template


@atexit.register
def release_templates() -> None:
    """Remove the temporary clones of git templates."""
    with _templates_lock, untrusted.hardened_git():
        for template in _templates.values():
            with contextlib.suppress(Exception):
                template._cleanup()
        _templates.clear()
        _environments.clear()


@functools.cache
def _worker_class() -> type[Worker]:
    """copier's `Worker`, guarded: what any copier operation (copy, update, their inner
    Workers, which copier makes with `dataclasses.replace`) renders through it.

    - No path whose name, or whose resolved location, is in a `.git` is ever written, and no
      symlink into one is left: copier drops its own `.git` exclude when a template sets
      `_subdirectory`, and a symlink could lead into the project's `.git` in a re-render.
    - Without trust (`unsafe=False`), the Jinja filters that read the environment or the disk
      refuse (`untrusted.restrict_filters`).
    """
    from functools import cached_property

    _import_copier()
    from copier._main import Worker

    # A plain subclass: it adds no field, so Worker's own pydantic validation (`extra="forbid"`)
    # and dataclass fields serve it as they are, instead of a second schema built for it.
    class GuardedWorker(Worker):
        @cached_property
        def jinja_env(self) -> Any:
            env = Worker.jinja_env.func(self)  # type: ignore[attr-defined]  # a cached_property
            if not self.unsafe:
                untrusted.restrict_filters(env, _display(str(self.src_path)))
            return env

        @cached_property
        def match_exclude(self) -> Any:
            excluded = Worker.match_exclude.func(self)  # type: ignore[attr-defined]  # ditto
            root = Path(self.dst_path).absolute()

            def match(path: Path) -> bool:
                if excluded(path) or untrusted.touches_git(path):
                    return True
                try:
                    real = (root / path).resolve().relative_to(root.resolve())
                except ValueError:
                    return False  # outside the project: copier refuses it itself
                return untrusted.touches_git(real)

            return match

        def _render_template(self) -> None:
            # copier walks the template with a generator of `os.scandir` iterators it does not
            # close when rendering fails: silence that one warning, raised as the walk unwinds.
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", "unclosed scandir iterator", category=ResourceWarning
                )
                # The answers are final while the files are rendered: build copier's context
                # (answers, the answers file's content, its settings) once, not per path.
                self.__dict__["_fixed_context"] = Worker._render_context(self)
                try:
                    Worker._render_template(self)
                finally:
                    del self.__dict__["_fixed_context"]

        def _render_context(self) -> Any:
            fixed = self.__dict__.get("_fixed_context")
            if fixed is None:
                return Worker._render_context(self)
            # A copy as copier would have built it: its mappings are new each time (copier
            # itself edits `_copier_conf` in one; a template may edit `_copier_answers`).
            from copier._types import LazyDict

            conf = fixed["_copier_conf"]
            fresh = LazyDict(conf._pending)
            fresh._done.update(conf._done)
            return {
                **fixed,
                "_copier_answers": dict(fixed["_copier_answers"]),
                "_copier_conf": fresh,
            }

        @cached_property
        def _git_sees_file_modes(self) -> bool:
            """Whether the destination's git (if any) records mode bits: `core.fileMode` not
            false. Unset, or no repository, is git's default: true."""
            from copier._vcs import get_git
            from plumbum import ProcessExecutionError

            root = Path(self.subproject.local_abspath).absolute()
            if "GIT_DIR" not in os.environ and not any(
                (folder / ".git").exists() for folder in (root, *root.parents)
            ):
                return True  # in no repository: what git would answer, without asking it
            git_ = get_git(context_dir=self.subproject.local_abspath)
            try:
                value = git_("config", "--type=bool", "--get", "core.fileMode").strip()
            except ProcessExecutionError:
                return True
            return bool(value != "false")

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            # copier asks git for `core.fileMode` once per rendered file (a process each), and
            # has nothing to do unless it is false: ask once per render.
            if not self._git_sees_file_modes:
                Worker._sync_git_index_executable_bit(self, dst_relpath, src_mode)

        def _render_symlink(self, src_relpath: Path, dst_relpath: Path) -> None:
            Worker._render_symlink(self, src_relpath, dst_relpath)
            link = Path(self.dst_path) / dst_relpath
            if link.is_symlink() and untrusted.touches_git(link.readlink()):
                link.unlink()  # a way into `.git` for whatever is rendered or run later

    return GuardedWorker


def _worker(src: str, dst: Path, **options: Any) -> Worker:
    """A guarded copier `Worker` that uses the shared `Template` instead of building its own."""
    worker = _worker_class()(
        src_path=src, dst_path=dst, quiet=True, settings=_settings(), **options
    )
    template = _template(src)
    # Pre-fill two of Worker's cached properties: the shared Template, and a Jinja environment
    # shared by every Worker of that template and trust, which compiles each string once.
    worker.__dict__["template"] = template
    key = (id(template), bool(worker.unsafe))
    env = _environments.get(key)
    if env is None:
        env = _environments[key] = worker.jinja_env
        env.bytecode_cache = jinja_cache.for_environment(env, trusted=bool(worker.unsafe))
        _compile_strings_once(env)
    worker.__dict__["jinja_env"] = env
    return worker


def _compile_strings_once(env: Any) -> None:
    """Memoise `env.from_string` for plain calls, the only kind copier makes.

    copier renders every default, `when`, validator and help text through `from_string`, which
    compiles anew each time; a template's strings are few and fixed, so compile each once, and
    take the compiled code from the cache of earlier runs (`jinja_cache`) when it is there.
    """
    plain = type(env).from_string
    compiled = functools.lru_cache(maxsize=4096)(
        lambda source: jinja_cache.compile_string(env, source)
    )

    from jinja2 import nodes

    def from_string(source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if not isinstance(source, str | nodes.Template):
            # What Jinja raises for a `when: true` or a number, after compiling: copier takes
            # it to mean "not a template" (about half of its calls).
            raise TypeError("Can't compile non template nodes")
        if globals is None and template_class is None and isinstance(source, str):
            return compiled(source)
        return plain(env, source, globals, template_class)

    env.from_string = from_string


def read_template(src: str) -> TemplateConfig:
    """Read a template's questions and metadata without rendering anything."""
    with _translate_errors(src):
        template = _template(src)
        config = template.config_data
        questions = tuple(
            _question_spec(name, details) for name, details in template.questions_data.items()
        )
        unsafe = bool(template.tasks or config.get("migrations") or template.jinja_extensions)
        metadata = config.get("scaffolder") or {}
        if not isinstance(metadata, Mapping):
            raise TemplateError(f"template {src}: '_scaffolder' must be a mapping")
        return TemplateConfig(
            path=Path(template.local_abspath),
            questions=questions,
            metadata=dict(metadata),
            uses_unsafe_features=unsafe,
        )


@dataclass
class QuestionState:
    """A question evaluated against the answers so far: what a prompt needs to show."""

    spec: QuestionSpec
    applies: bool
    default: Any
    has_default: bool
    choices: list[tuple[str, Any]] = field(default_factory=list)
    message: str = ""
    placeholder: str = ""
    #: Why the computed default was dropped (it failed the question's validator), if it was.
    default_error: str = ""


class Questionnaire:
    """Evaluates a template's questions in order, with copier's own rules.

    Built on one copier `Worker`, so Jinja defaults, `when` conditions, choices and validators
    behave exactly as in a copier render. Use it as a context manager.
    """

    def __init__(self, src: str, *, unsafe: bool, dst: Path | None = None) -> None:
        self.src = src
        self._unsafe = unsafe
        #: Only names `_folder_name` for Jinja defaults; nothing is written there.
        self._dst = dst or Path(os.devnull)
        self._worker: Worker | None = None

    def __enter__(self) -> Questionnaire:
        with _translate_errors(self.src):
            self._worker = _worker(self.src, self._dst, defaults=True, unsafe=self._unsafe)
            self.specs = tuple(
                _question_spec(n, d) for n, d in self._worker.template.questions_data.items()
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._worker is not None:
            self._worker._cleanup()

    def _question(self, spec: QuestionSpec, answers: Mapping[str, Any]) -> Any:
        from copier._user_data import AnswersMap, Question

        worker = self._worker
        if worker is None:
            raise RuntimeError("use Questionnaire as a context manager")
        worker.answers = AnswersMap(init=dict(answers), metadata=worker.template.metadata)
        details = worker.template.questions_data[spec.name]
        return Question(
            answers=worker.answers,
            context=worker._render_context(),
            jinja_env=worker.jinja_env,
            settings=worker.settings,
            var_name=spec.name,
            **details,
        )

    def state(self, spec: QuestionSpec, answers: Mapping[str, Any]) -> QuestionState:
        """Evaluate `spec` given the earlier answers (which must not include its own)."""
        from copier._types import MISSING

        earlier = {k: v for k, v in answers.items() if k != spec.name}
        with _translate_errors(self.src):
            question = self._question(spec, earlier)
            applies = bool(question.get_when())
            default_error = ""
            try:
                default = question.get_default()
            except ValueError as exc:
                # A computed default that fails its own validator: offer no default.
                default = MISSING
                default_error = _validator_message(spec.name, exc)
            choices = [(str(c.title), c.value) for c in question._formatted_choices]
            message = question.render_value(spec.help) if spec.help else spec.name
            return QuestionState(
                spec=spec,
                applies=applies,
                default=None if default is MISSING else default,
                has_default=default is not MISSING,
                choices=choices,
                message=str(message).strip(),
                placeholder=str(question.get_placeholder()),
                default_error=default_error,
            )

    def check(self, spec: QuestionSpec, value: Any, answers: Mapping[str, Any]) -> tuple[Any, str]:
        """Parse and validate one answer. Returns (parsed value, error or '')."""
        earlier = {k: v for k, v in answers.items() if k != spec.name}
        with _translate_errors(self.src):
            question = self._question(spec, earlier)
            try:
                parsed = question.parse_answer(value)
            except Exception as exc:  # noqa: BLE001 -- copier's casts raise many kinds; all mean "bad value"
                return value, f"expected a {spec.type}: {exc}"
            try:
                question.validate_answer(parsed)
            except ValueError as exc:
                return parsed, _validator_message(spec.name, exc)
            return parsed, ""

    def resolve(
        self, given: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Non-interactive: apply defaults, validate all, report every problem at once.

        `context` holds answers of earlier layers; the result is `context` plus this
        template's answers.
        """
        answers: dict[str, Any] = dict(context or {})
        missing: list[str] = []
        problems: list[tuple[str, str]] = []
        for spec in self.specs:
            state = self.state(spec, answers)
            if not state.applies:
                if state.has_default:
                    answers[spec.name] = state.default
                continue
            if spec.name in given:
                value, error = self.check(spec, given[spec.name], answers)
                if error:
                    problems.append((spec.name, error))
                answers[spec.name] = value
            elif state.has_default:
                answers[spec.name] = state.default
            elif state.default_error:
                problems.append((spec.name, f"its default is not valid: {state.default_error}"))
            else:
                missing.append(spec.name)
        if missing and not problems:
            raise MissingAnswersError(missing)
        if problems:
            # Report everything at once: the bad answers and the missing ones.
            raise InvalidAnswerError(
                problems + [(name, "required, and not given") for name in missing]
            )
        return answers

    def recorded(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers worth saving: those that apply, without secrets."""
        kept: dict[str, Any] = {}
        for spec in self.specs:
            if spec.secret or spec.name not in answers:
                continue
            if self.state(spec, kept).applies:
                kept[spec.name] = answers[spec.name]
        return kept


def _validator_message(name: str, exc: ValueError) -> str:
    return str(exc).removeprefix(f"Validation error for question '{name}': ").strip()


def render(
    src: str,
    dst: Path,
    data: Mapping[str, Any],
    *,
    unsafe: bool,
    pretend: bool,
    answers_file: str | None = None,
    exclude: Sequence[str] = (),
) -> None:
    """Render `src` into `dst` with copier's Worker, all answers given as data.

    Refuses (`UntrustedTemplateError`) if a `.git` appeared in `dst` all the same.
    """
    had_git = (dst / ".git").exists() or (dst / ".git").is_symlink()
    with (
        _translate_errors(src),
        _worker(
            src,
            dst,
            data=dict(data),
            answers_file=Path(answers_file) if answers_file else None,
            defaults=True,
            pretend=pretend,
            unsafe=unsafe,
            overwrite=True,
            cleanup_on_error=False,
            exclude=tuple(exclude),
        ) as worker,
    ):
        # What copier.run_copy does, with the shared Template.
        worker.run_copy()
    if not pretend and not had_git and ((dst / ".git").exists() or (dst / ".git").is_symlink()):
        raise UntrustedTemplateError(
            f"template {_display(src)} wrote a .git into {dst}",
            hint="a template may only render files; delete that folder and report the template",
        )
