"""The baseline's language table, templates/_baseline/languages.yml: one file that copier renders
the baseline from and that `scaffolder audit` judges by.

A language is added by data alone: a copy of the baseline with one more entry renders it with
plain copier, and the audit, given the same table, passes the result. A malformed table is a
`LanguageTableError` that names the key.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import copier
import pytest
import yaml

from scaffolder.audit import audit
from scaffolder.baseline import languages
from scaffolder.errors import LanguageTableError
from scaffolder.render import layers
from tests.baseline_fixtures import CODEQL, LANGUAGE
from tests.conftest import TEMPLATES

TABLE = TEMPLATES / "_baseline" / "languages.yml"

#: Java, as a maintainer would add it: no template or Python change, only this entry.
JAVA = """\
    java:
      title: Java
      codeql:
        language: java-kotlin
        build_mode: autobuild
      dependabot:
        ecosystems: [maven]
        directory: /
      ci:
        setup:
          name: Set up Java
          action: actions/setup-java
          version:
            input: java-version
            answer: java_version
            default: "21"
          with:
            distribution: temurin
            cache: maven
        install: []
        test:
          - name: Test
            run: mvn --batch-mode test
      audit:
        manifests: [pom.xml]
        ecosystems: [maven, gradle]
        test_command: '\\b(mvn|mvnw|gradle|gradlew)\\b.*\\btest\\b'
        test_description: mvn test or gradle test
        gitignore: [target]
"""


def test_the_table_is_the_baselines_languages() -> None:
    table = languages.load()
    assert table.names == layers.SUPPORTED_LANGUAGES == ("python", "typescript", "go")
    for name, language in LANGUAGE.items():
        entry = table.get(language)
        assert entry is not None and entry.codeql is not None, name
        assert entry.codeql.language == CODEQL[language]
    assert table.get("cobol") is None and "cobol" not in table


def test_the_header_documents_every_key_with_a_complete_example(tmp_path) -> None:
    """The header's commented example is itself a valid entry, with every key."""
    lines = TABLE.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("#   rust:"))
    end = lines.index("#", start)
    body = [ln[1:].split("  #", 1)[0].rstrip() for ln in lines[start:end]]
    entry = yaml.safe_load(textwrap.dedent("\n".join(ln for ln in body if ln.strip())))
    question = {"baseline_languages": {"type": "yaml", "when": False, "default": entry}}
    path = tmp_path / "languages.yml"  # no pins.yml beside it: actions are not looked up
    path.write_text(yaml.safe_dump(question))
    rust = languages.parse(path).get("rust")
    assert rust is not None and rust.codeql is not None and rust.ci.setup is not None
    assert rust.ci.setup.version is not None and rust.ci.setup.version.answer == "rust_version"
    assert rust.ci.install[0].run == "cargo fetch --locked"
    assert rust.audit.test_command.search("cargo test --locked")
    documented = {
        "title",
        "codeql",
        "language",
        "build_mode",
        "aliases",
        "dependabot",
        "ecosystems",
        "directory",
        "ci",
        "setup",
        "name",
        "action",
        "version",
        "input",
        "answer",
        "default",
        "with",
        "install",
        "run",
        "if_answer",
        "unless_answer",
        "test",
        "audit",
        "manifests",
        "test_command",
        "test_description",
        "gitignore",
    }
    header = "\n".join(lines[:end])
    assert all(f"{key}:" in header or f"`{key}`" in header for key in documented)


def baseline_copy(tmp_path: Path, extra: str = "") -> Path:
    """A copy of the baseline layer, with `extra` appended to its language table."""
    base = tmp_path / "baseline"
    shutil.copytree(TEMPLATES / "_baseline", base)
    if extra:
        table = base / "languages.yml"
        table.write_text(table.read_text() + extra)
    return base


def render(base: Path, dst: Path, langs: list[str], **answers: str) -> Path:
    data = {
        "name": "ledger",
        "description": "Keeps the books",
        "owner": "group:default/finance",
        "lifecycle": "production",
        "system": "",
        "scaffolder_template": "java-service",
        "scaffolder_languages": langs,
        **answers,
    }
    copier.run_copy(str(base), dst, data=data, defaults=True, unsafe=True, quiet=True)
    return dst


