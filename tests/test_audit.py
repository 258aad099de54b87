"""`scaffolder audit`: each rule fails, by name, on a copy of a scaffold where it was broken.

A scaffold passes every check (tests/test_baseline.py). Here one rule at a time is broken on a
private copy, and the audit must fail that check and only that one, with exit code 1. Then the
audit is run on repositories scaffolder did not make, and its JSON shape is pinned.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scaffolder.audit import audit, check_names
from scaffolder.errors import ExitCode
from tests.baseline_fixtures import TEMPLATE_NAMES
from tests.helpers import build_file_tree

SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"


def edit(path: Path, old: str | re.Pattern[str], new: str, count: int = 0) -> None:
    text = path.read_text()
    if isinstance(old, re.Pattern):
        changed, n = old.subn(new, text, count=count)
    else:
        n = text.count(old)
        changed = text.replace(old, new, count or -1)
    assert n, f"{old!r} not in {path}"
    path.write_text(changed)


def wf(root: Path, name: str) -> Path:
    return root / ".github" / "workflows" / name


def break_catalog(root: Path) -> None:
    edit(
        root / "catalog-info.yaml", re.compile(r"^  name: .*$", re.M), '  name: "Not A Valid Name!"'
    )


def break_codeql(root: Path) -> None:
    edit(
        wf(root, "codeql.yml"), "          - language: actions\n            build-mode: none\n", ""
    )
    # and no longer require its check, which nothing would report (a deadlock of its own)
    ruleset = root / ".github" / "rulesets" / "default-branch.json"
    edit(ruleset, ',\n          {"context": "Analyze (actions)", "integration_id": 15368}', "")


def break_dependabot(root: Path) -> None:
    edit(root / ".github" / "dependabot.yml", "default-days: 7", "default-days: 3", count=1)


def break_ci_tests(root: Path) -> None:
    edit(
        wf(root, "ci.yml"),
        re.compile(r"run: (python -m pytest|npm test|go test \./\.\.\.)"),
        "run: echo skipped",
    )


def break_dependency_review(root: Path) -> None:
    wf(root, "dependency-review.yml").unlink()


def break_scorecard(root: Path) -> None:
    edit(wf(root, "scorecard.yml"), "publish_results: true", "publish_results: false")


def break_pins(root: Path) -> None:
    edit(
        wf(root, "ci.yml"),
        re.compile(r"actions/checkout@[0-9a-f]{40} # \S+"),
        "actions/checkout@v7",
    )


def break_drift(root: Path) -> None:
    """Re-pin checkout to another SHA: still pinned, so only the comparison with the pristine
    render (the initial commit) sees it."""
    edit(
        wf(root, "ci.yml"),
        re.compile(r"actions/checkout@[0-9a-f]{40}"),
        "actions/checkout@" + "a" * 40,
    )


def break_permissions(root: Path) -> None:
    edit(wf(root, "ci.yml"), "permissions: {}", "permissions: write-all")


def break_job_permissions(root: Path) -> None:
    edit(wf(root, "ci.yml"), "contents: read # to check out the code", "contents: write")


def break_timeouts(root: Path) -> None:
    edit(wf(root, "ci.yml"), re.compile(r"^    timeout-minutes: \d+\n", re.M), "")


def break_checkout(root: Path) -> None:
    edit(wf(root, "ci.yml"), "persist-credentials: false", "persist-credentials: true")


def break_untrusted_input(root: Path) -> None:
    edit(
        wf(root, "ci.yml"),
        "    steps:\n",
        "    steps:\n      - name: Greet\n"
        '        run: echo "${{ github.event.pull_request.title }}"\n',
    )


def break_security_policy(root: Path) -> None:
    edit(root / "SECURITY.md", re.compile(r"\d+ (business )?days"), "a while")


def break_codeowners(root: Path) -> None:
    (root / ".github" / "CODEOWNERS").write_text("# nobody owns anything\n")


def break_license(root: Path) -> None:
    path = root / "LICENSE"
    path.write_text("\n".join(path.read_text().splitlines()[:12]) + "\n")


def break_gitignore(root: Path) -> None:
    (root / ".gitignore").unlink()


def break_ruleset(root: Path) -> None:
    path = root / ".github" / "rulesets" / "default-branch.json"
    data = json.loads(path.read_text())
    for rule in data["rules"]:
        if rule["type"] == "pull_request":
            del rule["parameters"]["require_last_push_approval"]
    path.write_text(json.dumps(data))


BREAKS: dict[str, Callable[[Path], None]] = {
    "catalog-info": break_catalog,
    "codeql": break_codeql,
    "dependabot": break_dependabot,
    "ci-tests": break_ci_tests,
    "dependency-review": break_dependency_review,
    "scorecard": break_scorecard,
    "actions-pinned": break_pins,
    "workflow-permissions": break_permissions,
    "job-permissions": break_job_permissions,
    "job-timeouts": break_timeouts,
    "checkout-credentials": break_checkout,
    "untrusted-input": break_untrusted_input,
    "security-policy": break_security_policy,
    "codeowners": break_codeowners,
    "license": break_license,
    "gitignore": break_gitignore,
    "branch-ruleset": break_ruleset,
    "drift": break_drift,
}


def test_every_check_has_a_breaking_test() -> None:
    assert sorted(BREAKS) == sorted(check_names())


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
@pytest.mark.parametrize("check", list(BREAKS))
def test_audit_fails_exactly_the_broken_rule(check, template, scaffold_copy, run_cli) -> None:
    root = scaffold_copy(template)
    BREAKS[check](root)
    result = run_cli(["audit", root, "--json"])
    report = result.json()
    failed = {c["name"]: c["reason"] for c in report["result"]["checks"] if not c["passed"]}
    assert result.code == ExitCode.CHECKS_FAILED
    assert report["ok"] is False and report["exit_code"] == 1
    # zizmor may see the same break too (tests/test_audit_zizmor.py), and so may drift (the
    # break differs from the pristine render); of the other checks, exactly the broken one fails.
    others = [n for n in failed if not n.startswith("zizmor") and (n != "drift" or check == n)]
    assert others == [check], failed
    assert failed[check]  # a reason, for the user to act on


@pytest.mark.parametrize(
    ("check", "breaker", "reason"),
    [
        (
            "branch-ruleset",
            lambda r: edit(
                r / "catalog-info.yaml", 'lifecycle: "experimental"', 'lifecycle: "production"'
            ),
            "not at least 2",
        ),
        (
            "branch-ruleset",
            lambda r: edit(
                r / ".github/rulesets/default-branch.json",
                '"bypass_actors": []',
                '"bypass_actors": [{"actor_id": 5, "actor_type": "RepositoryRole", '
                '"bypass_mode": "always"}]',
            ),
            "bypass actors",
        ),
        (
            "branch-ruleset",
            lambda r: edit(
                r / ".github/rulesets/default-branch.json",
                '{"context": "test", "integration_id": 15368},',
                "",
            ),
            "does not require the CI check test",
        ),
        (
            "codeql",
            lambda r: edit(wf(r, "codeql.yml"), '  schedule:\n    - cron: "27 4 * * 1"\n', ""),
            "schedule",
        ),
        (
            "codeql",
            lambda r: edit(
                wf(r, "codeql.yml"),
                re.compile(r"(codeql-action/analyze@\w+) # v4\S*"),
                r"\1 # v3.28.0",
            ),
            "not v4",
        ),
        (
            "codeql",
            lambda r: edit(wf(r, "codeql.yml"), "security-events: write", "security-events: read"),
            "security-events: write",
        ),
        (
            "codeql",
            lambda r: edit(wf(r, "codeql.yml"), "contents: read", "contents: write"),
            "also writes contents",
        ),
        (
            "actions-pinned",
            lambda r: edit(wf(r, "ci.yml"), re.compile(r"(actions/checkout@\w+) # v\S+"), r"\1"),
            "no version comment",
        ),
        (
            "untrusted-input",
            lambda r: edit(
                wf(r, "ci.yml"),
                "    steps:\n",
                "    steps:\n      - run: git push origin ${{ github.head_ref }}\n",
            ),
            "github.head_ref",
        ),
        (
            "catalog-info",
            lambda r: edit(r / "catalog-info.yaml", "  owner:", "  owners:"),
            "spec.owner is required",
        ),
        (
            "scorecard",
            lambda r: edit(
                wf(r, "scorecard.yml"),
                "      - name: Upload artifact\n",
                "      - run: echo hi\n      - name: Upload artifact\n",
            ),
            "publishing refuses them",
        ),
        ("catalog-info", lambda r: (r / "catalog-info.yaml").unlink(), "no catalog-info.yaml"),
        (
            "dependabot",
            lambda r: edit(
                r / ".github/dependabot.yml", "interval: weekly", "interval: monthly", 1
            ),
            "not 'weekly'",
        ),
        (
            "security-policy",
            lambda r: edit(r / "SECURITY.md", re.compile(r"https://\S+"), "the web"),
            "no contact",
        ),
        (
            "license",
            lambda r: (r / "LICENSE").write_text("All rights reserved.\n"),
            "not the full text",
        ),
        (
            "workflow-permissions",
            lambda r: edit(wf(r, "ci.yml"), "permissions: {}\n", "", 1),
            "no top-level permissions",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_audit_names_the_reason(check, breaker, reason, scaffold_copy) -> None:
    root = scaffold_copy("python-service")
    breaker(root)
    report = audit(root)
    # drift sees every break of a workflow the pristine render has (tests/test_drift.py).
    own = [r.name for r in report.failed if not r.name.startswith("zizmor") and r.name != "drift"]
    # A write the analyze job should not have is also a job-level write the baseline never
    # grants.
    expected = [check, "job-permissions"] if reason == "also writes contents" else [check]
    assert own == expected, [r.to_json() for r in report.failed]
    assert reason in report.result(check).reason


def test_catalog_info_needs_github_annotations_when_the_remote_is_github(scaffold_copy) -> None:
    root = scaffold_copy("go-service")
    (root / ".git" / "config").write_text(
        (root / ".git" / "config").read_text()
        + '[remote "origin"]\n\turl = https://github.com/acme/defaults-go.git\n'
    )
    result = audit(root).result("catalog-info")
    assert not result.passed and "github.com/acme/defaults-go" in result.reason


def test_catalog_info_slug_must_match_the_remote_and_the_source_location(scaffold_copy) -> None:
    root = scaffold_copy("go-service", "experimental-system")
    config = root / ".git" / "config"
    config.write_text(
        config.read_text() + '[remote "origin"]\n\turl = git@github.com:acme/moved.git\n'
    )
    result = audit(root).result("catalog-info")
    assert not result.passed
    assert (
        "github.com/project-slug is 'acme/experimental-system-go', but origin is 'acme/moved'"
        in (result.reason)
    )
    edit(root / "catalog-info.yaml", "acme/experimental-system-go", "acme/moved", count=1)
    result = audit(root).result("catalog-info")
    assert result.reason.endswith("is not github.com/acme/moved")
    edit(root / "catalog-info.yaml", "acme/experimental-system-go", "acme/moved")
    assert audit(root).result("catalog-info").passed


def test_an_unparsable_workflow_fails_the_workflow_checks(scaffold_copy) -> None:
    root = scaffold_copy("typescript-service")
    wf(root, "broken.yml").write_text("on: [push\njobs: {")
    failed = {r.name for r in audit(root).failed}
    assert {"workflow-permissions", "job-timeouts", "actions-pinned"} <= failed


# --- Any repository ------------------------------------------------------------------------

OLD_WORKFLOW = f"""\
name: build
on:
  push:
  pull_request:
  schedule: [{{cron: "0 3 * * 1"}}]
