"""`scaffolder catalog list`: the table, the filters (which combine), JSON, unreadable targets."""

from __future__ import annotations

import pytest

from tests.catalog_helpers import component, entity, write_entities

SERVICES = {
    # name: (lifecycle, owner, type, system)
    "payments-api": ("production", "group:payments", "service", "billing"),
    "payments-web": ("production", "group:default/payments", "website", "billing"),
    "ledger": ("experimental", "group:payments", "service", "billing"),
    "search": ("production", "group:discovery", "service", ""),
    "old-cart": ("deprecated", "user:jdoe", "service", "shop"),
}


@pytest.fixture
def populated(run_cli, tmp_path):
    for name, (lifecycle, owner, kind, system) in SERVICES.items():
        spec = {"lifecycle": lifecycle, "owner": owner, "type": kind}
        if system:
            spec["system"] = system
        info = component(tmp_path / "src", name, **spec)
        assert run_cli(["catalog", "register", info]).code == 0
    db = write_entities(
        tmp_path / "src" / "db",
        entity("payments-db", "Resource", type="database", owner="payments", system="billing"),
    )
    assert run_cli(["catalog", "register", db]).code == 0
    return tmp_path


def names(run_cli, *args: str) -> list[str]:
    result = run_cli(["catalog", "list", *args, "--json"])
    assert result.code == 0, result.stderr
    return sorted(row["name"] for row in result.json()["result"]["entities"])


def test_lifecycle_production_is_the_headline(run_cli, populated):
    assert names(run_cli, "--lifecycle", "production") == ["payments-api", "payments-web", "search"]


def test_table_shows_every_column(run_cli, populated):
    result = run_cli(["catalog", "list", "--lifecycle", "production"])
    assert result.code == 0
    header, *rows, summary = result.stdout.splitlines()
    assert header.split() == ["NAME", "KIND", "TYPE", "LIFECYCLE", "OWNER", "SYSTEM", "REPOSITORY"]
    assert len(rows) == 3
    search = next(r for r in rows if r.startswith("search "))
    assert search.split() == [
        "search",
        "Component",
        "service",
        "production",
        "group:discovery",
        "-",
        "-",
    ]
    assert summary.startswith("3 of 6 entities in ")
    # Aligned columns: every value starts where its heading does; no line ends in spaces.
    starts = [header.index(h) for h in header.split()]
    for row in rows:
        assert row == row.rstrip()
        assert all(i == 0 or (row[i - 2 : i] == "  " and row[i] != " ") for i in starts), row


def test_filters_combine(run_cli, populated):
    assert names(run_cli, "--lifecycle", "production", "--owner", "payments") == [
        "payments-api",
        "payments-web",
    ]
    assert names(
        run_cli, "--lifecycle", "production", "--owner", "payments", "--type", "service"
    ) == ["payments-api"]
    assert names(run_cli, "--system", "billing", "--kind", "resource") == ["payments-db"]
    assert names(run_cli, "--system", "billing", "--lifecycle", "deprecated") == []


def test_repeating_a_filter_accepts_either_value(run_cli, populated):
    assert names(run_cli, "--lifecycle", "deprecated", "--lifecycle", "experimental") == [
        "ledger",
        "old-cart",
    ]


def test_owner_and_system_compare_as_entity_references(run_cli, populated):
    expected = ["ledger", "payments-api", "payments-db", "payments-web"]
    for spelling in ("payments", "group:payments", "group:default/payments", "Group:payments"):
        assert names(run_cli, "--owner", spelling) == expected, spelling
    assert names(run_cli, "--owner", "user:jdoe") == ["old-cart"]
    assert names(run_cli, "--owner", "jdoe") == []  # a bare name is a group, as in Backstage
    assert names(run_cli, "--system", "system:default/shop") == ["old-cart"]


def test_kind_type_and_lifecycle_ignore_case(run_cli, populated):
    found = names(run_cli, "--kind", "COMPONENT", "--lifecycle", "Production", "--type", "Website")
    assert found == ["payments-web"]


def test_a_bad_filter_value_is_a_usage_error(run_cli, populated):
    result = run_cli(["catalog", "list", "--owner", "group:Not Valid"])
    assert result.code == 2
    assert "--owner 'group:Not Valid'" in result.stderr


