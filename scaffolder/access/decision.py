"""What evaluating the access policy gives: one `RuleResult` per rule, and the `Decision`.

Built by `rules.evaluate` (and `lifecycle.lifecycle_results`); read by the commands that enforce
the policy and by `policy check`. The JSON shape (`Decision.to_json`) is a contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaffolder.errors import PolicyRefusedError

Status = Literal["allowed", "refused", "warning", "not-applicable"]


@dataclass(frozen=True)
class RuleResult:
    #: e.g. "identity.email_domain", "where.owner", "lifecycle.production.require".
    rule: str
    status: Status
    #: The value the rule looked at (the one that broke it, when refused).
    value: str = ""
    #: One sentence: why this status.
    reason: str = ""
    #: What to do (for a refusal or a warning).
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "status": self.status,
            "value": self.value,
            "reason": self.reason,
            "fix": self.fix or None,
        }


@dataclass(frozen=True)
class Decision:
    results: tuple[RuleResult, ...]

    @property
    def allowed(self) -> bool:
        return not self.refused

    @property
    def refused(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status == "refused")

    @property
    def warnings(self) -> list[str]:
        """The warnings, one line each, for a result's `warnings`."""
        return [
            f"access policy ({r.rule}): {r.reason}" + (f"; {r.fix}" if r.fix else "")
            for r in self.results
            if r.status == "warning"
        ]

    def result(self, rule: str) -> RuleResult | None:
        return next((r for r in self.results if r.rule == rule), None)

    def refusal(self) -> PolicyRefusedError | None:
        """The error for the first refused rule, or None when nothing is refused."""
        if not self.refused:
            return None
        first = self.refused[0]
        return PolicyRefusedError(
            rule=first.rule, value=first.value, reason=first.reason, fix=first.fix
        )

    def to_json(self) -> dict[str, object]:
        return {"allowed": self.allowed, "rules": [r.to_json() for r in self.results]}


def na(rule: str, reason: str, value: str = "") -> RuleResult:
    """A rule that does not apply here (not set by the policy, or nothing to check)."""
    return RuleResult(rule, "not-applicable", value, reason)
