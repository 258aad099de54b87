"""pytest fixtures for template authors: `scaffold(template_dir, answers)`.

A pytest plugin, loaded by a template's root `conftest.py` (`scaffolder template init` writes
it, with a `pytest.ini` that makes the template's folder pytest's root)::

    pytest_plugins = ["scaffolder.testing"]

It is not registered as an entry point on purpose: that would load it into every pytest run
of every environment scaffolder is installed in (a generated project's own tests among them).
Then a test reads::

    def test_renders(scaffold):
        result = scaffold(TEMPLATE, {"name": "billing-api", "owner": "group:default/billing",
                                     "codeowners": "@acme/billing"})
        assert result.exit_code == 0, result.exception
        assert (result.project_dir / "pyproject.toml").is_file()
        assert result.audit.ok, result.audit_failures      # scaffolder audit of the project
        assert result.run_tests().ok                        # the language table's CI steps

Built on pytest-copie (install `scaffolder[testing]`): `scaffold` uses the `copie` fixture's
folder for the projects (kept with `--keep-copied-projects`), its isolated copier settings
and its `--template` option (the default `template_dir`), and returns pytest-copie's result
fields (`exit_code`: 0, or the scaffolder exit code; `exception`; `project_dir`; `answers`).
Unlike `copie.copy`, the project is rendered by `scaffolder new`'s own steps: the template,
then the security baseline on top, then a git commit. Nothing is registered or published. A
template with tasks, migrations or Jinja extensions needs `scaffold(..., trust=True)`.

`pytest --scaffolder-offline` makes `run_tests()` run without the network (see
`scaffolder template test --help`).

The module imports only pytest; scaffolder's commands (and copier) are imported when a test
asks for `scaffold`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from scaffolder.audit import AuditReport
    from scaffolder.commands.template.projectrun import ProjectRun


@dataclass
class ScaffoldResult:
    """A scaffold: pytest-copie's result fields, plus the audit and the project's own tests."""

    exception: BaseException | None = None
    exit_code: int = 0
    project_dir: Path | None = None
    #: Every answer as resolved (defaults and computed values included).
    answers: dict[str, Any] = field(default_factory=dict)
    #: `scaffolder audit` of the project; None when it was not rendered or has no baseline.
    audit: AuditReport | None = None
    languages: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    offline: bool = False

    @property
    def audit_failures(self) -> list[str]:
        """`check: reason` for each failed audit check (an assertion's message)."""
        if self.audit is None:
            return ["not audited"]
        return [f"{r.name}: {r.reason}" for r in self.audit.results if not r.passed]

    def run_tests(self, *, offline: bool | None = None) -> ProjectRun:
        """Run the project's own tests: each language's CI install and test steps."""
        from scaffolder.commands.template import projectrun

        if self.project_dir is None:
            raise RuntimeError(f"nothing was rendered: {self.exception}")
        langs, missing = projectrun.languages_of(self.languages, self.metadata, self.source)
        return projectrun.run_tests(
            self.project_dir,
            langs,
            self.answers,
            offline=self.offline if offline is None else offline,
            workdir=self.project_dir.parent / f"{self.project_dir.name}-env",
            skipped=missing,
        )

    def __repr__(self) -> str:
        return f"<ScaffoldResult {self.exception or self.project_dir}>"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scaffolder")
    group.addoption(
        "--scaffolder-offline",
        action="store_true",
        default=False,
        dest="scaffolder_offline",
        help="scaffold(...).run_tests() runs without the network (installed tools serve)",
    )


@pytest.fixture
def scaffold(copie: Any, request: pytest.FixtureRequest) -> Callable[..., ScaffoldResult]:
    """`scaffold(template_dir=None, answers=None, *, trust=False) -> ScaffoldResult`."""
    default = Path(str(request.config.option.template))
    offline = bool(request.config.getoption("scaffolder_offline"))
    counter = itertools.count()

    def make(
        template_dir: Path | str | None = None,
        answers: Mapping[str, Any] | None = None,
        *,
        trust: bool = False,
    ) -> ScaffoldResult:
        from scaffolder.audit import audit
        from scaffolder.commands import new
        from scaffolder.errors import ScaffolderError

        template = Path(template_dir or default).resolve()
        given = dict(answers or {})
        dst = Path(copie.test_dir) / f"scaffold{next(counter):03d}"
        try:
            made = new.run(
                new.NewOptions(
                    template=str(template), output=dst, given=given, catalog=None, trust=trust
                )
            )
        except ScaffolderError as exc:
            return ScaffoldResult(exc, int(exc.exit_code), None, given)
        info = made.template
        baseline = info.metadata.get("baseline", True) is not False
        return ScaffoldResult(
            exception=None,
            exit_code=0,
            project_dir=made.project,
            answers=dict(made.answers.all) if made.answers else given,
            audit=audit(made.project) if baseline else None,
            languages=info.languages,
            metadata=dict(info.metadata),
            source=str(template / "copier.yml"),
            offline=offline,
        )

    return make
