"""Unicode answers are written verbatim (UTF-8) and read back identically (hardening E).

Every YAML, TOML and JSON file a built-in template renders parses with PyYAML, `tomllib` and
`json`, and gives back exactly the answer given, emoji (non-BMP) included; scaffolder's own
`catalog list` reads the component it just made, and the audit passes. Also here: the LICENSE
names a person or organisation (`copyright_holder`), never a Backstage reference, and every
entity `new` writes passes the validation `catalog register` applies.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from pathlib import Path

import copier
import pytest
import yaml

from scaffolder.backstage.documents import entity_problems
from tests.conftest import STANDARD_ANSWERS, TEMPLATES
from tests.helpers import make_template

BUILTIN = ("python-service", "typescript-service", "go-service")
#: The issue's answer: non-BMP, non-ASCII punctuation, a double quote and a backslash.
TRICKY = 'smile 😀 — "quoted" \\ back'
#: What one of the formats refuses verbatim: DEL and a C1 control (TOML, PyYAML), NEL and
#: U+2028 (line breaks in YAML 1.1), a tab, an escape, a noncharacter, and plane-2 CJK.
HOSTILE = "a\tb\x1bc\x7fd\x85e\x9ff\u2028g\u2029h\ufffei 𠜎 🏳️‍🌈"
HOLDER = "Zoë Ångström 😀 & Co."
YEAR = datetime.date.today().year


def parsed_files(root: Path) -> dict[str, object]:
    """Every YAML, TOML and JSON file under `root` (not .git), parsed by its format's parser."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git/") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")  # UTF-8, or this fails
        if path.suffix in (".yml", ".yaml"):
            found[rel] = list(yaml.safe_load_all(text))
        elif path.suffix == ".toml":
            found[rel] = tomllib.loads(text)
        elif path.suffix == ".json":
            found[rel] = json.loads(text)
    return found


def descriptions(files: dict[str, object]) -> dict[str, object]:
    """Where each format holds the description answer."""
    found: dict[str, object] = {}
    (entity,) = files["catalog-info.yaml"]  # type: ignore[misc]  # one document
    found["catalog-info.yaml"] = entity["metadata"]["description"]
    for rel, docs in files.items():
        if rel.startswith(".copier-answers"):
            (answers,) = docs  # type: ignore[misc]  # one document
            if "description" in answers:  # the template's own; the baseline gets it as data
                found[rel] = answers["description"]
    if "pyproject.toml" in files:
        found["pyproject.toml"] = files["pyproject.toml"]["project"]["description"]  # type: ignore[index]
    if "package.json" in files:
        found["package.json"] = files["package.json"]["description"]  # type: ignore[index]
    return found


@pytest.mark.parametrize("template", BUILTIN)
@pytest.mark.parametrize("description", [TRICKY, HOSTILE], ids=["issue", "hostile"])
def test_every_rendered_file_reads_back_the_answer(
    template: str, description: str, run_cli, tmp_path: Path, catalog_file: Path
) -> None:
    dst = tmp_path / "svc"
    sets = ["--set", f"description={description}"]
    result = run_cli(["new", template, "--output", dst, "--no-input", *STANDARD_ANSWERS, *sets])
    assert result.code == 0, result.stderr
    files = parsed_files(dst)
    found = descriptions(files)
    manifest = {"python-service": "pyproject.toml", "typescript-service": "package.json"}
    expected = {"catalog-info.yaml", ".copier-answers.yml", manifest.get(template, "")} - {""}
    assert set(found) == expected
    assert found == dict.fromkeys(found, description)
    # Verbatim: written as UTF-8, not escaped.
    non_bmp = "😀" if description is TRICKY else "𠜎"
    for rel in expected - {".copier-answers.yml"}:  # copier's own file is PyYAML's dump
        text = (dst / rel).read_text(encoding="utf-8")
        assert non_bmp in text and "\\ud8" not in text, rel

    listing = run_cli(["catalog", "list", "--json", "--catalog", catalog_file]).json()
    assert listing["result"]["unreadable"] == []
    (row,) = listing["result"]["entities"]
    assert row["ref"] == "component:default/svc"
    assert row["description"] == description

    audit = run_cli(["audit", dst, "--json"])
    assert audit.code == 0, audit.stdout


