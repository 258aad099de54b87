"""The access policy's lifecycle rules: what a component at one stage must have.

For example, production needs a group owner (`owner_kind`), a system and a security contact
(`require`), and at least two approvals (`min_approvals`, against the `required_approvals`
answer). Each check a rule sets is one `RuleResult`, named `lifecycle.STAGE.CHECK`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scaffolder.access.decision import RuleResult, na
from scaffolder.access.model import LifecycleRule
from scaffolder.backstage.rules import parse_owner


def lifecycle_results(
    rules: Sequence[LifecycleRule], stage: str | None, answers: Mapping[str, object]
) -> list[RuleResult]:
    """One result per check each lifecycle rule sets; not-applicable unless the component is
    at that stage (`stage`: the lifecycle answer; None when it is not known yet)."""
    results: list[RuleResult] = []
    for rule in rules:
        results += _lifecycle(rule, stage, answers)
    return results


def _lifecycle(
    rule: LifecycleRule, stage: str | None, answers: Mapping[str, object]
) -> list[RuleResult]:
    prefix = f"lifecycle.{rule.lifecycle}"
    checks: list[tuple[str, str]] = []
    if rule.owner_kind is not None:
        checks.append((f"{prefix}.owner_kind", rule.owner_kind))
    if rule.require:
        checks.append((f"{prefix}.require", ", ".join(rule.require)))
    if rule.min_approvals is not None:
        checks.append((f"{prefix}.min_approvals", str(rule.min_approvals)))
    if stage != rule.lifecycle:
        why = (
            f"applies to {rule.lifecycle} components; this one is {stage}"
            if stage
            else f"applies to {rule.lifecycle} components"
        )
        return [na(name, why, value) for name, value in checks]
    results = []
    if rule.owner_kind is not None:
        results.append(_owner_kind(prefix, rule.owner_kind, answers))
    if rule.require:
        results.append(_required(prefix, rule, answers))
    if rule.min_approvals is not None:
        results.append(_approvals(prefix, rule.min_approvals, answers))
    return results


def _owner_kind(prefix: str, kind: str, answers: Mapping[str, object]) -> RuleResult:
    rule, owner = f"{prefix}.owner_kind", answers.get("owner")
    stage = prefix.removeprefix("lifecycle.")
    fix = f"answer owner with a {kind} reference, such as {kind}:default/payments (--set owner=...)"
    try:
        ref = parse_owner(owner) if isinstance(owner, str) else None
    except ValueError:
        ref = None
    if ref is None:
        return RuleResult(rule, "refused", str(owner or ""), f"{stage} needs a {kind} owner", fix)
    if ref.kind != kind:
        return RuleResult(
            rule, "refused", str(owner), f"{stage} needs a {kind} owner, not a {ref.kind}", fix
        )
    return RuleResult(rule, "allowed", str(owner), f"owned by a {kind}")


def _required(prefix: str, rule: LifecycleRule, answers: Mapping[str, object]) -> RuleResult:
    name = f"{prefix}.require"
    missing = [key for key in rule.require if not _answered(answers.get(key))]
    if not missing:
        return RuleResult(name, "allowed", ", ".join(rule.require), "every required answer given")
    value = ", ".join(missing)
    data = " ".join(f"--set {key}=..." for key in missing)
    return RuleResult(
        name,
        "refused",
        value,
        f"{rule.lifecycle} components need {value}",
        f"answer {value} ({data})",
    )


def _answered(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return not (isinstance(value, list | tuple | dict) and not value)


def _approvals(prefix: str, least: int, answers: Mapping[str, object]) -> RuleResult:
    rule, value = f"{prefix}.min_approvals", answers.get("required_approvals")
    stage = prefix.removeprefix("lifecycle.")
    fix = f"set required_approvals to at least {least} (--set required_approvals={least})"
    try:
        count = int(str(value)) if value is not None and not isinstance(value, bool) else None
    except ValueError:
        count = None
    if count is None:
        return RuleResult(
            rule, "refused", str(value or ""), f"{stage} needs {least}+ approvals", fix
        )
    if count < least:
        return RuleResult(
            rule,
            "refused",
            str(count),
            f"{stage} components need at least {least} approvals, not {count}",
            fix,
        )
    return RuleResult(rule, "allowed", str(count), f"at least {least} approvals")
