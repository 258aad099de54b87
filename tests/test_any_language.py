"""Any language: the language-neutral baseline for every template, and languages a template
describes as data (issue 13).

Every test drives the real CLI (`scaffolder new`, `scaffolder audit`) over templates written
inline, rendered by copier. The Rust proof itself (cargo, zizmor, schemas) is in
tests/test_rust_template.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from scaffolder.baseline import described
from scaffolder.errors import LanguageTableError
from tests.conftest import STANDARD_ANSWERS
from tests.helpers import make_template
from tests.rust_template import RUST_DATA, metadata, rust_template

#: The files of the language-neutral baseline, whatever the template's languages.
NEUTRAL_FILES = [
    ".copier-answers.baseline.yml",
    ".github/CODEOWNERS",
    ".github/dependabot.yml",
    ".github/rulesets/default-branch.json",
    ".github/workflows/codeql.yml",
    ".github/workflows/dependency-review.yml",
    ".github/workflows/scorecard.yml",
    "LICENSE",
    "SECURITY.md",
    "catalog-info.yaml",
]


def files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def yaml_file(root: Path, rel: str) -> dict:
    return yaml.safe_load((root / rel).read_text(encoding="utf-8"))


def required_checks(root: Path) -> list[str]:
    ruleset = json.loads((root / ".github/rulesets/default-branch.json").read_text())
    return [
        c["context"]
        for r in ruleset["rules"]
        if r["type"] == "required_status_checks"
        for c in r["parameters"]["required_status_checks"]
    ]


def new(run_cli, template: Path, dst: Path, *extra: str):
    return run_cli(
        ["new", template, "--output", dst, *STANDARD_ANSWERS, "--no-input", "--json", *extra]
    )


def error_line(stderr: str) -> str:
    """The one `error:` line of the CLI's text output (progress lines come before it)."""
    (line,) = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    return line


def audit_json(run_cli, root: Path) -> tuple[int, dict]:
    result = run_cli(["audit", root, "--json"])
    return result.code, result.json()["result"]


# --- The language-neutral baseline ---------------------------------------------------------

NO_LANGUAGE = {
    "languages: []": '_scaffolder:\n  title: Docs\n  version: "1.0.0"\n  languages: []\n---\n',
    "no _scaffolder block": "",
}


@pytest.mark.parametrize("config", NO_LANGUAGE.values(), ids=NO_LANGUAGE.keys())
def test_a_template_without_languages_gets_the_neutral_baseline_and_passes_audit(
    run_cli, tmp_path, config
) -> None:
    template = make_template(tmp_path / "docs-tpl", extra_config=config)
    dst = tmp_path / "docs"
    result = new(run_cli, template, dst)
    assert result.code == 0, result.stderr
    assert not [w for w in result.json()["warnings"] if "baseline" in w]

    # The template's files, the neutral baseline, a .gitignore (the template had none), and
    # no CI workflow: there is nothing to test, and no job pretends to.
    assert files(dst) == sorted([*NEUTRAL_FILES, ".copier-answers.yml", ".gitignore", "README.md"])
    updates = yaml_file(dst, ".github/dependabot.yml")["updates"]
    assert [u["package-ecosystem"] for u in updates] == ["github-actions"]
    matrix = yaml_file(dst, ".github/workflows/codeql.yml")["jobs"]["analyze"]["strategy"]
    assert matrix["matrix"]["include"] == [{"language": "actions", "build-mode": "none"}]
    assert (
        "CodeQL code scanning for the workflows themselves."
        in (dst / ".github/workflows/codeql.yml").read_text()
    )
    assert required_checks(dst) == ["Analyze (actions)"]
    entity = yaml_file(dst, "catalog-info.yaml")
    assert entity["metadata"]["tags"] == []
    assert ".env" in (dst / ".gitignore").read_text().splitlines()

    code, report = audit_json(run_cli, dst)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert code == 0 and failed == [], failed
    assert report["languages"] == []
    ci = next(c for c in report["checks"] if c["name"] == "ci-tests")
    assert "declares no language" in ci["reason"]


def test_a_templates_own_gitignore_is_kept(run_cli, tmp_path) -> None:
    template = make_template(tmp_path / "tpl", files={"template/.gitignore": "# ours\n*.log\n"})
    dst = tmp_path / "out"
    result = new(run_cli, template, dst)
    assert result.code == 0, result.stderr
    assert (dst / "catalog-info.yaml").is_file()  # the baseline was applied...
    assert (dst / ".gitignore").read_text() == "# ours\n*.log\n"  # ...and kept the template's
    assert audit_json(run_cli, dst)[0] == 0