def test_json_rows_carry_every_column_and_the_source(run_cli, populated):
    payload = run_cli(["catalog", "list", "--owner", "user:jdoe", "--json"]).json()
    assert payload["ok"] is True
    assert payload["result"]["filters"] == {"owner": ["user:jdoe"]}
    assert payload["result"]["total"] == 6
    assert payload["result"]["count"] == 1
    assert payload["result"]["unreadable"] == []
    (row,) = payload["result"]["entities"]
    assert row == {
        "ref": "component:default/old-cart",
        "name": "old-cart",
        "namespace": "default",
        "kind": "Component",
        "type": "service",
        "description": "",
        "lifecycle": "deprecated",
        "owner": "user:jdoe",
        "system": "shop",
        "repository": "",
        "source": str(populated / "src" / "old-cart" / "catalog-info.yaml"),
        "target": str(populated / "src" / "old-cart" / "catalog-info.yaml"),
    }


def test_unreadable_targets_are_listed_with_the_reason(run_cli, populated, catalog_file):
    (populated / "src" / "ledger" / "catalog-info.yaml").unlink()
    (populated / "src" / "search" / "catalog-info.yaml").write_text("kind: [broken\n")
    result = run_cli(["catalog", "list"])
    assert result.code == 0, result.stderr
    assert "2 target(s) could not be read:" in result.stdout
    assert f"{populated}/src/ledger/catalog-info.yaml: no such file" in result.stdout
    assert f"{populated}/src/search/catalog-info.yaml: line 2: not valid YAML" in result.stdout
    payload = run_cli(["catalog", "list", "--lifecycle", "production", "--json"]).json()
    assert sorted(r["name"] for r in payload["result"]["entities"]) == [
        "payments-api",
        "payments-web",
    ]
    reasons = {u["target"].split("/")[-2]: u["reason"] for u in payload["result"]["unreadable"]}
    assert reasons["ledger"] == "no such file"
    assert reasons["search"].startswith("line 2: not valid YAML")
    assert all(
        u["listed_at"].startswith(f"{catalog_file}:") for u in payload["result"]["unreadable"]
    )


def test_repository_column_comes_from_the_annotations(run_cli, tmp_path):
    info = write_entities(
        tmp_path / "svc",
        entity("svc", annotations={"github.com/project-slug": "acme/svc"}),
        entity(
            "svc-docs",
            annotations={"backstage.io/source-location": "url:https://git.example.com/acme/docs/"},
        ),
    )
    assert run_cli(["catalog", "register", info]).code == 0
    rows = {
        r["name"]: r for r in run_cli(["catalog", "list", "--json"]).json()["result"]["entities"]
    }
    assert rows["svc"]["repository"] == "https://github.com/acme/svc"
    assert rows["svc-docs"]["repository"] == "https://git.example.com/acme/docs/"
    table = run_cli(["catalog", "list"]).stdout
    assert "acme/svc" in table and "https://github.com/acme/svc" not in table


def test_nested_locations_and_relative_targets_are_followed(run_cli, tmp_path, catalog_file):
    group = tmp_path / "org"
    write_entities(group / "teams", entity("payments", "Group", type="team", children=[]))
    component(group / "services", "api")
    nested = write_entities(
        group,
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {"name": "org"},
            "spec": {"targets": ["./teams/catalog-info.yaml", "services/api/catalog-info.yaml"]},
        },
        filename="all.yaml",
    )
    assert run_cli(["catalog", "register", nested]).code == 0
    assert names(run_cli) == ["api", "payments"]
    assert names(run_cli, "--kind", "group") == ["payments"]


def test_empty_or_absent_catalog_lists_nothing(run_cli, catalog_file):
    result = run_cli(["catalog", "list"])
    assert result.code == 0
    assert result.stdout.strip() == f"0 entities in {catalog_file}"


def test_a_location_loop_ends(run_cli, tmp_path, catalog_file):
    loop = tmp_path / "loop" / "all.yaml"
    write_entities(
        loop.parent,
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {"name": "loop"},
            "spec": {"type": "file", "targets": ["./all.yaml", "./svc.yaml"]},
        },
        filename="all.yaml",
    )
    write_entities(loop.parent, entity("looped"), filename="svc.yaml")
    assert run_cli(["catalog", "register", loop]).code == 0
    assert names(run_cli) == ["looped"]
    result = run_cli(["catalog", "validate", "--json"])
    assert result.code == 1
    assert [p["message"] for p in result.json()["result"]["problems"]] == [
        "target ./all.yaml is listed more than once"
    ]


def test_documents_that_are_not_entities_are_reported(run_cli, tmp_path, catalog_file):
    info = component(tmp_path, "svc")
    assert run_cli(["catalog", "register", info]).code == 0
    info.write_text(info.read_text() + "---\n- just\n- a list\n")
    payload = run_cli(["catalog", "list", "--json"]).json()
    assert [r["name"] for r in payload["result"]["entities"]] == ["svc"]
    (bad,) = payload["result"]["unreadable"]
    assert bad["reason"].endswith("not an entity (a YAML mapping)")


