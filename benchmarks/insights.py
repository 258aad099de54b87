"""Benchmark: `scaffolder insights` over a fleet of 1,000 components in 5 organisations (issue 15).

Starts the fake GitHub (`tests/fakegithub`, real HTTP on 127.0.0.1, the `ALERTS` routes) with 5
organisations of 200 repositories each and 10,000 alerts in all (seeded: code scanning 45 %,
Dependabot 40 %, secret scanning 15 %; 70 % open, the rest dismissed, fixed or resolved; some
repositories with a feature off, one organisation without Code Security for its private
repositories), and writes a catalog naming every repository. Then, for each round (default 3),
with an empty cache:

- the first run reads everything: the organisations' repository listings and alert lists, and
  the per-repository probes (counted apart);
- the second run, minutes later in real life, revalidates every page with its ETag (304s) and
  answers the probes from the day-long cache.

For each run it prints the requests the fake received (alert lists and listings apart from
probes), the rate-limit cost (requests not answered 304) and the wall time (median, min and max
over the rounds). The goals: under 150 requests on the first run besides the probes, a
rate-limit cost under 10 on the second.

Run: python benchmarks/insights.py [--rounds 3] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402  # after the sys.path line above

from scaffolder.cli import main as cli_main  # noqa: E402
from tests.catalog_helpers import location_catalog  # noqa: E402
from tests.fakegithub import ALERTS, CORE, FakeGitHub  # noqa: E402
from tests.fakegithub.alert_routes import (  # noqa: E402
    add_alert,
    code_scanning_alert,
    dependabot_alert,
    secret_scanning_alert,
)

TOKEN = "ghp_BENCHtoken0123456789abcdefABCDEF0123"  # noqa: S105  # the fake's, not a secret
ORGS = ("acme", "globex", "initech", "umbrella", "hooli")
PER_ORG = 200
ALERT_COUNT = 10_000
LIFECYCLES = ("production", "experimental", "deprecated")
SEVERITIES = ("critical", "high", "medium", "low")
_PROBE = ("/vulnerability-alerts", "/code-scanning/alerts")


def _cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main([str(a) for a in args])
    return code, out.getvalue()


def _fleet(fake: FakeGitHub, root: Path) -> Path:
    rng = random.Random(15)  # noqa: S311 -- seeded test data, not a secret
    state = fake.state
    repos = []
    for org in ORGS:
        state.add_org(org, members={"alice"}, plan="team", code_security=org != "hooli")
        for i in range(PER_ORG):
            repo = state.add_repo(org, f"svc-{i:03d}", private=i % 4 != 0)
            repo.code_scanning = rng.random() > 0.1
            repo.vulnerability_alerts = rng.random() > 0.1
            repo.secret_scanning = "enabled" if rng.random() > 0.2 else "disabled"
            repos.append(repo)
    kinds = {
        "code-scanning": [r for r in repos if r.code_scanning and r.security_plan_ok],
        "dependabot": [r for r in repos if r.vulnerability_alerts],
        "secret-scanning": [r for r in repos if r.secret_scanning == "enabled"],  # noqa: S105
    }
    for _ in range(ALERT_COUNT):
        kind = rng.choices(list(kinds), weights=(45, 40, 15))[0]
        repo = rng.choice(kinds[kind])
        is_open = rng.random() < 0.7
        if kind == "code-scanning":
            alert = code_scanning_alert(
                state="open" if is_open else rng.choice(("dismissed", "fixed")),
                security_severity_level=rng.choice((*SEVERITIES, None)),
                severity=rng.choice(("error", "warning", "note")),
            )
        elif kind == "dependabot":
            alert = dependabot_alert(
                state="open" if is_open else rng.choice(("dismissed", "fixed", "auto_dismissed")),
                severity=rng.choice(SEVERITIES),
            )
        else:
            alert = secret_scanning_alert(state="open" if is_open else "resolved")
        add_alert(state, repo, kind, alert)
    targets = []
    for repo in repos:
        entity = root / "entities" / repo.owner.login / repo.name / "catalog-info.yaml"
        entity.parent.mkdir(parents=True)
        doc = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": f"{repo.owner.login}-{repo.name}",
                "annotations": {"github.com/project-slug": repo.full_name},
            },
            "spec": {
                "type": "service",
                "lifecycle": LIFECYCLES[repo.id % 3],
                "owner": f"group:{repo.owner.login}",
            },
        }
        entity.write_text(yaml.safe_dump(doc), encoding="utf-8")
        targets.append(str(entity))
    return location_catalog(root / "all.yaml", targets)


def _figures(fake: FakeGitHub, since: int) -> dict[str, int]:
    requests = fake.requests[since:]
    probes = [r for r in requests if r.path.startswith("/repos/") and r.path.endswith(_PROBE)]
    return {
        "requests": len(requests) - len(probes),
        "probes": len(probes),
        "not_modified": sum(r.status == 304 for r in requests),
        "rate_limit_cost": fake.rate_limit_cost(since),
    }


def _summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-insights-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        cache = home / ".cache"
        os.environ.update(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"),
                "XDG_CACHE_HOME": str(cache),
                "SCAFFOLDER_GITHUB_BACKOFF_SCALE": "0",
                "SCAFFOLDER_GITHUB_TIMEOUT": "30",
                "GH_TOKEN": TOKEN,
            }
        )
        fake = FakeGitHub(root / "fake", groups=(CORE, ALERTS)).start()
        fake.state.add_user("alice", TOKEN, plan="pro")
        os.environ["SCAFFOLDER_GITHUB_API_URL"] = fake.api_url
        started = time.perf_counter()
        catalog = _fleet(fake, root)
        alerts = sum(len(a) for r in fake.state.repos.values() for a in r.alerts.values())
        print(
            f"{len(fake.state.repos)} repositories in {len(ORGS)} organisations, {alerts} alerts,"
            f" made in {time.perf_counter() - started:.1f} s"
        )
        flags = ["insights", "--catalog", catalog, "--concurrency", args.concurrency, "--json"]
        runs: dict[str, list[tuple[float, dict[str, int], dict[str, int]]]] = {
            "first": [],
            "second": [],
        }
        try:
            for _ in range(args.rounds):
                shutil.rmtree(cache / "scaffolder", ignore_errors=True)
                for label in runs:
                    since = len(fake.requests)
                    began = time.perf_counter()
                    code, out = _cli(flags)
                    seconds = time.perf_counter() - began
                    if code not in (0, 1):
                        raise SystemExit(f"insights exited {code}")
                    own = json.loads(out)["result"]["requests"]
                    runs[label].append((seconds, _figures(fake, since), own))
        finally:
            fake.stop()
        for label, results in runs.items():
            seconds = [r[0] for r in results]
            figures, own = results[-1][1], results[-1][2]
            print(f"\n{label} run ({args.rounds} rounds): {_summary(seconds)}")
            print(
                f"  requests (listings and alert lists): {figures['requests']}, "
                f"probes (apart): {figures['probes']}, answered 304: {figures['not_modified']}, "
                f"rate-limit cost: {figures['rate_limit_cost']}"
            )
            print(f"  as insights counted them: {own}")


if __name__ == "__main__":
    main()
