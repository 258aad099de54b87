"""What `scaffolder new` skips to be fast, and that skipping it changes nothing it renders.

- copier is imported without its prompt libraries (`render/import_stubs.py`);
- compiled Jinja is kept between runs (`render/jinja_cache.py`), never trusted over the source;
- git is asked for `core.fileMode` once per layer, not once per file, and runs no maintenance
  after the first commit.

Speed itself is measured by `benchmarks/scaffold.py`, not here.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import jinja2
import pytest

from scaffolder import jinja_cache
from scaffolder.render import copier_adapter, import_stubs
from tests.conftest import STANDARD_ANSWERS, CliResult
from tests.helpers import build_file_tree

#: What copier imports and scaffolder's use of it never reaches (`render/import_stubs.py`).
UNUSED_LIBRARIES = ("questionary", "prompt_toolkit", "pygments", "urllib.request", "dunamai")


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _new_in_fresh_process(dst: Path, *, preload: Sequence[str] = ()) -> list[str]:
    """Run `scaffolder new` in a new interpreter (after importing `preload`), and return which
    of the unused libraries are loaded at the end."""
    args = ["new", "python-service", "--output", str(dst), "--no-input", *STANDARD_ANSWERS]
    script = textwrap.dedent(
        """
        import json, sys
        preload, args, libraries = json.loads(sys.argv[1])
        for name in preload:
            __import__(name)
        from scaffolder.cli import main
        code = main(args)
        loaded = sorted({m.partition(".")[0] for m in sys.modules} | set(sys.modules))
        loaded = sorted(set(loaded) & set(libraries))
        print(json.dumps({"code": code, "loaded": loaded}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps([list(preload), args, UNUSED_LIBRARIES])],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    return list(report["loaded"])


# -- copier without its prompt libraries -------------------------------------------------------
def test_a_scaffold_without_input_never_imports_what_copier_would_not_use(tmp_path: Path) -> None:
    assert _new_in_fresh_process(tmp_path / "plain") == []


def test_the_stand_ins_render_exactly_what_the_real_libraries_render(tmp_path: Path) -> None:
    # With questionary imported first, copier gets the real libraries: the same bytes result.
    assert _new_in_fresh_process(tmp_path / "stubbed" / "svc") == []
    loaded = _new_in_fresh_process(
        tmp_path / "real" / "svc", preload=["questionary", "urllib.request"]
    )
    assert "questionary" in loaded
    assert "urllib.request" in loaded
    stubbed, real = _tree(tmp_path / "stubbed" / "svc"), _tree(tmp_path / "real" / "svc")
    assert len(stubbed) > 15
    assert stubbed == real


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("plain",), {}),
        (("title",), {"value": 3, "disabled": "no", "checked": True}),
        (([("class:x", "a"), ("", "b")],), {}),
        (("t",), {"checked": None, "shortcut_key": "k", "description": "d"}),
    ],
)
def test_the_choice_stand_in_has_questionarys_attributes(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    from questionary.prompts.common import Choice

    real, stand_in = Choice(*args, **kwargs), import_stubs.Choice(*args, **kwargs)  # type: ignore[arg-type]
    for attribute in (
        "title",
        "value",
        "disabled",
        "checked",
        "shortcut_key",
        "auto_shortcut",
        "description",
    ):
        assert getattr(stand_in, attribute) == getattr(real, attribute), attribute


def test_the_stand_ins_are_gone_once_copier_is_imported() -> None:
    # In a fresh interpreter: inside, `questionary` is the stand-in; after, the real library.
    script = textwrap.dedent(
        """
        import sys
        from scaffolder.render import import_stubs
        with import_stubs.stubbed() as active:
            import questionary
            inside = questionary.__doc__
        import questionary
        print(active, "stand-in" in inside, hasattr(questionary, "select"),
              "questionary.prompts.common" in sys.modules)
        with import_stubs.stubbed() as again:
            pass
        print(again)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.split() == ["True", "True", "True", "True", "False"]


def test_what_plumbum_keeps_of_urllib_is_the_real_thing_when_used() -> None:
    script = textwrap.dedent(
        """
        import sys
        from scaffolder.render import import_stubs
        with import_stubs.stubbed() as active:
            import plumbum.path.local
        print(active, "urllib.request" in sys.modules)
        print(plumbum.local.path("/tmp/a b").as_uri())
        import urllib.request
        print(urllib.request.urlopen.__module__)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.split() == ["True", "False", "file:///tmp/a%20b", "urllib.request"]


def test_a_git_templates_version_is_read_by_the_real_dunamai(tmp_path: Path) -> None:
    repo = build_file_tree(tmp_path / "tpl", {"copier.yml": "{}\n", "a.txt": "a\n"})
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    subprocess.run([*git, "tag", "v1.2.0"], check=True)
    script = textwrap.dedent(
        """
        import sys
        from scaffolder.render import import_stubs
        with import_stubs.stubbed():
            import copier._template
        print("dunamai" in sys.modules)
        template = copier._template.Template(url=sys.argv[1], ref=None)
        print(template.version, "dunamai" in sys.modules)
        template._cleanup()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(repo)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert proc.stdout.split() == ["False", "1.2.0", "True"]


def test_a_scaffold_starts_no_uname_process(
    run_subprocess: Callable[..., CliResult], tmp_path: Path
) -> None:
    # plumbum reads the system's name at import; Python would run `uname -p` to build it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "uname-calls"
    fake = bin_dir / "uname"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec /bin/uname "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    args = ["new", "python-service", "--output", tmp_path / "svc", "--no-input", *STANDARD_ANSWERS]
    result = run_subprocess(args, env=env)
    assert result.code == 0, result.stderr
    assert not calls.exists()
    # The fake is the one Python runs when it does need the processor.
    check = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.processor())"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    assert check.returncode == 0 and calls.read_text() == "-p\n"


def test_a_prompt_copier_would_make_reaches_the_real_library() -> None:
    script = textwrap.dedent(
        """
        from scaffolder.render import import_stubs
        with import_stubs.stubbed():
            from questionary import confirm
        question = confirm("Overwrite?", default=True)
        print(type(question).__module__)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "questionary.question"


# -- compiled Jinja kept between runs ----------------------------------------------------------
@pytest.fixture
def fresh_process_state() -> None:
    """What a new process starts with: no Template or Jinja environment kept in the adapter."""
    copier_adapter.release_templates()


@pytest.fixture
def count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    compiled: list[str] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
        compiled.append(source)
        return original(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def _scaffold(run_cli: Callable[[Sequence[str]], CliResult], dst: Path) -> None:
    result = run_cli(["new", "python-service", "--output", dst, "--no-input", *STANDARD_ANSWERS])
    assert result.code == 0, result.stderr


@pytest.fixture
def hello(tmp_path: Path, fresh_process_state: None) -> Callable[[str], str]:
    """A one-file template, and a render of it into `tmp_path / DST` as a new process would
    (nothing kept in the adapter); returns the rendered `hello.txt`."""
    template = build_file_tree(
        tmp_path / "tpl",
        {"copier.yml": "name: {type: str}\n", "hello.txt.jinja": "hi {{ name }}\n"},
    )

    def render(dst: str) -> str:
        copier_adapter.release_templates()
        copier_adapter.render(
            str(template), tmp_path / dst, {"name": "x"}, unsafe=False, pretend=False
        )
        return (tmp_path / dst / "hello.txt").read_text()

    return render


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "jinja").glob("??/*.jinja"))


def test_a_second_scaffold_compiles_nothing_and_renders_the_same(
    run_cli: Callable[[Sequence[str]], CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_process_state: None,
    count_compiles: list[str],
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(cache))
    _scaffold(run_cli, tmp_path / "first" / "svc")
    first = len(count_compiles)
    assert first > 50  # files, file names and question strings of both layers
    entries = _entries(cache)
    # One per compiled text (the same text may be two entries: two files, two environments).
    assert len(set(count_compiles)) <= len(entries) <= first
    assert stat.S_IMODE((cache / "jinja").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(e.stat().st_mode) == 0o600 for e in entries)

    copier_adapter.release_templates()  # as a new process would start
    count_compiles.clear()
    _scaffold(run_cli, tmp_path / "second" / "svc")
    assert count_compiles == []
    assert _entries(cache) == entries
    assert _tree(tmp_path / "first" / "svc") == _tree(tmp_path / "second" / "svc")


def test_an_edited_template_file_is_compiled_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hello: Callable[[str], str],
    count_compiles: list[str],
) -> None:
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(tmp_path / "cache"))
    assert hello("a") == "hi x\n"
    assert "hi {{ name }}\n" in count_compiles
    count_compiles.clear()
    assert hello("b") == "hi x\n"
    assert count_compiles == []
    (tmp_path / "tpl" / "hello.txt.jinja").write_text("bye {{ name }}\n")
    assert hello("c") == "bye x\n"
    assert count_compiles == ["bye {{ name }}\n"]


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "other-header", "symlink", "directory", "huge"],
)
def test_a_damaged_entry_is_compiled_again_never_an_error(
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hello: Callable[[str], str],
    count_compiles: list[str],
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(cache))
    hello("a")
    for entry in _entries(cache):
        data = entry.read_bytes()
        entry.unlink()
        if damage == "garbage":
            entry.write_bytes(b"\x00\xff" * 64)
        elif damage == "truncated":
            entry.write_bytes(data[: len(data) // 2])
        elif damage == "other-header":
            entry.write_bytes(b"scaffolder-jinja-cache 0\n" + data.partition(b"\n")[2])
        elif damage == "symlink":
            (tmp_path / "target").write_bytes(data)
            entry.symlink_to(tmp_path / "target")
        elif damage == "directory":
            entry.mkdir()
        else:
            entry.write_bytes(data + b"\0" * (5 << 20))
    count_compiles.clear()
    assert hello("b") == "hi x\n"
    assert "hi {{ name }}\n" in count_compiles


def test_a_cache_directory_others_may_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hello: Callable[[str], str]
) -> None:
    cache = tmp_path / "cache"
    (cache / "jinja").mkdir(parents=True)
    (cache / "jinja").chmod(0o777)
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(cache))
    monkeypatch.setattr(jinja_cache, "_checked", {})
    assert hello("a") == "hi x\n"
    assert _entries(cache) == []


