"""The entity cache: used when a file is unchanged, never trusted over it, never an error.

Entity files are backdated (the cache does not store a file modified in the last two
seconds), listed once to fill the cache, then changed or the cache damaged, and listed again
through the real CLI.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from scaffolder.backstage.documents import kind_of, ref_of
from scaffolder.catalog import cache as entity_cache
from scaffolder.catalog.facts import ROW_FIELDS, decode, facts_of
from tests.catalog_helpers import component

PAST = time.time() - 3600


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(folder))
    return folder


def backdate(path: Path, when: float = PAST) -> None:
    os.utime(path, (when, when))


@pytest.fixture
def services(tmp_path: Path, run_cli) -> list[Path]:
    """Three registered components, older than the cache's window."""
    infos = []
    for name, lifecycle in (
        ("billing", "production"),
        ("orders", "production"),
        ("search", "deprecated"),
    ):
        info = component(tmp_path / "projects", name, lifecycle=lifecycle)
        assert run_cli(["catalog", "register", info]).code == 0
        backdate(info)
        infos.append(info)
    return infos


def lifecycles(run_cli, *flags: str) -> dict[str, str]:
    result = run_cli(["catalog", "list", "--json", *flags])
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return {row["name"]: row["lifecycle"] for row in result.json()["result"]["entities"]}


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "catalog-entities").glob("*.json"))


def read_cache(file: Path) -> dict:
    """The cache file as data: its header, and each file's fields by path (none escaped here).

    The walk snapshot's lines (they start with a tab) are left out: written back, the file has
    none, and its files' lines are what a list reads.
    """
    header, *lines = file.read_text().splitlines()
    entries = {}
    for line in lines:
        path, *entry = line.split("\t")
        if path:
            entries[path] = entry
    return {"header": json.loads(header), "files": entries}


def write_cache(file: Path, data: dict) -> None:
    lines = [json.dumps(data["header"])]
    lines += [
        f"{p}\t" + (e if isinstance(e, str) else "\t".join(map(str, e)))
        for p, e in data["files"].items()
    ]
    file.write_text("\n".join(lines) + "\n")


def cached_paths(cache_dir: Path) -> set[str]:
    (file,) = cache_files(cache_dir)
    return set(read_cache(file)["files"])


EXPECTED = {"billing": "production", "orders": "production", "search": "deprecated"}


def test_a_list_fills_a_private_cache_and_the_next_list_reads_the_same(
    run_cli, services, cache_dir
):
    assert lifecycles(run_cli) == EXPECTED
    (file,) = cache_files(cache_dir)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert cached_paths(cache_dir) == {str(p) for p in services}
    assert lifecycles(run_cli) == EXPECTED
    assert lifecycles(run_cli, "--no-cache") == EXPECTED


def test_no_cache_and_the_environment_variable_write_no_cache(
    run_cli, services, cache_dir, monkeypatch
):
    assert lifecycles(run_cli, "--no-cache") == EXPECTED
    monkeypatch.setenv("SCAFFOLDER_NO_CACHE", "1")
    assert lifecycles(run_cli) == EXPECTED
    assert cache_files(cache_dir) == []


def test_a_file_modified_just_now_is_not_stored(run_cli, tmp_path, cache_dir):
    fresh = component(tmp_path / "projects", "fresh")
    assert run_cli(["catalog", "register", fresh]).code == 0
    assert lifecycles(run_cli) == {"fresh": "experimental"}
    assert str(fresh) not in (cached_paths(cache_dir) if cache_files(cache_dir) else set())


def _rewrite_same_size_new_mtime(info: Path) -> None:
    info.write_text(info.read_text().replace("production", "deprecated"))
    backdate(info, PAST + 10)


def _rewrite_new_size_same_mtime(info: Path) -> None:
    info.write_text(info.read_text().replace("production", "experimental"))
    backdate(info)


def _replace_by_another_inode(info: Path) -> None:
    other = info.with_name("new.yaml")
    other.write_text(info.read_text().replace("production", "deprecated"))
    backdate(other)
    other.replace(info)


