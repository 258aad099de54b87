"""The python-service template on its own, as a template author tests it: with pytest-copie."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import TEMPLATES

TEMPLATE = TEMPLATES / "python-service"
ANSWERS = {"name": "billing-api", "owner": "group:default/billing", "description": "Bills"}


def test_renders_a_package_named_after_the_service(copie):
    result = copie.copy(extra_answers=ANSWERS, template_dir=TEMPLATE)
    assert result.exit_code == 0, result.exception
    assert (result.project_dir / "src" / "billing_api" / "app.py").is_file()
    assert result.answers["lifecycle"] == "experimental"


def test_generated_project_passes_its_own_tests(copie):
    result = copie.copy(extra_answers=ANSWERS, template_dir=TEMPLATE)
    assert result.exit_code == 0, result.exception
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=result.project_dir,
        env={**os.environ, "PYTHONPATH": str(result.project_dir / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


@pytest.mark.parametrize("bad_name", ["Billing", "billing_api", "-billing", "a" * 64])
def test_template_validator_rejects_bad_names(copie, bad_name):
    result = copie.copy(extra_answers={**ANSWERS, "name": bad_name}, template_dir=TEMPLATE)
    assert result.exit_code == -1
    assert "lowercase" in str(result.exception)


def test_owner_is_required_without_scaffolder(copie):
    result = copie.copy(extra_answers={"name": "billing-api"}, template_dir=TEMPLATE)
    assert result.exit_code == -1
    assert "owner" in str(result.exception)
