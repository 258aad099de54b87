"""Files, disks and data files: what scaffolder does when the file system or a file is hostile.

The catalog file (symlinks, modes, read-only, CRLF, BOM, duplicate keys), writes that fail
(a full disk: a real tmpfs; no permission: the CLI run as another user, since root ignores
modes), and data files that try to exhaust memory or time. Every case drives the real CLI.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.catalog_helpers import catalog_targets, component
from tests.conftest import STANDARD_ANSWERS, CliResult

HAND_WRITTEN = """\
# Platform catalog: keep this comment.
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: hand-written
spec:
  type: file
  targets:
    - ./legacy/catalog-info.yaml
"""


def _one_error_line(result: CliResult) -> str:
    """The `error:` line of a failed run; there is no traceback and there is exactly one."""
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- the catalog file ------------------------------------------------------------------------


def test_a_symlinked_catalog_is_edited_through_the_link(run_cli, tmp_path):
    real = tmp_path / "backstage" / "all.yaml"
    real.parent.mkdir()
    real.write_text(HAND_WRITTEN)
    link = tmp_path / "catalog.yaml"
    link.symlink_to(Path("backstage") / "all.yaml")  # relative, as people write them
    info = component(tmp_path, "ledger")

    result = run_cli(["catalog", "register", info, "--catalog", link])

    assert result.code == 0, result.stderr
    assert link.is_symlink() and link.readlink() == Path("backstage") / "all.yaml"
    assert catalog_targets(real) == ["./legacy/catalog-info.yaml", str(info)]
    assert real.read_text().startswith("# Platform catalog: keep this comment.\n")
    assert _leftovers(real.parent) == [] and _leftovers(tmp_path) == []


def test_new_registers_through_a_symlinked_catalog(run_cli, tmp_path):
    real = tmp_path / "shared" / "catalog.yaml"
    real.parent.mkdir()
    link = tmp_path / "my-catalog.yaml"
    link.symlink_to(real)  # dangling until the first registration creates the target
    dst = tmp_path / "payments-api"

    result = run_cli(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--catalog", link]
    )

    assert result.code == 0, result.stderr
    assert link.is_symlink()
    assert catalog_targets(real) == [str(dst / "catalog-info.yaml")]


def test_a_read_only_catalog_is_refused_not_replaced(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(HAND_WRITTEN)
    catalog_file.chmod(0o444)
    before = catalog_file.read_bytes()
    info = component(tmp_path, "ledger")

    result = run_cli(["catalog", "register", info])

    assert result.code == 2
    assert "is read-only; it was left unchanged" in _one_error_line(result)
    assert catalog_file.read_bytes() == before
    assert stat.S_IMODE(catalog_file.stat().st_mode) == 0o444
    # Nothing to change is no write, so an already registered target is still fine.
    catalog_file.chmod(0o644)
    assert run_cli(["catalog", "register", info]).code == 0
    catalog_file.chmod(0o444)
    assert run_cli(["catalog", "register", info]).code == 0


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_catalog_file_gets_the_umask(run_cli, tmp_path, catalog_file, mask, mode):
    info = component(tmp_path, "ledger")
    with _umask(mask):
        result = run_cli(["catalog", "register", info])
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(catalog_file.stat().st_mode) == mode


def test_an_edited_catalog_keeps_its_mode(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(HAND_WRITTEN)
    catalog_file.chmod(0o640)
    with _umask(0o077):
        assert run_cli(["catalog", "register", component(tmp_path, "ledger")]).code == 0
    assert stat.S_IMODE(catalog_file.stat().st_mode) == 0o640


def test_crlf_line_endings_are_kept(run_cli, tmp_path, catalog_file):
    catalog_file.write_bytes(HAND_WRITTEN.replace("\n", "\r\n").encode())
    first, second = component(tmp_path, "ledger"), component(tmp_path, "billing")

    assert run_cli(["catalog", "register", first]).code == 0
    assert run_cli(["catalog", "register", second]).code == 0
    assert run_cli(["catalog", "unregister", first]).code == 0

    data = catalog_file.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 0
    assert catalog_targets(catalog_file) == ["./legacy/catalog-info.yaml", str(second)]


def test_a_utf8_bom_is_accepted_and_kept(run_cli, tmp_path, catalog_file):
    catalog_file.write_bytes(b"\xef\xbb\xbf" + HAND_WRITTEN.encode())
    info = component(tmp_path, "ledger")

    result = run_cli(["catalog", "register", info])

    assert result.code == 0, result.stderr
    data = catalog_file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# Platform catalog")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert catalog_targets(catalog_file) == ["./legacy/catalog-info.yaml", str(info)]
    listed = run_cli(["catalog", "list", "--json"])
    assert listed.code == 0, listed.stderr


SHADOWED = HAND_WRITTEN + "  targets:\n    - ./shadow/catalog-info.yaml\n"


def test_a_duplicate_key_is_refused_with_its_line(run_cli, tmp_path, catalog_file):
    catalog_file.write_text(SHADOWED)
    before = catalog_file.read_bytes()

    result = run_cli(["catalog", "register", component(tmp_path, "ledger")])

    assert result.code == 2
    line = _one_error_line(result)
    assert f"{catalog_file}:10: duplicate key 'targets' (first at line 8)" in line
    assert catalog_file.read_bytes() == before


def test_catalog_validate_reports_a_duplicate_key(run_cli, tmp_path):
    component(tmp_path, "shadow")
    catalog = tmp_path / "catalog.yaml"
    # PyYAML alone sees only the second `targets:`, whose one target is a valid entity file.
    catalog.write_text(SHADOWED.replace("./legacy/", "./nothing-here/"))

    result = run_cli(["catalog", "validate", catalog, "--json"])

    assert result.code == 1, result.stderr
    payload = result.json()
    assert payload["result"]["valid"] is False
    assert [(p["line"], p["message"]) for p in payload["result"]["problems"]] == [
        (10, "duplicate key 'targets' (first at line 8)")
    ]


def test_a_catalog_alias_bomb_is_refused_fast(run_cli, catalog_file):
    bomb = "".join(f"  x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    catalog_file.write_text(HAND_WRITTEN + "  x0: &a0 [lol]\n" + bomb)
    started = time.monotonic()

    result = run_cli(["catalog", "validate", "--json"])

    assert time.monotonic() - started < 10  # a guard only
    assert result.code == 1, result.stderr
    (problem,) = result.json()["result"]["problems"]
    assert problem["message"].startswith("more than 2,000,000 values once its aliases are")


# --- writes that fail ------------------------------------------------------------------------


@dataclass
class FullDisk:
    """A folder on a file system that refuses writes: a full tmpfs, or a file size limit."""

    path: Path
    #: When no tmpfs could be mounted: run the CLI with this as `preexec_fn`.
    preexec: Callable[[], None] | None
    #: The strerror a write there fails with.
    error: str


@pytest.fixture
def full_disk() -> Iterator[FullDisk]:
    folder = Path(tempfile.mkdtemp(prefix="scaffolder-full-"))
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        if mounted:
            yield FullDisk(folder, None, "No space left on device")
        else:  # not root: the same failing write(2), as EFBIG (documented in RLIMIT_FSIZE)
            yield FullDisk(
                folder,
                lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512)),
                "File too large",
            )
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        shutil.rmtree(folder, ignore_errors=True)


def _fill(disk: FullDisk) -> None:
    """Leave no free block on a tmpfs (nothing to do under a file size limit)."""
    if disk.preexec is not None:
        return
    with contextlib.suppress(OSError), (disk.path / "filler").open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


def _run(args: Sequence[object], preexec: Callable[[], None] | None = None) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "scaffolder", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec,
        timeout=120,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def test_a_full_disk_leaves_the_catalog_as_it_was(tmp_path, full_disk):
    catalog = full_disk.path / "catalog.yaml"
    catalog.write_text(HAND_WRITTEN)
    before = catalog.read_bytes()
    info = component(tmp_path, "ledger")
    _fill(full_disk)

    result = _run(["catalog", "register", info, "--catalog", catalog], full_disk.preexec)

    assert result.code == 2, result.stderr
    line = _one_error_line(result)
    assert f"cannot write catalog file {catalog}: {full_disk.error}; it was left unchanged" in line
    assert catalog.read_bytes() == before
    assert _leftovers(full_disk.path) == []


def test_new_on_a_full_disk_writes_nothing_and_exits_2(full_disk):
    dst = full_disk.path / "payments-api"
    _fill(full_disk)

    result = _run(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--no-register"],
        full_disk.preexec,
    )

    assert result.code == 2, result.stderr
    assert full_disk.error in _one_error_line(result)
    assert not dst.exists()


def test_new_whose_catalog_is_on_a_full_disk_is_a_partial_success(tmp_path, full_disk):
    if full_disk.preexec is not None:
        # Only where a tmpfs cannot be mounted (not root) on a developer's machine; CI runs as
        # root, and there this test must run.
        if os.environ.get("CI"):
            pytest.fail("could not mount a tmpfs: this test needs root in CI")
        pytest.skip("needs a tmpfs (run as root): a file size limit would also stop git's commit")
    catalog = full_disk.path / "catalog.yaml"
    catalog.write_text(HAND_WRITTEN)
    before = catalog.read_bytes()
    dst = tmp_path / "payments-api"
    _fill(full_disk)

    result = _run(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--catalog", catalog]
    )

    assert result.code == 3, result.stderr
    line = _one_error_line(result)
    assert "register failed: cannot write catalog file" in line
    assert "No space left on device" in line and "(done: resolve, render, commit)" in line
    assert f"scaffolder resume {dst}" in result.stderr  # the journal keeps --catalog
    assert catalog.read_bytes() == before and _leftovers(full_disk.path) == []
    log = subprocess.run(["git", "-C", dst, "log", "--oneline"], capture_output=True, text=True)
    assert log.returncode == 0 and "Initial commit" in log.stdout


@pytest.fixture
def other_user(isolated_env: Path) -> Iterator[tuple[Path, Callable[..., CliResult]]]:
    """A folder another user can reach, and a runner of the CLI as that user.

    Root ignores file modes, so as root the CLI runs as `nobody` (setpriv); any other user is
    already subject to them. The folder lives outside pytest's own (mode 0700) tmp folder.
    """
    shared = Path(tempfile.mkdtemp(prefix="scaffolder-perm-"))
    shared.chmod(0o755)
    home = shared / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    shutil.copy(isolated_env / ".gitconfig", home / ".gitconfig")
    (home / "copier-settings.yml").write_text("{}\n")
    (home / ".gitconfig").chmod(0o644)
    (home / "copier-settings.yml").chmod(0o644)
    env = {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "COPIER_SETTINGS_PATH": str(home / "copier-settings.yml"),
        "SCAFFOLDER_CATALOG": str(home / "catalog.yaml"),
    }
    as_other = (
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if os.geteuid() == 0
        else []
    )

    def run(args: Sequence[object]) -> CliResult:
        proc = subprocess.run(
            [*as_other, sys.executable, "-m", "scaffolder", *map(str, args)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=shared,
            env=env,
            timeout=120,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    yield shared, run
    for folder, _, _ in os.walk(shared):
        Path(folder).chmod(0o755)
    shutil.rmtree(shared, ignore_errors=True)


def _writable_folder(parent: Path, name: str) -> Path:
    folder = parent / name
    folder.mkdir()
    folder.chmod(0o777)
    return folder


def test_no_permission_on_the_catalog_folder(other_user):
    shared, run = other_user
    projects = _writable_folder(shared, "projects")
    info = component(projects, "ledger")
    info.parent.chmod(0o755)
    info.chmod(0o644)
    locked = shared / "catalogs"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    catalog = locked / "catalog.yaml"

    result = run(["catalog", "register", info, "--catalog", catalog])

    assert result.code == 2, result.stderr
    line = _one_error_line(result)
    assert f"cannot write catalog file {catalog}: Permission denied" in line
    assert list(locked.iterdir()) == []


def test_new_whose_catalog_folder_is_not_writable_is_a_partial_success(other_user):
    shared, run = other_user
    projects = _writable_folder(shared, "projects")
    locked = shared / "catalogs"
    locked.mkdir()
    catalog = locked / "catalog.yaml"
    catalog.write_text(HAND_WRITTEN)
    catalog.chmod(0o644)
    locked.chmod(0o555)
    dst = projects / "payments-api"

    result = run(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--catalog", catalog]
    )

    assert result.code == 3, result.stderr
    line = _one_error_line(result)
    assert "register failed: cannot write catalog file" in line and "Permission denied" in line
    assert catalog.read_text() == HAND_WRITTEN and [p.name for p in locked.iterdir()] == [
        "catalog.yaml"
    ]
    assert (dst / ".git").is_dir() and (dst / "catalog-info.yaml").is_file()


def test_no_permission_on_the_output_folder(other_user):
    shared, run = other_user
    parent = shared / "not-mine"
    parent.mkdir(mode=0o755)
    parent.chmod(0o755)

    result = run(["new", "python-service", "--output", parent / "p", *STANDARD_ANSWERS])

    assert result.code == 2, result.stderr
    assert "Permission denied" in _one_error_line(result)
    assert list(parent.iterdir()) == []
    assert not (shared / "home" / "catalog.yaml").exists()


def test_an_output_that_is_a_dangling_symlink(run_subprocess, tmp_path, catalog_file):
    link = tmp_path / "payments-api"
    link.symlink_to(tmp_path / "gone" / "payments-api")

    # A subprocess: copier leaves its template scan (a scandir iterator) open when a write
    # fails mid-render; in-process, pytest's `filterwarnings = error` would fail on that.
    result = run_subprocess(["new", "python-service", "--output", link, *STANDARD_ANSWERS])

    assert result.code == 2, result.stderr
    line = _one_error_line(result)
    assert f"{link}: it is a symlink to {tmp_path / 'gone' / 'payments-api'}" in line
    assert link.is_symlink() and not (tmp_path / "gone").exists()
    assert not catalog_file.exists()


# --- data files ------------------------------------------------------------------------------


def _alias_bomb() -> str:
    levels = ['  - &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        levels.append(f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "owner: group:default/payments\ndescription:\n" + "\n".join(levels) + "\n"


HOSTILE = {
    # name: (file name, content or None for a special file, expected message part)
    "alias-bomb": (
        "bomb.yaml",
        _alias_bomb(),
        "more than 100,000 values once its aliases are expanded at line 8",
    ),
    "deep-flow": (
        "deep.yaml",
        "a: " + "[" * 100_000 + "]" * 100_000,
        "nested deeper than 64 levels at line 1",
    ),
    "deep-block": ("block.yaml", "- " * 100_000 + "x\n", "nested deeper than 64 levels at line 1"),
    "deep-json": (
        "deep.json",
        "[" * 100_000 + "]" * 100_000,
        "nested deeper than 64 levels at line 1",
    ),
    "not-utf8": (
        "latin1.yaml",
        "owner: group:default/payments\ndescription: caf\xe9\n",
        "not UTF-8 text at line 2 (byte 0xe9 at offset 46)",
    ),
    "duplicate": (
        "dup.yaml",
        "owner: group:default/payments\nname: a\nowner: group:default/other\n",
        "duplicate key 'owner' at line 3 (first at line 1)",
    ),
    "duplicate-json": (
        "dup.json",
        '{"owner": "group:default/payments",\n "owner": "user:default/x"}',
        "duplicate key 'owner' at line 2 (first at line 1)",
    ),
    "one-gigabyte": ("huge.yaml", None, "larger than 1 MiB (1024 MiB)"),
    "dev-zero": ("/dev/zero", None, "larger than 1 MiB"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_data_file_is_refused_fast(run_subprocess, tmp_path, case):
    name, content, expected = HOSTILE[case]
    path = Path(name) if name.startswith("/") else tmp_path / name
    if content is not None:
        path.write_bytes(content.encode("latin-1" if case == "not-utf8" else "utf-8"))
    elif not name.startswith("/"):
        with path.open("wb") as handle:
            handle.truncate(1 << 30)  # sparse: 1 GB of size, no disk used
    dst = tmp_path / "out"
    started = time.monotonic()

    result = run_subprocess(["new", "python-service", "--output", dst, "--data-file", path])

    assert time.monotonic() - started < 30  # a guard only: each finishes in well under a second
    assert result.code == 2, result.stderr
    assert _one_error_line(result) == f"error: data file {path}: {expected}"
    assert not dst.exists()


def test_a_json_surrogate_pair_escape_loads_as_the_character(run_cli, tmp_path):
    data = tmp_path / "answers.json"
    data.write_text(
        '{"owner": "group:default/payments", "codeowners": "@acme/payments", '
        '"description": "\\ud83d\\ude00 smiles"}',
        encoding="ascii",
    )
    dst = tmp_path / "smile"

    result = run_cli(["new", "python-service", "--output", dst, "--data-file", data, "--json"])

    assert result.code == 0, result.stderr
    assert result.json()["result"]["answers"]["description"] == "\U0001f600 smiles"
    recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["description"] == "\U0001f600 smiles"


def test_a_data_file_with_a_bom_is_accepted(run_cli, tmp_path):
    data = tmp_path / "answers.yaml"
    data.write_bytes(
        b"\xef\xbb\xbfowner: group:default/payments\ncodeowners: '@acme/payments'\n"
        b"description: with a BOM\n"
    )

    result = run_cli(
        ["new", "python-service", "--output", tmp_path / "b", "--data-file", data, "--json"]
    )

    assert result.code == 0, result.stderr
    assert result.json()["result"]["answers"]["owner"] == "group:default/payments"