def test_no_cache_means_no_cache_and_an_unwritable_one_still_renders(
    run_cli: Callable[[Sequence[str]], CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_process_state: None,
) -> None:
    monkeypatch.setenv("SCAFFOLDER_NO_CACHE", "1")
    _scaffold(run_cli, tmp_path / "none" / "svc")
    assert not (tmp_path / "home" / ".cache" / "scaffolder").exists()
    assert not list(Path(os.environ["XDG_CACHE_HOME"]).glob("**/*.jinja"))

    monkeypatch.delenv("SCAFFOLDER_NO_CACHE")
    # A cache "directory" under a plain file cannot be made, whoever runs the test.
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("SCAFFOLDER_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    monkeypatch.setattr(jinja_cache, "_checked", {})
    copier_adapter.release_templates()
    _scaffold(run_cli, tmp_path / "unwritable" / "svc")
    assert _tree(tmp_path / "none" / "svc") == _tree(tmp_path / "unwritable" / "svc")


def test_trusted_and_untrusted_renders_never_share_compiled_code() -> None:
    env = jinja2.Environment(autoescape=True)
    assert jinja_cache.fingerprint(env, trusted=True) != jinja_cache.fingerprint(env, trusted=False)
    other = jinja2.Environment(
        autoescape=True, variable_start_string="[[", variable_end_string="]]"
    )
    assert jinja_cache.fingerprint(env, trusted=False) != jinja_cache.fingerprint(
        other, trusted=False
    )
    env.filters["extra"] = str
    assert jinja_cache.fingerprint(env, trusted=False) != jinja_cache.fingerprint(
        jinja2.Environment(autoescape=True), trusted=False
    )


# -- git ---------------------------------------------------------------------------------------
def test_git_is_not_asked_for_file_modes_outside_a_repository_and_runs_no_maintenance(
    run_cli: Callable[[Sequence[str]], CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "git-trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    _scaffold(run_cli, tmp_path / "svc")
    lines = trace.read_text().splitlines()
    asked = [line for line in lines if "core.fileMode" in line and "built-in: git config" in line]
    # A new project is in no repository until its commit: nothing to ask (copier: 19 times).
    assert asked == []
    assert not [line for line in lines if "maintenance" in line]


def test_a_new_project_costs_three_git_processes_and_reports_its_real_commit(
    run_cli: Callable[[Sequence[str]], CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "git-trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    dst = tmp_path / "svc"
    result = run_cli(
        ["new", "python-service", "--output", dst, "--no-input", "--json", *STANDARD_ANSWERS]
    )
    assert result.code == 0, result.stderr
    ran = [
        line.split("built-in: git ")[1].split()[0]
        for line in trace.read_text().splitlines()
        if "built-in: git " in line
    ]
    assert ran == ["init", "add", "commit"]
    head = subprocess.run(
        ["git", "-C", str(dst), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    assert result.json()["result"]["commit"] == head.stdout.strip()


def test_a_commit_whose_branch_is_not_a_plain_ref_file_is_asked_of_git(tmp_path: Path) -> None:
    from scaffolder.vcs import git

    repo = tmp_path / "repo"
    build_file_tree(repo, {"a.txt": "a\n"})
    sha = git.initial_commit(repo, "first")
    assert git._new_branch_tip(repo, "main") == sha
    # Packed refs (or another ref storage) leave no file to read: git answers instead.
    subprocess.run(["git", "-C", str(repo), "pack-refs", "--all"], check=True)
    assert git._new_branch_tip(repo, "main") is None
    assert git.head_commit(repo) == sha


def test_inside_a_repository_git_is_asked_once_per_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_process_state: None
) -> None:
    template = build_file_tree(
        tmp_path / "tpl", {"copier.yml": "{}\n", "a.txt": "a\n", "b.txt": "b\n", "c/d.txt": "d\n"}
    )
    monorepo = tmp_path / "monorepo"
    subprocess.run(["git", "init", "-q", str(monorepo)], check=True)
    trace = tmp_path / "git-trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    copier_adapter.render(str(template), monorepo / "svc", {}, unsafe=False, pretend=False)
    asked = [line for line in trace.read_text().splitlines() if "core.fileMode" in line]
    assert len([line for line in asked if "built-in: git config" in line]) == 1


def test_an_executable_bit_still_reaches_the_index_when_git_ignores_file_modes(
    tmp_path: Path, fresh_process_state: None
) -> None:
    # copier's own rule, kept: with core.fileMode false, a tracked file the template makes
    # executable gets its mode in the index, as git cannot see it on disk.
    template = build_file_tree(tmp_path / "tpl", {"copier.yml": "{}\n", "run.sh": "echo hi\n"})
    (template / "run.sh").chmod(0o755)
    project = tmp_path / "project"
    build_file_tree(project, {"run.sh": "echo old\n"})
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "config", "core.fileMode", "false"], check=True)
    subprocess.run([*git, "add", "run.sh"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    copier_adapter.render(str(template), project, {}, unsafe=False, pretend=False)
    staged = subprocess.run(
        [*git, "ls-files", "--stage", "run.sh"], capture_output=True, text=True, check=True
    )
    assert staged.stdout.startswith("100755 ")


# -- copier's context built once per render ----------------------------------------------------
def test_a_render_matches_copiers_own_when_a_template_edits_its_context(
    tmp_path: Path, fresh_process_state: None
) -> None:
    """The adapter builds copier's render context once per layer and hands out copies: what a
    template does to one (or copier does, to `_copier_conf`) never reaches the next file."""
    import copier

    files = {
        "copier.yml": "name: {type: str, default: svc}\nlevel: {type: int, default: 2}\n",
        "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        "a.txt.jinja": "{% set _ = _copier_answers.update({'injected': 1}) %}"
        "{% set _ = _copier_conf.update({'sep': '!'}) %}{{ name }}\n",
        "b.txt.jinja": "{{ _copier_answers | to_json }} {{ _copier_conf.sep }} "
        "{{ _copier_conf.answers_file }} {{ _folder_name }}\n",
        "{{ name }}/{{ level }}.txt.jinja": "{{ level * 2 }}\n",
    }
    template = build_file_tree(tmp_path / "tpl", files)
    ours, theirs = tmp_path / "ours" / "out", tmp_path / "theirs" / "out"
    copier_adapter.render(
        str(template), ours, {"name": "api", "level": 3}, unsafe=False, pretend=False
    )
    copier.run_copy(
        str(template),
        theirs,
        data={"name": "api", "level": 3},
        defaults=True,
        quiet=True,
        unsafe=False,
        overwrite=True,
    )
    assert _tree(ours) == _tree(theirs)
    assert (ours / "api" / "3.txt").read_text() == "6\n"
    assert "injected" not in (ours / ".copier-answers.yml").read_text()
