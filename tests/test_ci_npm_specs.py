"""`.ci/run` fills the npm cache from typescript-service's lockfile through `.ci/npm_specs.py`:
it must keep reading the lockfile template however its placeholders are written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_npm_specs_lists_the_lockfiles_pinned_packages() -> None:
    proc = subprocess.run(
        [sys.executable, ".ci/npm_specs.py", "templates/typescript-service/template"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    specs = proc.stdout.split()
    assert any(s.startswith("typescript@") for s in specs), specs
    assert any(s.startswith("@types/node@") for s in specs), specs
