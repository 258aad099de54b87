"""Running scaffolder in a child process as it runs from a user's install.

pip writes the .pyc files of what it installs; this machine may forbid writing them
(PYTHONDONTWRITEBYTECODE), and then every run would compile again each module changed since
its .pyc was last written. The benchmarks compile them first, and give children no PYTHON*
variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class CompileError(Exception):
    """One of scaffolder's own modules does not compile."""


def without_python_variables(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) without its PYTHON* variables."""
    source = os.environ if env is None else env
    return {key: value for key, value in source.items() if not key.startswith("PYTHON")}


def compile_modules(env: dict[str, str]) -> list[str]:
    """Write the .pyc files a user's install has.

    scaffolder's modules must compile; a third-party file that does not (test data, another
    Python's syntax) is not ours to fix, so that only comes back as a line to print.
    """
    notes = []
    for folder, strict in ((ROOT / "scaffolder", True), (sysconfig.get_paths()["purelib"], False)):
        argv = [sys.executable, "-m", "compileall", "-q", "-j", "0", str(folder)]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            continue
        if strict:
            raise CompileError(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stdout}")
        notes.append(f"note: some files in {folder} do not compile (compileall exit 1)")
    return notes
