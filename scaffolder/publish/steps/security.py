"""security: alerts, Dependabot updates, secret scanning, private reporting, Actions token;
CodeQL default setup off (CodeQL runs from the workflow)."""

from __future__ import annotations

from scaffolder.errors import GitHubError
from scaffolder.publish import security
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    full = p.full_name
    done, skipped = [], []
    for switch in security.switches(full):
        try:
            p.write(switch.name, switch.method, switch.path, switch.body)
            done.append(switch.name)
        except GitHubError as exc:
            if not (switch.optional and security.unavailable(exc)):
                raise
            skipped.append(f"{switch.name} (unavailable: {exc.message.split(': ', 1)[-1]})")
            p.excused.update(switch.keys)
    setup_path = f"/repos/{full}/code-scanning/default-setup"
    try:
        state = None if p.repo is None else p.get(setup_path).get("state")
    except GitHubError as exc:
        if not security.unavailable(exc):
            raise
        state = "not-configured"  # code scanning is not on for this repository at all
    if state not in (None, "not-configured"):
        p.write("CodeQL default setup off", "PATCH", setup_path, security.DEFAULT_SETUP_BODY)
    done.append("CodeQL default setup not configured (CodeQL runs from the workflow)")
    p.warnings.extend(skipped)
    return StepReport("security", p.status(), "; ".join(done + skipped))


STEP = Step[PublishRun](
    "security", run, detail=lambda p: "alerts, updates, scanning, Actions", writes="remote"
)