@pytest.mark.parametrize(
    ("removed", "check"),
    [
        ("SECURITY.md", "security-policy"),
        ("LICENSE", "license"),
        (".github/CODEOWNERS", "codeowners"),
        (".github/rulesets/default-branch.json", "branch-ruleset"),
        ("catalog-info.yaml", "catalog-info"),
        (".github/dependabot.yml", "dependabot"),
        (".github/workflows/codeql.yml", "codeql"),
        (".github/workflows/scorecard.yml", "scorecard"),
    ],
)
def test_audit_of_a_project_without_languages_fails_where_a_baseline_file_is_missing(
    run_cli, tmp_path, removed, check
) -> None:
    template = make_template(tmp_path / "tpl", extra_config=NO_LANGUAGE["languages: []"])
    dst = tmp_path / "out"
    assert new(run_cli, template, dst).code == 0
    (dst / removed).unlink()
    code, report = audit_json(run_cli, dst)
    assert code == 1
    assert check in [c["name"] for c in report["checks"] if not c["passed"]]


def test_opting_out_of_the_baseline_stays_explicit(run_cli, tmp_path) -> None:
    config = '_scaffolder:\n  version: "1.0.0"\n  languages: [cobol]\n  baseline: false\n---\n'
    template = make_template(tmp_path / "tpl", extra_config=config)
    result = new(run_cli, template, tmp_path / "out")
    assert result.code == 0, result.stderr
    assert any("opts out of the security baseline" in w for w in result.json()["warnings"])
    assert not (tmp_path / "out" / "catalog-info.yaml").exists()
    assert not (tmp_path / "out" / ".copier-answers.baseline.yml").exists()


# --- Languages a template describes ----------------------------------------------------------


def test_a_declared_language_nobody_describes_is_a_one_line_error(run_cli, tmp_path) -> None:
    template = rust_template(tmp_path / "tpl", data="")
    result = run_cli(
        ["new", template, "--output", tmp_path / "out", *STANDARD_ANSWERS, "--no-input"]
    )
    assert result.code == 2
    first = error_line(result.stderr)
    assert "declares rust, which scaffolder's baseline does not know" in first
    assert "python, typescript, go are built in" in first
    assert "_scaffolder.language_data" in result.stderr
    assert "languages.yml" in result.stderr
    assert not (tmp_path / "out").exists()


def _bad(old: str, new: str) -> str:
    assert old in RUST_DATA, old
    return RUST_DATA.replace(old, new, 1)


PIN = "      dependabot: {ecosystems: [cargo], directory: /}\n"
SETUP = (
    "      ci:\n        setup:\n          name: Set up Rust\n"
    "          action: acme/setup-rust\n        install: []\n"
)
#: (id, language data, text of the line the error must name, what the message says)
BAD = [
    (
        "unknown key",
        _bad("      title: Rust\n", "      title: Rust\n      tilte: Rust\n"),
        "tilte: Rust",
        "unknown key _scaffolder.language_data.rust.tilte",
    ),
    (
        "wrong type",
        _bad("manifests: [Cargo.toml]", "manifests: Cargo.toml"),
        "manifests: Cargo.toml",
        "_scaffolder.language_data.rust.audit.manifests must be a list of strings, not a string",
    ),
    (
        "bad build_mode",
        _bad("build_mode: none}", "build_mode: fast}"),
        "codeql: {language: rust, build_mode: fast}",
        "_scaffolder.language_data.rust.codeql.build_mode is 'fast', not one of none, "
        "autobuild, manual",
    ),
    (
        "redefining python",
        _bad("    rust:\n", "    python:\n      title: Python\n    rust:\n"),
        "    python:",
        "_scaffolder.language_data.python redefines python, a built-in language of ",
    ),
    (
        "bad pin sha",
        RUST_DATA + "  action_pins:\n    acme/setup-rust: {sha: abc123, version: v1.0.0}\n",
        "    acme/setup-rust: {sha: abc123",
        "_scaffolder.action_pins.acme/setup-rust.sha 'abc123' is not a full commit SHA",
    ),
    (
        "overriding a built-in pin",
        RUST_DATA + "  action_pins:\n    actions/checkout: {sha: " + "a" * 40 + ", version: v1}\n",
        "    actions/checkout:",
        "pins actions/checkout, which the baseline pins itself",
    ),
    (
        "an unpinned setup action",
        _bad("      ci:\n        install: []\n", SETUP),
        "          action: acme/setup-rust",
        "_scaffolder.language_data.rust.ci.setup.action 'acme/setup-rust' is not pinned",
    ),
    (
        "an answer put into a run",
        _bad(
            "          - {name: Test, run: cargo test --locked}\n",
            "          - {name: Test, run: cargo test --locked}\n"
            "          - {name: Extra, run: 'cargo {features}', if_answer: features}\n",
        ),
        "      ci:",
        "puts the answer {features} into its run:, which is shell",
    ),
    (
        "a line break in a name",
        _bad("{name: Test,", '{name: "Test\\nname: x",'),
        "run: cargo test --locked}",
        "_scaffolder.language_data.rust.ci.test[0].name holds a control character or line break",
    ),
]


