"""The access policy's identity and token rules against the fake GitHub, over real HTTP.

PyGithub and scaffolder's transport talk to the fake's IDENTITY routes (`GET /user` with the
`X-OAuth-Scopes` header, `/user/emails`, `/user/memberships/orgs/{org}`); nothing is mocked.
The fake's request log shows what each evaluation asked GitHub.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffolder.access.identity import Facts
from scaffolder.access.model import Identity, Policy, Tokens, Where
from scaffolder.access.rules import Intent, allowed_choices, evaluate
from scaffolder.errors import ExitCode, GitHubAuthError, PolicyRefusedError
from scaffolder.github import GitHubSettings, connect
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN, start_fake

CLASSIC = "ghp_CLASSICemail0123456789abcdefABCDEF01"
NO_EMAIL_SCOPE = "ghp_NOEMAILscope0123456789abcdefABCDEF0"
RISKY = "ghp_RISKYscopes0123456789abcdefABCDEF012"
FINE = "github_pat_FINEgrained0123456789abcdefABCDEF"
FINE_NO_EMAIL = "github_pat_FINEnoemail0123456789abcdefABC"
APP = "ghs_APPinstallation0123456789abcdefABCDE"

EMAILS = Policy(identity=Identity(email_domains=("acme.example",)), tokens=Tokens(warn_scopes=()))
ORGS = Policy(identity=Identity(organizations=("acme",)), tokens=Tokens(warn_scopes=()))
PUBLISH = Intent(command="publish", owner="acme", visibility="private")


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, identity=True)
    state = fake.state
    state.add_token("alice", CLASSIC, scopes=("repo", "user:email"))
    state.add_token("alice", NO_EMAIL_SCOPE, scopes=("repo", "read:org"))
    state.add_token("alice", RISKY, scopes=("repo", "delete_repo", "admin:org", "user"))
    state.add_token("alice", FINE, "fine-grained", permissions={"emails": "read"})
    state.add_token("alice", FINE_NO_EMAIL, "fine-grained")
    state.add_app_token(APP)
    state.add_email("alice", "alice@gmail.example", primary=True)
    state.add_email("alice", "alice@acme.example")
    yield fake
    fake.stop()
    assert not fake.violations


def facts(token: str | None) -> Facts:
    env = {**os.environ, "GH_TOKEN": token} if token else {}
    if token is None:
        settings = GitHubSettings(api_url=os.environ["SCAFFOLDER_GITHUB_API_URL"], token=None)
    else:
        settings = GitHubSettings.from_env(env=env)
    return Facts.for_client(connect(settings))


def asked(fake: FakeGitHub, since: int = 0) -> list[str]:
    return [f"{method} {path}" for method, path, _ in fake.log(since)]


# -- identity.email_domain ------------------------------------------------------------------
def test_a_verified_email_in_an_allowed_domain_passes(fake: FakeGitHub) -> None:
    decision = evaluate(EMAILS, PUBLISH, facts(CLASSIC))
    result = decision.result("identity.email_domain")
    assert result is not None and result.status == "allowed"
    assert result.value == "alice@acme.example"
    assert decision.allowed and decision.refusal() is None
    assert asked(fake) == ["GET /user", "GET /user/emails"]


def test_an_unverified_email_in_the_domain_is_refused_listing_every_email(
    fake: FakeGitHub,
) -> None:
    fake.state.emails["alice"] = []
    fake.state.add_email("alice", "alice@gmail.example", primary=True)
    fake.state.add_email("alice", "alice@acme.example", verified=False)
    decision = evaluate(EMAILS, PUBLISH, facts(CLASSIC))
    result = decision.result("identity.email_domain")
    assert result is not None and result.status == "refused"
    assert "alice@gmail.example (verified)" in result.reason
    assert "alice@acme.example (not verified)" in result.reason
    assert "verify alice@acme.example" in result.fix
    error = decision.refusal()
    assert isinstance(error, PolicyRefusedError) and error.exit_code == ExitCode.POLICY == 6
    assert error.rule == "identity.email_domain"
    assert error.to_json()["rule"] == "identity.email_domain"


def test_a_user_with_no_email_in_the_domain_is_told_to_ask_the_platform_team(
    fake: FakeGitHub,
) -> None:
    fake.state.emails["alice"] = []
    fake.state.add_email("alice", "alice@gmail.example", primary=True)
    result = evaluate(EMAILS, PUBLISH, facts(CLASSIC)).result("identity.email_domain")
    assert result is not None and result.status == "refused"
    assert result.value == "alice@gmail.example (verified)"
    assert "acme.example" in result.reason
    assert "ask the platform team to add your email domain" in result.fix


def test_a_user_with_no_emails_at_all_is_refused(fake: FakeGitHub) -> None:
    fake.state.emails["alice"] = []
    result = evaluate(EMAILS, PUBLISH, facts(CLASSIC)).result("identity.email_domain")
    assert result is not None and result.status == "refused"
    assert "emails found: none" in result.reason


def test_a_classic_token_without_user_email_is_told_which_scope_to_add(
    fake: FakeGitHub,
) -> None:
    decision = evaluate(EMAILS, PUBLISH, facts(NO_EMAIL_SCOPE))
    result = decision.result("identity.email_domain")
    assert result is not None and result.status == "refused"
    assert "user:email scope" in result.fix
    assert "repo, read:org" in result.reason  # the scopes the token has
    # GitHub's own answer: 404, not 403, for the missing scope.
    assert [r.status for r in fake.calls("GET", "/user/emails")] == [404]
    error = decision.refusal()
    assert error is not None and "user:email" in str(error)


def test_a_fine_grained_token_without_the_email_permission_is_told_which_one(
    fake: FakeGitHub,
) -> None:
    result = evaluate(EMAILS, PUBLISH, facts(FINE_NO_EMAIL)).result("identity.email_domain")
    assert result is not None and result.status == "refused"
    assert '"Email addresses" user permission (read)' in result.fix
    assert [r.status for r in fake.calls("GET", "/user/emails")] == [403]


def test_a_fine_grained_token_with_the_email_permission_passes(fake: FakeGitHub) -> None:
    decision = evaluate(EMAILS, PUBLISH, facts(FINE))
    assert decision.allowed
    token = decision.result("identity.token")
    assert token is not None and token.value == "alice (fine-grained token)"


# -- identity.organization -------------------------------------------------------------------
def test_an_active_member_passes(fake: FakeGitHub) -> None:
    result = evaluate(ORGS, PUBLISH, facts(CLASSIC)).result("identity.organization")
    assert result is not None and result.status == "allowed"
    assert result.value == "acme (active, member)"
    assert asked(fake) == ["GET /user", "GET /user/memberships/orgs/acme"]


def test_a_pending_membership_is_not_active(fake: FakeGitHub) -> None:
    fake.state.add_membership("acme", "alice", state="pending")
    decision = evaluate(ORGS, PUBLISH, facts(CLASSIC))
    result = decision.result("identity.organization")
    assert result is not None and result.status == "refused"
    assert result.value == "acme (pending, member)"
    assert "accept the invitation to acme" in result.fix
    assert decision.refusal() is not None


def test_a_non_member_is_refused(fake: FakeGitHub) -> None:
    fake.state.add_org("globex", members=set())
    policy = Policy(identity=Identity(organizations=("globex",)), tokens=Tokens(warn_scopes=()))
    result = evaluate(policy, PUBLISH, facts(CLASSIC)).result("identity.organization")
    assert result is not None and result.status == "refused"
    assert result.value == "globex (none)"
    assert "ask an owner of globex to invite you" in result.fix
    assert [r.status for r in fake.calls("GET", "/user/memberships/orgs/globex")] == [404]


def test_memberships_stop_at_the_first_active_one(fake: FakeGitHub) -> None:
    fake.state.add_org("globex", members=set())
    fake.state.add_org("initech", members={"alice"})
    orgs = ("globex", "initech", "acme")
    policy = Policy(identity=Identity(organizations=orgs), tokens=Tokens(warn_scopes=()))
    result = evaluate(policy, PUBLISH, facts(CLASSIC)).result("identity.organization")
    assert result is not None and result.status == "allowed" and result.value.startswith("initech")
    assert asked(fake) == [
        "GET /user",
        "GET /user/memberships/orgs/globex",
        "GET /user/memberships/orgs/initech",
    ]


# -- identity.token: app tokens and no token ---------------------------------------------------
BOTH = Policy(
    identity=Identity(email_domains=("acme.example",), organizations=("acme",)),
    tokens=Tokens(warn_scopes=()),
)


def test_an_app_token_is_refused_unless_the_policy_allows_app_tokens(fake: FakeGitHub) -> None:
    decision = evaluate(BOTH, PUBLISH, facts(APP))
    token = decision.result("identity.token")
    assert token is not None and token.status == "refused"
    assert token.value == "app installation token"
    assert "belongs to no user" in token.reason
    assert [r.status for r in fake.calls("GET", "/user")] == [403]
    assert asked(fake) == ["GET /user"]  # no emails or memberships asked for
    error = decision.refusal()
    assert error is not None and error.rule == "identity.token"

    allowing = Policy(
        identity=Identity(email_domains=("acme.example",), allow_app_tokens=True),
        tokens=Tokens(warn_scopes=()),
    )
    decision = evaluate(allowing, PUBLISH, facts(APP))
    assert decision.allowed
    email = decision.result("identity.email_domain")
    assert email is not None and email.status == "not-applicable"


def test_no_token_under_an_identity_policy_is_refused_before_any_request(
    fake: FakeGitHub,
) -> None:
    decision = evaluate(BOTH, Intent(command="publish", owner="acme", has_token=False), facts(None))
    token = decision.result("identity.token")
    assert token is not None and token.status == "refused" and token.value == "no token"
    assert "GH_TOKEN" in token.fix
    assert fake.requests == []


def test_a_local_scaffold_without_a_token_goes_ahead_only_where_allowed(
    fake: FakeGitHub,
) -> None:
    local = Intent(command="new", has_token=False)
    assert evaluate(BOTH, local, facts(None)).allowed
    strict = Policy(identity=BOTH.identity, tokens=BOTH.tokens, allow_local=False)
    decision = evaluate(strict, local, facts(None))
    error = decision.refusal()
    assert error is not None and error.rule == "identity.token"
    assert "allow_local" in error.message
    assert fake.requests == []


def test_a_rejected_token_is_a_github_error_not_a_refusal(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubAuthError):
        evaluate(BOTH, PUBLISH, facts("ghp_UNKNOWNtoken0123456789abcdefABCDEF0"))


# -- tokens.scopes ---------------------------------------------------------------------------
def test_risky_scopes_warn_by_default(fake: FakeGitHub) -> None:
    decision = evaluate(Policy(), PUBLISH, facts(RISKY))
    result = decision.result("tokens.scopes")
    assert result is not None and result.status == "warning"
    assert result.value == "delete_repo, admin:org"
    assert decision.allowed
    assert decision.warnings == [
        "access policy (tokens.scopes): the token has the risky scopes delete_repo, admin:org; "
        "use a fine-grained token, or a classic token without delete_repo, admin:org"
    ]
    assert asked(fake) == ["GET /user"]


def test_scopes_the_policy_refuses_are_refused(fake: FakeGitHub) -> None:
    policy = Policy(tokens=Tokens(refuse_scopes=("delete_repo",)))
    error = evaluate(policy, PUBLISH, facts(RISKY)).refusal()
    assert error is not None and error.rule == "tokens.scopes" and error.value == "delete_repo"
    assert error.exit_code == 6


def test_a_classic_token_without_risky_scopes_and_a_fine_grained_token_pass(
    fake: FakeGitHub,
) -> None:
    policy = Policy(tokens=Tokens(refuse_scopes=("delete_repo",)))
    classic = evaluate(policy, PUBLISH, facts(CLASSIC)).result("tokens.scopes")
    assert classic is not None and classic.status == "allowed"
    assert classic.value == "repo, user:email"
    fine = evaluate(policy, PUBLISH, facts(FINE)).result("tokens.scopes")
    assert fine is not None and fine.status == "allowed" and fine.value == "fine-grained token"
    assert fake.state.token_headers(f"token {FINE}") == {}


def test_a_classic_looking_token_without_the_scopes_header_warns(fake: FakeGitHub) -> None:
    # TOKEN has no kind in the fake: GitHub's answers to it carry no X-OAuth-Scopes.
    result = evaluate(Policy(), PUBLISH, facts(TOKEN)).result("tokens.scopes")
    assert result is not None and result.status == "warning"
    assert "X-OAuth-Scopes" in result.reason


# -- reading facts once, and only those the rules need ----------------------------------------
def test_a_policy_without_github_rules_sends_no_request(fake: FakeGitHub) -> None:
    policy = Policy(where=Where(owners=("acme",)), tokens=Tokens(warn_scopes=()))
    decision = evaluate(policy, PUBLISH, facts(CLASSIC))
    assert decision.allowed
    assert fake.requests == []


def test_each_fact_is_read_once_per_run(fake: FakeGitHub) -> None:
    policy = Policy(identity=BOTH.identity, where=Where(owners=("acme", "globex")))
    run = facts(RISKY)
    evaluate(policy, PUBLISH, run)
    evaluate(policy, PUBLISH, run)
    allowed_choices(policy, run)
    assert asked(fake) == [
        "GET /user",
        "GET /user/emails",
        "GET /user/memberships/orgs/acme",
        "GET /user/memberships/orgs/globex",
    ]
    assert run.to_json()["token"] == {
        "kind": "classic",
        "scopes": ["repo", "delete_repo", "admin:org", "user"],
        "login": "alice",
    }


def test_allowed_choices_offer_only_owners_the_user_can_create_under(fake: FakeGitHub) -> None:
    fake.state.add_org("globex", members=set())
    fake.state.add_org("initech", members=set())
    fake.state.add_membership("initech", "alice", state="pending")
    policy = Policy(
        where=Where(owners=("acme", "globex", "initech", "Alice"), visibilities=("private",))
    )
    choices = allowed_choices(policy, facts(CLASSIC))
    assert choices.owners == ("acme", "Alice")
    assert choices.visibilities == ("private",)
    unrestricted = allowed_choices(Policy(), facts(None))
    assert unrestricted.owners is None
    assert unrestricted.visibilities == ("public", "private", "internal")


def test_the_decision_never_carries_the_token(fake: FakeGitHub) -> None:
    run = facts(NO_EMAIL_SCOPE)
    decision = evaluate(BOTH, PUBLISH, run)
    text = json.dumps([decision.to_json(), run.to_json()]) + str(decision.refusal())
    assert NO_EMAIL_SCOPE not in text


def test_an_unreadable_membership_says_which_permission_to_give(fake: FakeGitHub) -> None:
    message = "Resource not accessible by personal access token"
    fake.fail("GET", "/user/memberships/orgs/acme", status=403, message=message)
    result = evaluate(ORGS, PUBLISH, facts(FINE)).result("identity.organization")
    assert result is not None and result.status == "refused"
    assert result.value == "acme (unreadable)"
    assert 'organisation permission "Members" (read)' in result.fix


def test_a_transient_failure_is_retried_within_the_clients_budget(fake: FakeGitHub) -> None:
    fake.fail("GET", "/user/emails", status=502)
    assert evaluate(EMAILS, PUBLISH, facts(CLASSIC)).allowed
    assert [r.status for r in fake.calls("GET", "/user/emails")] == [502, 200]


def test_the_fake_sends_a_classic_tokens_scopes_on_every_api_answer(fake: FakeGitHub) -> None:
    import requests

    for path, code in (("/user", 200), ("/user/emails", 200), ("/repos/acme/nothing", 404)):
        answer = requests.get(
            fake.api_url + path, headers={"Authorization": f"token {CLASSIC}"}, timeout=5
        )
        assert answer.status_code == code
        assert answer.headers["X-OAuth-Scopes"] == "repo, user:email", path
    fine = requests.get(
        fake.api_url + "/user", headers={"Authorization": f"token {FINE}"}, timeout=5
    )
    assert "X-OAuth-Scopes" not in fine.headers
    missing = requests.get(
        fake.api_url + "/user/emails",
        headers={"Authorization": f"token {NO_EMAIL_SCOPE}"},
        timeout=5,
    )
    assert missing.status_code == 404
    assert missing.headers["X-Accepted-OAuth-Scopes"] == "user, user:email"
