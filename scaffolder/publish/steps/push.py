"""push: `main` over HTTPS, the token in git's environment only; `origin` is the clean URL."""

from __future__ import annotations

import urllib.parse

from scaffolder.publish import push
from scaffolder.publish.model import Call
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def run(p: PublishRun, undo: Undo) -> StepReport:
    head = push.local_head(p.path)
    push.check_pushable(p.path)
    if p.repo_info is None:  # dry run, repository not created yet
        host = urllib.parse.urlsplit(p.client.api_url).hostname
        url = f"{host}/{p.full_name}.git"
        p.calls.append(Call("GIT", "push", {"url": f"clone_url of {url}", "refspec": "main:main"}))
        return StepReport("push", "planned", f"push main ({head[:12]})")
    url = p.repo_info.clone_url
    push.check_clone_url(url, p.client.api_url)  # before the token, or origin, go there
    remote = p.branches
    if remote is None:  # the repository step read them, or created the repository empty
        branches = p.get(f"/repos/{p.full_name}/branches") or []
        remote = {b["name"]: b["commit"]["sha"] for b in branches}
    status = p.status(remote.get(push.BRANCH) != head)
    if status == "unchanged":
        detail = f"main is already at {head[:12]}"
    else:
        p.calls.append(Call("GIT", "push", {"url": url, "refspec": "main:main"}))
        if not p.dry:
            push.push(
                p.path,
                url,
                p.client.token.value,
                api_url=p.client.api_url,
                retry=p.client.settings.retry,
            )
        detail = f"pushed main ({head[:12]})"
        p.branches = {**remote, push.BRANCH: head}
    if not p.dry and push.set_origin(p.path, url):
        detail += f"; origin is {url}"
    return StepReport("push", status, detail)


STEP = Step[PublishRun]("push", run, detail=lambda p: "main over HTTPS", writes="remote")