@pytest.mark.parametrize(
    ("data", "line_text", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_description_names_the_copier_yml_line(
    run_cli, tmp_path, data, line_text, message
) -> None:
    template = rust_template(tmp_path / "tpl", data=data)
    config = template / "copier.yml"
    lines = config.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if line_text in text)
    result = run_cli(
        ["new", template, "--output", tmp_path / "out", *STANDARD_ANSWERS, "--no-input"]
    )
    assert result.code == 2, result.stderr
    first = error_line(result.stderr)
    assert f"{config}: line {line}: " in first
    assert message in first
    assert "languages.yml" in result.stderr  # the hint: where the schema is documented
    assert not (tmp_path / "out").exists()


def test_a_described_language_must_be_declared(run_cli, tmp_path) -> None:
    template = rust_template(tmp_path / "tpl", languages="[]")
    result = run_cli(
        ["new", template, "--output", tmp_path / "out", *STANDARD_ANSWERS, "--no-input"]
    )
    assert result.code == 2
    assert "describes rust in _scaffolder.language_data but does not declare it" in result.stderr


def test_described_languages_is_the_linters_entry_point(tmp_path) -> None:
    template = rust_template(tmp_path / "tpl")
    meta = yaml.safe_load(metadata().split("---")[0])["_scaffolder"]
    found = described.described_languages(meta, str(template))
    rust = found["rust"]
    assert list(found) == ["rust"]
    assert rust.codeql is not None and rust.codeql.language == "rust"
    assert rust.dependabot.ecosystems == ("cargo",)
    assert rust.ci.setup is None and rust.ci.test[0].run == "cargo test --locked"
    assert rust.audit.test_command.search("cargo test --locked")

    meta["language_data"]["rust"]["codeql"]["build_mode"] = "fast"
    with pytest.raises(LanguageTableError) as info:
        described.described_languages(meta, str(template))
    assert info.value.message.startswith(f"{template / 'copier.yml'}: line ")
    assert "build_mode is 'fast'" in info.value.message


#: Strings that YAML, JSON and Jinja would each read differently if written unquoted.
NASTY_NAME = "Test: all # of them {{ 7 * 7 }} 'yes' \"no\""
NASTY_RUN = "echo 'a: b' # not a comment\ncargo test --locked -- {% raw %}x{% endraw %}"


def test_description_strings_are_written_safely_and_never_evaluated(run_cli, tmp_path) -> None:
    data = _bad(
        "          - {name: Test, run: cargo test --locked}\n",
        f"          - name: {json.dumps(NASTY_NAME)}\n            run: {json.dumps(NASTY_RUN)}\n",
    ).replace("directory: /}", "directory: 'yes'}")
    template = rust_template(tmp_path / "tpl", data=data)
    dst = tmp_path / "out"
    result = new(run_cli, template, dst)
    assert result.code == 0, result.stderr
    steps = yaml_file(dst, ".github/workflows/ci.yml")["jobs"]["test"]["steps"]
    assert steps[1] == {"name": NASTY_NAME, "run": NASTY_RUN}
    updates = yaml_file(dst, ".github/dependabot.yml")["updates"]
    assert updates[0]["directory"] == "yes"
    recorded = yaml_file(dst, ".copier-answers.baseline.yml")["_scaffolder_language_data"]
    assert recorded["language_data"]["rust"]["ci"]["test"][0]["name"] == NASTY_NAME


def test_a_described_setup_uses_the_templates_own_pin(run_cli, tmp_path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    setup = (
        "      ci:\n        setup:\n          name: Set up Rust\n"
        "          action: acme/setup-rust\n"
        '          version: {input: toolchain, answer: rust_version, default: "1.80"}\n'
    )
    data = _bad("      ci:\n        install: []\n", setup) + (
        f"  action_pins:\n    acme/setup-rust: {{sha: {sha}, version: v1.2.3}}\n"
    )
    template = rust_template(tmp_path / "tpl", data=data)
    dst = tmp_path / "out"
    result = new(run_cli, template, dst)
    assert result.code == 0, result.stderr
    text = (dst / ".github/workflows/ci.yml").read_text()
    assert f"uses: acme/setup-rust@{sha} # v1.2.3\n" in text
    steps = yaml_file(dst, ".github/workflows/ci.yml")["jobs"]["test"]["steps"]
    assert steps[1]["with"] == {"toolchain": "1.80"}
    # The audit knows the pin (recorded with the description): spelt as pinned, it passes.
    code, report = audit_json(run_cli, dst)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert failed == [] and code == 0, failed


def test_audit_judges_by_the_recorded_description_without_the_template(run_cli, tmp_path) -> None:
    template = rust_template(tmp_path / "tpl")
    dst = tmp_path / "ledger"
    assert new(run_cli, template, dst).code == 0
    shutil.rmtree(template)
    code, report = audit_json(run_cli, dst)
    assert code == 0 and report["languages"] == ["rust"]
    checks = {c["name"]: c for c in report["checks"]}
    assert "rust in .github/workflows/ci.yml" in checks["ci-tests"]["reason"]
    assert "not in the baseline's language table" not in json.dumps(report)

    # Its rules bite: the description's .gitignore pattern and its test command.
    (dst / ".gitignore").write_text("*.log\n")
    ci = dst / ".github/workflows/ci.yml"
    ci.write_text(ci.read_text().replace("cargo test --locked", "cargo build --locked"))
    code, report = audit_json(run_cli, dst)
    failed = {c["name"]: c["reason"] for c in report["checks"] if not c["passed"]}
    assert code == 1
    assert failed["gitignore"] == ".gitignore does not ignore rust artefacts (target)"
    assert "runs the rust tests (cargo test)" in failed["ci-tests"]


def test_a_declared_language_without_its_manifest_is_an_audit_finding(run_cli, tmp_path) -> None:
    # Declaring [go] for a Rust crate is the template author's statement, rendered as Go.
    template = rust_template(tmp_path / "tpl", languages="[go]", data="")
    dst = tmp_path / "ledger"
    result = new(run_cli, template, dst)
    assert result.code == 0, result.stderr
    code, report = audit_json(run_cli, dst)
    failed = {c["name"]: c["reason"] for c in report["checks"] if not c["passed"]}
    assert code == 1
    assert failed == {
        "dependabot": "go is declared (catalog-info.yaml tags) but its manifest is missing: "
        "no go.mod at the top of the repository"
    }


def test_a_tampered_record_is_a_one_line_error_naming_the_answers_file(run_cli, tmp_path) -> None:
    template = rust_template(tmp_path / "tpl")
    dst = tmp_path / "ledger"
    assert new(run_cli, template, dst).code == 0
    answers = dst / ".copier-answers.baseline.yml"
    answers.write_text(answers.read_text().replace("build_mode: none", "build_mode: fast"))
    result = run_cli(["audit", dst])
    assert result.code == 2
    first = error_line(result.stderr)
    assert f"{answers}: line " in first
    assert "_scaffolder_language_data.language_data.rust.codeql.build_mode is 'fast'" in first


def test_a_project_without_languages_publishes_with_codeqls_check_required(
    run_cli, tmp_path, fake_github
) -> None:
    template = make_template(tmp_path / "docs-tpl", extra_config=NO_LANGUAGE["languages: []"])
    dst = tmp_path / "docs"
    assert new(run_cli, template, dst).code == 0
    result = run_cli(["publish", dst, "--json"])
    assert result.code == 0, result.stderr
    (ruleset,) = fake_github.state.repos[("alice", "docs")].rulesets
    checks = [r for r in ruleset["rules"] if r["type"] == "required_status_checks"]
    assert [c["context"] for c in checks[0]["parameters"]["required_status_checks"]] == [
        "Analyze (actions)"
    ]


# --- The template's version on the entity -------------------------------------------------

VERSION_LABELS = {"1.4.2": "1.4.2", "2.0.0rc1+g1a2b3c4": "2.0.0rc1-g1a2b3c4", "": None}


@pytest.mark.parametrize("version, label", VERSION_LABELS.items(), ids=VERSION_LABELS.keys())
def test_the_entity_labels_the_template_version_as_backstage_allows(
    run_cli, tmp_path, version, label
) -> None:
    config = f'_scaffolder:\n  title: Docs\n  version: "{version}"\n  languages: []\n---\n'
    template = make_template(tmp_path / "docs-tpl", extra_config=config)
    dst = tmp_path / "docs"
    assert new(run_cli, template, dst).code == 0
    labels = yaml_file(dst, "catalog-info.yaml")["metadata"]["labels"]
    assert labels.get("scaffolder.io/template-version") == label
    assert labels["scaffolder.io/template"] == "docs-tpl"
