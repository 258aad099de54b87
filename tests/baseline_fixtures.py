"""Shared fixtures for the baseline tests: every built-in template rendered once per matrix cell.

A scaffold costs a fraction of a second, but the matrix has 3 templates x 4 answer sets and
the checks run several tools on each, so each cell is rendered once per session, through the
real command (`scaffolder.commands.new.run`: copier's API for both layers, then a real git commit),
in an environment isolated like conftest's `isolated_env`. Tests that change a scaffold copy it
first (`scaffold_copy`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import isolate_environment

TEMPLATE_NAMES = ("python-service", "typescript-service", "go-service")
#: The baseline's language for each template, and CodeQL's name for it.
LANGUAGE = {"python-service": "python", "typescript-service": "typescript", "go-service": "go"}
CODEQL = {"python": "python", "typescript": "javascript-typescript", "go": "go"}

#: Descriptions full of what breaks YAML, JSON, TOML and Jinja when not escaped.
NASTY_DESCRIPTION = (
    "Takes \"payments\": refunds them # not a comment, {{ not_jinja }} {% raw %} 'quoted' "
    "& <b>tags</b> - [list] {map: 1} @at `tick` *star* !tag %pct\\back"
)
MULTILINE_DESCRIPTION = "First line: yes\n  second line # hash\n{% if x %}y{% endif %}\n- item"


@dataclass(frozen=True)
class Cell:
    id: str
    answers: Mapping[str, Any]


#: The answer matrix: every lifecycle, with and without a system, hostile descriptions,
#: every licence, group and user owners, with and without a GitHub owner.
CELLS = (
    # A group owner without a GitHub owner names its team (nothing is asked in these runs).
    Cell("defaults", {"owner": "group:default/payments", "codeowners": "@acme/payments"}),
    Cell(
        "production-system",
        {
            "owner": "group:default/payments",
            "lifecycle": "production",
            "system": "system:default/payments-platform",
            "description": NASTY_DESCRIPTION,
            "github_owner": "acme-corp",
            "security_contact": "security@acme.example",
            "license": "MIT",
        },
    ),
    Cell(
        "deprecated-multiline",
        {
            "owner": "user:jdoe",
            "lifecycle": "deprecated",
            "description": MULTILINE_DESCRIPTION,
            "security_contact": "https://acme.example/security",
            "license": "BSD-3-Clause",
        },
    ),
    Cell(
        "experimental-system",
        {
            "owner": "payments",
            "lifecycle": "experimental",
            "system": "payments-platform",
            "description": "Quotes ' and \" and : colons: # and {{ '{{' }}",
            "github_owner": "acme",
            "codeowners": "@acme/payments-maintainers",
        },
    ),
)
CELL_IDS = [c.id for c in CELLS]


@dataclass(frozen=True)
class Scaffold:
    template: str
    cell: Cell
    path: Path
    #: Every answer as resolved (defaults included).
    answers: Mapping[str, Any]

    @property
    def language(self) -> str:
        return LANGUAGE[self.template]


def render_scaffold(template: str, cell: Cell, dst: Path) -> Scaffold:
    from scaffolder.commands import new

    name = f"{cell.id}-{template}".replace("-service", "")
    result = new.run(
        new.NewOptions(template=template, output=dst / name, given=dict(cell.answers), catalog=None)
    )
    assert result.answers is not None
    return Scaffold(template, cell, result.project, dict(result.answers.all))


@pytest.fixture(scope="session")
def scaffolds(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], Scaffold]]:
    """(template, cell id) -> the rendered project, for the whole matrix."""
    home = tmp_path_factory.mktemp("scaffold-home")
    out = tmp_path_factory.mktemp("scaffolds")
    with pytest.MonkeyPatch.context() as mp:
        isolate_environment(mp, home)
        yield {
            (template, cell.id): render_scaffold(template, cell, out)
            for template in TEMPLATE_NAMES
            for cell in CELLS
        }


@pytest.fixture
def scaffold_copy(
    scaffolds: dict[tuple[str, str], Scaffold], tmp_path: Path
) -> Callable[[str, str], Path]:
    """A private copy of a rendered scaffold, safe to break."""

    def copy(template: str, cell: str = "defaults") -> Path:
        source = scaffolds[(template, cell)].path
        target = tmp_path / source.name
        shutil.copytree(source, target, symlinks=True)
        return target

    return copy
