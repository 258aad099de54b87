"""Checks on GitHub Actions workflows: what runs (CodeQL, CI, dependency review, Scorecard)
and how every workflow is written (pins, permissions, timeouts, credentials, injection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from scaffolder.audit.model import Outcome, count, noted
from scaffolder.audit.repo import Job, Repository, Step, Workflow
from scaffolder.baseline import languages

_SHA = re.compile(r"^[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"^v?\d+(\.\d+)*\b")
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
#: Contexts an attacker can write: event payloads (titles, bodies, branch names), head_ref.
_UNTRUSTED = re.compile(
    r"\bgithub\s*\.\s*(event\b|head_ref\b)|\bgithub\s*\[\s*['\"](event|head_ref)"
)

#: CodeQL's language for the workflows themselves, which the baseline always analyses.
WORKFLOWS_LANGUAGE = "actions"
#: What counts as running tests when no language is known.
ANY_TEST_COMMAND = re.compile(r"\btest")

#: The only actions Scorecard's publishing API accepts in the job that runs it.
SCORECARD_ALLOWED = {
    "actions/checkout",
    "actions/upload-artifact",
    "github/codeql-action/upload-sarif",
    "ossf/scorecard-action",
    "step-security/harden-runner",
}


def _broken(repo: Repository) -> list[str]:
    return [w.error for w in repo.workflows if w.error]


def _steps_using(
    repo: Repository, action: str, *, with_actions: bool = False
) -> list[tuple[Workflow, Job, Step]]:
    """Steps using `action` (or an action under its path), in the workflows, and in the
    repository's own composite actions when `with_actions`."""
    return [
        (w, j, s)
        for w in (*repo.workflows, *(repo.actions if with_actions else ()))
        for j in w.jobs
        for s in j.steps
        if s.action == action or s.action.startswith(action + "/")
    ]


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _readonly(permissions: Any) -> bool:
    """`{}`, `read-all`, or a mapping of scopes that are all `read` or `none`."""
    if permissions == {} or permissions == "read-all":
        return True
    return isinstance(permissions, Mapping) and all(
        v in ("read", "none") for v in permissions.values()
    )


def _writes(permissions: Any) -> set[str]:
    if permissions == "write-all":
        return {"*"}
    if isinstance(permissions, Mapping):
        return {str(k) for k, v in permissions.items() if v == "write"}
    return set()


def _version_of(workflow: Workflow, step: Step) -> str:
    """The version a step's action is at: the pin's comment, else the ref itself."""
    ref = step.uses.partition("@")[2]
    for line in workflow.uses_lines:
        if line.ref == step.uses and line.comment:
            return line.comment.split()[0]
    return ref


def _major(version: str) -> int | None:
    m = re.match(r"^v?(\d+)", version)
    return int(m.group(1)) if m else None


def _resolve(value: Any, row: Mapping[str, Any]) -> list[str]:
    """A `with:` value with `${{ matrix.x }}` substituted from one matrix row, split on commas."""
    text = str(value)
    text = re.sub(
        r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}", lambda m: str(row.get(m.group(1), "")), text
    )
    return [part.strip() for part in text.split(",") if part.strip()]


def _not_offered(repo: Repository, what: str, *, github_com_only: bool = False) -> str:
    """Why `what` is rightly absent: the plan has no Code Security (publish recorded it), or
    (Scorecard) the repository is not on github.com. '' when it should be there."""
    answers = repo.baseline_answers
    if answers.get("code_security") is False:
        return (
            f"not offered here: the repository has no GitHub Code Security "
            f"(code_security: false in .copier-answers.baseline.yml), so {what} cannot run"
        )
    host = answers.get("github_host")
    if github_com_only and isinstance(host, str) and host and host != "github.com":
        return f"not offered on {host}: {what} publishes to github.com only"
    return ""


