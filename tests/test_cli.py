"""The command line as a shell sees it: help, version, exit codes, JSON, subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.conftest import STANDARD_ANSWERS
from tests.helpers import make_template


def test_help_documents_commands_and_exit_codes(run_subprocess):
    result = run_subprocess(["--help"])
    assert result.code == 0
    for text in ("new", "templates", "resume", "exit codes:", "partial success", "130"):
        assert text in result.stdout
    from scaffolder.errors import EXIT_CODES

    for code, meaning in EXIT_CODES:  # the one table, every code of it
        assert f"  {int(code):<4} {meaning.split()[0]}" in result.stdout


def test_every_command_has_help(run_cli):
    from scaffolder.cli import COMMANDS

    for command in COMMANDS:
        try:
            run_cli([command, "--help"])
        except SystemExit as exc:
            assert exc.code == 0
        else:  # pragma: no cover - argparse always exits after --help
            raise AssertionError(f"{command} --help did not exit")


def test_version(run_subprocess):
    from scaffolder import __version__

    result = run_subprocess(["--version"])
    assert result.code == 0
    assert result.stdout.strip() == f"scaffolder {__version__}"


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from scaffolder.cli import build_parser\n"
        "build_parser().format_help()\n"
        "names = ('copier', 'github', 'questionary', 'prompt_toolkit', 'yaml')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_command_prints_help_and_exits_2(run_subprocess):
    result = run_subprocess([])
    assert result.code == 2
    assert "usage: scaffolder" in result.stderr


def test_subprocess_new_exit_0_with_json_on_stdout_only(run_subprocess, tmp_path):
    dst = tmp_path / "svc"
    result = run_subprocess(["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--json"])
    assert result.code == 0, result.stderr
    import json

    payload = json.loads(result.stdout)  # exactly one JSON object: parsing the whole stdout works
    assert payload["ok"] is True and payload["result"]["project"] == str(dst)
    assert "render" in result.stderr  # progress went to stderr


def test_subprocess_bad_input_exit_2_json_error(run_subprocess, tmp_path):
    result = run_subprocess(
        ["new", "python-service", "--output", tmp_path / "o", "--set", "name=BAD", "--json"]
    )
    assert result.code == 2
    import json

    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert payload["error"]["code"] == "invalid-answer"
    assert payload["error"]["problems"][0]["question"] == "name"
    assert "Traceback" not in result.stderr


def test_without_a_terminal_nothing_is_prompted(run_subprocess, tmp_path):
    # No --no-input, stdin is a pipe: missing answers are an error, never a prompt.
    template = make_template(
        tmp_path / "tpl", extra_config="region:\n  type: str\nzone:\n  type: str\n"
    )
    result = run_subprocess(["new", template, "--output", tmp_path / "o"], input="", timeout=60)
    assert result.code == 2
    assert "missing required answers: owner, region, zone" in result.stderr


def test_untrusted_template_exit_4_in_a_subprocess(run_subprocess, tmp_path):
    template = make_template(tmp_path / "tpl", extra_config="_tasks:\n  - touch ran\n")
    result = run_subprocess(["new", template, "--output", tmp_path / "o", *STANDARD_ANSWERS])
    assert result.code == 4
    assert not (tmp_path / "o").exists()


def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path):
    # A trusted template whose task waits, so the signal lands mid-scaffold.
    marker = tmp_path / "task-started"
    template = make_template(
        tmp_path / "tpl",
        extra_config=f'_tasks:\n  - "touch {marker} && sleep 30"\n',
    )
    dst = tmp_path / "o"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scaffolder",
            "new",
            str(template),
            "--output",
            str(dst),
            *STANDARD_ANSWERS,
            "--trust",
            "--no-register",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert not dst.exists()


def test_python_dash_m_and_console_script_agree(tmp_path):
    exe = Path(sys.executable).with_name("scaffolder")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("scaffolder ")


def test_templates_lists_builtins(run_cli):
    result = run_cli(["templates", "--json"])
    assert result.code == 0
    templates = {t["name"]: t for t in result.json()["result"]["templates"]}
    assert "python-service" in templates
    assert templates["python-service"]["languages"] == ["python"]
    assert templates["python-service"]["title"] and templates["python-service"]["description"]
    assert not any(name.startswith("_") for name in templates)  # layers are not templates
    human = run_cli(["templates"])
    assert "python-service" in human.stdout


def test_templates_show_lists_questions_with_their_properties(run_cli):
    result = run_cli(["templates", "show", "python-service", "--json"])
    assert result.code == 0
    questions = {q["name"]: q for q in result.json()["result"]["questions"]}
    for name in ("name", "description", "owner", "lifecycle", "system"):
        assert name in questions
    assert questions["lifecycle"]["choices"] == ["experimental", "production", "deprecated"]
    assert questions["lifecycle"]["default"] == "experimental"
    assert set(questions["name"]) >= {"name", "type", "help", "default", "choices", "required"}
    assert "security_contact" in questions  # the baseline layer's questions are shown too
    human = run_cli(["templates", "show", "python-service"])
    assert "lifecycle" in human.stdout and "choices" in human.stdout


def test_templates_show_unknown(run_cli):
    result = run_cli(["templates", "show", "nope"])
    assert result.code == 2


def test_registering_twice_through_resume_keeps_one_entry(run_cli, tmp_path, catalog_file):
    dst = tmp_path / "svc"
    assert run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS]).code == 0
    assert run_cli(["resume", dst]).code == 0
    docs = list(yaml.safe_load_all(catalog_file.read_text()))
    assert [d["spec"]["target"] for d in docs] == [str(dst / "catalog-info.yaml")]
