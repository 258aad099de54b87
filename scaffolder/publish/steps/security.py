"""security: alerts, Dependabot updates, secret scanning, private reporting, Actions token;
CodeQL default setup off (CodeQL runs from the workflow).

On a repository this run created, each switch is written (nothing is known of it yet, and one
write costs less than a read and a write). On one that exists, each switch's state is read first
(`security.read`, kept in `p.facts` for the verify step) and only the switches that differ are
written, so a finished repository gets no writes and a switch turned off by hand gets one.
A switch GitHub does not offer this repository (`security.not_offered`) is not asked for.
"""

from __future__ import annotations

from scaffolder.errors import GitHubError
from scaffolder.publish import align, security
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo


def _private(p: PublishRun) -> bool:
    return p.repo_info.private if p.repo_info is not None else p.request.private


def _known(p: PublishRun, switch: security.Switch) -> bool:
    """Whether `switch` is already as wanted; reads its state first when it is not known."""
    if p.repo is None:  # a dry run before the repository exists: everything is to be done
        return False
    if not p.created:
        security.read_missing(p.get, p.full_name, p.facts, switch.keys)
    return all(p.facts.get(key) == want for key, want in switch.wanted().items())


def run(p: PublishRun, undo: Undo) -> StepReport:
    full = p.full_name
    private = _private(p)
    done, unchanged, skipped = [], [], []
    for switch in security.switches(full):
        if reason := security.not_offered(switch, p.repo, org=p.org, private=private):
            skipped.append(f"{switch.name} (unavailable: {reason})")
            p.excused.update(switch.keys)
            for key in switch.keys:
                p.facts.setdefault(key, security.UNAVAILABLE)
            continue
        if _known(p, switch):
            unchanged.append(switch.name)
            continue
        try:
            answer = p.write(switch.name, switch.method, switch.path, switch.body)
        except GitHubError as exc:
            if not (switch.optional and security.unavailable(exc)):
                raise
            skipped.append(f"{switch.name} (unavailable: {exc.message.split(': ', 1)[-1]})")
            p.excused.update(switch.keys)
            continue
        done.append(switch.name)
        proven = switch.proves(answer)
        for key in switch.keys:  # what the answer proves is known; the rest is read back
            p.facts.pop(key, None)
        p.facts.update(proven or {})
    setup = _default_setup(p, private)
    (done if setup == "done" else unchanged).append(
        "CodeQL default setup not configured (CodeQL runs from the workflow)"
    )
    p.warnings.extend(skipped)
    detail = "; ".join(done + [f"{name} (already on)" for name in unchanged] + skipped)
    return StepReport("security", p.status(bool(done)), detail)


def _default_setup(p: PublishRun, private: bool) -> str:
    """Turn CodeQL default setup off where it is on: "done" or "unchanged"."""
    key = "code_scanning_default_setup"
    if p.repo is None:
        return "unchanged"  # a dry run before the repository exists: a new one has it off
    offered = align.code_security(p.repo, private=private)
    if offered is None and not p.org:
        offered = False  # GitHub Code Security is sold to organisations only
    if offered is False:  # no code scanning here at all, so no default setup either
        p.facts[key] = security.UNAVAILABLE
        return "unchanged"
    setup = next(r for r in security.READS if key in r.keys)
    if key not in p.facts:
        p.facts.update(security.read(p.get, p.full_name, setup))
    if p.facts[key] in ("not-configured", security.UNAVAILABLE):
        return "unchanged"
    path = f"/repos/{p.full_name}{setup.suffix}"
    p.write("CodeQL default setup off", "PATCH", path, security.DEFAULT_SETUP_BODY)
    p.facts.pop(key)  # GitHub answers with a run, not the state: the verify step reads it
    return "done"


STEP = Step[PublishRun](
    "security", run, detail=lambda p: "alerts, updates, scanning, Actions", writes="remote"
)
