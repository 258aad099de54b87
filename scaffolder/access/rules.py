"""The access policy's rules, evaluated: may this person, with this token, do this?

`evaluate(policy, intent, facts)` gives a `Decision` with one `RuleResult` per rule, in a fixed
order (identity, where, what, lifecycle, token hygiene), each `allowed`, `refused`, `warning`
or `not-applicable`, with the value it looked at and what to do. It is meant to run before the
first write of `new`, `publish`, the fleet `update` and the wizard, and to be shown rule by rule
by `policy check`. It asks GitHub (through `Facts`) only for what the policy's rules need: a
policy without identity rules and without token rules sends no request at all.

`Decision.refusal()` is the `PolicyRefusedError` (exit 6) naming the first refused rule;
`allowed_choices(policy, facts)` is what the wizard may offer: owners, visibilities and a
template filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from scaffolder.access.decision import Decision, RuleResult, Status, na
from scaffolder.access.identity import MEMBERS_FIX, Facts, Membership, TokenFacts
from scaffolder.access.lifecycle import lifecycle_results
from scaffolder.access.model import VISIBILITIES, Policy, Templates, Visibility
from scaffolder.render.sources import matches_source

if TYPE_CHECKING:
    from scaffolder.render.registry import TemplateInfo

__all__ = [
    "Choices",
    "Decision",
    "Intent",
    "RuleResult",
    "Status",
    "allowed_choices",
    "evaluate",
    "template_allowed",
    "template_listed",
    "template_result",
]

Command = Literal["new", "publish", "update", "wizard", "check"]


@dataclass(frozen=True)
class Intent:
    """What the user is about to do, as the policy sees it."""

    command: Command
    #: The GitHub owner the repository goes to; None: nothing is pushed (a local scaffold).
    owner: str | None = None
    visibility: Visibility | None = None
    #: The template's name (built-in or configured), and its source (a folder, a git URL).
    template: str | None = None
    template_source: str | None = None
    #: A built-in template; `configured`: one the configuration file lists.
    builtin: bool = False
    configured: bool = False
    #: The answers (after defaults): owner, system, security_contact, required_approvals...
    answers: Mapping[str, object] = field(default_factory=dict)
    #: The component's lifecycle; None: `answers["lifecycle"]`, if any.
    lifecycle: str | None = None
    has_token: bool = True
    #: `--trust` was given.
    trust: bool = False

    @property
    def local_only(self) -> bool:
        return self.owner is None

    @property
    def stage(self) -> str | None:
        value = self.lifecycle or self.answers.get("lifecycle")
        return value if isinstance(value, str) and value else None


def evaluate(policy: Policy, intent: Intent, facts: Facts) -> Decision:
    """Every rule of `policy` against `intent`; GitHub is asked only what the rules need."""
    results = [
        *_identity(policy, intent, facts),
        _owner(policy, intent),
        _visibility(policy, intent),
        _template(policy.templates, intent),
        *lifecycle_results(policy.lifecycles, intent.stage, intent.answers),
        _token_scopes(policy, intent, facts),
    ]
    return Decision(tuple(results))


# -- identity ----------------------------------------------------------------------------
IDENTITY_FIX = (
    "export GH_TOKEN (or GITHUB_TOKEN) with a token of your own, or run `gh auth login`, so "
    "that the policy can check who you are"
)


def _identity(policy: Policy, intent: Intent, facts: Facts) -> list[RuleResult]:
    rules = policy.identity
    email_rule, org_rule = "identity.email_domain", "identity.organization"
    has_token = intent.has_token and facts.has_token
    if not has_token:
        skipped = "no token: the identity rules cannot be checked"
        return [_no_token(policy, intent), na(email_rule, skipped), na(org_rule, skipped)]
    if not rules.required:
        return [
            na("identity.token", "the policy sets no identity rules"),
            na(email_rule, "the policy lists no email domains"),
            na(org_rule, "the policy lists no organisations"),
        ]
    token = facts.token()
    if token.kind == "app":
        skipped = "an app installation token belongs to no user"
        if not rules.allow_app_tokens:
            refused = RuleResult(
                "identity.token",
                "refused",
                "app installation token",
                "the token is a GitHub App installation token, which belongs to no user, and "
                "the policy does not allow app tokens",
                "use a token of your own (fine-grained or classic), or ask the platform team "
                "to allow app tokens (identity.allow_app_tokens)",
            )
            return [refused, na(email_rule, skipped), na(org_rule, skipped)]
        allowed = RuleResult(
            "identity.token",
            "allowed",
            "app installation token",
            "the policy allows app installation tokens",
        )
        return [allowed, na(email_rule, skipped), na(org_rule, skipped)]
    user = RuleResult(
        "identity.token", "allowed", f"{token.login} ({token.kind} token)", "the token has a user"
    )
    return [user, _email_domain(policy, facts), _organization(policy, facts)]


def _no_token(policy: Policy, intent: Intent) -> RuleResult:
    rule = "identity.token"
    if intent.local_only:
        if policy.allow_local:
            return RuleResult(
                rule,
                "allowed",
                "no token",
                "a local scaffold without a token: nothing is pushed, and the policy allows "
                "local scaffolds (identity not checked)",
            )
        return RuleResult(
            rule,
            "refused",
            "no token",
            "the policy does not allow scaffolds without a token (allow_local is false)",
            IDENTITY_FIX,
        )
    if not policy.identity.required:
        return na(rule, "the policy sets no identity rules")
    return RuleResult(
        rule,
        "refused",
        "no token",
        "the policy needs to know who you are, and there is no GitHub token",
        IDENTITY_FIX,
    )


def _email_domain(policy: Policy, facts: Facts) -> RuleResult:
    rule = "identity.email_domain"
    domains = tuple(d.lower().lstrip("@") for d in policy.identity.email_domains)
    if not domains:
        return na(rule, "the policy lists no email domains")
    emails = facts.emails()
    if emails.listed is None:
        return RuleResult(rule, "refused", "emails unreadable", emails.problem, emails.fix)
    for email in emails.listed:
        if email.verified and email.domain in domains:
            return RuleResult(rule, "allowed", email.address, f"a verified email in {email.domain}")
    found = ", ".join(str(e) for e in emails.listed) or "none"
    allowed = ", ".join(domains)
    unverified = [e.address for e in emails.listed if not e.verified and e.domain in domains]
    if unverified:
        fix = f"verify {unverified[0]} at https://github.com/settings/emails, then run again"
    else:
        fix = (
            f"add and verify an email in {allowed} at https://github.com/settings/emails, or "
            "ask the platform team to add your email domain"
        )
    return RuleResult(
        rule,
        "refused",
        found,
        f"no verified email in an allowed domain ({allowed}); emails found: {found}",
        fix,
    )


def _organization(policy: Policy, facts: Facts) -> RuleResult:
    rule = "identity.organization"
    orgs = policy.identity.organizations
    if not orgs:
        return na(rule, "the policy lists no organisations")
    seen = []
    for org in orgs:  # stops at the first active membership: no more requests than needed
        membership = facts.membership(org)
        if membership.state == "active":
            return RuleResult(rule, "allowed", str(membership), f"an active member of {org}")
        seen.append(membership)
    value = ", ".join(str(m) for m in seen)
    pending = [m.org for m in seen if m.state == "pending"]
    unreadable = [m for m in seen if m.state == "unreadable"]
    if pending:
        fix = (
            f"accept the invitation to {pending[0]} (https://github.com/orgs/{pending[0]}/"
            "invitation), then run again"
        )
    elif unreadable:
        fix = MEMBERS_FIX
    else:
        fix = f"ask an owner of {' or '.join(orgs)} to invite you, then accept the invitation"
    reason = f"not an active member of {' or '.join(orgs)} ({value})"
    if unreadable:
        reason += f"; {unreadable[0].problem}"
    return RuleResult(rule, "refused", value, reason, fix)


# -- where -------------------------------------------------------------------------------
def _owner(policy: Policy, intent: Intent) -> RuleResult:
    rule, owners = "where.owner", policy.where.owners
    if not owners:
        return na(rule, "the policy does not restrict owners")
    if intent.owner is None:
        return na(rule, "nothing is pushed to GitHub")
    if intent.owner.lower() in {o.lower() for o in owners}:
        return RuleResult(rule, "allowed", intent.owner, "an allowed owner")
    listed = ", ".join(owners)
    return RuleResult(
        rule,
        "refused",
        intent.owner,
        f"repositories may be created only under {listed}, not {intent.owner}",
        f"use an organisation-owned repository: --github-owner {owners[0]}"
        if len(owners) == 1
        else f"use an organisation-owned repository under one of {listed} (--github-owner)",
    )


def _visibility(policy: Policy, intent: Intent) -> RuleResult:
    rule, allowed = "where.visibility", policy.where.visibilities
    if not allowed:
        return na(rule, "the policy does not restrict visibility")
    if intent.visibility is None:
        return na(rule, "nothing is pushed to GitHub")
    if intent.visibility in allowed:
        return RuleResult(rule, "allowed", intent.visibility, "an allowed visibility")
    listed = ", ".join(allowed)
    return RuleResult(
        rule,
        "refused",
        intent.visibility,
        f"repositories may only be {listed}, not {intent.visibility}",
        # `new --publish` and `publish` take --private and --public; internal has no flag.
        f"use --{allowed[0]}" if allowed[0] in ("private", "public") else f"make it {listed}",
    )


# -- what --------------------------------------------------------------------------------
def template_listed(
    templates: Templates, name: str | None, source: str | None, *, builtin: bool, configured: bool
) -> bool:
    """Whether the policy lists this template: by the name of a built-in or configured one, or
    as the same source (or a folder inside a listed one), matched as the configuration's
    `[[template]]` entries are (`render.sources.matches_source`)."""
    for listed in templates.sources:
        if name and (builtin or configured) and listed == name:
            return True
        if source and matches_source(source, listed, inside=True):
            return True
    return False


def template_allowed(templates: Templates, info: TemplateInfo) -> bool:
    """Whether the wizard may offer `info` (without `--trust`)."""
    if info.builtin and templates.builtin:
        return True
    if not templates.sources:
        return not info.builtin
    return template_listed(
        templates, info.name, str(info.source), builtin=info.builtin, configured=info.configured
    )


def template_result(templates: Templates, intent: Intent) -> RuleResult:
    """The template rule alone (`templates.source`): for where a template is read before the
    answers are known, and for its trust (`access/enforce.py`)."""
    return _template(templates, intent)


def _template(templates: Templates, intent: Intent) -> RuleResult:
    rule = "templates.source"
    if intent.template is None and intent.template_source is None:
        return na(rule, "no template is used")
    shown = intent.template or str(intent.template_source)
    if intent.builtin and templates.builtin:
        return RuleResult(rule, "allowed", shown, "a built-in template")
    listed = ", ".join(templates.sources)
    if not templates.sources:
        if intent.builtin:
            return RuleResult(
                rule,
                "refused",
                shown,
                "the policy does not allow the built-in templates",
                "ask the platform team which template sources to use",
            )
        return na(rule, "the policy does not restrict template sources", shown)
    if template_listed(
        templates,
        intent.template,
        intent.template_source,
        builtin=intent.builtin,
        configured=intent.configured,
    ):
        return RuleResult(rule, "allowed", shown, "a source the policy lists (trusted)")
    what = "the built-in templates are not allowed" if intent.builtin else "not a listed source"
    if templates.allow_trust and intent.trust and not intent.builtin:
        return RuleResult(
            rule,
            "warning",
            shown,
            f"{what}; used because of --trust, which the policy permits",
            "ask the platform team to list this source if it is to stay",
        )
    if templates.allow_trust and not intent.builtin:
        fix = f"pass --trust if you trust it, or use one of the allowed sources: {listed}"
    else:
        fix = f"use one of the allowed sources ({listed}), or ask the platform team to list it"
    return RuleResult(rule, "refused", shown, f"{what}: the policy allows {listed}", fix)


# -- token hygiene -----------------------------------------------------------------------
def _token_scopes(policy: Policy, intent: Intent, facts: Facts) -> RuleResult:
    rule, tokens = "tokens.scopes", policy.tokens
    if not (tokens.warn_scopes or tokens.refuse_scopes):
        return na(rule, "the policy checks no scopes")
    if not (intent.has_token and facts.has_token):
        return na(rule, "no token")
    token: TokenFacts = facts.token()
    if token.kind == "fine-grained":
        return RuleResult(rule, "allowed", "fine-grained token", "fine-grained tokens pass")
    if token.kind == "app":
        return RuleResult(
            rule, "allowed", "app installation token", "app tokens have permissions, not scopes"
        )
    if token.kind == "unknown" or token.scopes is None:
        return RuleResult(
            rule,
            "warning",
            "scopes unknown",
            "GitHub's answer carried no X-OAuth-Scopes header for a classic-looking token, so "
            "its scopes cannot be checked",
            "check the token's scopes at https://github.com/settings/tokens, or use a "
            "fine-grained token",
        )
    scopes = set(token.scopes)
    shown = ", ".join(token.scopes) or "no scopes"
    if refused := [s for s in tokens.refuse_scopes if s in scopes]:
        return RuleResult(
            rule,
            "refused",
            ", ".join(refused),
            f"the token has the scope{'s' if len(refused) > 1 else ''} {', '.join(refused)}, "
            "which the policy refuses",
            f"use a fine-grained token, or a classic token without {', '.join(refused)}",
        )
    if risky := [s for s in tokens.warn_scopes if s in scopes]:
        return RuleResult(
            rule,
            "warning",
            ", ".join(risky),
            f"the token has the risky scope{'s' if len(risky) > 1 else ''} {', '.join(risky)}",
            f"use a fine-grained token, or a classic token without {', '.join(risky)}",
        )
    return RuleResult(rule, "allowed", shown, "no risky scopes")


# -- what the wizard may offer -----------------------------------------------------------
@dataclass(frozen=True)
class Choices:
    """What the policy lets this user pick. `owners` None: any owner (the wizard's own list)."""

    owners: tuple[str, ...] | None
    visibilities: tuple[Visibility, ...]
    templates: Templates
    #: The policy's organisations left out of `owners` because the token could not read the
    #: user's membership of them (a token without `read:org`): said, not silently dropped.
    unverified: tuple[Membership, ...] = ()

    def template_allowed(self, info: TemplateInfo) -> bool:
        return template_allowed(self.templates, info)

    def unverified_notes(self) -> list[str]:
        """One line for each organisation left out for want of a membership to read."""
        return [
            f"{m.org} is not offered as an owner: your membership of it could not be read "
            f"({m.problem}); {MEMBERS_FIX}"
            for m in self.unverified
        ]

    def to_json(self) -> dict[str, object]:
        return {
            "owners": None if self.owners is None else list(self.owners),
            "visibilities": list(self.visibilities),
            "unverified_owners": [m.org for m in self.unverified],
        }


def allowed_choices(policy: Policy, facts: Facts) -> Choices:
    """Owners, visibilities and templates the wizard may offer under `policy`.

    The policy's owners are narrowed, when there is a user token, to those the user can create
    under: their own login and the organisations they are an active member of.
    """
    owners: tuple[str, ...] | None = policy.where.owners or None
    unverified: list[Membership] = []
    if owners is not None and facts.has_token:
        token = facts.token()
        if token.login is not None:
            login = token.login.lower()
            kept = []
            for owner in owners:
                if owner.lower() == login:
                    kept.append(owner)
                    continue
                membership = facts.membership(owner)
                if membership.state == "active":
                    kept.append(owner)
                elif membership.state == "unreadable":
                    unverified.append(membership)
            owners = tuple(kept)
    visibilities = policy.where.visibilities or VISIBILITIES
    return Choices(owners, tuple(visibilities), policy.templates, tuple(unverified))
