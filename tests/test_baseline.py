"""The security baseline, on every built-in template and every cell of the answer matrix.

Each scaffold is rendered once per session (tests/baseline_fixtures.py). Each test checks one
rule on one scaffold, with the tools GitHub's ecosystem uses (zizmor, check-jsonschema's
vendored schemas) or by reading the files, and finally with `scaffolder audit`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from scaffolder.backstage.entity import validate_entity
from tests.baseline_fixtures import CELL_IDS, CODEQL, TEMPLATE_NAMES, Scaffold
from tests.conftest import TEMPLATES
from tests.helpers import run_tool

MATRIX = [(t, c) for t in TEMPLATE_NAMES for c in CELL_IDS]
BIN = Path(sys.executable).parent
USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<action>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<ref>\S+)"
    r"(?:\s+#\s*(?P<comment>.*))?$"
)
PINS = yaml.safe_load((TEMPLATES / "_baseline" / "pins.yml").read_text())["action_pins"]["default"]


@pytest.fixture(params=MATRIX, ids=[f"{t}-{c}" for t, c in MATRIX])
def scaffold(
    request: pytest.FixtureRequest, scaffolds: dict[tuple[str, str], Scaffold]
) -> Scaffold:
    return scaffolds[request.param]


def workflows(path: Path) -> dict[str, dict]:
    return {
        p.name: yaml.safe_load(p.read_text())
        for p in sorted((path / ".github" / "workflows").glob("*.yml"))
    }


# --- Tools ---------------------------------------------------------------------------------


def test_zizmor_pedantic_reports_no_findings(scaffold: Scaffold) -> None:
    proc = run_tool(
        BIN / "zizmor",
        "--offline",
        "--persona",
        "pedantic",
        "--no-progress",
        ".",
        cwd=scaffold.path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout
    # zizmor really read the workflows and dependabot.yml (5 files).
    assert proc.stderr.count("completed") == 5, proc.stderr


def test_workflows_and_dependabot_match_githubs_schemas(scaffold: Scaffold) -> None:
    files = sorted((scaffold.path / ".github" / "workflows").glob("*.yml"))
    assert [f.name for f in files] == [
        "ci.yml",
        "codeql.yml",
        "dependency-review.yml",
        "scorecard.yml",
    ]
    proc = run_tool(
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        *files,
        cwd=scaffold.path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_tool(
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
        cwd=scaffold.path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_scaffolder_audit_passes(scaffold: Scaffold, run_cli) -> None:
    result = run_cli(["audit", scaffold.path, "--json"])
    report = result.json()
    failed = [c for c in report["result"]["checks"] if not c["passed"]]
    assert result.code == 0 and failed == [], failed
    assert report["result"]["languages"] == [scaffold.language]


# --- Workflows -----------------------------------------------------------------------------


def test_every_action_is_pinned_from_pins_yml_with_its_tag(scaffold: Scaffold) -> None:
    lines = [
        line
        for wf in (scaffold.path / ".github" / "workflows").glob("*.yml")
        for line in wf.read_text().splitlines()
        if re.match(r"^\s*(-\s+)?uses:", line)
    ]
    assert len(lines) >= 10
    for line in lines:
        m = USES.match(line)
        assert m, line
        pin = PINS[m["action"]]
        assert m["ref"] == pin["sha"] and re.fullmatch(r"[0-9a-f]{40}", m["ref"]), line
        assert m["comment"] == pin["version"], line


def test_every_workflow_has_top_level_permissions_and_every_job_a_timeout(
    scaffold: Scaffold,
) -> None:
    for name, wf in workflows(scaffold.path).items():
        assert "permissions" in wf, name
        assert wf["permissions"] == {} or set(wf["permissions"].values()) <= {"read"}, name
        for job_id, job in wf["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id}"
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
                assert "github.event" not in step.get("run", "")


def test_codeql_scans_the_language_and_actions_without_a_build(scaffold: Scaffold) -> None:
    wf = workflows(scaffold.path)["codeql.yml"]
    assert set(wf[True]) == {"push", "pull_request", "schedule"}  # YAML 1.1 reads `on` as True
    job = wf["jobs"]["analyze"]
    assert job["permissions"]["security-events"] == "write"
    assert [v for v in job["permissions"].values() if v == "write"] == ["write"]
    modes = {row["language"]: row["build-mode"] for row in job["strategy"]["matrix"]["include"]}
    lang = CODEQL[scaffold.language]
    assert set(modes) == {lang, "actions"}
    assert modes["actions"] == "none"
    assert modes[lang] == ("autobuild" if lang == "go" else "none")  # CodeQL needs a Go build
    for step in job["steps"]:
        if "codeql-action" in step.get("uses", ""):
            assert PINS["github/codeql-action"]["version"].startswith("v4.")


def test_ci_runs_the_projects_tests(scaffold: Scaffold) -> None:
    steps = workflows(scaffold.path)["ci.yml"]["jobs"]["test"]["steps"]
    runs = " && ".join(s["run"] for s in steps if "run" in s)
    expected = {"python": "python -m pytest", "typescript": "npm test", "go": "go test ./..."}
    assert expected[scaffold.language] in runs
    if scaffold.language == "typescript":
        assert "npm ci" in runs and "npm install" not in runs
        assert runs.index("npx tsc --noEmit") < runs.index("npm test")  # type-checked first
    if scaffold.language == "python":  # Scorecard counts only hash-pinned pip installs as pinned
        assert "pip install --require-hashes -r requirements-test.txt" in runs
        assert "pip install --no-deps -e ." in runs


def test_scorecard_can_publish(scaffold: Scaffold) -> None:
    wf = workflows(scaffold.path)["scorecard.yml"]
    job = wf["jobs"]["analysis"]
    assert job["permissions"]["id-token"] == "write"
    assert job["permissions"]["security-events"] == "write"
    assert wf["permissions"] == {}
    # What Scorecard's publishing API accepts: only these actions, no run steps, Ubuntu, no
    # top-level env or defaults, and no containers or services.
    assert all("run" not in s for s in job["steps"])
    assert {s["uses"].split("@")[0] for s in job["steps"]} <= {
        "actions/checkout",
        "ossf/scorecard-action",
        "actions/upload-artifact",
        "github/codeql-action/upload-sarif",
        "step-security/harden-runner",
    }
    assert job["runs-on"] == "ubuntu-latest"
    assert not {"env", "defaults"} & set(wf) and not {"container", "services"} & set(job)
    (score,) = [s for s in job["steps"] if s["uses"].startswith("ossf/scorecard-action@")]
    assert score["with"]["publish_results"] is True


def test_dependabot_updates_the_ecosystem_and_actions_weekly_grouped_with_cooldown(
    scaffold: Scaffold,
) -> None:
    data = yaml.safe_load((scaffold.path / ".github" / "dependabot.yml").read_text())
    ecosystems = [u["package-ecosystem"] for u in data["updates"]]
    expected = {"python": "pip", "typescript": "npm", "go": "gomod"}[scaffold.language]
    assert ecosystems == [expected, "github-actions"]
    for update in data["updates"]:
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"]["default-days"] >= 7
        assert update["groups"]


# --- Files ---------------------------------------------------------------------------------


def test_catalog_info_is_a_valid_component_that_keeps_the_answers(scaffold: Scaffold) -> None:
    entity = yaml.safe_load((scaffold.path / "catalog-info.yaml").read_text())
    assert validate_entity(entity) == []
    answers = scaffold.cell.answers
    assert entity["kind"] == "Component"
    assert entity["metadata"]["name"] == scaffold.path.name
    assert entity["metadata"]["description"] == answers.get("description", "")
    assert entity["spec"]["lifecycle"] == answers.get("lifecycle", "experimental")
    assert entity["spec"]["owner"] == answers["owner"]
    assert entity["spec"]["type"] == "service"
    if answers.get("system"):
        assert entity["spec"]["system"] == answers["system"]
    else:
        assert "system" not in entity["spec"]
    annotations = entity["metadata"].get("annotations", {})
    if answers.get("github_owner"):
        slug = f"{answers['github_owner']}/{scaffold.path.name}"
        assert annotations["github.com/project-slug"] == slug
        assert (
            annotations["backstage.io/source-location"]
            == f"url:https://github.com/{slug}/tree/main/"
        )
    else:
        assert annotations == {}


def test_ruleset_is_githubs_import_format_with_approvals_by_lifecycle(scaffold: Scaffold) -> None:
    ruleset = json.loads(
        (scaffold.path / ".github" / "rulesets" / "default-branch.json").read_text()
    )
    assert ruleset["target"] == "branch" and ruleset["enforcement"] == "active"
    assert ruleset["bypass_actors"] == []
    assert ruleset["conditions"]["ref_name"]["include"] == ["~DEFAULT_BRANCH"]
    rules = {r["type"]: r.get("parameters") for r in ruleset["rules"]}
    assert {"deletion", "non_fast_forward", "pull_request", "required_status_checks"} <= set(rules)
    review = rules["pull_request"]
    assert set(review) == {
        "required_approving_review_count",
        "dismiss_stale_reviews_on_push",
        "require_code_owner_review",
        "require_last_push_approval",
        "required_review_thread_resolution",
    }
    lifecycle = scaffold.cell.answers.get("lifecycle", "experimental")
    # A user's repository (owner user:...) has no reviewer besides its author: no approvals.
    by_user = scaffold.cell.answers["owner"].startswith("user:")
    wanted = 0 if by_user else 2 if lifecycle == "production" else 1
    assert review["required_approving_review_count"] == wanted
    assert review["require_code_owner_review"] is not by_user
    contexts = [c["context"] for c in rules["required_status_checks"]["required_status_checks"]]
    assert contexts == ["test", f"Analyze ({CODEQL[scaffold.language]})", "Analyze (actions)"]


def test_security_policy_names_where_to_report_and_when(scaffold: Scaffold) -> None:
    text = (scaffold.path / "SECURITY.md").read_text()
    answers = scaffold.cell.answers
    if answers.get("github_owner"):
        assert (
            f"https://github.com/{answers['github_owner']}/{scaffold.path.name}/security/advisories/new"
            in text
        )
    else:
        assert "private vulnerability reporting" in text
    if answers.get("security_contact"):
        assert f"You can also write to {answers['security_contact']}." in text
    else:  # the contact then comes from the owner answers
        assert f"owned by `{answers['owner']}`" in text
    assert re.search(r"within \d+ business days", text) and "90 days" in text
    assert "disclosure" in text and "vulnerabilit" in text


def test_codeowners_maps_the_backstage_owner(scaffold: Scaffold) -> None:
    text = (scaffold.path / ".github" / "CODEOWNERS").read_text()
    expected = {
        "defaults": "@acme/payments",
        "production-system": "@acme-corp/payments",
        "deprecated-multiline": "@jdoe",
        "experimental-system": "@acme/payments-maintainers",
    }[scaffold.cell.id]
    assert f"\n* {expected}\n" in text


def test_license_is_the_full_text_and_gitignore_fits_the_language(scaffold: Scaffold) -> None:
    text = (scaffold.path / "LICENSE").read_text()
    licence = scaffold.cell.answers.get("license", "Apache-2.0")
    marker = {
        "Apache-2.0": "END OF TERMS AND CONDITIONS",
        "MIT": "Permission is hereby granted, free of charge",
        "BSD-3-Clause": "Neither the name of the copyright holder",
    }[licence]
    assert marker in text
    if licence == "Apache-2.0":
        assert len(text.splitlines()) > 190
    ignored = (scaffold.path / ".gitignore").read_text()
    assert {"python": "__pycache__/", "typescript": "node_modules/", "go": "*.test"}[
        scaffold.language
    ] in ignored


def test_the_scaffold_is_committed_clean(scaffold: Scaffold) -> None:
    proc = run_tool("git", "status", "--porcelain", cwd=scaffold.path)
    assert proc.returncode == 0 and proc.stdout == ""


# --- The CODEOWNERS mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "extra", "expected"),
    [
        ("group:default/Pay_Ments.x", ["--set", "github_owner=acme"], "@acme/pay-ments-x"),
        ("user:default/jdoe", ["--set", "github_owner=acme"], "@jdoe"),
        ("user:jdoe", [], "@jdoe"),
        (
            "payments",
            ["--set", "codeowners=@acme/a-team @jdoe sec@acme.example"],
            "@acme/a-team @jdoe sec@acme.example",
        ),
    ],
)
def test_codeowners_default_mapping_and_override(owner, extra, expected, run_cli, tmp_path) -> None:
    dst = tmp_path / "svc"
    args = [
        "new",
        "go-service",
        "--output",
        dst,
        "--set",
        f"owner={owner}",
        "--no-register",
        "--no-input",
    ]
    result = run_cli([*args, *extra])
    assert result.code == 0, result.stderr
    assert (dst / ".github" / "CODEOWNERS").read_text().splitlines()[-1] == f"* {expected}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("acme", "acme is not a GitHub team"),
        ("@a/b bad!", "bad! is not a GitHub team"),
        ("", "at least one"),
    ],
)
def test_codeowners_answer_is_validated(value, message, run_cli, tmp_path) -> None:
    dst = tmp_path / "svc"
    result = run_cli(
        [
            "new",
            "go-service",
            "--output",
            dst,
            "--set",
            "owner=x",
            "--set",
            f"codeowners={value}",
            "--no-input",
        ]
    )
    assert result.code == 2
    assert message in result.stderr
    assert not dst.exists()
