"""The `branch-ruleset` check: `.github/rulesets/*.json` protects the default branch, and
nothing in it makes merging impossible by construction.

A ruleset passes when it covers the default branch, is active, forbids deletion and force
pushes, requires pull requests with all five parameters and status checks, and:

* requires approvals by the lifecycle rule (2 in production, else 1) with code-owner review,
  unless the project records `review_mode: none`, or records none and its Backstage owner is a
  user (a user-owned repository, where the author is the only reviewer and GitHub never lets
  authors approve their own pull request): then it must require no approvals and no code-owner
  review;
* requires at least the CI and CodeQL jobs' checks, and every required check names a job the
  workflows define (a check nobody reports blocks every merge);
* has no bypass actor other than one that bypasses through pull requests only (the baseline's
  explicit `admin_bypass` choice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scaffolder.audit.model import Outcome
from scaffolder.audit.repo import Repository, read_text
from scaffolder.audit.workflows import ANY_TEST_COMMAND, _steps_using

BASELINE_ANSWERS = ".copier-answers.baseline.yml"
PR_PARAMETERS = (
    "required_approving_review_count",
    "dismiss_stale_reviews_on_push",
    "require_code_owner_review",
    "require_last_push_approval",
    "required_review_thread_resolution",
)


def _mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one: for reading files of any shape."""
    return value if isinstance(value, Mapping) else {}


def review_mode(repo: Repository) -> str:
    """The baseline's recorded `review_mode`; unrecorded, its default rule: "none" when the
    Backstage owner is a user, else "team"."""
    import yaml

    path = repo.root / BASELINE_ANSWERS
    try:
        data = yaml.safe_load(read_text(path)) if path.is_file() else None
    except (OSError, ValueError, yaml.YAMLError):
        data = None
    recorded = _mapping(data).get("review_mode")
    if recorded in ("none", "team"):
        return str(recorded)
    owner = _mapping(_mapping(repo.component).get("spec")).get("owner")
    return "none" if isinstance(owner, str) and owner.startswith("user:") else "team"


def _required_contexts(repo: Repository) -> dict[str, list[str]]:
    """Status checks the ruleset must require: the CI test jobs' and CodeQL jobs' names."""
    wanted: dict[str, list[str]] = {}
    for _, job, _ in _steps_using(repo, "github/codeql-action/analyze"):
        wanted.setdefault("CodeQL", []).extend(job.check_names())
    commands = [lang.audit.test_command for lang in repo.known_languages] or [ANY_TEST_COMMAND]
    for w in repo.workflows:
        if not w.triggers & {"push", "pull_request"}:
            continue
        for job in w.jobs:
            if any(c.search(s.run) for s in job.steps for c in commands if s.run):
                wanted.setdefault("CI", []).extend(job.check_names())
    return wanted


def _reported_checks(repo: Repository) -> set[str]:
    """Every check-run name the workflows report on pull requests."""
    return {
        name
        for w in repo.workflows
        if "pull_request" in w.triggers
        for job in w.jobs
        for name in job.check_names()
    }


def _pull_request_problems(params: Mapping[str, Any], minimum: int, mode: str) -> list[str]:
    problems = []
    if missing := [p for p in PR_PARAMETERS if p not in params]:
        problems.append(
            f"the pull_request rule lacks {', '.join(missing)} (GitHub requires all five)"
        )
    approvals = params.get("required_approving_review_count")
    if mode == "none":
        if approvals not in (0, None) or params.get("require_code_owner_review") is True:
            problems.append(
                "it requires approvals or code-owner review that nobody can give: the project "
                "records review_mode none (a user-owned repository, whose author cannot approve "
                "their own pull request)"
            )
        flags: tuple[str, ...] = ("dismiss_stale_reviews_on_push",)
    else:
        if not isinstance(approvals, int) or approvals < minimum:
            problems.append(f"pull requests need {approvals!r} approvals, not at least {minimum}")
        flags = (
            "dismiss_stale_reviews_on_push",
            "require_code_owner_review",
            "require_last_push_approval",
        )
    for flag in flags:
        if flag in params and params[flag] is not True:
            problems.append(f"{flag} is not true")
    return problems


