"""What GitHub says about the token: its kind and scopes, its user, their emails and memberships.

`Facts` reads each fact once per run and only when a rule asks for it (`rules.evaluate` asks
only for what the policy's rules need), through the one GitHub client, so retries, the token's
scrubbing and error translation are the client's:

* `token()`: `GET /user`. A classic token's scopes come back in `X-OAuth-Scopes` (GitHub sends
  the header on every answer to one, empty when it has none); a fine-grained token gets no such
  header; a GitHub App installation token belongs to no user, and GitHub answers its `GET /user`
  with 403 "Resource not accessible by integration". A token that looks classic (`ghp_`, `gho_`)
  but came back without the header is "unknown": something between here and GitHub dropped it.
* `emails()`: `GET /user/emails`. Without the `user:email` (or `user`) scope a classic token is
  answered 404; a fine-grained one without the "Email addresses" user permission, 403. Either
  is a fact ("cannot be read, add this"), not an error.
* `membership(org)`: `GET /user/memberships/orgs/{org}`: `active` or `pending`, and the role;
  404 means no membership (nor an invitation).

Any other failure (a rejected token, the network, GitHub's 5xx past the retry budget) is the
client's `GitHubError`: the facts could not be read, which is not a policy decision.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from scaffolder.errors import GitHubError

if TYPE_CHECKING:
    from scaffolder.github.client import GitHubClient, Identity

TokenKind = Literal["classic", "fine-grained", "app", "unknown"]
#: Token prefixes of GitHub's scoped (OAuth) tokens: personal classic and OAuth app tokens.
SCOPED_PREFIXES = ("ghp_", "gho_")
INTEGRATION = "not accessible by integration"
#: Classic scopes that let a token list the user's emails.
EMAIL_SCOPES = ("user:email", "user")
EMAIL_SCOPE_FIX = (
    "add the user:email scope to the token (https://github.com/settings/tokens), or use a "
    'fine-grained token with the "Email addresses" user permission (read)'
)
EMAIL_PERMISSION_FIX = (
    'give the fine-grained token the "Email addresses" user permission (read), at '
    "https://github.com/settings/personal-access-tokens"
)
MEMBERS_FIX = (
    "let the token read your organisation memberships (classic: the read:org scope; "
    'fine-grained: the organisation permission "Members" (read))'
)


@dataclass(frozen=True)
class TokenFacts:
    kind: TokenKind
    #: A classic token's scopes; None when GitHub sent no `X-OAuth-Scopes` header.
    scopes: tuple[str, ...] | None
    #: The user the token belongs to; None for an app installation token.
    login: str | None

    def to_json(self) -> dict[str, object]:
        scopes = None if self.scopes is None else list(self.scopes)
        return {"kind": self.kind, "scopes": scopes, "login": self.login}


@dataclass(frozen=True)
class Email:
    address: str
    verified: bool
    primary: bool

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()

    def __str__(self) -> str:
        return f"{self.address} ({'verified' if self.verified else 'not verified'})"


@dataclass(frozen=True)
class Emails:
    """The user's email addresses, or why they cannot be read (`listed` is None then)."""

    listed: tuple[Email, ...] | None
    problem: str = ""
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        if self.listed is None:
            return {"readable": False, "problem": self.problem}
        return {
            "readable": True,
            "emails": [
                {"email": e.address, "verified": e.verified, "primary": e.primary}
                for e in self.listed
            ],
        }


@dataclass(frozen=True)
class Membership:
    org: str
    #: "active", "pending", "none" (not a member, nor invited) or "unreadable".
    state: Literal["active", "pending", "none", "unreadable"]
    role: str | None = None
    problem: str = ""

    def __str__(self) -> str:
        return f"{self.org} ({self.state}{', ' + self.role if self.role else ''})"

    def to_json(self) -> dict[str, object]:
        return {"org": self.org, "state": self.state, "role": self.role}


