"""verify: read every setting back from GitHub; a difference fails the step."""

from __future__ import annotations

from scaffolder.errors import GitHubError
from scaffolder.publish import push, security
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    if p.dry:
        return StepReport("verify", "skipped", "dry run: nothing to read back")
    full = p.full_name
    p.applied = security.read_back(p.get, full)
    if p.protection == "ruleset":
        found = {r["name"]: r for r in p.get(f"/repos/{full}/rulesets")}
        p.applied["rulesets"] = [
            {"name": body["name"], "enforcement": found[body["name"]]["enforcement"]}
            for body in p.rulesets
            if body["name"] in found
        ]
    elif p.protection == "branch-protection":
        branch = str((p.repo or {}).get("default_branch") or push.BRANCH)
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
