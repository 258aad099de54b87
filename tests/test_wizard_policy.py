"""The wizard under an access policy, driven in-process (as tests/test_wizard.py): the lifecycle
rules that need answers from several questions, and refusals before the first question.

The pseudo-terminal tests (owners, visibilities, templates, identity) are in
tests/test_wizard_policy_pty.py.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scaffolder.errors import ExitCode, PolicyRefusedError
from scaffolder.wizard import WizardOptions
from tests.test_wizard import DOWN, ENTER, NO_GITHUB, UP, Drive, drive, options, sink

__all__ = ["drive", "options", "sink"]  # fixtures, used here by name

#: Tests that end before any prompt keep the pipe open (`close=False`): closed at once, the
#: watchdog's close could race the pipe's own and fail in its thread.
GIVEN = {
    "name": "payments-api",
    "description": "Takes payments",
    "owner": "group:payments",
    "lifecycle": "production",
    "github_owner": "acme",
}


@pytest.fixture
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    def write(text: str) -> Path:
        path = tmp_path / "policy.toml"
        path.write_text("version = 1\n" + textwrap.dedent(text), encoding="utf-8")
        monkeypatch.setenv("SCAFFOLDER_POLICY", str(path))
        return path

    return write


def python_service(tmp_path: Path, **given: Any) -> WizardOptions:
    return WizardOptions(
        template="python-service",
        output=tmp_path / "payments-api",
        given={**GIVEN, **given},
        catalog=None,
        defaults_only=True,
    )


def test_an_owner_asked_before_the_lifecycle_is_asked_again_when_production_needs_a_group(
    drive: Drive, options: Any, policy: Any
) -> None:
    policy('[lifecycle.production]\nowner_kind = "group"\n')
    keys = [ENTER, "Takes payments" + ENTER, "user:jdoe" + ENTER]  # name, description, owner
    keys += [DOWN + ENTER]  # lifecycle: production
    keys += [ENTER] * 7  # system .. region
    keys += ["group:payments" + ENTER]  # the owner, asked again
    keys += [ENTER]  # Create it
    result = drive(keys, options(), discovery=NO_GITHUB)
    assert result.options.given["owner"] == "group:payments"
    assert result.options.given["lifecycle"] == "production"
    assert drive.prompter.asked.count("Backstage owner") == 2
    assert (
        "✗ owner: production needs a group owner, not a user (the access policy's rule "
        "lifecycle.production.owner_kind); please answer again"
    ) in drive.out


def test_review_mode_none_is_refused_when_production_needs_approvals(
    drive: Drive, tmp_path: Path, policy: Any
) -> None:
    policy("[lifecycle.production]\nmin_approvals = 2\n")
    keys = [UP + ENTER]  # review mode: team, not the given none
    result = drive(keys, python_service(tmp_path, review_mode="none"), discovery=NO_GITHUB)
    assert result.options.given["review_mode"] == "team"
    assert "✗ review_mode: the answer given ('none') is not valid: production components" in (
        drive.out
    )
    assert "lifecycle.production.min_approvals" in drive.out


def test_what_no_prompt_can_fix_is_refused_before_the_review(
    drive: Drive, tmp_path: Path, policy: Any
) -> None:
    # The baseline computes 2 approvals for production; nothing the wizard asks gives 3.
    policy("[lifecycle.production]\nmin_approvals = 3\n")
    with pytest.raises(PolicyRefusedError) as refused:
        drive([], python_service(tmp_path), discovery=NO_GITHUB, close=False)
    assert refused.value.rule == "lifecycle.production.min_approvals"
    assert refused.value.exit_code == ExitCode.POLICY
    assert "Review" not in drive.out


def test_a_template_the_policy_does_not_allow_is_refused_before_any_question(
    drive: Drive, options: Any, policy: Any, sink: Path
) -> None:
    policy('[templates]\nsources = ["acme-worker"]\n')
    with pytest.raises(PolicyRefusedError) as refused:
        try:
            drive([], options(), discovery=NO_GITHUB, close=False)
        except KeyboardInterrupt:  # the closed pipe: a question was asked
            pytest.fail(f"the wizard asked {drive.prompter.asked}")
    assert refused.value.rule == "templates.source"
    assert refused.value.value == str(sink)
    assert drive.prompter.asked == []


def test_an_owner_given_outside_the_policy_is_asked_again(
    drive: Drive, tmp_path: Path, policy: Any
) -> None:
    policy('[where]\nowners = ["acme"]\n')
    keys = ["acme" + ENTER]
    options = python_service(tmp_path, github_owner="bob", lifecycle="experimental")
    result = drive(keys, options, discovery=NO_GITHUB)
    assert result.options.given["github_owner"] == "acme"
    assert "repositories only under acme, not bob (rule where.owner)" in drive.out


def test_a_visibility_the_flags_settled_outside_the_policy_is_refused_before_asking(
    drive: Drive, tmp_path: Path, policy: Any
) -> None:
    policy('[where]\nvisibilities = ["private"]\n')
    options = replace(python_service(tmp_path), publish_now=True, private=False)  # --public
    with pytest.raises(PolicyRefusedError) as refused:
        try:
            drive([], options, discovery=NO_GITHUB, close=False)
        except KeyboardInterrupt:  # the closed pipe: a question was asked
            pytest.fail(f"the wizard asked {drive.prompter.asked}")
    assert (refused.value.rule, refused.value.value) == ("where.visibility", "public")
    assert drive.prompter.asked == []
