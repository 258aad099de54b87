"""The step runner, as users meet it: exit codes by outcome, resume from the journal, undo.

Each test drives the real CLI (in-process or as a subprocess) against real git, real copier and
the fake GitHub, and checks what a person would see: the exit code, the hint, the files.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scaffolder.catalog.locations import read_entries
from tests.conftest import STANDARD_ANSWERS
from tests.fakegithub.server import FakeGitHub
from tests.helpers import make_template

R = "/repos/alice/payments-api"


def _commits(project: Path) -> list[str]:
    proc = subprocess.run(
        ["git", "log", "--format=%H"], cwd=project, capture_output=True, text=True, check=False
    )
    return proc.stdout.split() if proc.returncode == 0 else []


def _signal_when(
    args: list[str], ready: Callable[[], bool], sig: signal.Signals, **env: str
) -> tuple[int, str, str]:
    """Run `scaffolder ARGS` in its own process group; once `ready()` holds (a marker file, a
    repository on the fake), send `sig` to the group, as a terminal's Ctrl-C does, and wait."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scaffolder", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready(), proc.communicate()
    time.sleep(0.2)
    os.killpg(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr


def _tracked(project: Path) -> set[str]:
    proc = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    )
    return set(proc.stdout.split())


def test_resume_after_new_publish_failed_finishes_the_publish(
    fake_github: FakeGitHub, run_cli: Callable, tmp_path: Path, catalog_file: Path
) -> None:
    """`scaffolder resume DIR` runs the stopped `new --publish` again: the local steps are
    skipped or unchanged, the publish steps finish, nothing is created twice."""
    dst = tmp_path / "payments-api"
    fake_github.fail("PUT", f"{R}/vulnerability-alerts", status=403, message="injected failure")
    first = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--publish", "--json"])
    assert first.code == 3, first.stderr
    assert first.json()["error"]["failed"] == "security"
    commit = _commits(dst)

    second = run_cli(["resume", dst, "--json"])
    assert second.code == 0, second.stderr
    steps = {s["name"]: s["status"] for s in second.json()["result"]["steps"]}
    assert steps["render"] == "unchanged"  # done by the first run: skipped
    assert steps["commit"] == "unchanged" and steps["repository"] == "unchanged"
    assert steps["security"] == "done" and steps["verify"] == "done"
    assert _commits(dst) == commit  # not committed again
    assert len(fake_github.calls("POST", "/user/repos")) == 1  # not created again
    assert second.json()["result"]["repository"]["repository"]["full_name"] == (
        "alice/payments-api"
    )
    targets = [e.target for e in read_entries(catalog_file)]
    assert targets == [f"{fake_github.web_url}/alice/payments-api/blob/main/catalog-info.yaml"]

    # Finished: nothing is left to resume, and resume says what it can do instead.
    third = run_cli(["resume", dst])
    assert third.code == 0, third.stderr


def test_kill_9_during_render_then_resume_renders_again_and_commits_it_whole(
    tmp_path: Path, run_cli: Callable
) -> None:
    """The template layer rendered, the process died before the baseline layer: the resume
    must not commit half a project."""
    block = tmp_path / "block"
    block.write_text("")
    marker = tmp_path / "task-started"
    # The template layer's task waits while `block` exists: the kill lands between layers.
    template = make_template(
        tmp_path / "tpl",
        extra_config=(
            "_scaffolder:\n  languages: [python]\n"
            f'_tasks:\n  - "touch {marker}; while [ -e {block} ]; do sleep 0.1; done"\n'
        ),
        files={"template/pyproject.toml": "[project]\nname = 'x'\n"},
    )
    dst = tmp_path / "svc"
    args = ["new", str(template), "-o", str(dst), *STANDARD_ANSWERS, "--trust"]
    _signal_when([*args, "--no-register", "--no-input"], marker.exists, signal.SIGKILL)
    assert (dst / "README.md").is_file()  # the template layer is there...
    assert not (dst / "catalog-info.yaml").exists()  # ...the baseline is not
    block.unlink()

    resumed = run_cli(["resume", dst, "--no-register", "--json"])
    assert resumed.code == 0, resumed.stderr
    steps = {s["name"]: s["status"] for s in resumed.json()["result"]["steps"]}
    assert steps["render"] == "done"  # rendered again, not skipped
    assert {"README.md", "catalog-info.yaml", "SECURITY.md"} <= _tracked(dst)
    assert len(_commits(dst)) == 1


