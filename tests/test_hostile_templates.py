"""Untrusted templates render files and nothing else: they run no command, read neither the
environment nor the disk, and never reach `.git`. Each hostile template is built inline (and,
where the case needs one, as a real git repository); every test drives the real CLI."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import STANDARD_ANSWERS, CliResult
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN
from tests.helpers import make_template

Run = Callable[[list[object]], CliResult]


def sh_touch(marker: Path) -> str:
    """A git config value that, if git ever runs it, leaves `marker` behind."""
    return f'"touch {marker}; false"'


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


def make_repo(path: Path) -> Path:
    """Commit everything in `path` into a new git repository there."""
    git(path, "init", "--quiet", "-b", "main")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", "template")
    return path


def new(run: Run, template: Path | str, dst: Path, *extra: object) -> CliResult:
    return run(["new", template, "--output", dst, *STANDARD_ANSWERS, "--no-input", *extra])


def assert_clean_error(result: CliResult, code: int, *needles: str) -> None:
    assert result.code == code, result.stderr
    # Progress lines come first; the error is the last two: "error: ..." and "  hint: ...".
    lines = result.stderr.splitlines()
    lines = lines[next(i for i, ln in enumerate(lines) if ln.startswith("error: ")) :]
    assert len(lines) <= 2, result.stderr
    assert all(line.startswith("  hint: ") for line in lines[1:]), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


def hook(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\ntouch {marker}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


# -- 1. a rendered .git ---------------------------------------------------------------------

GIT_FOLDERS = {
    "literal .git": ".git",
    "jinja name": "{{ '.git' }}",
    "upper case": ".GIT",
}


@pytest.mark.parametrize("folder", GIT_FOLDERS.values(), ids=GIT_FOLDERS.keys())
def test_a_template_cannot_render_a_git_folder(run_cli: Run, tmp_path: Path, folder: str) -> None:
    marker = tmp_path / "pwned"
    config = f"[core]\n\tfsmonitor = {sh_touch(marker)}\n\thooksPath = .git/evil-hooks\n"
    repository = {  # enough of a repository for git to use it, and its config
        "config": config,
        "HEAD": "ref: refs/heads/main\n",
        "objects/info/keep": "",
        "refs/heads/keep": "",
    }
    template = make_template(
        tmp_path / "tpl",
        extra_config="_scaffolder:\n  baseline: false\n",  # only the template's own files
        files={f"template/{folder}/{k}": v for k, v in repository.items()},
    )
    hook(template / "template" / folder / "evil-hooks" / "post-commit", marker)
    hook(template / "template" / folder / "hooks" / "post-commit", marker)
    dst = tmp_path / "out"

    result = new(run_cli, template, dst)

    assert result.code == 0, result.stderr
    assert not marker.exists(), "git ran a command the template supplied"
    assert (dst / "README.md").is_file()
    assert "fsmonitor" not in (dst / ".git" / "config").read_text()
    assert not (dst / ".GIT").exists() and not (dst / ".git" / "evil-hooks").exists()
    assert git(dst, "ls-files").stdout.split() == [".copier-answers.yml", "README.md"]


def test_a_gitfile_pointing_elsewhere_is_not_rendered(run_cli: Run, tmp_path: Path) -> None:
    """A `.git` *file* (`gitdir: ...`) would make scaffolder commit into a repository the
    template chose, with that repository's config."""
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil-gitdir"
    git(tmp_path, "init", "--quiet", "--bare", str(evil))
    git(evil, "config", "core.fsmonitor", f"touch {marker}; false")
    template = make_template(tmp_path / "tpl", files={"template/.git": f"gitdir: {evil}\n"})
    dst = tmp_path / "out"

    result = new(run_cli, template, dst)

    assert result.code == 0, result.stderr
    assert not marker.exists()
    assert (dst / ".git").is_dir()
    assert git(evil, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0


LINKS = {"plain": ("link", ".git"), "jinja target": ("link.jinja", "{{ '.git' }}/hooks")}


@pytest.mark.parametrize("name,target", LINKS.values(), ids=LINKS.keys())
def test_no_symlink_into_git_is_rendered(
    run_cli: Run, tmp_path: Path, name: str, target: str
) -> None:
    template = make_template(tmp_path / "tpl", extra_config="_preserve_symlinks: true\n")
    (template / "template" / name).symlink_to(target)
    (template / "template" / "ok").symlink_to("README.md")
    dst = tmp_path / "out"

    result = new(run_cli, template, dst)

    assert result.code == 0, result.stderr
    assert not (dst / "link").is_symlink() and not (dst / "link").exists()
    assert (dst / "ok").is_symlink()


def test_new_refuses_a_destination_holding_a_git(run_cli: Run, tmp_path: Path) -> None:
    """(Already so before this change; kept as a guard.)"""
    marker = tmp_path / "pwned"
    dst = tmp_path / "out"
    git(tmp_path, "init", "--quiet", str(dst))
    git(dst, "config", "core.fsmonitor", f"touch {marker}; false")
    template = make_template(tmp_path / "tpl")

    result = new(run_cli, template, dst)

    assert_clean_error(result, 2, "not empty")
    assert not marker.exists()
    assert not (dst / "README.md").exists()


def test_scaffolders_own_git_runs_no_repository_commands(
    run_cli: Run, new_service: Callable[..., Path], tmp_path: Path
) -> None:
    """`resume` commits in a repository that already exists: its fsmonitor and hooks stay off."""
    marker = tmp_path / "pwned"
    project = new_service()
    subprocess.run(["rm", "-rf", str(project / ".git")], check=True)
    git(project, "init", "--quiet", "-b", "main")
    git(project, "config", "core.fsmonitor", f"touch {marker}; false")
    for name in ("pre-commit", "post-commit", "reference-transaction"):
        hook(project / ".git" / "hooks" / name, marker)

    result = run_cli(["resume", project, "--no-register"])

    assert result.code == 0, result.stderr
    assert not marker.exists(), "git ran a command the repository supplied"
    assert git(project, "rev-parse", "HEAD").returncode == 0


# -- 2. copier's git in a hostile template repository ---------------------------------------


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A template that is a git repository whose own config runs a command on `git status`:
    `core.fsmonitor`, and a clean filter applied by `.gitattributes` to a stat-dirty file."""
    marker = tmp_path / "pwned"
    template = make_template(
        tmp_path / "tpl", files={".gitattributes": "*.md filter=evil\n*.jinja filter=evil\n"}
    )
    make_repo(template)
    git(template, "config", "core.fsmonitor", f"touch {marker}; false")
    git(template, "config", "filter.evil.clean", f"touch {marker}.filter; cat")
    git(template, "config", "filter.evil.required", "true")
    hook(template / ".git" / "hooks" / "post-checkout", marker)
    # Same content, new mtime: git must re-read the file, through the filter.
    readme = template / "template" / "README.md.jinja"
    os.utime(readme, (1, 1))
    return template, marker


def test_templates_show_runs_nothing_from_the_template_repo(
    run_cli: Run, hostile_repo: tuple[Path, Path]
) -> None:
    template, marker = hostile_repo
    result = run_cli(["templates", "show", template])
    assert result.code == 0, result.stderr
    assert not marker.exists() and not Path(f"{marker}.filter").exists()


def test_dry_run_and_new_run_nothing_from_the_template_repo(
    run_cli: Run, hostile_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    template, marker = hostile_repo
    assert new(run_cli, template, tmp_path / "dry", "--dry-run").code == 0
    result = new(run_cli, template, tmp_path / "out")
    assert result.code == 0, result.stderr
    assert not marker.exists() and not Path(f"{marker}.filter").exists()
    assert (tmp_path / "out" / "README.md").read_text() == "# out\n"


def test_git_config_from_the_environment_is_kept(
    run_cli: Run, hostile_repo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hardening appends to `GIT_CONFIG_COUNT` (publish passes credentials that way too) and
    puts the environment back afterwards."""
    template, _ = hostile_repo
    env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": "Env"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = new(run_cli, template, tmp_path / "out")
    assert result.code == 0, result.stderr
    author = git(tmp_path / "out", "log", "-1", "--format=%an").stdout.strip()
    assert author == "Env"
    assert {k: os.environ.get(k) for k in env} == env
    assert "GIT_CONFIG_KEY_1" not in os.environ


# -- 3. no reading the environment or the disk ------------------------------------------------

READING = {
    "expandvars in a file": (
        {"template/leak.txt.jinja": "{{ '$GH_TOKEN' | expandvars }}"},
        "",
        "expandvars",
    ),
    "expandvars in a file name": (
        {"template/{{ '$GH_TOKEN' | expandvars }}.jinja": "x"},
        "",
        "expandvars",
    ),
    "expanduser": ({"template/home.txt.jinja": "{{ '~' | expanduser }}"}, "", "expanduser"),
    "realpath": ({"template/where.txt.jinja": "{{ '.' | realpath }}"}, "", "realpath"),
    "fileglob": ({"template/ls.txt.jinja": "{{ '/etc/*' | fileglob }}"}, "", "fileglob"),
    "relpath from the working folder": (
        {"template/r.txt.jinja": "{{ '/etc' | relpath }}"},
        "",
        "relpath",
    ),
    "expandvars in a default": (
        {},
        "leak:\n  type: str\n  default: \"{{ '$GH_TOKEN' | expandvars }}\"\n",
        "expandvars",
    ),
    "expandvars in a validator": (
        {},
        "leak:\n  type: str\n  default: x\n  validator: \"{{ '$HOME' | expandvars }}\"\n",
        "expandvars",
    ),
}


@pytest.mark.parametrize("files,questions,name", READING.values(), ids=READING.keys())
def test_untrusted_templates_cannot_read_environment_or_disk(
    run_cli: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    questions: str,
    name: str,
) -> None:
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    template = make_template(tmp_path / "tpl", extra_config=questions, files=files)
    dst = tmp_path / "out"

    result = new(run_cli, template, dst)

    assert_clean_error(result, 4, f"`{name}` filter", str(template))
    assert "--trust" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]


