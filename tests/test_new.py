"""`scaffolder new`, non-interactive: the CI user's view of the foundation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import STANDARD_ANSWERS
from tests.helpers import make_template


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_new_renders_commits_and_registers(run_cli, tmp_path, catalog_file):
    dst = tmp_path / "payments-api"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            *STANDARD_ANSWERS,
            "--set",
            "description=Takes payments",
            "--no-input",
        ]
    )

    assert result.code == 0, result.stderr
    assert (dst / "src" / "payments_api" / "app.py").is_file()
    info = yaml.safe_load((dst / "catalog-info.yaml").read_text())
    assert info["metadata"]["name"] == "payments-api"
    assert info["spec"] == {
        "type": "service",
        "lifecycle": "experimental",
        "owner": "group:default/payments",
    }
    # One initial commit on main, naming the template and its version, by the configured author.
    assert git(dst, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(dst, "rev-list", "--count", "HEAD") == "1"
    assert (
        git(dst, "log", "-1", "--format=%s")
        == "Initial commit from the python-service 1.1.0 template"
    )
    assert git(dst, "log", "-1", "--format=%an <%ae>") == "Test Author <test.author@example.com>"
    assert git(dst, "status", "--porcelain") == ""
    # Registered as a file target in the catalog file (SCAFFOLDER_CATALOG).
    docs = list(yaml.safe_load_all(catalog_file.read_text()))
    assert docs[0]["kind"] == "Location"
    assert docs[0]["spec"] == {"type": "file", "target": str(dst / "catalog-info.yaml")}
    # Human progress goes to stderr; the summary names the entity.
    assert "component:default/payments-api" in result.stdout
    assert "render" in result.stderr and "commit" in result.stderr


def test_system_is_written_only_when_given(new_service):
    with_system = new_service("python-service", "--set", "system=payments", name="with-system")
    without = new_service("python-service", name="without-system")
    assert (
        yaml.safe_load((with_system / "catalog-info.yaml").read_text())["spec"]["system"]
        == "payments"
    )
    assert "system" not in yaml.safe_load((without / "catalog-info.yaml").read_text())["spec"]


def test_answer_priority_defaults_then_data_file_then_set(run_cli, tmp_path):
    data = tmp_path / "answers.yml"
    data.write_text(
        "owner: group:from-file\ngithub_owner: acme\nlifecycle: production\n"
        "description: from file\n"
    )
    dst = tmp_path / "svc"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            "--data-file",
            data,
            "--set",
            "description=from set",
            "--no-input",
            "--json",
        ]
    )
    assert result.code == 0, result.stderr
    answers = result.json()["result"]["answers"]
    assert answers["owner"] == "group:from-file"  # data file beats default
    assert answers["lifecycle"] == "production"
    assert answers["description"] == "from set"  # --set beats data file
    assert answers["python_version"] == "3.11"  # template default
    assert answers["name"] == "svc"  # default: the destination's name


def test_json_data_file_is_accepted(run_cli, tmp_path):
    data = tmp_path / "answers.json"
    data.write_text(json.dumps({"owner": "user:jdoe", "name": "from-json"}))
    result = run_cli(
        ["new", "python-service", "--output", tmp_path / "x", "--data-file", data, "--json"]
    )
    assert result.code == 0, result.stderr
    assert result.json()["result"]["entity_ref"] == "component:default/from-json"


TRICKY_DESCRIPTIONS = [
    'He said: "hi" # not a comment',
    "it's: a 'quoted' value",
    "multi\nline: text\n- not a list",
    "{{ 7 * 7 }} and {% if true %}jinja{% endif %}",
    "{{ _copier_conf.src_path }} {% include 'x' %}",
    "@&*!|>%`[]{} starts with specials",
    "",
]


@pytest.mark.parametrize("description", TRICKY_DESCRIPTIONS)
def test_description_renders_exactly_and_is_never_evaluated(run_cli, tmp_path, description):
    dst = tmp_path / "tricky"
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            dst,
            *STANDARD_ANSWERS,
            "--set",
            f"description={description}",
            "--no-input",
        ]
    )
    assert result.code == 0, result.stderr
    info = yaml.safe_load((dst / "catalog-info.yaml").read_text())
    assert info["metadata"]["description"] == description
    pyproject = (dst / "pyproject.toml").read_text()
    assert "49" not in pyproject
    import tomllib

    assert tomllib.loads(pyproject)["project"]["description"] == description


def test_dry_run_validates_and_writes_nothing(run_cli, tmp_path, catalog_file):
    dst = tmp_path / "dry"
    result = run_cli(
        ["new", "python-service", "--output", dst, *STANDARD_ANSWERS, "--dry-run", "--json"]
    )
    assert result.code == 0, result.stderr
    payload = result.json()
    assert (
        payload["result"]["dry_run"] is True
        and payload["result"]["commit"] is None
        and payload["result"]["registered"] is False
    )
    assert not dst.exists()
    assert not catalog_file.exists()


def test_dry_run_still_rejects_bad_answers(run_cli, tmp_path):
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            tmp_path / "d",
            "--set",
            "owner=x",
            "--set",
            "name=Bad Name",
            "--dry-run",
        ]
    )
    assert result.code == 2
    assert "name" in result.stderr


def test_no_register_skips_the_catalog(run_cli, tmp_path, catalog_file):
    result = run_cli(
        [
            "new",
            "python-service",
            "--output",
            tmp_path / "s",
            *STANDARD_ANSWERS,
            "--no-register",
            "--json",
        ]
    )
    assert result.code == 0
    assert result.json()["result"]["catalog"] is None
    assert not catalog_file.exists()


def test_catalog_flag_and_env_choose_the_file(run_cli, tmp_path, monkeypatch):
    flag_catalog = tmp_path / "flag" / "catalog.yaml"
    env_catalog = tmp_path / "env" / "catalog.yaml"
    monkeypatch.setenv("SCAFFOLDER_CATALOG", str(env_catalog))
    assert run_cli(["new", "python-service", "-o", tmp_path / "a", *STANDARD_ANSWERS]).code == 0
    assert (
        run_cli(
            [
                "new",
                "python-service",
                "-o",
                tmp_path / "b",
                *STANDARD_ANSWERS,
                "--catalog",
                flag_catalog,
            ]
        ).code
        == 0
    )
    assert str(tmp_path / "a" / "catalog-info.yaml") in env_catalog.read_text()
    assert str(tmp_path / "b" / "catalog-info.yaml") in flag_catalog.read_text()
    assert str(tmp_path / "b") not in env_catalog.read_text()


def test_default_catalog_lives_in_the_user_data_dir(run_cli, tmp_path, monkeypatch, isolated_env):
    monkeypatch.delenv("SCAFFOLDER_CATALOG")
    result = run_cli(["new", "python-service", "-o", tmp_path / "a", *STANDARD_ANSWERS, "--json"])
    assert result.code == 0
    catalog = Path(result.json()["result"]["catalog"])
    assert catalog.is_relative_to(isolated_env) and catalog.name == "catalog.yaml"
    assert catalog.is_file()


def test_user_git_config_is_never_changed(run_cli, tmp_path, isolated_env):
    gitconfig = isolated_env / ".gitconfig"
    before = gitconfig.read_bytes()
    assert run_cli(["new", "python-service", "-o", tmp_path / "a", *STANDARD_ANSWERS]).code == 0
    assert gitconfig.read_bytes() == before


def test_author_falls_back_when_git_config_names_nobody(run_cli, tmp_path, isolated_env):
    (isolated_env / ".gitconfig").write_text("")
    dst = tmp_path / "anon"
    assert run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS]).code == 0
    author = git(dst, "log", "-1", "--format=%an|%ae")
    name, email = author.split("|")
    assert name and "@" in email
    assert (isolated_env / ".gitconfig").read_text() == ""


def test_missing_required_answers_are_all_listed_at_once(run_cli, tmp_path):
    # Two required questions, and the owner (never the login when nothing is asked).
    template = make_template(
        tmp_path / "tpl", extra_config="region:\n  type: str\nzone:\n  type: str\n"
    )
    result = run_cli(["new", str(template), "--output", tmp_path / "out", "--no-input"])
    assert result.code == 2
    assert "missing required answers: owner, region, zone" in result.stderr
    assert "--set owner=... --set region=... --set zone=..." in result.stderr
    assert not (tmp_path / "out").exists()


def test_template_without_standard_questions_is_refused(run_cli, tmp_path):
    from tests.helpers import build_file_tree

    template = build_file_tree(tmp_path / "tpl", {"copier.yml": "color: red\n", "README.md": "x"})
    result = run_cli(["new", str(template), "--output", tmp_path / "out"])
    assert result.code == 2
    assert "standard questions" in result.stderr
    assert not (tmp_path / "out").exists()


def test_local_template_without_languages_gets_the_neutral_baseline(run_cli, tmp_path):
    template = make_template(tmp_path / "tpl")
    result = run_cli(
        ["new", str(template), "--output", tmp_path / "out", *STANDARD_ANSWERS, "--json"]
    )
    assert result.code == 0, result.stderr
    assert not [w for w in result.json()["warnings"] if "baseline" in w]
    assert (tmp_path / "out" / "README.md").read_text() == "# out\n"
    # Language-neutral: catalog entity, policy files, CodeQL for the workflows; no CI to run.
    assert (tmp_path / "out" / "catalog-info.yaml").is_file()
    assert (tmp_path / "out" / ".github" / "workflows" / "codeql.yml").is_file()
    assert not (tmp_path / "out" / ".github" / "workflows" / "ci.yml").exists()


UNSAFE_CONFIG = """\
_tasks:
  - "touch task-ran"
"""


def test_untrusted_template_is_refused_with_exit_4(run_cli, tmp_path):
    template = make_template(tmp_path / "tpl", extra_config=UNSAFE_CONFIG)
    result = run_cli(["new", str(template), "--output", tmp_path / "out", *STANDARD_ANSWERS])
    assert result.code == 4
    assert "--trust" in result.stderr
    assert not (tmp_path / "out").exists()


def test_trusted_template_runs_its_tasks(run_cli, tmp_path):
    template = make_template(tmp_path / "tpl", extra_config=UNSAFE_CONFIG)
    result = run_cli(
        ["new", str(template), "--output", tmp_path / "out", *STANDARD_ANSWERS, "--trust"]
    )
    assert result.code == 0, result.stderr
    assert (tmp_path / "out" / "task-ran").exists()
