"""`audit` sees what attackers use: zizmor's findings, and the cases only scaffolder's checks see.

The hostile repository of the issue (it passed the audit 16/16) is built inline from a rendered
scaffold: a composite action using `@main`, a `pull_request_target` workflow (`.yaml`) that
checks out the PR head and runs it, job-level `write-all`, a capitalised `Actions/Checkout`
and a CODEOWNERS ending in a pattern with no owner. Each case alone fails the audit, by rule
name and location, through the real CLI and the real zizmor. zizmor cannot be silenced by the
audited repository, and the audit never passes when zizmor cannot run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scaffolder.errors import ExitCode

CHECKOUT_SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def composite_at_main(root: Path) -> None:
    action = root / ".github" / "actions" / "setup" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(
        "name: setup\ndescription: set up the toolchain\nruns:\n  using: composite\n"
        "  steps:\n    - uses: actions/setup-python@main\n"
    )


def pull_request_target(root: Path) -> None:
    (root / ".github" / "workflows" / "preview.yaml").write_text(
        f"""\
name: preview
on:
  pull_request_target:
permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
jobs:
  build:
    name: build
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read # to check out the code
    steps:
      - uses: actions/checkout@{CHECKOUT_SHA} # v7.0.1
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          persist-credentials: false
      - run: make test