def test_url_targets_without_a_token_are_listed_with_the_reason(run_cli, tmp_path, catalog_file):
    assert run_cli(["catalog", "register", component(tmp_path, "local")]).code == 0
    url = "https://github.com/acme/remote/blob/main/catalog-info.yaml"
    catalog_file.write_text(
        catalog_file.read_text()
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: remote\n"
        + f"spec:\n  type: url\n  targets:\n    - {url}\n"
    )
    result = run_cli(["catalog", "list"])
    assert result.code == 0
    assert "local" in result.stdout
    assert f"{url}: no GitHub token found" in result.stdout


def test_targets_resolve_as_normpath_and_urljoin_resolve_them():
    """`resolve` gives most absolute paths back without `normpath`: the result must not change."""
    import itertools
    import os.path
    import urllib.parse

    from scaffolder.catalog.sources import TargetUnreadable, resolve

    parts = ["a", ".", "..", "", ".b", "..c", "d.", "~", "x:y", "https:"]
    targets = {"/" + "/".join(p) for n in range(1, 4) for p in itertools.product(parts, repeat=n)}
    targets |= {t + "/" for t in list(targets)} | {"/", "//", "///a", "/a//"}
    for base in ("/srv/catalog.yaml", "https://github.com/o/r/blob/main/all.yaml"):
        for target in sorted(targets):
            for kind in ("file", "url"):
                if base.startswith("https://"):
                    expected = urllib.parse.urljoin(base, target)
                elif kind == "url":
                    with pytest.raises(TargetUnreadable):
                        resolve(base, target, kind)
                    continue
                else:
                    expected = os.path.normpath(target)
                assert resolve(base, target, kind) == expected, (base, target, kind)


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["validate"],
        ["unregister", "billing"],
        ["register", "{billing}"],
    ],
)
def test_catalog_commands_run_without_the_collector_and_resume_it(
    run_cli, tmp_path, monkeypatch, args
):
    """A catalog command pauses the garbage collector (its million tuples hold no cycle) and
    leaves it as it found it, also when the command fails."""
    import gc

    import scaffolder.catalog.locations as locations
    from scaffolder.catalog.cache import EntityCache

    billing = component(tmp_path / "src", "billing", lifecycle="production")
    assert run_cli(["catalog", "register", str(billing)]).code == 0
    seen: list[bool] = []
    real_cache, real_register = EntityCache.for_catalog, locations.register

    def spy_cache(*a, **k):
        seen.append(gc.isenabled())
        return real_cache(*a, **k)

    def spy_register(*a, **k):
        seen.append(gc.isenabled())
        return real_register(*a, **k)

    monkeypatch.setattr(EntityCache, "for_catalog", spy_cache)
    monkeypatch.setattr(locations, "register", spy_register)
    argv = [a.format(billing=billing) for a in args]
    assert gc.isenabled()
    assert run_cli(["catalog", *argv]).code in (0, 1)
    assert seen and not any(seen)
    assert gc.isenabled()
    gc.disable()
    try:
        run_cli(["catalog", *argv])
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert run_cli(["catalog", "list", "--lifecycle", "no such"]).code == 0
    assert run_cli(["catalog", "list", "--owner", "!!bad!!"]).code == 2
    assert gc.isenabled()


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"lifecycle": ("production",)},
        {"kind": ("resource", "location")},
        {"owner": ("payments",), "system": ("billing",)},
        {"type": ("nothing",)},
    ],
)
def test_a_filtered_walk_lists_what_filtering_the_whole_walk_lists(
    run_cli, populated, catalog_file, filters
):
    """`catalog list` keeps only the matching documents while it walks (and does not match
    them again); that is the listing of the whole walk, filtered afterwards. The catalog's
    own Locations and a nested one are never rows."""
    from scaffolder.catalog.listing import Filters, list_catalog, list_walk
    from scaffolder.catalog.sources import LocalCatalog, Reader
    from scaffolder.catalog.walk import load

    nested = write_entities(
        populated / "src" / "org",
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {"name": "org"},
            "spec": {"targets": ["../search/catalog-info.yaml", "./team.yaml"]},
        },
    )
    (nested.parent / "team.yaml").write_text("- not\n- a mapping\n")
    assert run_cli(["catalog", "register", nested]).code == 0
    chosen = Filters(**filters)
    catalog = LocalCatalog(catalog_file)
    for use_cache in (False, True, True):
        fast = list_catalog(catalog, chosen, use_cache=use_cache)
        with Reader() as reader:
            whole = list_walk(load(catalog, reader, use_cache=False), chosen)
        assert fast.to_json() == whole.to_json()
        assert all(row.kind.lower() != "location" for row in fast.rows)
