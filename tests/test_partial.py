"""A failure after rendering: the project is kept, exit 3 says what worked, `resume` finishes."""

from __future__ import annotations

import subprocess

import yaml

from tests.conftest import STANDARD_ANSWERS


def commits(project) -> int:
    proc = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return int(proc.stdout.strip()) if proc.returncode == 0 else 0


def test_commit_failure_keeps_the_project_and_resume_finishes(
    run_cli, tmp_path, isolated_env, catalog_file
):
    gitconfig = isolated_env / ".gitconfig"
    good = gitconfig.read_text()
    # Signing is required but the signer fails: a realistic way for `git commit` to fail.
    gitconfig.write_text(good + "[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n")
    dst = tmp_path / "svc"

    result = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS, "--json"])

    assert result.code == 3
    payload = result.json()
    assert payload["ok"] is False
    assert payload["error"]["failed"] == "commit"
    assert payload["error"]["done"] == ["resolve", "render"]
    assert payload["error"]["resume"].startswith(f"scaffolder resume {dst}")
    assert payload["result"]["project"] == str(dst)
    assert "hint: fix the cause, then run: scaffolder resume" in result.stderr
    assert (dst / "catalog-info.yaml").is_file()  # nothing deleted
    assert commits(dst) == 0
    assert not catalog_file.exists()

    gitconfig.write_text(good)
    resumed = run_cli(["resume", dst, "--json"])
    assert resumed.code == 0, resumed.stderr
    assert commits(dst) == 1
    assert resumed.json()["result"]["registered"] is True
    assert str(dst / "catalog-info.yaml") in catalog_file.read_text()


def test_broken_catalog_is_untouched_and_resume_registers_after_the_fix(
    run_cli, tmp_path, catalog_file
):
    catalog_file.write_text("apiVersion: backstage.io/v1alpha1\nkind: Location\nspec: [oops\n")
    broken = catalog_file.read_bytes()
    dst = tmp_path / "svc"

    result = run_cli(["new", "python-service", "-o", dst, *STANDARD_ANSWERS])

    assert result.code == 3
    assert "register failed" in result.stderr
    assert f"{catalog_file}:" in result.stderr  # names the file and line
    assert catalog_file.read_bytes() == broken
    assert commits(dst) == 1  # the commit step finished before registration failed

    catalog_file.write_text("# fixed by hand\n")
    resumed = run_cli(["resume", dst])
    assert resumed.code == 0, resumed.stderr
    assert commits(dst) == 1  # not committed twice
    text = catalog_file.read_text()
    assert text.startswith("# fixed by hand\n")
    assert yaml.safe_load(text)["spec"]["target"] == str(dst / "catalog-info.yaml")


def test_resume_on_a_folder_scaffolder_did_not_create(run_cli, tmp_path):
    (tmp_path / "random").mkdir()
    result = run_cli(["resume", tmp_path / "random"])
    assert result.code == 2
    assert "not created by scaffolder" in result.stderr
