"""access: the access policy, once the owner is known and before the repository is created.

Runs only with a policy in force (`PublishOptions.policy`), right after `identity`, whose
`GET /user` it reuses. A refusal is `PolicyRefusedError` (exit 6) before any write to GitHub,
the catalog or the journal.
"""

from __future__ import annotations

from scaffolder.access import enforce
from scaffolder.access.rules import Intent
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    policy = p.request.policy
    if policy is None:
        raise RuntimeError("the access step runs only with a policy")
    facts = p.access_facts()
    # No template rule: publish renders nothing; `new` checked the template it was made from.
    intent = Intent(
        command="publish",
        owner=p.owner,
        visibility="private" if p.request.private else "public",
        answers=p.answers,
        has_token=facts.has_token,
    )
    checked = enforce.check(policy, intent, facts)
    p.warnings.extend(w for w in checked.warnings if w not in p.warnings)
    if p.on_allowed is not None:
        p.on_allowed()
    return StepReport(enforce.STEP_NAME, "done", checked.summary)


STEP = Step[PublishRun](enforce.STEP_NAME, run, detail=lambda p: enforce.STEP_DETAIL)
