"""Benchmark: `scaffolder update --catalog FILE --pull-request` over a fleet (issue 14).

Starts the fake GitHub (`tests/fakegithub`, real HTTP and real git on 127.0.0.1), makes one
project with `scaffolder new --no-input` (in-process), pushes it to N repositories (default 200)
and writes a catalog naming them. Installs a newer baseline (9.9.0, `tests/test_update.py`'s
`newer_templates`) and runs the fleet update at `--concurrency` (default 8) twice:

- the first run opens a pull request in every repository;
- the second finds every branch and pull request and writes nothing.

For each run it prints the wall time, the outcome counts, and every request by method and path
(repository names replaced by `{o}/{r}`), per repository, split into API reads, API writes and
git requests. Pacing is off (`$SCAFFOLDER_GITHUB_BACKOFF_SCALE` = 0) unless `--paced`: with
GitHub's one second between writes the first run's wall time is at least one second a write.

Run: python benchmarks/rollout.py [--repos 200] [--concurrency 8] [--paced]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402  # after the sys.path line above

from scaffolder.cli import main as cli_main  # noqa: E402
from scaffolder.render.registry import TEMPLATES_DIR_ENV  # noqa: E402
from tests.catalog_helpers import location_catalog  # noqa: E402
from tests.fakegithub import CATALOG, CORE, FakeGitHub  # noqa: E402
from tests.test_update import newer_templates  # noqa: E402

TOKEN = "ghp_BENCHtoken0123456789abcdefABCDEF0123"  # noqa: S105  # the fake's, not a secret
_REPO = re.compile(r"^/(repos/)?acme/svc-\d+")


def _cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main([str(a) for a in args])
    return code, out.getvalue() + err.getvalue()


def _fleet(fake: FakeGitHub, root: Path, count: int) -> Path:
    project = root / "svc"
    code, text = _cli(
        ["new", "python-service", "-o", project, "--no-input", "--no-register",
         "--set", "owner=group:payments", "--set", "github_owner=acme"]
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"scaffolder new failed: {text}")
    targets = []
    for i in range(count):
        name = f"svc-{i:03d}"
        fake.state.add_repo("acme", name, private=True)
        bare = fake.state.bare_path("acme", name)
        subprocess.run(["git", "push", "-q", str(bare), "main:main"], cwd=project, check=True)
        entity = root / "entities" / name / "catalog-info.yaml"
        entity.parent.mkdir(parents=True)
        doc = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": name, "annotations": {"github.com/project-slug": f"acme/{name}"}},
            "spec": {"type": "service", "lifecycle": "production", "owner": "group:payments"},
        }
        entity.write_text(yaml.safe_dump(doc), encoding="utf-8")
        targets.append(str(entity))
    return location_catalog(root / "all.yaml", targets)


def _report(
    label: str, fake: FakeGitHub, since: int, seconds: float, code: int, count: int
) -> None:
    requests = fake.requests[since:]
    by_path: Counter[tuple[str, str, str]] = Counter()
    for r in requests:
        kind = "git" if r.kind == "git" else ("write" if r.write else "read")
        path = _REPO.sub(lambda m: "/repos/{o}/{r}" if m[1] else "/{o}/{r}", r.path)
        by_path[(kind, r.method, path)] += 1
    totals = Counter(kind for (kind, _, _), n in by_path.items() for _ in range(n))
    print(f"\n{label}: {seconds:.1f} s wall, exit {code}, {len(requests)} requests")
    print(f"  per repository: {len(requests) / count:.2f} requests "
          f"({totals['read'] / count:.2f} API reads, {totals['write'] / count:.2f} API writes, "
          f"{totals['git'] / count:.2f} git)")  # fmt: skip
    for (kind, method, path), n in sorted(by_path.items()):
        print(f"  {kind:<5} {method:<4} {path:<48} {n:>5}  {n / count:.2f}/repo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--paced", action="store_true", help="GitHub's real write spacing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        os.environ.update(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"),
                "XDG_CACHE_HOME": str(home / ".cache"),
                "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
                "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
            }
        )  # fmt: skip
        fake = FakeGitHub(root / "fake", groups=(CORE, CATALOG)).start()
        fake.state.add_user("alice", TOKEN, plan="pro")
        fake.state.add_org("acme", members={"alice"}, plan="team")
        os.environ["SCAFFOLDER_GITHUB_API_URL"] = fake.api_url
        os.environ["GH_TOKEN"] = TOKEN
        os.environ["SCAFFOLDER_GITHUB_BACKOFF_SCALE"] = "1" if args.paced else "0"
        os.environ["SCAFFOLDER_GITHUB_TIMEOUT"] = "30"
        started = time.perf_counter()
        catalog = _fleet(fake, root, args.repos)
        print(f"{args.repos} repositories made and pushed in {time.perf_counter() - started:.1f} s")
        os.environ[TEMPLATES_DIR_ENV] = str(newer_templates(root / "next"))
        flags = ["update", "--catalog", catalog, "--pull-request", "--concurrency",
                 str(args.concurrency), "--json"]  # fmt: skip
        try:
            for label in ("first run (opens every pull request)", "second run (writes nothing)"):
                since = len(fake.requests)
                started = time.perf_counter()
                code, _ = _cli(flags)
                _report(label, fake, since, time.perf_counter() - started, code, args.repos)
        finally:
            fake.stop()


if __name__ == "__main__":
    main()
