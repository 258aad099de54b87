"""Benchmark: `scaffolder report --html FILE` over 1,000 components (issue 15).

Writes N component folders (default 1,000; lifecycles, owners and systems mixed) each holding
its catalog-info.yaml and the answers files `scaffolder new` writes (template and baseline
versions, read back for the page), and a catalog listing them. Builds live results in the
JSON shapes of `insights` and `audit --live` (5 organisations, 10,000 alerts in total) and
times `commands.report.run` end to end (catalog read, versions, page, atomic write), with and
without the live results, `--runs` times each (default 5); prints median, min and max, the
page size, and the render time alone.

`--from-history`: the projects as `scaffolder new` leaves them, versions recorded only in the
initial commit, so each is read from git (`outdated`'s reading); without it, the answers
record them, as after `scaffolder update`.

Run: python benchmarks/report.py [--components 1000] [--runs 5] [--from-history]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402  # after the sys.path line above

from scaffolder.commands import report  # noqa: E402
from scaffolder.fleet import Selection  # noqa: E402
from scaffolder.render.registry import baseline_layer, resolve_template  # noqa: E402
from scaffolder.report import page, rows  # noqa: E402
from tests.catalog_helpers import location_catalog  # noqa: E402

LIFECYCLES = ("production", "production", "experimental", "deprecated")
SEVERITIES = rows.SEVERITIES


def _commit(folder: Path, template: str, baseline: str) -> None:
    """The project as `scaffolder new` commits it: its versions in the initial commit only."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    message = f"Initial commit from the python-service {template} template"
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "-m", message, "-m", f"Scaffolder-Baseline: {baseline}"],
    ):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True)


def _fleet(root: Path, count: int, *, history: bool = False) -> Path:
    template = resolve_template("python-service")
    baseline = baseline_layer().version
    targets = []
    for i in range(count):
        folder = root / f"svc-{i:04d}"
        folder.mkdir(parents=True)
        entity = {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": f"svc-{i:04d}",
                "description": f"Service {i} <b>of</b> the fleet",
                "annotations": {"github.com/project-slug": f"org{i % 5}/svc-{i:04d}"},
            },
            "spec": {
                "type": "service",
                "lifecycle": LIFECYCLES[i % 4],
                "owner": f"group:default/team-{i % 12}",
                "system": f"system-{i % 7}",
            },
        }
        (folder / "catalog-info.yaml").write_text(yaml.safe_dump(entity), encoding="utf-8")
        answers = {"_src_path": str(ROOT / "templates" / "python-service"), "name": f"svc-{i}"}
        base = {"_src_path": str(ROOT / "templates" / "_baseline"), "name": f"svc-{i}"}
        if not history:  # as `scaffolder update` records them
            answers["_scaffolder_template_version"] = template.version
            base["_scaffolder_baseline_version"] = baseline
        (folder / ".copier-answers.yml").write_text(yaml.safe_dump(answers), encoding="utf-8")
        (folder / ".copier-answers.baseline.yml").write_text(yaml.safe_dump(base), "utf-8")
        if history:
            _commit(folder, template.version, baseline)
        targets.append(str(folder / "catalog-info.yaml"))
    return location_catalog(root / "catalog.yaml", targets)


def _live(count: int, alerts: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """insights and audit results: `alerts` open alerts spread over the components."""
    per = alerts // count
    insights, audits = [], []
    for i in range(count):
        ref = f"component:default/svc-{i:04d}"
        spread = [per // 4 + (1 if s < per % 4 else 0) for s in range(4)]
        features: dict[str, Any] = {
            "code_scanning": {"state": "on", "open": dict(zip(SEVERITIES, spread, strict=True))},
            "dependabot": {"state": "on", "open": dict.fromkeys(SEVERITIES, 0)},
            "secret_scanning": {"state": "off" if i % 3 else "on", "open": None},
        }
        if features["secret_scanning"]["state"] == "on":
            features["secret_scanning"]["open"] = dict.fromkeys(SEVERITIES, 0)
        insights.append({"ref": ref, "status": "finding", "reason": None, **features})
        checks = [
            {"name": "ruleset", "status": "failed" if i % 10 == 0 else "passed"},
            {"name": "secret-scanning", "status": "passed"},
        ]
        status = "finding" if i % 10 == 0 else "ok"
        audits.append({"ref": ref, "status": status, "reason": None, "checks": checks})
    return {"components": insights}, {"components": audits}


def _time(runs: int, call: Any) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def _line(label: str, times: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(times):.3f}s, min {min(times):.3f}s, "
        f"max {max(times):.3f}s ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--from-history",
        action="store_true",
        help="projects as `new` leaves them: versions only in the initial commit (git reads)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scaffolder-report-bench-") as scratch:
        root = Path(scratch)
        catalog = _fleet(root / "fleet", args.components, history=args.from_history)
        out = root / "report.html"
        insights, audit = _live(args.components, args.alerts)
        selection = Selection(str(catalog))
        plain = report.ReportOptions(html=out, selection=selection)
        live = report.ReportOptions(html=out, selection=selection, insights=insights, audit=audit)
        first = _time(1, lambda: report.run(plain))
        print(f"{args.components} components, first run (catalog cache cold): {first[0]:.3f}s")
        print(_line("report (catalog only)", _time(args.runs, lambda: report.run(plain))))
        print(_line("report with live results", _time(args.runs, lambda: report.run(live))))
        result = report.run(live)
        assert result.to_json()["open_alerts"] is not None
        data = result.to_json()
        print(f"page: {data['bytes']:,} bytes, open alerts {data['open_alerts']}")
        collected = rows.collect(selection).live(insights, audit)
        renders = _time(args.runs, lambda: page.render(collected, generated="now"))
        print(_line("render alone (with live results)", renders))


if __name__ == "__main__":
    main()
