"""identity: who the token is, and whether the owner is that user or one of its organisations."""

from __future__ import annotations

from scaffolder.errors import GitHubPermissionError
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    if p.request.policy is not None and p.access_facts().has_token:
        p.identity = p.access_facts().identity()  # the one GET /user the policy reads too
    else:
        p.identity = p.client.identity()
    login = p.identity.login
    p.owner = p.owner or login
    if p.owner.lower() != login.lower():
        org = p.get_or_none(f"/orgs/{p.owner}")
        if org is None:
            raise GitHubPermissionError(
                f"{p.owner} is neither {login} (the token's account) nor an organisation",
                hint=f"pass --github-owner {login}, or an organisation {login} belongs to",
            )
        p.owner = str(org["login"])
        p.org = True
    kind = "organisation" if p.org else "user"
    source = p.client.token.source
    return StepReport(
        "identity", "done", f"{login} (token from {source}); owner {p.owner} ({kind})"
    )


STEP = Step[PublishRun]("identity", run, detail=lambda p: p.client.api_url)
