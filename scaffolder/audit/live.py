"""`scaffolder audit --live`: what GitHub has in force for a repository, against what it declares.

Each check passes, fails (with the reason and the command that re-applies the setting) or is
`unavailable`: the repository's plan does not offer it, as publish recorded it in the answers
(`code_security: false`), as the repository's own JSON says (publish's `security.not_offered`)
or as GitHub answers when asked (a 403/404/422 for an optional feature: `security.read`).

=================================  ==============================================================
rulesets                           every `.github/rulesets/*.json` exists on GitHub (by name),
                                   with the file's enforcement, and the same target, conditions,
                                   rules with their parameters, and bypass actors (ids, sources
                                   and timestamps are GitHub's own and not compared)
branch-protection                  instead, where GitHub offers no rulesets (an Enterprise Server
                                   without them, or the plan): the default branch's classic
                                   protection says what the rulesets mean (`classic_protection`)
vulnerability-alerts               Dependabot alerts on
dependabot-security-updates        Dependabot security updates on
secret-scanning                    secret scanning and push protection both enabled
private-vulnerability-reporting    private vulnerability reporting on
actions-token                      the workflow token read-only, and Actions may not approve
                                   pull requests
codeql-default-setup               CodeQL default setup not configured (CodeQL runs from the
                                   baseline's workflow; GitHub refuses its uploads otherwise)
=================================  ==============================================================

The settings are read with publish's own reading (`publish/security.py`: `READS`, `read`),
the rulesets compared as publish's `same_ruleset` would update them, so a failed check is
exactly what `scaffolder publish DIR` re-applies. Reads only: GET requests, about eight for a
repository with one ruleset. A repository the token cannot read, or whose settings it may not
see (they need admin rights), raises `GitHubPermissionError`: a fleet run reports it as that
repository's failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scaffolder.audit.live_source import Declared
from scaffolder.errors import GitHubError, GitHubPermissionError
from scaffolder.publish import align, protection, security

CheckStatus = Literal["passed", "failed", "unavailable"]
Get = Callable[[str], Any]
UNAVAILABLE = security.UNAVAILABLE
#: The checks in report order (`rulesets` is `branch-protection` where rulesets are not offered).
NAMES = (
    "rulesets",
    "vulnerability-alerts",
    "dependabot-security-updates",
    "secret-scanning",
    "private-vulnerability-reporting",
    "actions-token",
    "codeql-default-setup",
)


@dataclass(frozen=True)
class LiveCheck:
    name: str
    status: CheckStatus
    reason: str
    #: The command that re-applies the setting (failed checks only).
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "reason": self.reason, "fix": self.fix}


def _passed(name: str, reason: str) -> LiveCheck:
    return LiveCheck(name, "passed", reason)


def _unavailable(name: str, reason: str) -> LiveCheck:
    return LiveCheck(name, "unavailable", reason)


# -- reading -----------------------------------------------------------------------------------
def read_repository(get: Get, slug: str) -> dict[str, Any]:
    """The repository's JSON; GitHubPermissionError when the token cannot see its settings."""
    try:
        repo = get(f"/repos/{slug}")
    except GitHubError as exc:
        if exc.status not in (403, 404):
            raise
        raise GitHubPermissionError(
            f"cannot read {slug}: GitHub answered {exc.status} (no such repository, or the "
            "token may not see it)",
            hint="check OWNER/REPO and the token's access to it",
            status=exc.status,
        ) from exc
    if not isinstance(repo, dict):
        raise GitHubError(f"read {slug}: GitHub answered with something that is no repository")
    if (repo.get("permissions") or {}).get("admin") is False:
        raise GitHubPermissionError(
            f"cannot read the settings of {slug}: GitHub shows them to its admins only",
            hint="use a token of an admin of the repository (classic: `repo` scope; "
            "fine-grained: Administration read)",
            status=403,
        )
    return repo


Facts = tuple[dict[str, Any], dict[str, str]]


