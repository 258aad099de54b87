"""The cache of catalog texts known to be in scaffolder's layout: it saves the whole-file check
of `register` and `unregister PATH`, is keyed by the file's content, and is never an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scaffolder.catalog import checked, fastscan, locations, yamltext
from scaffolder.errors import CatalogFileError

NEW = "/srv/projects/new/catalog-info.yaml"


def layout(n: int) -> str:
    return locations.HEADER + "---\n".join(
        yamltext.document("file", f"/srv/p{i}/catalog-info.yaml") for i in range(n)
    )


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many whole-file checks (`fastscan.verify` of a whole catalog) ran."""
    calls: list[int] = []
    real = fastscan.verify

    def counted(text: str, limits):  # type: ignore[no-untyped-def]
        calls.append(len(text))
        return real(text, limits)

    monkeypatch.setattr(fastscan, "verify", counted)
    return calls


def big(calls: list[int], floor: int = 2000) -> int:
    """The checks of a whole file (the guards check a new document or a window only)."""
    return sum(size > floor for size in calls)


def test_an_edit_of_a_text_already_checked_checks_it_no_more(tmp_path, cache_dir, checks):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(layout(40))
    assert locations.register(catalog, NEW, target_type="file")
    assert big(checks) == 1
    # The file it wrote is known too: a second edit, then back to the first text.
    assert locations.unregister(catalog, "/srv/p3/catalog-info.yaml")
    assert locations.register(catalog, "/srv/other/catalog-info.yaml", target_type="file")
    catalog.write_text(layout(40))
    assert not locations.register(catalog, "/srv/p5/catalog-info.yaml", target_type="file")
    assert locations.unregister(catalog, "/srv/p5/catalog-info.yaml")
    assert big(checks) == 1
    assert (cache_dir / "catalog-layout.json").stat().st_mode & 0o777 == 0o600


def test_a_changed_text_is_checked_again_and_takes_the_full_path(tmp_path, cache_dir, checks):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(layout(40))
    locations.register(catalog, NEW, target_type="file")
    # One byte more: a hand-written document, which only the full path may edit.
    hand = "---\n" + yamltext.document("file", NEW).replace("scaffolder-new-", "platform-")
    text = catalog.read_text() + hand.replace(NEW, "/srv/hand/catalog-info.yaml")
    catalog.write_text(text)
    want = locations.edit_register(text, "/srv/z/catalog-info.yaml", target_type="file")
    before = big(checks)
    assert locations.register(catalog, "/srv/z/catalog-info.yaml", target_type="file")
    assert catalog.read_text() == want
    assert big(checks) > before  # checked again
    # The same size, one character changed, breaking the layout: refused as without cache.
    catalog.write_text(layout(40))
    locations.register(catalog, NEW, target_type="file")
    broken = catalog.read_text().replace("kind: Location", "kind: Locatiom", 1)
    catalog.write_text(broken)
    with pytest.raises(CatalogFileError, match="expected a Location entity"):
        locations.unregister(catalog, NEW)
    assert catalog.read_text() == broken


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00\xffgarbage",
        b"[1, 2, 3]",
        b'{"format": "scaffolder-catalog-layout/1", "version": "x", "texts": {}}',
        b'{"format": "scaffolder-catalog-layout/1", "texts": []}',
        b"{" * 100_000,
        b'{"a": "' + b"x" * (checked.MAX_BYTES + 10) + b'"}',
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(tmp_path, cache_dir, damage, run_cli):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(layout(5))
    cache_dir.mkdir()
    (cache_dir / "catalog-layout.json").write_bytes(damage)
    project = tmp_path / "new"
    project.mkdir()
    (project / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: new\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:team\n"
    )
    result = run_cli(["catalog", "register", str(project), "--catalog", str(catalog)])
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert str(project / "catalog-info.yaml") in catalog.read_text()
    stored = json.loads((cache_dir / "catalog-layout.json").read_bytes())
    assert len(stored["texts"]) == 2  # the text read and the one written


