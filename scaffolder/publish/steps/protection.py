"""protection: the project's `.github/rulesets/*.json`, or classic branch protection where
rulesets are not offered; `unavailable` (the run is partial) where the plan offers neither."""

from __future__ import annotations

from typing import Any

from scaffolder.errors import GitHubError
from scaffolder.publish import protection, push
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    p.rulesets = protection.load_rulesets(p.path, p.planned_files if p.dry else None)
    if not p.rulesets:
        p.protection = "none"
        p.warnings.append(f"no {protection.RULESETS_DIR}/*.json: branches left unprotected")
        return StepReport("protection", "skipped", f"no {protection.RULESETS_DIR}/*.json")
    full = p.full_name
    try:
        existing = [] if p.repo is None else p.get(f"/repos/{full}/rulesets")
    except GitHubError as exc:
        if not protection.rulesets_unavailable(exc):
            raise
        return _classic(p, reason=exc.message)
    names = []
    before = len(p.calls)
    for body in p.rulesets:
        names.append(body["name"])
        _apply_ruleset(p, full, body, existing)
    p.protection = "ruleset"
    return StepReport(
        "protection", p.status(len(p.calls) > before), f"ruleset {', '.join(names)} on {full}"
    )


def _apply_ruleset(p: PublishRun, full: str, body: dict[str, Any], existing: list[Any]) -> None:
    match = next((r for r in existing if r.get("name") == body["name"]), None)
    if match is None:
        try:
            p.write(f"create ruleset {body['name']}", "POST", f"/repos/{full}/rulesets", body)
            return
        except GitHubError as exc:
            if exc.status != 422:  # 422: a create that timed out but landed
                raise
            existing = p.get(f"/repos/{full}/rulesets")
            match = next((r for r in existing if r.get("name") == body["name"]), None)
            if match is None:
                raise
    current = p.get(f"/repos/{full}/rulesets/{match['id']}")
    if not protection.same_ruleset(body, current):
        p.write(
            f"update ruleset {body['name']}",
            "PUT",
            f"/repos/{full}/rulesets/{match['id']}",
            body,
        )


def _classic(p: PublishRun, reason: str) -> StepReport:
    full = p.full_name
    branch = str((p.repo or {}).get("default_branch") or push.BRANCH)
    body, signatures, lost = protection.classic_protection(p.rulesets)
    # Raw PUT, not `Branch.edit_protection()`: that sends null for every argument left
    # unset and cannot say allow_force_pushes/allow_deletions false; this body is exact.
    path = f"/repos/{full}/branches/{branch}/protection"
    try:
        p.write(f"protect {branch}", "PUT", path, body)
        if signatures:
            p.write("require signed commits", "POST", f"{path}/required_signatures")
    except GitHubError as exc:
        if not protection.plan_limited(exc):
            raise
        p.protection = "unavailable"
        return StepReport(
            "protection",
            "unavailable",
            f"GitHub offers neither rulesets nor branch protection for {full} on this plan "
            f"({exc.message.split(': ', 1)[-1]}); make the repository public "
            "(--public) or upgrade the plan, then publish again",
        )
    for rule in lost:
        p.warnings.append(f"rule {rule!r} has no classic branch protection equivalent")
    p.protection = "branch-protection"
    return StepReport(
        "protection",
        p.status(),
        f"classic branch protection on {branch} "
        f"(rulesets unavailable: {reason.split(': ', 1)[-1]})",
    )


STEP = Step[PublishRun](
    "protection",
    run,
    detail=lambda p: str(protection.RULESETS_DIR),
    writes="remote",
    essential=True,
)
