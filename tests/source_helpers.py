"""Helpers for the template-source tests: templates as real git repositories with release tags,
a configuration file, and a `git daemon` on 127.0.0.1 serving bare repositories."""

from __future__ import annotations

import shutil
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import make_template


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def metadata(title: str, version: str, languages: str = "[python]") -> str:
    return (
        f"_scaffolder:\n  title: {title}\n  description: {title}, for tests\n"
        f'  version: "{version}"\n  languages: {languages}\n'
    )


def tagged_repository(
    root: Path,
    tags: Sequence[str],
    *,
    title: str = "Acme worker",
    subdirectory: str = "",
    extra_config: str = "",
) -> Path:
    """A git repository with one commit per tag: its copier.yml names that version, and its
    README says which tag rendered it. `subdirectory`: the template lives in that folder."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    folder = root / subdirectory if subdirectory else root
    for tag in tags:
        version = tag.removeprefix("v")
        make_template(
            folder,
            metadata(title, version) + extra_config,
            files={"template/README.md.jinja": f"# {{{{ name }}}}\nfrom {tag}\n"},
        )
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"release {tag}")
        git(root, "tag", "-a", tag, "-m", tag)
    return root


def bare(repository: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    git(repository.parent, "clone", "-q", "--bare", str(repository), str(dest))
    return dest


def write_config(home: Path, text: str) -> Path:
    """The default configuration file (`$XDG_CONFIG_HOME/scaffolder/config.toml`)."""
    path = home / ".config" / "scaffolder" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GitDaemon:
    """`git daemon` serving every repository under `base` at git://127.0.0.1:PORT/."""

    base: Path
    port: int

    def url(self, rel: str) -> str:
        return f"git://127.0.0.1:{self.port}/{rel}"


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[GitDaemon]:
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    base = tmp_path / "served"
    base.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            f"--base-path={base}",
            "--export-all",
            "--reuseaddr",
            "--informative-errors",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("git daemon did not start")
                time.sleep(0.05)
        yield GitDaemon(base, port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
