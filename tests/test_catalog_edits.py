"""Text edits of catalog files shared by the local file and catalogs on GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scaffolder.catalog import locations
from scaffolder.errors import CatalogFileError

LISTED = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: services
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
    return yaml.safe_load(text)["spec"]["targets"]


def test_sorted_placement_inserts_before_the_first_later_target():
    text = locations.edit_register(LISTED, url("ledger"), target_type="url", placement="sorted")
    assert targets(text) == [url("billing"), url("ledger"), url("orders"), url("search")]
    # the comment introducing `orders` stays right above it
    assert "    - " + url("ledger") + "\n    # orders moved here" in text
    assert text.replace("    - " + url("ledger") + "\n", "") == LISTED


def test_sorted_placement_appends_what_sorts_last():
    text = locations.edit_register(LISTED, url("wiki"), target_type="url", placement="sorted")
    assert targets(text)[-1] == url("wiki")
    assert text.startswith(LISTED)


def test_default_placement_appends():
    text = locations.edit_register(LISTED, url("aaa"), target_type="url")
    assert targets(text)[-1] == url("aaa")
    assert text.startswith(LISTED)


def test_edits_are_idempotent_and_reversible():
    once = locations.edit_register(LISTED, url("ledger"), target_type="url", placement="sorted")
    assert locations.edit_register(once, url("ledger"), target_type="url") == once
    back, found = locations.edit_unregister(once, url("ledger"))
    assert found and back == LISTED
    assert locations.edit_unregister(LISTED, url("ledger")) == (LISTED, False)


def test_local_file_edits_refuse_a_github_catalog(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    remote = Path("github:acme/catalog/all.yaml")
    with pytest.raises(CatalogFileError, match="catalog on GitHub"):
        locations.register(remote, "/x/catalog-info.yaml", target_type="file")
    with pytest.raises(CatalogFileError, match="catalog on GitHub"):
        locations.unregister(remote, "/x/catalog-info.yaml")
    assert not any(tmp_path.iterdir())  # no local file named after it