def _check_problems(repo: Repository, params: Mapping[str, Any]) -> list[str]:
    checks = params.get("required_status_checks")
    contexts = [
        str(c.get("context"))
        for c in (checks if isinstance(checks, list) else [])
        if isinstance(c, Mapping) and c.get("context")
    ]
    if not contexts:
        return ["it requires no status checks"]
    problems = []
    for what, names in _required_contexts(repo).items():
        if missing := [n for n in names if n not in contexts]:
            problems.append(
                f"it does not require the {what} check{'s' if len(missing) > 1 else ''} "
                + ", ".join(missing)
            )
    reported = _reported_checks(repo)
    if repo.workflows and (unknown := [c for c in contexts if c not in reported]):
        problems.append(
            "it requires checks no workflow job reports on pull requests, which would block "
            "every merge: " + ", ".join(unknown)
        )
    return problems


def _bypass_problems(actors: Any) -> list[str]:
    if not actors:
        return []
    listed = actors if isinstance(actors, list) else [actors]
    if all(_mapping(a).get("bypass_mode") == "pull_request" for a in listed):
        return []
    return ["it has bypass actors that bypass outside pull requests (bypass_mode always)"]


def _ruleset_problems(repo: Repository, data: Any, minimum: int, mode: str) -> list[str]:
    if not isinstance(data, Mapping):
        return ["it is not a JSON object"]
    problems = []
    if data.get("target", "branch") != "branch":
        problems.append(f"target is {data.get('target')!r}, not 'branch'")
    if data.get("enforcement") != "active":
        problems.append(f"enforcement is {data.get('enforcement')!r}, not 'active'")
    problems += _bypass_problems(data.get("bypass_actors"))
    include = _mapping(_mapping(data.get("conditions")).get("ref_name")).get("include")
    if not isinstance(include, list) or not {"~DEFAULT_BRANCH", "~ALL"} & {
        i for i in include if isinstance(i, str)
    }:
        problems.append("it does not cover the default branch (~DEFAULT_BRANCH)")
    listed = data.get("rules")
    rules = {
        r.get("type"): _mapping(r.get("parameters"))
        for r in (listed if isinstance(listed, list) else [])
        if isinstance(r, Mapping)
    }
    for rule in ("deletion", "non_fast_forward", "pull_request", "required_status_checks"):
        if rule not in rules:
            problems.append(f"it has no {rule} rule")
    if "pull_request" in rules:
        problems += _pull_request_problems(rules["pull_request"], minimum, mode)
    if "required_status_checks" in rules:
        problems += _check_problems(repo, rules["required_status_checks"])
    return problems


def check_branch_ruleset(repo: Repository) -> Outcome:
    folder = repo.root / ".github" / "rulesets"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        return ["no ruleset in .github/rulesets/*.json"], ""
    lifecycle = _mapping(_mapping(repo.component).get("spec")).get("lifecycle")
    mode = review_mode(repo)
    minimum = 0 if mode == "none" else 2 if lifecycle == "production" else 1
    failures = []
    for path in files:
        rel = path.relative_to(repo.root).as_posix()
        try:
            data = json.loads(read_text(path))
        except ValueError as exc:
            failures.append(f"{rel} is not valid JSON: {exc}")
            continue
        problems = _ruleset_problems(repo, data, minimum, mode)
        if not problems:
            reviews = (
                "no approvals: review_mode none, a user-owned repository"
                if mode == "none"
                else f"{minimum}+ approvals, lifecycle {lifecycle or 'unknown'}"
            )
            return [], f"{rel} protects the default branch ({reviews})"
        failures += [f"{rel}: {p}" for p in problems]
    return failures, ""
