"""Benchmark: the catalog at 1,000, 10,000 and 100,000 entries (issue 12).

Goals at 100,000 entries, warm (the entity cache filled by an earlier command):
`catalog register PATH` 0.35 s, `unregister` by path 0.5 s and by entity reference 1.5 s,
`list --lifecycle production` 1.5 s, `validate` 2 s, peak memory of `list` 150 MB.

For each size, builds in a temporary folder N project folders each holding a
catalog-info.yaml (a Component with one of three lifecycles and one of twenty owners) and a
catalog file in the layout `scaffolder catalog register` writes (one Location per target).
Then runs each command in a fresh `python -m scaffolder` process (no PYTHON* variables, the
modules compiled first, as in a user's install: `installed.py`) and prints the median, min
and max wall time of several runs, and the peak memory (max RSS, from `os.wait4`) of each:

- cold: the entity cache emptied just before the run (the first command on a machine);
- warm: the cache left by the run before (the catalog and its files unchanged: its snapshot
  of the whole walk), alternating with
- no-cache: the same command with `--no-cache` (warm A, no-cache B, A, B, ...).

`register` and `unregister PATH` do not read entity files beyond the one registered, so they
have no cold/warm difference; the catalog file is restored before each of their runs.

Run: python benchmarks/catalog.py [--sizes 1000,10000,100000] [--runs 3] [--cold-runs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from installed import compile_modules, without_python_variables

from scaffolder.catalog import locations, yamltext

LIFECYCLES = ("production", "experimental", "deprecated")
ENTITY = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc-{i}
  description: Service number {i}
  annotations:
    github.com/project-slug: acme/svc-{i}
spec:
  type: service
  lifecycle: {lifecycle}
  owner: group:team-{team}
"""
#: The goals at 100,000 entries (seconds; MB for memory).
GOALS = {
    "register PATH": 0.35,
    "unregister PATH": 0.5,
    "unregister REF": 1.5,
    "list --lifecycle production": 1.5,
    "validate": 2.0,
}
RSS_GOAL_MB = 150


def build(root: Path, entries: int) -> Path:
    """N entity files and a catalog listing them, written as `catalog register` writes it."""
    parts = [locations.HEADER]
    for i in range(entries):
        folder = root / "projects" / f"svc-{i}"
        folder.mkdir(parents=True)
        info = folder / "catalog-info.yaml"
        info.write_text(ENTITY.format(i=i, lifecycle=LIFECYCLES[i % 3], team=i % 20))
        parts.append(("---\n" if i else "") + yamltext.document("file", str(info)))
        if i and i % 20_000 == 0:
            print(f"  built {i:,} entity files", flush=True)
    catalog = root / "catalog.yaml"
    catalog.write_text("".join(parts))
    # Older than the cache's two-second window for files that may still be changing.
    past = time.time() - 60
    for folder in (root / "projects").iterdir():
        os.utime(folder / "catalog-info.yaml", (past, past))
    return catalog


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def add(self, seconds: float, rss_mb: float) -> None:
        self.times.append(seconds)
        self.rss_mb.append(rss_mb)

    def __str__(self) -> str:
        if not self.times:
            return "-"
        t = self.times
        return (
            f"{statistics.median(t):7.3f} s (min {min(t):.3f}, max {max(t):.3f}; "
            f"max RSS {max(self.rss_mb):.0f} MB, n={len(t)})"
        )

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")