@dataclass
class Facts:
    """What GitHub says about the token of one run; each fact read at most once, on demand.

    `client` is None when there is no token: nothing can be read, and `has_token` is False.
    """

    client: GitHubClient | None
    _token: TokenFacts | None = field(default=None, init=False)
    #: `GET /user`'s answer (for `identity()`), or GitHub's refusal of it (an app token).
    _user: dict[str, Any] = field(default_factory=dict, init=False)
    _user_error: GitHubError | None = field(default=None, init=False)
    _emails: Emails | None = field(default=None, init=False)
    _memberships: dict[str, Membership] = field(default_factory=dict, init=False)

    @classmethod
    def for_client(cls, client: GitHubClient) -> Facts:
        """Facts of `client`'s token; a client without one gives facts without a token."""
        return cls(client if client.settings.token is not None else None)

    @property
    def has_token(self) -> bool:
        return self.client is not None

    def _client(self) -> GitHubClient:
        if self.client is None:
            raise AssertionError("no token: rules check has_token before asking GitHub")
        return self.client

    # -- the facts ------------------------------------------------------------------------
    def token(self) -> TokenFacts:
        """`GET /user`: the token's kind, scopes and user."""
        if self._token is None:
            self._token = self._read_token()
        return self._token

    def _read_token(self) -> TokenFacts:
        client = self._client()
        what = "read who the token belongs to (GET /user)"
        try:
            headers, data = _get(client, "/user", what)
        except GitHubError as exc:
            if is_installation_refusal(exc):
                self._user_error = exc
                return TokenFacts(kind="app", scopes=None, login=None)
            raise
        login = data.get("login") if isinstance(data, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubError(f"{what}: GitHub's answer has no login")
        self._user = data
        header = _header(headers, "x-oauth-scopes")
        if header is not None:
            scopes = tuple(s.strip() for s in header.split(",") if s.strip())
            return TokenFacts(kind="classic", scopes=scopes, login=login)
        classic_looking = client.token.value.startswith(SCOPED_PREFIXES)
        kind: TokenKind = "unknown" if classic_looking else "fine-grained"
        return TokenFacts(kind=kind, scopes=None, login=login)

    def identity(self) -> Identity:
        """Who the token is, from the same `GET /user` (publish's identity step asks here when
        a policy is in force, so a run sends it once). An app token: GitHub's refusal."""
        from scaffolder.github.client import Identity

        self.token()
        if self._user_error is not None:
            raise self._user_error
        name, kind = self._user.get("name"), self._user.get("type")
        return Identity(
            login=str(self._user["login"]),
            name=name if isinstance(name, str) else None,
            type=kind if isinstance(kind, str) else "User",
        )

    def emails(self) -> Emails:
        """`GET /user/emails` (the first 100: nobody has more)."""
        if self._emails is None:
            self._emails = self._read_emails()
        return self._emails

    def _read_emails(self) -> Emails:
        token = self.token()
        if token.kind == "app":
            return Emails(None, "an app installation token belongs to no user", "")
        what = "list your email addresses (GET /user/emails)"
        try:
            _, data = _get(self._client(), "/user/emails?per_page=100", what)
        except GitHubError as exc:
            if exc.status not in (403, 404):
                raise
            return self._unreadable_emails(token, exc.status)
        items = data if isinstance(data, list) else []
        listed = tuple(
            Email(str(item["email"]), item.get("verified") is True, item.get("primary") is True)
            for item in items
            if isinstance(item, dict) and isinstance(item.get("email"), str)
        )
        return Emails(listed)

    @staticmethod
    def _unreadable_emails(token: TokenFacts, status: int) -> Emails:
        answered = f"GitHub answered {status} to GET /user/emails"
        if token.kind == "classic":
            scopes = ", ".join(token.scopes or ()) or "none"
            problem = (
                f"the token cannot list your email addresses ({answered}; its scopes: {scopes})"
            )
            return Emails(None, problem, EMAIL_SCOPE_FIX)
        if token.kind == "fine-grained":
            problem = f"the fine-grained token cannot list your email addresses ({answered})"
            return Emails(None, problem, EMAIL_PERMISSION_FIX)
        return Emails(
            None, f"the token cannot list your email addresses ({answered})", EMAIL_SCOPE_FIX
        )

    def membership(self, org: str) -> Membership:
        """`GET /user/memberships/orgs/{org}`."""
        key = org.lower()
        if key not in self._memberships:
            self._memberships[key] = self._read_membership(org)
        return self._memberships[key]

    def _read_membership(self, org: str) -> Membership:
        if self.token().kind == "app":
            return Membership(org, "unreadable", problem="an app installation token has no user")
        path = f"/user/memberships/orgs/{urllib.parse.quote(org, safe='')}"
        what = f"read your membership of {org} (GET {path})"
        try:
            _, data = _get(self._client(), path, what)
        except GitHubError as exc:
            if exc.status == 404:
                return Membership(org, "none")
            if exc.status == 403:
                return Membership(org, "unreadable", problem=f"GitHub answered 403 to GET {path}")
            raise
        data = data if isinstance(data, dict) else {}
        state = data.get("state")
        role = data.get("role")
        return Membership(
            org,
            state if state in ("active", "pending") else "none",
            role if isinstance(role, str) else None,
        )

    # -- for `policy check --json` --------------------------------------------------------
    def to_json(self) -> dict[str, object]:
        """What was read in this run (and nothing more)."""
        return {
            "has_token": self.has_token,
            "token": self._token.to_json() if self._token else None,
            "emails": self._emails.to_json() if self._emails else None,
            "memberships": [m.to_json() for m in self._memberships.values()],
        }


def is_installation_refusal(exc: GitHubError) -> bool:
    """GitHub's answer to `GET /user` with a GitHub App installation token: it belongs to no
    user."""
    return exc.status == 403 and INTEGRATION in exc.message.lower()


def _get(client: GitHubClient, path: str, what: str) -> tuple[dict[str, Any], Any]:
    """A GET through the client's budget and translation, with the answer's headers."""

    def send(gh: Any) -> tuple[dict[str, Any], Any]:
        headers, data = gh.requester.requestJsonAndCheck("GET", path)
        return dict(headers or {}), data

    return client.call(what, send)


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None
