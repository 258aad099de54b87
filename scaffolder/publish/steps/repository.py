"""repository: create it, or make sure the one that exists holds only this project's commits."""

from __future__ import annotations

from typing import Any

from scaffolder.errors import GitHubError, RepositoryConflictError
from scaffolder.publish import push
from scaffolder.publish.model import RepositoryInfo
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    full = p.full_name
    existing = p.get_or_none(f"/repos/{full}")
    if existing is None:
        body: dict[str, Any] = {"name": p.name}
        if p.description:
            body["description"] = p.description
        if homepage := p.answers.get("homepage"):
            body["homepage"] = str(homepage)
        body |= {"private": p.request.private, "delete_branch_on_merge": True}
        path = f"/orgs/{p.owner}/repos" if p.org else "/user/repos"
        # The POST PyGithub's `create_repo` sends, without its `get_organization` first (a
        # second GET /orgs/{org}: identity has read the organisation already).
        try:
            made = p.write(f"create repository {full}", "POST", path, body)
        except GitHubError as exc:
            # A create that timed out may have landed: look again before giving up.
            existing = p.get_or_none(f"/repos/{full}") if exc.status == 422 else None
            if existing is None:
                raise
        else:
            if p.dry:
                return StepReport("repository", "planned", f"create {full} ({_visibility(p)})")
            p.created = True
            p.branches = {}  # created without auto_init: no branch until the push
            _set_repo(p, made)
            return StepReport("repository", "done", f"created {full} ({_visibility(p)})")
    _check_ours(p, existing)
    _set_repo(p, existing)
    return StepReport(
        "repository", "unchanged", f"{full} exists and holds only this project's commits"
    )


def _visibility(p: PublishRun) -> str:
    return "private" if p.request.private else "public"


def _set_repo(p: PublishRun, data: Any) -> None:
    owner = data.get("owner") if isinstance(data, dict) else None
    fields = {k: data.get(k) for k in ("name", "html_url", "clone_url")} if owner else {}
    if not isinstance(owner, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise GitHubError(
            f"GitHub's answer for {p.full_name} is not a repository (no owner, name, html_url "
            "or clone_url)",
            hint="check --github-api-url; if it is right, GitHub answered oddly: try again",
        )
    p.learn_repo(data)
    p.repo_info = RepositoryInfo(
        owner=str(owner.get("login") or p.owner),
        name=str(fields["name"]),
        html_url=str(fields["html_url"]),
        clone_url=push.clean_url(str(fields["clone_url"])),
        private=bool(data.get("private")),
        created=p.created,
    )
    p.owner = p.repo_info.owner


def _check_ours(p: PublishRun, data: dict[str, Any]) -> None:
    full = p.full_name
    permissions = data.get("permissions")
    # An app installation's token may be answered without the caller's `permissions`: then
    # GitHub itself refuses, at the first write, what the app's permissions do not cover.
    known = permissions is not None or p.identity is not None
    if known and not (permissions or {}).get("admin"):
        who = p.identity.login if p.identity else "the GitHub App installation"
        raise RepositoryConflictError(full_name=full, reason=f"{who} cannot administer it")
    branches = p.get(f"/repos/{full}/branches") or []
    p.branches = {}
    for branch in branches:
        sha = str(((branch or {}).get("commit") or {}).get("sha") or "")
        p.branches[str((branch or {}).get("name"))] = sha
        if not push.in_history(p.path, sha):
            raise RepositoryConflictError(
                full_name=full,
                reason=f"its branch {branch['name']} holds commits that are not in {p.path}",
            )
    if bool(data.get("private")) != p.request.private:
        now = "private" if data.get("private") else "public"
        p.warnings.append(f"{full} is {now} on GitHub; its visibility was left as it is")


STEP = Step[PublishRun]("repository", run, detail=lambda p: p.full_name, writes="remote")
