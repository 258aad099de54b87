"""identity: who the token is, and whether the owner is that user or one of its organisations.

A GitHub App installation token (what a CI job usually has) belongs to no user: GitHub answers
its `GET /user` with 403 "Resource not accessible by integration". It publishes to the
organisation the app is installed on, named with `--github-owner`; the writes that follow are
the app's, as far as its permissions go (GitHub refuses the others).
"""

from __future__ import annotations

from scaffolder.access.identity import is_installation_refusal
from scaffolder.errors import GitHubError, GitHubPermissionError, UsageError
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    try:
        if p.request.policy is not None and p.access_facts().has_token:
            p.identity = p.access_facts().identity()  # the one GET /user the policy reads too
        else:
            p.identity = p.client.identity()
    except GitHubError as exc:
        if not is_installation_refusal(exc):
            raise
        return _installation(p)
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


def _installation(p: PublishRun) -> StepReport:
    """An app installation's token: the owner must be an organisation, given by name."""
    p.identity = None
    if not p.owner:
        raise UsageError(
            "the token is a GitHub App installation's, which belongs to no user account "
            "(GitHub answered GET /user: Resource not accessible by integration)",
            hint="pass --github-owner ORG: the organisation the app is installed on",
        )
    org = p.get_or_none(f"/orgs/{p.owner}")
    if org is None:
        raise GitHubPermissionError(
            f"{p.owner} is not an organisation (the token is a GitHub App installation's, "
            "which publishes only to an organisation it is installed on)",
            hint="pass --github-owner ORG: the organisation the app is installed on",
        )
    p.owner = str(org["login"])
    p.org = True
    source = p.client.token.source
    return StepReport(
        "identity",
        "done",
        f"a GitHub App installation (token from {source}); owner {p.owner} (organisation)",
    )


STEP = Step[PublishRun]("identity", run, detail=lambda p: p.client.api_url)
