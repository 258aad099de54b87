"""The standard questions have one source, and each rule one definition, used by copier and Python.

scaffolder/baseline/standard-questions.yml holds them; each built-in template includes a
byte-identical copy (tests/test_templates_builtin.py checks the copies). Python evaluates the same
validators, so plain copier and scaffolder refuse the same answers with the same message.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import copier
import pytest
import yaml
from jinja2_ansible_filters.core_filters import regex_search as ansible_regex_search

from scaffolder.answers import LIFECYCLES, STANDARD_QUESTIONS, Lifecycle
from scaffolder.backstage.rules import parse_owner
from scaffolder.baseline import questions
from tests.baseline_fixtures import TEMPLATE_NAMES
from tests.conftest import TEMPLATES
from tests.helpers import build_file_tree

GOOD = {"name": "payments-api", "owner": "group:default/payments"}

NAMES = [
    "payments-api",
    "a",
    "a1-b2-c3",
    "a" * 63,
    "",
    "a" * 64,
    "Bad",
    "web_api",
    "-web",
    "web-",
    "web--api",
    "1web",
    "my service",
    "../x",
    "x/y",
    "café",
    "{{ 7 * 7 }}",
]
OWNERS = [
    "payments",
    "group:payments",
    "group:default/payments",
    "user:jdoe",
    "user:default/j.doe_x",
    "group:default/" + "a" * 63,
    "group:" + "n" * 63 + "/x",
    "",
    "Group:payments",
    "component:payments",
    "group:Pay ments",
    "a:b:c",
    "group:default/" + "a" * 64,
    "group:" + "n" * 64 + "/x",
    "group:NS/x",
    "group:default/x/y",
    " group:x",
    "group:x.",
    "group:-x",
    "user:",
]


def _copier_refusal(template: Path, data: dict[str, str], tmp_path: Path) -> str:
    """What plain copier (its public API, no scaffolder) says about `data`: "" if it accepts."""
    try:
        copier.run_copy(
            str(template),
            tmp_path / "out",
            data=data,
            defaults=True,
            unsafe=False,
            pretend=True,
            quiet=True,
        )
    except ValueError as exc:
        return str(exc)
    return ""


# --- Plain copier ------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_plain_copier_renders_each_template_and_its_validators_fire(
    template: str, tmp_path: Path
) -> None:
    """`copier copy --data ...` of a built-in template, without scaffolder, still works: the
    included questions are asked, their defaults applied, and a bad name is refused."""
    dst = tmp_path / "plain"
    copier.run_copy(
        str(TEMPLATES / template), dst, data=dict(GOOD), defaults=True, unsafe=False, quiet=True
    )
    answers = (dst / ".copier-answers.yml").read_text()
    assert "name: payments-api\n" in answers
    assert "owner: group:default/payments\n" in answers
    assert "lifecycle: experimental\n" in answers  # the included default

    with pytest.raises(ValueError, match="Validation error for question 'name'") as refused:
        copier.run_copy(
            str(TEMPLATES / template),
            tmp_path / "bad",
            data={**GOOD, "name": "Payments_API"},
            defaults=True,
            unsafe=False,
            quiet=True,
        )
    assert "is not lowercase kebab-case" in str(refused.value)
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_python_refuses_exactly_what_the_template_validator_refuses(
    template: str, tmp_path: Path
) -> None:
    for name in NAMES:
        expected = questions.problem("name", name)
        refusal = _copier_refusal(TEMPLATES / template, {**GOOD, "name": name}, tmp_path)
        assert refusal == (f"Validation error for question 'name': {expected}" if expected else "")
    for owner in OWNERS:
        expected = questions.problem("owner", owner)
        refusal = _copier_refusal(TEMPLATES / template, {**GOOD, "owner": owner}, tmp_path)
        assert refusal == (f"Validation error for question 'owner': {expected}" if expected else "")


# --- The rules, as Python evaluates them -------------------------------------------------------


def test_the_rules_refuse_what_they_should() -> None:
    assert [n for n in NAMES if not questions.problem("name", n)] == NAMES[:4]
    assert [o for o in OWNERS if not questions.problem("owner", o)] == OWNERS[:7]
    assert "use at most 63" in questions.problem("name", "a" * 64)
    assert questions.problem("name", "").startswith("A name is required")
    assert questions.problem("lifecycle", "production") == ""
    assert questions.problem("lifecycle", "retired") == (
        "'retired' is not one of experimental, production, deprecated"
    )


def test_an_answer_is_a_value_never_template_code() -> None:
    message = questions.problem("name", "{{ 7 * 7 }}")
    assert message.startswith("'{{ 7 * 7 }}' is not lowercase kebab-case")
    assert "49" not in message
    assert "cycler" in questions.problem("owner", "{{ cycler.__init__.__globals__ }}")


def test_each_validator_sees_only_its_own_answer() -> None:
    """Rendered with only their own answer under StrictUndefined: no validator needs more."""
    for q in questions.standard_questions():
        if q.validator:
            for value in (*NAMES, *OWNERS):
                questions._compiled(q.validator).render({q.name: value})


def test_the_owner_rule_refuses_all_that_the_parser_refuses() -> None:
    """`parse_owner` turns a valid owner into an EntityRef; it must never meet one the rule let
    through (a 64-character name once passed the template and failed the parser)."""
    for owner in OWNERS:
        try:
            parse_owner(owner)
        except ValueError:
            assert questions.problem("owner", owner), owner


@pytest.mark.parametrize("pattern", ["^[a-z]+$", "[0-9]+", "^(a|b)*$", "x?", "^$", "é"])
@pytest.mark.parametrize("value", ["abc", "a1b22", "ab", "", "Abc", "café", "line\nnext"])
@pytest.mark.parametrize("flags", [{}, {"ignorecase": True}, {"multiline": True}])
def test_regex_search_is_copiers(pattern: str, value: str, flags: dict[str, bool]) -> None:
    assert questions.regex_search(value, pattern, **flags) == ansible_regex_search(
        value, pattern, **flags
    )


def test_scaffolder_names_and_lifecycles_are_the_source_s() -> None:
    assert STANDARD_QUESTIONS == ("name", "description", "owner", "lifecycle", "system")
    assert tuple(yaml.safe_load(questions.SOURCE.read_text())) == STANDARD_QUESTIONS
    assert LIFECYCLES == get_args(Lifecycle) == questions.question("lifecycle").choices


# --- Through scaffolder's CLI ------------------------------------------------------------------

LAX_TEMPLATE = {
    "copier.yml": """\
        _subdirectory: template
        name:
          type: str
        description:
          type: str
          default: ""
        owner:
          type: str
        lifecycle:
          type: str
          default: experimental
        system:
          type: str
          default: ""
        """,
    "template/README.md.jinja": "# {{ name }}\n",
}


def test_scaffolder_applies_the_rules_to_a_template_without_validators(run_cli, tmp_path):
    template = build_file_tree(tmp_path / "lax", LAX_TEMPLATE)
    result = run_cli(
        ["new", template, "-o", tmp_path / "out", "--set", "name=Bad", "--set", "owner=a:b:c"]
    )
    assert result.code == 2
    assert f"name: {questions.problem('name', 'Bad')}" in result.stderr
    assert f"owner: {questions.problem('owner', 'a:b:c')}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_built_in_template_refuses_a_bad_name_once_with_the_rule_s_message(run_cli, tmp_path):
    result = run_cli(
        ["new", "python-service", "-o", tmp_path / "o", "--set", "name=Bad", "--set", "owner=x"]
    )
    assert result.code == 2
    expected = questions.problem("name", "Bad")
    assert f"error: invalid answer for name: {expected}\n" in result.stderr
    assert result.stderr.count("kebab-case") == 1
    assert "hint:" in result.stderr


# --- A template's copy -------------------------------------------------------------------------


def _template_with_copy(root: Path, copier_yml: str, copy: bytes | None) -> Path:
    build_file_tree(root, {"copier.yml": copier_yml, "template/README.md": "x\n"})
    if copy is not None:
        (root / questions.FILE_NAME).write_bytes(copy)
    return root


INCLUDING = "---\n!include standard-questions.yml\n---\n_subdirectory: template\n"


def test_copy_problems_accepts_an_identical_included_copy(tmp_path: Path) -> None:
    good = _template_with_copy(tmp_path / "t", INCLUDING, questions.SOURCE.read_bytes())
    assert questions.copy_problems(good) == []


def test_copy_problems_finds_what_is_wrong_with_a_copy(tmp_path: Path) -> None:
    source = questions.SOURCE.read_bytes()
    missing = _template_with_copy(tmp_path / "missing", INCLUDING, None)
    assert questions.copy_problems(missing) == [
        f"{missing / questions.FILE_NAME} is missing; copy it from {questions.SOURCE}"
    ]
    edited = _template_with_copy(tmp_path / "edited", INCLUDING, source.replace(b"63", b"64", 1))
    assert [p.split(";")[0] for p in questions.copy_problems(edited)] == [
        f"{edited / questions.FILE_NAME} differs from scaffolder's standard questions"
    ]
    not_included = _template_with_copy(tmp_path / "ni", "_subdirectory: template\n", source)
    assert questions.copy_problems(not_included) == [
        f"{not_included / 'copier.yml'} does not include standard-questions.yml: add the "
        "document !include standard-questions.yml"
    ]
    redefined = _template_with_copy(
        tmp_path / "re", INCLUDING + "name:\n  type: str\nowner:\n  type: str\n", source
    )
    assert [p.split(" itself")[0] for p in questions.copy_problems(redefined)] == [
        f"{redefined / 'copier.yml'} asks the standard question 'name'",
        f"{redefined / 'copier.yml'} asks the standard question 'owner'",
    ]
    broken = _template_with_copy(tmp_path / "broken", "a: [\n", source)
    assert questions.copy_problems(broken)[0].startswith(f"cannot read {broken / 'copier.yml'}")
