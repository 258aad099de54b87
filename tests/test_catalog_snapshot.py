"""The walk snapshot: an unchanged catalog is walked from it, and nothing changed is served.

A catalog of varied entities (several documents in a file, one that is not a mapping, nested
Locations with relative targets, a target listed twice, an entity with a problem) is written
and backdated (a file modified in the last two seconds is never stored), walked once to
fill the cache, then changed, or the snapshot damaged, and walked again through the real CLI.
What a walk from the snapshot gives must be what a walk without any cache gives.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from pathlib import Path

import pytest

from tests.catalog_helpers import component, entity, write_entities

PAST = time.time() - 3600


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(folder))
    return folder


def backdate(root: Path, when: float = PAST) -> None:
    for path in [root, *(root.rglob("*") if root.is_dir() else ())]:
        if path.is_file():
            os.utime(path, (when, when))


@pytest.fixture
def varied(run_cli, tmp_path: Path, catalog_file: Path, cache_dir: Path) -> dict[str, Path]:
    src = tmp_path / "src"
    paths = {
        "billing": component(src, "billing", lifecycle="production"),
        "orders": component(src, "orders", lifecycle="production", system="shop"),
        "broken": component(src, "broken", lifecycle="deprecated"),
        "pair": write_entities(
            src / "pair",
            entity(
                "pair-api", "API", type="openapi", lifecycle="production", owner="x", definition="d"
            ),
            entity("pair-svc", lifecycle="experimental", owner="group:payments"),
        ),
    }
    write_entities(src / "org" / "teams", entity("payments", "Group", type="team", children=[]))
    component(src / "org" / "services", "api", lifecycle="production", owner="payments")
    paths["org"] = write_entities(
        src / "org",
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {"name": "org"},
            "spec": {"targets": ["./teams/catalog-info.yaml", "services/api/catalog-info.yaml"]},
        },
        filename="all.yaml",
    )
    for path in paths.values():
        assert run_cli(["catalog", "register", path]).code == 0, path
    component(src, "broken", lifecycle="deprecated", system="Not Valid!")  # broken since
    paths["pair"].write_text(paths["pair"].read_text() + "---\n- not\n- a mapping\n")
    catalog_file.write_text(
        catalog_file.read_text()
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: again\n"
        + f"spec:\n  type: file\n  targets:\n    - {paths['billing'].parent}/../billing/"
        + "catalog-info.yaml\n"
    )
    backdate(tmp_path)
    backdate(catalog_file)
    return paths


def outputs(run_cli, *flags: str) -> list[object]:
    """What list (all, and filtered), validate and the table say."""
    seen: list[object] = []
    for args in (["list", "--json"], ["list", "--lifecycle", "production", "--json"]):
        result = run_cli(["catalog", *args, *flags])
        assert result.code == 0, result.stderr
        seen.append(result.json()["result"])
    result = run_cli(["catalog", "validate", "--json", *flags])
    assert result.code == 1, result.stderr
    seen.append(result.json()["result"])
    result = run_cli(["catalog", "list", *flags])
    assert "Traceback" not in result.stderr
    seen.append(result.stdout)
    return seen


def cache_file(cache_dir: Path) -> Path:
    (file,) = (cache_dir / "catalog-entities").glob("*.json")
    return file


def header(cache_dir: Path) -> dict:
    with cache_file(cache_dir).open("rb") as handle:
        return json.loads(handle.readline())


def rewrite_snapshot(cache_dir: Path, change) -> None:
    """Apply `change(meta, body) -> (meta, body)` to the snapshot, keeping its checksum right."""
    file = cache_file(cache_dir)
    data = file.read_bytes()
    first = data.index(b"\n") + 1
    head = json.loads(data[:first])
    meta = head["walk"]
    body = data[first : first + meta["bytes"]]
    rest = data[first + meta["bytes"] :]
    meta, body = change(meta, body)
    meta = {**meta, "bytes": len(body), "crc": zlib.crc32(body)}
    file.write_bytes(json.dumps({**head, "walk": meta}).encode() + b"\n" + body + rest)


def test_a_walk_from_the_snapshot_gives_what_a_walk_without_cache_gives(run_cli, varied, cache_dir):
    expected = outputs(run_cli, "--no-cache")
    assert expected[2]["problems"]  # the broken system, the duplicate target
    assert outputs(run_cli) == expected  # fills the cache
    assert header(cache_dir)["walk"] is not None
    assert outputs(run_cli) == expected  # from the snapshot
    result = run_cli(["catalog", "unregister", "component:orders", "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"]["target"] == str(varied["orders"])
    result = run_cli(["catalog", "unregister", "api:pair-api", "--json"])
    assert result.json()["result"]["entities"] == [
        "api:default/pair-api",
        "component:default/pair-svc",
    ]


def test_the_snapshot_is_what_a_warm_walk_reads(run_cli, varied, cache_dir):
    """Used, not only written: a tampered one shows (that is why the cache is 0600)."""
    expected = outputs(run_cli)

    def tamper(meta: dict, body: bytes) -> tuple[dict, bytes]:
        return meta, body.replace(b"\tproduction", b"\ttampered")

    rewrite_snapshot(cache_dir, tamper)
    listed = run_cli(["catalog", "list", "--json"]).json()["result"]["entities"]
    assert {row["lifecycle"] for row in listed} >= {"tampered"}
    assert outputs(run_cli, "--no-cache") == expected


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--kind", "API"],
        ["--kind", "component", "--lifecycle", "PRODUCTION"],
        ["--type", "openapi"],
        ["--owner", "payments"],
        ["--owner", "group:default/payments"],
        ["--owner", "x", "--owner", "user:nobody"],
        ["--system", "shop"],
        ["--system", "system:default/SHOP", "--lifecycle", "production"],
        ["--lifecycle", "experimental", "--owner", "group:payments"],
        ["--kind", "location"],
        ["--type", "nothing"],
    ],
)
def test_a_filtered_listing_from_the_snapshot_is_the_listing_without_cache(
    run_cli, varied, cache_dir, flags
):
    """The snapshot decides which rows to make from its columns (`Keep.mask`), before any
    facts are made: that must be what the filters say of each entity walked."""

    def listing(*more: str) -> dict:
        result = run_cli(["catalog", "list", "--json", *flags, *more])
        assert result.code == 0, result.stderr
        return result.json()["result"]

    expected = listing("--no-cache")
    assert listing() == expected  # fills the cache
    assert header(cache_dir)["walk"] is not None
    assert listing() == expected  # from the snapshot

    def tamper(meta: dict, body: bytes) -> tuple[dict, bytes]:
        return meta, body.replace(b"\tbilling\t", b"\tbilling-from-the-snapshot\t")

    rewrite_snapshot(cache_dir, tamper)
    names = [row["name"] for row in listing()["entities"]]
    assert ("billing-from-the-snapshot" in names) == any(
        row["name"] == "billing" for row in expected["entities"]
    )


def _same_size_new_mtime(paths: dict[str, Path]) -> None:
    info = paths["billing"]
    info.write_text(info.read_text().replace("production", "deprecated"))
    backdate(info, PAST + 10)


def _new_size_same_mtime(paths: dict[str, Path]) -> None:
    info = paths["billing"]
    info.write_text(info.read_text().replace("production", "experimental"))
    backdate(info)


def _another_inode(paths: dict[str, Path]) -> None:
    info = paths["billing"]
    other = info.with_name("new.yaml")
    other.write_text(info.read_text().replace("production", "deprecated"))
    backdate(other)
    other.replace(info)


def _second_file_of_several_documents(paths: dict[str, Path]) -> None:
    """A file of several documents: its stamp is on its first row, the rows after it say
    "the same file" (an empty cell)."""
    pair = paths["pair"]
    pair.write_text(pair.read_text().replace("experimental", "production"))
    backdate(pair, PAST + 10)


def _deleted(paths: dict[str, Path]) -> None:
    paths["orders"].unlink()


def _nested_location_changed(paths: dict[str, Path]) -> None:
    org = paths["org"]
    org.write_text(org.read_text().replace("- ./teams/catalog-info.yaml\n", ""))
    backdate(org, PAST + 10)


def _catalog_changed(paths: dict[str, Path]) -> None:
    catalog = Path(os.environ["SCAFFOLDER_CATALOG"])
    text = catalog.read_text()
    catalog.write_text(text.replace(str(paths["orders"]), str(paths["broken"]), 1))
    backdate(catalog, PAST + 10)


def _modified_just_now(paths: dict[str, Path]) -> None:
    info = paths["billing"]
    info.write_text(info.read_text().replace("production", "deprecated"))


@pytest.mark.parametrize(
    "change",
    [
        _same_size_new_mtime,
        _new_size_same_mtime,
        _another_inode,
        _second_file_of_several_documents,
        _deleted,
        _nested_location_changed,
        _catalog_changed,
        _modified_just_now,
    ],
)
@pytest.mark.parametrize("helpers", [False, True], ids=["here", "helpers"])
def test_nothing_changed_is_served_from_the_snapshot(
    run_cli, varied, cache_dir, change, helpers, monkeypatch
):
    """Also with every file's stamp checked by helper processes (`stamps.py`), as a catalog of
    tens of thousands of files is on a machine of several cores."""
    if helpers:
        from scaffolder.catalog import stamps

        monkeypatch.setattr(stamps, "PARALLEL_FROM", 2)
        monkeypatch.setattr(stamps, "_cores", lambda: 3)
        started = []
        real_start = stamps._start

        def counted(share: list[str]):
            started.append(len(share))
            return real_start(share)

        monkeypatch.setattr(stamps, "_start", counted)
    outputs(run_cli)
    assert header(cache_dir)["walk"] is not None
    change(varied)
    expected = outputs(run_cli, "--no-cache")
    assert outputs(run_cli) == expected
    assert outputs(run_cli) == expected
    if helpers:
        assert started  # the stamps were shared out


def _flipped_byte(meta: dict, body: bytes) -> tuple[dict, bytes]:
    return {**meta, "crc": 0}, body  # rewritten with the right one: see below


def _wrong_blocks(meta: dict, body: bytes) -> tuple[dict, bytes]:
    return {**meta, "blocks": [meta["blocks"][0] + 1]}, body


def _short_column(meta: dict, body: bytes) -> tuple[dict, bytes]:
    first, rest = body.split(b"\n", 1)
    return meta, first.rsplit(b"\t", 1)[0] + b"\n" + rest


def _bad_number(meta: dict, body: bytes) -> tuple[dict, bytes]:
    return {**meta, "problems": []}, body  # every document's problems: out of range


def _foreign_catalog(meta: dict, body: bytes) -> tuple[dict, bytes]:
    return {**meta, "catalog": "/elsewhere/catalog.yaml"}, body


def _other_home(meta: dict, body: bytes) -> tuple[dict, bytes]:
    return {**meta, "context": ["/home/someone-else", meta["context"][1]]}, body


@pytest.mark.parametrize(
    "damage",
    [_wrong_blocks, _short_column, _bad_number, _foreign_catalog, _other_home],
)
def test_a_damaged_or_foreign_snapshot_is_ignored(run_cli, varied, cache_dir, damage):
    expected = outputs(run_cli)

    def tampered(meta: dict, body: bytes) -> tuple[dict, bytes]:
        meta, body = damage(meta, body)
        return meta, body.replace(b"\tproduction", b"\ttampered")

    rewrite_snapshot(cache_dir, tampered)
    assert outputs(run_cli) == expected
    assert outputs(run_cli) == expected


def _stamp_without_its_file(meta: dict, body: bytes) -> tuple[dict, bytes]:
    """The first row's origin cell emptied: its stamp would be checked against no file."""
    lines = body.split(b"\n")
    cells = lines[0].split(b"\t")
    lines[0] = b"\t".join([b"", b"", *cells[2:]])
    return meta, b"\n".join(lines)


