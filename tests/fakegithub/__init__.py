"""A fake GitHub for tests: real HTTP on 127.0.0.1, state in memory, git pushes into bare repos.

PyGithub talks to it through `base_url`, git pushes to it over HTTP. Each `FakeGitHub` serves
the route groups it is made with (`CORE`; `CATALOG` and `IDENTITY` when asked for) from its
own state; see `server.py` for authentication, request-schema checks and fault injection,
`routing.py` for how a route sees a request, and `fixtures.py` for the pytest fixtures.
"""

from tests.fakegithub.alert_routes import ALERTS
from tests.fakegithub.catalog_routes import CATALOG
from tests.fakegithub.core_routes import CORE
from tests.fakegithub.identity_routes import IDENTITY
from tests.fakegithub.routing import Reply, Req, Route, RouteGroup
from tests.fakegithub.server import FakeGitHub, Request
from tests.fakegithub.state import UPGRADE, State

__all__ = [
    "ALERTS",
    "CATALOG",
    "CORE",
    "IDENTITY",
    "UPGRADE",
    "FakeGitHub",
    "Reply",
    "Req",
    "Request",
    "Route",
    "RouteGroup",
    "State",
]
