"""The catalog file and catalog-info.yaml, read by a real Backstage (`tests/backstage/`).

Every component `scaffolder new` registers is ingested with no processing errors, the
lifecycle filter returns exactly the production ones, and a deleted project hides only its
own component: the others stay served and a component registered afterwards is ingested.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.backstage import fixture
from tests.backstage.fixture import Backstage

PRODUCTION = "spec.lifecycle=production"
PROJECTS = {  # name: (template, lifecycle)
    "payments-api": ("python-service", "production"),
    "ledger-svc": ("go-service", "experimental"),
    "web-gateway": ("typescript-service", "production"),
    "fraud-model": ("python-service", "experimental"),
}


def _new(run_cli, backstage: Backstage, root: Path, name: str, template: str, lifecycle: str):
    result = run_cli(
        [
            "new",
            template,
            "--output",
            root / name,
            "--set",
            "owner=group:default/payments",
            "--set",
            "github_owner=acme",
            "--set",
            f"lifecycle={lifecycle}",
            "--no-input",
            "--catalog",
            backstage.catalog,
        ]
    )
    assert result.code == 0, result.stderr
    return root / name / "catalog-info.yaml"


def test_backstage_ingests_what_scaffolder_registers_and_one_loss_hides_only_itself(
    backstage, run_cli, tmp_path
):
    infos = {
        name: _new(run_cli, backstage, tmp_path, name, template, lifecycle)
        for name, (template, lifecycle) in PROJECTS.items()
    }
    production = {n for n, (_, lifecycle) in PROJECTS.items() if lifecycle == "production"}

    backstage.wait_for(
        "every registered component",
        lambda: set(PROJECTS) <= backstage.component_names(),
    )
    assert backstage.errors() == []
    assert backstage.component_names() == set(PROJECTS)
    # Exactly the production components, and nothing else (Locations have no lifecycle).
    assert backstage.component_names(PRODUCTION) == production
    assert backstage.component_names(f"kind=component,{PRODUCTION}") == production
    for entity in backstage.entities("kind=component"):
        name = entity["metadata"]["name"]
        assert entity["spec"]["lifecycle"] == PROJECTS[name][1]
        location = entity["metadata"]["annotations"]["backstage.io/managed-by-location"]
        assert location == f"file:{infos[name]}"

    # One project deleted: Backstage reports its target alone as unreadable...
    gone = infos.pop("ledger-svc")
    shutil.rmtree(gone.parent)
    errors = backstage.wait_for("the deleted project's error", backstage.errors)
    assert {(e["target"], e["name"]) for e in errors} == {(str(gone), "NotFoundError")}
    # ...and a project registered after it is still ingested, next to the others.
    infos["audit-trail"] = _new(
        run_cli, backstage, tmp_path, "audit-trail", "python-service", "production"
    )
    backstage.wait_for(
        "the component registered after the deletion",
        lambda: "audit-trail" in backstage.component_names(),
    )
    served = backstage.component_names()
    assert set(infos) <= served
    assert backstage.component_names(PRODUCTION) == production | {"audit-trail"}
    assert {e["target"] for e in backstage.errors()} == {str(gone)}


def test_without_the_installed_backend_the_test_fails_saying_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fixture, "HERE", tmp_path)  # a folder with no node_modules
    for ci in ("", "true"):  # a developer's machine and CI alike: a failure, never a skip
        monkeypatch.setenv("CI", ci)
        with pytest.raises(
            pytest.fail.Exception, match=r"install it with: cd tests/backstage && npm ci"
        ):
            fixture.running_backstage(tmp_path).__enter__()


def test_without_node_the_test_fails_saying_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fixture, "DEBIAN_NODE", tmp_path / "no-node")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"need Node.js 20 .* npm ci"):
        fixture.running_backstage(tmp_path).__enter__()