def workflow(root: Path, name: str) -> dict:
    return yaml.safe_load((root / ".github" / "workflows" / name).read_text())


def test_a_language_added_to_the_table_is_rendered_by_plain_copier(tmp_path) -> None:
    base = baseline_copy(tmp_path, JAVA)
    pins = yaml.safe_load((base / "pins.yml").read_text())["action_pins"]["default"]
    root = render(base, tmp_path / "ledger", ["java", "python"], java_version="17")

    ci = workflow(root, "ci.yml")["jobs"]["test"]["steps"]
    assert [s["name"] for s in ci] == [
        "Check out",
        "Set up Python",
        "Install",
        "Test",
        "Set up Java",
        "Test",
    ]
    java = ci[4]
    assert java["uses"] == f"actions/setup-java@{pins['actions/setup-java']['sha']}"
    assert java["with"] == {"java-version": "17", "distribution": "temurin", "cache": "maven"}
    assert ci[5]["run"] == "mvn --batch-mode test"
    # No test_requirements answer: python's `unless_answer` step, its default version.
    assert ci[2]["run"] == "python -m pip install -e '.[test]'"
    assert ci[1]["with"] == {"python-version": "3.11"}
    text = (root / ".github/workflows/ci.yml").read_text()
    assert f"# {pins['actions/setup-java']['version']}" in text

    codeql = workflow(root, "codeql.yml")["jobs"]["analyze"]
    assert codeql["strategy"]["matrix"]["include"] == [
        {"language": "java-kotlin", "build-mode": "autobuild"},
        {"language": "python", "build-mode": "none"},
        {"language": "actions", "build-mode": "none"},
    ]
    setup = [s for s in codeql["steps"] if s.get("name") == "Set up Java"]
    assert len(setup) == 1 and setup[0]["if"] == "matrix.language == 'java-kotlin'"

    dependabot = yaml.safe_load((root / ".github/dependabot.yml").read_text())
    assert [u["package-ecosystem"] for u in dependabot["updates"]] == [
        "maven",
        "pip",
        "github-actions",
    ]
    ruleset = json.loads((root / ".github/rulesets/default-branch.json").read_text())
    contexts = [
        c["context"]
        for r in ruleset["rules"]
        if r["type"] == "required_status_checks"
        for c in r["parameters"]["required_status_checks"]
    ]
    assert contexts == ["test", "Analyze (java-kotlin)", "Analyze (python)", "Analyze (actions)"]


def test_audit_judges_by_the_same_table(tmp_path) -> None:
    base = baseline_copy(tmp_path, JAVA)
    root = render(base, tmp_path / "ledger", ["java"])
    (root / "pom.xml").write_text("<project/>\n")
    (root / ".gitignore").write_text("target/\n")

    report = audit(root, table=languages.load(base / "languages.yml"))
    assert report.languages == ("java",)
    assert [r.to_json() for r in report.failed] == []
    assert "java in .github/workflows/ci.yml" in report.result("ci-tests").reason

    # Without the entry, java is unknown: named, never a crash; the other rules still hold.
    builtin = audit(root)
    assert builtin.languages == ("java",)
    assert builtin.ok
    assert "java is not in the baseline's language table" in builtin.result("codeql").reason

    # With it, its rules bite: .gitignore must keep target/ out.
    (root / ".gitignore").write_text("*.log\n")
    failed = audit(root, table=languages.load(base / "languages.yml")).failed
    assert [(r.name, r.reason) for r in failed] == [
        ("gitignore", ".gitignore does not ignore java artefacts (target)")
    ]


def test_a_language_without_codeql_gets_no_matrix_entry_and_no_check(tmp_path) -> None:
    entry = JAVA.replace(
        "      codeql:\n        language: java-kotlin\n        build_mode: autobuild\n",
        "      codeql: null\n",
    )
    base = baseline_copy(tmp_path, entry)
    root = render(base, tmp_path / "ledger", ["java"])
    codeql = workflow(root, "codeql.yml")["jobs"]["analyze"]
    assert codeql["strategy"]["matrix"]["include"] == [
        {"language": "actions", "build-mode": "none"}
    ]
    assert not [s for s in codeql["steps"] if s.get("name") == "Set up Java"]
    (root / "pom.xml").write_text("<project/>\n")
    (root / ".gitignore").write_text("target/\n")
    assert audit(root, table=languages.load(base / "languages.yml")).ok


