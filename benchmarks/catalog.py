"""Benchmark: the catalog at 10,000 entries.

Goals (issue 6):
- registering into a catalog of 10,000 entries takes well under a second;
- `catalog list` with filters over 10,000 local entities takes a few seconds.

Builds, in a temporary folder, 10,000 project folders each holding a catalog-info.yaml (a
Component with one of three lifecycles and one of twenty owners) and a catalog file listing
them all. Then measures, as the median of several runs:
- `locations.register` of one more target (the core call `scaffolder new` makes), and
  `scaffolder catalog register PATH` end to end in a fresh process (startup, target check,
  lock, edit, atomic write);
- `scaffolder catalog list --lifecycle production --owner group:team-7` in a fresh process,
  and the core `list_catalog` in-process;
- `scaffolder catalog validate` in a fresh process (every entity, relations included).

Run: python benchmarks/catalog.py [--entries N] [--runs N]
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
from collections.abc import Callable
from pathlib import Path

from scaffolder.catalog import locations
from scaffolder.catalog.listing import Filters, list_catalog
from scaffolder.catalog.sources import LocalCatalog

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


def build(root: Path, entries: int) -> Path:
    targets = []
    for i in range(entries):
        folder = root / "projects" / f"svc-{i}"
        folder.mkdir(parents=True)
        info = folder / "catalog-info.yaml"
        info.write_text(ENTITY.format(i=i, lifecycle=LIFECYCLES[i % 3], team=i % 20))
        targets.append(f"    - {info}\n")
    catalog = root / "catalog.yaml"
    catalog.write_text(
        locations.HEADER
        + "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n"
        + "  name: scaffolder-file-targets\nspec:\n  type: file\n  targets:\n"
        + "".join(targets)
    )
    return catalog


def median(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffolder", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_str:
        root = Path(tmp_str)
        start = time.perf_counter()
        catalog = build(root, args.entries)
        print(
            f"built {args.entries} entity files and the catalog in "
            f"{time.perf_counter() - start:.1f}s ({catalog.stat().st_size // 1024} KiB)"
        )
        env = {**os.environ, "SCAFFOLDER_CATALOG": str(catalog), "NO_COLOR": "1"}

        extra = root / "projects" / "extra"
        shutil.copytree(root / "projects" / "svc-0", extra)
        (extra / "catalog-info.yaml").write_text(
            ENTITY.format(i="extra", lifecycle="production", team=7)
        )
        pristine = catalog.read_bytes()

        def core_register() -> bool:
            catalog.write_bytes(pristine)
            return locations.register(catalog, str(extra / "catalog-info.yaml"), target_type="file")

        t_core, _ = median(core_register, args.runs)
        print(f"register, core call (locations.register): {t_core * 1000:8.1f} ms")

        def cli_register() -> subprocess.CompletedProcess[str]:
            catalog.write_bytes(pristine)
            return cli(["catalog", "register", str(extra)], env)

        t_cli, proc = median(cli_register, args.runs)
        assert isinstance(proc, subprocess.CompletedProcess) and proc.returncode == 0, proc
        print(f"register, `scaffolder catalog register` process: {t_cli * 1000:8.1f} ms")
        t_idem, _ = median(lambda: cli(["catalog", "register", str(extra)], env), args.runs)
        print(f"register again (idempotent, no write), process: {t_idem * 1000:8.1f} ms")

        filters = ["--lifecycle", "production", "--owner", "group:team-7"]
        t_list, proc = median(lambda: cli(["catalog", "list", *filters, "--json"], env), args.runs)
        assert isinstance(proc, subprocess.CompletedProcess) and proc.returncode == 0, proc
        shown = proc.stdout.count('"ref":')
        print(f"list {' '.join(filters)}, process: {t_list:8.2f} s ({shown} rows shown)")
        wanted = Filters(lifecycle=("production",), owner=("group:team-7",))
        t_core_list, listing = median(lambda: list_catalog(LocalCatalog(catalog), wanted), 3)
        print(
            f"list, core call (list_catalog): {t_core_list:8.2f} s "
            f"({getattr(listing, 'total', 0)} entities read)"
        )

        t_validate, proc = median(lambda: cli(["catalog", "validate"], env), 3)
        assert isinstance(proc, subprocess.CompletedProcess), proc
        print(
            f"validate, process: {t_validate:8.2f} s (exit {proc.returncode}; "
            f"{proc.stdout.strip().splitlines()[-1]})"
        )

        print()
        verdict = "met" if t_cli < 0.5 and t_core < 0.25 else "MISSED"
        print(f"goal 'register into 10,000 entries well under a second': {verdict}")
        verdict = "met" if t_list < 5 else "MISSED"
        print(f"goal 'list with filters over 10,000 entities in a few seconds': {verdict}")


if __name__ == "__main__":
    main()