def check_codeql(repo: Repository) -> Outcome:
    inits = _steps_using(repo, "github/codeql-action/init")
    analyses = _steps_using(repo, "github/codeql-action/analyze")
    if not inits and not analyses and (why := _not_offered(repo, "code scanning")):
        return [], why
    if not inits or not analyses:
        return [
            "no workflow runs github/codeql-action init and analyze (.github/workflows/codeql.yml)"
        ], ""
    problems: list[str] = []
    languages: set[str] = set()
    build_modes: dict[str, str] = {}
    workflows = {w.relpath: w for w, _, _ in inits + analyses}
    for workflow, _job, step in inits + analyses:
        major = _major(_version_of(workflow, step))
        if major is None or major < 4:
            problems.append(f"{workflow.relpath}: {step.action} is not v4 or later")
    for _workflow, job, step in inits:
        for row in job.matrix_rows():
            langs = _resolve(step.with_.get("languages", ""), row)
            mode = step.with_.get("build-mode")
            for lang in langs:
                languages.add(lang)
                if mode is not None:
                    build_modes[lang] = (_resolve(mode, row) or [""])[0]
    analysed = [lang.codeql for lang in repo.known_languages if lang.codeql]
    wanted = {c.language for c in analysed} | {WORKFLOWS_LANGUAGE}
    if missing := sorted(wanted - languages):
        problems.append(f"CodeQL does not analyse {', '.join(missing)}")
    # Whatever the repository's languages: CodeQL builds none of these.
    buildless = {WORKFLOWS_LANGUAGE} | {
        name
        for lang in repo.table.languages
        if lang.codeql and lang.codeql.build_mode == "none"
        for name in lang.codeql.names
    }
    for lang in sorted(languages & buildless):
        if build_modes.get(lang, "none") != "none":
            problems.append(f"CodeQL build-mode for {lang} is {build_modes[lang]!r}, not 'none'")
    for workflow in workflows.values():
        if missing_triggers := sorted({"push", "pull_request", "schedule"} - workflow.triggers):
            problems.append(f"{workflow.relpath} does not run on {', '.join(missing_triggers)}")
        if not _readonly(workflow.data.get("permissions") if workflow.data else None):
            problems.append(f"{workflow.relpath}: top-level permissions must be empty or read-only")
    for workflow, job, _ in analyses:
        writes = _writes(job.permissions)
        if "security-events" not in writes:
            problems.append(f"{workflow.relpath}: job {job.id!r} lacks 'security-events: write'")
        if broader := sorted(writes - {"security-events"}):
            problems.append(f"{workflow.relpath}: job {job.id!r} also writes {', '.join(broader)}")
    outcome = (
        problems,
        f"CodeQL v4 analyses {', '.join(sorted(languages))} on push, pull request and schedule",
    )
    return noted(outcome, repo.unknown_note("{its} CodeQL analysis was"))


def check_ci_tests(repo: Repository) -> Outcome:
    candidates = [w for w in repo.workflows if w.triggers & {"push", "pull_request"}]
    runs = [(w, s.run) for w in candidates for s in w.steps() if s.run]
    note = repo.unknown_note("{its} test commands were")
    if repo.without_language:
        return [], (
            "no tests to run: the project declares no language (catalog-info.yaml tags: []) "
            "and has no language's manifest"
        )
    if not repo.known_languages:
        found = [w.relpath for w, run in runs if ANY_TEST_COMMAND.search(run)]
        if found:
            return noted(([], f"{found[0]} runs tests"), note)
        return noted((["no workflow on push or pull_request runs the tests"], ""), note)
    problems = []
    where = []
    for lang in repo.known_languages:
        hits = [w.relpath for w, run in runs if lang.audit.test_command.search(run)]
        if hits:
            where.append(f"{lang.name} in {hits[0]}")
        else:
            problems.append(
                f"no workflow on push or pull_request runs the {lang.name} tests "
                f"({lang.audit.test_description})"
            )
    return noted((problems, "tests run on push and pull request: " + ", ".join(where)), note)


