"""A fake GitHub for tests: real HTTP on 127.0.0.1, state in memory, git pushes into bare repos.

PyGithub talks to it through `base_url`, git pushes to it over HTTP; see `server.py` for
authentication, request-schema checks and fault injection, and `fixtures.py` for the pytest
fixtures.
"""

from tests.fakegithub.server import FakeGitHub, Request
from tests.fakegithub.state import UPGRADE, State

__all__ = ["UPGRADE", "FakeGitHub", "Request", "State"]
