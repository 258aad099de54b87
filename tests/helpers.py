"""Helpers for tests: build small copier templates inline, like copier's own `build_file_tree`."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from scaffolder.baseline import questions

#: The standard questions as every template asks them: scaffolder's one source, as text.
STANDARD_QUESTIONS_YAML = questions.SOURCE.read_text(encoding="utf-8")


def build_file_tree(root: Path, spec: Mapping[str, str]) -> Path:
    """Write `spec` (relative path -> text, dedented) under `root`."""
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def make_template(
    root: Path, extra_config: str = "", files: Mapping[str, str] | None = None
) -> Path:
    """A minimal scaffolder-compatible copier template: the standard questions and a README."""
    config = "_subdirectory: template\n" + textwrap.dedent(extra_config) + STANDARD_QUESTIONS_YAML
    tree = {
        "copier.yml": config,
        "template/README.md.jinja": "# {{ name }}\n",
        "template/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        **(files or {}),
    }
    return build_file_tree(root, tree)


def isolate_environment(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Point HOME, XDG dirs, git and copier config at `home`; drop every token and override."""
    for var in list(os.environ):
        if var.startswith(("GH_", "GITHUB_", "SCAFFOLDER_", "COPIER_", "GIT_")):
            mp.delenv(var, raising=False)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Author\n\temail = test.author@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    mp.setenv("HOME", str(home))
    mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # An empty copier settings file: no user defaults or trust leak in (pytest-copie reads it).
    (home / "copier-settings.yml").write_text("{}\n")
    mp.setenv("COPIER_SETTINGS_PATH", str(home / "copier-settings.yml"))
    mp.setenv("SCAFFOLDER_CATALOG", str(home / "catalog.yaml"))
    mp.setenv("NO_COLOR", "1")


#: A proxy nobody listens on: a tool that tried the network would fail instead of passing.
NO_NETWORK = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def run_tool(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool (zizmor, check-jsonschema, git, cargo...) offline, capturing its output."""
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **NO_NETWORK},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
