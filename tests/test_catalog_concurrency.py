"""Concurrent writers, for real: separate processes registering into one catalog file at once."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tests.catalog_helpers import catalog_targets, component

WRITERS = 20


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scaffolder", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_twenty_processes_registering_at_once_leave_twenty_entries(run_cli, tmp_path):
    catalog = tmp_path / "shared" / "catalog.yaml"
    catalog.parent.mkdir()
    catalog.write_text("# shared catalog: this comment survives\n")
    infos = [component(tmp_path / "src", f"svc-{i:02d}") for i in range(WRITERS)]
    args = ["--catalog", str(catalog)]
    procs = [_start(["catalog", "register", str(info), *args]) for info in infos]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(catalog_targets(catalog)) == sorted(str(i) for i in infos)
    text = catalog.read_text()
    assert text.startswith("# shared catalog: this comment survives\n")
    docs = [d for d in yaml.safe_load_all(text) if d]
    # One Location per target (one unreadable target hides only itself), none lost or doubled.
    assert [d["kind"] for d in docs] == ["Location"] * WRITERS
    assert len({d["metadata"]["name"] for d in docs}) == WRITERS
    assert not list(catalog.parent.glob(".catalog.yaml.*.tmp"))  # no temp files left behind
    result = run_cli(["catalog", "validate", catalog])
    assert result.code == 0, result.stdout
    assert f"valid ({WRITERS} entities, {WRITERS} targets)" in result.stdout


def test_concurrent_register_and_unregister_do_not_lose_entries(run_cli, tmp_path):
    catalog = tmp_path / "catalog.yaml"
    keep = [component(tmp_path / "keep", f"keep-{i}") for i in range(6)]
    drop = [component(tmp_path / "drop", f"drop-{i}") for i in range(6)]
    for info in drop:
        assert run_cli(["catalog", "register", info, "--catalog", catalog]).code == 0
    procs = [_start(["catalog", "register", str(i), "--catalog", str(catalog)]) for i in keep]
    procs += [_start(["catalog", "unregister", str(i), "--catalog", str(catalog)]) for i in drop]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(catalog_targets(catalog)) == sorted(str(i) for i in keep)
