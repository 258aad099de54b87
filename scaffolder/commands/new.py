"""`scaffolder new`: resolve the answers, render the layers, commit, register, and publish.

The steps, run by the step runner (`scaffolder/runner.py`)::

    [identity] resolve [access] [save-answers] render commit register [repository ... catalog]

`identity` and the publish steps (`scaffolder/publish/steps/`) are there with `--publish`;
`access` with an access policy in force (`access/enforce.py`: after the answers are resolved,
before the journal and any file; the template rule already when the template is read);
`save-answers` when a front end (the wizard) hands answers to save. Everything is validated
before anything is written: a bad answer, an untrusted template or a refused token exits
without a file on disk. A failure after rendering keeps the project and says how to resume;
Ctrl-C before GitHub was touched undoes this run (folder, catalog entry, saved answers).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scaffolder.answers import Answers
from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import (
    CatalogTargetError,
    DestinationNotEmptyError,
    InvalidAnswerError,
    MissingAnswersError,
    TemplateError,
    UsageError,
)
from scaffolder.progress import SILENT, Progress
from scaffolder.project import BASELINE_TRAILER
from scaffolder.render import layers
from scaffolder.render.registry import PinnedSource, TemplateInfo, resolve_template
from scaffolder.render.sources import allows_unsafe
from scaffolder.runner import Journal, Run, Step, StepReport, StepStatus, Undo
from scaffolder.vcs import git

if TYPE_CHECKING:
    from scaffolder.access.identity import Facts
    from scaffolder.access.model import Policy

    # The publish modules are imported only for a run that publishes.
    from scaffolder.publish.model import PublishOptions, PublishResult
    from scaffolder.publish.run import PublishRun

CATALOG_INFO = "catalog-info.yaml"


def _valid_login(owner: str) -> bool:
    from scaffolder.publish.model import GITHUB_LOGIN

    return GITHUB_LOGIN.fullmatch(owner) is not None


@dataclass(frozen=True)
class SavedAnswers:
    """Answers a front end asks to save for a replay (never secrets), and the replay command."""

    path: Path
    answers: Mapping[str, Any]
    replay: str


@dataclass(frozen=True)
class NewOptions:
    """Everything `scaffolder new` is asked to do. A new flag is one field here."""

    template: str | None
    output: Path | None
    #: Answers given on the command line or in a data file (validated when resolved).
    given: Mapping[str, Any] = field(default_factory=dict)
    #: The local catalog file, a catalog on GitHub (with `publish`), or None: no register.
    catalog: Path | RemoteCatalog | None = None
    dry_run: bool = False
    trust: bool = False
    #: A git template's tag, branch or commit (`--vcs-ref`); None: its newest release tag.
    vcs_ref: str | None = None
    publish: bool = False
    github_owner: str | None = None
    private: bool = True
    github_api_url: str | None = None
    saved_answers: SavedAnswers | None = None
    #: The access policy in force (`access.source.load_policy`); None: no policy.
    policy: Policy | None = None

    def __post_init__(self) -> None:
        if self.publish:
            from scaffolder.github.settings import resolve_api_url

            resolve_api_url(self.github_api_url)
        if self.github_owner is not None and not _valid_login(self.github_owner):
            raise UsageError(
                f"invalid GitHub owner {self.github_owner!r}",
                hint="a GitHub login has letters, digits and single hyphens, at most 39 characters",
            )
        answered = str(self.given.get("github_owner") or "") or None
        if self.github_owner and answered and self.github_owner.lower() != answered.lower():
            raise UsageError(
                f"--github-owner {self.github_owner} and the answer github_owner={answered} "
                "disagree",
                hint="give one of them, or the same value in both",
            )
        if isinstance(self.catalog, RemoteCatalog) and not self.publish:
            raise UsageError(
                f"{self.catalog} is a catalog on GitHub: it can only list published repositories",
                hint="add --publish, or register locally (leave out --catalog)",
            )

    def check_complete(self) -> tuple[str, Path]:
        """The template and destination, which every run needs."""
        if self.template is None or self.output is None:
            missing = [
                flag
                for flag, value in (("TEMPLATE", self.template), ("--output", self.output))
                if value is None
            ]
            raise UsageError(
                f"missing {' and '.join(missing)}",
                hint="run `scaffolder templates` to see the templates, then "
                "`scaffolder new TEMPLATE --output DIR`",
            )
        return self.template, self.output.expanduser().absolute()

    def publish_options(self, project: Path) -> PublishOptions:
        from scaffolder.publish.model import PublishOptions

        answered = str(self.given.get("github_owner") or "") or None
        return PublishOptions(
            project=project,
            owner=self.github_owner or answered,
            private=self.private,
            api_url=self.github_api_url,
            catalog=self.catalog,
            policy=self.policy,
        )

    def to_journal(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """What `scaffolder resume` needs to run this again: no secret is among `answers`."""
        return {
            "template": self.template,
            "output": str(self.output),
            "given": dict(answers),
            "catalog": None if self.catalog is None else str(self.catalog),
            "trust": self.trust,
            "vcs_ref": self.vcs_ref,
            "publish": self.publish,
            "github_owner": self.github_owner,
            "private": self.private,
            "github_api_url": self.github_api_url,
            # A resume checks the same policy again (`--policy` recorded; else the one in force).
            "policy": _policy_flag(self.policy),
        }


def _policy_flag(policy: Policy | None) -> str | None:
    from scaffolder.access.enforce import location

    return location(policy) if policy and policy.origin and policy.origin.via == "flag" else None


@dataclass(frozen=True)
class NewResult:
    """What a scaffold produced. `to_json()` is a contract: see tests/test_json_contract.py."""

    project: Path
    template: TemplateInfo
    answers: Answers | None
    secret_questions: tuple[str, ...]
    catalog: Path | RemoteCatalog | None
    registered: bool
    commit: str | None
    dry_run: bool
    steps: tuple[StepReport, ...] = ()
    repository: PublishResult | None = None
    warnings: tuple[str, ...] = ()

    @property
    def entity_ref(self) -> str | None:
        return self.answers.entity_ref if self.answers else None

    def to_json(self) -> dict[str, Any]:
        answers = {}
        if self.answers is not None:
            answers = {
                k: v for k, v in self.answers.to_json().items() if k not in self.secret_questions
            }
        return {
            "project": str(self.project),
            "template": {
                "name": self.template.name,
                "version": self.template.version or None,
                "source": self.template.source,
                "builtin": self.template.builtin,
            },
            "answers": answers,
            "entity_ref": self.entity_ref,
            "catalog": None if self.catalog is None else str(self.catalog),
            "registered": self.registered,
            "commit": self.commit,
            "repository": self.repository.to_json() if self.repository else None,
            "dry_run": self.dry_run,
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass
class NewRun:
    """The state the steps of one `new` share."""

    options: NewOptions
    template_ref: str
    dst: Path
    info: TemplateInfo
    journal: Journal | None = None
    stack: layers.Stack | None = None
    answers: Answers | None = None
    secret: tuple[str, ...] = ()
    commit: str | None = None
    registered: bool = False
    warnings: list[str] = field(default_factory=list)
    publish: PublishRun | None = None
    #: The local phase (render, commit, register) is over: a failure now resumes with publish.
    local_done: bool = False
    #: `scaffolder resume`: the destination holds this scaffold's earlier, unfinished run.
    resuming: bool = False
    progress: Progress = SILENT
    #: What GitHub says of the token, for the access step (publish's own, with `--publish`).
    facts: Facts | None = None

    @property
    def local_catalog(self) -> Path | None:
        catalog = self.options.catalog
        return catalog if isinstance(catalog, Path) else None

    def require_answers(self) -> Answers:
        if self.answers is None:
            raise RuntimeError("the resolve step runs first")
        return self.answers

    def resume_command(self) -> str:
        if self.local_done and self.publish is not None:
            return self.publish.resume_command()
        return f"scaffolder resume {self.dst}"

    def result(self, reports: Sequence[StepReport] = ()) -> NewResult:
        published = None
        if self.publish is not None and self.publish.identity is not None and self.local_done:
            published = self.publish.result([r for r in reports if r.name in _publish_step_names()])
        warnings = [*self.warnings, *(self.publish.warnings if self.publish else ())]
        return NewResult(
            project=self.dst,
            template=self.info,
            answers=self.answers,
            secret_questions=self.secret,
            catalog=self.options.catalog,
            registered=self.registered,
            commit=self.commit,
            dry_run=self.options.dry_run,
            steps=tuple(reports),
            repository=published,
            warnings=tuple(dict.fromkeys(warnings)),
        )


# -- steps ---------------------------------------------------------------------------------
def _resolve(state: NewRun, undo: Undo) -> StepReport:
    from scaffolder.answers import require_owner, standard_problems

    options = state.options
    if not state.resuming:
        _check_destination(state.dst)
    if options.policy is not None:
        # The template rule before copier reads the template: a refused source is not read.
        from scaffolder.access.enforce import check_template

        check_template(options.policy, state.info, trust=options.trust)
    trusted = allows_unsafe(state.info, trust=options.trust, policy=options.policy)
    stack = layers.build_stack(state.info, trust=trusted)
    given = dict(options.given)
    owner = state.publish.owner if state.publish is not None else options.github_owner
    if owner and any(q.name == "github_owner" for q in stack.questions):
        given.setdefault("github_owner", owner)
    # Computed values (`when: false`) are not questions a user can answer.
    known = {q.name for q in stack.questions if q.when is not False}
    if ignored := sorted((set(given) - known) & _baseline_questions(stack)):
        # A team's answers file (owner, codeowners, ...) serves every template; one without
        # the security baseline has no use for the baseline's answers.
        for name in ignored:
            del given[name]
        state.warnings.append(
            f"ignored {', '.join(ignored)}: template {stack.template.name} has no security "
            "baseline, which asks that"
        )
    if unknown := sorted(set(given) - known):
        raise UsageError(
            f"unknown question{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"this template asks: {', '.join(sorted(known))}",
        )
    own = standard_problems(given)
    # The owner is never the login by default when it reaches here: it was given or asked.
    unowned = [] if str(given.get("owner") or "").strip() else ["owner"]
    try:
        resolved = layers.resolve_answers(stack, given, state.dst)
    except MissingAnswersError as exc:
        raise MissingAnswersError([*unowned, *exc.names]) from exc
    except InvalidAnswerError as exc:
        seen = {name for name, _ in own}
        problems = [p for p in exc.problems if p[0] not in seen]
        missing = [(name, "required, and not given") for name in unowned]
        raise InvalidAnswerError(own + missing + problems) from exc
    if own:
        raise InvalidAnswerError(own)
    # What reaches here was given (flags, a data file, the wizard's answers, the journal): the
    # owner is never the login by default, nor a group that CODEOWNERS cannot name.
    require_owner(given, codeowners="codeowners" in known)
    state.stack = stack
    state.info = stack.template
    state.answers = Answers.from_mapping(resolved)
    state.secret = tuple(layers.unrecorded_names(stack))
    state.warnings.extend(stack.warnings)
    if options.policy is None:
        _begin_journal(state)  # else the access step does, once the policy allowed the run
    return StepReport("resolve", "done", f"{len(resolved)} answers")


def _begin_journal(state: NewRun) -> None:
    if state.journal is not None:
        resolved = state.require_answers().all
        recorded = {k: v for k, v in resolved.items() if k not in state.secret}
        state.journal.begin("new", state.options.to_journal(recorded))


def _access(state: NewRun, undo: Undo) -> StepReport:
    """The access policy, with the answers resolved and before the first write (the journal,
    the answers file, the destination): `PolicyRefusedError` (exit 6) on a refusal."""
    from scaffolder.access import enforce
    from scaffolder.access.rules import Intent

    options, policy = state.options, state.options.policy
    if policy is None:
        raise RuntimeError("the access step runs only with a policy")
    if state.facts is None:
        if state.publish is not None:
            state.facts = state.publish.access_facts()
        else:
            state.facts = enforce.facts_for(options.github_api_url)
    publish = state.publish
    intent = Intent(
        command="new",
        owner=publish.owner if publish is not None else None,
        visibility=("private" if options.private else "public") if publish is not None else None,
        template=state.info.name,
        template_source=str(state.info.source),
        builtin=state.info.builtin,
        configured=state.info.configured,
        answers=state.require_answers().all,
        has_token=state.facts.has_token,
        trust=options.trust,
    )
    checked = enforce.check(policy, intent, state.facts)
    state.warnings.extend(checked.warnings)
    _begin_journal(state)
    return StepReport(enforce.STEP_NAME, "done", checked.summary)


def _baseline_questions(stack: layers.Stack) -> set[str]:
    """The baseline's answerable questions, when `stack` does not have the baseline; else {}."""
    from scaffolder.render import copier_adapter
    from scaffolder.render.registry import BASELINE_LAYER, baseline_layer

    if any(layer.name == BASELINE_LAYER for layer in stack.layers):
        return set()
    config = copier_adapter.read_template(baseline_layer().source)
    return {q.name for q in config.questions if q.when is not False}


