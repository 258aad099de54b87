"""The access policy, as the wizard applies it: it offers only what the policy allows.

With a policy in force (`scaffolder.access.source.load_policy`: `--policy`, else
`$SCAFFOLDER_POLICY`, else the configuration's `policy`), `load_guard` runs before the first
question. A broken policy stops the wizard with its error there. With a token, the identity and
token rules are checked there too (`access.rules.evaluate`), and a refusal (exit 6, naming the
rule and what to do) ends the wizard before it asks anything. Without a token, only a local
scaffold can go ahead, and only if the policy allows local scaffolds.

The `Guard` then narrows what the wizard offers: the templates the policy allows (the picker
says how many it hides), the GitHub owners it allows (`allowed_choices`: narrowed to the
user's own login and active memberships), the visibilities it allows (a single one is not
asked), and the lifecycle's required answers, which the prompts refuse with the policy's rule
as the reason. Without a policy nothing of this runs and no request is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from scaffolder.access.decision import RuleResult
from scaffolder.access.identity import Facts
from scaffolder.access.lifecycle import lifecycle_results
from scaffolder.access.model import Policy, Visibility
from scaffolder.access.rules import Choices, Intent, allowed_choices, evaluate
from scaffolder.errors import PolicyRefusedError

if TYPE_CHECKING:
    from scaffolder.render.registry import TemplateInfo
    from scaffolder.wizard.publishing import Discovery

#: What `scaffolder new` publishes: `private` True or False (no "internal" yet).
PUBLISHABLE = {"private": True, "public": False}


@dataclass(frozen=True)
class Guard:
    """The policy in force and what it lets this user pick."""

    policy: Policy
    choices: Choices

    # -- templates --------------------------------------------------------------------------
    def template_allowed(self, info: TemplateInfo) -> bool:
        return self.choices.template_allowed(info)

    def check_template(
        self, info: TemplateInfo, *, trust: bool, echo: Callable[[str], None]
    ) -> None:
        """A template named on the command line: refused here, before any question."""
        intent = Intent(
            command="wizard",
            # A folder or URL is named by itself, a built-in or configured one by its name.
            template=info.name if info.builtin or info.configured else None,
            template_source=str(info.source),
            builtin=info.builtin,
            configured=info.configured,
            trust=trust,
            has_token=False,  # only the template rule is read: no request, whatever the token
        )
        result = evaluate(self.policy, intent, Facts(None)).result("templates.source")
        if result is not None and result.status == "refused":
            raise _refusal(result)
        if result is not None and result.status == "warning":
            echo(f"warning: access policy ({result.rule}): {result.reason}")

    def no_templates(self, count: int) -> PolicyRefusedError:
        """The refusal when the policy allows none of the `count` templates on offer."""
        listed = ", ".join(self.policy.templates.sources) or "none"
        return PolicyRefusedError(
            rule="templates.source",
            value=f"{count} template{'s' if count > 1 else ''} on offer",
            reason="the access policy allows none of the built-in or configured templates",
            fix=f"give an allowed template source ({listed}), or ask the platform team",
        )

    # -- where ------------------------------------------------------------------------------
    @property
    def private_choices(self) -> tuple[bool, ...]:
        """The visibilities the wizard may offer, as `private` flags, private first."""
        allowed = self.choices.visibilities
        return tuple(PUBLISHABLE[v] for v in ("private", "public") if v in allowed)

    def restrict(self, discovery: Discovery) -> Discovery:
        """The token's accounts narrowed to the owners the policy allows."""
        from scaffolder.wizard.publishing import Discovery

        accounts = discovery.accounts
        if accounts is None:
            return discovery
        if not self.private_choices:
            listed = ", ".join(self.choices.visibilities)
            return Discovery(
                None,
                f"not published: the access policy allows only {listed} repositories, which "
                "the wizard cannot create (rule where.visibility)",
            )
        if self.choices.owners is None:
            return discovery
        restricted = replace(accounts, allowed=self.choices.owners)
        if not restricted.owners:
            listed = ", ".join(self.policy.where.owners)
            return Discovery(
                None,
                f"not published: the access policy allows repositories only under {listed}, "
                f"and {accounts.login} may create under none of them (rule where.owner)",
            )
        return Discovery(restricted, discovery.note)

    # -- answers ----------------------------------------------------------------------------
    def problem(self, name: str, value: Any, answers: Mapping[str, Any]) -> str:
        """Why the policy refuses `value` for question `name`, given the other answers; ""."""
        if name == "github_owner":
            return self._owner_problem(str(value or ""))
        stage = answers.get("lifecycle")
        stage = stage if isinstance(stage, str) and stage else None
        rule = self.policy.lifecycle(stage) if stage else None
        if rule is None:
            return ""
        if name == "review_mode" and value == "none" and rule.min_approvals:
            # The baseline's `none` review mode means no required approvals at all.
            return (
                f"{stage} components need at least {rule.min_approvals} approvals, and review "
                f"mode none requires none (the access policy's rule "
                f"lifecycle.{stage}.min_approvals)"
            )
        for result in lifecycle_results((rule,), stage, {**answers, name: value}):
            if result.status != "refused" or not _concerns(result, name):
                continue
            if _required(result):
                # The rule lists every missing answer; this prompt is about one of them. Short,
                # so the rule fits the error bar's one line (80 columns).
                return f"the access policy ({result.rule}) needs {name}"
            return f"{result.reason} (the access policy's rule {result.rule})"
        return ""

    def _owner_problem(self, owner: str) -> str:
        allowed = self.choices.owners
        if not owner or allowed is None or owner.lower() in {o.lower() for o in allowed}:
            return ""
        if not allowed:
            listed = ", ".join(self.policy.where.owners)
            return (
                f"the access policy allows repositories only under {listed}, and you may create "
                "under none of them: leave it empty (rule where.owner)"
            )
        return (
            f"the access policy allows repositories only under {', '.join(allowed)}, not "
            f"{owner} (rule where.owner)"
        )

    def final(self, values: Mapping[str, Any]) -> None:
        """What no prompt can fix (a computed answer, a question the template does not ask):
        refused before the review, as `new` would refuse it before writing."""
        stage = values.get("lifecycle")
        stage = stage if isinstance(stage, str) and stage else None
        for result in lifecycle_results(self.policy.lifecycles, stage, values):
            if result.status == "refused":
                raise _refusal(result)


