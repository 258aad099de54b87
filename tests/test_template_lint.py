"""`scaffolder template lint`: the contract with file and line, the render matrix, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import TEMPLATES
from tests.helpers import STANDARD_QUESTIONS_YAML, build_file_tree
from tests.source_helpers import write_config
from tests.template_helpers import (
    ANSWERS_FILE_TEMPLATE,
    config_line,
    findings,
    git_repository,
    go_template,
)


def lint(run_cli, *args):
    result = run_cli(["template", "lint", *map(str, args), "--json"])
    return result, result.json()


def test_python_service_lints_clean_on_every_row(run_cli) -> None:
    result, envelope = lint(run_cli, TEMPLATES / "python-service")
    assert result.code == 0, result.stdout
    assert envelope["command"] == "template lint" and envelope["ok"]
    report = envelope["result"]
    assert report["findings"] == []
    # Every python_version once (5 choices), each row rendered and audited clean.
    rows = report["rows"]
    assert [r["answers"]["python_version"] for r in rows] == [
        "3.11",
        "3.12",
        "3.13",
        "3.14",
        "3.15",
    ]
    assert all(r["rendered"] and r["audit"]["failed"] == [] for r in rows)
    assert {r["answers"]["lifecycle"] for r in rows} == {"experimental", "production", "deprecated"}
    # The edge answers: a 63-character name, a YAML-special and a non-ASCII description.
    assert len(rows[0]["answers"]["name"]) == 63
    assert rows[0]["answers"]["description"].startswith("yes: no #")
    assert "日本語" in rows[1]["answers"]["description"]


# --- the contract, on copier.yml -----------------------------------------------------------
WEAKENED = (
    STANDARD_QUESTIONS_YAML.replace("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", "^.*$")  # name's regex
    .replace("[experimental, production, deprecated]", "[experimental, production, beta]")
    .split("\nsystem:")[0]  # no system question
)
# owner without its validator: everything from `validator:` to the end of its block.
WEAKENED = WEAKENED.replace(
    WEAKENED[
        WEAKENED.index("  validator", WEAKENED.index("\nowner:")) : WEAKENED.index("\nlifecycle:")
    ],
    "",
)


@pytest.fixture
def broken_contract(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "broken",
        {
            "standard-questions.yml": WEAKENED,
            "copier.yml": """\
                ---
                !include standard-questions.yml
                ---
                _scaffolder:
                  title: Broken
                  description: Breaks every rule
                  version: 1.0
                  langauges: [python]
                  languages: [cobol]
                _tasks:
                  - echo this is never run
                """,
            "template/README.md": "hello\n",
        },
    )


def test_each_contract_finding_names_its_file_and_line(run_cli, broken_contract: Path) -> None:
    result, envelope = lint(run_cli, broken_contract, "--trust")
    assert result.code == 1
    got = {(f["kind"], f["file"], f["line"], f["message"]) for f in findings(envelope)}
    questions = "standard-questions.yml"
    # A changed regular expression: the name question's validator line.
    validator_lines = [
        i
        for i, line in enumerate((broken_contract / questions).read_text().splitlines(), 1)
        if line.startswith("  validator:")
    ]
    assert (
        "standard-questions",
        questions,
        validator_lines[0],
        "the standard question 'name' is not scaffolder's: its validator differs from scaffolder's",
    ) in got
    # A removed validator: the owner question's own line.
    assert (
        "standard-questions",
        questions,
        config_line(broken_contract, r"^owner:", questions),
        "the standard question 'owner' is not scaffolder's: its validator was removed",
    ) in got
    assert (
        "standard-questions",
        questions,
        config_line(broken_contract, r"^  choices:", questions),
        "the standard question 'lifecycle' is not scaffolder's: its choices differs from "
        "scaffolder's",
    ) in got
    assert (
        "standard-questions",
        "copier.yml",
        1,
        "the standard question 'system' is missing",
    ) in got
    # Metadata: an unquoted version, a misspelt key, an unknown language.
    assert (
        "version",
        "copier.yml",
        config_line(broken_contract, r"version: 1.0"),
        "_scaffolder.version must be a string (quote it), not float",
    ) in got
    assert (
        "metadata",
        "copier.yml",
        config_line(broken_contract, r"langauges"),
        "unknown key _scaffolder.langauges",
    ) in got
    language = [f for f in findings(envelope, "language") if "'cobol'" in f["message"]]
    assert language and language[0]["line"] == config_line(broken_contract, r"languages: \[cobol")
    assert "describe it under _scaffolder.language_data.cobol" in language[0]["hint"]
    # No _subdirectory, so no answers file either.
    assert {f["kind"] for f in findings(envelope)} >= {"subdirectory"}
    # The task is listed for review, at its line; it is not a failure by itself.
    unsafe = findings(envelope, "unsafe")
    assert unsafe == [
        {
            "kind": "unsafe",
            "severity": "review",
            "file": "copier.yml",
            "line": config_line(broken_contract, r"^_tasks:"),
            "message": "_tasks runs commands after rendering: echo this is never run",
            "hint": "review it: copier and scaffolder refuse it without --trust",
            "rows": [],
        }
    ]
    # Without the standard questions, nothing can be rendered: said once, at copier.yml.
    assert envelope["result"]["rows"] == []
    assert "does not ask the standard questions: system" in envelope["result"]["not_rendered"]


def test_pep440_version_answers_file_and_subdirectory(run_cli, tmp_path: Path) -> None:
    root = go_template(tmp_path / "t")
    config = (root / "copier.yml").read_text().replace('"1.0.0"', '"one point oh"')
    (root / "copier.yml").write_text(
        config.replace("_subdirectory: template", "_subdirectory: src")
    )
    result, envelope = lint(run_cli, root)
    assert result.code == 1
    by_kind = {f["kind"]: f for f in findings(envelope)}
    assert by_kind["version"]["line"] == config_line(root, "one point oh")
    assert "is not a PEP 440 version" in by_kind["version"]["message"]
    assert by_kind["subdirectory"]["line"] == config_line(root, "_subdirectory")
    assert (
        by_kind["subdirectory"]["message"] == "_subdirectory 'src' is not a folder of the template"
    )

    (root / "copier.yml").write_text(config)
    (root / ANSWERS_FILE_TEMPLATE).unlink()
    result, envelope = lint(run_cli, root)
    answers = findings(envelope, "answers-file")
    assert answers[0]["file"] == ANSWERS_FILE_TEMPLATE and answers[0]["line"] is None
    # ... and every rendered row says its project records no answers.
    assert any(f["rows"] == [0, 1, 2] for f in answers)


def test_unsafe_features_are_listed_and_not_rendered_without_trust(run_cli, tmp_path: Path) -> None:
    marker = tmp_path / "task-ran"
    root = go_template(
        tmp_path / "unsafe",
        extra_config=f"""\
            _tasks:
              - touch {marker}
            _migrations:
              - version: v2.0.0
                command: echo migrate
            _jinja_extensions:
              - jinja2.ext.do
            """,
    )
    result, envelope = lint(run_cli, root)
    assert result.code == 4, result.stdout
    unsafe = findings(envelope, "unsafe")
    assert [(f["line"], f["severity"]) for f in unsafe] == [
        (config_line(root, "^_tasks:"), "review"),
        (config_line(root, "^_migrations:"), "review"),
        (config_line(root, "^_jinja_extensions:"), "review"),
    ]
    assert "echo migrate" in unsafe[1]["message"] and "jinja2.ext.do" in unsafe[2]["message"]
    assert envelope["result"]["rows"] == [] and not marker.exists()
    assert "--trust" in envelope["result"]["not_rendered"]
    # Trusted, it renders (its tasks run, as with `scaffolder new --trust`); the review items
    # stay listed, and are no failure.
    result, envelope = lint(run_cli, root, "--trust")
    assert result.code == 0, result.stdout
    assert len(envelope["result"]["rows"]) == 3 and marker.exists()
    assert len(findings(envelope, "unsafe")) == 3


def test_a_template_the_configuration_lists_is_trusted_as_for_new(
    run_cli, tmp_path: Path, isolated_env: Path
) -> None:
    marker = tmp_path / "task-ran"
    root = go_template(tmp_path / "listed", extra_config=f"_tasks:\n  - touch {marker}\n")
    write_config(isolated_env, f'[[template]]\nname = "tiny-go"\npath = "{root}"\n')
    result, envelope = lint(run_cli, root)
    assert result.code == 0, result.stdout
    assert [f["severity"] for f in findings(envelope, "unsafe")] == ["review"]
    assert len(envelope["result"]["rows"]) == 3 and marker.exists()


def test_render_findings_name_the_template_file_and_question(run_cli, tmp_path: Path) -> None:
    root = go_template(
        tmp_path / "t",
        extra_config="""\
            slug:
              type: str
              when: false
              default: "{{ name }}"
              validator: "{% if slug | length > 40 %}at most 40 characters{% endif %}"
            """,
    )
    build_file_tree(root, {"template/notes.txt.jinja": "one\ntwo\n{{ name | no_such_filter }}\n"})
    result, envelope = lint(run_cli, root)
    assert result.code == 1
    render = findings(envelope, "render")
    slug = [f for f in render if "'slug'" in f["message"]]
    # Row 0's 63-character name makes the computed slug too long.
    assert slug[0]["rows"] == [0] and slug[0]["line"] == config_line(root, "^slug:")
    assert "at most 40 characters" in slug[0]["message"]
    jinja = [f for f in render if f["file"] == "template/notes.txt.jinja"]
    assert jinja and jinja[0]["line"] == 3 and jinja[0]["rows"] == [1, 2]
    assert "no_such_filter" in jinja[0]["message"]


def test_audit_findings_say_which_rendered_file_fails(run_cli, tmp_path: Path) -> None:
    root = go_template(tmp_path / "t")
    # Go declared, but no go.mod: the baseline's Dependabot entry for gomod has nothing to update.
    (root / "template" / "go.mod.jinja").rename(root / "go.mod.jinja")
    result, envelope = lint(run_cli, root)
    assert result.code == 1
    audit = findings(envelope, "audit")
    assert [f["message"].split(":")[0] for f in audit] == [
        "audit check dependabot fails on .github/dependabot.yml (rendered by the baseline from "
        "_scaffolder)"
    ]
    assert audit[0]["file"] == "copier.yml" and audit[0]["line"] == config_line(root, "languages")
    assert audit[0]["rows"] == [0, 1, 2]
    # A file the template renders itself is named: a workflow of its own, unpinned.
    (root / "go.mod.jinja").rename(root / "template" / "go.mod.jinja")
    workflow = "template/.github/workflows/extra.yml"
    build_file_tree(
        root,
        {
            workflow: """\
                on: push
                permissions: {}
                jobs:
                  extra:
                    runs-on: ubuntu-latest
                    timeout-minutes: 5
                    steps:
                      - uses: actions/checkout@v4
                        with:
                          persist-credentials: false
                """
        },
    )
    result, envelope = lint(run_cli, root)
    audit = findings(envelope, "audit")
    assert audit and {f["file"] for f in audit} == {workflow}
    assert any(f["message"].startswith("audit check actions-pinned fails on") for f in audit)


def test_a_tiny_clean_template_over_a_file_url(run_cli, tmp_path: Path) -> None:
    repo = git_repository(go_template(tmp_path / "repo"))
    result, envelope = lint(run_cli, repo.as_uri())
    assert result.code == 0, result.stdout
    assert envelope["result"]["template"] == repo.as_uri()
    assert len(envelope["result"]["rows"]) == 3  # go_version has no choices here: the edges
    result = run_cli(["template", "lint", (tmp_path / "nowhere").as_uri() + ".git", "--json"])
    assert result.code == 2 and result.json()["error"]["message"].startswith("cannot clone")


def test_unusable_input_is_exit_2(run_cli, tmp_path: Path) -> None:
    result = run_cli(["template", "lint", tmp_path / "missing"])
    assert result.code == 2 and "does not exist" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_cli(["template", "lint", tmp_path / "empty"])
    assert result.code == 2 and "has no copier.yml" in result.stderr
    bad = build_file_tree(tmp_path / "bad", {"copier.yml": "_scaffolder:\n  title: [unclosed\n"})
    result = run_cli(["template", "lint", bad])
    assert result.code == 2 and "copier.yml:3 is not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_weakened_copy_in_a_builtin_template_is_its_one_finding(run_cli, tmp_path: Path) -> None:
    copy = tmp_path / "go-service"
    shutil.copytree(TEMPLATES / "go-service", copy)
    (copy / "standard-questions.yml").write_text(
        STANDARD_QUESTIONS_YAML.replace("choices: [experimental, production, deprecated]", "")
    )
    result, envelope = lint(run_cli, copy)
    assert result.code == 1
    assert [f["message"] for f in findings(envelope)] == [
        "the standard question 'lifecycle' is not scaffolder's: its choices was removed"
    ]
