"""`scaffolder catalog validate`: every problem with its file, line and entity; exit 1 if any."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.catalog_helpers import entity, write_entities

LOCATION = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: scaffolder-file-targets
spec:
  type: file
  targets:
{targets}"""


def make_catalog(catalog: Path, *targets: Path | str) -> Path:
    lines = "".join(f"    - {t}\n" for t in targets)
    catalog.write_text(LOCATION.format(targets=lines))
    return catalog


def doc_line(path: Path, name: str) -> int:
    """The first line of the document whose metadata.name is `name` (apiVersion comes first)."""
    lines = path.read_text().splitlines()
    return lines.index(f"  name: {name}") + 1 - 3


def org(root: Path) -> Path:
    """A Group, a User, a Domain and a System: the entities relations point at."""
    return write_entities(
        root / "org",
        entity("payments", "Group", type="team", children=[]),
        entity("jdoe", "User", memberOf=["payments"]),
        entity("money", "Domain", owner="payments"),
        entity("billing", "System", owner="group:payments", domain="money"),
        filename="org.yaml",
    )


def test_a_clean_catalog_is_valid(run_cli, tmp_path, catalog_file):
    api = write_entities(
        tmp_path / "api",
        entity("payments-api", system="billing", providesApis=["payments"]),
        entity(
            "payments",
            "API",
            type="openapi",
            lifecycle="production",
            owner="user:jdoe",
            definition={"$text": "./openapi.yaml"},
            system="billing",
        ),
    )
    make_catalog(catalog_file, org(tmp_path), api)
    result = run_cli(["catalog", "validate"])
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{catalog_file}: valid (6 entities, 2 targets)"


def test_every_problem_names_file_line_and_entity(run_cli, tmp_path, catalog_file):
    good = entity("fine", system="billing")
    no_owner = entity("orphan")
    del no_owner["spec"]["owner"]
    bad_keys = entity("keys", annotations={"-bad key-": "x"})
    bad_keys["metadata"]["labels"] = {"team": "not ok!"}
    dangling = entity("dangling", owner="group:nobody", system="nowhere")
    api = entity("thin-api", "API", type="openapi", lifecycle="production", owner="payments")
    services = write_entities(tmp_path / "svc", good, no_owner, bad_keys, dangling, api)
    make_catalog(catalog_file, org(tmp_path), services, tmp_path / "gone" / "catalog-info.yaml")
    result = run_cli(["catalog", "validate", catalog_file])
    assert result.code == 1
    lines = result.stdout.splitlines()
    at = {name: f"{services}:{doc_line(services, name)}" for name in ("orphan", "keys", "dangling")}
    expected = [
        f"{catalog_file}:10: target {tmp_path}/gone/catalog-info.yaml: no such file",
        f"{at['orphan']}: component:default/orphan: spec.owner is required",
        f"{at['keys']}: component:default/keys: metadata.labels value 'not ok!' of 'team'",
        f"{at['keys']}: component:default/keys: metadata.annotations key '-bad key-' is not valid",
        f"{at['dangling']}: component:default/dangling: spec.owner 'group:nobody' does not "
        "resolve: no Group default/nobody in the catalog",
        f"{at['dangling']}: component:default/dangling: spec.system 'nowhere' does not resolve: "
        "no System default/nowhere in the catalog",
        f"{services}:{doc_line(services, 'thin-api')}: api:default/thin-api: "
        "spec.definition is required",
    ]
    assert len(lines) == len(expected) + 1
    for line, want in zip(lines, expected, strict=False):
        assert line.startswith(want), (want, lines)
    assert lines[-1] == f"{catalog_file}: 7 problems (9 entities, 3 targets)"


def test_references_are_checked_only_for_kinds_the_catalog_holds(run_cli, tmp_path, catalog_file):
    lone = write_entities(tmp_path / "lone", entity("lone", owner="group:elsewhere", system="x"))
    make_catalog(catalog_file, lone)
    result = run_cli(["catalog", "validate", "--json"])
    assert result.code == 0, result.stdout
    payload = result.json()
    assert payload["result"]["valid"] is True
    assert payload["result"]["problems"] == []
    assert payload["result"]["notes"] == [
        "spec.owner references to Group entities were not checked: the catalog holds no Group",
        "spec.system references to System entities were not checked: the catalog holds no System",
    ]
    assert "note: spec.owner references" in run_cli(["catalog", "validate"]).stderr


