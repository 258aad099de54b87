"""`scaffolder catalog register` and `unregister` on a local catalog file."""

from __future__ import annotations

import yaml

from tests.catalog_helpers import catalog_targets, component, entity, write_entities

HAND_WRITTEN = """\
# Platform catalog: keep this comment.
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: hand-written  # ours
spec:
  type: file
  targets:
    - ./legacy/catalog-info.yaml  # the old monolith
"""


def test_register_a_project_folder_adds_its_catalog_info(run_cli, tmp_path, catalog_file):
    project = component(tmp_path, "payments-api").parent
    result = run_cli(["catalog", "register", project, "--json"])
    assert result.code == 0, result.stderr
    payload = result.json()
    target = str(project / "catalog-info.yaml")
    assert payload["ok"] is True and payload["error"] is None
    assert payload["result"] == {
        "action": "register",
        "catalog": str(catalog_file),
        "target": target,
        "type": "file",
        "entities": ["component:default/payments-api"],
        "changed": True,
        "pull_request": None,
        "notes": [],
    }
    assert catalog_targets(catalog_file) == [target]
    (doc,) = yaml.safe_load_all(catalog_file.read_text())
    assert doc["kind"] == "Location"
    assert doc["spec"]["type"] == "file"


def test_register_is_idempotent_across_spellings(run_cli, tmp_path, catalog_file, monkeypatch):
    info = component(tmp_path, "payments-api")
    assert run_cli(["catalog", "register", info]).code == 0
    before = catalog_file.read_bytes()
    monkeypatch.chdir(tmp_path)
    for spelling in ("payments-api", "payments-api/", "./payments-api/catalog-info.yaml"):
        result = run_cli(["catalog", "register", spelling])
        assert result.code == 0, result.stderr
        assert "already registered" in result.stdout
    assert catalog_file.read_bytes() == before


