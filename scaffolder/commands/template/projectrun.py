"""A rendered project's own tests, as its CI runs them: the language table's steps.

For each of the template's languages, the `ci.install` then the `ci.test` steps of its entry
in the language table (or the template's description of it), chosen as the baseline's CI
chooses them (`if_answer`, `unless_answer`, `{NAME}` in `run`), each run by bash as GitHub's
runners run a `run:` (`bash --noprofile --norc -eo pipefail`), in the project's folder. The
toolchain set-up (`ci.setup`, an action) is not run: the tools on PATH are used. The first
failing step ends the run.

When a step runs Python (`python`, `pip`), the row gets its own virtual environment, first on
PATH, so nothing is installed into the user's. Offline (`offline=True`), no step reaches the
network: pip's index, npm's registry, Go's module proxy and toolchain downloads and cargo's
registry are switched off by their own settings, and proxies point nowhere. What the current
environment has serves instead: the virtual environment sees this environment's packages (a
`.pth` file) and pip builds without isolation; npm installs from its cache (`npm_config_cache`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.baseline import described as language_data
from scaffolder.baseline import languages as language_table
from scaffolder.baseline.languages import Language, Step
from scaffolder.errors import ScaffolderError

_PYTHON = re.compile(r"(^|[\s;&|(])(python3?|pip3?)\b")
_NOWHERE = "http://127.0.0.1:9"
#: Each tool's own switch for "no network".
OFFLINE_ENV = {
    "PIP_NO_INDEX": "1",
    # pip reads `--no-build-isolation` from this variable inverted: 0 means no isolation.
    "PIP_NO_BUILD_ISOLATION": "0",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "npm_config_offline": "true",
    "npm_config_audit": "false",
    "npm_config_fund": "false",
    "npm_config_update_notifier": "false",
    "npm_config_proxy": _NOWHERE,
    "npm_config_https_proxy": _NOWHERE,
    "GOPROXY": "off",
    "GOFLAGS": "-mod=mod",
    "GOTOOLCHAIN": "local",
    "CARGO_NET_OFFLINE": "true",
    "http_proxy": _NOWHERE,
    "https_proxy": _NOWHERE,
    "HTTP_PROXY": _NOWHERE,
    "HTTPS_PROXY": _NOWHERE,
    "no_proxy": "127.0.0.1,localhost,::1",
    "NO_PROXY": "127.0.0.1,localhost,::1",
}
TAIL_LINES = 15
STEP_TIMEOUT = 900


@dataclass(frozen=True)
class StepRun:
    language: str
    phase: str
    name: str
    command: str
    exit_code: int
    seconds: float
    #: The step's last lines of output (stdout and stderr together).
    tail: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "phase": self.phase,
            "name": self.name,
            "run": self.command,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "output": self.tail if not self.ok else "",
        }


@dataclass(frozen=True)
class ProjectRun:
    steps: tuple[StepRun, ...]
    #: Languages with no steps to run (not known, not described).
    skipped: tuple[str, ...] = ()
    #: Why no step ran, when none did on purpose.
    not_run: str = ""

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def failed(self) -> StepRun | None:
        return next((s for s in self.steps if not s.ok), None)

    @property
    def summary(self) -> str:
        if self.not_run:
            return f"tests not run: {self.not_run}"
        if self.failed is not None:
            return f"{self.failed.name} failed (`{self.failed.command}`)"
        if not self.steps:
            return "no test steps"
        return f"{len(self.steps)} steps passed"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [s.to_json() for s in self.steps],
            "skipped_languages": list(self.skipped),
            "not_run": self.not_run or None,
        }


def languages_of(
    names: Sequence[str], metadata: Mapping[str, Any], source: str
) -> tuple[list[Language], tuple[str, ...]]:
    """The languages `names` as the baseline sees them: the table's, or the template's own
    descriptions (`_scaffolder.language_data`, where this scaffolder reads them); and the names
    with neither (lint reports them)."""
    table = language_table.load()
    try:
        described: Mapping[str, Language] = language_data.described_languages(metadata, source)
    except ScaffolderError:
        described = {}  # lint reports it
    found, missing = [], []
    for name in names:
        lang = table.get(name) or described.get(name)
        if lang is None:
            missing.append(name)
        else:
            found.append(lang)
    return found, tuple(missing)


def other_versions(languages: Sequence[Language], answers: Mapping[str, Any]) -> list[str]:
    """`answer=value (default D)` for each language whose toolchain version, as answered, is
    not the table's default: the set-up that would install it is not run here."""
    found = []
    for lang in languages:
        version = lang.ci.setup.version if lang.ci.setup else None
        if version is None:
            continue
        value = answers.get(version.answer, version.default)
        if str(value) != version.default:
            found.append(f"{version.answer}={value} (default {version.default})")
    return found


