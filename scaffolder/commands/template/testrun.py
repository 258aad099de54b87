"""`scaffolder template test PATH|URL [--answers FILE]... [--offline]`: lint, and run each
rendered project's own tests.

The rows are lint's (`matrix.py`), plus one per `--answers` file (its answers over the sample
ones). Each rendered and audited project then runs its languages' CI steps (`projectrun.py`);
a failing step is a `tests` finding naming the row. Exit 1 if any row fails, with lint's other
codes (2 unusable input, 4 unsafe features without `--trust`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder.commands.template import lint, matrix, projectrun
from scaffolder.commands.template.findings import Finding
from scaffolder.errors import ExitCode
from scaffolder.progress import SILENT, Progress


@dataclass(frozen=True)
class TestOptions:
    __test__ = False  # not a pytest test class, whatever its name

    template: str
    answers: tuple[Path, ...] = ()
    offline: bool = False
    trust: bool = False
    vcs_ref: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", tuple(Path(p) for p in self.answers))


@dataclass(frozen=True)
class TestResult:
    __test__ = False

    lint: lint.LintResult
    offline: bool
    warnings: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> ExitCode:
        return self.lint.exit_code

    def to_json(self) -> dict[str, Any]:
        return {**self.lint.to_json(), "offline": self.offline}


def run(options: TestOptions, progress: Progress = SILENT) -> TestResult:
    from scaffolder.answers import load_data_file

    # Every answers file is read before anything renders: a bad one is exit 2.
    extra = [(f"answers from {path}", load_data_file(path)) for path in options.answers]

    def after(row: matrix.RowResult, project: Path, template: matrix.Template) -> None:
        meta = template.config.get("_scaffolder")
        langs, skipped = projectrun.languages_of(
            template.languages,
            meta.value if meta is not None and isinstance(meta.value, Mapping) else {},
            str(template.config.path),
        )
        others = projectrun.other_versions(langs, row.resolved)
        if row.row.sample and others:
            # The toolchain set-up is not run: the tools on PATH serve the default versions.
            row.tests = projectrun.ProjectRun(
                (),
                skipped,
                f"{', '.join(others)}: only rows with the default toolchain "
                "versions run their tests (the tools on PATH are used, not set up)",
            )
            return
        with progress.step(f"row {row.row.index} tests", ", ".join(lang.name for lang in langs)):
            tests = projectrun.run_tests(
                project,
                langs,
                row.resolved,
                offline=options.offline,
                workdir=project.parent / f"{project.name}-env",
                skipped=skipped,
            )
        row.tests = tests
        failed = tests.failed
        if failed is not None:
            folder = template.subdirectory or "."
            row.findings.append(
                Finding(
                    "tests",
                    f"the project's {failed.phase} step {failed.name!r} (`{failed.command}`) "
                    f"exits {failed.exit_code}: {_last_line(failed.tail)}",
                    f"{folder}/",
                    rows=(row.row.index,),
                    hint="render it with that row's answers (scaffolder new) and run the step "
                    "there; --json shows the step's last lines of output",
                )
            )

    lint_options = lint.LintOptions(options.template, trust=options.trust, vcs_ref=options.vcs_ref)
    result = lint.examine(lint_options, progress, extra_rows=extra, after=after)
    warnings = list(result.warnings)
    if options.offline:
        warnings.append("offline: no step reached the network; installed tools and caches served")
    return TestResult(result, options.offline, tuple(warnings))


def _last_line(tail: str) -> str:
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
