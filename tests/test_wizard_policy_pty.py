"""The wizard under an access policy, in a real pseudo-terminal (as tests/test_wizard_pty.py).

The policy is in force through `$SCAFFOLDER_POLICY`; GitHub is the fake over HTTP with its
identity routes (`start_fake(..., identity=True)`: `GET /user` with `X-OAuth-Scopes`, the
user's emails and organisation memberships). The wizard offers only what the policy allows, and
stops before the first question when the policy is broken or refuses who the token is.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
import yaml

from scaffolder.wizard.questions import NOT_ON_GITHUB
from tests import test_wizard_pty
from tests.conftest import STANDARD_ANSWERS
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import start_fake
from tests.helpers import make_template
from tests.source_helpers import metadata, write_config
from tests.test_wizard_pty import CLEAR, DOWN, ENTER, Spawn, finish

spawn = test_wizard_pty.spawn  # the fixture, used here by name

#: alice's classic token that may read her emails and memberships.
ALICE = "ghp_ALICEpolicy0123456789abcdefABCDEF012"
#: bob's: his only email is outside the policy's domain.
BOB = "ghp_BOBpolicy00123456789abcdefABCDEF0123"


@pytest.fixture
def fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    """alice (acme.example email) is in acme and beta; gamma exists, she is not in it."""
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, identity=True)
    state = fake.state
    state.add_token("alice", ALICE, scopes=("repo", "user:email", "read:org"))
    state.add_token("bob", BOB, scopes=("repo", "user:email", "read:org"))
    state.add_email("alice", "alice@acme.example", primary=True)
    state.add_email("bob", "bob@gmail.example", primary=True)
    state.add_email("bob", "bob@acme.example", verified=False)
    state.add_org("beta", members={"alice"})
    state.add_org("gamma", members=set())
    monkeypatch.setenv("GH_TOKEN", ALICE)
    yield fake
    fake.stop()
    assert not fake.violations


def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text("version = 1\n" + textwrap.dedent(text), encoding="utf-8")
    monkeypatch.setenv("SCAFFOLDER_POLICY", str(path))
    return path


def first_prompt(child: pexpect.spawn) -> tuple[int, str]:
    """The wizard's end before any question: the exit code and everything it printed."""
    index = child.expect([pexpect.EOF, "Template", "Component name"])
    printed = str(child.before)
    assert index == 0, f"the wizard asked a question: {printed}"
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1), printed