def test_register_keeps_comments_and_hand_written_entries(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(HAND_WRITTEN)
    info = component(tmp_path, "ledger")
    assert run_cli(["catalog", "register", info]).code == 0
    text = catalog_file.read_text()
    assert text.startswith(HAND_WRITTEN.rstrip("\n"))
    assert "# the old monolith" in text and "# ours" in text
    assert catalog_targets(catalog_file) == ["./legacy/catalog-info.yaml", str(info)]


def test_missing_target_is_refused_and_nothing_is_written(run_cli, tmp_path, catalog_file):
    result = run_cli(["catalog", "register", tmp_path / "nowhere"])
    assert result.code == 2
    assert "no such file" in result.stderr
    assert "hint:" in result.stderr
    assert not catalog_file.exists()


def test_invalid_entity_file_is_refused_with_each_problem(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(HAND_WRITTEN)
    before = catalog_file.read_bytes()
    bad = entity("Bad Name!", owner="group:payments")
    del bad["spec"]["lifecycle"]
    info = write_entities(tmp_path / "bad", bad)
    result = run_cli(["catalog", "register", info, "--json"])
    assert result.code == 2
    error = result.json()["error"]
    assert error["code"] == "catalog-target"
    assert f"{info}:1:" in error["message"]
    assert "metadata.name 'Bad Name!' is not valid" in error["message"]
    assert "spec.lifecycle is required" in error["message"]
    assert catalog_file.read_bytes() == before


def test_target_that_is_not_yaml_names_the_line(run_cli, tmp_path, catalog_file):
    info = tmp_path / "broken" / "catalog-info.yaml"
    info.parent.mkdir()
    info.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: [oops\n")
    result = run_cli(["catalog", "register", info])
    assert result.code == 2
    assert f"{info}:4: not valid YAML" in result.stderr
    assert not catalog_file.exists()


def test_empty_target_is_refused(run_cli, tmp_path, catalog_file):
    info = tmp_path / "empty" / "catalog-info.yaml"
    info.parent.mkdir()
    info.write_text("# nothing here\n")
    result = run_cli(["catalog", "register", info])
    assert result.code == 2
    assert "holds no entity" in result.stderr


BROKEN_CATALOGS = {
    "not-yaml": ("apiVersion: backstage.io/v1alpha1\nkind: Location\nspec: {targets: [a, b\n", 4),
    "not-a-location": (HAND_WRITTEN + "---\n" + yaml.safe_dump(entity("x")), 11),
    "targets-not-a-list": (
        HAND_WRITTEN.replace(
            "  targets:\n    - ./legacy/catalog-info.yaml  # the old monolith\n",
            "  targets: {a: b}\n",
        ),
        8,
    ),
}


def test_broken_catalog_file_names_the_line_and_is_untouched(run_cli, tmp_path, catalog_file):
    info = component(tmp_path, "payments-api")
    for name, (text, line) in BROKEN_CATALOGS.items():
        catalog_file.write_text(text)
        before = catalog_file.read_bytes()
        for args in (["register", info], ["unregister", "payments-api"], ["list"]):
            result = run_cli(["catalog", *args])
            assert result.code == 2, (name, args, result.stderr)
            assert f"{catalog_file}:{line}:" in result.stderr, (name, args, result.stderr)
            assert "Traceback" not in result.stderr
        assert catalog_file.read_bytes() == before, name


def test_url_target_on_another_host_is_refused(run_cli, catalog_file):
    result = run_cli(["catalog", "register", "https://gitlab.example.com/a/b/-/raw/main/c.yaml"])
    assert result.code == 2
    assert "not a file on github.com" in result.stderr
    assert not catalog_file.exists()


def test_url_target_without_a_token_is_refused(run_cli, catalog_file):
    url = "https://github.com/acme/payments-api/blob/main/catalog-info.yaml"
    result = run_cli(["catalog", "register", url])
    assert result.code == 2
    assert "no GitHub token" in result.stderr
    assert not catalog_file.exists()


def test_unregister_by_path_ref_or_target(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(HAND_WRITTEN)
    infos = {name: component(tmp_path, name) for name in ("alpha", "beta", "gamma", "delta")}
    for info in infos.values():
        assert run_cli(["catalog", "register", info]).code == 0
    assert run_cli(["catalog", "unregister", infos["alpha"].parent]).code == 0
    assert run_cli(["catalog", "unregister", "beta"]).code == 0
    result = run_cli(["catalog", "unregister", "component:default/gamma", "--json"])
    assert result.code == 0
    assert result.json()["result"]["target"] == str(infos["gamma"])
    assert result.json()["result"]["entities"] == ["component:default/gamma"]
    assert run_cli(["catalog", "unregister", str(infos["delta"])]).code == 0
    assert catalog_targets(catalog_file) == ["./legacy/catalog-info.yaml"]
    assert catalog_file.read_text().startswith(HAND_WRITTEN.rstrip("\n"))


def test_unregister_what_is_not_registered_is_an_error(run_cli, tmp_path, catalog_file):
    assert run_cli(["catalog", "register", component(tmp_path, "alpha")]).code == 0
    before = catalog_file.read_bytes()
    for value in ("omega", "component:default/omega", str(tmp_path / "omega")):
        result = run_cli(["catalog", "unregister", value])
        assert result.code == 2
        assert "is not registered" in result.stderr
        assert "scaffolder catalog list" in result.stderr
    assert catalog_file.read_bytes() == before


def test_unregister_a_ref_whose_file_holds_several_entities_says_so(run_cli, tmp_path):
    info = write_entities(
        tmp_path / "mono",
        entity("mono-api"),
        entity("mono-db", "Resource", type="database", owner="group:payments"),
    )
    assert run_cli(["catalog", "register", info]).code == 0
    result = run_cli(["catalog", "unregister", "resource:mono-db"])
    assert result.code == 0
    assert "holds 2 entities" in result.stderr
    assert "component:default/mono-api" in result.stderr


def test_unregister_a_ref_reached_through_two_targets_is_ambiguous(run_cli, tmp_path):
    one = component(tmp_path / "one", "twin")
    two = component(tmp_path / "two", "twin")
    assert run_cli(["catalog", "register", one]).code == 0
    assert run_cli(["catalog", "register", two]).code == 0
    result = run_cli(["catalog", "unregister", "twin"])
    assert result.code == 2
    assert "through 2 targets" in result.stderr


def test_remote_catalog_refuses_a_local_path_and_shows_the_url(run_cli, tmp_path):
    info = component(tmp_path, "payments-api")
    doc = entity("payments-api", annotations={"github.com/project-slug": "acme/payments-api"})
    write_entities(info.parent, doc)
    result = run_cli(["catalog", "register", info, "--catalog", "github:acme/catalog/all.yaml"])
    assert result.code == 2
    assert "https://github.com/acme/payments-api/blob/main/catalog-info.yaml" in result.stderr


def test_bad_remote_catalog_spelling_is_a_usage_error(run_cli, tmp_path):
    info = component(tmp_path, "payments-api")
    for bad in ("github:acme", "github:acme/catalog", "github:acme/catalog/../x.yaml"):
        result = run_cli(["catalog", "register", info, "--catalog", bad])
        assert result.code == 2, bad
        assert "github:OWNER/REPO/path/to/all.yaml" in result.stderr


def test_a_scaffolded_service_is_listed(run_cli, new_service, catalog_file):
    project = new_service("python-service", "--set", "lifecycle=production")
    result = run_cli(["catalog", "list", "--lifecycle", "production", "--json"])
    assert result.code == 0, result.stderr
    (row,) = result.json()["result"]["entities"]
    assert row["name"] == project.name
    assert row["source"] == str(project / "catalog-info.yaml")
    # and `catalog register` of the same project changes nothing
    before = catalog_file.read_bytes()
    assert run_cli(["catalog", "register", project]).code == 0
    assert catalog_file.read_bytes() == before


def test_catalog_without_an_action_is_a_usage_error(run_cli):
    result = run_cli(["catalog"])
    assert result.code == 2
    assert "register, unregister, list or validate" in result.stderr


def test_unregister_reports_the_entities_it_removes(run_cli, tmp_path):
    info = component(tmp_path, "alpha")
    assert run_cli(["catalog", "register", info]).code == 0
    payload = run_cli(["catalog", "unregister", info.parent, "--json"]).json()
    assert payload["result"]["entities"] == ["component:default/alpha"]
    assert run_cli(["catalog", "register", info]).code == 0
    info.unlink()  # a target whose file is gone can still be unregistered by its path
    payload = run_cli(["catalog", "unregister", info, "--json"]).json()
    assert payload["result"]["changed"] is True and payload["result"]["entities"] == []
