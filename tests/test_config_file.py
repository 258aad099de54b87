"""The configuration file (`config.py`): where it is, its documented example, and the errors of a
bad file, each with its line, through the real CLI."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from scaffolder.config import parse_config
from tests.conftest import REPO_ROOT, CliResult
from tests.source_helpers import write_config

RunCli = Callable[[Sequence[str]], CliResult]
DOC = REPO_ROOT / "docs" / "configuration.md"


def documented_example() -> str:
    found = re.search(r"### A complete example\n\n```toml\n(.*?)```", DOC.read_text(), re.S)
    assert found, "docs/configuration.md has its complete example"
    return found.group(1)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    config = parse_config(documented_example(), tmp_path / "config.toml")
    by_kind = [(s.name, s.path, s.collection, s.url) for s in config.templates]
    assert by_kind == [
        (None, Path("~/src/templates/rust-service").expanduser(), None, None),
        (None, None, Path("/srv/acme-templates"), None),
        ("python-library", None, None, "gh:acme/python-library-template"),
        ("kotlin-service", None, None, "https://git.acme.example/platform/templates.git"),
        ("edge-service", None, None, "git@git.acme.example:platform/edge-service.git"),
        ("next-service", None, None, "file:///srv/git/next-service.git"),
    ]
    kotlin, edge, nxt = config.templates[3:]
    assert kotlin.subdirectory == "kotlin-service"
    assert (edge.ref, nxt.prereleases) == ("main", True)


def test_the_documented_example_lists_its_sources_as_unavailable_here(
    run_cli: RunCli, isolated_env: Path
) -> None:
    """None of its folders or hosts exist on this machine: each is listed with a reason."""
    write_config(isolated_env, documented_example().replace("gh:acme", "file:///nowhere/acme"))
    result = run_cli(["templates", "--json"])
    assert result.code == 0, result.stderr
    configured = [t for t in result.json()["result"]["templates"] if t["configured"]]
    assert {t["name"] for t in configured} >= {"rust-service", "python-library", "next-service"}
    assert all(t["available"] is False and t["reason"] for t in configured), configured


def test_no_file_is_no_configuration(run_cli: RunCli, isolated_env: Path) -> None:
    assert not (isolated_env / ".config" / "scaffolder" / "config.toml").exists()
    result = run_cli(["templates", "--json"])
    assert result.code == 0
    assert all(t["builtin"] for t in result.json()["result"]["templates"])


def test_scaffolder_config_names_the_file_and_must_exist(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(missing))
    result = run_cli(["templates", "--json"])
    assert result.code == 2
    error = result.json()["error"]
    assert error["code"] == "config-file"
    assert f"{missing}: it does not exist (named by $SCAFFOLDER_CONFIG)" in error["message"]

    other = tmp_path / "other.toml"
    (tmp_path / "t").mkdir()
    other.write_text('[[template]]\nname = "mine"\npath = "t"\n')  # relative to the file
    result = run_cli(["templates", "--json"])
    assert result.code == 2  # still missing: the env var names the file
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(other))
    templates = {
        t["name"]: t for t in run_cli(["templates", "--json"]).json()["result"]["templates"]
    }
    assert templates["mine"]["reason"] == f"{tmp_path / 't'} has no copier.yml"


BAD = [
    ('[[template]]\nname = "a"\nurl = "gh:x/y" "z"\n', 3, "not valid TOML"),
    (
        '[[template]]\nname = "a"\npath = "p"\n\n[[template]]\nurl = "gh:x/y"\nbranch = "main"\n',
        7,
        "[[template]] #2: unknown key 'branch'",
    ),
    ('[[template]]\nname = "a"\npath = 3\n', 3, "'path' must be a string, not int"),
    (
        '[[template]]\nurl = "gh:x/y"\nprereleases = "yes"\n',
        3,
        "'prereleases' must be true or false",
    ),
    ("sources = []\n", 1, "unknown key 'sources'"),
    ("[settings]\nx = 1\n", 1, "unknown key 'settings'"),
    ('[[template]]\nname = "a"\npath = "p"\nurl = "gh:x/y"\n', 1, "give exactly one of path"),
    ('[[template]]\npath = "p"\nref = "v1"\n', 3, "'ref' applies to a git repository"),
    ('[[template]]\nname = "../a"\nurl = "gh:x/y"\n', 2, "is not a template name"),
    ('[[template]]\ncollection = "c"\nname = "a"\n', 3, "drop 'name'"),
    ('[[template]]\nurl = "gh:x/y"\nsubdirectory = "../up"\n', 3, "must be a relative path"),
    (
        '[[template]]\nname = "a"\nurl = "https://me:s3cr3t-t0ken@git.example/a.git"\n',
        3,
        "holds a password or token",
    ),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD)
def test_a_bad_file_is_an_error_with_its_line(
    run_cli: RunCli, isolated_env: Path, text: str, line: int, problem: str
) -> None:
    path = write_config(isolated_env, text)
    result = run_cli(["templates", "--json"])
    assert result.code == 2, result.stdout
    error = result.json()["error"]
    assert (error["code"], error["line"]) == ("config-file", line)
    assert error["message"].startswith(f"configuration file {path}:{line}: ")
    assert problem in error["message"]
    # Every command that resolves a template reads it: `new` stops the same way.
    new = run_cli(["new", "python-service", "--output", isolated_env / "x", "--no-input"])
    assert new.code == 2 and f"{path}:{line}" in new.stderr
    assert "Traceback" not in new.stderr
    assert "s3cr3t" not in result.stdout + new.stderr  # a token in a URL is never echoed
