"""Benchmark: `scaffolder new` against copier, cookiecutter and cruft, and `--help` start-up.

Goals (issue 12):
- `scaffolder new python-service` (render both layers, commit, register in the catalog) takes
  at most 0.70x a plain `copier copy` of the python-service template alone;
- `scaffolder --help` finishes in under 0.1 s.
Reported beside them, without a goal: copier rendering both layers (python-service, then the
_baseline layer with the data scaffolder passes it), cookiecutter and `cruft create` rendering
the same 19 files, `scaffolder new --help`, and a cold `scaffolder new` (an empty
$SCAFFOLDER_CACHE_DIR: no compiled Jinja templates, dataclass methods or regular expressions
yet, see scaffolder/jinja_cache.py and scaffolder/code_cache.py) beside the warm one.

Every command runs in a fresh process, in turn (A B C ... A B C ...) so machine noise falls on
all alike, after one warm-up run each that is not counted. For each it prints the median,
minimum and maximum wall time and the peak memory (max RSS, from `os.wait4`, of the largest
process the command ran). Children get an isolated HOME and XDG folders, a pinned git identity
(GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM=1), empty copier settings (COPIER_SETTINGS_PATH) and
no PYTHON* variables (so no PYTHONDONTWRITEBYTECODE); scaffolder's and site-packages' modules
are compiled first, as in a user's install.

The cookiecutter template is made at run time from a project scaffolder rendered (see
peers/cookiecutter_template.py), and cookiecutter's output is checked to be byte for byte
scaffolder's before anything is measured. cookiecutter and cruft come with the `bench` extra.

Run: pip install -e '.[bench]' && python benchmarks/scaffold.py [--runs N]
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installed import CompileError, compile_modules
from peers import cookiecutter_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
BIN = Path(sys.executable).parent
NAME, OWNER, CODEOWNERS = "bench-service", "group:bench", "@acme/bench"
#: The python-service template's own answers (what `copier copy` is given as --data).
TEMPLATE_ANSWERS = {"name": NAME, "owner": OWNER}
#: A group owner needs its GitHub team (scaffolder's rule, checked before anything is written).
NEW = [
    "new",
    "python-service",
    "--no-input",
    *("--set", f"owner={OWNER}", "--set", f"codeowners={CODEOWNERS}", "--set", f"name={NAME}"),
]
BASELINE_ANSWERS_FILE = ".copier-answers.baseline.yml"
PEERS = ("copier", "cookiecutter", "cruft")
SCAFFOLDER_NEW = "scaffolder new"
SCAFFOLDER_COLD = "scaffolder new, cold"
COPIER_ONE = "copier copy python-service"
COPIER_BOTH = "copier copy python-service + _baseline"
COOKIECUTTER = "cookiecutter"
CRUFT = "cruft create"
HELP = "scaffolder --help"
NEW_HELP = "scaffolder new --help"
GOAL_NEW_VS_COPIER = 0.70
GOAL_HELP_SECONDS = 0.1


class BenchError(Exception):
    """A command failed or a peer did not render the same files: the figures would lie."""


@dataclass
class Command:
    """One measured command: `steps` run one after the other in a fresh folder, timed together."""

    name: str
    steps: Callable[[Path], list[list[str]]]
    env: Callable[[Path], dict[str, str]] = lambda run: {}
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    last: Path | None = None


class Runner:
    """Runs commands with an isolated environment, each run in a folder of its own."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = isolated_env(tmp)
        self._count = 0

    def fresh(self) -> Path:
        self._count += 1
        run = self.tmp / "runs" / f"{self._count:04d}"
        run.mkdir(parents=True)
        return run

    def once(self, command: Command) -> tuple[float, int]:
        """Run `command` once (its previous folder removed first, untimed); seconds, max RSS."""
        if command.last is not None:
            shutil.rmtree(command.last)
        run = command.last = self.fresh()
        env = {**self.env, "SCAFFOLDER_CATALOG": str(run / "catalog.yaml"), **command.env(run)}
        seconds, peak = 0.0, 0
        for argv in command.steps(run):
            spent, rss = self.exec(argv, env, cwd=run)
            seconds += spent
            peak = max(peak, rss)
        return seconds, peak

    def exec(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
        log = self.tmp / "last-command.log"
        with log.open("wb") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise BenchError(f"`{' '.join(argv)}` exited {code}:\n{tail}")
        return seconds, usage.ru_maxrss


def isolated_env(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir()
    (tmp / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    # Empty settings: an empty mapping (copier 9.19.1 fails on an empty file).
    (tmp / "copier-settings.yml").write_text("{}\n")
    dropped = ("PYTHON", "GIT_", "SCAFFOLDER_", "COPIER_", "COOKIECUTTER", "XDG_", "GITHUB_", "GH_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    return {
        **env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COPIER_SETTINGS_PATH": str(tmp / "copier-settings.yml"),
        # Warm: the caches the first (warm-up) run fills. The cold command sets its own.
        "SCAFFOLDER_CACHE_DIR": str(tmp / "cache"),
    }


def executables() -> dict[str, str]:
    found = {name: BIN / name for name in ("scaffolder", *PEERS)}
    if missing := [name for name, path in found.items() if not path.exists()]:
        raise BenchError(
            f"{', '.join(missing)} not installed in {BIN}: "
            "install the benchmark's peers with pip install -e '.[bench]'"
        )
    return {name: str(path) for name, path in found.items()}


def reference(runner: Runner, bins: dict[str, str]) -> tuple[Path, dict[str, Any]]:
    """A project scaffolder rendered, and `new`'s JSON result, for the peers to match."""
    run = runner.fresh()
    dst = run / NAME
    proc = subprocess.run(
        [bins["scaffolder"], *NEW, "--output", str(dst), "--json"],
        cwd=run,
        env={**runner.env, "SCAFFOLDER_CATALOG": str(run / "catalog.yaml")},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"scaffolder new exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)["result"]
    return dst, result


def baseline_data(runner: Runner, result: dict[str, Any]) -> Path:
    """The data scaffolder gives the _baseline layer: every answer and scaffolder's context."""
    from scaffolder import __version__

    try:  # what scaffolder's layers.current_user() reads
        login = re.sub(r"[^A-Za-z0-9]+", "-", getpass.getuser()).strip("-")
    except (OSError, KeyError):
        login = ""
    data = {
        **result["answers"],
        # python-service's computed answers (`when: false`), which the baseline reads.
        "package_name": NAME.replace("-", "_"),
        "test_requirements": "requirements-test.txt",
        "scaffolder_user": login,
        "scaffolder_version": __version__,
        "scaffolder_template": result["template"]["name"],
        "scaffolder_template_version": result["template"]["version"],
        "scaffolder_languages": ["python"],
    }
    path = runner.tmp / "baseline-data.json"
    path.write_text(json.dumps(data))
    return path


def cookiecutter_peer(runner: Runner, project: Path, result: dict[str, Any]) -> tuple[Path, str]:
    """The cookiecutter template (a git repository, for cruft) rendering `project`'s files,
    and a line saying what it holds."""
    answers = {k: v for k, v in result["answers"].items() if isinstance(v, str) and k != "name"}
    context = {
        cookiecutter_template.SLUG: NAME,
        "package_name": NAME.replace("-", "_"),
        **answers,
    }
    template = runner.tmp / "cookiecutter-template"
    replaced = cookiecutter_template.build(project, context, template)
    cookiecutter_template.commit(template, runner.env)
    return template, (
        f"cookiecutter template made from scaffolder's output: {len(context)} variables, "
        f"{replaced} places where an answer's value became {{{{ cookiecutter.KEY }}}}"
    )


def commands(bins: dict[str, str], template: Path, data: Path) -> list[Command]:
    copier = [bins["copier"], "copy", "--trust", "--defaults", "--quiet"]
    copier += [
        arg for key, value in TEMPLATE_ANSWERS.items() for arg in ("--data", f"{key}={value}")
    ]
    python_service = str(TEMPLATES / "python-service")
    baseline = [
        bins["copier"], "copy", "--trust", "--defaults", "--quiet", "--data-file", str(data),
        "--answers-file", BASELINE_ANSWERS_FILE, str(TEMPLATES / "_baseline"),
    ]  # fmt: skip
    new = [bins["scaffolder"], *NEW, "--output"]
    return [
        Command(SCAFFOLDER_NEW, lambda run: [[*new, str(run / NAME)]]),
        Command(
            SCAFFOLDER_COLD,
            lambda run: [[*new, str(run / NAME)]],
            env=lambda run: {"SCAFFOLDER_CACHE_DIR": str(run / "cache")},
        ),
        Command(COPIER_ONE, lambda run: [[*copier, python_service, str(run / NAME)]]),
        Command(
            COPIER_BOTH,
            lambda run: [[*copier, python_service, str(run / NAME)], [*baseline, str(run / NAME)]],
        ),
        Command(
            COOKIECUTTER,
            lambda run: [[bins["cookiecutter"], "--no-input", "-o", str(run), str(template)]],
        ),
        Command(
            CRUFT,
            lambda run: [
                [bins["cruft"], "create", "--no-input", "--output-dir", str(run), str(template)]
            ],
        ),
        Command(HELP, lambda run: [[bins["scaffolder"], "--help"]]),
        Command(NEW_HELP, lambda run: [[bins["scaffolder"], "new", "--help"]]),
    ]


def check_same_work(project: Path, by_name: dict[str, Command]) -> list[str]:
    """After the warm-up: every peer rendered scaffolder's files. Returns the lines to print."""
    lines = []
    expected = len(cookiecutter_template.files(project))
    lines.append(f"files rendered (.git excluded): {SCAFFOLDER_NEW} {expected}, of which")
    lines.append("  2 copier answer files; every peer's files compared with scaffolder's:")
    for name, extra in (
        (SCAFFOLDER_COLD, ()),
        (COPIER_ONE, None),
        (COPIER_BOTH, ()),
        (COOKIECUTTER, ()),
        (CRUFT, (".cruft.json",)),
    ):
        out = _output(by_name[name])
        count = len(cookiecutter_template.files(out))
        if extra is None:
            lines.append(f"  {name}: {count} (one layer of two)")
            continue
        if problems := cookiecutter_template.compare(project, out, ignore=extra):
            raise BenchError(f"{name} did not render scaffolder's files: {'; '.join(problems)}")
        note = f" + {', '.join(extra)}" if extra else ""
        lines.append(f"  {name}: {count - len(extra)}{note}, byte for byte scaffolder's files")
    cold = by_name[SCAFFOLDER_COLD].last
    assert cold is not None
    cached = sum(1 for path in (cold / "cache").rglob("*") if path.is_file())
    lines.append(f"{SCAFFOLDER_COLD}: its empty $SCAFFOLDER_CACHE_DIR held {cached} files after")
    return lines


def _output(command: Command) -> Path:
    assert command.last is not None
    return command.last / NAME


def measure(runner: Runner, todo: list[Command], runs: int) -> None:
    """`runs` rounds of every command in turn: A B C ... A B C ..."""
    for _ in range(runs):
        for command in todo:
            seconds, rss = runner.once(command)
            command.seconds.append(seconds)
            command.rss_kb.append(rss)


def table(todo: list[Command]) -> list[str]:
    width = max(len(command.name) for command in todo)
    lines = [f"  {'command':<{width}}  median     min     max  peak RSS"]
    for command in todo:
        times = command.seconds
        lines.append(
            f"  {command.name:<{width}}  {statistics.median(times):6.3f}  {min(times):6.3f}"
            f"  {max(times):6.3f}  {max(command.rss_kb) / 1024:5.1f} MB"
        )
    return lines


def ratios(by_name: dict[str, Command]) -> tuple[list[str], list[str]]:
    """The ratios (of the medians; of the minimums, less touched by a busy machine), and the
    goals' verdicts (on the medians)."""
    median = {name: statistics.median(command.seconds) for name, command in by_name.items()}
    least = {name: min(command.seconds) for name, command in by_name.items()}
    new = median[SCAFFOLDER_NEW]
    lines = ["ratios: of the medians (of the minimums)"]
    for top, base in (
        (SCAFFOLDER_NEW, COPIER_ONE),
        (SCAFFOLDER_NEW, COPIER_BOTH),
        (SCAFFOLDER_NEW, COOKIECUTTER),
        (SCAFFOLDER_NEW, CRUFT),
        (SCAFFOLDER_COLD, SCAFFOLDER_NEW),
    ):
        goal = f"  goal <= {GOAL_NEW_VS_COPIER:.2f}x" if base == COPIER_ONE else ""
        lines.append(
            f"  {top} / {base}: {median[top] / median[base]:.2f}x"
            f" ({least[top] / least[base]:.2f}x){goal}"
        )
    vs_copier = new / median[COPIER_ONE]
    verdicts = [
        "goals:",
        f"  {SCAFFOLDER_NEW} / {COPIER_ONE} = {vs_copier:.2f}x, goal <= "
        f"{GOAL_NEW_VS_COPIER:.2f}x: {'met' if vs_copier <= GOAL_NEW_VS_COPIER else 'MISSED'}",
        f"  {HELP} = {median[HELP]:.3f} s, goal < {GOAL_HELP_SECONDS:.1f} s: "
        f"{'met' if median[HELP] < GOAL_HELP_SECONDS else 'MISSED'}",
    ]
    return lines, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each (default 7)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as tmp:
            return bench(Path(tmp), args.runs)
    except (BenchError, CompileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def bench(tmp: Path, runs: int) -> int:
    if isinstance(sys.stdout, io.TextIOWrapper):  # each line as it comes, even into a pipe
        sys.stdout.reconfigure(line_buffering=True)
    bins = executables()
    runner = Runner(tmp)
    print("compiling scaffolder's and site-packages' modules, as a user's install has them")
    for note in compile_modules(runner.env):
        print(note)
    project, result = reference(runner, bins)
    template, about = cookiecutter_peer(runner, project, result)
    print(about)
    todo = commands(bins, template, baseline_data(runner, result))
    by_name = {command.name: command for command in todo}
    print("warm-up: one run of each command, excluded (it also fills the warm caches)")
    for command in todo:
        runner.once(command)
    print("\n".join(check_same_work(project, by_name)))
    print(f"measuring: {runs} runs of each, in turn (A B C ... A B C ...)")
    measure(runner, todo, runs)
    lines, verdicts = ratios(by_name)
    print(f"\nseconds over {runs} runs; peak RSS: the command's largest process, max over runs")
    print("\n".join([*table(todo), *lines, *verdicts]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
