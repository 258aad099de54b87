"""The org's template sources (`render/sources.py`): listed, resolved by name, rendered at their
newest release tag or at `--vcs-ref`, trusted, unavailable with a reason, and refused on a
name clash. Templates are real git repositories with tags, served by a real `git daemon`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests import source_helpers
from tests.conftest import STANDARD_ANSWERS, CliResult
from tests.helpers import make_template
from tests.source_helpers import (
    GitDaemon,
    bare,
    git,
    metadata,
    tagged_repository,
    write_config,
)

git_daemon = source_helpers.git_daemon  # the fixture, used here by name
RunCli = Callable[[Sequence[str]], CliResult]


def listed(run_cli: RunCli) -> dict[str, dict[str, Any]]:
    result = run_cli(["templates", "--json"])
    assert result.code == 0, result.stdout + result.stderr
    return {t["name"]: t for t in result.json()["result"]["templates"]}


def new(run_cli: RunCli, template: str, dst: Path, *extra: str) -> CliResult:
    return run_cli(["new", template, "--output", dst, *STANDARD_ANSWERS, "--no-input", *extra])


def recorded(dst: Path) -> dict[str, Any]:
    data = yaml.safe_load((dst / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def first_commit_message(dst: Path) -> str:
    return git(dst, "log", "--format=%s", "-1").strip()


# -- local folders and repositories ------------------------------------------------------------
def test_templates_lists_configured_folders_collections_and_repositories(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    make_template(tmp_path / "one" / "acme-api", metadata("Acme API", "3.1.0"))
    make_template(tmp_path / "many" / "cron-job", metadata("Cron job", "0.4.0", "[go]"))
    make_template(tmp_path / "many" / "worker", metadata("Worker", "1.0.0"))
    (tmp_path / "many" / "notes").mkdir()  # no copier.yml: not a template
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0", "v1.2.0", "v2.0.0rc1"], title="Lib")
    write_config(
        isolated_env,
        f"""
        [[template]]
        path = "{tmp_path / "one" / "acme-api"}"

        [[template]]
        collection = "{tmp_path / "many"}"

        [[template]]
        name = "python-lib"
        url = "{repo}"
        """,
    )
    templates = listed(run_cli)
    assert {"python-service", "acme-api", "cron-job", "worker", "python-lib"} <= set(templates)
    assert "notes" not in templates
    api = templates["acme-api"]
    assert (api["title"], api["version"], api["languages"]) == ("Acme API", "3.1.0", ["python"])
    assert (api["configured"], api["builtin"], api["available"]) == (True, False, True)
    assert templates["cron-job"]["languages"] == ["go"]
    # The newest release tag, skipping the pre-release; read from that tag's copier.yml.
    lib = templates["python-lib"]
    assert (lib["version"], lib["title"], lib["available"]) == ("1.2.0", "Lib", True)
    assert templates["python-service"]["configured"] is False

    text = run_cli(["templates"]).stdout
    assert any(
        line.startswith("python-lib") and "Lib 1.2.0 [python]" in line for line in text.splitlines()
    ), text


def test_new_renders_a_configured_repository_at_its_newest_tag_or_at_vcs_ref(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0", "v1.2.0", "v2.0.0rc1"])
    write_config(isolated_env, f'[[template]]\nname = "python-lib"\nurl = "file://{repo}"\n')

    newest = new(run_cli, "python-lib", tmp_path / "a")
    assert newest.code == 0, newest.stderr
    assert recorded(tmp_path / "a")["_commit"] == "v1.2.0"
    assert "from v1.2.0" in (tmp_path / "a" / "README.md").read_text()
    assert (
        first_commit_message(tmp_path / "a") == "Initial commit from the python-lib 1.2.0 template"
    )

    older = new(run_cli, "python-lib", tmp_path / "b", "--vcs-ref", "v1.0.0", "--json")
    assert older.code == 0, older.stderr
    assert older.json()["result"]["template"]["version"] == "1.0.0"
    assert recorded(tmp_path / "b")["_commit"] == "v1.0.0"
    assert "from v1.0.0" in (tmp_path / "b" / "README.md").read_text()

    # A pre-release, a branch and a commit are refs too.
    rc = new(run_cli, "python-lib", tmp_path / "c", "--vcs-ref", "v2.0.0rc1")
    assert rc.code == 0, rc.stderr
    assert "from v2.0.0rc1" in (tmp_path / "c" / "README.md").read_text()
    commit = git(repo, "rev-parse", "v1.0.0^{commit}").strip()
    at_commit = new(run_cli, "python-lib", tmp_path / "d", "--vcs-ref", commit[:10], "--json")
    assert at_commit.code == 0, at_commit.stderr
    assert at_commit.json()["result"]["template"]["version"] == f"1.0.0+g{commit[:12]}"
    assert "from v1.0.0" in (tmp_path / "d" / "README.md").read_text()

    missing = new(run_cli, "python-lib", tmp_path / "e", "--vcs-ref", "v9.9.9")
    assert missing.code == 2
    assert "no tag, branch or commit 'v9.9.9'" in missing.stderr
    assert not (tmp_path / "e").exists()


def test_prereleases_only_when_the_entry_asks(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0", "v2.0.0rc1"])
    write_config(isolated_env, f'[[template]]\nname = "lib"\nurl = "{repo}"\nprereleases = true\n')
    assert listed(run_cli)["lib"]["version"] == "2.0.0rc1"


def test_vcs_ref_is_refused_for_a_template_that_is_no_git_repository(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    result = new(run_cli, "python-service", tmp_path / "a", "--vcs-ref", "v1.0.0")
    assert result.code == 2
    assert "is a built-in template, not a git repository" in result.stderr
    make_template(tmp_path / "folder", metadata("Folder", "1.0.0"))
    write_config(isolated_env, f'[[template]]\npath = "{tmp_path / "folder"}"\n')
    result = new(run_cli, "folder", tmp_path / "b", "--vcs-ref", "v1.0.0")
    assert result.code == 2
    assert "not a git repository" in result.stderr


# -- over a real transport ---------------------------------------------------------------------
def test_a_repository_served_by_git_daemon_is_listed_and_rendered(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path, git_daemon: GitDaemon
) -> None:
    repo = tagged_repository(tmp_path / "work", ["v1.0.0", "v1.1.0"], title="Served")
    bare(repo, git_daemon.base / "acme" / "served.git")
    write_config(
        isolated_env,
        f'[[template]]\nname = "served"\nurl = "{git_daemon.url("acme/served.git")}"\n',
    )
    info = listed(run_cli)["served"]
    assert (info["title"], info["version"], info["available"]) == ("Served", "1.1.0", True)

    assert new(run_cli, "served", tmp_path / "a").code == 0
    answers = recorded(tmp_path / "a")
    assert (answers["_commit"], answers["_src_path"]) == (
        "v1.1.0",
        git_daemon.url("acme/served.git"),
    )
    assert "from v1.1.0" in (tmp_path / "a" / "README.md").read_text()

    assert new(run_cli, "served", tmp_path / "b", "--vcs-ref", "v1.0.0").code == 0
    assert recorded(tmp_path / "b")["_commit"] == "v1.0.0"
    assert "from v1.0.0" in (tmp_path / "b" / "README.md").read_text()


def test_github_forms_go_through_the_users_git_config(
    run_cli: RunCli,
    tmp_path: Path,
    isolated_env: Path,
    git_daemon: GitDaemon,
) -> None:
    """`gh:owner/repo` and `https://github.com/...` reach the daemon only through the test's
    `url.<base>.insteadOf`: scaffolder's git and copier's both honour it, and nothing reaches
    the internet (a request to github.com would fail here)."""
    repo = tagged_repository(tmp_path / "work", ["v1.0.0"], title="On GitHub")
    bare(repo, git_daemon.base / "acme" / "on-github.git")
    gitconfig = Path(str(isolated_env / ".gitconfig"))
    with gitconfig.open("a") as stream:
        stream.write(f'[url "{git_daemon.url("")}"]\n\tinsteadOf = https://github.com/\n')
    write_config(
        isolated_env,
        """
        [[template]]
        name = "short"
        url = "gh:acme/on-github"

        [[template]]
        name = "long"
        url = "https://github.com/acme/on-github"
        """,
    )
    templates = listed(run_cli)
    for name in ("short", "long"):
        assert (templates[name]["title"], templates[name]["version"]) == ("On GitHub", "1.0.0")
        result = new(run_cli, name, tmp_path / name)
        assert result.code == 0, result.stderr
        assert recorded(tmp_path / name)["_commit"] == "v1.0.0"


def test_a_template_in_a_subdirectory_of_a_repository(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path, git_daemon: GitDaemon
) -> None:
    repo = tagged_repository(
        tmp_path / "work", ["v1.0.0", "v1.3.0"], title="Nested", subdirectory="templates/nested"
    )
    bare(repo, git_daemon.base / "templates.git")
    write_config(
        isolated_env,
        f'[[template]]\nurl = "{git_daemon.url("templates.git")}"\n'
        'subdirectory = "templates/nested"\n',
    )
    info = listed(run_cli)["nested"]  # named after the subdirectory
    assert (info["title"], info["version"]) == ("Nested", "1.3.0")
    result = new(run_cli, "nested", tmp_path / "a")
    assert result.code == 0, result.stderr
    assert "from v1.3.0" in (tmp_path / "a" / "README.md").read_text()
    assert first_commit_message(tmp_path / "a") == "Initial commit from the nested 1.3.0 template"


# -- unavailable sources, clashes ----------------------------------------------------------
def test_unavailable_sources_are_listed_with_the_reason_and_the_rest_still_work(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path, git_daemon: GitDaemon
) -> None:
    untagged = tmp_path / "untagged"
    make_template(untagged, metadata("Untagged", "1.0.0"))
    git(untagged, "init", "-q", "-b", "main")
    git(untagged, "add", "-A")
    git(untagged, "commit", "-q", "-m", "no tag")
    no_config = tmp_path / "no-config"
    no_config.mkdir()
    git(no_config, "init", "-q", "-b", "main")
    (no_config / "README.md").write_text("not a template\n")
    git(no_config, "add", "-A")
    git(no_config, "commit", "-q", "-m", "readme")
    git(no_config, "tag", "v1.0.0")
    make_template(tmp_path / "fine", metadata("Fine", "1.0.0"))
    write_config(
        isolated_env,
        f"""
        [[template]]
        name = "gone"
        path = "{tmp_path / "gone"}"

        [[template]]
        name = "unreachable"
        url = "{git_daemon.url("nothing-here.git")}"

        [[template]]
        url = "{untagged}"

        [[template]]
        url = "{no_config}"

        [[template]]
        path = "{tmp_path / "fine"}"
        """,
    )
    templates = listed(run_cli)
    reasons = {
        "gone": "does not exist",
        "unreachable": "cannot read git://127.0.0.1",
        "untagged": "has no release tag",
        "no-config": "has no copier.yml",
    }
    for name, reason in reasons.items():
        assert templates[name]["available"] is False, name
        assert reason in templates[name]["reason"], templates[name]
    assert templates["fine"]["available"] is True
    assert templates["python-service"]["available"] is True
    text = run_cli(["templates"]).stdout
    assert any(line.startswith("gone") and "unavailable:" in line for line in text.splitlines())

    for name, reason in reasons.items():
        result = new(run_cli, name, tmp_path / f"new-{name}")
        assert result.code == 2, (name, result.stderr)
        assert f"template {name} is unavailable" in result.stderr and reason in result.stderr
        assert not (tmp_path / f"new-{name}").exists()
    assert new(run_cli, "fine", tmp_path / "new-fine").code == 0


def test_a_name_clash_is_an_error_that_names_both(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    make_template(tmp_path / "a" / "worker", metadata("A", "1.0.0"))
    make_template(tmp_path / "b" / "worker", metadata("B", "1.0.0"))
    config = write_config(
        isolated_env,
        f'[[template]]\npath = "{tmp_path / "a" / "worker"}"\n\n'
        f'[[template]]\ncollection = "{tmp_path / "b"}"\n',
    )
    result = run_cli(["templates", "--json"])
    assert result.code == 2
    error = result.json()["error"]
    assert error["code"] == "template-name-clash"
    assert str(tmp_path / "a" / "worker") in error["message"]
    assert str(tmp_path / "b") in error["message"]
    assert f"{config}:1" in error["message"] and f"{config}:4" in error["message"]

    make_template(tmp_path / "python-service", metadata("Mine", "1.0.0"))
    write_config(isolated_env, f'[[template]]\npath = "{tmp_path / "python-service"}"\n')
    result = new(run_cli, "python-service", tmp_path / "out")
    assert result.code == 2
    assert "the built-in template python-service" in result.stderr
    assert str(tmp_path / "python-service") in result.stderr


# -- trust -------------------------------------------------------------------------------
TASK = """\
_tasks:
  - "touch task-ran"
