"""The `--json` output of `scaffolder catalog ...` is a contract for pipelines: pinned here."""

from __future__ import annotations

from tests.catalog_helpers import component

ENVELOPE = {"schema", "command", "ok", "exit_code", "result", "error", "warnings"}
CHANGE_KEYS = {
    "action",
    "catalog",
    "target",
    "type",
    "entities",
    "changed",
    "pull_request",
    "notes",
}
LIST_KEYS = {"catalog", "filters", "total", "count", "entities", "unreadable"}
ROW_KEYS = {
    "ref",
    "name",
    "namespace",
    "kind",
    "type",
    "description",
    "lifecycle",
    "owner",
    "system",
    "repository",
    "source",
    "target",
}
UNREADABLE_KEYS = {"target", "type", "reason", "listed_at"}
VALIDATE_KEYS = {"catalog", "valid", "entities", "targets", "problems", "notes"}
PROBLEM_KEYS = {"file", "line", "entity", "message"}


def test_register_and_unregister_shape(run_cli, tmp_path):
    info = component(tmp_path, "svc")
    for action in ("register", "unregister"):
        payload = run_cli(["catalog", action, info, "--json"]).json()
        assert set(payload) == ENVELOPE and payload["command"] == f"catalog {action}"
        assert set(payload["result"]) == CHANGE_KEYS
        assert payload["ok"] is True and payload["result"]["action"] == action


def test_list_shape(run_cli, tmp_path):
    assert run_cli(["catalog", "register", component(tmp_path, "svc")]).code == 0
    (tmp_path / "gone").mkdir()
    assert run_cli(["catalog", "register", component(tmp_path / "gone", "x")]).code == 0
    (tmp_path / "gone" / "x" / "catalog-info.yaml").unlink()
    payload = run_cli(["catalog", "list", "--json"]).json()
    assert set(payload) == ENVELOPE and set(payload["result"]) == LIST_KEYS
    (row,) = payload["result"]["entities"]
    assert set(row) == ROW_KEYS
    assert all(isinstance(v, str) for v in row.values())
    (bad,) = payload["result"]["unreadable"]
    assert set(bad) == UNREADABLE_KEYS


def test_validate_shape(run_cli, tmp_path, catalog_file):
    assert run_cli(["catalog", "register", component(tmp_path, "svc")]).code == 0
    payload = run_cli(["catalog", "validate", "--json"]).json()
    assert set(payload) == ENVELOPE and set(payload["result"]) == VALIDATE_KEYS
    assert payload["ok"] is True and payload["exit_code"] == 0
    (tmp_path / "svc" / "catalog-info.yaml").unlink()
    result = run_cli(["catalog", "validate", "--json"])
    assert result.code == 1
    payload = result.json()
    assert (
        payload["ok"] is False and payload["exit_code"] == 1 and payload["result"]["valid"] is False
    )
    (problem,) = payload["result"]["problems"]
    assert set(problem) == PROBLEM_KEYS
    assert problem["file"] == str(catalog_file) and isinstance(problem["line"], int)


def test_errors_are_one_json_object(run_cli, tmp_path):
    result = run_cli(["catalog", "register", tmp_path / "missing", "--json"])
    assert result.code == 2
    payload = result.json()
    assert set(payload) == ENVELOPE and payload["result"] is None
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert payload["error"]["code"] == "catalog-target"
