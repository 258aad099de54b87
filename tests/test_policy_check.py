"""`scaffolder policy check`: what the current user may do under the policy, rule by rule.

Against the fake GitHub's identity routes over real HTTP, through the real CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake
from tests.fakegithub.state import Membership

Run = Callable[[Sequence[str]], CliResult]

CLASSIC = "ghp_CHECKclassic0123456789abcdefABCDEF0123"
RISKY = "ghp_CHECKrisky0123456789abcdefABCDEF01234"
PENDING = "ghp_CHECKpending0123456789abcdefABCDEF012"
POLICY = """\
version = 1

[identity]
email_domains = ["acme.example"]
organizations = ["acme"]

[where]
owners = ["acme", "elsewhere"]
visibilities = ["private", "internal"]

[templates]
sources = ["/srv/acme-templates"]
"""


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, identity=True)
    fake.state.add_token("alice", CLASSIC, scopes=("repo", "user:email", "read:org"))
    fake.state.add_token("alice", RISKY, scopes=("repo", "user:email", "delete_repo"))
    fake.state.add_token("bob", PENDING, scopes=("repo", "user:email", "read:org"))
    fake.state.add_email("alice", "alice@acme.example", primary=True)
    fake.state.add_email("bob", "bob@acme.example", primary=True)
    fake.state.memberships[("acme", "bob")] = Membership("pending")  # invited, not accepted
    monkeypatch.setenv("GH_TOKEN", CLASSIC)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def check(run_cli: Run, policy: Path, *extra: str) -> CliResult:
    return run_cli(["policy", "check", "--policy", policy, *extra])


def statuses(result: CliResult) -> dict[str, str]:
    return {r["rule"]: r["status"] for r in result.json()["result"]["rules"]}


def test_a_member_with_a_verified_email_passes(
    run_cli: Run, fake: FakeGitHub, policy: Path
) -> None:
    result = check(run_cli, policy, "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert (data["command"], data["ok"], data["exit_code"]) == ("policy check", True, 0)
    assert data["result"]["allowed"] is True
    assert statuses(result) == {
        "identity.token": "allowed",
        "identity.email_domain": "allowed",
        "identity.organization": "allowed",
        "tokens.scopes": "allowed",
    }
    may = data["result"]["may"]
    # alice can create under acme (a member), not under elsewhere.
    assert may["owners"] == ["acme"]
    assert may["visibilities"] == ["private", "internal"]
    assert may["templates"]["sources"] == ["/srv/acme-templates"]
    assert data["result"]["identity"]["token"]["login"] == "alice"

    text = check(run_cli, policy)
    assert text.code == 0
    assert f"access policy from --policy: {policy}" in text.stdout
    assert "identity.email_domain  allowed: a verified email in acme.example" in text.stdout
    assert "you may create repositories under: acme\n" in text.stdout
    assert "with the visibility: private, internal" in text.stdout
    assert text.stdout.rstrip().endswith("you pass the identity and token rules")


def test_a_pending_member_is_refused_with_what_to_do(
    run_cli: Run, fake: FakeGitHub, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", PENDING)
    result = check(run_cli, policy, "--json")
    assert result.code == 6
    data = result.json()
    assert (data["ok"], data["exit_code"], data["result"]["allowed"]) == (False, 6, False)
    assert statuses(result)["identity.organization"] == "refused"
    text = check(run_cli, policy)
    assert text.code == 6
    assert "identity.organization  refused: not an active member of acme" in text.stdout
    assert "to do: accept the invitation to acme" in text.stdout
    assert "refused (identity.organization)" in text.stdout


def test_a_risky_scope_is_a_warning_not_a_refusal(
    run_cli: Run, fake: FakeGitHub, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", RISKY)
    result = check(run_cli, policy, "--json")
    assert result.code == 0
    assert statuses(result)["tokens.scopes"] == "warning"
    assert any("delete_repo" in w for w in result.json()["warnings"])


def test_without_a_token_the_identity_cannot_be_checked(
    run_cli: Run, policy: Path, tmp_path: Path
) -> None:
    result = check(run_cli, policy, "--json")
    assert result.code == 6
    (first,) = [r for r in result.json()["result"]["rules"] if r["rule"] == "identity.token"]
    assert (first["status"], first["value"]) == ("refused", "no token")
    assert "a local scaffold without a token may go ahead" in first["reason"]


def test_no_policy_and_a_broken_one(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(["policy", "check", "--json"])
    assert result.code == 0
    assert result.json()["result"]["summary"] == (
        "no access policy: every action the token allows is allowed"
    )
    broken = tmp_path / "broken.toml"
    broken.write_text("version = 1\n[who]\n", encoding="utf-8")
    bad = run_cli(["policy", "check", "--policy", broken])
    assert bad.code == 2
    assert f"access policy {broken}:2" in bad.stderr


def test_show_says_a_policy_without_sources_does_not_restrict_other_templates(
    run_cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "p.toml"
    path.write_text("version = 1\n[templates]\nallow_trust = false\n", encoding="utf-8")
    shown = run_cli(["policy", "show", "--policy", path, "--json"])
    rules = {r["rule"]: r["says"] for r in shown.json()["result"]["rules"]}
    assert rules["templates.trust"] == (
        "any other template source is not restricted (trusted as without a policy)"
    )


def test_an_organisation_whose_membership_cannot_be_read_is_named_not_dropped(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path
) -> None:
    """A token GitHub will not tell the memberships of (a classic one without read:org, a
    fine-grained one without "Members"): the owner is left out, and the output says why."""
    path = tmp_path / "owners.toml"
    path.write_text('version = 1\n\n[where]\nowners = ["acme", "alice"]\n', encoding="utf-8")
    message = "Resource not accessible by personal access token"
    fake.fail("GET", "/user/memberships/orgs/acme", status=403, message=message)
    result = check(run_cli, path, "--json")
    assert result.code == 0, result.stderr
    may = result.json()["result"]["may"]
    assert (may["owners"], may["unverified_owners"]) == (["alice"], ["acme"])
    fake.fail("GET", "/user/memberships/orgs/acme", status=403, message=message)
    text = check(run_cli, path)
    assert "you may create repositories under: alice\n" in text.stdout
    assert (
        "note: acme is not offered as an owner: your membership of it could not be read "
        "(GitHub answered 403 to GET /user/memberships/orgs/acme); let the token read your "
        "organisation memberships (classic: the read:org scope"
    ) in text.stdout
