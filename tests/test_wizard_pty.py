"""`scaffolder new` in a real pseudo-terminal (80 columns, 24 rows), typed at like a person would.

Each test spawns `python -m scaffolder new` under pexpect and answers the wizard: a wrong answer
corrected inline, a change made from the review, and cancels (the review's Cancel, Esc, Ctrl-C)
that exit 130 and leave nothing on disk. `PROMPT_TOOLKIT_NO_CPR` stops prompt_toolkit from
waiting for a cursor-position answer that pexpect never sends.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

ENTER, DOWN, UP = "\r", "\x1b[B", "\x1b[A"
ESC, CTRL_C, CLEAR = "\x1b", "\x03", "\x15"
TIMEOUT = 60  # generous for a loaded machine; a passing run takes about two seconds
#: SGR parameters that set a colour (foreground, background, 256-colour and true colour).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")

Spawn = Callable[..., pexpect.spawn]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    children: list[pexpect.spawn] = []

    def start(*args: str | Path, color: bool = False) -> pexpect.spawn:
        env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm-256color"}
        if color:
            env.pop("NO_COLOR", None)
        child = pexpect.spawn(
            sys.executable,
            ["-m", "scaffolder", "new", *map(str, args)],
            env=env,
            cwd=str(tmp_path),
            dimensions=(24, 80),
            encoding="utf-8",
            timeout=TIMEOUT,
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    rest = child.read()
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1), rest


def answer_python_service(child: pexpect.spawn) -> None:
    """From the lifecycle question to the review: GitHub owner acme, every default else."""
    for prompt in ("Lifecycle stage", "Backstage system", "Lowest Python"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("GitHub user")
    child.send("acme" + ENTER)  # a group owner's team is then @acme/TEAM
    for prompt in ("vulnerability reports", "Licence", "Copyright holder", "CODEOWNERS"):
        child.expect(prompt)
        child.send(ENTER)
    # what GitHub offers, asked once the owner is known (publish aligns them anyway)
    for prompt in ("Web host", "GitHub Code Security", "Reviews required", "bypass"):
        child.expect(prompt)
        child.send(ENTER)


def test_a_full_run_with_a_correction_and_a_change_from_the_review(
    spawn: Spawn, tmp_path: Path, catalog_file: Path, run_subprocess: Any
) -> None:
    dst = tmp_path / "payments-api"
    saved = tmp_path / "answers.yml"
    child = spawn("--output", dst, "--save-answers", saved)
    transcript: list[str] = []
    child.logfile_read = _Collect(transcript)

    child.expect("Template")
    child.send("python-serv")
    child.expect("python-service")
    child.send(ENTER)
    child.expect("Component name")
    child.send(CLEAR + "Payments-API" + ENTER)  # wrong: upper case...
    child.expect("Use lowercase letters")  # ...refused inline, the question stays open
    child.send(CLEAR + "payments-api" + ENTER)
    child.expect("One line that says what the service does")
    child.send("Takes payments" + ENTER)
    child.expect("Backstage owner")
    child.send(CLEAR + "group:payments" + ENTER)
    answer_python_service(child)

    child.expect("Review: nothing is written")
    child.expect("Next step")
    child.send(DOWN + ENTER)  # Change an answer
    child.expect("Change which answer")
    child.send("owner   ")
    # prompt_toolkit may draw a run of spaces as a cursor move
    child.expect(r"owner(?: |\x1b\[\d+C)+group:payments")
    child.send(ENTER)
    child.expect("Backstage owner")
    child.send(CLEAR + "group:ledger" + ENTER)
    child.expect("Review: nothing is written")
    child.expect("codeowners +@acme/ledger")  # the accepted default followed the owner
    child.expect("Next step")
    child.send(ENTER)  # Create it
    child.expect("Created component:default/payments-api")
    code, rest = finish(child)
    output = "".join(transcript) + rest

    assert code == 0, output
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert (answers["name"], answers["owner"]) == ("payments-api", "group:ledger")
    assert (dst / ".git").is_dir()
    assert str(dst / "catalog-info.yaml") in catalog_file.read_text()
    # Progress per step, then the summary with paths and next commands.
    for line in (
        "✓ render",
        "✓ commit",
        "✓ register",
        f"cd {dst}",
        f"  scaffolder new python-service --output {dst} --data-file {saved} --no-input",
    ):
        assert line in output
    assert not COLOUR.search(output), "NO_COLOR is set: no colour codes"
    # The saved answers replay the same scaffold without a terminal.
    again = tmp_path / "again" / "payments-api"
    replay = run_subprocess(
        ["new", "python-service", "--output", again, "--data-file", saved, "--no-input"]
    )
    assert replay.code == 0, replay.stderr
    for name in (".copier-answers.yml", ".copier-answers.baseline.yml"):
        assert (dst / name).read_text() == (again / name).read_text()


def test_cancel_from_the_review_leaves_nothing_behind(
    spawn: Spawn, tmp_path: Path, catalog_file: Path
) -> None:
    dst = tmp_path / "svc"
    saved = tmp_path / "answers.yml"
    child = spawn("python-service", "--output", dst, "--save-answers", saved, color=True)
    transcript: list[str] = []
    child.logfile_read = _Collect(transcript)
    child.expect("Component name")
    child.send(ENTER)
    child.expect("One line")
    child.send(ENTER)
    child.expect("Backstage owner")
    child.send(CLEAR + "group:payments" + ENTER)
    answer_python_service(child)
    child.expect("Next step")
    child.send(UP + ENTER)  # Cancel
    child.expect("Cancelled: nothing was written")
    code, rest = finish(child)
    assert code == 130
    assert "interrupted" not in rest and "Cancelled" not in rest  # said once, nothing after
    assert not dst.exists()
    assert not saved.exists()
    assert not catalog_file.exists()
    assert COLOUR.search("".join(transcript)), "without NO_COLOR the prompts are coloured"


@pytest.mark.parametrize("key", [ESC, CTRL_C], ids=["esc", "ctrl-c"])
def test_esc_or_ctrl_c_midway_exits_130_with_nothing_on_disk(
    spawn: Spawn, tmp_path: Path, catalog_file: Path, key: str
) -> None:
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst)
    child.expect("Component name")
    child.send(ENTER)
    child.expect("One line")
    child.send(ENTER)
    child.expect("Backstage owner")
    child.send(CLEAR + "group:payments" + ENTER)
    child.expect("Lifecycle stage")  # a select prompt this time
    child.send(key)
    child.expect("interrupted")
    code, _ = finish(child)
    assert code == 130
    assert not dst.exists()
    assert not catalog_file.exists()


def test_no_terminal_never_starts_the_wizard(run_subprocess: Any, tmp_path: Path) -> None:
    result = run_subprocess(["new", "--save-answers", tmp_path / "a.yml"])
    assert result.code == 2
    assert "missing TEMPLATE and --output" in result.stderr
    assert "Template" not in result.stdout + result.stderr.replace("TEMPLATE", "")
    done = run_subprocess(
        [
            "new",
            "python-service",
            "--output",
            tmp_path / "svc",
            "--save-answers",
            tmp_path / "a.yml",
            "--set",
            "owner=user:jdoe",
        ]
    )
    assert done.code == 0, done.stderr
    assert "nothing saved to" in done.stderr and not (tmp_path / "a.yml").exists()


def test_no_input_with_a_terminal_asks_nothing(spawn: Spawn, tmp_path: Path) -> None:
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst, "--no-input", "--set", "owner=user:x")
    code, output = finish(child)
    assert code == 0, output
    assert "Component name" not in output and "Review" not in output
    assert (dst / ".git").is_dir()


def test_defaults_asks_only_what_has_no_default(spawn: Spawn, tmp_path: Path) -> None:
    from tests.helpers import build_file_tree
    from tests.test_wizard import KITCHEN_SINK

    sink = build_file_tree(tmp_path / "sink", KITCHEN_SINK)
    dst = tmp_path / "orders"
    child = spawn(sink, "--output", dst, "--defaults")
    child.expect("Backstage owner")  # the only question without a default
    child.send("group:orders" + ENTER)
    code, output = finish(child)
    assert code == 0, output
    assert "Review" not in output
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert (answers["name"], answers["owner"], answers["package"]) == (
        "orders",
        "group:orders",
        "orders",
    )


def test_json_mode_never_starts_the_wizard(spawn: Spawn, tmp_path: Path) -> None:
    child = spawn("--json")
    code, output = finish(child)
    assert code == 2
    assert '"code": "usage"' in output
    assert "Template" not in output.replace("TEMPLATE", "")


class _Collect:
    """A pexpect logfile that keeps everything the child printed."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        return None


