"""`scaffolder policy show`: the access policy in force, where it came from, each rule in words;
`scaffolder policy check`: what the current user may do under it, rule by rule (exit 6 when
the identity or token rules refuse them).

With no policy anywhere, every action the token allows is allowed (exit 0). A policy that cannot
be read is an error, never "no policy" (`access/source.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scaffolder.access.decision import RuleResult
from scaffolder.access.model import Origin, Policy
from scaffolder.errors import ExitCode
from scaffolder.progress import SILENT, Progress

if TYPE_CHECKING:
    # The rules (and the render modules under them) are imported only by `policy check`.
    from scaffolder.access.rules import Choices

NO_POLICY = "no access policy: every action the token allows is allowed"
_VIA = {
    "flag": "--policy",
    "env": "$SCAFFOLDER_POLICY",
    "config": "the configuration file's `policy` key",
}


@dataclass(frozen=True)
class ShowOptions:
    #: `--policy`, when given.
    policy: str | None = None


@dataclass(frozen=True)
class Rule:
    #: A stable name, as the rules' evaluation names them: `identity.email_domain`, ...
    name: str
    says: str


@dataclass(frozen=True)
class PolicyShown:
    policy: Policy | None
    rules: tuple[Rule, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        origin = self.policy.origin if self.policy else None
        warning = origin.warning if origin else None
        return (warning,) if warning else ()

    def to_json(self) -> dict[str, Any]:
        if self.policy is None:
            return {"policy": None, "origin": None, "rules": [], "summary": NO_POLICY}
        return {
            "policy": policy_to_json(self.policy),
            "origin": _origin_json(self.policy.origin),
            "rules": [{"rule": r.name, "says": r.says} for r in self.rules],
            "summary": origin_text(self.policy.origin),
        }


def show(options: ShowOptions, progress: Progress = SILENT) -> PolicyShown:
    from scaffolder.access.source import load_policy

    policy = load_policy(options.policy)
    return PolicyShown(policy, describe(policy) if policy else ())


def origin_text(origin: Origin | None) -> str:
    if origin is None:
        return "access policy"
    cached = f" (from the cache of {origin.cached_at})" if origin.from_cache else ""
    return f"access policy from {_VIA[origin.via]}: {origin.location}{cached}"


def _origin_json(origin: Origin | None) -> dict[str, Any] | None:
    if origin is None:
        return None
    return {
        "via": origin.via,
        "location": origin.location,
        "from_cache": origin.from_cache,
        "cached_at": origin.cached_at,
    }


def policy_to_json(policy: Policy) -> dict[str, Any]:
    """The policy as data, in the file's own shape (docs/access-policy.md)."""
    return {
        "identity": {
            "email_domains": list(policy.identity.email_domains),
            "organizations": list(policy.identity.organizations),
            "allow_app_tokens": policy.identity.allow_app_tokens,
        },
        "where": {
            "owners": list(policy.where.owners),
            "visibilities": list(policy.where.visibilities),
        },
        "templates": {
            "builtin": policy.templates.builtin,
            "sources": list(policy.templates.sources),
            "allow_trust": policy.templates.allow_trust,
        },
        "lifecycle": {
            rule.lifecycle: {
                "owner_kind": rule.owner_kind,
                "require": list(rule.require),
                "min_approvals": rule.min_approvals,
            }
            for rule in policy.lifecycles
        },
        "tokens": {
            "warn_scopes": list(policy.tokens.warn_scopes),
            "refuse_scopes": list(policy.tokens.refuse_scopes),
        },
        "local": {"allowed": policy.allow_local},
    }


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items)


