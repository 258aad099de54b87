"""`scaffolder template lint PATH|URL`: check a template against scaffolder's contract.

First the static checks (`contract.py`) on its copier.yml; then the render matrix
(`matrix.py`): sample answers rendered through `scaffolder new`'s steps into temporary folders,
each project audited. Nothing is published, registered or left behind.

Trust works as it does for copier and `scaffolder new`: a template with tasks, migrations or
Jinja extensions is not rendered without `--trust` (with it, its tasks run, as in `new
--trust`). Its unsafe features are listed either way, as review items: an organisation reviews
them, they are not failures. The outcome:

- exit 1: at least one error finding (a broken contract, a render that fails, an audit check
  that fails);
- exit 4: no error finding, but the renders were refused for want of `--trust`;
- exit 2: unusable input (no such folder, no copier.yml, YAML copier cannot read, a URL that
  cannot be cloned);
- exit 0: otherwise (review items may be listed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.commands.template import config as config_file
from scaffolder.commands.template import matrix
from scaffolder.commands.template.contract import Contract, check
from scaffolder.commands.template.findings import Finding, merged, relative
from scaffolder.commands.template.source import Source, is_url, open_source
from scaffolder.errors import ExitCode, ScaffolderError
from scaffolder.progress import SILENT, Progress


@dataclass(frozen=True)
class LintOptions:
    template: str
    trust: bool = False
    #: A git URL's branch or tag to check out (default: its default branch).
    vcs_ref: str | None = None


@dataclass(frozen=True)
class LintResult:
    template: str
    findings: tuple[Finding, ...]
    rows: tuple[matrix.RowResult, ...]
    #: Why the template was not rendered, if it was not.
    not_rendered: str = ""
    untrusted: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> ExitCode:
        if self.errors:
            return ExitCode.CHECKS_FAILED
        return ExitCode.UNTRUSTED if self.untrusted else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "ok": self.exit_code == ExitCode.OK,
            "summary": {
                "errors": len(self.errors),
                "review": len(self.findings) - len(self.errors),
                "rows": len(self.rows),
                "rows_failed": sum(not r.ok for r in self.rows),
            },
            "findings": [f.to_json() for f in self.findings],
            "rows": [r.to_json() for r in self.rows],
            "not_rendered": self.not_rendered or None,
        }


def run(options: LintOptions, progress: Progress = SILENT) -> LintResult:
    """Reads the template and writes only into temporary folders, which it removes."""
    return examine(options, progress)


def examine(
    options: LintOptions,
    progress: Progress,
    *,
    extra_rows: Sequence[tuple[str, Mapping[str, Any]]] = (),
    after: Callable[[matrix.RowResult, Path, matrix.Template], None] | None = None,
) -> LintResult:
    """Lint, with `template test`'s additions: more rows, and `after` on each project."""
    with open_source(options.template, vcs_ref=options.vcs_ref) as source:
        with progress.step("contract", f"{source.ref}: copier.yml, metadata, questions"):
            config = config_file.read(source.root)
            contract = check(config)
        findings = list(contract.findings)
        trusted = options.trust or source.builtin or _listed(options.template, source)
        if contract.unsafe and not trusted:
            reason = (
                f"not rendered: it uses {', '.join(contract.unsafe)}, which run only with "
                "--trust (its unsafe features are listed above for review)"
            )
            return LintResult(
                source.ref, tuple(merged(findings)), (), reason, untrusted=True, warnings=(reason,)
            )
        template = _prepare(source, config, contract, trusted)
        if isinstance(template, Finding):
            findings.append(template)
            return LintResult(source.ref, tuple(merged(findings)), (), template.message)
        rows = matrix.sample_rows(template.questions, extra_rows)
        with matrix.workspace() as root:
            results = matrix.render_rows(
                template, rows, trust=trusted, progress=progress, root=root, after=after
            )
        for result in results:
            findings.extend(result.findings)
        return LintResult(source.ref, tuple(merged(findings)), tuple(results))


def _listed(given: str, source: Source) -> bool:
    """Whether the configuration file lists this template (its folder, or its URL), which makes
    it trusted as for `scaffolder new` (`render.sources.allows_unsafe`)."""
    from scaffolder.render import sources
    from scaffolder.render.registry import TemplateInfo

    where = given if is_url(given) else str(source.root)
    return sources.allows_unsafe(TemplateInfo(given, where, builtin=False), trust=False)


def _prepare(
    source: Source, config: config_file.TemplateConfig, contract: Contract, trusted: bool
) -> matrix.Template | Finding:
    """The template as `scaffolder new` reads it (both layers' questions), or why it cannot
    be rendered at all."""
    from scaffolder.render import layers
    from scaffolder.render.registry import resolve_template

    ref = source.ref if source.builtin else str(source.root)
    try:
        stack = layers.build_stack(resolve_template(ref), trust=trusted)
    except ScaffolderError as exc:
        return Finding(
            "render",
            f"not rendered: {exc.message}",
            relative(config.path, config.root),
            1,
            hint=exc.hint or "",
        )
    sub = config.get("_subdirectory")
    subdirectory = sub.value if sub is not None and isinstance(sub.value, str) else ""
    return matrix.Template(
        ref=ref,
        config=config,
        questions=tuple(stack.questions),
        baseline=contract.baseline,
        subdirectory=subdirectory.strip("/"),
        languages=contract.languages,
    )