@pytest.mark.parametrize(
    ("change", "now"),
    [
        (_rewrite_same_size_new_mtime, "deprecated"),
        (_rewrite_new_size_same_mtime, "experimental"),
        (_replace_by_another_inode, "deprecated"),
    ],
    ids=["same-size-new-mtime", "same-mtime-new-size", "new-inode"],
)
def test_a_changed_entity_file_is_read_again(run_cli, services, cache_dir, change, now):
    assert lifecycles(run_cli) == EXPECTED
    assert str(services[0]) in cached_paths(cache_dir)
    before = services[0].stat()
    change(services[0])
    after = services[0].stat()
    assert (after.st_size == before.st_size) or (after.st_mtime_ns == before.st_mtime_ns)

    assert lifecycles(run_cli) == {**EXPECTED, "billing": now}
    assert lifecycles(run_cli) == {**EXPECTED, "billing": now}  # and the cache was updated


def test_a_deleted_entity_file_is_reported_not_served_from_the_cache(run_cli, services, cache_dir):
    assert lifecycles(run_cli) == EXPECTED
    services[1].unlink()
    result = run_cli(["catalog", "list", "--json"])
    assert result.code == 0
    payload = result.json()["result"]
    assert [r["name"] for r in payload["entities"]] == ["billing", "search"]
    assert [u["reason"] for u in payload["unreadable"]] == ["no such file"]


def _valid_cache(cache_dir: Path) -> tuple[Path, dict]:
    (file,) = cache_files(cache_dir)
    return file, read_cache(file)


#: Where the first document's line and lifecycle are in a file's fields after its path: 5
#: stamp values, the document count, the line, three counts, then the row
#: (`facts.ROW_FIELDS`).
LINE = 6
LIFECYCLE = 10 + ROW_FIELDS.index("lifecycle")


def _tampered(data: dict) -> dict:
    """The cache with every entity's lifecycle changed: served, it would show."""
    for entry in data["files"].values():
        entry[LIFECYCLE] = "tampered"
    return data


def _garbage(file: Path, data: dict) -> None:
    file.write_bytes(os.urandom(4096))


