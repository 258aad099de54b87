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
    assert doc["metadata"]["name"] == "scaffolder-file-targets"
    assert doc["spec"] == {"type": "file", "targets": ["/srv/a/catalog-info.yaml"]}


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
    assert docs[1]["spec"]["targets"] == [
        "./legacy/a.yaml",
        "./legacy/b.yaml",
        "/srv/new/catalog-info.yaml",
    ]
    assert docs[2]["spec"] == {
        "type": "url",
        "targets": ["https://github.com/acme/x/blob/main/catalog-info.yaml"],
    }


def test_targets_with_yaml_special_characters_round_trip(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    odd = "/srv/it's: #odd [dir]/catalog-info.yaml"
    locations.register(catalog, odd, target_type="file")
    locations.register(catalog, "/srv/plain/catalog-info.yaml", target_type="file")
    assert [e.target for e in locations.read_entries(catalog)] == [
        odd,
        "/srv/plain/catalog-info.yaml",
    ]


def test_flow_style_targets_are_extended(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "kind: Location\nmetadata: {name: x}\nspec: {type: file, targets: []}  # empty\n"
    )
    locations.register(catalog, "/a.yaml", target_type="file")
    locations.register(catalog, "/b.yaml", target_type="file")
    assert yaml.safe_load(catalog.read_text())["spec"]["targets"] == ["/a.yaml", "/b.yaml"]
    assert "# empty" in catalog.read_text()


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


def test_unregister_last_block_target_leaves_a_valid_location(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    locations.register(catalog, "/srv/a/catalog-info.yaml", target_type="file")
    assert locations.unregister(catalog, "/srv/a/catalog-info.yaml")
    (doc,) = yaml.safe_load_all(catalog.read_text())
    assert doc["spec"]["targets"] == []
    assert not locations.unregister(catalog, "/srv/a/catalog-info.yaml")


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
