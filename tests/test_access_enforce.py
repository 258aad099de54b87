"""The access policy enforced by `new` and `publish` (issue 16), through the real CLI.

The fake GitHub serves the identity routes (`GET /user` with `X-OAuth-Scopes`, `/user/emails`,
`/user/memberships/orgs/{org}`) and the contents API (a `github:` policy) over real HTTP; copier
and git are real. Each refusal is checked for what it leaves behind: no destination, no request
that writes, no journal, no catalog entry.
"""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ANSWERS, CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake
from tests.helpers import make_template
from tests.source_helpers import metadata, write_config

Run = Callable[[Sequence[str]], CliResult]

CLASSIC = "ghp_ENFORCEclassic0123456789abcdefABCDEF0"
RISKY = "ghp_ENFORCErisky0123456789abcdefABCDEF012"
GMAIL_ONLY = "ghp_ENFORCEbobtoken0123456789abcdefABCDE"

ACME = """\
version = 1

[identity]
email_domains = ["acme.example"]
organizations = ["acme"]

[where]
owners = ["acme"]
visibilities = ["private"]
"""
TASK = '_tasks:\n  - "touch task-ran"\n'


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, identity=True)
    state = fake.state
    state.add_token("alice", CLASSIC, scopes=("repo", "user:email", "read:org"))
    state.add_token("alice", RISKY, scopes=("repo", "user:email", "delete_repo"))
    state.add_token("bob", GMAIL_ONLY, scopes=("repo", "user:email"))
    state.add_email("alice", "alice@acme.example", primary=True)
    state.add_email("bob", "bob@gmail.example", primary=True)
    state.add_email("bob", "bob@acme.example", verified=False)
    monkeypatch.setenv("GH_TOKEN", CLASSIC)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def policy(tmp_path: Path, text: str = ACME, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def new(run_cli: Run, dst: Path, *extra: str | Path, template: str = "python-service") -> CliResult:
    return run_cli(["new", template, "--output", dst, *STANDARD_ANSWERS, "--no-input", *extra])


def journals(home: Path) -> list[Path]:
    runs = home / ".local" / "state" / "scaffolder" / "runs"
    return sorted(runs.glob("*.json")) if runs.is_dir() else []


def assert_nothing_written(fake: FakeGitHub | None, home: Path, dst: Path) -> None:
    assert not dst.exists()
    assert journals(home) == []
    assert not (home / "catalog.yaml").exists()
    if fake is not None:
        assert fake.writes() == []
        assert fake.state.repos == {}


def steps(result: CliResult) -> list[str]:
    return [s["name"] for s in result.json()["result"]["steps"]]


def refusal(result: CliResult) -> dict[str, str]:
    assert result.code == 6, result.stdout + result.stderr
    error = result.json()["error"]
    assert error["code"] == "policy-refused"
    return error


# -- new --publish: who, where ----------------------------------------------------------------
def test_new_publish_allowed_by_the_policy_asks_who_the_token_is_once(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path
) -> None:
    dst = tmp_path / "payments-api"
    result = new(
        run_cli, dst, "--publish", "--github-owner", "acme", "--policy", policy(tmp_path), "--json"
    )
    assert result.code == 0, result.stderr
    names = steps(result)
    assert names[:3] == ["identity", "resolve", "access"]
    assert names.index("access") < names.index("render") < names.index("repository")
    assert ("acme", "payments-api") in fake.state.repos
    # identity's GET /user is the one the rules read.
    assert len(fake.calls("GET", "/user")) == 1
    assert [r.path for r in fake.calls("GET", "/user/emails")] == ["/user/emails"]


def test_new_publish_under_an_owner_the_policy_does_not_allow_is_refused_before_any_write(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, isolated_env: Path
) -> None:
    dst = tmp_path / "payments-api"
    args = ["--publish", "--github-owner", "alice", "--policy", policy(tmp_path)]
    result = new(run_cli, dst, *args, "--json")
    error = refusal(result)
    assert error["rule"] == "where.owner"
    assert error["value"] == "alice"
    assert error["hint"] == "use an organisation-owned repository: --github-owner acme"
    assert_nothing_written(fake, isolated_env, dst)

    text = new(run_cli, dst, *args)
    assert text.code == 6
    assert (
        "error: refused by the access policy (where.owner): repositories may be created only "
        "under acme, not alice\n  hint: use an organisation-owned repository: --github-owner acme"
    ) in text.stderr
    assert "Traceback" not in text.stderr
    assert_nothing_written(fake, isolated_env, dst)


def test_new_publish_public_is_refused_where_the_policy_says_private(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, isolated_env: Path
) -> None:
    dst = tmp_path / "payments-api"
    result = new(
        run_cli,
        dst,
        *("--publish", "--github-owner", "acme", "--public", "--policy", policy(tmp_path)),
        "--json",
    )
    error = refusal(result)
    assert (error["rule"], error["value"]) == ("where.visibility", "public")
    assert error["hint"] == "use --private"
    assert_nothing_written(fake, isolated_env, dst)


def test_a_user_without_a_verified_email_in_the_domain_is_refused_listing_the_emails(
    run_cli: Run,
    fake: FakeGitHub,
    tmp_path: Path,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GH_TOKEN", GMAIL_ONLY)
    dst = tmp_path / "svc"
    result = new(run_cli, dst, "--policy", policy(tmp_path), "--json")
    error = refusal(result)
    assert error["rule"] == "identity.email_domain"
    assert "bob@gmail.example (verified)" in error["message"]
    assert "bob@acme.example (not verified)" in error["message"]
    assert "verify bob@acme.example" in error["hint"]
    assert_nothing_written(fake, isolated_env, dst)
    assert GMAIL_ONLY not in result.stdout + result.stderr


def test_lifecycle_rules_read_the_resolved_answers(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, isolated_env: Path
) -> None:
    rules = policy(
        tmp_path,
        """\
        version = 1
        [lifecycle.production]
        require = ["system", "security_contact"]
        """,
    )
    dst = tmp_path / "svc"
    refused = new(run_cli, dst, "--set", "lifecycle=production", "--policy", rules, "--json")
    error = refusal(refused)
    assert error["rule"] == "lifecycle.production.require"
    assert error["value"] == "system, security_contact"
    assert "--set system=... --set security_contact=..." in error["hint"]
    assert_nothing_written(fake, isolated_env, dst)

    answered = new(
        run_cli,
        dst,
        *("--set", "lifecycle=production", "--set", "system=payments"),
        *("--set", "security_contact=security@acme.example", "--policy", rules, "--json"),
    )
    assert answered.code == 0, answered.stderr
    # The experimental default is not production: the rule does not apply.
    assert new(run_cli, tmp_path / "exp", "--policy", rules).code == 0


def test_a_risky_scope_is_a_warning_in_text_and_json(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", RISKY)
    rules = policy(tmp_path)
    result = new(run_cli, tmp_path / "a", "--policy", rules, "--json")
    assert result.code == 0, result.stderr
    (warning,) = [w for w in result.json()["warnings"] if "tokens.scopes" in w]
    assert "the token has the risky scope delete_repo" in warning
    text = new(run_cli, tmp_path / "b", "--policy", rules)
    assert text.code == 0
    assert f"warning: {warning}" in text.stderr

    refusing = policy(tmp_path, ACME + '\n[tokens]\nrefuse_scopes = ["delete_repo"]\n', "r.toml")
    error = refusal(new(run_cli, tmp_path / "c", "--policy", refusing, "--json"))
    assert (error["rule"], error["value"]) == ("tokens.scopes", "delete_repo")
    assert not (tmp_path / "c").exists()


# -- local scaffolds without a token ------------------------------------------------------------
def test_a_local_scaffold_without_a_token_goes_ahead_only_where_the_policy_allows_it(
    run_cli: Run, tmp_path: Path, isolated_env: Path
) -> None:
    # No fake GitHub and no token (the isolated environment has none): nothing can be asked.
    allowed = new(run_cli, tmp_path / "ok", "--policy", policy(tmp_path), "--json")
    assert allowed.code == 0, allowed.stderr
    assert steps(allowed)[:2] == ["resolve", "access"]
    assert any(
        "no GitHub token, so the identity rules were not checked" in w
        for w in allowed.json()["warnings"]
    )

    strict = policy(tmp_path, ACME + "\n[local]\nallowed = false\n", "strict.toml")
    dst = tmp_path / "refused"
    catalog = isolated_env / "catalog.yaml"
    catalog.unlink()
    error = refusal(new(run_cli, dst, "--policy", strict, "--json"))
    assert (error["rule"], error["value"]) == ("identity.token", "no token")
    assert "allow_local is false" in error["message"]
    assert "GH_TOKEN" in error["hint"]
    assert_nothing_written(None, isolated_env, dst)


def test_without_a_policy_new_runs_as_before(run_cli: Run, tmp_path: Path) -> None:
    result = new(run_cli, tmp_path / "svc", "--json")
    assert result.code == 0, result.stderr
    assert steps(result) == ["resolve", "render", "commit", "register"]


# -- templates ----------------------------------------------------------------------------------
def test_a_source_the_configuration_trusts_is_refused_when_the_policy_does_not_list_it(
    run_cli: Run, tmp_path: Path, isolated_env: Path
) -> None:
    folder = make_template(tmp_path / "with-tasks", metadata("Tasks", "1.0.0") + TASK)
    write_config(isolated_env, f'[[template]]\npath = "{folder}"\n')
    assert new(run_cli, tmp_path / "no-policy", template="with-tasks").code == 0
    assert (tmp_path / "no-policy" / "task-ran").is_file()

    other = policy(
        tmp_path, 'version = 1\n[templates]\nsources = ["/srv/acme-templates"]\n', "p.toml"
    )
    dst = tmp_path / "refused"
    result = new(run_cli, dst, "--policy", other, "--json", template="with-tasks")
    error = refusal(result)
    assert (error["rule"], error["value"]) == ("templates.source", "with-tasks")
    assert "the policy allows /srv/acme-templates" in error["message"]
    assert not dst.exists()
    # --trust does not help where the policy does not permit it.
    again = new(run_cli, dst, "--trust", "--policy", other, "--json", template="with-tasks")
    assert refusal(again)["rule"] == "templates.source"
    assert not dst.exists()


def test_a_source_the_policy_lists_is_trusted_without_the_configuration(
    run_cli: Run, tmp_path: Path
) -> None:
    folder = make_template(tmp_path / "templates" / "with-tasks", metadata("T", "1.0.0") + TASK)
    assert new(run_cli, tmp_path / "untrusted", template=str(folder)).code == 4
    listed = policy(
        tmp_path, f'version = 1\n[templates]\nsources = ["{tmp_path / "templates"}"]\n', "p.toml"
    )
    result = new(run_cli, tmp_path / "trusted", "--policy", listed, template=str(folder))
    assert result.code == 0, result.stderr
    assert (tmp_path / "trusted" / "task-ran").is_file()


def test_trust_counts_only_where_the_policy_permits_it(run_cli: Run, tmp_path: Path) -> None:
    folder = make_template(tmp_path / "elsewhere", metadata("T", "1.0.0") + TASK)
    body = 'version = 1\n[templates]\nsources = ["/srv/acme-templates"]\nallow_trust = {}\n'
    strict = policy(tmp_path, body.format("false"), "strict.toml")
    lenient = policy(tmp_path, body.format("true"), "lenient.toml")

    refused = new(run_cli, tmp_path / "a", "--policy", lenient, "--json", template=str(folder))
    assert "pass --trust if you trust it" in refusal(refused)["hint"]
    refused = new(
        run_cli, tmp_path / "a", "--trust", "--policy", strict, "--json", template=str(folder)
    )
    assert refusal(refused)["rule"] == "templates.source"
    assert not (tmp_path / "a").exists()

    allowed = new(
        run_cli, tmp_path / "b", "--trust", "--policy", lenient, "--json", template=str(folder)
    )
    assert allowed.code == 0, allowed.stderr
    assert (tmp_path / "b" / "task-ran").is_file()
    assert any("used because of --trust" in w for w in allowed.json()["warnings"])


def test_the_builtin_templates_refused_by_the_policy(run_cli: Run, tmp_path: Path) -> None:
    rules = policy(tmp_path, "version = 1\n[templates]\nbuiltin = false\n")
    error = refusal(new(run_cli, tmp_path / "svc", "--policy", rules, "--json"))
    assert (error["rule"], error["value"]) == ("templates.source", "python-service")
    assert not (tmp_path / "svc").exists()


# -- broken and remote policies -----------------------------------------------------------------
def test_a_broken_policy_stops_new_and_publish_with_its_line(
    run_cli: Run, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = policy(tmp_path, 'version = 1\n[where]\nowner = ["acme"]\n')
    dst = tmp_path / "svc"
    result = new(run_cli, dst, "--policy", broken, "--json")
    assert result.code == 2
    assert f"{broken}:3" in result.json()["error"]["message"]
    assert_nothing_written(None, isolated_env, dst)

    monkeypatch.setenv("SCAFFOLDER_POLICY", str(broken))
    assert new(run_cli, dst).code == 2
    assert not dst.exists()
    published = run_cli(["publish", tmp_path / "anything", "--json"])
    assert published.code == 2
    assert published.json()["error"]["code"] == "policy-file"


def test_a_github_policy_through_the_contents_api_is_enforced(
    run_cli: Run,
    fake: FakeGitHub,
    tmp_path: Path,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.seed("acme", "platform", {"policy.toml": 'version = 1\n[where]\nowners = ["acme"]\n'})
    monkeypatch.setenv("SCAFFOLDER_POLICY", "github:acme/platform/policy.toml")
    since = len(fake.writes())
    dst = tmp_path / "svc"
    error = refusal(new(run_cli, dst, "--publish", "--github-owner", "alice", "--json"))
    assert error["rule"] == "where.owner"
    assert not dst.exists()
    assert fake.writes()[since:] == []
    assert journals(isolated_env) == []

    missing = "github:acme/platform/nowhere.toml"
    gone = new(run_cli, dst, "--policy", missing, "--json")
    assert gone.code == 6
    assert gone.json()["error"]["code"] == "policy-unavailable"
    assert not dst.exists()


# -- publish ------------------------------------------------------------------------------------
def publish(run_cli: Run, project: Path, *extra: str | Path) -> CliResult:
    return run_cli(["publish", project, "--github-owner", "acme", "--no-register", *extra])


def _local_project(run_cli: Run, tmp_path: Path) -> Path:
    dst = tmp_path / "payments-api"
    assert new(run_cli, dst, "--no-register").code == 0
    return dst


def test_publish_checks_the_policy_after_identity_and_before_the_repository(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path
) -> None:
    project = _local_project(run_cli, tmp_path)
    before = len(fake.calls("GET", "/user"))
    result = publish(run_cli, project, "--policy", policy(tmp_path), "--json")
    assert result.code == 0, result.stderr
    assert steps(result)[:3] == ["identity", "access", "scan"]
    assert ("acme", "payments-api") in fake.state.repos
    assert len(fake.calls("GET", "/user")) == before + 1


def test_publish_refused_writes_nothing_on_github_nor_a_journal(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, isolated_env: Path
) -> None:
    project = _local_project(run_cli, tmp_path)
    result = publish(run_cli, project, "--public", "--policy", policy(tmp_path), "--json")
    error = refusal(result)
    assert error["rule"] == "where.visibility"
    assert fake.writes() == []
    assert fake.state.repos == {}
    assert journals(isolated_env) == []
    text = publish(run_cli, project, "--public", "--policy", policy(tmp_path))
    assert text.code == 6
    assert "refused by the access policy (where.visibility)" in text.stderr
    assert "hint: use --private" in text.stderr


def test_a_resume_is_checked_again_under_the_policy_the_run_was_started_with(
    run_cli: Run, fake: FakeGitHub, tmp_path: Path, isolated_env: Path
) -> None:
    rules = policy(tmp_path)
    dst = tmp_path / "payments-api"
    fake.fail("POST", "/repos/acme/payments-api/rulesets", status=422, times=10)
    first = new(run_cli, dst, "--publish", "--github-owner", "acme", "--policy", rules, "--json")
    assert first.code == 3, first.stderr
    hint = first.json()["error"]["resume"]
    assert hint.endswith(f" --policy {rules}")
    fake.faults.clear()

    # The platform team moves the owner: the resume (no --policy given) reads the recorded one.
    rules.write_text(ACME.replace('owners = ["acme"]', 'owners = ["acme-new"]'), encoding="utf-8")
    since = len(fake.writes())
    refused = run_cli(["resume", dst, "--json"])
    error = refusal(refused)
    assert (error["rule"], error["value"]) == ("where.owner", "acme")
    assert fake.writes()[since:] == []
    assert journals(isolated_env) != []  # the earlier run's work stays resumable
    again = run_cli([*shlex.split(hint)[1:], "--json"])
    assert refusal(again)["rule"] == "where.owner"
    assert fake.writes()[since:] == []

    rules.write_text(ACME, encoding="utf-8")
    finished = run_cli(["resume", dst, "--json"])
    assert finished.code == 0, finished.stderr
    assert len(fake.state.repos[("acme", "payments-api")].rulesets) == 1


# -- GitHub cannot say who the token is -------------------------------------------------------
def test_an_identity_that_cannot_be_verified_is_a_refusal(
    run_cli: Run, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token, but nothing answers at the API URL (a closed port on loopback): the policy asks
    # who the user is, and "cannot tell" is not "allowed".
    monkeypatch.setenv("GH_TOKEN", CLASSIC)
    monkeypatch.setenv("SCAFFOLDER_GITHUB_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("SCAFFOLDER_GITHUB_BACKOFF_SCALE", "0.001")
    dst = tmp_path / "refused"
    (isolated_env / "catalog.yaml").unlink(missing_ok=True)
    error = refusal(new(run_cli, dst, "--policy", policy(tmp_path), "--json"))
    assert error["rule"] == "identity.verify"
    assert "identity cannot be verified" in error["message"]
    assert CLASSIC not in str(error)
    assert_nothing_written(None, isolated_env, dst)


def test_scopes_left_unchecked_offline_are_a_warning_for_a_local_scaffold(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A policy without identity rules: only the default risky-scope warning needs GitHub.
    monkeypatch.setenv("GH_TOKEN", CLASSIC)
    monkeypatch.setenv("SCAFFOLDER_GITHUB_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("SCAFFOLDER_GITHUB_BACKOFF_SCALE", "0.001")
    where_only = policy(tmp_path, 'version = 1\n\n[where]\nowners = ["acme"]\n', "where.toml")
    result = new(run_cli, tmp_path / "ok", "--policy", where_only, "--json")
    assert result.code == 0, result.stdout + result.stderr
    assert any("scopes were not checked" in w for w in result.json()["warnings"])
