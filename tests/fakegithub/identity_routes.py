"""The fake GitHub's identity routes: who a token belongs to, their emails and org memberships.

`IDENTITY` is the route group for the access policy's identity rules. Serve it before `CORE`
(`start_fake(..., identity=True)` does): its `GET /user` answers a GitHub App installation token
the way GitHub does (403 "Resource not accessible by integration") and hands every other token
to core's route. Token kinds live in `State.token_info` (a token not listed there behaves as
before); the `X-OAuth-Scopes` header a classic token gets on every answer is added by the server
(`State.token_headers`).

As GitHub answers (REST API description, `@octokit/openapi` 23.0.2):

* `GET /user/emails`: a classic token needs the `user:email` (or `user`) scope, and without it
  GitHub answers 404 "Not Found"; a fine-grained token needs the "Email addresses" user
  permission (read), and without it GitHub answers 403 "Resource not accessible by personal
  access token"; an installation token gets 403 "Resource not accessible by integration".
* `GET /user/memberships/orgs/{org}`: 200 with `state` (`active` or `pending`) and `role`; 404
  when the user is neither a member nor invited, or the organisation does not exist.
"""

from __future__ import annotations

from typing import Any

from tests.fakegithub.core_routes import get_user as core_get_user
from tests.fakegithub.routing import Reply, Req, Route, RouteGroup
from tests.fakegithub.state import ApiError, Membership, State, TokenInfo

INTEGRATION = "Resource not accessible by integration"
PERSONAL = "Resource not accessible by personal access token"
EMAIL_SCOPES = ("user", "user:email")


def _info(state: State, req: Req) -> TokenInfo | None:
    return state.token_info.get(state.token_from(req.headers.get("authorization")) or "")


def get_user(state: State, req: Req) -> Reply:
    info = _info(state, req)
    if info is not None and info.kind == "app":
        raise ApiError(403, INTEGRATION)
    return core_get_user(state, req)


def list_emails(state: State, req: Req) -> Reply:
    info = _info(state, req)
    if info is not None:
        if info.kind == "app":
            raise ApiError(403, INTEGRATION)
        if info.kind == "classic" and not set(info.scopes) & set(EMAIL_SCOPES):
            accepted = {"X-Accepted-OAuth-Scopes": ", ".join(EMAIL_SCOPES)}
            return Reply(404, {"message": "Not Found"}, accepted)
        if info.kind == "fine-grained" and info.permissions.get("emails") not in ("read", "write"):
            raise ApiError(403, PERSONAL)
    emails = state.emails.get(req.login, [])
    body = [
        {"email": e.email, "verified": e.verified, "primary": e.primary, "visibility": e.visibility}
        for e in emails
    ]
    return Reply(200, body)


def get_membership(state: State, req: Req) -> Reply:
    info = _info(state, req)
    if info is not None and info.kind == "app":
        raise ApiError(403, INTEGRATION)
    org = state.accounts.get(req.params["org"])
    if org is None or org.type != "Organization":
        raise ApiError(404, "Not Found")
    membership = state.memberships.get((org.login.lower(), req.login))
    if membership is None and req.login in org.members:
        membership = Membership("active", "member")
    if membership is None:
        raise ApiError(404, "Not Found")
    body: dict[str, Any] = {
        "url": f"{state.api_url}/orgs/{org.login}/memberships/{req.login}",
        "state": membership.state,
        "role": membership.role,
        "organization_url": f"{state.api_url}/orgs/{org.login}",
        "organization": state.account_json(org),
        "user": state.account_json(state.accounts[req.login]),
    }
    return Reply(200, body)


IDENTITY = RouteGroup(
    "identity",
    (
        Route("GET", "/user", get_user),
        Route("GET", "/user/emails", list_emails),
        Route("GET", "/user/memberships/orgs/(?P<org>[^/]+)", get_membership),
    ),
)
