"""Owners and CODEOWNERS when nothing is asked: the owner is given, a group maps to a team.

Driven through the real CLI (`--no-input`): no login becomes an owner by default, and a group
owner is not written to CODEOWNERS as `@name` (which GitHub reads as a user).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _new(run_cli: Any, dst: Path, *extra: str) -> Any:
    return run_cli(
        ["new", "python-service", "--output", dst, "--no-input", "--no-register", *extra]
    )


def _codeowners(dst: Path) -> str:
    return (dst / ".github" / "CODEOWNERS").read_text().splitlines()[-1]


def test_without_owner_nothing_is_asked_and_the_login_is_not_the_owner(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "runner")
    monkeypatch.setenv("USER", "runner")
    dst = tmp_path / "svc"
    result = _new(run_cli, dst)
    assert result.code == 2, result.stdout
    assert "owner is required" in result.stderr
    assert "--set owner=group:default/TEAM" in result.stderr
    assert "Traceback" not in result.stderr and "runner" not in result.stderr
    assert not dst.exists()
    as_json = run_cli(["new", "python-service", "--output", dst, "--json", "--no-register"])
    assert as_json.code == 2
    assert as_json.json()["error"]["code"] == "usage"
    assert "owner is required" in as_json.json()["error"]["message"]


def test_a_user_owner_needs_nothing_else(run_cli: Any, tmp_path: Path) -> None:
    dst = tmp_path / "svc"
    result = _new(run_cli, dst, "--set", "owner=user:jdoe")
    assert result.code == 0, result.stderr
    assert _codeowners(dst) == "* @jdoe"


def test_a_group_owner_without_github_owner_or_codeowners_is_refused(
    run_cli: Any, tmp_path: Path
) -> None:
    dst = tmp_path / "svc"
    result = _new(run_cli, dst, "--set", "owner=group:payments")
    assert result.code == 2, result.stdout
    text = result.stderr
    lines = text.splitlines()
    error = lines[next(i for i, ln in enumerate(lines) if ln.startswith("error: ")) :]
    assert len(error) == 2 and error[1].startswith("  hint: "), text  # one line and a hint
    assert "group:default/payments is a group" in text
    assert "github_owner" in text and "codeowners" in text
    assert "--set github_owner=ORG" in text and "--set codeowners=@ORG/TEAM" in text
    assert "Traceback" not in text
    assert not dst.exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--set", "github_owner=acme"], "* @acme/pay-ments"),
        (["--github-owner", "acme"], "* @acme/pay-ments"),
        (["--set", "codeowners=@acme/payments-team"], "* @acme/payments-team"),
    ],
    ids=["github_owner", "--github-owner", "codeowners"],
)
def test_a_group_owner_maps_to_a_team_once_the_github_owner_is_known(
    run_cli: Any, tmp_path: Path, extra: list[str], expected: str
) -> None:
    dst = tmp_path / "svc"
    result = _new(run_cli, dst, "--set", "owner=group:default/Pay_Ments", *extra)
    assert result.code == 0, result.stderr
    assert _codeowners(dst) == expected


def test_the_rule_holds_for_a_data_file(run_cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "team.yml"
    data.write_text("owner: group:payments\n")
    dst = tmp_path / "svc"
    assert _new(run_cli, dst, "--data-file", str(data)).code == 2
    data.write_text("owner: group:payments\ngithub_owner: acme\n")
    result = _new(run_cli, dst, "--data-file", str(data))
    assert result.code == 0, result.stderr
    assert _codeowners(dst) == "* @acme/payments"


def test_next_suggests_github_owner_only_while_it_is_not_known(
    run_cli: Any, tmp_path: Path
) -> None:
    known = _new(run_cli, tmp_path / "a", "--set", "owner=group:payments", "--github-owner", "acme")
    assert known.code == 0, known.stderr
    assert f"scaffolder publish {tmp_path / 'a'}\n" in known.stdout
    assert "--github-owner OWNER" not in known.stdout
    unknown = _new(run_cli, tmp_path / "b", "--set", "owner=user:jdoe")
    assert unknown.code == 0, unknown.stderr
    assert f"scaffolder publish {tmp_path / 'b'} --github-owner OWNER" in unknown.stdout


def test_templates_show_evaluates_defaults_and_keeps_computed_values_apart(
    run_cli: Any, tmp_path: Path
) -> None:
    human = run_cli(["templates", "show", "python-service"])
    assert human.code == 0, human.stderr
    assert "{{" not in human.stdout and "{%" not in human.stdout
    assert "default: from the answer to owner" in human.stdout  # codeowners
    answerable, _, computed = human.stdout.partition("computed by the template")
    assert "required_approvals" not in answerable
    # It follows review_mode, which follows the owner: shown as where it comes from.
    assert "required_approvals = from the answer to review_mode" in computed
    result = run_cli(["templates", "show", "python-service", "--json"])
    shown = result.json()["result"]
    questions = {q["name"]: q for q in shown["questions"]}
    assert "required_approvals" not in questions
    assert {"name": "required_approvals", "value": None} in shown["computed"]  # not known yet
    assert questions["owner"]["required"] is True  # nothing asked: it must be given
    assert questions["name"]["default_from"] == "the --output folder's name"
    assert questions["lifecycle"]["default"] == "experimental"
    # What is listed as answerable, --set accepts.
    for name in questions:
        assert f"{name}" not in [c["name"] for c in shown["computed"]]
    refused = _new(
        run_cli, tmp_path / "s", "--set", "owner=user:j", "--set", "required_approvals=2"
    )
    assert refused.code == 2 and "unknown question" in refused.stderr