def check_dependency_review(repo: Repository) -> Outcome:
    hits = [
        w
        for w, _, _ in _steps_using(repo, "actions/dependency-review-action")
        if "pull_request" in w.triggers
    ]
    if not hits and (why := _not_offered(repo, "dependency review")):
        return [], why
    if not hits:
        return ["no workflow runs actions/dependency-review-action on pull_request"], ""
    return [], f"{hits[0].relpath} reviews dependencies on pull requests"


def check_scorecard(repo: Repository) -> Outcome:
    hits = _steps_using(repo, "ossf/scorecard-action")
    if not hits and (why := _not_offered(repo, "Scorecard", github_com_only=True)):
        return [], why
    if not hits:
        return ["no workflow runs ossf/scorecard-action (.github/workflows/scorecard.yml)"], ""
    problems = []
    workflow, job, step = hits[0]
    if step.with_.get("publish_results") not in (True, "true"):
        problems.append(f"{workflow.relpath}: publish_results is not true")
    writes = _writes(job.permissions)
    if missing := sorted({"id-token", "security-events"} - writes):
        problems.append(f"{workflow.relpath}: job {job.id!r} lacks write for {', '.join(missing)}")
    if not _readonly(workflow.data.get("permissions") if workflow.data else None):
        problems.append(f"{workflow.relpath}: top-level permissions must be empty or read-only")
    # Scorecard's API refuses results from a job that runs anything but these actions.
    if any(s.run for s in job.steps):
        problems.append(
            f"{workflow.relpath}: job {job.id!r} has run: steps; publishing refuses them"
        )
    if others := sorted({s.action for s in job.steps if s.uses} - SCORECARD_ALLOWED):
        problems.append(
            f"{workflow.relpath}: job {job.id!r} uses {', '.join(others)}; publishing refuses them"
        )
    return problems, f"{workflow.relpath} runs OpenSSF Scorecard and publishes the results"


def _pinned_spellings(repo: Repository) -> dict[str, str]:
    """The actions pins.yml pins, lowercased -> as pinned (empty without a pins.yml)."""
    # The table's own reader of pins.yml (private to it, but the one reader of that file).
    pinned = [*(languages.pinned_actions(repo.table.path.parent) or []), *repo.table.extra_pins]
    return {name.lower(): name for name in pinned}


def check_actions_pinned(repo: Repository) -> Outcome:
    files = [*repo.workflows, *repo.actions]
    problems = [f.error for f in files if f.error]
    spellings = _pinned_spellings(repo)
    pinned = 0
    for workflow in files:
        parsed = {s.uses for s in workflow.steps() if s.uses} | {
            str(j.data["uses"]) for j in workflow.jobs if isinstance(j.data.get("uses"), str)
        }
        lines = {line.ref: line for line in workflow.uses_lines}
        for uses in sorted(parsed):
            if uses.startswith("./"):
                continue
            if uses.startswith("docker://"):
                if "@sha256:" not in uses:
                    problems.append(f"{workflow.relpath}: {uses} is not pinned by digest")
                continue
            action, _, ref = uses.partition("@")
            line = lines.get(uses)
            where = f"{workflow.relpath}:{line.line}" if line else workflow.relpath
            owner_repo = "/".join(action.split("/")[:2])
            pin = spellings.get(owner_repo.lower())
            if pin is not None and owner_repo != pin:
                # GitHub resolves it case-insensitively, but no rule that names `pin` sees it.
                problems.append(f"{where}: {action} is {pin} spelt differently; write {pin}")
            if not _SHA.match(ref):
                problems.append(f"{where}: {uses} is not pinned by a full commit SHA")
            elif line is None or not _VERSION_COMMENT.match(line.comment):
                problems.append(f"{where}: {uses} has no version comment (# vX.Y.Z)")
            elif pin is None or owner_repo == pin:
                pinned += 1
    where = f"{count(repo.workflows, 'workflow')} and {count(repo.actions, 'action')}"
    return (
        problems,
        f"{count(range(pinned), 'action reference')} in {where} pinned by SHA "
        "with a version comment",
    )


