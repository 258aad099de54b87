"""The security baseline as named checks: `audit(path)` runs them all on a local repository.

The checks test rules, not file contents, so that any repository can be audited, including one
created before the baseline changed, or not by scaffolder at all:

========================  =================================================================
catalog-info              catalog-info.yaml holds a valid Backstage Component (validate_entity);
                          GitHub annotations when the repository is on GitHub
codeql                    codeql-action v4 analyses the repo's languages and `actions`,
                          build-mode none where CodeQL can, on push/pull_request/schedule,
                          `security-events: write` on the job and nothing broader
ci-tests                  a push/pull_request workflow runs each language's tests (none for
                          a project without languages)
dependency-review         actions/dependency-review-action on pull requests
scorecard                 OpenSSF Scorecard, publishing, with id-token and security-events write
actions-pinned            every `uses:` of the workflows and the repository's own actions
                          pinned by a 40-hex commit SHA, with a `# vX.Y.Z` comment, and a
                          pinned action spelt as pins.yml spells it (GitHub ignores case)
workflow-permissions      every workflow's top-level permissions are empty or read-only
job-permissions           no job has write-all, or writes the baseline does not grant it
                          (security-events for CodeQL; id-token, security-events for Scorecard)
job-timeouts              every job sets timeout-minutes
checkout-credentials      every actions/checkout sets persist-credentials: false
untrusted-input           no github.event / head_ref expression inside run: (or github-script)
dependabot                every ecosystem plus github-actions, weekly, grouped, cooldown >= 7;
                          each declared language's manifest is there to update
security-policy           SECURITY.md: private reporting, a contact, a time frame in days
codeowners                CODEOWNERS gives every path to a GitHub user or team; the last
                          matching pattern wins, so one with no owner un-owns what it matches
license                   LICENSE is the full text of an OSI licence
gitignore                 .gitignore exists and covers the language's artefacts
branch-ruleset            .github/rulesets/*.json protects the default branch: PR with all
                          five parameters (2+ approvals in production), status checks naming
                          the CI and CodeQL jobs, no deletion or force push, no bypass actors
drift                     the workflows and dependabot.yml as the newest pristine render in the
                          project's history has them: the same action pins, no wider
                          permissions, every Dependabot entry (skipped without git history;
                          scaffolder/audit/drift.py)
========================  =================================================================

What each language needs (its manifests, CodeQL name and build mode, Dependabot ecosystems, test
commands and .gitignore patterns) comes from the baseline's language table,
`templates/_baseline/languages.yml`, the file the baseline's templates render from. A language
the table does not know (declared by a scaffolder-made catalog-info.yaml) is named in the
reasons of the checks that could not judge it; it never fails or breaks the audit. A language
the template described itself is judged by its description, which the baseline's answers file
records (`_scaffolder_language_data`, scaffolder/baseline/described.py), as the table's own.
A project made from a template without languages (catalog-info.yaml tags: []) has no tests
for CI to run and no language's expectations.
"""

from __future__ import annotations

from pathlib import Path

from scaffolder.audit import zizmor
from scaffolder.audit.drift import DRIFT_CHECKS
from scaffolder.audit.files import FILE_CHECKS
from scaffolder.audit.model import AuditReport, Check, CheckResult
from scaffolder.audit.repo import Repository
from scaffolder.audit.workflows import WORKFLOW_CHECKS
from scaffolder.baseline import described, languages
from scaffolder.errors import UsageError

__all__ = ["CHECKS", "AuditReport", "Check", "CheckResult", "audit", "check_names"]

_ORDER = (
    "catalog-info",
    "codeql",
    "dependabot",
    "ci-tests",
    "dependency-review",
    "scorecard",
    "actions-pinned",
    "workflow-permissions",
    "job-permissions",
    "job-timeouts",
    "checkout-credentials",
    "untrusted-input",
    "security-policy",
    "codeowners",
    "license",
    "gitignore",
    "branch-ruleset",
    "drift",
)
_ALL = {
    name: Check(name, title, run)
    for name, title, run in (*FILE_CHECKS, *WORKFLOW_CHECKS, *DRIFT_CHECKS)
}
#: Every check, in the order the report lists them.
CHECKS: tuple[Check, ...] = tuple(_ALL[name] for name in _ORDER)


def check_names() -> list[str]:
    """scaffolder's own checks, in report order (zizmor's results follow them)."""
    return [c.name for c in CHECKS]


def audit(path: Path, *, table: languages.LanguageTable | None = None) -> AuditReport:
    """Run every baseline check on the repository at `path`. Reads only; writes nothing.

    `table` is the language table to judge by (default: the baseline's own).
    """
    root = path.expanduser()
    if not root.exists():
        raise UsageError(f"{path} does not exist", hint="give the folder of a repository")
    if not root.is_dir():
        raise UsageError(f"{path} is not a folder", hint="give the folder of a repository")
    repo = Repository(root.resolve(), table or languages.load())
    if descriptions := described.recorded(
        repo.baseline_answers, repo.baseline_answers_path, repo.table
    ):
        repo = Repository(repo.root, descriptions.table(repo.table))
    results = tuple(check(repo) for check in CHECKS) + zizmor.scan(repo)
    return AuditReport(path=repo.root, languages=tuple(repo.languages), results=results)
