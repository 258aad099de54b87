"""The one loop over the fleet (`scaffolder/fleet.py`): selection, shards, bounded concurrency,
per-repository outcomes and the exit-code table. The catalog is real files, read by the real
catalog walk; the units of work are small functions of the test's own."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scaffolder import fleet
from scaffolder.errors import ExitCode, UsageError
from tests.catalog_helpers import entity, location_catalog, write_entities


def _catalog(
    root: Path, names: list[str], *, extra: tuple[str, ...] = (), **spec_of: dict[str, str]
) -> Path:
    """A catalog file listing one entity file per name (Components; `spec_of[name]` overrides)
    and then the `extra` targets."""
    targets = []
    for name in names:
        path = write_entities(root / name, entity(name, **spec_of.get(name, {})))
        targets.append(str(path))
    targets += extra
    catalog = root / "catalog.yaml"
    return location_catalog(catalog, targets)


def _names(run: fleet.FleetRun) -> list[str]:
    return [e.component.name for e in run.entries if e.component]


NAMES = [f"svc-{i:02d}" for i in range(30)]


def test_every_outcome_is_collected_and_one_failure_stops_nothing(tmp_path):
    catalog = _catalog(tmp_path, ["a", "b", "c", "d"])

    def unit(c: fleet.Component) -> fleet.Outcome:
        if c.name == "b":
            raise UsageError("b cannot be read")
        if c.name == "c":
            return fleet.finding("c is behind", seen=c.name)
        return fleet.ok(seen=c.name)

    run = fleet.run(fleet.Selection(catalog=str(catalog)), unit)
    assert [(e.component.name, e.status, e.outcome.reason) for e in run.entries if e.component] == [
        ("a", "ok", ""),
        ("b", "failed", "b cannot be read"),
        ("c", "finding", "c is behind"),
        ("d", "ok", ""),
    ]
    assert run.exit_code == ExitCode.PARTIAL  # 3 wins over 1
    rows = run.to_json()["repositories"]
    assert rows[0]["seen"] == "a" and rows[0]["outcome"] == "ok" and rows[0]["reason"] is None
    assert rows[1]["ref"] == "component:default/b" and rows[1]["folder"] == str(tmp_path / "b")
    assert run.to_json()["counts"] == {"ok": 2, "finding": 1, "failed": 1}


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ({}, ExitCode.OK),
        ({"a": "finding"}, ExitCode.CHECKS_FAILED),
        ({"a": "finding", "b": "failed"}, ExitCode.PARTIAL),
        ({"a": "bug", "b": "failed"}, ExitCode.INTERNAL),
    ],
)
def test_the_exit_code_table(tmp_path, outcomes, code):
    catalog = _catalog(tmp_path, ["a", "b", "c"])

    def unit(c: fleet.Component) -> fleet.Outcome:
        what = outcomes.get(c.name, "ok")
        if what == "bug":
            raise KeyError("oops")
        if what == "failed":
            raise UsageError("no")
        return fleet.finding("x") if what == "finding" else fleet.ok()

    run = fleet.run(fleet.Selection(catalog=str(catalog)), unit)
    assert run.exit_code == code
    assert len(run.entries) == 3  # a bug in one repository's unit does not stop the others
    if "bug" in outcomes.values():
        (bug,) = [e for e in run.entries if e.bug]
        assert bug.outcome.reason == "internal error: KeyError: 'oops'"


def test_shards_are_disjoint_cover_the_fleet_and_ignore_catalog_order(tmp_path):
    forward = _catalog(tmp_path / "f", NAMES)
    backward = _catalog(tmp_path / "b", NAMES[::-1])
    shares = []
    for k in (1, 2, 3):
        for catalog in (forward, backward):
            selection = fleet.Selection(catalog=str(catalog), shard=fleet.Shard.parse(f"{k}/3"))
            shares.append((k, sorted(_names(fleet.run(selection, lambda c: fleet.ok())))))
    by_shard = {k: names for k, names in shares}
    assert all(names == by_shard[k] for k, names in shares)  # same share whatever the order
    assert all(by_shard[k] for k in (1, 2, 3))  # 30 entities: no share is empty
    union = [n for k in (1, 2, 3) for n in by_shard[k]]
    assert sorted(union) == NAMES  # disjoint and covering


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2", "-1/3", ""])
def test_bad_shards_are_usage_errors(text):
    with pytest.raises(UsageError, match="--shard"):
        fleet.Shard.parse(text)


@pytest.mark.parametrize("n", [0, -1, fleet.MAX_CONCURRENCY + 1])
def test_bad_concurrency_is_a_usage_error(n):
    with pytest.raises(UsageError, match="--concurrency"):
        fleet.Selection(concurrency=n)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded_and_entries_keep_catalog_order(tmp_path, concurrency):
    catalog = _catalog(tmp_path, NAMES[:12])
    lock = threading.Lock()
    running = peak = 0

    def unit(c: fleet.Component) -> fleet.Outcome:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        # Later components finish first: the result is still in catalog order.
        time.sleep(0.002 * (12 - NAMES.index(c.name)))
        with lock:
            running -= 1
        return fleet.ok()

    run = fleet.run(fleet.Selection(catalog=str(catalog), concurrency=concurrency), unit)
    assert _names(run) == NAMES[:12]
    assert peak == concurrency


def test_selection_flags_filter_and_unreadable_targets_are_failed_entries(tmp_path):
    catalog = _catalog(
        tmp_path,
        ["a", "b", "c"],
        extra=(str(tmp_path / "gone.yaml"),),
        a={"lifecycle": "production", "owner": "group:payments", "system": "billing"},
        b={"lifecycle": "production", "owner": "group:ledger"},
        c={"lifecycle": "experimental", "owner": "group:payments", "system": "billing"},
    )

    def names(**flags: tuple[str, ...]) -> list[str]:
        run = fleet.run(fleet.Selection(catalog=str(catalog), **flags), lambda c: fleet.ok())
        return [e.component.name if e.component else "?" + e.name for e in run.entries]

    gone = f"?{tmp_path}/gone.yaml"
    assert names() == ["a", "b", "c", gone]
    assert names(lifecycle=("production",)) == ["a", "b", gone]
    assert names(owner=("payments",)) == ["a", "c", gone]
    assert names(owner=("group:default/ledger", "group:payments")) == ["a", "b", "c", gone]
    assert names(system=("billing",), lifecycle=("experimental",)) == ["c", gone]
    run = fleet.run(fleet.Selection(catalog=str(catalog)), lambda c: fleet.ok())
    assert run.exit_code == ExitCode.PARTIAL
    assert "no such file" in run.entries[-1].outcome.reason


def test_progress_hears_every_repository(tmp_path):
    catalog = _catalog(tmp_path, ["a", "b"])
    notes: list[str] = []

    class Recorder:
        def step(self, name: str, detail: str = ""):
            import contextlib

            notes.append(f"{name}: {detail}")
            return contextlib.nullcontext()

        def note(self, message: str) -> None:
            notes.append(message)

    fleet.run(fleet.Selection(catalog=str(catalog)), lambda c: fleet.ok(), Recorder(), what="x")
    assert notes[0] == f"x: 2 selected of 2 entities in {catalog}"
    assert [n.split()[0] for n in notes[1:]] == ["[1/2]", "[2/2]"]
    assert sorted(n.split(" ", 1)[1] for n in notes[1:]) == [
        "component:default/a ok",
        "component:default/b ok",
    ]
