"""Where the access policy is enforced: the `access` step of `new`, `publish` and the fleet
`update`, and the policy's say over a template's trust.

* `check(policy, intent, facts)`: every rule evaluated (`rules.evaluate`); the first refused
  rule is raised as `PolicyRefusedError` (exit 6), so a command calls it before its first write
  and nothing is written on a refusal. What it returns carries the warnings (risky scopes, an
  identity left unchecked for want of a token) and the step's report.
* `template_trusted(policy, info, trust=...)`: with a policy in force, the policy decides whether
  a template's tasks, migrations and Jinja extensions may run, whatever the configuration file
  trusts (`render.sources.allows_unsafe` asks here): a source the policy lists is trusted; a
  built-in one is unless `templates.builtin = false`; any other is refused, or trusted with
  `--trust` only where `templates.allow_trust` is true. A policy that lists no sources does not
  restrict the others: they are trusted as without a policy.
* `check_template(...)`: the template rule alone, for where the template is read before the
  answers are known (`new`'s resolve, `update`): a refused source stops there, before copier
  reads a line of it, with the same refusal the access step would give.

The policy is a guardrail for honest people and pipelines, not a wall: GitHub's organisation
settings stay the wall (docs/access-policy.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scaffolder.access.decision import Decision, RuleResult
from scaffolder.access.identity import Facts
from scaffolder.access.rules import Command, Intent, evaluate, template_result
from scaffolder.errors import GitHubError, PolicyRefusedError

if TYPE_CHECKING:
    from scaffolder.access.model import Policy
    from scaffolder.render.registry import TemplateInfo

STEP_NAME = "access"
STEP_DETAIL = "check the access policy"


@dataclass(frozen=True)
class Checked:
    """An allowed action: the decision, and the warnings to show."""

    decision: Decision
    warnings: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The access step's report: how many rules allowed it, and the warnings' count."""
        applied = [r for r in self.decision.results if r.status != "not-applicable"]
        allowed = sum(1 for r in applied if r.status == "allowed")
        text = f"allowed by {allowed} rule{'s' if allowed != 1 else ''}"
        if warned := sum(1 for r in applied if r.status == "warning"):
            text += f", {warned} warning{'s' if warned != 1 else ''}"
        return text


def check(policy: Policy, intent: Intent, facts: Facts) -> Checked:
    """Every rule of `policy` against `intent`: `PolicyRefusedError` for the first refused one.

    Where GitHub cannot say who the token is (unreachable, 5xx past the retries, a rejected
    token) and the policy asks for an identity (or refuses scopes), that is a refusal too: an
    identity that cannot be verified is not a verified one. Where only the scopes' warnings
    were at stake, a local scaffold goes ahead with a warning that they were not checked; any
    other command stops with GitHub's error, which it would meet at its first write anyway.
    """
    unchecked: list[str] = []
    try:
        decision = evaluate(policy, intent, facts)
    except GitHubError as exc:
        if policy.identity.required or policy.tokens.refuse_scopes:
            raise PolicyRefusedError(
                rule="identity.verify",
                value=exc.message,
                reason=f"the token's identity cannot be verified: {exc.message}",
                fix="retry when GitHub can be reached, or check the token "
                "(`gh auth status`); the policy asks who you are before anything is written",
            ) from exc
        if not intent.local_only:
            raise
        decision = evaluate(policy, replace(intent, has_token=False), Facts(None))
        unchecked.append(
            f"access policy (tokens.scopes): the token's scopes were not checked: {exc.message}"
        )
    if (refusal := decision.refusal()) is not None:
        raise refusal
    warnings = [*unchecked, *decision.warnings]
    if not facts.has_token and policy.identity.required:
        warnings.append(
            "access policy (identity.token): no GitHub token, so the identity rules were not "
            "checked; the policy allows a local scaffold without one"
        )
    origin = policy.origin.warning if policy.origin else None
    return Checked(decision, tuple(dict.fromkeys([*([origin] if origin else []), *warnings])))


def facts_for(api_url: str | None) -> Facts:
    """The facts of the environment's token (none: facts without a token, nothing asked)."""
    from scaffolder.github import GitHubSettings, connect

    settings = GitHubSettings.from_env(api_url=api_url)
    if settings.token is None:
        return Facts(None)
    return Facts.for_client(connect(settings))


def location(policy: Policy | None) -> str | None:
    """Where another process (a resume, the fleet's child update) reads the same policy: a
    remote one as given, a file as an absolute path; None without a policy."""
    if policy is None or policy.origin is None:
        return None
    where = policy.origin.location
    if where.startswith("github:") or "://" in where:
        return where
    return str(Path(where).expanduser().absolute())


def close(facts: Facts | None) -> None:
    if facts is not None and facts.client is not None:
        facts.client.close()


# -- templates -------------------------------------------------------------------------------
def template_intent(info: TemplateInfo, *, command: Command, trust: bool) -> Intent:
    return Intent(
        command=command,
        template=info.name,
        template_source=str(info.source),
        builtin=info.builtin,
        configured=info.configured,
        trust=trust,
    )


def check_template(
    policy: Policy, info: TemplateInfo, *, trust: bool, command: Command = "new"
) -> RuleResult:
    """The template rule alone; `PolicyRefusedError` when the policy refuses the template."""
    result = template_result(policy.templates, template_intent(info, command=command, trust=trust))
    if result.status == "refused":
        raise PolicyRefusedError(
            rule=result.rule, value=result.value, reason=result.reason, fix=result.fix
        )
    return result


def template_trusted(policy: Policy, info: TemplateInfo, *, trust: bool) -> bool | None:
    """Whether the policy trusts `info`; None where it does not restrict it (no sources)."""
    result = template_result(policy.templates, template_intent(info, command="new", trust=trust))
    if result.status == "not-applicable":
        return None
    return result.status in ("allowed", "warning")
