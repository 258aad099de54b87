"""The step runner: every command that changes things (new, resume, publish) runs through it.

A command is a list of named `Step`s over one run state. The runner runs them in order and is
the only place that decides what an outcome means:

* a step that fails before anything was written (by this run or an earlier one, as the
  journal or the step reports say) re-raises its own error: exit 2 for bad input, 4 for an
  untrusted template, 5 when GitHub refused;
* a step that fails after something was written raises `PartialSuccessError` (exit 3) whose
  hint is the command that resumes, and whose result agrees with what was done;
* a refusal on trust or policy grounds (exit 4 or 6) keeps its code even then: a template
  whose output holds the token is not a "partial success";
* an essential step that reports `unavailable` (branch protection on a plan without it) makes
  the run partial too;
* Ctrl-C undoes what this run wrote on disk, newest first, while no remote step has started
  (exit 130, "nothing was written"); once one has, nothing is deleted, locally or on GitHub,
  and the hint resumes.

Steps say what they write (`writes`: "none", "local" or "remote") and register the undo of
their local writes on the `Undo` log before making them. A failing step's own half-writes are
undone, so a failed render leaves nothing behind; earlier steps' work is kept for the resume.

Progress is journaled (`Journal`, in the user state directory, keyed by the project folder),
so `scaffolder resume DIR` runs the same command again with the steps that finished skipped
(`Step.skip_when_done`), or re-run where they only look before they write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

from scaffolder.errors import (
    ExitCode,
    GitHubPermissionError,
    Interrupted,
    PartialSuccessError,
    ScaffolderError,
)
from scaffolder.progress import Progress

#: Refusals whose exit code stands even after something was written: a template whose output
#: holds the token is exit 4, an access-policy refusal is 6, not "partial success".
_KEEP_THEIR_CODE = frozenset({ExitCode.UNTRUSTED, ExitCode.POLICY})

StepStatus = Literal["done", "unchanged", "planned", "skipped", "unavailable", "failed"]
Writes = Literal["none", "local", "remote"]
S = TypeVar("S")
T = TypeVar("T")


class RunState(Protocol):
    """What a run's state tells the runner: how to resume, and what was done so far."""

    def resume_command(self) -> str: ...

    def result(self, reports: Sequence[StepReport]) -> object: ...


R = TypeVar("R", bound=RunState)


@dataclass(frozen=True)
class StepReport:
    """What one step did. `done`/`unchanged` count as progress; the rest do not."""

    name: str
    status: StepStatus
    detail: str = ""

    @property
    def progressed(self) -> bool:
        return self.status in ("done", "unchanged")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