def _checks_scopes(policy: Policy) -> bool:
    return bool(policy.tokens.warn_scopes or policy.tokens.refuse_scopes)


def _required(result: RuleResult) -> bool:
    return result.rule.endswith(".require")


def _concerns(result: RuleResult, name: str) -> bool:
    """Whether a refused lifecycle result is about the answer to question `name`."""
    if result.rule.endswith(".owner_kind"):
        return name == "owner"
    if result.rule.endswith(".min_approvals"):
        return name == "required_approvals"
    return name in result.value.split(", ")


def _refusal(result: RuleResult) -> PolicyRefusedError:
    return PolicyRefusedError(
        rule=result.rule, value=result.value, reason=result.reason, fix=result.fix
    )


def load_guard(
    flag: str | None,
    *,
    api_url: str | None,
    echo: Callable[[str], None],
    visibility: Visibility | None = None,
) -> Guard | None:
    """The policy in force, checked against who the token is; None without a policy.

    Raises the policy's error (a broken or unreachable policy) or its refusal (exit 6) before
    the wizard asks anything. `visibility` is the one `--private`/`--public` settled.
    """
    from scaffolder.access.source import load_policy
    from scaffolder.github import GitHubSettings, connect

    policy = load_policy(flag)
    if policy is None:
        return None
    if policy.origin is not None and policy.origin.warning:
        echo(f"warning: {policy.origin.warning}")
    settings = GitHubSettings.from_env(api_url=api_url)
    client = connect(settings) if settings.token is not None else None
    facts = Facts(client)
    try:
        asks = policy.identity.required or policy.where.owners or _checks_scopes(policy)
        if asks and settings.token is not None:  # a slow GitHub is not a silent pause
            source = settings.token.source
            echo(f"Checking the access policy against the GitHub token ({source}) ...")
        intent = Intent(command="wizard", has_token=facts.has_token, visibility=visibility)
        decision = evaluate(policy, intent, facts)
        if refusal := decision.refusal():
            raise refusal
        for warning in decision.warnings:
            echo(f"warning: {warning}")
        choices = allowed_choices(policy, facts)
        for note in choices.unverified_notes():
            echo(f"warning: {note}")
    finally:
        if client is not None:
            client.close()
    if not facts.has_token and policy.identity.required:
        echo(
            "No GitHub token: the access policy's identity rules cannot be checked, so this is "
            "a local scaffold only (the policy allows those); set GH_TOKEN to publish."
        )
    return Guard(policy, choices)
