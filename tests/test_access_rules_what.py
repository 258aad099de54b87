"""The access policy's where, what and lifecycle rules, and the Decision's contract.

These rules need nothing from GitHub: the fake GitHub runs anyway, and every test checks that
it received no request.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffolder.access.identity import Facts
from scaffolder.access.model import LifecycleRule, Policy, Templates, Tokens, Where
from scaffolder.access.rules import Intent, allowed_choices, evaluate
from scaffolder.github import GitHubSettings, connect
from scaffolder.render.registry import TemplateInfo
from scaffolder.render.sources import allows_unsafe
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake

QUIET = Tokens(warn_scopes=())


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, identity=True)
    yield fake
    fake.stop()
    assert fake.requests == [], "these rules must not ask GitHub anything"


@pytest.fixture
def facts(fake: FakeGitHub) -> Facts:
    return Facts.for_client(connect(GitHubSettings.from_env(env=dict(os.environ))))


def status(policy: Policy, intent: Intent, facts: Facts, rule: str) -> tuple[str, str, str]:
    result = evaluate(policy, intent, facts).result(rule)
    assert result is not None, rule
    return result.status, result.value, result.fix


# -- where -----------------------------------------------------------------------------------
def test_owner_only_under_the_listed_organisation(facts: Facts) -> None:
    policy = Policy(where=Where(owners=("acme",)), tokens=QUIET)
    assert status(policy, Intent("publish", owner="ACME"), facts, "where.owner")[0] == "allowed"
    state, value, fix = status(policy, Intent("publish", owner="alice"), facts, "where.owner")
    assert (state, value) == ("refused", "alice")
    assert fix == "use an organisation-owned repository: --github-owner acme"
    local = status(policy, Intent("new"), facts, "where.owner")
    assert local[0] == "not-applicable"


def test_visibility_never_public(facts: Facts) -> None:
    policy = Policy(where=Where(visibilities=("private", "internal")), tokens=QUIET)
    intent = Intent("publish", owner="acme", visibility="public")
    decision = evaluate(policy, intent, facts)
    error = decision.refusal()
    assert error is not None and error.rule == "where.visibility" and error.value == "public"
    assert error.hint == "use --private"
    ok = Intent("publish", owner="acme", visibility="internal")
    assert status(policy, ok, facts, "where.visibility")[0] == "allowed"


# -- what: template sources ------------------------------------------------------------------
def test_built_in_templates_are_allowed_unless_the_policy_says_otherwise(facts: Facts) -> None:
    builtin = Intent("new", template="python-service", template_source="/x", builtin=True)
    assert status(Policy(tokens=QUIET), builtin, facts, "templates.source")[0] == "allowed"
    policy = Policy(
        templates=Templates(builtin=False, sources=("gh:acme/templates",)), tokens=QUIET
    )
    state, value, fix = status(policy, builtin, facts, "templates.source")
    assert (state, value) == ("refused", "python-service")
    assert "gh:acme/templates" in fix


def test_a_listed_git_source_matches_in_any_of_copiers_forms(facts: Facts) -> None:
    policy = Policy(templates=Templates(sources=("gh:acme/service-template",)), tokens=QUIET)
    for form in (
        "https://github.com/acme/service-template.git",
        "git+https://github.com/acme/service-template.git",
        "gh:acme/service-template",
    ):
        intent = Intent("new", template="svc", template_source=form)
        assert status(policy, intent, facts, "templates.source")[0] == "allowed", form
    other = Intent("new", template="svc", template_source="gh:evil/service-template")
    assert status(policy, other, facts, "templates.source")[0] == "refused"


def test_a_folder_inside_a_listed_folder_is_allowed(facts: Facts, tmp_path: Path) -> None:
    (tmp_path / "templates" / "svc").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    policy = Policy(templates=Templates(sources=(str(tmp_path / "templates"),)), tokens=QUIET)
    inside = Intent("new", template="svc", template_source=str(tmp_path / "templates" / "svc"))
    assert status(policy, inside, facts, "templates.source")[0] == "allowed"
    outside = Intent("new", template="x", template_source=str(tmp_path / "elsewhere"))
    assert status(policy, outside, facts, "templates.source")[0] == "refused"


def test_a_configured_template_is_listed_by_its_name(facts: Facts) -> None:
    policy = Policy(templates=Templates(sources=("payments-service",)), tokens=QUIET)
    configured = Intent(
        "new", template="payments-service", template_source="/srv/t", configured=True
    )
    assert status(policy, configured, facts, "templates.source")[0] == "allowed"
    # The same name on an ad-hoc folder is not the configured template.
    adhoc = Intent("new", template="payments-service", template_source="/tmp/payments-service")
    assert status(policy, adhoc, facts, "templates.source")[0] == "refused"


def test_the_policy_wins_over_the_trust_the_configuration_gives(
    facts: Facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "copier.yml").write_text("_min_copier_version: '9'\n")
    config = tmp_path / "config.toml"
    config.write_text(f'[[template]]\npath = "{folder}"\n')
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(config))
    info = TemplateInfo(name="adhoc", source=str(folder), builtin=False)
    assert allows_unsafe(info, trust=False)  # the configuration trusts it...
    policy = Policy(templates=Templates(sources=("gh:acme/service-template",)), tokens=QUIET)
    intent = Intent("new", template="ours", template_source=str(folder), configured=True)
    error = evaluate(policy, intent, facts).refusal()
    assert error is not None and error.rule == "templates.source"  # ...the policy does not


def test_trust_only_where_the_policy_permits_it(facts: Facts) -> None:
    intent = Intent("new", template="x", template_source="gh:someone/x", trust=True)
    strict = Policy(templates=Templates(sources=("gh:acme/t",)), tokens=QUIET)
    state, _, fix = status(strict, intent, facts, "templates.source")
    assert state == "refused" and "ask the platform team to list it" in fix
    lenient = Policy(templates=Templates(sources=("gh:acme/t",), allow_trust=True), tokens=QUIET)
    decision = evaluate(lenient, intent, facts)
    assert decision.allowed
    assert decision.warnings and "--trust" in decision.warnings[0]
    without = Intent("new", template="x", template_source="gh:someone/x")
    state, _, fix = status(lenient, without, facts, "templates.source")
    assert state == "refused" and fix.startswith("pass --trust if you trust it")


def test_the_wizard_offers_only_allowed_templates(facts: Facts) -> None:
    policy = Policy(templates=Templates(builtin=False, sources=("gh:acme/svc",)))
    choices = allowed_choices(policy, facts)
    builtin = TemplateInfo(name="python-service", source="/t/python-service", builtin=True)
    listed = TemplateInfo(name="svc", source="https://github.com/acme/svc.git", builtin=False)
    other = TemplateInfo(name="other", source="gh:x/other", builtin=False)
    assert [choices.template_allowed(t) for t in (builtin, listed, other)] == [False, True, False]
    assert choices.owners is None


# -- lifecycle --------------------------------------------------------------------------------
PRODUCTION = Policy(
    lifecycles=(
        LifecycleRule(
            "production",
            owner_kind="group",
            require=("system", "security_contact"),
            min_approvals=2,
        ),
    ),
    tokens=QUIET,
)
GOOD = {
    "lifecycle": "production",
    "owner": "group:default/payments",
    "system": "payments",
    "security_contact": "security@acme.example",
    "required_approvals": 2,
}


def test_production_with_everything_it_needs_passes(facts: Facts) -> None:
    decision = evaluate(PRODUCTION, Intent("new", answers=GOOD), facts)
    assert decision.allowed
    rules = [r.rule for r in decision.results if r.rule.startswith("lifecycle.")]
    assert rules == [
        "lifecycle.production.owner_kind",
        "lifecycle.production.require",
        "lifecycle.production.min_approvals",
    ]


@pytest.mark.parametrize(
    ("change", "rule", "value", "fix"),
    [
        ({"owner": "user:jdoe"}, "owner_kind", "user:jdoe", "group reference"),
        ({"owner": "payments"}, None, None, None),  # a bare name is a group, as in Backstage
        ({"system": "", "security_contact": " "}, "require", "system, security_contact", "--set"),
        ({"required_approvals": 1}, "min_approvals", "1", "at least 2"),
    ],
)
def test_production_needs_a_group_owner_answers_and_approvals(
    facts: Facts, change: dict[str, object], rule: str | None, value: str | None, fix: str | None
) -> None:
    error = evaluate(PRODUCTION, Intent("new", answers={**GOOD, **change}), facts).refusal()
    if rule is None:
        assert error is None
        return
    assert error is not None and error.rule == f"lifecycle.production.{rule}"
    assert error.value == value and fix is not None and fix in str(error.hint)


def test_lifecycle_rules_do_not_apply_to_other_stages(facts: Facts) -> None:
    answers = {**GOOD, "lifecycle": "experimental", "owner": "user:jdoe"}
    decision = evaluate(PRODUCTION, Intent("new", answers=answers), facts)
    assert decision.allowed
    assert {r.status for r in decision.results if r.rule.startswith("lifecycle.")} == {
        "not-applicable"
    }


# -- the contract ---------------------------------------------------------------------------
def test_decision_json_shape(facts: Facts) -> None:
    policy = Policy(where=Where(owners=("acme",)), tokens=QUIET)
    payload = evaluate(policy, Intent("publish", owner="bob", visibility="private"), facts)
    data = payload.to_json()
    assert data["allowed"] is False
    rules = data["rules"]
    assert isinstance(rules, list)
    assert [r["rule"] for r in rules] == [
        "identity.token",
        "identity.email_domain",
        "identity.organization",
        "where.owner",
        "where.visibility",
        "templates.source",
        "tokens.scopes",
    ]
    assert rules[3] == {
        "rule": "where.owner",
        "status": "refused",
        "value": "bob",
        "reason": "repositories may be created only under acme, not bob",
        "fix": "use an organisation-owned repository: --github-owner acme",
    }
    error = payload.refusal()
    assert error is not None
    assert error.to_json() == {
        "code": "policy-refused",
        "message": "refused by the access policy (where.owner): repositories may be created "
        "only under acme, not bob",
        "hint": "use an organisation-owned repository: --github-owner acme",
        "rule": "where.owner",
        "value": "bob",
    }


def test_git_sources_match_a_listed_bare_repository_on_disk(facts: Facts, tmp_path: Path) -> None:
    bare = tmp_path / "templates.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    policy = Policy(templates=Templates(sources=(bare.as_uri(),)), tokens=QUIET)
    for form in (str(bare), f"git+{bare.as_uri()}", bare.as_uri()):
        intent = Intent("new", template="t", template_source=form)
        assert status(policy, intent, facts, "templates.source")[0] == "allowed", form