def test_duplicates_are_problems(run_cli, tmp_path, catalog_file):
    one = write_entities(tmp_path / "one", entity("twin"))
    two = write_entities(tmp_path / "two", entity("twin"))
    make_catalog(catalog_file, one, two, one)
    result = run_cli(["catalog", "validate", "--json"])
    assert result.code == 1
    problems = result.json()["result"]["problems"]
    messages = [(p["file"], p["line"], p["entity"], p["message"]) for p in problems]
    assert messages == [
        (str(catalog_file), 10, "", f"target {one} is listed more than once"),
        (
            str(two),
            1,
            "component:default/twin",
            f"defined twice; Backstage keeps only one (also at {one}:1)",
        ),
    ]


def test_the_catalog_files_own_locations_are_validated(run_cli, tmp_path, catalog_file):
    target = write_entities(tmp_path / "a", entity("a"))
    make_catalog(catalog_file, target)
    text = catalog_file.read_text().replace("name: scaffolder-file-targets", "name: Bad Name")
    catalog_file.write_text(text + "  presence: sometimes\n")
    payload = run_cli(["catalog", "validate", "--json"]).json()
    assert [(p["line"], p["entity"]) for p in payload["result"]["problems"]] == [
        (1, "location:default/Bad Name"),
        (1, "location:default/Bad Name"),
    ]
    assert "metadata.name 'Bad Name' is not valid" in payload["result"]["problems"][0]["message"]
    assert (
        payload["result"]["problems"][1]["message"]
        == "spec.presence must be 'required' or 'optional'"
    )


def test_a_broken_catalog_file_is_one_problem_naming_the_line(run_cli, tmp_path):
    catalog = tmp_path / "broken.yaml"
    catalog.write_text(LOCATION.format(targets="    - a\n") + "  oops: [\n")
    before = catalog.read_bytes()
    result = run_cli(["catalog", "validate", catalog, "--json"])
    assert result.code == 1
    (problem,) = result.json()["result"]["problems"]
    assert problem["file"] == str(catalog)
    assert problem["line"] == 10
    assert "not valid YAML" in problem["message"]
    assert catalog.read_bytes() == before


def test_a_missing_catalog_file_is_a_usage_error(run_cli, tmp_path):
    result = run_cli(["catalog", "validate", tmp_path / "nope.yaml"])
    assert result.code == 2
    assert "no catalog file at" in result.stderr


def test_file_and_catalog_flag_together_are_refused(run_cli, tmp_path, catalog_file):
    result = run_cli(["catalog", "validate", catalog_file, "--catalog", catalog_file])
    assert result.code == 2
    assert "not both" in result.stderr


def test_a_scaffolded_service_validates(run_cli, new_service, catalog_file):
    new_service("python-service")
    result = run_cli(["catalog", "validate", "--json"])
    assert result.code == 0, result.stdout
    assert result.json()["result"]["entities"] == 1


def test_an_entity_file_is_checked_as_one(run_cli, tmp_path):
    info = write_entities(
        tmp_path / "svc",
        entity("payments", "Group", type="team", children=[]),
        entity("svc", owner="group:payments", system="billing"),
    )
    result = run_cli(["catalog", "validate", info])
    assert result.code == 0, result.stdout
    assert result.stdout.strip() == f"{info}: valid (2 entities)"
    assert "checked as an entity file" in result.stderr
    broken = entity("svc", owner="group:nobody")
    del broken["spec"]["type"]
    write_entities(info.parent, entity("payments", "Group", type="team", children=[]), broken)
    problems = run_cli(["catalog", "validate", info, "--json"]).json()["result"]["problems"]
    assert [(p["line"], p["entity"], p["message"]) for p in problems] == [
        (doc_line(info, "svc"), "component:default/svc", "spec.type is required"),
        (
            doc_line(info, "svc"),
            "component:default/svc",
            "spec.owner 'group:nobody' does not resolve: no Group default/nobody in the catalog",
        ),
    ]


def test_a_catalog_mixing_locations_and_entities_is_refused(run_cli, tmp_path):
    target = write_entities(tmp_path / "a", entity("a"))
    catalog = make_catalog(tmp_path / "catalog.yaml", target)
    catalog.write_text(catalog.read_text() + "---\n" + yaml.safe_dump(entity("inline")))
    result = run_cli(["catalog", "validate", catalog, "--json"])
    assert result.code == 1
    (problem,) = result.json()["result"]["problems"]
    assert problem["line"] == 10
    assert "expected a Location entity" in problem["message"]