"""
    )


def job_write_all(root: Path) -> None:
    _edit(
        root / ".github" / "workflows" / "ci.yml",
        "    permissions:\n      contents: read # to check out the code\n",
        "    permissions: write-all\n",
    )


def capitalised_checkout(root: Path) -> None:
    _edit(root / ".github" / "workflows" / "ci.yml", "actions/checkout@", "Actions/Checkout@")


def codeowners_unowns_github(root: Path) -> None:
    path = root / ".github" / "CODEOWNERS"
    path.write_text(path.read_text() + ".github/\n")


#: Each case, and what the audit must say of it: (result name, text in its reason).
CASES: dict[str, tuple[Callable[[Path], None], list[tuple[str, str]]]] = {
    "composite-action-at-main": (
        composite_at_main,
        [
            ("zizmor:unpinned-uses", ".github/actions/setup/action.yml:6:"),
            (
                "actions-pinned",
                ".github/actions/setup/action.yml:6: actions/setup-python@main is not pinned",
            ),
        ],
    ),
    "pull-request-target-yaml": (
        pull_request_target,
        [("zizmor:dangerous-triggers", ".github/workflows/preview.yaml:3:")],
    ),
    "job-write-all": (
        job_write_all,
        [
            ("zizmor:excessive-permissions", ".github/workflows/ci.yml:21: uses write-all"),
            ("job-permissions", ".github/workflows/ci.yml: job 'test' has permissions: write-all"),
        ],
    ),
    "capitalised-checkout": (
        capitalised_checkout,
        [
            (
                "actions-pinned",
                ".github/workflows/ci.yml:25: Actions/Checkout is actions/checkout spelt",
            )
        ],
    ),
    "codeowners-unowns-github": (
        codeowners_unowns_github,
        [("codeowners", ".github/CODEOWNERS:4: a pattern with no owner is the last to match")],
    ),
}


def failed_checks(result) -> dict[str, str]:
    return {c["name"]: c["reason"] for c in result.json()["result"]["checks"] if not c["passed"]}


@pytest.mark.parametrize("case", list(CASES))
def test_each_hostile_case_alone_fails_audit_by_rule_and_location(
    case, scaffold_copy, run_cli
) -> None:
    root = scaffold_copy("python-service")
    breaker, expected = CASES[case]
    breaker(root)
    result = run_cli(["audit", root, "--json"])
    assert result.code == ExitCode.CHECKS_FAILED, result.stdout + result.stderr
    failed = failed_checks(result)
    for name, where in expected:
        assert name in failed, failed
        assert where in failed[name], (name, failed[name])


def test_the_hostile_repository_of_the_issue_fails_every_case(scaffold_copy, run_cli) -> None:
    root = scaffold_copy("typescript-service")
    for breaker, _ in CASES.values():
        breaker(root)
    result = run_cli(["audit", root, "--json"])
    assert result.code == ExitCode.CHECKS_FAILED
    failed = failed_checks(result)
    for _, expected in CASES.values():
        for name, where in expected:
            # The typescript CI has the same layout as python's, but its own line numbers.
            pattern = re.escape(where).replace(r":21:", r":\d+:").replace(r":25:", r":\d+:")
            assert name in failed and re.search(pattern, failed[name]), (name, failed.get(name))
    # zizmor's results come after scaffolder's checks, one per rule, sorted.
    names = [c["name"] for c in result.json()["result"]["checks"]]
    zizmor = [n for n in names if n.startswith("zizmor")]
    assert names[-len(zizmor) :] == zizmor == sorted(zizmor)


def test_a_capitalised_checkout_is_still_checked_for_credentials(scaffold_copy, run_cli) -> None:
    root = scaffold_copy("go-service")
    ci = root / ".github" / "workflows" / "ci.yml"
    _edit(ci, "actions/checkout@", "ACTIONS/checkout@")
    _edit(ci, "persist-credentials: false", "persist-credentials: true")
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert "does not set persist-credentials: false" in failed["checkout-credentials"]


def test_checkout_in_a_composite_action_must_not_persist_credentials(
    scaffold_copy, run_cli
) -> None:
    root = scaffold_copy("python-service")
    action = root / ".github" / "actions" / "fetch" / "action.yaml"
    action.parent.mkdir(parents=True)
    action.write_text(
        "name: fetch\ndescription: fetch\nruns:\n  using: composite\n  steps:\n"
        f"    - uses: actions/checkout@{CHECKOUT_SHA} # v7.0.1\n"
    )
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert ".github/actions/fetch/action.yaml" in failed["checkout-credentials"]
    assert "zizmor:artipacked" in failed


def test_a_job_write_the_baseline_does_not_grant_fails(scaffold_copy, run_cli) -> None:
    root = scaffold_copy("python-service")
    _edit(
        root / ".github" / "workflows" / "ci.yml",
        "contents: read # to check out the code",
        "contents: read # to check out the code\n      pull-requests: write",
    )
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert failed["job-permissions"] == (
        ".github/workflows/ci.yml: job 'test' writes pull-requests, "
        "which the baseline does not grant it"
    )


@pytest.mark.parametrize(
    ("codeowners", "reason"),
    [
        ("* @payments\n*\n", "gives no owner for every path"),
        (
            "* @payments\n/.github/workflows/\n",
            ".github/CODEOWNERS:2: a pattern with no owner is the last to match, so 4 paths end "
            "unowned: .github/workflows/ci.yml, .github/workflows/codeql.yml, "
            ".github/workflows/dependency-review.yml, .github/workflows/scorecard.yml",
        ),
        ("* @payments\n*.md\n", "README.md, SECURITY.md"),
    ],
)
def test_codeowners_the_last_matching_pattern_wins(
    codeowners, reason, scaffold_copy, run_cli
) -> None:
    root = scaffold_copy("python-service")
    (root / ".github" / "CODEOWNERS").write_text(codeowners)
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert reason in failed["codeowners"], failed["codeowners"]


def test_a_later_owner_gives_back_what_an_ownerless_pattern_took(scaffold_copy, run_cli) -> None:
    root = scaffold_copy("python-service")
    (root / ".github" / "CODEOWNERS").write_text(
        "* @payments\n/docs/\n.github/\n/.github/** @acme/platform\n"
    )
    result = run_cli(["audit", root, "--json"])
    assert result.code == 0, failed_checks(result)


def test_the_audited_repository_cannot_silence_zizmor(scaffold_copy, run_cli) -> None:
    """A zizmor.yml disabling the rule, ignore comments, and a .gitignore hiding .github/."""
    root = scaffold_copy("python-service")
    composite_at_main(root)
    action = root / ".github" / "actions" / "setup" / "action.yml"
    _edit(action, "@main\n", "@main # zizmor: ignore[unpinned-uses]\n")
    config = (
        "rules:\n  unpinned-uses:\n    disable: true\n  dangerous-triggers:\n    disable: true\n"
    )
    (root / ".github" / "zizmor.yml").write_text(config)
    (root / "zizmor.yml").write_text(config)
    pull_request_target(root)
    with (root / ".gitignore").open("a") as f:
        f.write(".github/\n")
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert ".github/actions/setup/action.yml:6:" in failed["zizmor:unpinned-uses"]
    assert ".github/workflows/preview.yaml:3:" in failed["zizmor:dangerous-triggers"]


def test_no_zizmor_finding_is_one_passing_result(scaffolds, run_cli) -> None:
    path = scaffolds[("go-service", "defaults")].path
    checks = run_cli(["audit", path, "--json"]).json()["result"]["checks"]
    assert checks[-1] == {
        "name": "zizmor",
        "title": "zizmor finds nothing attackers use",
        "passed": True,
        "reason": "zizmor (pedantic, offline) reports nothing in 5 files",
    }


def test_a_file_zizmor_cannot_read_is_a_failed_result_not_a_pass(scaffold_copy, run_cli) -> None:
    root = scaffold_copy("python-service")
    (root / ".github" / "workflows" / "odd.yml").write_text("on: push\njobs: 5\n")
    failed = failed_checks(run_cli(["audit", root, "--json"]))
    assert failed["zizmor"].startswith("zizmor could not read .github/workflows/odd.yml")


# --- zizmor that cannot run ----------------------------------------------------------------


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An interpreter folder and a PATH without zizmor; tests put a broken one there."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setattr(sys, "executable", str(folder / "python"))
    monkeypatch.setenv("PATH", str(folder))
    return folder


def _tool(folder: Path, script: str) -> None:
    path = folder / "zizmor"
    path.write_text(f"#!{sys.base_prefix}/bin/python3\n{script}\n")
    path.chmod(0o755)


def test_audit_fails_loudly_without_zizmor(fake_bin, scaffolds, run_cli) -> None:
    result = run_cli(["audit", scaffolds[("python-service", "defaults")].path, "--json"])
    assert result.code == ExitCode.USAGE
    error = result.json()["error"]
    assert error["code"] == "audit-tool"
    assert error["message"] == "audit cannot run zizmor: it is not installed"
    assert "pins zizmor" in error["hint"]
    assert "Traceback" not in result.stderr


def test_audit_fails_loudly_without_zizmor_even_in_an_empty_folder(
    fake_bin, tmp_path, run_cli
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli(["audit", empty]).code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "import sys; sys.stderr.write('thread panicked\\n'); sys.exit(101)",
            "it exited with 101 (thread panicked)",
        ),
        ("print('No findings to report. Good job!')", "its output is not JSON"),
        ("print('{\"ident\": 1}')", "its JSON is not a list of findings"),
    ],
    ids=["crash", "not-json", "wrong-json"],
)
def test_a_broken_zizmor_is_an_error_never_a_pass(
    script, message, fake_bin, scaffolds, run_cli
) -> None:
    _tool(fake_bin, script)
    result = run_cli(["audit", scaffolds[("python-service", "defaults")].path, "--json"])
    assert result.code == ExitCode.USAGE, result.stdout
    assert result.json()["error"]["message"].startswith(f"audit cannot run zizmor: {message}")


def test_zizmor_runs_offline_unsilenced_and_without_the_token(
    fake_bin, scaffolds, run_cli, monkeypatch, tmp_path
) -> None:
    seen = tmp_path / "seen.txt"
    _tool(
        fake_bin,
        "import os, sys\n"
        f"open({str(seen)!r}, 'w').write(repr((sys.argv[1:], dict(os.environ))))\n"
        "print('[]')",
    )
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_token_value")
    monkeypatch.setenv("ZIZMOR_CONFIG", "/dev/null")
    result = run_cli(["audit", scaffolds[("python-service", "defaults")].path, "--json"])
    argv, env = eval(seen.read_text())  # noqa: S307  # our own fake wrote this repr
    assert {"--offline", "--no-config", "--no-ignores", "--persona=pedantic"} <= set(argv)
    assert "./.github/workflows/ci.yml" in argv and "./.github/dependabot.yml" in argv
    assert not any(k.startswith(("GITHUB_", "GH_", "ZIZMOR_")) for k in env), env
    assert "ghp_secret_token_value" not in seen.read_text()
    # The fake read nothing: every input unread is a failed result, never a pass.
    assert result.code == ExitCode.CHECKS_FAILED
