"""The access policy as data: what a platform team allows, with no I/O.

A policy is a guardrail for honest people and pipelines, not a wall: someone who holds a token
can call GitHub's API directly. GitHub's organisation settings stay the wall.

Every rule is optional; an empty tuple means "not restricted" and a rule that is absent from the
file is never checked. `Policy.origin` says where the policy in force came from, for
`scaffolder policy show`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Visibility = Literal["public", "private", "internal"]
VISIBILITIES: tuple[Visibility, ...] = ("public", "private", "internal")
#: Classic-token scopes that give a warning (or a refusal, where the policy says so) by default.
RISKY_SCOPES = ("delete_repo", "admin:org", "admin:enterprise")


@dataclass(frozen=True)
class Identity:
    """Who may use scaffolder, as Backstage's GitHub email-domain sign-in resolver decides."""

    #: The token's user needs a verified email in one of these domains (`GET /user/emails`).
    email_domains: tuple[str, ...] = ()
    #: ...and an active membership in one of these organisations
    #: (`GET /user/memberships/orgs/{org}`; "pending" is not active).
    organizations: tuple[str, ...] = ()
    #: A token that belongs to no user (a GitHub App installation token) passes the identity
    #: rules only when this is true.
    allow_app_tokens: bool = False

    @property
    def required(self) -> bool:
        """Whether any identity rule is set (and so a token is needed to check it)."""
        return bool(self.email_domains or self.organizations)


@dataclass(frozen=True)
class Where:
    """Where repositories may be created."""

    #: GitHub owners (users or organisations), compared case-insensitively; empty: any.
    owners: tuple[str, ...] = ()
    #: Repository visibilities; empty: any.
    visibilities: tuple[Visibility, ...] = ()


@dataclass(frozen=True)
class Templates:
    """Which template sources may be used. A listed source is trusted (its tasks may run)."""

    #: The built-in templates are allowed unless this is false.
    builtin: bool = True
    #: Allowed sources: a configured source's name, a git URL, or a local folder; a source is
    #: allowed when it equals one of these (after the same normalisation the configuration's
    #: `[[template]]` entries get) or lies inside a listed folder.
    sources: tuple[str, ...] = ()
    #: Whether any other source may be used with `--trust`. False: refused outright.
    allow_trust: bool = False


@dataclass(frozen=True)
class LifecycleRule:
    """What a component at one lifecycle stage must have."""

    lifecycle: str
    #: The owner must be a reference of this kind ("group" or "user"); None: any.
    owner_kind: Literal["group", "user"] | None = None
    #: Answers that must be non-empty, e.g. ("system", "security_contact").
    require: tuple[str, ...] = ()
    #: The least `required_approvals` answer allowed; None: not checked.
    min_approvals: int | None = None


@dataclass(frozen=True)
class Tokens:
    """Classic-token hygiene, from the `X-OAuth-Scopes` header. Fine-grained tokens pass."""

    #: Scopes that give a warning.
    warn_scopes: tuple[str, ...] = RISKY_SCOPES
    #: Scopes that are refused.
    refuse_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where the policy in force came from."""

    #: "flag" (--policy), "env" (SCAFFOLDER_POLICY), "config" (the configuration's `policy`).
    via: Literal["flag", "env", "config"]
    #: The path, https URL or github:OWNER/REPO/PATH as given.
    location: str
    #: Read from the local cache because the remote could not be reached.
    from_cache: bool = False
    #: When the cached copy was last confirmed by the remote (ISO 8601, UTC), if from the cache.
    cached_at: str | None = None
    #: Why the remote could not be reached (e.g. "connection refused"), if from the cache.
    unreachable: str = ""

    @property
    def warning(self) -> str | None:
        """What to tell the user when the policy in force is a cached copy; None otherwise."""
        if not self.from_cache:
            return None
        why = f" ({self.unreachable})" if self.unreachable else ""
        when = self.cached_at or "an unknown date"
        return f"policy from cache of {when}: {self.location} unreachable{why}"


@dataclass(frozen=True)
class Policy:
    identity: Identity = field(default_factory=Identity)
    where: Where = field(default_factory=Where)
    templates: Templates = field(default_factory=Templates)
    lifecycles: tuple[LifecycleRule, ...] = ()
    tokens: Tokens = field(default_factory=Tokens)
    #: Whether a scaffold without a token (nothing pushed, identity unchecked) may go ahead.
    allow_local: bool = True
    origin: Origin | None = None

    def lifecycle(self, name: str) -> LifecycleRule | None:
        return next((rule for rule in self.lifecycles if rule.lifecycle == name), None)
