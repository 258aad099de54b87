"""The foundation's registration into the catalog file: Backstage-readable, idempotent, atomic,
locked, and respectful of what people wrote in it by hand."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from scaffolder.catalog import locations
from scaffolder.errors import CatalogFileError

HAND_WRITTEN = """\
# Our catalog. Do not remove the systems location!
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: systems   # hand-written
spec:
  type: url
  target: https://github.com/acme/catalog/blob/main/systems.yaml
---
# Components added by hand before scaffolder existed
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: legacy
spec:
  type: file
  targets:
    - ./legacy/a.yaml  # first
    - ./legacy/b.yaml
# trailing comment
"""


def test_new_file_is_a_backstage_location(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    assert locations.register(catalog, "/srv/a/catalog-info.yaml", target_type="file")
    (doc,) = yaml.safe_load_all(catalog.read_text())
    assert doc["apiVersion"] == "backstage.io/v1alpha1"
    assert doc["kind"] == "Location"
    assert doc["metadata"]["name"].startswith("scaffolder-a-")
    assert doc["spec"] == {"type": "file", "target": "/srv/a/catalog-info.yaml"}


def test_registering_twice_leaves_one_entry(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    assert locations.register(catalog, "/srv/a/catalog-info.yaml", target_type="file")
    before = catalog.read_bytes()
    assert not locations.register(catalog, "/srv/a/catalog-info.yaml", target_type="file")
    assert catalog.read_bytes() == before


def test_comments_order_and_hand_written_entries_are_kept(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(HAND_WRITTEN)
    locations.register(catalog, "/srv/new/catalog-info.yaml", target_type="file")
    locations.register(
        catalog, "https://github.com/acme/x/blob/main/catalog-info.yaml", target_type="url"
    )
    text = catalog.read_text()
    # Every original line is still there, in order: only lines were added.
    remaining = iter(text.splitlines())
    assert all(line in remaining for line in HAND_WRITTEN.splitlines())
    docs = list(yaml.safe_load_all(text))
    # The hand-written list is left as it is; each new target gets a Location of its own.
    assert docs[1]["spec"]["targets"] == ["./legacy/a.yaml", "./legacy/b.yaml"]
    assert [d["spec"] for d in docs[2:]] == [
        {"type": "file", "target": "/srv/new/catalog-info.yaml"},
        {"type": "url", "target": "https://github.com/acme/x/blob/main/catalog-info.yaml"},
    ]


def test_targets_with_yaml_special_characters_round_trip(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    odd = "/srv/it's: #odd [dir]/catalog-info.yaml"
    locations.register(catalog, odd, target_type="file")
    locations.register(catalog, "/srv/plain/catalog-info.yaml", target_type="file")
    assert [e.target for e in locations.read_entries(catalog)] == [
        odd,
        "/srv/plain/catalog-info.yaml",
    ]


def test_a_flow_style_hand_written_list_is_kept_and_can_be_unregistered_from(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    hand = "kind: Location\nmetadata: {name: x}\nspec: {type: file, targets: [/a.yaml]}  # mine\n"
    catalog.write_text(hand)
    locations.register(catalog, "/b.yaml", target_type="file")
    docs = list(yaml.safe_load_all(catalog.read_text()))
    assert [d["spec"] for d in docs] == [
        {"type": "file", "targets": ["/a.yaml"]},
        {"type": "file", "target": "/b.yaml"},
    ]
    assert catalog.read_text().startswith(hand)
    assert locations.unregister(catalog, "/a.yaml")
    assert yaml.safe_load_all(catalog.read_text()).__next__()["spec"]["targets"] == []
    assert "# mine" in catalog.read_text()


def test_publish_moves_an_entry_from_file_to_url(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    locations.register(catalog, "/srv/a/catalog-info.yaml", target_type="file")
    locations.register(catalog, "/srv/b/catalog-info.yaml", target_type="file")
    url = "https://github.com/acme/a/blob/main/catalog-info.yaml"
    assert locations.register(
        catalog, url, target_type="url", replaces=("/srv/a/catalog-info.yaml",)
    )
    entries = [(e.type, e.target) for e in locations.read_entries(catalog)]
    assert entries == [("file", "/srv/b/catalog-info.yaml"), ("url", url)]


def test_unregister_removes_the_targets_location_and_keeps_the_others(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    for name in "abc":
        locations.register(catalog, f"/srv/{name}/catalog-info.yaml", target_type="file")
    for name in "ba":  # the middle one, then the first one
        assert locations.unregister(catalog, f"/srv/{name}/catalog-info.yaml")
        assert not locations.unregister(catalog, f"/srv/{name}/catalog-info.yaml")
    text = catalog.read_text()
    assert text.startswith(locations.HEADER)
    (doc,) = yaml.safe_load_all(text)
    assert doc["spec"] == {"type": "file", "target": "/srv/c/catalog-info.yaml"}
    assert locations.unregister(catalog, "/srv/c/catalog-info.yaml")
    assert catalog.read_text() == locations.HEADER  # a valid catalog with no documents
    assert locations.read_entries(catalog) == []


@pytest.mark.parametrize(
    "content,line",
    [
        ("kind: Location\nspec:\n  targets: [unclosed\n", 4),
        ("kind: Component\nmetadata: {name: x}\n", 1),
        ("- just a list\n", 1),
        ("kind: Location\nmetadata: {name: x}\nspec: {type: file, targets: 3}\n", 3),
    ],
)
def test_broken_file_is_refused_with_its_line_and_left_untouched(tmp_path, content, line):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(content)
    with pytest.raises(CatalogFileError) as exc:
        locations.register(catalog, "/x.yaml", target_type="file")
    assert f"{catalog}:{line}" in exc.value.message
    assert catalog.read_text() == content


def test_concurrent_registrations_lose_nothing(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("# shared catalog\n")
    targets = [f"/srv/svc-{i}/catalog-info.yaml" for i in range(30)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda t: locations.register(catalog, t, target_type="file"), targets))
    assert sorted(e.target for e in locations.read_entries(catalog)) == sorted(targets)
    assert catalog.read_text().startswith("# shared catalog\n")
    # Atomic writes leave no temp files behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.yaml", "catalog.yaml.lock"]
