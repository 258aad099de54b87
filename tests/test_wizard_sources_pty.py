"""The wizard's template picker offers the configured templates, with their versions, beside the
built-in ones (`scaffolder new` in a real pseudo-terminal, as tests/test_wizard_pty.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests import test_wizard_pty
from tests.conftest import STANDARD_ANSWERS
from tests.helpers import make_template
from tests.source_helpers import metadata, tagged_repository, write_config
from tests.test_wizard_pty import ENTER, Spawn, finish

spawn = test_wizard_pty.spawn  # the fixture, used here by name


def test_the_picker_offers_configured_templates_with_their_versions(
    spawn: Spawn, tmp_path: Path, isolated_env: Path
) -> None:
    make_template(tmp_path / "acme-worker", metadata("Acme worker", "0.9.0"))
    repo = tagged_repository(tmp_path / "lib", ["v1.0.0", "v1.4.0"], title="Acme library")
    write_config(
        isolated_env,
        f'[[template]]\npath = "{tmp_path / "acme-worker"}"\n\n'
        f'[[template]]\nname = "acme-lib"\nurl = "{repo}"\n\n'
        f'[[template]]\nname = "acme-gone"\npath = "{tmp_path / "gone"}"\n',
    )
    dst = tmp_path / "ledger"
    child = spawn("--output", dst, "--defaults", *STANDARD_ANSWERS)
    child.expect("Template")
    # The built-in templates first, then the configured ones, each with its version.
    child.expect("python-service  Python service 1.1.0")
    child.expect("acme-worker  Acme worker 0.9.0 \\[python\\]")
    child.send("acme-l")  # the search filter
    child.expect("acme-lib  Acme library 1.4.0 \\[python\\]")
    child.send(ENTER)
    code, output = finish(child)
    assert code == 0, output
    assert "acme-gone" not in output  # unavailable: not offered
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["name"]) == ("v1.4.0", "ledger")
    assert "from v1.4.0" in (dst / "README.md").read_text()