# --- A malformed table ------------------------------------------------------------------------

#: (what to replace in the real table, with what, the message's part that names the key)
MALFORMED = [
    (
        "          action: actions/setup-python\n",
        "          acton: x\n",
        "unknown key python.ci.setup.acton",
    ),
    ("        test_command: '\\bgo\\s+test\\b'\n", "", "go.audit.test_command is missing"),
    (
        "        build_mode: autobuild\n",
        "        build_mode: fast\n",
        "go.codeql.build_mode is 'fast'",
    ),
    ("\\bgo\\s+test\\b", "(go", "go.audit.test_command is not a regular expression"),
    (
        "        test_command: '\\bgo\\s+test\\b'",
        "        test_command: gotest",
        "go.audit.test_command matches none of go.ci.test's commands",
    ),
    (
        "action: actions/setup-node",
        "action: actions/setup-nodes",
        "typescript.ci.setup.action 'actions/setup-nodes' is not pinned in pins.yml",
    ),
    (
        "        manifests: [go.mod]\n",
        "        manifests: go.mod\n",
        "go.audit.manifests must be a list of strings, not a string",
    ),
    (
        "        ecosystems: [gomod]\n        test_command",
        "        ecosystems: [go]\n        test_command",
        "go.audit.ecosystems lacks gomod (dependabot.ecosystems)",
    ),
    (
        '            default: "22"\n',
        "            default: 22\n",
        "typescript.ci.setup.version.default must be a string (quote it), not a number",
    ),
    (
        '            default: "22"\n',
        '            default: "20"\n',
        "typescript.ci.setup.version.default '20' is not one of "
        "typescript.ci.setup.version.choices",
    ),
    (
        '            choices: ["22", "24", "26"]\n',
        "            choices: 22\n",
        "typescript.ci.setup.version.choices must be a list of strings, not a number",
    ),
    ("    go:\n      title: Go\n", "    python:\n      title: Go\n", "duplicate key 'python'"),
    (
        "      title: TypeScript\n",
        "      title: TypeScript\n      tilte: TS\n",
        "unknown key typescript.tilte",
    ),
    ("  when: false\n", "  when: true\n", "baseline_languages must be a computed question"),
    (
        "            if_answer: test_requirements\n          - name: Install\n            run: py",
        "            if_answer: test_requirements\n            unless_answer: x\n"
        "          - name: Install\n            run: py",
        "python.ci.install[0] has both if_answer and unless_answer",
    ),
    ("    go:\n", "    Go Lang:\n", "language name 'Go Lang' must match"),
    ("baseline_languages:\n", "baseline_languages: [\n", "is not valid YAML"),
    (
        "        test:\n          - name: Vet",
        "        test: []\n        tests:\n          - name: Vet",
        "unknown key go.ci.tests",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), MALFORMED, ids=[m[2] for m in MALFORMED])
def test_a_malformed_table_names_the_key(tmp_path, old, new, message) -> None:
    base = baseline_copy(tmp_path)
    path = base / "languages.yml"
    text = path.read_text()
    body = text[text.index("baseline_languages:") :]
    assert body.count(old) >= 1, old
    path.write_text(text.replace(body, body.replace(old, new, 1)))
    with pytest.raises(LanguageTableError) as info:
        languages.parse(path)
    assert info.value.message.startswith(f"{path}: ")
    assert message in info.value.message
    assert "\n" not in info.value.message
    assert info.value.hint and "languages.yml" in info.value.hint


def test_an_empty_test_list_is_refused(tmp_path) -> None:
    base = baseline_copy(tmp_path)
    path = base / "languages.yml"
    text = path.read_text()
    start = text.index("        test:\n          - name: Vet")
    end = text.index("      audit:", start)
    path.write_text(text[:start] + "        test: []\n" + text[end:])
    with pytest.raises(LanguageTableError, match=r"go\.ci\.test must list at least one step"):
        languages.parse(path)