def test_publish_from_the_wizard_to_an_organisation(
    spawn: Spawn, tmp_path: Path, fake_github: Any
) -> None:
    from tests.fakegithub.fixtures import TOKEN

    dst = tmp_path / "ledger"
    child = spawn("python-service", "--output", dst)
    transcript: list[str] = []
    child.logfile_read = _Collect(transcript)
    child.expect("Component name")
    child.send(ENTER)
    child.expect("One line")
    child.send(ENTER)
    child.expect("Backstage owner")
    child.send(CLEAR + "group:finance" + ENTER)
    for prompt in ("Lifecycle stage", "Backstage system", "Lowest Python"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("GitHub user or organisation")
    child.expect("acme")  # offered from the token's organisations
    child.send(DOWN + ENTER)
    for prompt in ("vulnerability reports", "Licence", "Copyright holder", "CODEOWNERS"):
        child.expect(prompt)
        child.send(ENTER)
    # what GitHub offers, asked once the owner is known (publish aligns them anyway)
    for prompt in ("Web host", "GitHub Code Security", "Reviews required", "bypass"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect("Visibility of acme/ledger")
    child.send(ENTER)  # private, the default
    child.expect("Publish it now")
    child.send(ENTER)  # yes
    child.expect(f"repository +{re.escape(fake_github.web_url)}/acme/ledger")
    child.expect("visibility +private; created and pushed now")
    child.expect("Next step")
    child.send(ENTER)
    code, rest = finish(child)
    output = "".join(transcript) + rest
    assert code == 0, output
    repo = fake_github.state.repos[("acme", "ledger")]
    assert repo.private
    assert "main" in fake_github.state.branches(repo)
    assert f"{fake_github.web_url}/acme/ledger" in output
    assert TOKEN not in output


def test_a_default_is_a_suggestion_typing_replaces_it(spawn: Spawn, tmp_path: Path) -> None:
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst)
    child.expect("Component name")
    child.expect(r"svc(?:\x1b\[[0-9;]*m| )+\(default\)")  # marked, readable under NO_COLOR
    child.send(ENTER)
    child.expect("One line")
    child.expect("Takes payments and refunds them")
    child.send(ENTER)
    child.expect("Backstage owner")
    child.send("user:jdoe" + ENTER)  # no Ctrl-U: nothing pre-filled to append to
    child.expect("Lifecycle stage")
    child.send(CTRL_C)
    code, _ = finish(child)
    assert code == 130


def test_a_group_owner_without_a_github_owner_is_asked_for_its_team(
    spawn: Spawn, tmp_path: Path
) -> None:
    dst = tmp_path / "svc"
    child = spawn("python-service", "--output", dst, "--defaults", "--set", "owner=group:pay")
    child.expect("is a group and no GitHub owner")
    child.expect("@ORG/pay")
    child.send("@acme/pay" + ENTER)
    code, output = finish(child)
    assert code == 0, output
    assert (dst / ".github" / "CODEOWNERS").read_text().splitlines()[-1] == "* @acme/pay"