def test_a_forged_entry_for_another_version_of_the_check_is_not_used(tmp_path, cache_dir):
    """An entry claims a broken text is in the layout; a cache of another version is ignored."""
    catalog = tmp_path / "catalog.yaml"
    text = layout(3).replace("kind: Location", "kind: Locatiom", 1)
    catalog.write_text(text)
    import hashlib

    cache_dir.mkdir()
    digest = hashlib.sha256(text.encode()).hexdigest()
    (cache_dir / "catalog-layout.json").write_text(
        json.dumps(
            {"format": "scaffolder-catalog-layout/1", "version": "old", "texts": {digest: 3}}
        )
    )
    with pytest.raises(CatalogFileError, match="expected a Location entity"):
        locations.unregister(catalog, "/srv/p1/catalog-info.yaml")


def test_a_symlinked_or_unwritable_cache_is_not_used(tmp_path, cache_dir, checks):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(layout(40))
    elsewhere = tmp_path / "elsewhere.json"
    locations.register(catalog, NEW, target_type="file")
    (cache_dir / "catalog-layout.json").rename(elsewhere)
    (cache_dir / "catalog-layout.json").symlink_to(elsewhere)
    catalog.write_text(layout(40))
    locations.register(catalog, NEW, target_type="file")
    assert big(checks) == 2  # the link was not followed
    (cache_dir / "catalog-layout.json").unlink()
    cache_dir.chmod(0o500)
    try:
        if os.access(cache_dir, os.W_OK):  # root writes anyway: a file in the way instead
            cache_dir.chmod(0o700)
            (cache_dir / "catalog-layout.json").mkdir()
        catalog.write_text(layout(40))
        assert locations.register(catalog, NEW, target_type="file")
        assert locations.unregister(catalog, NEW)
        assert catalog.read_text() == layout(40)
    finally:
        cache_dir.chmod(0o700)


def test_no_cache_means_none_read_or_written(tmp_path, cache_dir, checks, monkeypatch):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(layout(40))
    assert locations.unregister(catalog, "/srv/p1/catalog-info.yaml", use_cache=False)
    assert not (cache_dir / "catalog-layout.json").exists()
    monkeypatch.setenv("SCAFFOLDER_NO_CACHE", "1")
    catalog.write_text(layout(40))
    locations.register(catalog, NEW, target_type="file")
    catalog.write_text(layout(40))
    locations.register(catalog, NEW, target_type="file")
    assert big(checks) == 3
    assert not (cache_dir / "catalog-layout.json").exists()


def test_a_text_over_the_caps_is_not_remembered(cache_dir):
    data = layout(3).encode()
    check = checked.LayoutCheck(data, max_values=3 * fastscan.VALUES_PER_DOC)
    assert check.count(lambda: 3) == 3
    check.wrote([(0, len(data)), b"---\n" + yamltext.document("file", NEW).encode()], 4)
    check.wrote([(0, 10)], 3)
    assert list(check.cache.texts.values()) == [3, 3]


def test_the_cache_keeps_the_newest_texts(cache_dir):
    check = checked.LayoutCheck(b"", max_values=1 << 20)
    for i in range(checked.KEEP + 5):
        check.wrote([f"text {i}".encode()], i)
    assert sorted(check.cache.texts.values()) == list(range(5, checked.KEEP + 5))


def test_unregister_by_path_finds_its_target_in_a_known_text_unchecked(
    tmp_path, cache_dir, checks, run_cli
):
    catalog = tmp_path / "catalog.yaml"
    args = ["catalog", "unregister", "/srv/p3/catalog-info.yaml", "--catalog", str(catalog)]
    want = locations.edit_unregister(layout(40), args[2])[0]
    catalog.write_text(layout(40))
    assert run_cli(args).code == 0
    first = big(checks)
    catalog.write_text(layout(40))
    assert run_cli(args).code == 0
    assert big(checks) == first  # neither the lookup nor the edit checked it again
    assert catalog.read_text() == want
    assert run_cli([*args, "--no-cache"]).code == 2  # gone: not registered
    assert big(checks) == first + 1
