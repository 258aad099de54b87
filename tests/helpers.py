"""Helpers for tests: build small copier templates inline, like copier's own `build_file_tree`."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

STANDARD_QUESTIONS_YAML = """\
name:
  type: str
  default: "{{ _folder_name }}"
description:
  type: str
  default: ""
owner:
  type: str
lifecycle:
  type: str
  choices: [experimental, production, deprecated]
  default: experimental
system:
  type: str
  default: ""
"""


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
