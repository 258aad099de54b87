"""Helpers for the `scaffolder template ...` tests: small templates written inline."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

from tests.helpers import STANDARD_QUESTIONS_YAML, build_file_tree

ANSWERS_FILE_TEMPLATE = "template/{{ _copier_conf.answers_file }}.jinja"

#: Where `go test` keeps its build cache: the one of whoever runs the tests, as found before
#: the tests' isolated HOME hides it (a cold cache costs half a minute per session).
GOCACHE = os.environ.get("GOCACHE") or str(Path.home() / ".cache" / "go-build")


def go_template(root: Path, *, test_body: str = "", extra_config: str = "") -> Path:
    """A small Go template that keeps the contract: standard questions included from their
    copy, metadata, its files in template/, a test that passes (or runs `test_body`)."""
    body = test_body or 'if Service == "" {\n\t\tt.Fatal("no name")\n\t}'
    return build_file_tree(
        root,
        {
            "standard-questions.yml": STANDARD_QUESTIONS_YAML,
            "copier.yml": "---\n!include standard-questions.yml\n---\n"
            + textwrap.dedent(
                """\
                _subdirectory: template
                _scaffolder:
                  title: Tiny Go
                  description: A Go module with one test.
                  version: "1.0.0"
                  languages: [go]
                """
            )
            + textwrap.dedent(extra_config),
            ANSWERS_FILE_TEMPLATE: "{{ _copier_answers | to_nice_yaml -}}\n",
            "template/README.md.jinja": "# {{ name }}\n",
            "template/.gitignore": "*.test\n",
            "template/go.mod.jinja": "module example.com/{{ name }}\n\ngo 1.26\n",
            "template/main.go.jinja": "package main\n\nconst Service = {{ name | tojson }}\n\n"
            "func main() {}\n",
            "template/main_test.go": 'package main\n\nimport "testing"\n\n'
            f"func TestService(t *testing.T) {{\n\t{body}\n}}\n",
        },
    )


def config_line(template: Path, pattern: str, file: str = "copier.yml") -> int:
    """The 1-based line of `file` that matches `pattern` (a regex), for asserting findings."""
    lines = (template / file).read_text(encoding="utf-8").splitlines()
    found = [i for i, line in enumerate(lines, 1) if re.search(pattern, line)]
    assert len(found) == 1, f"{pattern!r} matches lines {found} of {file}"
    return found[0]


def findings(envelope: Mapping, kind: str | None = None) -> list[dict]:
    result = envelope["result"]
    return [f for f in result["findings"] if kind is None or f["kind"] == kind]


def git_repository(path: Path) -> Path:
    """Commit everything in `path` (a real git repository, as a template's own)."""
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "template"]):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


def go_env(tmp: Path) -> dict[str, str]:
    return {"GOCACHE": GOCACHE, "GOPATH": str(tmp / "gopath"), "GOTOOLCHAIN": "local"}