def _stamps_moved(meta: dict, body: bytes) -> tuple[dict, bytes]:
    """Every stamp one row later: each file checked against another file's stamp."""
    lines = body.split(b"\n")
    cells = lines[1].split(b"\t")
    lines[1] = b"\t".join([b"", b"", *cells[1:-1]])
    return meta, b"\n".join(lines)


@pytest.mark.parametrize("damage", [_stamp_without_its_file, _stamps_moved])
def test_stamps_out_of_place_are_not_served(run_cli, varied, cache_dir, damage):
    expected = outputs(run_cli)

    def tampered(meta: dict, body: bytes) -> tuple[dict, bytes]:
        meta, body = damage(meta, body)
        return meta, body.replace(b"\tproduction", b"\ttampered")

    rewrite_snapshot(cache_dir, tampered)
    assert outputs(run_cli) == expected


def test_a_stamp_is_every_field_of_the_stat(tmp_path):
    from scaffolder.catalog.stamps import stamp_text

    file = tmp_path / "f"
    file.write_text("x")
    info = file.stat()
    fields = [int(v, 16) for v in stamp_text(info).split(":")]
    assert fields == [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


def test_a_snapshot_whose_checksum_is_wrong_is_ignored(run_cli, varied, cache_dir):
    expected = outputs(run_cli)
    file = cache_file(cache_dir)
    data = file.read_bytes()
    file.write_bytes(data.replace(b"\tproduction", b"\ttampered!!", 1))  # the same length
    assert outputs(run_cli) == expected


def test_targets_under_home_are_not_served_for_another_home(
    run_cli, tmp_path, catalog_file, cache_dir, monkeypatch
):
    for home, lifecycle in (("a", "production"), ("b", "deprecated")):
        component(tmp_path / home / "projects", "svc", lifecycle=lifecycle)
    catalog_file.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: home\n"
        "spec:\n  type: file\n  target: ~/projects/svc/catalog-info.yaml\n"
    )
    backdate(tmp_path)
    backdate(catalog_file)

    def lifecycles() -> list[str]:
        result = run_cli(["catalog", "list", "--json"])
        return [row["lifecycle"] for row in result.json()["result"]["entities"]]

    monkeypatch.setenv("HOME", str(tmp_path / "a"))
    assert lifecycles() == ["production"]
    assert header(cache_dir)["walk"] is not None
    monkeypatch.setenv("HOME", str(tmp_path / "b"))
    assert lifecycles() == ["deprecated"]


