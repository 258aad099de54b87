"""The access policy file (issue 16): TOML and YAML, each error with its line, the doc's example.

Driven through `scaffolder policy show --policy FILE`, as a platform team would check a policy.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from scaffolder.access.model import RISKY_SCOPES
from tests.conftest import REPO_ROOT, CliResult

Run = Callable[[Sequence[str]], CliResult]

TOML = """\
version = 1

[identity]
email_domains = ["Acme.example"]
organizations = ["acme"]

[where]
owners = [
    "acme",
    "acme-labs",
]
visibilities = ["private", "internal"]

[lifecycle.production]
owner_kind = "group"
require = ["system", "security_contact"]
min_approvals = 2

[tokens]
refuse_scopes = ["admin:enterprise"]
"""

YAML = """\
version: 1
identity:
  email_domains: [Acme.example]
  organizations: [acme]
where:
  owners:
    - acme
    - acme-labs
  visibilities: [private, internal]
lifecycle:
  production:
    owner_kind: group
    require: [system, security_contact]
    min_approvals: 2
tokens:
  refuse_scopes: ["admin:enterprise"]
"""

EXPECTED = {
    "identity": {
        "email_domains": ["acme.example"],
        "organizations": ["acme"],
        "allow_app_tokens": False,
    },
    "where": {"owners": ["acme", "acme-labs"], "visibilities": ["private", "internal"]},
    "templates": {"builtin": True, "sources": [], "allow_trust": False},
    "lifecycle": {
        "production": {
            "owner_kind": "group",
            "require": ["system", "security_contact"],
            "min_approvals": 2,
        }
    },
    "tokens": {"warn_scopes": list(RISKY_SCOPES), "refuse_scopes": ["admin:enterprise"]},
    "local": {"allowed": True},
}


def _show(run_cli: Run, path: Path) -> CliResult:
    return run_cli(["policy", "show", "--json", "--policy", path])


@pytest.mark.parametrize(("name", "text"), [("policy.toml", TOML), ("policy.yaml", YAML)])
def test_toml_and_yaml_give_the_same_policy(
    run_cli: Run, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = _show(run_cli, path)
    assert result.code == 0, result.stderr
    shown = result.json()["result"]
    assert shown["policy"] == EXPECTED
    assert shown["origin"] == {
        "via": "flag",
        "location": str(path),
        "from_cache": False,
        "cached_at": None,
    }
    rules = {r["rule"]: r["says"] for r in shown["rules"]}
    assert rules["where.visibility"] == "visibility private or internal only"
    assert "a group as owner" in rules["lifecycle.production"]


def test_text_output_says_each_rule_in_words(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(YAML)
    result = run_cli(["policy", "show", "--policy", path])
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"access policy from --policy: {path}"
    assert re.search(
        r"identity\.email_domain +the token's user needs a verified email", result.stdout
    )
    assert re.search(r"where\.owner +repositories only under acme, acme-labs", result.stdout)
    # A scope that is refused is not also listed as a warning.
    assert "delete_repo, admin:org gives a warning" in result.stdout
    assert "admin:enterprise is refused" in result.stdout


# (format, text, line, words in the message)
BROKEN = [
    ("toml", 'version = 1\n[where]\nowners = ["acme"\n', 3, "not valid TOML"),
    (
        "toml",
        "version = 1\n\n[identity]\nemail_domain = ['acme.example']\n",
        4,
        "unknown key 'email_domain' in identity",
    ),
    ("toml", "version = 1\nwhere_ = 1\n", 2, "unknown key 'where_'"),
    (
        "toml",
        TOML.replace('"internal"', '"secret"'),
        12,
        "'secret' is not one of: public, private, internal",
    ),
    (
        "toml",
        TOML.replace('owner_kind = "group"', 'owner_kind = "team"'),
        15,
        "owner_kind 'team' is not one of: group, user",
    ),
    (
        "toml",
        TOML.replace("min_approvals = 2", "min_approvals = 2\nquorum = 3"),
        18,
        "unknown key 'quorum' in lifecycle.production",
    ),
    (
        "toml",
        TOML.replace("min_approvals = 2", 'min_approvals = "2"'),
        17,
        "min_approvals must be a whole number",
    ),
    ("toml", TOML.replace("version = 1", "version = 2"), 1, "version 2 is not supported"),
    ("toml", TOML.replace("version = 1", ""), 1, "`version` is missing"),
    (
        "toml",
        "version = 1\n[local]\nallowed = 'yes'\n",
        3,
        "`allowed` must be true or false, not text",
    ),
    ("toml", "version = 1\n[where]\nowners = 'acme'\n", 3, "`owners` must be a list, not text"),
    ("yaml", YAML.replace("[private, internal]", "[private, secret]"), 9, "'secret' is not one of"),
    (
        "yaml",
        YAML.replace("    owner_kind: group\n", "    owner_kind: group\n    approvers: 2\n"),
        13,
        "unknown key 'approvers' in lifecycle.production",
    ),
    (
        "yaml",
        "version: 1\nwhere:\n  owners: [acme]\n  owners: [other]\n",
        4,
        "duplicate key 'owners'",
    ),
    ("yaml", "version: 1\nidentity: [acme]\n", 2, "`identity` must be a table of keys, not a list"),
    ("yaml", "version: 1\nwhere:\n  owners: [acme\n", 4, "not valid YAML"),
    ("yaml", "- version: 1\n", 1, "the policy must be a table of keys"),
]


@pytest.mark.parametrize(("fmt", "text", "line", "words"), BROKEN)
def test_a_broken_policy_is_an_error_with_its_line(
    run_cli: Run, tmp_path: Path, fmt: str, text: str, line: int, words: str
) -> None:
    path = tmp_path / f"policy.{fmt}"
    path.write_text(text)
    result = _show(run_cli, path)
    assert result.code == 2, result.stdout
    error = result.json()["error"]
    assert error["code"] == "policy-file"
    assert (error["path"], error["line"]) == (str(path), line)
    assert words in error["message"]
    assert error["message"].startswith(f"access policy {path}:{line}: ")
    assert "docs/access-policy.md" in error["hint"]
    assert result.json()["result"] is None  # never "no policy": the command stops


def test_the_format_is_chosen_by_extension_never_guessed(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "policy"
    path.write_text(TOML)
    result = run_cli(["policy", "show", "--policy", path])
    assert result.code == 2
    assert "must end in .toml, .yml or .yaml" in result.stderr
    # YAML text in a .toml file is TOML that does not parse.
    wrong = tmp_path / "policy.toml"
    wrong.write_text(YAML)
    result = run_cli(["policy", "show", "--policy", wrong])
    assert result.code == 2
    assert f"{wrong}:1: not valid TOML" in result.stderr


def test_a_missing_policy_file_is_an_error(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(["policy", "show", "--policy", tmp_path / "nope.toml"])
    assert result.code == 2
    assert "nope.toml: it does not exist" in result.stderr
    assert "Traceback" not in result.stderr


# -- the documentation's example --------------------------------------------------------------
DOC = REPO_ROOT / "docs" / "access-policy.md"


def _doc_block(language: str) -> str:
    """The first ```LANGUAGE block after the doc's "A complete example" heading."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### A complete example", 1)[1]
    found = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert found, f"no {language} block in the example of {DOC}"
    return found.group(1)


def test_the_documented_example_loads_in_both_formats(run_cli: Run, tmp_path: Path) -> None:
    shown = {}
    for fmt in ("toml", "yaml"):
        path = tmp_path / f"policy.{fmt}"
        path.write_text(_doc_block(fmt))
        result = _show(run_cli, path)
        assert result.code == 0, result.stderr
        shown[fmt] = result.json()["result"]["policy"]
    assert shown["toml"] == shown["yaml"]
    policy = shown["toml"]
    # The example is complete: every section, every key, set to something other than the default.
    assert policy["identity"] == {
        "email_domains": ["acme.example"],
        "organizations": ["acme"],
        "allow_app_tokens": True,
    }
    assert policy["local"] == {"allowed": False}
    assert policy["tokens"]["refuse_scopes"] == ["admin:enterprise"]
    assert set(policy["lifecycle"]) == {"production", "experimental"}
    assert all(policy["templates"][k] or k == "allow_trust" for k in policy["templates"])
    keys = set(re.findall(r"^(\w+) =", _doc_block("toml"), re.MULTILINE))
    assert keys >= {
        "email_domains",
        "organizations",
        "allow_app_tokens",
        "owners",
        "visibilities",
        "builtin",
        "sources",
        "allow_trust",
        "owner_kind",
        "require",
        "min_approvals",
        "warn_scopes",
        "refuse_scopes",
        "allowed",
    }


def test_the_documented_error_is_what_scaffolder_says(run_cli: Run, tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = re.search(r"error: access policy policy\.toml:(\d+): (.*)", text)
    assert documented
    policy = _doc_block("toml").replace('"private", "internal"', '"private", "secret"')
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    result = run_cli(["policy", "show", "--policy", path])
    assert result.code == 2
    assert f"{path}:{documented.group(1)}: {documented.group(2)}" in result.stderr


def test_inline_tables_and_comments_keep_their_lines(run_cli: Run, tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        # a comment
        version = 1   # the format

        lifecycle.production = { owner_kind = "team" }
        """
    )
    path = tmp_path / "policy.toml"
    path.write_text(text)
    result = _show(run_cli, path)
    assert result.code == 2
    assert result.json()["error"]["line"] == 4