@pytest.mark.parametrize("template", ["python-service", "typescript-service"])
def test_plain_copier_renders_the_answer_verbatim(template: str, tmp_path: Path) -> None:
    """The quoting needs no scaffolder: copier's own filters do it (`copier copy` keeps working)."""
    dst = tmp_path / "svc"
    data = {"name": "svc", "description": HOSTILE, "owner": "group:default/payments"}
    copier.run_copy(str(TEMPLATES / template), dst, data=data, defaults=True, quiet=True)
    files = parsed_files(dst)
    manifest = {
        "python-service": lambda: files["pyproject.toml"]["project"]["description"],  # type: ignore[index]
        "typescript-service": lambda: files["package.json"]["description"],  # type: ignore[index]
    }[template]()
    assert manifest == HOSTILE
    assert "𠜎" in (dst / ("pyproject.toml" if "python" in template else "package.json")).read_text(
        encoding="utf-8"
    )
    (answers,) = files[".copier-answers.yml"]  # type: ignore[misc]  # one document
    assert answers["description"] == HOSTILE


def test_plain_copier_renders_the_baseline_entity(tmp_path: Path) -> None:
    dst = tmp_path / "svc"
    data = {
        "name": "svc",
        "description": HOSTILE,
        "owner": "user:default/jdoe",
        "lifecycle": "production",
        "system": "",
        "github_owner": "acme",
        "scaffolder_template": "My Template 😀",
        "scaffolder_languages": ["python"],
        "license": "BSD-3-Clause",
    }
    copier.run_copy(str(TEMPLATES / "_baseline"), dst, data=data, defaults=True, quiet=True)
    (entity,) = parsed_files(dst)["catalog-info.yaml"]  # type: ignore[misc]  # one document
    assert entity_problems(entity) == []
    assert entity["metadata"]["description"] == HOSTILE
    assert entity["metadata"]["labels"] == {"scaffolder.io/template": "My-Template"}
    assert f"Copyright (c) {YEAR}, acme\n" in (dst / "LICENSE").read_text(encoding="utf-8")


def test_a_json_data_file_escape_loads_as_the_character(
    run_cli, tmp_path: Path, catalog_file: Path
) -> None:
    data = tmp_path / "answers.json"
    # The standard JSON escape for 😀: a surrogate pair, as JSON writers without
    # ensure_ascii=False produce it.
    data.write_text(
        '{"description": "smile \\ud83d\\ude00", "owner": "group:default/payments", '
        '"codeowners": "@acme/payments"}'
    )
    dst = tmp_path / "svc"
    result = run_cli(["new", "python-service", "--output", dst, "--no-input", "--data-file", data])
    assert result.code == 0, result.stderr
    entity = yaml.safe_load((dst / "catalog-info.yaml").read_text(encoding="utf-8"))
    assert entity["metadata"]["description"] == "smile 😀"
    toml = tomllib.loads((dst / "pyproject.toml").read_text(encoding="utf-8"))
    assert toml["project"]["description"] == "smile 😀"
    listing = run_cli(["catalog", "list", "--json", "--catalog", catalog_file]).json()
    assert [r["description"] for r in listing["result"]["entities"]] == ["smile 😀"]