"""


def test_configured_sources_are_trusted_any_other_needs_trust(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "tasks", ["v1.0.0"], title="Tasks", extra_config=TASK)
    write_config(isolated_env, f'[[template]]\nname = "with-tasks"\nurl = "{repo}"\n')
    result = new(run_cli, "with-tasks", tmp_path / "trusted")
    assert result.code == 0, result.stderr
    assert (tmp_path / "trusted" / "task-ran").is_file()
    # The same repository by its path is the listed source: trusted as well.
    same = new(run_cli, str(repo), tmp_path / "same-path")
    assert same.code == 0, same.stderr

    # A copy the configuration does not list needs --trust.
    other = tmp_path / "elsewhere"
    git(tmp_path, "clone", "-q", str(repo), str(other))
    refused = new(run_cli, str(other), tmp_path / "refused")
    assert refused.code == 4, refused.stderr
    assert "--trust" in refused.stderr
    assert not (tmp_path / "refused").exists()
    allowed = new(run_cli, str(other), tmp_path / "allowed", "--trust")
    assert allowed.code == 0, allowed.stderr
    assert (tmp_path / "allowed" / "task-ran").is_file()


def test_templates_show_reads_a_configured_template(
    run_cli: RunCli, tmp_path: Path, isolated_env: Path
) -> None:
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0"], title="Lib")
    write_config(isolated_env, f'[[template]]\nname = "lib"\nurl = "{repo}"\n')
    result = run_cli(["templates", "show", "lib", "--json"])
    assert result.code == 0, result.stderr
    shown = result.json()["result"]
    assert (shown["template"]["name"], shown["template"]["version"]) == ("lib", "1.0.0")
    assert {"name", "owner"} <= {q["name"] for q in shown["questions"]}