permissions: {{contents: read}}
concurrency: {{group: "${{{{ github.workflow }}}}-${{{{ github.ref }}}}", cancel-in-progress: true}}
jobs:
  unit:
    name: unit
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@{SHA} # v4.1.1
        with: {{persist-credentials: "false"}}
      - env:
          TITLE: ${{{{ github.event.pull_request.title }}}}
        run: echo "$TITLE" && tox -e py
  analyze:
    name: codeql
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      security-events: write # to upload the analysis
    steps:
      - uses: actions/checkout@{SHA} # v4.1.1
        with:
          persist-credentials: false
      - uses: github/codeql-action/init@{SHA} # v4.0.0
        with:
          languages: python, actions
      - uses: github/codeql-action/analyze@{SHA} # v4.0.0
  review:
    name: review
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/dependency-review-action@{SHA} # v4.0.0
  scorecard:
    name: scorecard
    uses: ./.github/workflows/reusable-scorecard.yml
"""

OLD_REPO = {
    "setup.py": "from setuptools import setup\nsetup()\n",
    "catalog-info.yaml": """\
        apiVersion: backstage.io/v1beta1
        kind: Group
        metadata: {name: old-team}
        spec: {type: team, children: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: old_service.v1
        spec: {type: library, lifecycle: production, owner: old-team}
        """,
    ".github/workflows/build.yaml": OLD_WORKFLOW,
    ".github/workflows/reusable-scorecard.yml": f"""\
        name: scorecard
        on:
          workflow_call:
          push:
          schedule: [{{cron: "0 0 * * 0"}}]
          pull_request:
        permissions: {{contents: read}}
        concurrency: {{group: "${{{{ github.workflow }}}}-${{{{ github.ref }}}}"}}
        jobs:
          score:
            name: score
            runs-on: ubuntu-latest
            timeout-minutes: 10
            permissions:
              id-token: write # to publish the results
              security-events: write # to upload them
            steps:
              - uses: ossf/scorecard-action@{SHA} # v2.0.0
                with: {{publish_results: true}}
        """,
    ".github/dependabot.yml": """\
        version: 2
        updates:
          - {package-ecosystem: uv, directory: /, schedule: {interval: weekly},
             cooldown: {default-days: 14}, groups: {all: {patterns: ["*"]}}}
          - {package-ecosystem: github-actions, directory: /, schedule: {interval: weekly},
             cooldown: {default-days: 7}, groups: {all: {patterns: ["*"]}}}
        """,
    "docs/SECURITY.md": """\
        Found a vulnerability? Use private vulnerability reporting, or mail sec@old.example.
        We reply within 5 working days and coordinate disclosure with you.
        """,
    "CODEOWNERS": "# owners\n*.py @old/py\n*   @old/team   @someone  # everyone\n",
    "COPYING": "",
    ".gitignore": "*.pyc\n",
    ".github/rulesets/main.json": json.dumps(
        {
            "name": "main",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": [
                {"type": "deletion"},
                {"type": "non_fast_forward"},
                {
                    "type": "pull_request",
                    "parameters": {
                        "required_approving_review_count": 3,
                        "dismiss_stale_reviews_on_push": True,
                        "require_code_owner_review": True,
                        "require_last_push_approval": True,
                        "required_review_thread_resolution": False,
                    },
                },
                {
                    "type": "required_status_checks",
                    "parameters": {
                        "strict_required_status_checks_policy": True,
                        "required_status_checks": [{"context": "unit"}, {"context": "codeql"}],
                    },
                },
            ],
        }
    ),
}


def test_a_repository_scaffolder_did_not_make_passes_when_it_keeps_the_rules(tmp_path) -> None:
    """Different files, names and layouts; the same rules. The audit checks rules, not text."""
    root = build_file_tree(tmp_path / "old", OLD_REPO)
    mit = (Path(__file__).parent.parent / "templates/_baseline/template/LICENSE.jinja").read_text()
    (root / "COPYING").write_text(mit.split("{%- elif")[0].split("-%}\n", 1)[1])
    report = audit(root)
    # zizmor's pedantic persona would have a local reusable workflow called as `$/...`; the
    # one finding this repository keeps, and the audit reports it.
    assert [r.name for r in report.failed] == ["zizmor:self-repository"], [
        r.to_json() for r in report.failed
    ]
    assert report.languages == ("python",)
    assert "MIT" in report.result("license").reason


def test_an_empty_folder_fails_what_it_lacks(tmp_path, run_cli) -> None:
    result = run_cli(["audit", tmp_path])
    assert result.code == ExitCode.CHECKS_FAILED
    assert "no catalog-info.yaml" in result.stdout
    assert re.search(r"19 checks: \d+ passed, \d+ failed", result.stdout)


def test_audit_refuses_a_path_that_is_not_a_folder(tmp_path, run_cli) -> None:
    result = run_cli(["audit", tmp_path / "missing", "--json"])
    assert result.code == ExitCode.USAGE
    assert result.json()["error"]["message"].endswith("does not exist")
    (tmp_path / "file").write_text("x")
    assert run_cli(["audit", tmp_path / "file"]).code == ExitCode.USAGE


def test_audit_json_contract(scaffolds, run_cli) -> None:
    path = scaffolds[("go-service", "defaults")].path
    result = run_cli(["audit", path, "--json"])
    report = result.json()
    assert set(report) == {"schema", "command", "ok", "exit_code", "result", "error", "warnings"}
    assert report["ok"] is True and report["exit_code"] == 0 and report["error"] is None
    assert set(report["result"]) == {"path", "languages", "summary", "checks"}
    assert report["result"]["path"] == str(path.resolve())
    assert report["result"]["summary"] == {"passed": 19, "failed": 0}
    assert [c["name"] for c in report["result"]["checks"]] == [*check_names(), "zizmor"]
    for check in report["result"]["checks"]:
        assert set(check) == {"name", "title", "passed", "reason"}
        assert check["reason"]
    assert result.stderr == ""


def test_audit_text_lists_every_check(scaffolds, run_cli) -> None:
    path = scaffolds[("typescript-service", "production-system")].path
    result = run_cli(["audit", path])
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"audit {path.resolve()} (typescript)"
    assert lines[-1] == "19 checks: 19 passed, 0 failed"
    assert all(line.startswith("  ✓ ") for line in lines[1:-1])


def test_audit_reads_only(scaffold_copy) -> None:
    root = scaffold_copy("python-service")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    audit(root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_audit_works_on_a_copy_without_git(scaffold_copy) -> None:
    root = scaffold_copy("python-service")
    shutil.rmtree(root / ".git")
    assert audit(root).ok
    assert yaml.safe_load((root / "catalog-info.yaml").read_text())["kind"] == "Component"


def test_ruleset_must_name_each_matrix_check_as_github_reports_it(scaffold_copy) -> None:
    """A matrix job without a name template reports `job (values)`, one check per row."""
    root = scaffold_copy("python-service")
    edit(
        wf(root, "ci.yml"),
        "    timeout-minutes: 15\n",
        "    timeout-minutes: 15\n    strategy:\n      matrix:\n        python: ['3.11', '3.12']\n",
    )
    ruleset = root / ".github" / "rulesets" / "default-branch.json"
    edit(ruleset, '{"context": "test", ', '{"context": "test (3.11)", ')
    result = audit(root).result("branch-ruleset")
    assert not result.passed
    assert result.reason.endswith("does not require the CI check test (3.12)")
    edit(
        ruleset,
        '{"context": "test (3.11)", ',
        '{"context": "test (3.12)"}, {"context": "test (3.11)", ',
    )
    assert audit(root).ok


MALFORMED = {
    "catalog-info.yaml": ["just", "a", "list"],
    ".github/dependabot.yml": {"updates": [1, {"schedule": "weekly", "cooldown": 9}]},
    ".github/rulesets/a.json": [],
    ".github/rulesets/b.json": {
        "conditions": {"ref_name": ["~DEFAULT_BRANCH"]},
        "rules": {"type": "deletion"},
    },
    ".github/rulesets/c.json": {
        "conditions": {"ref_name": {"include": [{"x": 1}]}},
        "rules": [
            "deletion",
            {"type": "pull_request", "parameters": ["x"]},
            {"type": "required_status_checks", "parameters": {"required_status_checks": "ci"}},
        ],
    },
    ".github/workflows/a.yml": {"on": 5, "permissions": 5, "jobs": [1, 2]},
    ".github/workflows/b.yml": {
        "on": {"push": None},
        "jobs": {
            "x": {"steps": "run", "strategy": {"matrix": "x"}},
            "y": {"steps": [1, {"uses": 5, "with": [1]}, {"run": ["x"]}], "name": 3},
        },
    },
    ".github/workflows/c.yml": "just text",
    "CODEOWNERS": "\\#escaped\n*\n",
    "LICENSE": "\x00\x01",
}


def test_malformed_files_fail_checks_and_never_crash(tmp_path, run_cli) -> None:
    root = tmp_path / "odd"
    for rel, content in MALFORMED.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text)
    (root / "SECURITY.md").write_bytes(b"\xff\xfe not utf-8")
    (root / "package.json").write_text("{}")
    result = run_cli(["audit", root, "--json"])
    assert result.code == ExitCode.CHECKS_FAILED, result.stderr
    report = result.json()
    assert "Traceback" not in result.stderr
    failed = {c["name"] for c in report["result"]["checks"] if not c["passed"]}
    assert failed >= {
        "catalog-info",
        "dependabot",
        "branch-ruleset",
        "workflow-permissions",
        "codeql",
        "codeowners",
        "license",
        "security-policy",
        "gitignore",
    }


# --- The language table ---------------------------------------------------------------------


def declare_languages(root: Path, *languages: str) -> None:
    """Make catalog-info.yaml declare `languages`, as scaffolder writes them (its tags)."""
    edit(
        root / "catalog-info.yaml", re.compile(r"^  tags: .*$", re.M), f"  tags: {list(languages)}"
    )


#: The checks whose rules depend on the language, and what their reason says of one unknown.
LANGUAGE_CHECKS = {
    "codeql": "its CodeQL analysis was not checked",
    "dependabot": "its dependency updates were not checked",
    "ci-tests": "its test commands were not checked",
    "gitignore": "its artefacts were not checked",
}


def test_audit_names_a_declared_language_the_table_does_not_know(scaffold_copy, run_cli) -> None:
    """A language missing from the table is a message in the affected checks, not a crash."""
    root = scaffold_copy("python-service")
    declare_languages(root, "python", "cobol")
    result = run_cli(["audit", root, "--json"])
    report = result.json()
    assert result.code == ExitCode.OK and result.stderr == ""
    assert report["result"]["languages"] == ["python", "cobol"]
    reasons = {c["name"]: c["reason"] for c in report["result"]["checks"]}
    for check, note in LANGUAGE_CHECKS.items():
        assert (
            f"cobol is not in the baseline's language table (languages.yml): {note}"
            in (reasons[check])
        ), check
    # The known language is still judged in full.
    assert "python in .github/workflows/ci.yml" in reasons["ci-tests"]
    untouched = set(reasons) - set(LANGUAGE_CHECKS)
    assert not any("cobol" in reasons[name] for name in untouched)

    text = run_cli(["audit", root])
    assert text.code == ExitCode.OK
    assert text.stdout.splitlines()[0] == f"audit {root.resolve()} (python, cobol)"


def test_an_unknown_language_is_named_in_a_failing_check_too(scaffold_copy) -> None:
    root = scaffold_copy("go-service")
    (root / "go.mod").unlink()
    declare_languages(root, "cobol", "fortran")
    BREAKS["ci-tests"](root)
    report = audit(root)
    assert report.languages == ("cobol", "fortran")
    ci = report.result("ci-tests")
    assert not ci.passed
    assert ci.reason == (
        "no workflow on push or pull_request runs the tests; cobol, fortran are not in the "
        "baseline's language table (languages.yml): their test commands were not checked"
    )
    assert [r.name for r in report.failed] == ["ci-tests"]


def test_a_scaffold_declares_its_language_without_its_manifest(scaffold_copy) -> None:
    """catalog-info.yaml says python: audit holds the repository to python's rules."""
    root = scaffold_copy("python-service")
    (root / "pyproject.toml").unlink()
    edit(root / ".gitignore", re.compile(r"^(__pycache__/|\*\.py\[cod\])\n", re.M), "")
    report = audit(root)
    assert report.languages == ("python",)
    assert [r.name for r in report.failed] == ["dependabot", "gitignore"]
    assert "does not ignore python artefacts" in report.result("gitignore").reason
    # The manifest it declares is missing: said, with the names that would do.
    assert report.result("dependabot").reason == (
        "python is declared (catalog-info.yaml tags) but its manifest is missing: no "
        "pyproject.toml or setup.py or setup.cfg or requirements.txt or Pipfile at the top of "
        "the repository"
    )


def test_tags_of_a_component_scaffolder_did_not_make_are_not_languages(tmp_path) -> None:
    root = build_file_tree(tmp_path / "old", OLD_REPO)
    edit(root / "catalog-info.yaml", "  name: old_service.v1\n", "  name: x\n  tags: [cobol]\n")
    assert audit(root).languages == ("python",)


def test_a_malformed_language_table_is_a_one_line_error(
    scaffold_copy, run_cli, tmp_path, monkeypatch
) -> None:
    from scaffolder.baseline import languages

    table = tmp_path / "baseline" / "languages.yml"
    table.parent.mkdir()
    text = languages.table_path().read_text()
    broken = text.replace("        ecosystems: [npm, bun]\n", "        ecosystem: [npm]\n")
    table.write_text(broken)
    line = broken.splitlines().index("        ecosystem: [npm]") + 1
    monkeypatch.setattr(languages, "table_path", lambda: table)
    result = run_cli(["audit", scaffold_copy("python-service"), "--json"])
    assert result.code == ExitCode.USAGE
    error = result.json()["error"]
    assert error["code"] == "language-table"
    assert error["message"] == (
        f"{table}: line {line}: unknown key typescript.audit.ecosystem (typescript.audit takes "
        "manifests, "
        "ecosystems, test_command, test_description, gitignore)"
    )
    assert "Traceback" not in result.stderr


def test_ruleset_that_requires_a_check_nobody_reports_fails(scaffold_copy) -> None:
    """A required check no job reports is never green: every merge would wait for it."""
    root = scaffold_copy("python-service")
    ruleset = root / ".github" / "rulesets" / "default-branch.json"
    edit(
        ruleset,
        '{"context": "test", ',
        '{"context": "lint", "integration_id": 15368}, {"context": "test", ',
    )
    result = audit(root).result("branch-ruleset")
    assert not result.passed
    assert result.reason.endswith("which would block every merge: lint")


def test_user_repository_ruleset_needs_no_approvals(scaffold_copy) -> None:
    """review_mode none (the author is the only reviewer): approvals would deadlock."""
    root = scaffold_copy("python-service", "deprecated-multiline")  # owner user:jdoe
    # no GitHub owner yet, so review_mode is not recorded: the owner's kind decides
    assert "review_mode" not in (root / ".copier-answers.baseline.yml").read_text()
    result = audit(root).result("branch-ruleset")
    assert result.passed, result.reason
    ruleset = root / ".github" / "rulesets" / "default-branch.json"
    edit(ruleset, '"required_approving_review_count": 0', '"required_approving_review_count": 1')
    result = audit(root).result("branch-ruleset")
    assert not result.passed
    assert "nobody can give" in result.reason


def test_admin_bypass_through_pull_requests_is_allowed(scaffold_copy) -> None:
    root = scaffold_copy("python-service")
    edit(
        root / ".github" / "rulesets" / "default-branch.json",
        '"bypass_actors": []',
        '"bypass_actors": [{"actor_id": 5, "actor_type": "RepositoryRole", '
        '"bypass_mode": "pull_request"}]',
    )
    assert audit(root).result("branch-ruleset").passed
