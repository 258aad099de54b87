"""How the fake GitHub finds the code for a request: route groups, each server's own table.

A route is a function `fn(state, req) -> Reply`. It gets everything about the request in `req`
(method, path, path parameters, query, headers, JSON body, the authenticated user) and answers
with a status, a JSON body and any response headers; it may also raise `ApiError`.

Routes come in named groups, declared as plain tuples in the module that holds them
(`core_routes.CORE`, `catalog_routes.CATALOG`). A `Router` is built from the groups one server
asks for, when that server is made: importing a module of routes changes no server, and two
servers in one test can serve different groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakegithub.state import ApiError, Repo, State

#: The path prefix of a repository's routes, with the `owner` and `repo` parameters.
R = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


@dataclass(frozen=True)
class Req:
    """One API request, as a route sees it."""

    method: str
    #: The path without the server's prefix (`/api/v3` on Enterprise Server) or query string.
    path: str
    #: The login the token belongs to.
    login: str
    #: The query string, one value a name (the last one, as GitHub reads repeated names).
    query: Mapping[str, str] = field(default_factory=dict)
    #: Request headers, names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The decoded JSON body, or None.
    body: Any = None
    #: The named groups of the route's pattern; filled in by the router.
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A route's answer: status, JSON body (None for none) and extra response headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[State, Req], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    #: A regular expression for the whole path; its named groups become `req.params`.
    pattern: str
    fn: Handler


@dataclass(frozen=True)
class RouteGroup:
    """A named, immutable set of routes that a server may serve."""

    name: str
    routes: tuple[Route, ...]


class Router:
    """The route table of one server, compiled from the groups it serves."""

    def __init__(self, groups: Iterable[RouteGroup]) -> None:
        self.groups: tuple[str, ...] = ()
        self._table: list[tuple[str, re.Pattern[str], Handler]] = []
        for group in groups:
            if group.name in self.groups:
                raise ValueError(f"route group {group.name!r} given twice")
            self.groups += (group.name,)
            self._table += [(r.method, re.compile(f"^{r.pattern}$"), r.fn) for r in group.routes]

    def endpoints(self) -> list[tuple[str, str]]:
        """(method, pattern) of every route served, in table order."""
        return [(method, pattern.pattern) for method, pattern, _ in self._table]

    def dispatch(self, state: State, req: Req) -> Reply:
        """Answer `req` with the first route whose method and pattern match it.

        A path no route knows is a 404; a known path with another method is a 405.
        """
        known = False
        for method, pattern, fn in self._table:
            match = pattern.match(req.path)
            if match:
                known = True
                if method == req.method:
                    return fn(state, replace(req, params=match.groupdict()))
        raise ApiError(405 if known else 404, "Not Found")


def repo_of(state: State, req: Req, *, admin: bool = False) -> Repo:
    """The repository the route's `owner` and `repo` parameters name, as `req.login` sees it."""
    return state.repo_for(req.login, req.params["owner"], req.params["repo"], admin=admin)
