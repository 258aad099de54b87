"""A version names one content: each built-in template's files match the digest recorded for its
current version in templates/versions.json, and released versions are never rewritten."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from scaffolder.render.registry import templates_root
from scaffolder.render.versions import digest, recorded_versions

ROOT = templates_root()
TEMPLATES = sorted(p for p in ROOT.iterdir() if p.is_dir())


class _Lenient(yaml.SafeLoader):
    pass


_Lenient.add_multi_constructor("!", lambda loader, suffix, node: None)


def _version(template: Path) -> str:
    docs = yaml.load_all((template / "copier.yml").read_text(encoding="utf-8"), Loader=_Lenient)
    meta = next(d["_scaffolder"] for d in docs if isinstance(d, dict) and "_scaffolder" in d)
    return str(meta["version"])


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_current_content_is_the_recorded_digest_of_its_version(template: Path) -> None:
    recorded = recorded_versions(ROOT)
    assert template.name in recorded, f"templates/versions.json has no entry for {template.name}"
    version = _version(template)
    assert version in recorded[template.name], (
        f"{template.name} {version} is not recorded: add it to templates/versions.json with "
        f"digest {digest(template)}"
    )
    assert recorded[template.name][version] == digest(template), (
        f"{template.name} changed but its version is still {version}: raise _scaffolder.version "
        f"and record the new version with digest {digest(template)}"
    )


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_versions_are_pep440_and_the_current_one_is_the_newest(template: Path) -> None:
    versions = [Version(v) for v in recorded_versions(ROOT)[template.name]]
    assert Version(_version(template)) == max(versions)
    assert len({digest for digest in recorded_versions(ROOT)[template.name].values()}) == len(
        versions
    ), "two versions of one template may not record the same content"


def test_released_versions_are_never_rewritten() -> None:
    """Every version recorded in the first versions.json (1.0.0) keeps its digest."""
    first = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "templates/versions.json"],
        cwd=ROOT.parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if not first:  # an installed wheel, not a checkout: nothing to compare against
        pytest.fail("run the test suite from a git checkout of scaffolder")
    import json

    original = json.loads(
        subprocess.run(
            ["git", "show", f"{first[-1]}:templates/versions.json"],
            cwd=ROOT.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    now = recorded_versions(ROOT)
    for name, versions in original.items():
        for version, recorded in versions.items():
            assert now.get(name, {}).get(version) == recorded, f"{name} {version} was rewritten"


def test_digest_sees_a_one_byte_change(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("a: 1\n")
    before = digest(tmp_path)
    (tmp_path / "copier.yml").write_text("a: 2\n")
    assert digest(tmp_path) != before
    (tmp_path / "copier.yml").write_text("a: 1\n")
    assert digest(tmp_path) == before
    (tmp_path / "copier.yml").chmod(0o755)
    assert digest(tmp_path) != before
