"""Every kind of bad input: one clear error with a hint, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

OWNER = ("--set", "owner=group:payments", "--set", "codeowners=@acme/payments")

CASES = {
    "space in name": (["--set", "name=my service", *OWNER], "not lowercase kebab-case"),
    "slash in name": (["--set", "name=my/service", *OWNER], "not lowercase kebab-case"),
    "upper case name": (["--set", "name=MyService", *OWNER], "not lowercase kebab-case"),
    "name over 63 chars": (["--set", "name=" + "a" * 64, *OWNER], "use at most 63"),
    "path traversal": (["--set", "name=../x", *OWNER], "not lowercase kebab-case"),
    "owner not an entity ref": (["--set", "owner=group:Pay ments"], "owner"),
    "owner of wrong kind": (["--set", "owner=component:payments"], "group or user"),
    "unknown lifecycle": (["--set", "lifecycle=retired", *OWNER], "not one of experimental"),
    "set without equals": (["--set", "owner"], "is not KEY=VALUE"),
    "unknown question": (["--set", "colour=blue", *OWNER], "unknown question: colour"),
}


@pytest.mark.parametrize("args,message", CASES.values(), ids=CASES.keys())
def test_bad_answers_exit_2_and_write_nothing(run_cli, tmp_path, catalog_file, args, message):
    dst = tmp_path / "out"
    result = run_cli(["new", "python-service", "--output", dst, *args])
    assert result.code == 2
    assert message in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not dst.exists()
    assert not catalog_file.exists()
    assert list(tmp_path.iterdir()) == []


def test_all_bad_answers_are_reported_together(run_cli, tmp_path):
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            tmp_path / "o",
            "--set",
            "name=Bad",
            "--set",
            "owner=a:b:c",
            "--set",
            "lifecycle=nope",
        ]
    )
    assert result.code == 2
    for question in ("name:", "owner:", "lifecycle:"):
        assert question in result.stderr


def test_unknown_template(run_cli, tmp_path):
    result = run_cli(["new", "cobol-service", "--output", tmp_path / "o"])
    assert result.code == 2
    assert "unknown template 'cobol-service'" in result.stderr
    assert "python-service" in result.stderr  # the hint lists what exists


def test_destination_that_exists_and_is_not_empty(run_cli, tmp_path):
    dst = tmp_path / "taken"
    dst.mkdir()
    (dst / "precious.txt").write_text("keep me")
    result = run_cli(["new", "python-service", "--output", dst, *OWNER])
    assert result.code == 2
    assert "exists and is not empty" in result.stderr
    assert [p.name for p in dst.iterdir()] == ["precious.txt"]
    assert (dst / "precious.txt").read_text() == "keep me"


def test_empty_existing_destination_is_used(run_cli, tmp_path):
    dst = tmp_path / "empty"
    dst.mkdir()
    assert run_cli(["new", "python-service", "--output", dst, *OWNER]).code == 0
    assert (dst / "catalog-info.yaml").is_file()


@pytest.mark.parametrize(
    "content,message",
    [
        ("owner: [unclosed\n", "not valid YAML or JSON at line 2"),
        ('{"owner": "x"', "not valid YAML or JSON"),
        ("- just\n- a list\n", "holds a list, not a mapping"),
        ("just a string", "holds a str, not a mapping"),
    ],
)
def test_bad_data_file(run_cli, tmp_path, content, message):
    data = tmp_path / "answers.yml"
    data.write_text(content)
    result = run_cli(["new", "python-service", "--output", tmp_path / "o", "--data-file", data])
    assert result.code == 2
    assert message in result.stderr
    assert not (tmp_path / "o").exists()


def test_missing_data_file(run_cli, tmp_path):
    result = run_cli(
        ["new", "python-service", "--output", tmp_path / "o", "--data-file", tmp_path / "nope.yml"]
    )
    assert result.code == 2
    assert "does not exist" in result.stderr


def test_invalid_name_from_folder_default_names_the_fix(run_cli, tmp_path):
    result = run_cli(["new", "python-service", "--output", tmp_path / "My_Service", *OWNER])
    assert result.code == 2
    assert "name: its default is not valid" in result.stderr
    assert "lowercase" in result.stderr
    assert not Path(tmp_path / "My_Service").exists()


def test_missing_template_and_output(run_cli):
    result = run_cli(["new", "--no-input"])
    assert result.code == 2
    assert "missing TEMPLATE and --output" in result.stderr


def test_unknown_flag_is_a_usage_error(run_cli):
    with pytest.raises(SystemExit) as exc:
        run_cli(["new", "--frobnicate"])
    assert exc.value.code == 2