def run(args: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """Wall time, max RSS (MB) and exit code of one `python -m scaffolder ARGS` process."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "scaffolder", *args], env=env, stdout=sink, stderr=sink
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def bench_size(entries: int, runs: int, cold_runs: int) -> dict[str, dict[str, Figures]]:
    print(f"\n== {entries:,} entries ==", flush=True)
    with tempfile.TemporaryDirectory() as tmp_str:
        root = Path(tmp_str)
        start = time.perf_counter()
        catalog = build(root, entries)
        print(
            f"built {entries:,} entity files and the catalog in "
            f"{time.perf_counter() - start:.1f} s ({catalog.stat().st_size / 1e6:.1f} MB)",
            flush=True,
        )
        cache = root / "cache"
        env = {
            **without_python_variables(),
            "SCAFFOLDER_CATALOG": str(catalog),
            "SCAFFOLDER_CACHE_DIR": str(cache),
            "NO_COLOR": "1",
        }
        env.pop("SCAFFOLDER_NO_CACHE", None)
        out = root / "out.txt"
        pristine = catalog.read_bytes()
        extra = root / "projects" / "extra"
        extra.mkdir()
        (extra / "catalog-info.yaml").write_text(
            ENTITY.format(i="extra", lifecycle="production", team=7)
        )
        middle = root / "projects" / f"svc-{entries // 2}" / "catalog-info.yaml"
        results: dict[str, dict[str, Figures]] = {}

        def measure(name: str, mode: str, args: list[str], *, restore: bool = False) -> None:
            if restore:
                catalog.write_bytes(pristine)
            if mode == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            flags = ["--no-cache"] if mode == "no-cache" else []
            elapsed, rss, code = run(args + flags, env, out)
            if code not in (0, 1):
                raise SystemExit(f"{name} ({mode}) exited {code}:\n{out.read_text()[-2000:]}")
            results.setdefault(name, {}).setdefault(mode, Figures()).add(elapsed, rss)

        plain = {
            "register PATH": ["catalog", "register", str(extra)],
            "unregister PATH": ["catalog", "unregister", str(middle)],
        }
        for name, args in plain.items():
            for _ in range(runs):
                measure(name, "warm", args, restore=True)
            print(f"  {name:30} {results[name]['warm']}", flush=True)
        catalog.write_bytes(pristine)
        walked = {
            "unregister REF": ["catalog", "unregister", f"svc-{entries // 2}"],
            "list --lifecycle production": ["catalog", "list", "--lifecycle", "production"],
            "validate": ["catalog", "validate"],
        }
        for name, args in walked.items():
            restore = name.startswith("unregister")
            for _ in range(cold_runs):
                measure(name, "cold", args, restore=restore)
            for _ in range(runs):  # alternately, so machine noise cancels
                measure(name, "warm", args, restore=restore)
                measure(name, "no-cache", args, restore=restore)
            for mode in ("cold", "warm", "no-cache"):
                print(f"  {name:30} {mode:8} {results[name][mode]}", flush=True)
        catalog.write_bytes(pristine)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=3, help="warm and no-cache runs of each")
    parser.add_argument("--cold-runs", type=int, default=2, help="cold runs of each")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print("compiling scaffolder's and site-packages' modules, as a user's install has them")
    for note in compile_modules(without_python_variables()):
        print(note)
    table = {n: bench_size(n, args.runs, args.cold_runs) for n in sizes}

    print("\n== scaling (median seconds: warm / cold / no-cache) ==")
    print(f"{'command':30} " + " ".join(f"{n:>26,}" for n in sizes))
    for name in GOALS:
        cells = []
        for n in sizes:
            modes = table[n][name]
            cold = modes.get("cold")
            nocache = modes.get("no-cache")
            cells.append(
                f"{modes['warm'].median:8.3f}"
                + (f" / {cold.median:7.3f}" if cold else " /       -")
                + (f" / {nocache.median:7.3f}" if nocache else " /       -")
            )
        print(f"{name:30} " + " ".join(f"{c:>26}" for c in cells))
    largest = max(sizes)
    if largest == 100_000:
        print("\n== goals at 100,000 (warm median; the lead's quiet machine decides) ==")
        for name, goal in GOALS.items():
            got = table[largest][name]["warm"].median
            print(f"{name:30} {got:7.3f} s  goal {goal} s  {'met' if got <= goal else 'MISSED'}")
        rss = max(table[largest]["list --lifecycle production"]["warm"].rss_mb)
        verdict = "met" if rss <= RSS_GOAL_MB else "MISSED"
        print(f"{'list max RSS':30} {rss:7.0f} MB goal {RSS_GOAL_MB} MB  {verdict}")


if __name__ == "__main__":
    main()
