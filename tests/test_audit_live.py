"""`scaffolder audit --live` against the fake GitHub over HTTP: a published project passes; each
setting changed in the fake's state is a failed check naming the fix, and `scaffolder publish`
again makes it pass; a free plan is `unavailable`, not failed; `--repo` needs no checkout;
`--catalog` goes on past a repository the token cannot read (exit 3)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.catalog_helpers import entity, location_catalog, write_entities
from tests.conftest import CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import OTHER_TOKEN, TOKEN, start_fake
from tests.fakegithub.state import Repo

CHECKS = [
    "rulesets",
    "vulnerability-alerts",
    "dependabot-security-updates",
    "secret-scanning",
    "private-vulnerability-reporting",
    "actions-token",
    "codeql-default-setup",
]
CHECK_KEYS = {"name", "status", "reason", "fix"}


def checks_of(result: CliResult) -> dict[str, dict[str, Any]]:
    (component,) = result.json()["result"]["components"]
    assert [c["name"] for c in component["checks"]] == CHECKS
    return {c["name"]: c for c in component["checks"]}


def statuses(result: CliResult) -> dict[str, str]:
    return {name: c["status"] for name, c in checks_of(result).items()}


def publish(run_cli: Callable[..., CliResult], project: Path, *extra: str) -> CliResult:
    result = run_cli(["publish", project, *extra])
    assert result.code == 0, result.stderr
    return result


@pytest.fixture
def catalog_fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    """A fake serving the contents API too (--repo and --catalog read files through it)."""
    fake = start_fake(tmp_path_factory.mktemp("fakegithub"), monkeypatch, catalog=True)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def published(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> Path:
    """An organisation's public repository: every feature is offered."""
    project = new_service()
    publish(run_cli, project, "--github-owner", "acme", "--public")
    return project


def repo_of(fake: FakeGitHub, name: str = "payments-api", owner: str = "acme") -> Repo:
    return fake.state.repos[(owner, name)]


def test_a_published_project_passes_every_check(
    published: Path, fake_github: FakeGitHub, run_cli: Callable[..., CliResult]
) -> None:
    before = len(fake_github.requests)
    result = run_cli(["audit", "--live", published, "--json"])
    assert result.code == 0, result.stdout + result.stderr
    data = result.json()
    assert data["ok"] is True and data["command"] == "audit"
    assert set(data["result"]) == {
        "live", "mode", "catalog", "selection", "total", "counts", "components",
    }  # fmt: skip
    assert data["result"]["mode"] == "path"
    assert data["result"]["counts"] == {"ok": 1, "finding": 0, "failed": 0}
    (component,) = data["result"]["components"]
    assert set(component) == {"ref", "repository", "status", "reason", "checks"}
    assert component["ref"] == "component:default/payments-api"
    assert (component["repository"], component["status"], component["reason"]) == (
        "acme/payments-api", "ok", None,
    )  # fmt: skip
    for check in component["checks"]:
        assert set(check) == CHECK_KEYS
        assert (check["status"], check["fix"]) == ("passed", None), check
    # reads only, and few of them
    reads = fake_github.requests[before:]
    assert {r.method for r in reads} == {"GET"}
    assert len(reads) <= 10, [r.path for r in reads]

    text = run_cli(["audit", "--live", published])
    assert text.code == 0
    assert (
        text.stdout.splitlines()[0]
        == "audit --live acme/payments-api (component:default/payments-api)"
    )
    assert "✓ rulesets" in text.stdout
    assert text.stdout.splitlines()[-1] == "7 checks: 7 passed, 0 failed, 0 unavailable"


def _disable(repo: Repo) -> None:
    repo.rulesets[0]["enforcement"] = "disabled"


def _edit(repo: Repo) -> None:
    for rule in repo.rulesets[0]["rules"]:
        if rule["type"] == "pull_request":
            rule["parameters"]["required_approving_review_count"] = 0
    repo.rulesets[0]["bypass_actors"] = [
        {"actor_id": 1, "actor_type": "OrganizationAdmin", "bypass_mode": "always"}
    ]


def _delete(repo: Repo) -> None:
    repo.rulesets.clear()


def _drop_rule(repo: Repo) -> None:
    repo.rulesets[0]["rules"] = [r for r in repo.rulesets[0]["rules"] if r["type"] != "deletion"]


def _push_protection_off(repo: Repo) -> None:
    repo.push_protection = "disabled"


def _token_write(repo: Repo) -> None:
    repo.workflow_permissions["default_workflow_permissions"] = "write"