def test_a_catalog_changed_in_place_is_not_served(run_cli, varied, catalog_file, cache_dir):
    """The same size and times, another target: the snapshot knows the catalog by its text."""
    outputs(run_cli)
    before = catalog_file.stat()
    text = catalog_file.read_text()
    changed = text.replace("/src/orders/", "/src/broken/", 1)
    assert len(changed) == len(text) and changed != text
    catalog_file.write_text(changed)
    os.utime(catalog_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    expected = outputs(run_cli, "--no-cache")
    assert outputs(run_cli) == expected


def test_a_document_whose_target_or_origin_is_empty_is_not_stored():
    """An empty cell means "as the row above" in the snapshot's columns."""
    from scaffolder.catalog.facts import facts_of
    from scaffolder.catalog.snapshot import Recorder
    from scaffolder.catalog.walk import Target

    facts = facts_of(entity("svc"), 1)
    for target, origin in (
        (Target("file", "", "/c.yaml", 3), "/c"),
        (Target("file", "/x", "/c.yaml", 3), ""),
    ):
        recorder = Recorder("/c.yaml", "1:2:3:4:5")
        recorder.add(facts, "/x", Target("file", "/x", "/c.yaml", 2), "1:2:3:4:5")
        assert recorder.ok
        recorder.add(facts, origin, target, "1:2:3:4:5")
        assert not recorder.ok
        assert recorder.finish(2, [], ()) is None


@pytest.mark.parametrize(
    "ref", ["pair-svc", "api:pair-api", "billing", "group:payments", "api", "nothing-such"]
)
def test_unregister_by_reference_finds_what_the_whole_walk_finds(
    run_cli, varied, catalog_file, cache_dir, ref
):
    """`unregister ENTITY_REF` keeps only the documents of that name while it walks (from
    the snapshot, warm), and reads the holding file again for the entities leaving with it:
    the same target, entities and error as the whole walk gives."""
    from scaffolder.backstage.rules import parse_entity_ref
    from scaffolder.catalog.sources import LocalCatalog, Reader
    from scaffolder.catalog.walk import load

    outputs(run_cli)  # the snapshot stored
    with Reader() as reader:
        walked = load(LocalCatalog(catalog_file), reader, use_cache=False)
    key = str(parse_entity_ref(ref, default_kind="component")).lower()
    holders = {
        f.target.target: f.target
        for f in walked.found
        if f.target.listed_in == walked.catalog and f.ref.lower() == key
    }
    pristine = catalog_file.read_bytes()
    for flags in ([], ["--no-cache"], []):
        catalog_file.write_bytes(pristine)
        backdate(catalog_file)
        result = run_cli(["catalog", "unregister", ref, "--json", *flags])
        if len(holders) != 1:
            assert result.code == 2, result.stderr
            assert "Traceback" not in result.stderr
            continue
        ((target, listed),) = holders.items()
        held = [f.ref for f in walked.found if f.target.target == target and f.ref]
        assert result.code == 0, result.stderr
        got = result.json()["result"]
        assert (got["target"], got["type"], got["entities"]) == (target, listed.type, held)
        assert str(target) not in catalog_file.read_text()