def test_pure_path_filters_still_work(run_cli: Run, tmp_path: Path) -> None:
    files = {"template/p.txt.jinja": "{{ '/a/b/c' | relpath('/a') }} {{ 'x/y.z' | basename }}"}
    template = make_template(tmp_path / "tpl", files=files)
    result = new(run_cli, template, tmp_path / "out")
    assert result.code == 0, result.stderr
    assert (tmp_path / "out" / "p.txt").read_text() == "b/c y.z"


# -- the token scan, before the first commit and before every push --------------------------


def test_trusted_expandvars_works_but_the_token_is_never_committed(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.setenv("GREETING", "hello")
    files = {
        "template/greeting.txt.jinja": "{{ '$GREETING' | expandvars }}",
        "template/config/leak.txt.jinja": "token={{ '$GH_TOKEN' | expandvars }}",
    }
    template = make_template(tmp_path / "tpl", files=files)
    dst = tmp_path / "out"

    result = new(run_cli, template, dst, "--trust")

    assert_clean_error(result, 4, "config/leak.txt", "refusing to commit")
    assert TOKEN not in result.stdout + result.stderr
    assert (dst / "greeting.txt").read_text() == "hello"
    assert git(dst, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0


TOKEN_IN = {
    "content": {"template/settings.env.jinja": "API_KEY={{ api_key }}\n"},
    "name": {"template/{{ api_key }}.txt": "x"},
}


@pytest.mark.parametrize("files", TOKEN_IN.values(), ids=TOKEN_IN.keys())
def test_an_answer_holding_the_token_is_never_committed(
    run_subprocess: Callable[..., CliResult],
    tmp_path: Path,
    files: dict[str, str],
) -> None:
    template = make_template(
        tmp_path / "tpl",
        extra_config="api_key:\n  type: str\n  secret: true\n  default: ''\n",
        files=files,
    )
    dst = tmp_path / "out"

    result = run_subprocess(
        [
            "new",
            template,
            "--output",
            dst,
            *STANDARD_ANSWERS,
            "--no-input",
            "--trust",
            "--set",
            f"api_key={TOKEN}",
        ],
        env={"GITHUB_TOKEN": TOKEN},
    )

    assert_clean_error(result, 4, "refusing to commit", "holds the GitHub token")
    assert TOKEN not in result.stdout + result.stderr
    assert git(dst, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0
    assert not (dst / ".git" / "index").exists(), "nothing was staged"


def test_publish_refuses_to_push_the_token(
    fake_github: FakeGitHub, new_service: Callable[..., Path], run_cli: Run
) -> None:
    project = new_service()
    (project / "notes.txt").write_text(f"my token is {TOKEN}\n")
    git(project, "add", "notes.txt")
    git(project, "commit", "--quiet", "-m", "notes")
    (project / "notes.txt").unlink()
    git(project, "commit", "--quiet", "-am", "remove the notes again")

    result = run_cli(["publish", project])

    # Refused before anything is written on GitHub: exit 4, not a partial publish.
    assert result.code == 4, result.stderr
    assert "refusing to publish: notes.txt holds the GitHub token" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert fake_github.writes() == [] and fake_github.state.repos == {}


# -- 4. sandbox and source errors are clean errors ------------------------------------------

BROKEN = {
    "sandbox escape": (
        {"template/x.txt.jinja": "{{ '{0.__class__.__mro__}'.format(1) }}"},
        "Jinja sandbox forbids",
    ),
    "sandbox limit": ({"template/x.txt.jinja": "{{ range(10**9) | list }}"}, "sandbox limit"),
    "include outside the template": (
        {"template/x.txt.jinja": "{% include '../../../../etc/hostname' %}"},
        "includes '../../../../etc/hostname'",
    ),
    "undefined filter": ({"template/x.txt.jinja": "{{ 1 | nosuchfilter }}"}, "nosuchfilter"),
}


@pytest.mark.parametrize("files,message", BROKEN.values(), ids=BROKEN.keys())
def test_sandbox_errors_are_clean(
    run_cli: Run, tmp_path: Path, files: dict[str, str], message: str
) -> None:
    template = make_template(tmp_path / "tpl", files=files)
    dst = tmp_path / "out"
    for args in (["--dry-run"], []):
        result = new(run_cli, template, dst, *args)
        assert_clean_error(result, 2, message, str(template))
        assert not dst.exists()


def test_an_unreachable_git_url_is_a_clean_error(run_cli: Run, tmp_path: Path) -> None:
    url = "https://user:s3cret@127.0.0.1:9/nobody/template.git"
    result = new(run_cli, url, tmp_path / "out")
    assert_clean_error(result, 2, "cannot fetch template https://127.0.0.1:9/nobody/template.git")
    assert "s3cret" not in result.stderr


def test_a_repository_without_commits_is_a_clean_error(run_cli: Run, tmp_path: Path) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    for ref in (str(bare), bare.as_uri()):
        result = run_cli(["templates", "show", ref])
        assert_clean_error(result, 2, "cannot fetch template")


def test_a_file_url_works_like_its_path(run_cli: Run, tmp_path: Path) -> None:
    folder = make_template(tmp_path / "folder tpl")
    repo = make_repo(make_template(tmp_path / "repo-tpl"))
    bare = tmp_path / "bare-tpl.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repo), str(bare))
    for i, template in enumerate((folder, repo, bare)):
        result = new(run_cli, template.as_uri(), tmp_path / f"out{i}")
        assert result.code == 0, result.stderr
        assert (tmp_path / f"out{i}" / "README.md").read_text() == f"# out{i}\n"


def test_a_file_url_to_nothing_is_a_clean_error(run_cli: Run, tmp_path: Path) -> None:
    result = new(run_cli, (tmp_path / "missing").as_uri(), tmp_path / "out")
    assert_clean_error(result, 2, "does not exist")
    assert "invalid answer" not in result.stderr