def test_the_picker_lists_only_the_templates_the_policy_allows(
    spawn: Spawn, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_template(tmp_path / "acme-worker", metadata("Acme worker", "0.9.0"))
    make_template(tmp_path / "acme-other", metadata("Acme other", "0.1.0"))
    write_config(
        isolated_env,
        f'[[template]]\npath = "{tmp_path / "acme-worker"}"\n\n'
        f'[[template]]\npath = "{tmp_path / "acme-other"}"\n',
    )
    policy(tmp_path, monkeypatch, '[templates]\nbuiltin = false\nsources = ["acme-worker"]\n')
    dst = tmp_path / "ledger"
    child = spawn("--output", dst, "--defaults", *STANDARD_ANSWERS)
    transcript: list[str] = []
    child.logfile_read = test_wizard_pty._Collect(transcript)
    # Three built-in templates and acme-other are hidden, and the picker says so.
    child.expect(r"Template \(4 hidden by the access policy\)")
    child.expect("acme-worker  Acme worker 0.9.0")
    child.send(ENTER)
    code, rest = finish(child)
    output = "".join(transcript) + rest
    assert code == 0, output
    for hidden in ("python-service", "go-service", "typescript-service", "acme-other"):
        assert hidden not in output
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert answers["name"] == "ledger"


def test_owners_are_only_the_allowed_ones_and_a_single_visibility_is_not_asked(
    spawn: Spawn, tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(
        tmp_path,
        monkeypatch,
        """\
        [identity]
        email_domains = ["acme.example"]
        organizations = ["acme"]
        [where]
        owners = ["acme", "gamma"]
        visibilities = ["private"]
        """,
    )
    dst = tmp_path / "ledger"
    child = spawn("python-service", "--output", dst, "--set", "owner=group:finance")
    transcript: list[str] = []
    child.logfile_read = test_wizard_pty._Collect(transcript)
    for prompt in ("Component name", "One line", "Lifecycle stage", "Backstage system", "Lowest"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("GitHub user or organisation")
    child.expect(re.escape(NOT_ON_GITHUB))
    listed = str(child.before)
    # alice's own login and beta are not allowed; gamma is, but she is not a member of it.
    assert "acme" in listed
    for hidden in ("alice", "beta", "gamma"):
        assert hidden not in listed, listed
    child.send(ENTER)  # acme, the first
    for prompt in ("vulnerability reports", "Licence", "Copyright holder", "CODEOWNERS"):
        child.expect(prompt)
        child.send(ENTER)
    for prompt in ("Web host", "GitHub Code Security", "Reviews required", "bypass"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("Visibility of acme/ledger: private, the only one the access policy allows")
    child.expect("Publish it now")
    child.send("n")
    child.expect("visibility +private; not yet")
    child.expect("Next step")
    child.send(ENTER)
    code, rest = finish(child)
    output = "".join(transcript) + rest
    assert code == 0, output
    assert "Visibility of acme/ledger on GitHub" not in output  # not asked
    answers = yaml.safe_load((dst / ".copier-answers.baseline.yml").read_text())
    assert answers["github_owner"] == "acme"


def test_a_typed_owner_outside_the_policy_is_refused_at_the_prompt(
    spawn: Spawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(tmp_path, monkeypatch, '[where]\nowners = ["acme"]\n')  # no token: the owner is typed
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst, "--set", "owner=user:jdoe")
    for prompt in ("Component name", "One line", "Lifecycle stage", "Backstage system", "Lowest"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("GitHub user or organisation")
    child.send("bob" + ENTER)
    child.expect("only under acme, not bob")  # the question stays open
    child.send(CLEAR + "acme" + ENTER)
    for prompt in ("vulnerability reports", "Licence", "Copyright holder", "CODEOWNERS"):
        child.expect(prompt)
        child.send(ENTER)
    for prompt in ("Web host", "GitHub Code Security", "Reviews required", "bypass"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("Next step")
    child.send(ENTER)
    code, output = finish(child)
    assert code == 0, output
    answers = yaml.safe_load((dst / ".copier-answers.baseline.yml").read_text())
    assert answers["github_owner"] == "acme"


def test_production_requires_a_system_and_a_security_contact(
    spawn: Spawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(
        tmp_path,
        monkeypatch,
        '[lifecycle.production]\nrequire = ["system", "security_contact"]\n',
    )
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst, "--set", "owner=user:jdoe")
    transcript: list[str] = []
    child.logfile_read = test_wizard_pty._Collect(transcript)
    for prompt in ("Component name", "One line"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("Lifecycle stage")
    child.send(DOWN + ENTER)  # production
    child.expect("Backstage system")
    child.send(ENTER)  # empty: refused, with the policy as the reason
    child.expect(re.escape("the access policy (lifecycle.production.require) needs system"))
    child.send(CLEAR + "payments" + ENTER)
    for prompt in ("Lowest", "GitHub user or organisation"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("vulnerability reports")
    child.send(ENTER)
    child.expect("needs security_contact")
    child.send(CLEAR + "security@acme.example" + ENTER)
    for prompt in ("Licence", "Copyright holder", "CODEOWNERS"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("Next step")
    child.send(ENTER)
    code, rest = finish(child)
    output = "".join(transcript) + rest
    assert code == 0, output
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    baseline = yaml.safe_load((dst / ".copier-answers.baseline.yml").read_text())
    assert (answers["lifecycle"], answers["system"]) == ("production", "payments")
    assert baseline["security_contact"] == "security@acme.example"


def test_a_refused_identity_ends_the_wizard_before_the_first_question(
    spawn: Spawn, tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(tmp_path, monkeypatch, '[identity]\nemail_domains = ["acme.example"]\n')
    monkeypatch.setenv("GH_TOKEN", BOB)
    dst = tmp_path / "svc"
    code, output = first_prompt(spawn("--output", dst))
    assert code == 6, output
    assert "refused by the access policy (identity.email_domain)" in output
    assert "bob@gmail.example (verified)" in output  # the emails found
    assert "verify bob@acme.example" in output  # what to do
    assert "New service" not in output
    assert not dst.exists()
    assert BOB not in output


def test_no_token_under_a_policy_without_local_scaffolds_stops_before_asking(
    spawn: Spawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy(tmp_path, monkeypatch, "[local]\nallowed = false\n")
    code, output = first_prompt(spawn("--output", tmp_path / "svc"))
    assert code == 6, output
    assert "refused by the access policy (identity.token)" in output
    assert "allow_local is false" in output
    assert "export GH_TOKEN" in output


def test_a_broken_policy_stops_the_wizard_before_any_question(
    spawn: Spawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = policy(tmp_path, monkeypatch, '[where]\nvisibilities = ["secret"]\n')
    code, output = first_prompt(spawn("--output", tmp_path / "svc"))
    assert code == 2, output
    assert f"access policy {path}:3" in output
    assert "'secret' is not one of" in output


def test_an_owner_whose_membership_cannot_be_read_is_named_before_the_questions(
    spawn: Spawn, tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """beta is allowed and alice is in it, but GitHub will not say so to this token: the
    wizard does not offer it, and says why, rather than letting it vanish from the list."""
    policy(tmp_path, monkeypatch, '[where]\nowners = ["acme", "beta"]\n')
    message = "Resource not accessible by personal access token"
    fake.fail("GET", "/user/memberships/orgs/beta", status=403, message=message, times=5)
    child = spawn("python-service", "--output", tmp_path / "ledger")
    child.expect("Checking the access policy")
    child.expect(re.escape("warning: beta is not offered as an owner: your membership of it"))
    child.expect("read:org scope")
    child.expect("Component name")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