def _approve(repo: Repo) -> None:
    repo.workflow_permissions["can_approve_pull_request_reviews"] = True


def _default_setup(repo: Repo) -> None:
    repo.default_setup = "configured"


def _alerts_off(repo: Repo) -> None:
    repo.vulnerability_alerts = False
    repo.automated_security_fixes = False


def _reporting_off(repo: Repo) -> None:
    repo.private_vulnerability_reporting = False


@pytest.mark.parametrize(
    ("change", "failed", "words"),
    [
        (_disable, {"rulesets"}, "default-branch-protection is disabled on GitHub"),
        (_edit, {"rulesets"}, "required_approving_review_count is 0 on GitHub"),
        (_delete, {"rulesets"}, "default-branch-protection does not exist on GitHub"),
        (_drop_rule, {"rulesets"}, "lacks the deletion rule"),
        (_push_protection_off, {"secret-scanning"}, "push protection is disabled"),
        (_token_write, {"actions-token"}, "default permissions is write (expected read)"),
        (_approve, {"actions-token"}, "Actions approving pull requests is on (expected off)"),
        (_default_setup, {"codeql-default-setup"}, "is configured (expected not-configured)"),
        (
            _alerts_off,
            {"vulnerability-alerts", "dependabot-security-updates"},
            "alerts is off (expected on)",
        ),
        (_reporting_off, {"private-vulnerability-reporting"}, "is off (expected on)"),
    ],
)
def test_a_changed_setting_fails_its_check_and_publish_fixes_it(
    published: Path,
    fake_github: FakeGitHub,
    run_cli: Callable[..., CliResult],
    change: Callable[[Repo], None],
    failed: set[str],
    words: str,
) -> None:
    change(repo_of(fake_github))
    result = run_cli(["audit", "--live", published, "--json"])
    assert result.code == 1, result.stdout + result.stderr
    assert result.json()["ok"] is False
    checks = checks_of(result)
    assert {n for n, c in checks.items() if c["status"] == "failed"} == failed
    assert {c["status"] for n, c in checks.items() if n not in failed} == {"passed"}
    reasons = " ".join(checks[name]["reason"] for name in failed)
    assert words in reasons, reasons
    for name in failed:
        assert checks[name]["fix"] == f"scaffolder publish {published}"
    (component,) = result.json()["result"]["components"]
    assert component["status"] == "finding"
    assert (
        component["reason"]
        == f"{len(failed)} failed: {', '.join(n for n in CHECKS if n in failed)}"
    )

    text = run_cli(["audit", "--live", published])
    assert text.code == 1
    assert f"fix: scaffolder publish {published}" in text.stdout

    publish(run_cli, published)
    again = run_cli(["audit", "--live", published, "--json"])
    assert again.code == 0, again.stdout
    assert set(statuses(again).values()) == {"passed"}


def test_a_ruleset_file_edited_locally_is_a_difference_too(
    published: Path, run_cli: Callable[..., CliResult]
) -> None:
    ruleset = published / ".github" / "rulesets" / "default-branch.json"
    ruleset.write_text(
        ruleset.read_text(encoding="utf-8").replace('"~DEFAULT_BRANCH"', '"refs/heads/release"'),
        encoding="utf-8",
    )
    result = run_cli(["audit", "--live", published, "--json"])
    assert result.code == 1
    reason = checks_of(result)["rulesets"]["reason"]
    assert "conditions.ref_name.include" in reason and "refs/heads/release" in reason


