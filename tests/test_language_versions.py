"""Language versions: the ones supported in December 2026, offered from the one language table
(templates/_baseline/languages.yml), and one version per generated project: the manifest, the
README and CI agree on the version the user chose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from scaffolder.baseline import languages
from scaffolder.render.copier_adapter import read_template
from tests.conftest import TEMPLATES

#: template -> (language, its version answer).
TEMPLATES_LANGUAGES = {
    "python-service": ("python", "python_version"),
    "typescript-service": ("typescript", "node_version"),
    "go-service": ("go", "go_version"),
}
COPY = "language-versions.yml"


def table_version(language: str) -> languages.Version:
    entry = languages.load().get(language)
    assert entry and entry.ci.setup and entry.ci.setup.version
    return entry.ci.setup.version


def test_the_table_offers_the_lines_supported_in_december_2026() -> None:
    offered = {lang: table_version(lang).choices for lang, _ in TEMPLATES_LANGUAGES.values()}
    assert offered == {
        "python": ("3.11", "3.12", "3.13", "3.14", "3.15"),
        "typescript": ("22", "24", "26"),  # Node.js 20 reached its end of life in April 2026
        "go": ("1.26", "1.27"),  # Go supports its two newest releases
    }
    # The default is the oldest line: a project that supports it runs on every newer one.
    assert {lang: table_version(lang).default for lang in offered} == {
        "python": "3.11",
        "typescript": "22",
        "go": "1.26",
    }


@pytest.mark.parametrize("template", TEMPLATES_LANGUAGES)
def test_each_template_offers_the_tables_versions(template: str) -> None:
    """copier.yml includes its copy of the table's versions; the copy agrees with the table."""
    language, answer = TEMPLATES_LANGUAGES[template]
    version = table_version(language)
    assert version.answer == answer
    copy = yaml.safe_load((TEMPLATES / template / COPY).read_text())
    assert list(copy) == [answer]
    assert (copy[answer]["choices"], copy[answer]["default"]) == (
        list(version.choices),
        version.default,
    )
    assert f"!include {COPY}" in (TEMPLATES / template / "copier.yml").read_text()
    asked = {q.name: q for q in read_template(str(TEMPLATES / template)).questions}
    assert (asked[answer].choices, asked[answer].default) == (
        list(version.choices),
        version.default,
    )


def new_project(run_cli, dst: Path, template: str, answer: str, version: str) -> Path:
    result = run_cli(
        [
            "new",
            template,
            "--output",
            dst,
            "--set",
            "owner=group:default/payments",
            "--set",
            "codeowners=@acme/payments",
            "--set",
            f"{answer}={version}",
            "--no-register",
            "--no-input",
        ]
    )
    assert result.code == 0, result.stderr
    return dst


def ci_setup_input(project: Path, action: str) -> dict:
    ci = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    steps = ci["jobs"]["test"]["steps"]
    (setup,) = [s for s in steps if s.get("uses", "").startswith(f"{action}@")]
    return setup["with"]


@pytest.mark.parametrize("version", table_version("typescript").choices)
def test_node_version_is_one_in_package_json_lockfile_readme_and_ci(
    version: str, run_cli, tmp_path: Path
) -> None:
    project = new_project(run_cli, tmp_path / "web", "typescript-service", "node_version", version)
    package = json.loads((project / "package.json").read_text())
    lock = json.loads((project / "package-lock.json").read_text())
    assert package["engines"] == lock["packages"][""]["engines"] == {"node": f">={version}"}
    assert package["devDependencies"] == lock["packages"][""]["devDependencies"]
    assert (
        re.findall(r"(?:Node\.js|CI runs) (\d+)", (project / "README.md").read_text())
        == [version] * 2
    )
    assert ci_setup_input(project, "actions/setup-node")["node-version"] == version
    # The README's commands are the ones CI runs.
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    readme = (project / "README.md").read_text()
    for command in ("npx tsc --noEmit", "npm test"):
        assert command in ci and command in readme


def test_typescript_dev_dependencies_are_pinned_exactly_in_the_lockfile(
    run_cli, tmp_path: Path
) -> None:
    project = new_project(run_cli, tmp_path / "web", "typescript-service", "node_version", "22")
    package = json.loads((project / "package.json").read_text())
    lock = json.loads((project / "package-lock.json").read_text())
    assert not package.get("dependencies")
    assert set(package["devDependencies"]) == {"typescript", "@types/node"}
    for name, pinned in package["devDependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"{name} {pinned} is not an exact version"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == pinned and entry["integrity"].startswith("sha512-")
    assert all(e.get("integrity") for k, e in lock["packages"].items() if k)
    tsconfig = json.loads((project / "tsconfig.json").read_text())
    # TypeScript 6 and later load no @types package unless it is named.
    assert tsconfig["compilerOptions"]["types"] == ["node"]


@pytest.mark.parametrize("version", table_version("go").choices)
def test_go_version_is_one_in_go_mod_readme_and_ci(version: str, run_cli, tmp_path: Path) -> None:
    project = new_project(run_cli, tmp_path / "ledger", "go-service", "go_version", version)
    assert re.findall(r"^go (\S+)$", (project / "go.mod").read_text(), re.M) == [version]
    assert f"Needs Go {version} or later" in (project / "README.md").read_text()
    assert ci_setup_input(project, "actions/setup-go") == {"go-version": version, "cache": False}


@pytest.mark.parametrize("version", table_version("python").choices)
def test_python_version_is_one_in_pyproject_and_ci(version: str, run_cli, tmp_path: Path) -> None:
    project = new_project(run_cli, tmp_path / "svc", "python-service", "python_version", version)
    assert f'requires-python = ">={version}"' in (project / "pyproject.toml").read_text()
    assert ci_setup_input(project, "actions/setup-python")["python-version"] == version


@pytest.mark.parametrize(
    ("template", "answer", "old"),
    [("typescript-service", "node_version", "20"), ("go-service", "go_version", "1.24")],
)
def test_an_unsupported_version_is_refused(
    template: str, answer: str, old: str, run_cli, tmp_path: Path
) -> None:
    result = run_cli(
        [
            "new",
            template,
            "--output",
            tmp_path / "svc",
            "--set",
            "owner=x",
            "--set",
            f"{answer}={old}",
            "--no-register",
            "--no-input",
        ]
    )
    assert result.code != 0
    assert old in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "svc").exists()
