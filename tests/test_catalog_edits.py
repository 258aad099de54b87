"""Text edits of catalog files shared by the local file and catalogs on GitHub."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scaffolder.catalog import locations
from scaffolder.errors import CatalogFileError

#: The earlier layout: one scaffolder Location listing every target.
LEGACY = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: scaffolder-url-targets
spec:
  type: url
  targets:
    - https://github.com/acme/billing/blob/main/catalog-info.yaml
    # orders moved here from the monolith
    - https://github.com/acme/orders/blob/main/catalog-info.yaml
    - https://github.com/acme/search/blob/main/catalog-info.yaml  # keep last? no rule
"""


def url(name: str) -> str:
    return f"https://github.com/acme/{name}/blob/main/catalog-info.yaml"


def targets(text: str) -> list[str]:
    """Every target, in file order, whichever layout holds it."""
    found: list[str] = []
    for doc in yaml.safe_load_all(text):
        spec = doc["spec"] if doc else {}
        found += spec.get("targets") or ([spec["target"]] if "target" in spec else [])
    return found


def listed(*names: str) -> str:
    text = ""
    for name in names:
        text = locations.edit_register(text, url(name), target_type="url")
    return text


def test_each_target_gets_a_location_of_its_own():
    docs = list(yaml.safe_load_all(listed("billing", "orders")))
    assert [d["spec"] for d in docs] == [
        {"type": "url", "target": url("billing")},
        {"type": "url", "target": url("orders")},
    ]
    assert [d["metadata"]["name"] for d in docs] == [
        locations.location_name("url", url("billing")),
        locations.location_name("url", url("orders")),
    ]


def test_location_names_are_valid_backstage_names_and_distinct():
    pattern = r"^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$"
    targets_ = [
        url("billing"),
        "/srv/" + "x" * 200 + "/catalog-info.yaml",
        "/srv/Ünïcode  name/catalog-info.yaml",
        "/catalog-info.yaml",
        "./legacy/a.yaml",
    ]
    names = {locations.location_name("file", t) for t in targets_}
    assert len(names) == len(targets_)
    for name in names:
        assert len(name) <= 63 and re.match(pattern, name), name
    assert locations.location_name("url", url("billing")).startswith("scaffolder-acme-billing-")
    assert locations.location_name("file", "/a/b/c") != locations.location_name("url", "/a/b/c")


def test_sorted_placement_inserts_before_the_first_later_target():
    before = listed("billing", "orders", "search")
    text = locations.edit_register(before, url("ledger"), target_type="url", placement="sorted")
    assert targets(text) == [url("billing"), url("ledger"), url("orders"), url("search")]
    assert locations.edit_unregister(text, url("ledger")) == (before, True)


def test_sorted_placement_appends_what_sorts_last():
    before = listed("billing", "orders")
    text = locations.edit_register(before, url("wiki"), target_type="url", placement="sorted")
    assert targets(text)[-1] == url("wiki")
    assert text.startswith(before)


def test_default_placement_appends():
    before = listed("billing", "orders")
    text = locations.edit_register(before, url("aaa"), target_type="url")
    assert targets(text)[-1] == url("aaa")
    assert text.startswith(before)


def test_edits_are_idempotent_and_reversible():
    start = listed("billing", "orders")
    once = locations.edit_register(start, url("ledger"), target_type="url", placement="sorted")
    assert locations.edit_register(once, url("ledger"), target_type="url") == once
    back, found = locations.edit_unregister(once, url("ledger"))
    assert found and back == start
    assert locations.edit_unregister(start, url("ledger")) == (start, False)


def test_the_earlier_layout_is_read_as_it_is():
    assert [e.target for e in locations.entries_in(LEGACY)] == [
        url("billing"),
        url("orders"),
        url("search"),
    ]
    # Nothing to change: the file is not rewritten just to migrate it.
    assert locations.edit_register(LEGACY, url("orders"), target_type="url") == LEGACY
    assert locations.edit_unregister(LEGACY, url("ledger")) == (LEGACY, False)


def test_the_next_edit_migrates_the_earlier_layout_keeping_order_and_comments():
    text = locations.edit_register(LEGACY, url("ledger"), target_type="url", placement="sorted")
    docs = list(yaml.safe_load_all(text))
    assert [d["spec"] for d in docs] == [
        {"type": "url", "target": url(n)} for n in ("billing", "ledger", "orders", "search")
    ]
    assert all(d["metadata"]["name"] != "scaffolder-url-targets" for d in docs)
    # Each comment stays with the target it was written about.
    assert "---\n# orders moved here from the monolith\napiVersion:" in text
    assert "---\n# keep last? no rule\napiVersion:" in text
    assert text.index("# keep last") > text.index(url("orders"))


def test_unregister_migrates_the_earlier_layout_too():
    text, found = locations.edit_unregister(LEGACY, url("billing"))
    assert found
    docs = list(yaml.safe_load_all(text))
    assert [d["spec"] for d in docs] == [
        {"type": "url", "target": url("orders")},
        {"type": "url", "target": url("search")},
    ]
    assert "# orders moved here from the monolith" in text


def test_an_emptied_earlier_layout_document_goes_away_on_migration():
    empty = LEGACY.replace(LEGACY[LEGACY.index("  targets:") :], "  targets: []\n")
    text = locations.edit_register(empty, url("ledger"), target_type="url")
    assert [d["spec"] for d in yaml.safe_load_all(text) if d] == [
        {"type": "url", "target": url("ledger")}
    ]


def test_local_file_edits_refuse_a_github_catalog(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    remote = Path("github:acme/catalog/all.yaml")
    with pytest.raises(CatalogFileError, match="catalog on GitHub"):
        locations.register(remote, "/x/catalog-info.yaml", target_type="file")
    with pytest.raises(CatalogFileError, match="catalog on GitHub"):
        locations.unregister(remote, "/x/catalog-info.yaml")
    assert not any(tmp_path.iterdir())  # no local file named after it
