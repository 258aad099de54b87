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
    names = []
    before = len(p.calls)
    try:
        # A repository this run created has no rulesets: its first POST finds out whether
        # GitHub offers them at all (a 403/404 answer, as the list would have given).
        existing = [] if p.repo is None or p.created else p.get(protection.rulesets_path(full))
        for body in p.rulesets:
            names.append(body["name"])
            _apply_ruleset(p, full, body, existing)
    except GitHubError as exc:
        # Unavailable on the list or on the first create: nothing of a ruleset was applied.
        if not protection.rulesets_unavailable(exc) or len(names) > 1:
            raise
        return _classic(p, reason=exc.message)
    p.protection = "ruleset"
    return StepReport(
        "protection", p.status(len(p.calls) > before), f"ruleset {', '.join(names)} on {full}"
    )


def _learn(p: PublishRun, name: str, answer: Any) -> None:
    """Keep the enforcement GitHub answered for ruleset `name` (the verify step needs it)."""
    if isinstance(answer, dict) and answer.get("name") == name and "enforcement" in answer:
        p.ruleset_state[name] = answer["enforcement"]
    else:
        p.ruleset_state.pop(name, None)


def _apply_ruleset(p: PublishRun, full: str, body: dict[str, Any], existing: list[Any]) -> None:
    name = body["name"]
    match = next((r for r in existing if r.get("name") == name), None)
    if match is None:
        try:
            answer = p.write(f"create ruleset {name}", "POST", f"/repos/{full}/rulesets", body)
            _learn(p, name, answer)
            return
        except GitHubError as exc:
            if exc.status != 422:  # 422: a create that timed out but landed
                raise
            existing = p.get(protection.rulesets_path(full))
            match = next((r for r in existing if r.get("name") == name), None)
            if match is None:
                raise
    current = p.get(f"/repos/{full}/rulesets/{match['id']}")
    _learn(p, name, current)
    if not protection.same_ruleset(body, current):
        path = f"/repos/{full}/rulesets/{match['id']}"
        _learn(p, name, p.write(f"update ruleset {name}", "PUT", path, body))


def _classic(p: PublishRun, reason: str) -> StepReport:
    full = p.full_name
    branch = str((p.repo or {}).get("default_branch") or push.BRANCH)
    body, signatures, lost = protection.classic_protection(p.rulesets)
    # Raw PUT, not `Branch.edit_protection()`: that sends null for every argument left
    # unset and cannot say allow_force_pushes/allow_deletions false; this body is exact.
    path = f"/repos/{full}/branches/{branch}/protection"
    changed = True
    try:
        current = None
        if p.repo is not None and not p.created:  # look first: write only what differs
            try:
                current = p.get(path)
            except GitHubError as exc:
                if exc.status != 404:  # 404: "Branch not protected"
                    raise
        if current is not None and protection.same_protection(body, signatures, current):
            p.branch_protection = current
            changed = False
        else:
            answer = p.write(f"protect {branch}", "PUT", path, body)
            p.branch_protection = answer if isinstance(answer, dict) else None
            if signatures:
                p.write("require signed commits", "POST", f"{path}/required_signatures")
                p.branch_protection = None  # its answer is not the whole protection
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
        p.status(changed),
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
