"""The README's fleet-update workflow is one a platform team can paste: zizmor (offline,
pedantic) finds nothing in it, it matches GitHub's workflow schema, and its actions are pinned
to the SHAs the baseline pins (templates/_baseline/pins.yml), with the tag beside each."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from tests.helpers import run_tool

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def fleet_workflow() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
        if b.startswith("name: fleet update")
    ]
    return block


def test_the_fleet_workflow_passes_zizmor_and_githubs_schema(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "fleet-update.yml").write_text(fleet_workflow(), encoding="utf-8")
    proc = run_tool(
        BIN / "zizmor", "--offline", "--persona", "pedantic", "--no-progress", ".", cwd=tmp_path
    )
    assert proc.returncode == 0 and "No findings to report" in proc.stdout, proc.stdout
    proc = run_tool(
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        workflows / "fleet-update.yml",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_fleet_workflow_pins_what_the_baseline_pins() -> None:
    pins = yaml.safe_load((ROOT / "templates/_baseline/pins.yml").read_text())
    pins = pins["action_pins"]["default"]
    workflow = fleet_workflow()
    uses = re.findall(r"uses: ([\w./-]+)@([0-9a-f]{40}) # (v[\d.]+)", workflow)
    assert len(uses) == workflow.count("uses:") == 2
    for action, sha, tag in uses:
        assert (sha, tag) == (pins[action]["sha"], pins[action]["version"]), action