def chosen_steps(language: Language, answers: Mapping[str, Any]) -> list[tuple[str, Step, str]]:
    """(phase, step, command) in order, as the baseline's CI writes them for `answers`."""
    chosen = []
    for phase, steps in (("install", language.ci.install), ("test", language.ci.test)):
        for step in steps:
            if step.if_answer and not answers.get(step.if_answer):
                continue
            if step.unless_answer and answers.get(step.unless_answer):
                continue
            command = step.run
            if step.if_answer:
                command = command.replace(f"{{{step.if_answer}}}", str(answers[step.if_answer]))
            chosen.append((phase, step, command))
    return chosen


def run_tests(
    project: Path,
    languages: Sequence[Language],
    answers: Mapping[str, Any],
    *,
    offline: bool,
    workdir: Path,
    skipped: Sequence[str] = (),
) -> ProjectRun:
    """Run each language's install and test steps in `project`; stop at the first failure."""
    plan = [(lang, *chosen) for lang in languages for chosen in chosen_steps(lang, answers)]
    env = {**os.environ, "CI": "true", **(OFFLINE_ENV if offline else {})}
    env.pop("VIRTUAL_ENV", None)
    runs: list[StepRun] = []
    if any(_PYTHON.search(command) for *_, command in plan):
        started = time.monotonic()
        try:
            venv = _virtualenv(workdir / "venv", offline=offline)
        except (OSError, subprocess.SubprocessError) as exc:
            why = getattr(exc, "stderr", None) or exc
            runs.append(
                StepRun(
                    "python",
                    "setup",
                    "virtual environment",
                    f"{sys.executable} -m venv",
                    1,
                    time.monotonic() - started,
                    str(why)[-2000:],
                )
            )
            return ProjectRun(tuple(runs), tuple(skipped))
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    for language, phase, step, command in plan:
        started = time.monotonic()
        try:
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
                cwd=project,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                timeout=STEP_TIMEOUT,
                check=False,
            )
            code, output = proc.returncode, proc.stdout
        except subprocess.TimeoutExpired as exc:
            code, output = 124, f"{exc.output or ''}\ntimed out after {STEP_TIMEOUT} s"
        except OSError as exc:
            code, output = 127, f"could not run bash: {exc}"
        tail = "\n".join(str(output).rstrip().splitlines()[-TAIL_LINES:])
        runs.append(
            StepRun(
                language.name, phase, step.name, command, code, time.monotonic() - started, tail
            )
        )
        if code != 0:
            break
    return ProjectRun(tuple(runs), tuple(skipped))


def _virtualenv(path: Path, *, offline: bool) -> Path:
    """A virtual environment for one row. Offline: without pip of its own, seeing this
    environment's packages (pip, test tools, build backends) through a `.pth` file."""
    args = [sys.executable, "-m", "venv", str(path)]
    if offline:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True, timeout=STEP_TIMEOUT)
    if offline:
        python = path / "bin" / "python"
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        here = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
        # `import` lines of a .pth run at start-up: addsitedir also reads that folder's own
        # .pth files (editable installs, entry points' modules), as this environment does.
        Path(purelib, "_scaffolder_current_env.pth").write_text(
            "".join(f"import site; site.addsitedir({p!r})\n" for p in sorted(here)),
            encoding="utf-8",
        )
    return path