def _truncated(file: Path, data: dict) -> None:
    body = file.read_bytes()
    file.write_bytes(body[: len(body) // 2])


def _wrong_shape(file: Path, data: dict) -> None:
    file.write_text(json.dumps([1, 2, 3]) + "\n" + file.read_text().split("\n", 1)[1])


def _bad_entries(file: Path, data: dict) -> None:
    first, second, third = data["files"]
    data["files"][first] = "not an entry"
    data["files"][second][LINE] = "seven"  # not a number
    data["files"][third] = data["files"][third][:LIFECYCLE]  # cut short
    write_cache(file, data)


def _foreign_version(file: Path, data: dict) -> None:
    data["header"]["version"] = "someone-else"
    write_cache(file, _tampered(data))


def _huge(file: Path, data: dict) -> None:
    with file.open("ab") as handle:
        handle.truncate(entity_cache.MAX_BYTES + 1)


def _symlink(file: Path, data: dict) -> None:
    elsewhere = file.parent.parent / "elsewhere.json"
    write_cache(elsewhere, _tampered(data))
    file.unlink()
    file.symlink_to(elsewhere)


def _deep(file: Path, data: dict) -> None:
    header, entry = file.read_text().splitlines()[:2]
    path = entry.split("\t")[0]
    file.write_text(f"{header}\n{path}\t" + "[" * 100_000 + "]" * 100_000 + "\n")


def _tabs_and_blank_lines(file: Path, data: dict) -> None:
    header, *lines = file.read_text().splitlines()
    file.write_text("\n".join([header, "", "no tab here", "\t\t\t", *lines[1:]]) + "\n")


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _truncated,
        _wrong_shape,
        _bad_entries,
        _foreign_version,
        _huge,
        _symlink,
        _deep,
        _tabs_and_blank_lines,
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(run_cli, services, cache_dir, damage):
    assert lifecycles(run_cli) == EXPECTED
    file, data = _valid_cache(cache_dir)
    damage(file, data)

    assert lifecycles(run_cli) == EXPECTED
    assert not file.is_symlink()
    assert cached_paths(cache_dir) == {str(p) for p in services}
    assert lifecycles(run_cli) == EXPECTED


def test_the_cache_is_what_a_warm_list_reads(run_cli, services, cache_dir):
    """The cache is used (not only written): a tampered one shows. That is why it is 0600."""
    assert lifecycles(run_cli) == EXPECTED
    file, data = _valid_cache(cache_dir)
    write_cache(file, _tampered(data))
    assert set(lifecycles(run_cli).values()) == {"tampered"}
    assert lifecycles(run_cli, "--no-cache") == EXPECTED


def test_one_cache_file_serves_a_catalog_however_its_path_is_written(
    run_cli, services, cache_dir, catalog_file, monkeypatch
):
    """`--catalog catalog.yaml` from its folder is the same catalog as its absolute path: one
    cache file, whose per-file lines serve both (its snapshot matches one spelling only)."""
    monkeypatch.chdir(catalog_file.parent)
    assert lifecycles(run_cli, "--catalog", catalog_file.name) == EXPECTED
    file, data = _valid_cache(cache_dir)
    write_cache(file, _tampered(data))  # without the snapshot's lines: the files' lines only
    assert set(lifecycles(run_cli, "--catalog", str(catalog_file)).values()) == {"tampered"}
    assert set(lifecycles(run_cli, "--catalog", f"./{catalog_file.name}").values()) == {"tampered"}
    assert cache_files(cache_dir) == [file]
    assert lifecycles(run_cli, "--no-cache", "--catalog", catalog_file.name) == EXPECTED


def test_an_unusable_cache_folder_still_lists(run_cli, services, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(blocker / "cache"))
    assert lifecycles(run_cli) == EXPECTED
    assert lifecycles(run_cli) == EXPECTED


def test_validate_and_unregister_by_reference_agree_warm_and_cold(
    run_cli, tmp_path, services, cache_dir
):
    bad = component(tmp_path / "projects", "broken")
    assert run_cli(["catalog", "register", bad]).code == 0
    component(tmp_path / "projects", "broken", system="Not Valid!")  # broken after registering
    backdate(bad)

    def validate(*flags: str) -> dict:
        result = run_cli(["catalog", "validate", "--json", *flags])
        assert result.code == 1, result.stderr
        return result.json()["result"]

    cold = validate()
    assert cold["problems"], cold
    assert validate() == cold
    assert validate("--no-cache") == cold

    result = run_cli(["catalog", "unregister", "component:orders", "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"]["target"] == str(services[1])
    assert lifecycles(run_cli) == {
        "billing": "production",
        "search": "deprecated",
        "broken": "experimental",
    }


@pytest.mark.parametrize(
    "data",
    [
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"}},
        {
            "kind": "Location",
            "metadata": {"name": "l", "namespace": "ns"},
            "spec": {"type": "url", "targets": ["a", 3, "", "b"], "target": "t"},
        },
        {"kind": "Location", "spec": "nope"},
        {"kind": "System", "metadata": {"name": 3}, "spec": {"owner": "x", "domain": ["d"]}},
        {
            "kind": "Component",
            "metadata": {"name": "c", "annotations": {"github.com/project-slug": "a/b"}},
            "spec": {"dependsOn": ["resource:x", 1, "component:y"], "owner": "group:g"},
        },
        ["not", "a", "mapping"],
        "text",
        None,
    ],
)
def test_facts_read_back_from_the_cache_format_as_they_were(data):
    facts = facts_of(data, 3)
    out: list = [0]
    facts.encode(out)
    facts.encode(out)
    out = [str(v) for v in out]  # the cache holds text fields
    first, at = decode(out, 1, {})
    second, end = decode(out, at, {})
    assert first == second == facts
    assert end == len(out)
    assert (facts.ref, facts.kind) == (ref_of(data), kind_of(data))