def _check_destination(path: Path) -> None:
    try:
        if path.is_symlink() and not path.exists():
            raise UsageError(
                f"destination {path}: it is a symlink to {path.readlink()}, which does not exist",
                hint="remove the link, or choose another --output",
            )
        if path.exists() and (not path.is_dir() or not _is_empty(path)):
            raise DestinationNotEmptyError(str(path))
    except OSError as exc:
        raise UsageError(
            f"cannot reach --output {path}: {exc.strerror or exc}",
            hint="choose an --output in a folder you can read and write",
        ) from exc


def _is_empty(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def _save_answers(state: NewRun, undo: Undo) -> StepReport:
    saved = state.options.saved_answers
    if saved is None or state.options.dry_run:
        return StepReport("save-answers", "skipped", "no answers to save")
    if not saved.path.exists():
        undo.add(f"remove {saved.path}", lambda: saved.path.unlink(missing_ok=True))
    write_answers_file(saved.path, saved.answers, saved.replay)
    return StepReport("save-answers", "done", str(saved.path))


def write_answers_file(path: Path, answers: Mapping[str, Any], replay: str | None) -> None:
    """The answers as YAML, written atomically; secrets were left out by the caller."""
    header = "# Answers saved by the scaffolder wizard (secrets are never saved).\n"
    if replay:
        header += f"# Replay without a terminal: {replay}\n"
    text = header + yaml.safe_dump(dict(answers), sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(state: NewRun, undo: Undo) -> StepReport:
    stack = state.stack
    if stack is None:
        raise RuntimeError("the resolve step runs first")
    dst, dry = state.dst, state.options.dry_run
    if not dry:
        _undo_destination(dst, undo)
    done: list[str] = []

    def on_layer(layer: layers.Layer) -> None:
        state.progress.note(f"rendering layer {layer.name}")

    def finished(layer: layers.Layer) -> None:
        done.append(layer.name)
        if state.journal is not None and not dry:
            state.journal.note("render.layers", list(done))

    layers.render_stack(
        stack,
        dst,
        state.require_answers().all,
        pretend=dry,
        on_layer=on_layer,
        on_done=finished,
    )
    if dry:
        return StepReport("render", "planned", f"{stack.template.name} → {dst} (nothing written)")
    _check_entity(dst, stack.template)
    return StepReport("render", "done", f"layers {', '.join(done)}")


def _check_entity(dst: Path, template: TemplateInfo) -> None:
    """The rendered entity passes `catalog register`'s validation, or the render is undone."""
    from scaffolder.catalog.manage import check_target
    from scaffolder.catalog.sources import Reader

    if not (dst / CATALOG_INFO).is_file():
        return
    try:
        check_target(str(dst / CATALOG_INFO), Reader())
    except CatalogTargetError as exc:
        problems = "; ".join(line.strip() for line in exc.message.splitlines())
        raise TemplateError(
            f"template {template.name} rendered an entity Backstage would refuse: {problems}",
            hint="fix the template's catalog-info.yaml (or the answers it writes there)",
        ) from exc


def _undo_destination(dst: Path, undo: Undo) -> None:
    """Undo of a render: the folder if this run creates it, else what this run put in it."""
    if not dst.exists():
        undo.add(f"remove {dst}", lambda: shutil.rmtree(dst, ignore_errors=True))
        return

    def empty_again() -> None:
        for child in dst.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    undo.add(f"empty {dst}", empty_again)


def commit_message(template: TemplateInfo, baseline: str = "") -> str:
    version = f" {template.version}" if template.version else ""
    trailer = f"\n\n{BASELINE_TRAILER}: {baseline}" if baseline else ""
    return (
        f"Initial commit from the {template.name}{version} template\n\n"
        f"Created with scaffolder (template source: {template.name}{version}).{trailer}"
    )


def _commit(state: NewRun, undo: Undo) -> StepReport:
    had_commit = git.is_repository(state.dst) and git.head_commit(state.dst) is not None
    baseline = ""
    if (state.dst / layers.BASELINE_ANSWERS_FILE).is_file():
        from scaffolder.render.registry import baseline_layer

        baseline = baseline_layer().version
    state.commit = git.initial_commit(state.dst, commit_message(state.info, baseline))
    status: StepStatus = "unchanged" if had_commit else "done"
    return StepReport("commit", status, f"{state.commit[:12]} on main")


def _register(state: NewRun, undo: Undo) -> StepReport:
    from scaffolder.catalog import locations

    catalog = state.options.catalog
    if isinstance(catalog, RemoteCatalog):
        state.local_done = True
        return StepReport("register", "skipped", f"{catalog}: by pull request once published")
    if catalog is None:
        state.local_done = True
        return StepReport("register", "skipped", "not registering (--no-register)")
    info_file = state.dst / CATALOG_INFO
    if not info_file.is_file():
        state.local_done = True
        state.warnings.append(f"not registered: the project has no {CATALOG_INFO}")
        return StepReport("register", "skipped", f"the project has no {CATALOG_INFO}")
    created = not catalog.exists()
    if not _has_entry(catalog, str(info_file)):

        def unregister() -> None:
            locations.unregister(catalog, str(info_file))
            if created and not locations.read_entries(catalog):
                # This run created the file for this one entry. (Its `.lock` stays: removing
                # a lock file another process may be waiting on is not safe.)
                catalog.unlink(missing_ok=True)

        undo.add(f"unregister {info_file} from {catalog}", unregister)
    changed = locations.register(catalog, str(info_file), target_type="file")
    state.registered = True
    state.local_done = True
    status: StepStatus = "done" if changed else "unchanged"
    return StepReport("register", status, f"{state.require_answers().entity_ref} in {catalog}")


def _has_entry(catalog: Path, target: str) -> bool:
    from scaffolder.catalog import locations
    from scaffolder.errors import ScaffolderError

    if not catalog.is_file():
        return False
    try:
        return any(e.target == target for e in locations.read_entries(catalog))
    except ScaffolderError:
        return False


RESOLVE = Step[NewRun](
    "resolve", _resolve, detail=lambda s: f"{s.info.name} answers", skip_when_done=False
)
ACCESS = Step[NewRun]("access", _access, detail=lambda s: "check the access policy")  # no writes
SAVE_ANSWERS = Step[NewRun](
    "save-answers",
    _save_answers,
    detail=lambda s: str(s.options.saved_answers.path) if s.options.saved_answers else "",
    writes="local",
)
RENDER = Step[NewRun](
    "render",
    _render,
    detail=lambda s: f"{s.info.name} → {s.dst}",
    writes="local",
    skip_when_done=True,
)
COMMIT = Step[NewRun](
    "commit",
    _commit,
    detail=lambda s: "git init -b main, initial commit",
    writes="local",
    skip_when_done=False,
)
REGISTER = Step[NewRun](
    "register",
    _register,
    detail=lambda s: f"{s.require_answers().entity_ref} in {s.options.catalog or '-'}",
    writes="local",
)


def _publish_state(state: NewRun) -> PublishRun:
    if state.publish is None:
        raise RuntimeError("publish steps run only with --publish")
    return state.publish


def _publish_step_names() -> set[str]:
    from scaffolder.publish.steps import STEPS

    return {s.name for s in STEPS}


def steps_for(options: NewOptions) -> list[Step[NewRun]]:
    # The publish steps (and PyGithub under them) are imported only for a run that publishes.
    steps: list[Step[NewRun]] = []
    if options.publish:
        from scaffolder.publish.steps import identity as publish_identity

        steps.append(publish_identity.STEP.over(_publish_state))
    steps.append(RESOLVE)
    if options.policy is not None:
        steps.append(ACCESS)
    if options.saved_answers is not None and not options.dry_run:
        steps.append(SAVE_ANSWERS)
    steps.append(RENDER)
    if options.dry_run:
        return steps
    steps += [COMMIT, REGISTER]
    if options.publish:
        from scaffolder.publish.steps import STEPS as PUBLISH_STEPS

        steps += [s.over(_publish_state) for s in PUBLISH_STEPS if s.name != "identity"]
    return steps


def run(options: NewOptions, progress: Progress = SILENT, *, resume: bool = False) -> NewResult:
    """Run `scaffolder new` (or, with `resume`, finish the one the journal records)."""
    template_ref, dst = options.check_complete()
    info = resolve_template(template_ref, vcs_ref=options.vcs_ref)
    if isinstance(info.source, PinnedSource) and options.vcs_ref != info.source.vcs_ref:
        # The tag (or commit) it resolved to, so that a resume renders this same version even
        # after the template has a newer release.
        options = replace(options, vcs_ref=info.source.vcs_ref)
    journal = None if options.dry_run else Journal.open(dst)
    if journal is not None and not resume:
        journal.data = {}  # a new scaffold: whatever an old journal said is not about it
    state = NewRun(
        options=options,
        template_ref=template_ref,
        dst=dst,
        info=info,
        journal=journal,
        resuming=resume,
        progress=progress,
    )
    if options.publish:
        from scaffolder.commands.publish import connector
        from scaffolder.publish.run import PublishRun

        state.publish = PublishRun(
            request=options.publish_options(dst), connect=connector(options.github_api_url)
        )
    if options.dry_run and options.publish:
        state.warnings.append(
            f"dry run: run `scaffolder publish {dst} --dry-run` after creating to see every "
            "GitHub call"
        )
    runner = Run(
        command="new",
        steps=steps_for(options),
        state=state,
        progress=progress,
        journal=journal,
    )
    try:
        reports = runner.execute()
    finally:
        if state.publish is not None:
            state.publish.close()
        elif state.facts is not None and state.facts.client is not None:
            state.facts.client.close()
    return state.result(reports)
