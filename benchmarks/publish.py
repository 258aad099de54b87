"""Benchmark: the requests `scaffolder publish` makes, and how long it waits (issue 12).

Starts the fake GitHub (`tests/fakegithub`, real HTTP on 127.0.0.1), scaffolds one project per
case with `scaffolder new --no-input` (in-process) and publishes it, then publishes the finished
repository again. For each case it prints every request by method and path (ids and names
replaced by placeholders), the step that made it, totals, writes and git requests. Requests made
by plan detection (the `align` step) and by an access policy step (`policy`, when there is one)
are counted apart and labelled; the goals count the steps publish had before them.

Cases: a user's private repository (Pro), an organisation's (Team), and each plan the fake
models: a user's private repository on Free (no protection: exit 3), a public one on Free, an
organisation with Code Security, an Enterprise organisation, and Enterprise Server without the
rulesets API (classic branch protection).

Timing: the user case is published with the pacing as shipped and GitHub's real spacing
(`$SCAFFOLDER_GITHUB_BACKOFF_SCALE` = 1: one second between writes), alternately (A B A B) with
the old pacing (0.25 s before every request as well), and with no pacing at all (scale 0) to
show what the waiting costs; median, minimum and maximum of `--runs` runs each.

Run: python benchmarks/publish.py [--runs N] [--no-timing]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffolder.cli import main as cli_main  # noqa: E402  # after the sys.path line above
from scaffolder.errors import ScaffolderError  # noqa: E402
from scaffolder.github import GitHubClient, GitHubSettings  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fakegithub.server import Request  # noqa: E402

TOKEN = "ghp_BENCHtoken0123456789abcdefABCDEF0123"  # noqa: S105  # the fake's, not a secret
#: Steps whose requests are counted apart from the goal: plan detection and the access policy.
APART = {"align": "plan detection", "policy": "policy"}
#: Goals (issue 12): requests of a new repository's publish, writes of a clean re-run.
GOAL_NEW = 17
BEFORE = {"user": (22, 19, 5), "org": (24, 20, 5)}  # new total, re-run total, re-run writes


def template(path: str) -> str:
    """A request path with names and ids replaced by placeholders."""
    path = re.sub(r"^/repos/[^/]+/[^/]+", "/repos/{o}/{r}", path)
    path = re.sub(r"^/orgs/[^/]+", "/orgs/{org}", path)
    path = re.sub(r"/rulesets/\d+", "/rulesets/{id}", path)
    path = re.sub(r"/branches/[^/]+/protection", "/branches/{b}/protection", path)
    return re.sub(r"^/[^/]+/[^/]+\.git/", "/{o}/{r}.git/", path)


@dataclass
class StepLog:
    """A `Progress` that notes which requests each step made."""

    fake: FakeGitHub
    marks: list[tuple[str, int, int]] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[None]:
        start = len(self.fake.requests)
        try:
            yield
        finally:
            self.marks.append((name, start, len(self.fake.requests)))

    def note(self, message: str) -> None:
        return None

    def labelled(self, since: int) -> list[tuple[str, Request]]:
        out = []
        for name, start, end in self.marks:
            out += [(name, r) for r in self.fake.requests[max(start, since) : end]]
        return out


@dataclass
class Outcome:
    case: str
    run: str
    code: int
    requests: list[tuple[str, Request]]
    seconds: float

    def counted(self) -> list[tuple[str, Request]]:
        return [(s, r) for s, r in self.requests if s not in APART]

    @property
    def total(self) -> int:
        return len(self.counted())

    @property
    def writes(self) -> int:
        return sum(1 for _, r in self.counted() if r.write)

    @property
    def git(self) -> int:
        return sum(1 for _, r in self.counted() if r.kind == "git")

    @property
    def apart(self) -> Counter[str]:
        return Counter(APART[s] for s, _ in self.requests if s in APART)


# -- the environment -------------------------------------------------------------------------
def isolate(home: Path) -> None:
    for var in list(os.environ):
        if var.startswith(("GH_", "GITHUB_", "SCAFFOLDER_", "COPIER_", "GIT_")):
            del os.environ[var]
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    (home / "copier.yml").write_text("{}\n")
    os.environ.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        COPIER_SETTINGS_PATH=str(home / "copier.yml"),
        SCAFFOLDER_CATALOG=str(home / "catalog.yaml"),
        NO_COLOR="1",
        GH_TOKEN=TOKEN,
    )


def start_fake(root: Path, prefix: str = "") -> FakeGitHub:
    fake = FakeGitHub(root, prefix=prefix).start()
    fake.state.add_user("alice", TOKEN, plan="pro")
    fake.state.add_org("acme", members={"alice"}, plan="team")
    fake.state.add_org("secure", members={"alice"}, plan="team", code_security=True)
    fake.state.add_org("bigcorp", members={"alice"}, plan="enterprise")
    os.environ["SCAFFOLDER_GITHUB_API_URL"] = fake.api_url
    return fake


def scaffold(dst: Path) -> Path:
    args = ["new", "python-service", "--output", str(dst), "--no-input"]
    args += ["--set", "owner=group:default/payments", "--set", "codeowners=@acme/payments"]
    args += ["--set", "description=Benchmark service"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(args)
    if code:
        raise SystemExit(f"scaffolder new failed ({code})")
    return dst


Connector = Callable[[], GitHubClient]


def publish(
    fake: FakeGitHub,
    project: Path,
    owner: str,
    *,
    private: bool = True,
    connect: Connector | None = None,
) -> tuple[int, list[tuple[str, Request]], float]:
    from scaffolder.commands import publish as command
    from scaffolder.publish.model import PublishOptions
    from scaffolder.publish.run import PublishRun

    log = StepLog(fake)
    since = len(fake.requests)
    options = PublishOptions(project=project, owner=owner, private=private)
    code = 0
    start = time.perf_counter()
    if connect is None:
        try:
            command.run(options, log)
        except ScaffolderError as exc:
            code = int(exc.exit_code)
    else:  # the same steps over a client built by the benchmark (another pacing)
        from scaffolder.project import Project
        from scaffolder.publish.steps import STEPS
        from scaffolder.runner import Run

        state = PublishRun(request=options, connect=connect, _project=Project.load(project))
        try:
            Run(command="publish", steps=STEPS, state=state, progress=log).execute()
        except ScaffolderError as exc:
            code = int(exc.exit_code)
        finally:
            state.close()
    return code, log.labelled(since), time.perf_counter() - start


# -- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    owner: str
    private: bool = True
    setup: Callable[[FakeGitHub], None] = lambda fake: None
    ghes: bool = False


def _free(fake: FakeGitHub) -> None:
    fake.state.accounts["alice"].plan = "free"


def _no_rulesets(fake: FakeGitHub) -> None:
    fake.state.rulesets_supported = False


CASES = (
    Case("user", "alice"),
    Case("org", "acme"),
    Case("user, Free, private (no protection)", "alice", setup=_free),
    Case("user, Free, public", "alice", private=False, setup=_free),
    Case("org with Code Security", "secure"),
    Case("org on Enterprise", "bigcorp"),
    Case("Enterprise Server, no rulesets", "acme", setup=_no_rulesets, ghes=True),
)


def run_case(tmp: Path, case: Case, index: int) -> list[Outcome]:
    fake = start_fake(tmp / f"fake{index}", "/api/v3" if case.ghes else "")
    try:
        case.setup(fake)
        project = scaffold(tmp / f"case{index}" / "bench-service")
        outcomes = []
        for run in ("new", "again"):
            code, requests, seconds = publish(fake, project, case.owner, private=case.private)
            outcomes.append(Outcome(case.name, run, code, requests, seconds))
        return outcomes
    finally:
        fake.stop()


def print_table(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        print(
            f"\n## {o.case}: publish {'of a new repository' if o.run == 'new' else 'again'} "
            f"(exit {o.code})"
        )
        rows: Counter[tuple[str, str, str, int, str]] = Counter()
        for step, r in o.requests:
            label = f"{step} [{APART[step]}, counted apart]" if step in APART else step
            method = "GIT" if r.kind == "git" else r.method
            write = "yes" if r.write else ("git" if r.kind == "git" else "")
            rows[(label, method, template(r.path), r.status, write)] += 1
        width = max([len(row[2]) for row in rows] + [4])
        print(f"  {'n':>2}  {'method':<6} {'path':<{width}}  status  {'write':<5}  step")
        for (label, method, path, status, write), n in rows.items():
            print(f"  {n:>2}  {method:<6} {path:<{width}}  {status:>6}  {write:<5}  {label}")
        apart = ", ".join(f"{k}: {v}" for k, v in o.apart.items()) or "none"
        print(
            f"  total {o.total} requests ({o.git} git), {o.writes} API writes; "
            f"counted apart: {apart}"
        )


def verdicts(outcomes: list[Outcome]) -> list[tuple[str, bool]]:
    found = {(o.case, o.run): o for o in outcomes}
    out = []
    for case in ("user", "org"):
        new, again = found[(case, "new")], found[(case, "again")]
        before_new, before_again, before_writes = BEFORE[case]
        out.append(
            (
                f"{case}: new repository {new.total} requests (before {before_new}, "
                f"goal <= {GOAL_NEW})",
                new.total <= GOAL_NEW and new.code == 0,
            )
        )
        out.append(
            (
                f"{case}: publish again {again.total} requests, {again.writes} writes, "
                f"{again.git} git (before {before_again} requests, {before_writes} writes; "
                "goal: reads only)",
                again.writes == 0 and again.git == 0 and again.code == 0,
            )
        )
    for o in outcomes:
        if o.run == "again" and o.case not in ("user", "org"):
            out.append((f"{o.case}: publish again makes {o.writes} writes (goal 0)", o.writes == 0))
    return out


# -- timing ----------------------------------------------------------------------------------
def old_pacing() -> GitHubClient:
    """A client paced as before: 0.25 s before every request, 1 s between writes."""
    settings = GitHubSettings.from_env()
    from dataclasses import replace

    return GitHubClient(replace(settings, request_interval=0.25 * settings.retry.scale))


def timing(tmp: Path, runs: int) -> list[tuple[str, bool]]:
    fake = start_fake(tmp / "fake-timing")
    os.environ["SCAFFOLDER_GITHUB_BACKOFF_SCALE"] = "1"
    results: dict[str, list[float]] = {
        "A new, pacing as shipped": [],
        "B new, old pacing (0.25 s before every request)": [],
        "A again, pacing as shipped": [],
        "B again, old pacing (0.25 s before every request)": [],
        "new, no pacing (scale 0)": [],
        "again, no pacing (scale 0)": [],
    }
    writes: list[int] = []
    try:
        for i in range(runs):
            for variant, connect in (
                ("pacing as shipped", None),
                ("old pacing (0.25 s before every request)", old_pacing),
            ):
                label = "A" if connect is None else "B"
                project = scaffold(tmp / f"timed{i}{label}" / f"svc-{i}-{label.lower()}")
                code, requests, seconds = publish(fake, project, "alice", connect=connect)
                assert code == 0, f"publish failed ({code})"
                results[f"{label} new, {variant}"].append(seconds)
                if connect is None:
                    writes.append(sum(r.write for _, r in requests))
                code, _, seconds = publish(fake, project, "alice", connect=connect)
                results[f"{label} again, {variant}"].append(seconds)
        os.environ["SCAFFOLDER_GITHUB_BACKOFF_SCALE"] = "0"
        for i in range(runs):
            project = scaffold(tmp / f"unpaced{i}" / f"svc-{i}-z")
            results["new, no pacing (scale 0)"].append(publish(fake, project, "alice")[2])
            results["again, no pacing (scale 0)"].append(publish(fake, project, "alice")[2])
    finally:
        fake.stop()
    print(f"\n## wall time of a user's publish, seconds ({runs} runs each, A B A B)")
    width = max(map(len, results))
    print(f"  {'':<{width}}  median    min    max")
    for name, times in results.items():
        print(
            f"  {name:<{width}}  {statistics.median(times):6.2f} {min(times):6.2f} "
            f"{max(times):6.2f}"
        )
    med = {name: statistics.median(times) for name, times in results.items()}
    waiting_new = med["A new, pacing as shipped"] - med["new, no pacing (scale 0)"]
    waiting_again = med["A again, pacing as shipped"] - med["again, no pacing (scale 0)"]
    spacing = max(writes) - 1
    print(
        f"  waiting (shipped - unpaced): new {waiting_new:.2f} s for {max(writes)} writes, "
        f"again {waiting_again:.2f} s"
    )
    ratio = med["B new, old pacing (0.25 s before every request)"] / med["A new, pacing as shipped"]
    print(f"  ratio old pacing / shipped, new repository: {ratio:.2f}x")
    return [
        (
            f"pacing: a new repository waits {waiting_new:.2f} s, no more than the "
            f"{spacing} s between its {max(writes)} writes (reads unpaced)",
            waiting_new <= spacing + 0.3,
        ),
        (
            f"pacing: publish again waits {waiting_again:.2f} s (no writes: goal ~0)",
            waiting_again < 0.3,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true", help="count requests only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        isolate(tmp / "home")
        os.environ["SCAFFOLDER_GITHUB_BACKOFF_SCALE"] = "0"
        outcomes = [o for i, case in enumerate(CASES) for o in run_case(tmp, case, i)]
        print_table(outcomes)
        results = verdicts(outcomes)
        if not args.no_timing:
            results += timing(tmp, args.runs)
    print("\n## goals")
    for text, ok in results:
        print(f"  {'met   ' if ok else 'MISSED'}  {text}")


if __name__ == "__main__":
    main()
