"""The `--json` output of `scaffolder new` is a contract for pipelines: its shape is pinned here."""

from __future__ import annotations

from tests.conftest import STANDARD_ANSWERS

SUCCESS_KEYS = {
    "ok": bool,
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
    "warnings": list,
}
TEMPLATE_KEYS = {"name", "version", "source", "builtin"}
ERROR_KEYS = {"ok", "exit_code", "error"}


def test_success_shape(run_cli, tmp_path, catalog_file):
    dst = tmp_path / "svc"
    payload = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--json"]).json()
    assert set(payload) == set(SUCCESS_KEYS)
    for key, kind in SUCCESS_KEYS.items():
        assert isinstance(payload[key], kind), key
    assert set(payload["template"]) == TEMPLATE_KEYS
    assert payload["template"]["name"] == "python-service"
    assert payload["template"]["version"] == "1.1.0"
    assert payload["entity_ref"] == "component:default/svc"
    assert payload["catalog"] == str(catalog_file)
    assert payload["registered"] is True
    assert len(payload["commit"]) == 40
    assert payload["repository"] is None  # null until published
    assert payload["steps"] == ["render", "commit", "register"]
    # Computed values are not answers and are not echoed.
    assert "action_pins" not in payload["answers"] and "package_name" not in payload["answers"]


def test_error_shape(run_cli, tmp_path):
    payload = run_cli(["new", "nope", "-o", tmp_path / "x", "--json"]).json()
    assert set(payload) == ERROR_KEYS
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert set(payload["error"]) >= {"kind", "message", "hint"}
    assert payload["error"]["kind"] == "unknown-template"