def check_workflow_permissions(repo: Repository) -> Outcome:
    if not repo.workflows:
        return ["no workflows in .github/workflows"], ""
    problems = _broken(repo)
    for w in repo.workflows:
        if w.data is None:
            continue
        if "permissions" not in w.data:
            problems.append(f"{w.relpath} has no top-level permissions")
        elif not _readonly(w.data["permissions"]):
            problems.append(
                f"{w.relpath}: top-level permissions are not empty or read-only "
                f"({w.data['permissions']!r})"
            )
    return (
        problems,
        f"{count(repo.workflows, 'workflow')}, each with empty or read-only top-level permissions",
    )


#: The only job-level writes the baseline grants: to the job that runs each of these actions.
GRANTED_WRITES: Mapping[str, frozenset[str]] = {
    "github/codeql-action/analyze": frozenset({"security-events"}),
    "ossf/scorecard-action": frozenset({"id-token", "security-events"}),
}


def check_job_permissions(repo: Repository) -> Outcome:
    problems = _broken(repo)
    jobs = [(w, j) for w in repo.workflows for j in w.jobs]
    for w, j in jobs:
        if j.permissions == "write-all":
            problems.append(f"{w.relpath}: job {j.id!r} has permissions: write-all")
            continue
        granted = {
            scope
            for s in j.steps
            for action, scopes in GRANTED_WRITES.items()
            if s.action == action
            for scope in scopes
        }
        if extra := sorted(_writes(j.permissions) - granted):
            problems.append(
                f"{w.relpath}: job {j.id!r} writes {', '.join(extra)}, "
                "which the baseline does not grant it"
            )
    return problems, f"{count(jobs, 'job')}, none writing more than the baseline grants"


def check_job_timeouts(repo: Repository) -> Outcome:
    problems = _broken(repo)
    jobs = [(w, j) for w in repo.workflows for j in w.jobs]
    for w, j in jobs:
        # A job that calls a reusable workflow cannot set timeout-minutes; its callee's jobs do.
        if "uses" not in j.data and "timeout-minutes" not in j.data:
            problems.append(f"{w.relpath}: job {j.id!r} has no timeout-minutes")
    return problems, f"{count(jobs, 'job')}, each with timeout-minutes"


def check_checkout_credentials(repo: Repository) -> Outcome:
    problems = _broken(repo)
    steps = _steps_using(repo, "actions/checkout", with_actions=True)
    for w, _, s in steps:
        if not _is_false(s.with_.get("persist-credentials")):
            problems.append(f"{w.relpath}: {s.label} does not set persist-credentials: false")
    return problems, f"{count(steps, 'checkout')}, each with persist-credentials: false"


def _scripts(step: Step) -> Iterable[str]:
    yield step.run
    if step.action == "actions/github-script":
        yield str(step.with_.get("script", ""))


def check_untrusted_input(repo: Repository) -> Outcome:
    problems = _broken(repo)
    for w in (*repo.workflows, *repo.actions):
        for s in w.steps():
            for script in _scripts(s):
                for expr in _EXPRESSION.findall(script):
                    if _UNTRUSTED.search(expr):
                        problems.append(
                            f"{w.relpath}: {s.label} puts ${{{{{expr.strip()}}}}} in a script; "
                            "pass it through env: instead"
                        )
    return problems, "no github.event or head_ref expression inside run: or scripts"


WORKFLOW_CHECKS = (
    ("codeql", "CodeQL scans the code and the workflows", check_codeql),
    ("ci-tests", "CI runs the project's tests", check_ci_tests),
    ("dependency-review", "Dependency review on pull requests", check_dependency_review),
    ("scorecard", "OpenSSF Scorecard workflow", check_scorecard),
    ("actions-pinned", "Every action pinned by commit SHA", check_actions_pinned),
    ("workflow-permissions", "Least-privilege top-level permissions", check_workflow_permissions),
    ("job-permissions", "Jobs write only what the baseline grants", check_job_permissions),
    ("job-timeouts", "Every job has timeout-minutes", check_job_timeouts),
    ("checkout-credentials", "Checkout does not persist credentials", check_checkout_credentials),
    ("untrusted-input", "No untrusted input inside run:", check_untrusted_input),
)