def test_a_free_plan_private_repository_is_unavailable_not_failed(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> None:
    fake_github.state.accounts["alice"].plan = "free"
    project = new_service()
    published = run_cli(["publish", project])
    assert published.code == 3, published.stderr  # no protection on this plan: partial
    result = run_cli(["audit", "--live", project, "--json"])
    assert result.code == 0, result.stdout + result.stderr
    checks = checks_of(result)
    assert statuses(result) == {
        "rulesets": "unavailable",
        "vulnerability-alerts": "passed",
        "dependabot-security-updates": "passed",
        "secret-scanning": "unavailable",
        "private-vulnerability-reporting": "unavailable",
        "actions-token": "passed",
        "codeql-default-setup": "unavailable",
    }
    assert "neither rulesets nor branch protection" in checks["rulesets"]["reason"]
    assert "public repositories only" in checks["private-vulnerability-reporting"]["reason"]
    assert "code_security: false" in checks["codeql-default-setup"]["reason"]
    assert all(c["fix"] is None for c in checks.values())
    text = run_cli(["audit", "--live", project])
    assert "- secret-scanning" in text.stdout and "unavailable: a user's private" in text.stdout
    assert text.stdout.splitlines()[-1] == "7 checks: 3 passed, 0 failed, 4 unavailable"


def test_classic_branch_protection_where_rulesets_are_missing(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> None:
    fake_github.state.rulesets_supported = False  # an Enterprise Server before 3.11
    project = new_service()
    publish(run_cli, project, "--github-owner", "acme", "--public")
    ok = run_cli(["audit", "--live", project, "--json"])
    assert ok.code == 0, ok.stdout
    (component,) = ok.json()["result"]["components"]
    assert component["checks"][0]["name"] == "branch-protection"
    assert component["checks"][0]["status"] == "passed"
    repo_of(fake_github).protection["main"]["allow_force_pushes"] = {"enabled": True}
    bad = run_cli(["audit", "--live", project, "--json"])
    assert bad.code == 1
    (component,) = bad.json()["result"]["components"]
    check = component["checks"][0]
    assert (check["name"], check["status"]) == ("branch-protection", "failed")
    assert check["fix"] == f"scaffolder publish {project}"
    publish(run_cli, project)
    assert run_cli(["audit", "--live", project]).code == 0


def test_repo_works_without_a_checkout(
    catalog_fake: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> None:
    project = new_service()
    publish(run_cli, project, "--github-owner", "acme", "--public")
    shutil.rmtree(project)
    result = run_cli(["audit", "--live", "--repo", "acme/payments-api", "--json"])
    assert result.code == 0, result.stdout + result.stderr
    assert result.json()["result"]["mode"] == "repo"
    assert set(statuses(result).values()) == {"passed"}
    repo_of(catalog_fake).rulesets[0]["enforcement"] = "evaluate"
    bad = run_cli(["audit", "--live", "--repo", "acme/payments-api", "--json"])
    assert bad.code == 1
    check = checks_of(bad)["rulesets"]
    assert "is evaluate on GitHub; the file says active" in check["reason"]
    assert check["fix"].startswith("clone acme/payments-api and run `scaffolder publish DIR`")
    # a repository it cannot see: one clear line, exit 5, no traceback
    catalog_fake.state.add_repo("bob", "hidden", private=True)
    hidden = run_cli(["audit", "--live", "--repo", "bob/hidden"])
    assert hidden.code == 5
    assert "cannot read bob/hidden" in hidden.stderr and "Traceback" not in hidden.stderr


def test_catalog_goes_on_past_an_unreadable_repository(
    catalog_fake: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    catalog_file: Path,
    tmp_path: Path,
) -> None:
    first = new_service(name="ledger")
    publish(run_cli, first, "--github-owner", "acme", "--public")
    second = new_service(name="billing")
    publish(run_cli, second, "--github-owner", "acme", "--public")
    repo_of(catalog_fake, "billing").push_protection = "disabled"
    catalog_fake.state.add_repo("bob", "hidden", private=True)
    hidden = write_entities(
        tmp_path / "hidden", entity("hidden", annotations={"github.com/project-slug": "bob/hidden"})
    )
    web = catalog_fake.web_url
    catalog = location_catalog(
        tmp_path / "fleet.yaml",
        [
            f"{web}/acme/ledger/blob/main/catalog-info.yaml",
            f"{web}/acme/billing/blob/main/catalog-info.yaml",
            str(hidden),
        ],
    )
    result = run_cli(["audit", "--live", "--catalog", catalog, "--json", "--concurrency", "2"])
    assert result.code == 3, result.stdout + result.stderr  # 3 wins over 1
    data = result.json()["result"]
    assert data["mode"] == "catalog" and data["counts"] == {"ok": 1, "finding": 1, "failed": 1}
    by_ref = {c["ref"]: c for c in data["components"]}
    assert by_ref["component:default/ledger"]["status"] == "ok"
    billing = by_ref["component:default/billing"]
    assert billing["status"] == "finding" and billing["repository"] == "acme/billing"
    failed = [c for c in billing["checks"] if c["status"] == "failed"]
    assert [c["name"] for c in failed] == ["secret-scanning"]
    assert failed[0]["fix"].startswith("clone acme/billing")
    gone = by_ref["component:default/hidden"]
    assert (gone["status"], gone["repository"], gone["checks"]) == ("failed", "bob/hidden", [])
    assert "cannot read bob/hidden" in gone["reason"]

    text = run_cli(["audit", "--live", "--catalog", catalog, "--lifecycle", "experimental"])
    assert text.code == 3
    assert "✗ could not be read: cannot read bob/hidden" in text.stdout
    assert text.stdout.splitlines()[-1].endswith("1 ok, 1 with failed checks, 1 could not be read")
    assert "[3/3]" in text.stderr  # progress per repository
    assert TOKEN not in text.stdout + text.stderr + result.stdout


def test_a_path_without_a_github_origin_is_a_usage_error(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> None:
    project = new_service()
    result = run_cli(["audit", "--live", project])
    assert result.code == 2
    assert "has no origin remote" in result.stderr and "Traceback" not in result.stderr
    secret_url = f"https://x-access-token:{TOKEN}@gitlab.example/acme/payments-api.git"
    subprocess.run(["git", "remote", "add", "origin", secret_url], cwd=project, check=True)
    other = run_cli(["audit", "--live", project, "--json"])
    assert other.code == 2
    error = other.json()["error"]
    assert (
        "origin https://gitlab.example/acme/payments-api.git is not a repository on"
        in (error["message"])
    )
    assert TOKEN not in other.stdout + other.stderr
    assert not fake_github.requests  # refused before any request


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--repo", "acme/x"], "--repo work with --live only"),
        (["--catalog", "c.yaml"], "--catalog and the selection flags work with --live only"),
        (["--live", ".", "--repo", "acme/x"], "not PATH and --repo"),
        (["--live", "--repo", "not a slug"], "is not OWNER/REPO"),
    ],
)
def test_bad_flags_are_usage_errors(
    run_cli: Callable[..., CliResult], args: list[str], words: str
) -> None:
    result = run_cli(["audit", *args])
    assert result.code == 2
    assert words in result.stderr, result.stderr


def test_enterprise_server_and_a_token_without_admin_rights(
    fake_ghes: FakeGitHub,
    new_service: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = new_service()
    publish(run_cli, project, "--github-owner", "acme", "--public")
    ok = run_cli(["audit", "--live", project, "--json"])
    assert ok.code == 0, ok.stdout + ok.stderr
    assert set(statuses(ok).values()) == {"passed"}
    monkeypatch.setenv("GH_TOKEN", OTHER_TOKEN)  # bob: may read the public repository only
    refused = run_cli(["audit", "--live", project])
    assert refused.code == 5
    assert "cannot read the settings of acme/payments-api" in refused.stderr
    assert "admin" in refused.stderr and OTHER_TOKEN not in refused.stderr


WEB = "https://github.com"


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/acme/api.git", "acme/api"),
        ("https://github.com/acme/api", "acme/api"),
        ("https://user:secret@github.com/acme/api.git", "acme/api"),
        ("git@github.com:acme/api.git", "acme/api"),
        ("ssh://git@github.com/acme/api.git", "acme/api"),
        ("https://gitlab.com/acme/api.git", None),
        ("git@gitlab.com:acme/api.git", None),
        ("https://github.com/acme/api/tree/main", None),
        ("/srv/git/api.git", None),
    ],
)
def test_the_repository_an_origin_names(url: str, slug: str | None) -> None:
    from scaffolder.audit.live_source import slug_of_remote

    assert slug_of_remote(url, WEB) == slug


def test_the_guide_names_every_check() -> None:
    import re

    from scaffolder.audit.live import NAMES

    guide = (Path(__file__).parent.parent / "docs" / "audit-live.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z-]+)` \|", guide, flags=re.M)
    assert documented == [NAMES[0], "branch-protection", *NAMES[1:]]
    assert tuple(CHECKS) == NAMES


def test_an_organisations_own_rulesets_are_not_taken_for_the_repositorys(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Callable[..., CliResult]
) -> None:
    """GitHub lists an organisation's rulesets with each of its repositories', 30 to a page:
    with 35 of the organisation's own, the repository's must still be found, by publish run
    again (reads only) and by the audit, and never created twice."""
    state = fake_github.state
    state.accounts["acme"].rulesets += [
        {
            "id": state.next_id(),
            "name": f"org-rule-{i}",
            "target": "branch",
            "enforcement": "active",
        }
        for i in range(35)
    ]
    project = new_service()
    publish(run_cli, project, "--github-owner", "acme", "--public")
    declared = len(repo_of(fake_github).rulesets)
    assert declared >= 1
    before = len(fake_github.writes())
    publish(run_cli, project, "--github-owner", "acme", "--public")
    assert fake_github.writes()[before:] == []
    assert len(repo_of(fake_github).rulesets) == declared
    result = run_cli(["audit", "--live", project, "--json"])
    assert statuses(result)["rulesets"] == "passed", checks_of(result)["rulesets"]