def _facts(get: Get, declared: Declared, repo: Mapping[str, Any]) -> Facts:
    """Every setting publish applies, as GitHub shows it; and why a setting is not offered."""
    slug = declared.slug
    private = bool(repo.get("private"))
    org = (repo.get("owner") or {}).get("type") == "Organization"
    facts: dict[str, Any] = security.repo_facts(repo)
    for key in ("secret_scanning", "secret_scanning_push_protection"):
        facts.setdefault(key, UNAVAILABLE)  # no security_and_analysis: not offered here
    why: dict[str, str] = {}
    for switch in security.switches(slug):
        if reason := security.not_offered(switch, repo, org=org, private=private):
            for key in switch.keys:
                facts[key], why[key] = UNAVAILABLE, reason
    offered = align.code_security(repo, private=private)
    if offered is None and not org:
        offered = False  # GitHub Code Security is sold to organisations only
    key = "code_scanning_default_setup"
    if declared.answers.get("code_security") is False:
        facts[key] = UNAVAILABLE
        why[key] = "the project records code_security: false (no GitHub Code Security)"
    elif offered is False:
        facts[key] = UNAVAILABLE
        why[key] = "this private repository has no GitHub Code Security"
    keys = tuple(k for k in security.APPLIED_KEYS if k not in security.REPO_KEYS)
    security.read_missing(get, slug, facts, keys)
    return facts, why


# -- the settings' checks ----------------------------------------------------------------------
def _switch(
    facts: Mapping[str, Any], why: Mapping[str, str], wants: Sequence[tuple[str, str]]
) -> tuple[CheckStatus, list[str]]:
    """passed/failed/unavailable for the `wants` (key, label) and what differs."""
    keys = [key for key, _ in wants]
    if any(facts.get(k) == UNAVAILABLE for k in keys):
        reason = next((why[k] for k in keys if k in why), "GitHub does not offer it here")
        return "unavailable", [reason]
    wrong = [
        f"{label} is {_shown(facts.get(key))} (expected {_shown(security.EXPECTED[key])})"
        for key, label in wants
        if facts.get(key) != security.EXPECTED[key]
    ]
    return ("failed" if wrong else "passed"), wrong


def _shown(value: Any) -> str:
    if value is True:
        return "on"
    if value is False or value is None:
        return "off" if value is False else "not set"
    return str(value)


SETTINGS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("vulnerability-alerts", "Dependabot alerts on", (("vulnerability_alerts", "alerts"),)),
    (
        "dependabot-security-updates",
        "Dependabot security updates on",
        (("automated_security_fixes", "security updates"),),
    ),
    (
        "secret-scanning",
        "secret scanning and push protection enabled",
        (
            ("secret_scanning", "secret scanning"),
            ("secret_scanning_push_protection", "push protection"),
        ),
    ),
    (
        "private-vulnerability-reporting",
        "private vulnerability reporting on",
        (("private_vulnerability_reporting", "private vulnerability reporting"),),
    ),
    (
        "actions-token",
        "workflow token read-only; Actions may not approve pull requests",
        (
            ("default_workflow_permissions", "the workflow token's default permissions"),
            ("can_approve_pull_request_reviews", "Actions approving pull requests"),
        ),
    ),
    (
        "codeql-default-setup",
        "CodeQL default setup not configured (CodeQL runs from the workflow)",
        (("code_scanning_default_setup", "CodeQL default setup"),),
    ),
)


def _settings(facts: Mapping[str, Any], why: Mapping[str, str], fix: str) -> list[LiveCheck]:
    checks = []
    for name, summary, wants in SETTINGS:
        status, reasons = _switch(facts, why, wants)
        if status == "passed":
            checks.append(_passed(name, summary))
        elif status == "unavailable":
            checks.append(_unavailable(name, reasons[0]))
        else:
            checks.append(LiveCheck(name, "failed", "; ".join(reasons), fix))
    return checks


# -- rulesets ----------------------------------------------------------------------------------
def _differences(want: Any, have: Any, where: str) -> list[str]:
    """What `have` (GitHub's copy) lacks of `want` (the file): GitHub's extra keys aside."""
    if isinstance(want, Mapping):
        if not isinstance(have, Mapping):
            return [f"{where} is {have!r} on GitHub"]
        found = []
        for key, value in want.items():
            if key not in have and value in ([], {}, None, False):
                continue  # GitHub may leave out an empty list, a zero or a false flag
            found += _differences(value, have.get(key), f"{where}.{key}" if where else key)
        return found
    if isinstance(want, list):
        have_list = have if isinstance(have, list) else []
        if len(want) != len(have_list) or any(
            _differences(w, h, where) for w, h in zip(want, have_list, strict=False)
        ):
            return [f"{where} is {have!r} on GitHub; the file says {want!r}"]
        return []
    if want != have:
        return [f"{where} is {have!r} on GitHub; the file says {want!r}"]
    return []