class Undo:
    """What this run wrote on disk, as actions that take it back, newest last."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], None]]] = []

    def add(self, what: str, action: Callable[[], None]) -> None:
        self._actions.append((what, action))

    def mark(self) -> int:
        return len(self._actions)

    def rollback(self, since: int = 0) -> list[str]:
        """Run the actions registered since `mark`, newest first; returns what was undone."""
        undone = []
        while len(self._actions) > since:
            what, action = self._actions.pop()
            with contextlib.suppress(OSError, ScaffolderError):
                action()
                undone.append(what)
        return undone


@dataclass(frozen=True)
class Step(Generic[S]):
    """One named, idempotent step over the run state `S`."""

    name: str
    run: Callable[[S, Undo], StepReport]
    #: The progress label ("render: python-service → ./svc").
    detail: Callable[[S], str] = lambda state: ""
    writes: Writes = "none"
    #: `unavailable` from this step is not success (the run is partial): branch protection.
    essential: bool = False
    #: On a resume, a step the journal records as done is skipped (local steps whose
    #: effect is on disk); steps that only look before they write run again.
    skip_when_done: bool = False

    def over(self, part: Callable[[T], S]) -> Step[T]:
        """This step, run on the part of a larger state that `part` picks (publish in new)."""
        run, detail = self.run, self.detail
        return Step(
            name=self.name,
            run=lambda state, undo: run(part(state), undo),
            detail=lambda state: detail(part(state)),
            writes=self.writes,
            essential=self.essential,
            skip_when_done=self.skip_when_done,
        )


class Journal:
    """A run's progress on disk: which steps finished, and how to run the command again.

    One JSON file per project in the user state directory. It never holds a secret: the
    options it keeps are the ones the command itself says are safe to keep (`record`).
    """

    def __init__(self, project: Path, root: Path | None = None) -> None:
        self.project = project
        if root is None:
            from platformdirs import user_state_path

            root = user_state_path("scaffolder", appauthor=False) / "runs"
        key = hashlib.sha256(str(project).encode()).hexdigest()[:24]
        self.path = root / f"{key}.json"
        self.data: dict[str, Any] = {}

    @classmethod
    def open(cls, project: Path) -> Journal:
        journal = cls(project)
        journal.data = journal._read()
        return journal

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("project") != str(self.project):
            return {}
        return data

    @property
    def command(self) -> str | None:
        value = self.data.get("command")
        return str(value) if value else None

    @property
    def options(self) -> Mapping[str, Any]:
        value = self.data.get("options")
        return value if isinstance(value, dict) else {}

    def done(self, step: str) -> bool:
        return self.data.get("steps", {}).get(step) in ("done", "unchanged")

    def begin(self, command: str, options: Mapping[str, Any]) -> None:
        """Start, or continue (the same command again), a run of `command` on this project."""
        same = self.data.get("command") == command
        previous = self.data.get("steps", {}) if same else {}
        self.data = {
            "project": str(self.project),
            "command": command,
            "options": dict(options),
            "steps": dict(previous),
            "notes": dict(self.data.get("notes", {})) if same else {},
        }
        self._write()

    def record(self, report: StepReport) -> None:
        steps = self.data.setdefault("steps", {})
        if report.progressed or steps.get(report.name) not in ("done", "unchanged"):
            steps[report.name] = report.status
        self._write()

    def note(self, key: str, value: Any) -> None:
        """Extra progress within a step (the layers a render finished)."""
        self.data.setdefault("notes", {})[key] = value
        self._write()

    def notes(self, key: str) -> Any:
        return self.data.get("notes", {}).get(key)

    def forget(self, step: str) -> None:
        self.data.get("steps", {}).pop(step, None)
        self._write()

    def close(self) -> None:
        """The command finished: nothing is left to resume."""
        self.path.unlink(missing_ok=True)
        self.data = {}

    def _write(self) -> None:
        """Best effort, atomic: a journal that cannot be written only costs a clean resume."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.data, handle, default=str)
            Path(tmp).replace(self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


@dataclass
class Run(Generic[R]):
    """One run of a command's steps. `reports` is what happened, in order."""

    command: str
    steps: Sequence[Step[R]]
    #: Says the command that finishes the job after a failure (shown in the hint), and what
    #: the result looks like so far (the `result` of a partial-success error).
    state: R
    progress: Progress
    journal: Journal | None = None
    undo: Undo = field(default_factory=Undo)
    reports: list[StepReport] = field(default_factory=list)
    _remote_started: bool = False
    #: Steps an earlier run finished, as the journal said when this run began.
    _earlier: frozenset[str] = frozenset()

    def execute(self) -> list[StepReport]:
        """Run every step; raise what the outcome means (see the module docstring)."""
        if self.journal is not None:
            writers = [s.name for s in self.steps if s.writes != "none"]
            self._earlier = frozenset(n for n in writers if self.journal.done(n))
        try:
            for step in self.steps:
                self._one(step)
        except KeyboardInterrupt:
            raise self._interrupted() from None
        self._check_essential()
        if self.journal is not None:
            self.journal.close()
        return self.reports

    # -- one step -----------------------------------------------------------------------
    def _one(self, step: Step[R]) -> None:
        journal = self.journal
        if step.skip_when_done and journal is not None and journal.done(step.name):
            self.reports.append(StepReport(step.name, "unchanged", "done by an earlier run"))
            return
        mark = self.undo.mark()
        if step.writes == "remote":
            self._remote_started = True
        try:
            with self.progress.step(step.name, step.detail(self.state)):
                report = step.run(self.state, self.undo)
        except ScaffolderError as exc:
            self.undo.rollback(mark)  # this step's own half-writes
            self.reports.append(StepReport(step.name, "failed", exc.message))
            if journal is not None:
                journal.record(self.reports[-1])
            if not self._progressed():
                if journal is not None:
                    journal.close()  # nothing to resume: nothing was written
                raise
            if exc.exit_code in _KEEP_THEIR_CODE:
                raise  # a refusal on trust or policy grounds says so, whatever ran before
            raise PartialSuccessError(
                done=self.done_names(),
                failed=step.name,
                cause=exc,
                resume=self.state.resume_command(),
                result=self.state.result(self.reports),
            ) from exc
        self.reports.append(report)
        if journal is not None and step.writes != "none":
            journal.record(report)
        if report.status in ("unavailable", "skipped") and report.detail:
            self.progress.note(f"{report.status}: {report.detail}")

    def _progressed(self) -> bool:
        """Something was written, by this run or (as the journal says) an earlier one."""
        writers = {s.name for s in self.steps if s.writes != "none"}
        mine = any(r.progressed and r.name in writers for r in self.reports)
        earlier = self.journal is not None and any(self.journal.done(name) for name in writers)
        return mine or earlier

    def done_names(self) -> list[str]:
        return [r.name for r in self.reports if r.progressed]

    def _check_essential(self) -> None:
        essential = {s.name for s in self.steps if s.essential}
        for report in self.reports:
            if report.name in essential and report.status == "unavailable":
                cause = GitHubPermissionError(report.detail, status=403, plan_limited=True)
                raise PartialSuccessError(
                    done=[n for n in self.done_names() if n != report.name],
                    failed=report.name,
                    cause=cause,
                    resume=self.state.resume_command(),
                    result=self.state.result(self.reports),
                )

    def _interrupted(self) -> Interrupted:
        if self._remote_started:
            return Interrupted(undone=False, resume=self.state.resume_command())
        self.undo.rollback()
        if self._earlier:  # an earlier run's work stays, and so does the way to finish it
            return Interrupted(undone=False, resume=self.state.resume_command())
        if self.journal is not None:
            self.journal.close()
        return Interrupted(undone=True)


@contextlib.contextmanager
def interrupt_guard() -> Iterator[None]:
    """Turn Ctrl-C outside any run (a front end asking questions) into `Interrupted`."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(undone=True) from None
