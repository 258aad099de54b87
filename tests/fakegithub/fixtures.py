"""pytest fixtures for the fake GitHub (registered from tests/conftest.py).

`fake_github` starts a server with one user, `alice` (token `TOKEN`), and an organisation
`acme` she belongs to, and points scaffolder at it through the environment:
`SCAFFOLDER_GITHUB_API_URL`, `GH_TOKEN`, a tiny backoff scale and a short timeout. At the end
of the test it fails if any request broke GitHub's OpenAPI request schemas. `fake_ghes` is the
same under `/api/v3`. Both serve the core routes only; a test that needs the catalog's
(contents, refs, pulls) starts its own with `start_fake(..., catalog=True)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakegithub.alert_routes import ALERTS
from tests.fakegithub.catalog_routes import CATALOG
from tests.fakegithub.core_routes import CORE
from tests.fakegithub.identity_routes import IDENTITY
from tests.fakegithub.server import FakeGitHub

#: Long and distinctive, so a scan for it cannot match by accident.
TOKEN = "ghp_FAKEtoken0123456789abcdefABCDEF0123"
OTHER_TOKEN = "ghp_OTHERtoken0123456789abcdefABCDEF012"


def start_fake(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefix: str = "",
    *,
    catalog: bool = False,
    identity: bool = False,
    alerts: bool = False,
    timeout: str = "1",
) -> FakeGitHub:
    """Start a fake with users alice and bob and the org acme, and point scaffolder at it.

    `catalog=True` serves the catalog's routes (contents, refs, pulls) besides the core ones;
    `identity=True` the identity routes (emails, memberships, token kinds), ahead of them;
    `alerts=True` the security alert routes (`alert_routes.py`).
    """
    groups = ((IDENTITY,) if identity else ()) + ((CORE, CATALOG) if catalog else (CORE,))
    if alerts:
        groups = (*groups, ALERTS)
    fake = FakeGitHub(root, prefix=prefix, groups=groups).start()
    fake.state.add_user("alice", TOKEN, plan="pro")
    fake.state.add_user("bob", OTHER_TOKEN, plan="pro")
    fake.state.add_org("acme", members={"alice"}, plan="team")
    monkeypatch.setenv("SCAFFOLDER_GITHUB_API_URL", fake.api_url)
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.setenv("SCAFFOLDER_GITHUB_BACKOFF_SCALE", "0.001")
    monkeypatch.setenv("SCAFFOLDER_GITHUB_TIMEOUT", timeout)
    return fake


@pytest.fixture
def fake_github(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fakegithub"), monkeypatch, "")
    yield fake
    fake.stop()
    assert not fake.violations, f"requests that break GitHub's API description: {fake.violations}"


@pytest.fixture
def fake_ghes(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    """The same, served the way GitHub Enterprise Server is: the API under /api/v3."""
    fake = start_fake(tmp_path_factory.mktemp("fakeghes"), monkeypatch, "/api/v3")
    yield fake
    fake.stop()
    assert not fake.violations, f"requests that break GitHub's API description: {fake.violations}"
