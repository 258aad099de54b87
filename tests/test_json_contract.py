"""The `--json` output is a contract for pipelines: one envelope for every command, pinned here.

    {"schema": 1, "command", "ok", "exit_code", "result", "error", "warnings"}

`result` is the command's own result (null when it failed before producing one; on partial
success, what was done, and it agrees with the steps that finished); `error` is null, or
`{"code", "message", "hint", ...}`.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import STANDARD_ANSWERS

ENVELOPE = {"schema", "command", "ok", "exit_code", "result", "error", "warnings"}
NEW_RESULT_KEYS = {
    "project": str,
    "template": dict,
    "answers": dict,
    "entity_ref": str,
    "catalog": (str, type(None)),
    "registered": bool,
    "commit": (str, type(None)),
    "repository": (dict, type(None)),
    "dry_run": bool,
    "steps": list,
}
TEMPLATE_KEYS = {"name", "version", "source", "builtin"}
STEP_KEYS = {"name", "status", "detail"}


def envelope(stdout: str) -> dict:
    payload = json.loads(stdout)  # exactly one JSON object: the whole of stdout parses
    assert set(payload) == ENVELOPE
    assert payload["schema"] == 1
    assert payload["ok"] is (payload["exit_code"] == 0)
    assert isinstance(payload["warnings"], list)
    if payload["ok"] or payload["exit_code"] == 1:  # findings are a result, not an error
        assert payload["error"] is None
    else:
        assert {"code", "message", "hint"} <= set(payload["error"])
    return payload


def test_success_shape(run_cli, tmp_path, catalog_file):
    dst = tmp_path / "svc"
    payload = envelope(
        run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--json"]).stdout
    )
    assert payload["command"] == "new" and payload["exit_code"] == 0
    result = payload["result"]
    assert set(result) == set(NEW_RESULT_KEYS)
    for key, kind in NEW_RESULT_KEYS.items():
        assert isinstance(result[key], kind), key
    assert set(result["template"]) == TEMPLATE_KEYS
    assert result["template"]["name"] == "python-service"
    assert result["template"]["version"] == "1.1.0"
    assert result["entity_ref"] == "component:default/svc"
    assert result["catalog"] == str(catalog_file)
    assert result["registered"] is True
    assert len(result["commit"]) == 40
    assert result["repository"] is None  # null until published
    assert [s["name"] for s in result["steps"]] == ["resolve", "render", "commit", "register"]
    assert all(set(s) == STEP_KEYS and s["status"] == "done" for s in result["steps"])
    # Computed values are not answers and are not echoed.
    assert "action_pins" not in result["answers"] and "package_name" not in result["answers"]


def test_error_shape(run_cli, tmp_path):
    payload = envelope(run_cli(["new", "nope", "-o", tmp_path / "x", "--json"]).stdout)
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert payload["command"] == "new"
    assert payload["result"] is None
    assert payload["error"]["code"] == "unknown-template"


def test_partial_success_result_agrees_with_what_was_done(run_cli, tmp_path, catalog_file):
    catalog_file.write_text("apiVersion: backstage.io/v1alpha1\nkind: Location\nspec: [oops\n")
    dst = tmp_path / "svc"
    result = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--json"])
    payload = envelope(result.stdout)
    assert payload["exit_code"] == 3 and payload["error"]["code"] == "partial-success"
    assert payload["error"]["done"] == ["resolve", "render", "commit"]
    assert payload["error"]["failed"] == "register"
    done = payload["result"]
    statuses = {s["name"]: s["status"] for s in done["steps"]}
    assert statuses == {
        "resolve": "done",
        "render": "done",
        "commit": "done",
        "register": "failed",
    }
    assert done["commit"] is not None and len(done["commit"]) == 40  # committed: it says so
    assert done["registered"] is False


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["templates"], "templates"),
        (["templates", "show", "python-service"], "templates"),
        (["catalog", "list"], "catalog list"),
        (["catalog", "validate"], "catalog validate"),
    ],
)
def test_every_command_uses_the_envelope(run_cli, args, command, catalog_file):
    catalog_file.write_text("")
    payload = envelope(run_cli([*args, "--json"]).stdout)
    assert payload["command"] == command
    assert payload["ok"] is True and isinstance(payload["result"], dict)


def test_audit_findings_are_exit_1_with_a_result_and_no_error(run_cli, tmp_path):
    (tmp_path / "repo").mkdir()
    payload = envelope(run_cli(["audit", tmp_path / "repo", "--json"]).stdout)
    assert payload["command"] == "audit"
    assert payload["exit_code"] == 1 and payload["ok"] is False
    assert payload["error"] is None  # findings are a result, not an error
    assert payload["result"]["summary"]["failed"] > 0


def test_publish_without_a_token_exits_5_dry_run_or_not(run_cli, new_service):
    """Refused before anything was written: the same exit code and hint with --dry-run."""
    project = new_service()
    for extra in ([], ["--dry-run"]):
        result = run_cli(["publish", project, "--json", *extra])
        payload = envelope(result.stdout)
        assert payload["exit_code"] == 5, (extra, payload)
        assert payload["error"]["code"] == "github-auth"
        assert "GH_TOKEN" in payload["error"]["hint"]


def test_an_internal_error_is_exit_70_in_the_envelope(run_cli, monkeypatch):
    """A bug is one line, a "please report" hint and exit 70: never 1 ("checks failed"), never
    a traceback. The bug is injected: a command that raises what nobody maps."""
    from scaffolder.commands import templates

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(templates, "list_templates", broken)
    result = run_cli(["templates", "--json"])
    assert result.code == 70
    payload = envelope(result.stdout)
    assert payload["error"]["code"] == "internal-error"
    assert "ZeroDivisionError" in payload["error"]["message"]
    assert "please report" in payload["error"]["hint"]
    human = run_cli(["templates"])
    assert human.code == 70 and "Traceback" not in human.stderr
    assert human.stderr.startswith("error: internal error: ZeroDivisionError")
