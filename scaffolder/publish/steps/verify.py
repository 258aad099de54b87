"""verify: every setting as GitHub shows it; a difference fails the step.

What GitHub already said in this run counts as shown (`p.facts`: a GET by an earlier step, or a
write whose answer holds the new state, such as the create, the PATCH of the repository, the
ruleset's POST or PUT and the protection's PUT). Every other setting, above all those whose
write answered nothing (a 204), is read back here.
"""

from __future__ import annotations

from typing import Any

from scaffolder.errors import GitHubError
from scaffolder.publish import protection, push, security
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    if p.dry:
        return StepReport("verify", "skipped", "dry run: nothing to read back")
    full = p.full_name
    security.read_missing(p.get, full, p.facts)
    p.applied = {key: p.facts[key] for key in security.APPLIED_KEYS}
    if p.protection == "ruleset":
        if any(body["name"] not in p.ruleset_state for body in p.rulesets):
            for found in p.get(protection.rulesets_path(full)):
                p.ruleset_state[found["name"]] = found["enforcement"]
        p.applied["rulesets"] = [
            {"name": body["name"], "enforcement": p.ruleset_state[body["name"]]}
            for body in p.rulesets
            if body["name"] in p.ruleset_state
        ]
    elif p.protection == "branch-protection":
        branch = str((p.repo or {}).get("default_branch") or push.BRANCH)
        got: Any = p.branch_protection
        if got is None:
            got = p.get(f"/repos/{full}/branches/{branch}/protection")
        p.applied["branch_protection"] = {
            "branch": branch,
            "enforce_admins": (got.get("enforce_admins") or {}).get("enabled"),
            "required_reviews": (got.get("required_pull_request_reviews") or {}).get(
                "required_approving_review_count"
            ),
            "required_checks": (got.get("required_status_checks") or {}).get("contexts"),
            "allow_force_pushes": (got.get("allow_force_pushes") or {}).get("enabled"),
            "allow_deletions": (got.get("allow_deletions") or {}).get("enabled"),
        }
    problems = security.mismatches(p.applied, p.excused)
    if p.protection == "ruleset" and len(p.applied["rulesets"]) != len(p.rulesets):
        problems.append("a ruleset is missing on GitHub")
    if problems:
        raise GitHubError(f"GitHub does not show what was applied: {'; '.join(problems)}")
    return StepReport("verify", "done", "every setting reads back as applied")


STEP = Step[PublishRun]("verify", run, detail=lambda p: "read back from GitHub")
