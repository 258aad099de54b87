"""settings: description, homepage, delete-branch-on-merge and topics, where they differ."""

from __future__ import annotations

import re
from typing import Any

from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def topics_for(answers: dict[str, Any], template: str, languages: tuple[str, ...]) -> list[str]:
    """GitHub topics from the answers: a `topics` answer if the template asks one, otherwise
    the languages, the template, the lifecycle and the system."""
    given = answers.get("topics")
    if given:
        items = list(given) if isinstance(given, list | tuple) else str(given).split(",")
    else:
        system = str(answers.get("system") or "").split("/")[-1].split(":")[-1]
        items = [*languages, template, str(answers.get("lifecycle") or ""), system]
    topics: list[str] = []
    for item in items:
        topic = re.sub(r"[^a-z0-9-]+", "-", str(item).strip().lower()).strip("-")[:50]
        if topic and topic not in topics:
            topics.append(topic)
    return topics[:20]


def run(p: PublishRun, undo: Undo) -> StepReport:
    full = p.full_name
    repo = p.repo or {}
    wanted: dict[str, Any] = {"delete_branch_on_merge": True}
    if p.description:
        wanted["description"] = p.description
    if homepage := p.answers.get("homepage"):
        wanted["homepage"] = str(homepage)
    patch = {k: v for k, v in wanted.items() if repo.get(k) != v}
    done = []
    if patch and p.repo is not None:
        p.learn_repo(p.write(f"update {full}", "PATCH", f"/repos/{full}", patch))
        done.append(", ".join(sorted(patch)))
    template = p.project.template
    topics = topics_for(p.answers, template.name, template.languages)
    if sorted(repo.get("topics") or []) != sorted(topics):
        answer = p.write(f"set topics of {full}", "PUT", f"/repos/{full}/topics", {"names": topics})
        names = answer.get("names") if isinstance(answer, dict) else None
        if isinstance(names, list):  # GitHub answers with the topics it now has
            p.facts["topics"] = list(names)
            if p.repo is not None:
                p.repo["topics"] = list(names)
        else:
            p.facts.pop("topics", None)
        done.append("topics " + ", ".join(topics))
    return StepReport("settings", p.status(bool(done)), "; ".join(done) or "already set")


STEP = Step[PublishRun](
    "settings",
    run,
    detail=lambda p: "description, topics, delete branch on merge",
    writes="remote",
)