def test_ctrl_c_after_github_was_changed_keeps_everything_and_says_how_to_resume(
    fake_github: FakeGitHub, tmp_path: Path, catalog_file: Path
) -> None:
    dst = tmp_path / "payments-api"
    # The topics call hangs: the repository exists on GitHub when Ctrl-C arrives.
    fake_github.fail("PUT", f"{R}/topics", status=None, delay=20)
    code, _, stderr = _signal_when(
        ["new", "python-service", "-o", str(dst), *STANDARD_ANSWERS, "--publish", "--no-input"],
        lambda: ("alice", "payments-api") in fake_github.state.repos,
        signal.SIGINT,
        SCAFFOLDER_GITHUB_TIMEOUT="30",
    )
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert "the project was kept" in stderr
    hint = next(line for line in stderr.splitlines() if "to finish, run:" in line)
    assert shlex.split(hint.split("to finish, run:")[1])[:3] == ["scaffolder", "publish", str(dst)]
    assert (dst / "catalog-info.yaml").is_file() and _commits(dst)  # nothing local deleted
    assert ("alice", "payments-api") in fake_github.state.repos  # nothing on GitHub deleted


def test_ctrl_c_before_github_undoes_the_local_run_for_every_front_end(
    tmp_path: Path, catalog_file: Path
) -> None:
    """Without the wizard too: the folder and the catalog entry this run made are removed."""
    marker = tmp_path / "task-started"
    template = make_template(
        tmp_path / "tpl", extra_config=f'_tasks:\n  - "touch {marker} && sleep 30"\n'
    )
    catalog_file.write_text("# the team's catalog\n")
    before = catalog_file.read_text()
    dst = tmp_path / "o"
    code, stdout, stderr = _signal_when(
        ["new", str(template), "-o", str(dst), *STANDARD_ANSWERS, "--trust", "--json"],
        marker.exists,
        signal.SIGINT,
    )
    assert code == 130, stderr
    import json

    payload = json.loads(stdout)
    assert payload["exit_code"] == 130 and payload["error"]["code"] == "interrupted"
    assert payload["error"]["undone"] is True
    assert not dst.exists()
    assert catalog_file.read_text() == before


def test_a_refusal_before_anything_was_written_keeps_its_own_exit_code(
    run_subprocess: Callable, tmp_path: Path
) -> None:
    """A failure in the first writing step is undone, so the run wrote nothing: the error's
    own code (2 here), not partial success, and no journal is left to resume."""
    template = make_template(tmp_path / "tpl", files={"template/bad.txt.jinja": "{{ nope.x }}\n"})
    dst = tmp_path / "out"
    result = run_subprocess(["new", template, "-o", dst, *STANDARD_ANSWERS, "--no-register"])
    assert result.code == 2, result.stderr
    assert not dst.exists()
    resumed = run_subprocess(["resume", dst])
    assert resumed.code == 2 and "not created by scaffolder" in resumed.stderr


def test_a_resume_renders_the_release_the_scaffold_began_with_not_a_newer_one(
    tmp_path: Path, run_cli: Callable, isolated_env: Path
) -> None:
    """A configured git template, killed during its render at v1.0.0; v1.1.0 is released before
    the resume, which still renders v1.0.0 (the journal holds the tag the newest resolved to)."""
    from tests.source_helpers import git, tagged_repository, write_config

    block = tmp_path / "block"
    block.write_text("")
    marker = tmp_path / "task-started"
    task = f'_tasks:\n  - "touch {marker}; while [ -e {block} ]; do sleep 0.1; done"\n'
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0"], extra_config=task)
    write_config(isolated_env, f'[[template]]\nname = "lib"\nurl = "{repo}"\n')
    dst = tmp_path / "svc"
    args = ["new", "lib", "-o", str(dst), *STANDARD_ANSWERS, "--no-register", "--no-input"]
    _signal_when(args, marker.exists, signal.SIGKILL)
    assert not (dst / "catalog-info.yaml").exists()  # stopped before the baseline
    block.unlink()
    (repo / "template" / "README.md.jinja").write_text("# {{ name }}\nfrom v1.1.0\n")
    git(repo, "commit", "-q", "-am", "release v1.1.0")
    git(repo, "tag", "-a", "v1.1.0", "-m", "v1.1.0")

    resumed = run_cli(["resume", dst, "--no-register", "--json"])
    assert resumed.code == 0, resumed.stderr
    assert (dst / "README.md").read_text().endswith("from v1.0.0\n")
    assert "_commit: v1.0.0" in (dst / ".copier-answers.yml").read_text()
