"""Benchmark: `scaffolder new` against a plain `copier copy`, and `scaffolder --help`.

Prints the median wall time of several runs of each, and the ratios. Goals (issue 2):
- the whole scaffold (render, commit, register) takes at most 1.3x a plain copier render;
- `scaffolder --help` finishes in under 0.2 s.

"A plain copier render" is measured two ways, both as `copier copy` in a fresh process with
the same answers: the python-service template alone, and the same two layers scaffolder
renders (python-service, then the security baseline), which writes the same files.

Run: python benchmarks/scaffold.py [--runs N]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
BIN = Path(sys.executable).parent
ANSWERS = {"name": "bench-service", "owner": "group:default/platform", "description": "Benchmark"}
#: A group owner needs its GitHub team (scaffolder's rule; the baseline layer asks it).
BASELINE_ANSWERS = {"codeowners": "@acme/platform"}


def _data_flags() -> list[str]:
    flags: list[str] = []
    for key, value in ANSWERS.items():
        flags += ["--data", f"{key}={value}"]
    return flags


def timed(cmd: list[str], env: dict[str, str], runs: int, fresh: Path | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        if fresh is not None and fresh.exists():
            shutil.rmtree(fresh)
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        env = {
            **os.environ,
            "HOME": str(tmp),
            "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "COPIER_SETTINGS_PATH": str(tmp / "copier.yml"),
            "SCAFFOLDER_CATALOG": str(tmp / "catalog.yaml"),
        }
        (tmp / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
        (tmp / "copier.yml").write_text("{}\n")
        dst = tmp / "bench-service"
        scaffolder = [
            str(BIN / "scaffolder"),
            "new",
            "python-service",
            "--output",
            str(dst),
            "--no-input",
        ]
        for key, value in {**ANSWERS, **BASELINE_ANSWERS}.items():
            scaffolder += ["--set", f"{key}={value}"]
        copier = [str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet", *_data_flags()]
        copier_template = [*copier, str(TEMPLATES / "python-service"), str(dst)]
        results = {
            "scaffolder new (render+commit+register)": timed(scaffolder, env, args.runs, dst),
            "copier copy python-service": timed(copier_template, env, args.runs, dst),
        }
        # The baseline layer receives the first layer's answers and scaffolder's context as data.
        layer_data = tmp / "layer-data.yml"
        layer_data.write_text(
            "".join(f"{key}: {value}\n" for key, value in ANSWERS.items())
            + "lifecycle: experimental\nsystem: ''\npython_version: '3.11'\n"
            "scaffolder_languages: [python]\nscaffolder_template: python-service\n"
            "scaffolder_template_version: '1.0.0'\n"
        )
        layered = []
        for _ in range(args.runs):
            if dst.exists():
                shutil.rmtree(dst)
            start = time.perf_counter()
            subprocess.run(copier_template, env=env, check=True, capture_output=True)
            subprocess.run(
                [
                    *copier[:5],
                    "--data-file",
                    str(layer_data),
                    "--answers-file",
                    ".copier-answers.baseline.yml",
                    str(TEMPLATES / "_baseline"),
                    str(dst),
                ],
                env=env,
                check=True,
                capture_output=True,
            )
            layered.append(time.perf_counter() - start)
        results["copier copy python-service + _baseline"] = layered
        results["scaffolder --help"] = timed([str(BIN / "scaffolder"), "--help"], env, args.runs)

    medians = {name: statistics.median(times) for name, times in results.items()}
    width = max(map(len, medians))
    print(f"median of {args.runs} runs (seconds)")
    for name, value in medians.items():
        print(f"  {name:<{width}}  {value:.3f}")
    scaffold = medians["scaffolder new (render+commit+register)"]
    for base in ("copier copy python-service", "copier copy python-service + _baseline"):
        print(f"  ratio scaffolder new / {base}: {scaffold / medians[base]:.2f}x (goal <= 1.30x)")
    help_time = medians["scaffolder --help"]
    verdict = "ok" if help_time < 0.2 else "SLOW"
    print(f"  scaffolder --help: {help_time:.3f}s (goal < 0.200s) {verdict}")


if __name__ == "__main__":
    main()