# -- the LICENSE's copyright holder ------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "holder"),
    [
        (["--set", "owner=group:default/payments", "--set", "codeowners=@acme/pay"], "payments"),
        (["--set", "owner=user:jdoe"], "jdoe"),
        (["--set", "owner=group:default/payments", "--set", "github_owner=acme"], "acme"),
        (
            [
                *("--set", "owner=payments", "--set", "codeowners=@acme/pay"),
                *("--set", f"copyright_holder={HOLDER}"),
            ],
            HOLDER,
        ),
    ],
    ids=["group", "user", "github-owner", "given"],
)
def test_the_license_names_a_person_or_organisation(
    extra: list[str], holder: str, run_cli, tmp_path: Path
) -> None:
    dst = tmp_path / "svc"
    result = run_cli(
        ["new", "go-service", "--output", dst, "--no-input", "--set", "license=MIT", *extra]
    )
    assert result.code == 0, result.stderr
    license_text = (dst / "LICENSE").read_text(encoding="utf-8")
    assert f"Copyright (c) {YEAR} {holder}\n" in license_text
    assert "group:" not in license_text and "user:" not in license_text
    answers = yaml.safe_load((dst / ".copier-answers.baseline.yml").read_text(encoding="utf-8"))
    assert answers["copyright_holder"] == holder  # recorded, so `copier update` replays it


@pytest.mark.parametrize("holder", ["", "   ", "Acme\nLtd"], ids=["empty", "blank", "two-lines"])
def test_a_copyright_holder_must_be_one_line_of_text(holder: str, run_cli, tmp_path: Path) -> None:
    dst = tmp_path / "svc"
    sets = ["--set", f"copyright_holder={holder}"]
    result = run_cli(["new", "go-service", "--output", dst, "--no-input", *STANDARD_ANSWERS, *sets])
    assert result.code == 2, result.stderr
    assert "error: invalid answer for copyright_holder: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not dst.exists()


# -- every entity `new` writes passes Backstage's validation ----------------------------------
def test_a_template_folder_name_that_is_no_label_value_gives_a_valid_entity(
    run_cli, tmp_path: Path, catalog_file: Path
) -> None:
    template = make_template(
        tmp_path / "My Template", extra_config="_scaffolder:\n  languages: [python]\n"
    )
    dst = tmp_path / "svc"
    result = run_cli(["new", template, "--output", dst, "--no-input", *STANDARD_ANSWERS])
    assert result.code == 0, result.stderr
    entity = yaml.safe_load((dst / "catalog-info.yaml").read_text(encoding="utf-8"))
    assert entity["metadata"]["labels"] == {"scaffolder.io/template": "My-Template"}
    assert entity_problems(entity) == []
    validate = run_cli(["catalog", "validate", "--json", "--catalog", catalog_file]).json()
    assert validate["result"]["valid"] is True, validate["result"]["problems"]
    assert validate["result"]["entities"] >= 1


def test_an_entity_backstage_would_refuse_is_not_created(
    run_cli, tmp_path: Path, catalog_file: Path
) -> None:
    """A template (without the baseline) writing its own invalid entity: exit 2, nothing left."""
    template = make_template(
        tmp_path / "own-entity",
        extra_config="_scaffolder:\n  languages: []\n  baseline: false\n",
        files={
            "template/catalog-info.yaml.jinja": (
                "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                "metadata:\n  name: {{ name }}\n  labels:\n    team: My Team\n"
                "spec:\n  type: service\n  lifecycle: {{ lifecycle }}\n  owner: {{ owner }}\n"
            )
        },
    )
    dst = tmp_path / "svc"
    result = run_cli(["new", template, "--output", dst, "--no-input", *STANDARD_ANSWERS])
    assert result.code == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1, result.stderr
    assert "Backstage would refuse" in lines[0] and "'My Team'" in lines[0]
    assert "Traceback" not in result.stderr
    assert not dst.exists()  # the render was undone, nothing committed
    assert not catalog_file.exists() or "svc" not in catalog_file.read_text()


def test_the_quoting_macro_copies_are_identical() -> None:
    source = (TEMPLATES / "_baseline" / "quoting.jinja").read_bytes()
    for template in BUILTIN:
        assert (TEMPLATES / template / "quoting.jinja").read_bytes() == source, template