def _rules(ruleset: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(r.get("type")): r.get("parameters") or {}
        for r in ruleset.get("rules") or []
        if isinstance(r, Mapping)
    }


def compare_ruleset(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    """How GitHub's ruleset differs from the file's, in the parts that mean something."""
    name = want["name"]
    problems = []
    if have.get("enforcement") != want.get("enforcement"):
        problems.append(
            f"ruleset {name} is {have.get('enforcement')} on GitHub; the file says "
            f"{want.get('enforcement')}"
        )
    for key in ("target", "conditions"):
        if key in want:
            found = _differences(want[key], have.get(key), key)
            problems += [f"ruleset {name}: {p}" for p in found]
    want_rules, have_rules = _rules(want), _rules(have)
    for kind in want_rules:
        if kind not in have_rules:
            problems.append(f"ruleset {name} lacks the {kind} rule on GitHub")
        else:
            where = f"rule {kind}"
            found = _differences(want_rules[kind], have_rules[kind], where)
            problems += [f"ruleset {name}: {p}" for p in found]
    for kind in sorted(set(have_rules) - set(want_rules)):
        problems.append(f"ruleset {name} has a {kind} rule on GitHub the file does not declare")
    want_bypass = want.get("bypass_actors") or []
    have_bypass = have.get("bypass_actors") or []
    if _differences(want_bypass, have_bypass, "bypass_actors"):
        problems.append(
            f"ruleset {name}: bypass actors on GitHub are {have_bypass!r}; the file says "
            f"{want_bypass!r}"
        )
    return problems


def _rulesets(get: Get, declared: Declared, repo: Mapping[str, Any]) -> LiveCheck:
    slug, fix = declared.slug, declared.fix
    if not declared.rulesets:
        return LiveCheck(
            "rulesets",
            "failed",
            f"the repository declares no {protection.RULESETS_DIR}/*.json: its branches are "
            "not protected",
            f"add the baseline's {protection.RULESETS_DIR}/default-branch.json, then: {fix}",
        )
    try:
        existing = get(protection.rulesets_path(slug))
    except GitHubError as exc:
        if not protection.rulesets_unavailable(exc):
            raise
        return _branch_protection(get, declared, repo, exc.message)
    by_name = {r.get("name"): r for r in existing if isinstance(r, Mapping)}
    problems = []
    for body in declared.rulesets:
        found = by_name.get(body["name"])
        if found is None:
            problems.append(f"ruleset {body['name']} does not exist on GitHub")
            continue
        problems += compare_ruleset(body, get(f"/repos/{slug}/rulesets/{found['id']}"))
    if problems:
        return LiveCheck("rulesets", "failed", "; ".join(problems), fix)
    names = ", ".join(str(b["name"]) for b in declared.rulesets)
    return _passed("rulesets", f"{names} on GitHub as {protection.RULESETS_DIR} declares")


def _branch_protection(
    get: Get, declared: Declared, repo: Mapping[str, Any], why: str
) -> LiveCheck:
    name = "branch-protection"
    branch = str(repo.get("default_branch") or "main")
    body, signatures, _lost = protection.classic_protection(declared.rulesets)
    try:
        current = get(f"/repos/{declared.slug}/branches/{branch}/protection")
    except GitHubError as exc:
        if protection.plan_limited(exc):
            return _unavailable(
                "rulesets",
                "GitHub offers neither rulesets nor branch protection for this repository on "
                "its plan (make it public or upgrade the plan, then publish again)",
            )
        if exc.status == 404:
            reason = f"{branch} is not protected (rulesets unavailable: {why.split(': ', 1)[-1]})"
            return LiveCheck(name, "failed", reason, declared.fix)
        raise
    if not protection.same_protection(body, signatures, current):
        return LiveCheck(
            name,
            "failed",
            f"the classic protection of {branch} differs from what {protection.RULESETS_DIR} "
            "declares",
            declared.fix,
        )
    return _passed(name, f"classic protection of {branch} as {protection.RULESETS_DIR} declares")


def check(get: Get, declared: Declared) -> tuple[LiveCheck, ...]:
    """Every live check of one repository, in report order. `get(path)` is a GET on GitHub."""
    repo = read_repository(get, declared.slug)
    facts, why = _facts(get, declared, repo)
    return (_rulesets(get, declared, repo), *_settings(facts, why, declared.fix))
