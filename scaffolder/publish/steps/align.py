"""align: bring the project's answers and files in line with what GitHub offers the repository.

Runs after `repository` (which says who owns it and what it has) and before `push`, so the
pushed history already holds one "Align with what GitHub offers" commit: CODEOWNERS, the
catalog annotations, the Go module path, the workflows that need Code Security and the ruleset
(see `publish/align.py`). A second publish finds nothing to change.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from scaffolder.errors import UntrustedTemplateError
from scaffolder.publish import align
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def _offer(p: PublishRun) -> align.Offer:
    info = p.repo_info
    private = info.private if info is not None else p.request.private
    repo: Any = p.repo
    found = align.code_security(repo, private=private)
    if found is None and not p.org:
        found = False  # GitHub Code Security is sold to organisations only
    if found is None and repo is not None:  # a create's answer may leave it out: look again
        found = align.code_security(p.get_or_none(f"/repos/{p.full_name}"), private=private)
    if found is None:  # not created yet (a dry run): an Enterprise plan includes it
        plan = ((p.get_or_none(f"/orgs/{p.owner}") or {}).get("plan") or {}).get("name")
        found = True if plan == "enterprise" else None
    if found is None:
        found = False
        p.warnings.append(
            f"GitHub did not say whether {p.full_name} has GitHub Code Security; CodeQL, "
            "Scorecard and dependency review are left out (set code_security: true in "
            ".copier-answers.baseline.yml if it has, then publish again)"
        )
    web = info.html_url if info is not None else p.client.api_url
    host = urllib.parse.urlsplit(web).netloc
    host = "github.com" if host in ("github.com", "api.github.com") else host
    return align.Offer(
        owner=str(p.owner), host=host, org=p.org, private=private, code_security=found
    )


def run(p: PublishRun, undo: Undo) -> StepReport:
    project = p.project
    if not project.has_baseline:
        return StepReport("align", "skipped", "the project has no security baseline")
    if project.template_version and project.template_version != project.template.version:
        p.warnings.append(
            f"not aligned with what GitHub offers: the project is at {project.template.name} "
            f"{project.template_version}, this scaffolder renders {project.template.version}"
        )
        return StepReport("align", "skipped", f"template version {project.template_version}")
    offer = _offer(p)
    change = align.wanted(project, offer)
    if not change:
        return StepReport("align", "unchanged", "the answers match what GitHub offers")
    why = align.reasons(offer)
    said = [f"{k}: {v!r} ({why.get(k, '')})" for k, v in change.items()]
    if change.get("review_mode") == "none":
        p.warnings.append(
            f"{offer.owner} is a user account: pull requests to main require no approvals, "
            "because GitHub never lets authors approve their own; to require reviews, move the "
            "repository to an organisation (or add collaborators) and set review_mode: team in "
            ".copier-answers.baseline.yml, then publish again"
        )
    if change.get("code_security") is False:
        p.warnings.append(
            f"{p.full_name} has no GitHub Code Security: CodeQL, Scorecard and dependency "
            "review are left out and not required; enable Code Security (or make the "
            "repository public) and set code_security: true to bring them back"
        )
    try:
        files = align.plan(project, change)
    except UntrustedTemplateError as exc:
        p.warnings.append(f"not aligned with what GitHub offers: {exc.message}")
        return StepReport("align", "skipped", "the template is not trusted to render again")
    detail = f"{', '.join(said)}; files: {', '.join(files) or 'none'}"
    if p.dry:
        p.planned_files = dict(files)
        return StepReport("align", "planned", detail)
    paths = {rel: project.path / rel for rel in files}
    before = {rel: path.read_bytes() for rel, path in paths.items() if path.exists()}

    def restore() -> None:
        for rel in files:
            path = project.path / rel
            if rel in before:
                path.write_bytes(before[rel])
            else:
                path.unlink(missing_ok=True)

    undo.add("aligned files", restore)
    message = "Align with what GitHub offers: " + ", ".join(f"{k} {v}" for k, v in change.items())
    message += "\n\n" + "\n".join(f"- {line}" for line in said) + "\n"
    sha = align.apply(project, files, message)
    p.reload_project()
    return StepReport("align", "done", f"{detail}; commit {sha[:12]}")


STEP = Step[PublishRun]("align", run, detail=lambda p: "answers and files", writes="local")