def describe(policy: Policy) -> tuple[Rule, ...]:
    """Each rule of `policy`, in plain words, in the order the file gives them."""
    identity, where, templates = policy.identity, policy.where, policy.templates
    rules: list[Rule] = []

    def add(name: str, says: str) -> None:
        rules.append(Rule(name, says))

    if identity.email_domains:
        add(
            "identity.email_domain",
            f"the token's user needs a verified email address at {_list(identity.email_domains)}",
        )
    if identity.organizations:
        add(
            "identity.organization",
            f"the token's user must be an active member of {' or '.join(identity.organizations)}",
        )
    if identity.required:
        add(
            "identity.app_token",
            "a GitHub App installation token (no user) "
            + ("passes the identity rules" if identity.allow_app_tokens else "is refused"),
        )
    add(
        "where.owner",
        f"repositories only under {_list(where.owners)}" if where.owners else "any owner",
    )
    add(
        "where.visibility",
        f"visibility {' or '.join(where.visibilities)} only"
        if where.visibilities
        else "any visibility",
    )
    add(
        "templates.builtin",
        "the built-in templates are " + ("allowed" if templates.builtin else "refused"),
    )
    if templates.sources:
        add(
            "templates.source",
            f"these template sources are allowed (and trusted): {_list(templates.sources)}",
        )
    if not templates.sources:
        # As enforced (`access/enforce.py`): a policy that lists no source restricts no other.
        other = "is not restricted (trusted as without a policy)"
    else:
        other = "may be used with --trust" if templates.allow_trust else "is refused"
    add("templates.trust", f"any other template source {other}")
    for rule in policy.lifecycles:
        needs = []
        if rule.owner_kind:
            needs.append(f"a {rule.owner_kind} as owner")
        if rule.require:
            needs.append(f"the answers {_list(rule.require)}")
        if rule.min_approvals is not None:
            needs.append(f"at least {rule.min_approvals} required approvals")
        add(
            f"lifecycle.{rule.lifecycle}",
            f"a {rule.lifecycle} component needs " + (", ".join(needs) or "nothing more"),
        )
    tokens = policy.tokens
    if warn := tuple(s for s in tokens.warn_scopes if s not in tokens.refuse_scopes):
        add("tokens.scopes", f"a classic token with {_list(warn)} gives a warning")
    if tokens.refuse_scopes:
        add("tokens.scopes", f"a classic token with {_list(tokens.refuse_scopes)} is refused")
    add(
        "local",
        "a local scaffold without a token (nothing pushed) is "
        + ("allowed" if policy.allow_local else "refused"),
    )
    return tuple(rules)


# -- policy check ----------------------------------------------------------------------------
#: The rules `policy check` decides its exit code by: who the user is, and their token.
_PERSONAL = ("identity.", "tokens.")


@dataclass(frozen=True)
class CheckOptions:
    #: `--policy`, when given.
    policy: str | None = None


@dataclass(frozen=True)
class PolicyChecked:
    """What the current user may do under the policy in force, rule by rule."""

    policy: Policy | None
    #: The identity and token rules' results (the ones about the user, not an action).
    rules: tuple[RuleResult, ...] = ()
    choices: Choices | None = None
    #: What GitHub said of the token (`Facts.to_json`).
    facts: dict[str, Any] | None = None
    #: The rest of the policy in words (where, templates, lifecycle, local).
    described: tuple[Rule, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if r.status == "refused")

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.POLICY if self.refused else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        if self.policy is None:
            return {"policy": None, "allowed": True, "rules": [], "summary": NO_POLICY}
        return {
            "policy": _origin_json(self.policy.origin),
            "allowed": not self.refused,
            "rules": [r.to_json() for r in self.rules],
            "may": {
                **(self.choices.to_json() if self.choices else {}),
                "templates": {
                    "builtin": self.policy.templates.builtin,
                    "sources": list(self.policy.templates.sources),
                    "allow_trust": self.policy.templates.allow_trust,
                },
                "local": self.policy.allow_local,
            },
            "identity": self.facts,
            "described": [{"rule": r.name, "says": r.says} for r in self.described],
            "summary": origin_text(self.policy.origin),
        }


def check(options: CheckOptions, progress: Progress = SILENT) -> PolicyChecked:
    """The identity and token rules for the environment's token, and what the policy lets this
    user pick (owners narrowed to those they can create under)."""
    from scaffolder.access import enforce
    from scaffolder.access.rules import IDENTITY_FIX, Intent, allowed_choices, evaluate
    from scaffolder.access.source import load_policy

    policy = load_policy(options.policy)
    if policy is None:
        return PolicyChecked(None)
    facts = enforce.facts_for(None)
    try:
        with progress.step("check", "the identity and token rules"):
            decision = evaluate(policy, Intent(command="check", has_token=facts.has_token), facts)
            choices = allowed_choices(policy, facts)
    finally:
        enforce.close(facts)
    rules = [r for r in decision.results if r.rule.startswith(_PERSONAL)]
    if not facts.has_token and policy.identity.required:
        # Intent(owner=None) reads as a local scaffold; the user asks about everything else.
        local = "a local scaffold without a token may go ahead" if policy.allow_local else ""
        at = next(i for i, r in enumerate(rules) if r.rule == "identity.token")
        rules[at] = RuleResult(
            "identity.token",
            "refused",
            "no token",
            "there is no GitHub token, so the identity rules cannot be checked"
            + (f" ({local}; nothing else)" if local else ""),
            IDENTITY_FIX,
        )
    origin = policy.origin.warning if policy.origin else None
    return PolicyChecked(
        policy,
        tuple(rules),
        choices,
        facts.to_json(),
        tuple(r for r in describe(policy) if not r.name.startswith(_PERSONAL)),
        tuple(dict.fromkeys([*([origin] if origin else []), *decision.warnings])),
    )
