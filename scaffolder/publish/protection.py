"""Branch protection as declared in the repository: `.github/rulesets/*.json`.

The files are in GitHub's ruleset format (what the UI exports and imports). They are applied
with the rulesets API, matched by name so a second run updates instead of duplicating. Where
rulesets do not exist (Enterprise Server before 3.11, or a plan without them) the same meaning
is applied as classic branch protection (`classic_protection()`); where the plan allows neither
(a private repository on GitHub Free) the step says so and publish exits with code 3.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scaffolder.errors import GitHubError, GitHubPermissionError, UsageError

RULESETS_DIR = Path(".github") / "rulesets"
#: Fields of an exported ruleset that the create/update endpoints accept.
RULESET_FIELDS = ("name", "target", "enforcement", "bypass_actors", "conditions", "rules")
#: Rule types that classic branch protection can express.
CLASSIC_RULES = (
    "deletion",
    "non_fast_forward",
    "required_linear_history",
    "required_signatures",
    "pull_request",
    "required_status_checks",
)


def load_rulesets(
    project: Path, planned: Mapping[str, bytes | None] | None = None
) -> list[dict[str, Any]]:
    """The request bodies for every ruleset file, in file-name order.

    `planned` (a dry run's alignment: relative path -> content, None when removed) stands in
    for the files on disk, so the plan shows the rulesets a real run would apply.
    """
    folder = project / RULESETS_DIR
    planned = planned or {}
    paths = set(folder.glob("*.json")) if folder.is_dir() else set()
    for rel in planned:
        if Path(rel).parent == RULESETS_DIR and rel.endswith(".json"):
            paths.add(project / rel)
    bodies: list[dict[str, Any]] = []
    for path in sorted(paths):
        rel = path.relative_to(project).as_posix()
        if rel in planned and planned[rel] is None:
            continue
        try:
            text = planned.get(rel) or path.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"cannot read ruleset {path}: {exc}",
                hint="fix the JSON (GitHub's ruleset export format)",
            ) from exc
        bodies.append(ruleset_body(text, str(path)))
    return bodies


def ruleset_body(text: str | bytes, where: str) -> dict[str, Any]:
    """The request body of one ruleset file (GitHub's export format), read from `where`."""
    try:
        data = json.loads(text)
    except ValueError as exc:  # UnicodeDecodeError included
        raise UsageError(
            f"cannot read ruleset {where}: {exc}",
            hint="fix the JSON (GitHub's ruleset export format)",
        ) from exc
    if not isinstance(data, dict) or not data.get("name") or not data.get("enforcement"):
        raise UsageError(
            f"{where} is not a ruleset: it needs `name` and `enforcement`",
            hint="use GitHub's ruleset export format",
        )
    return {k: data[k] for k in RULESET_FIELDS if k in data}


def _rules(ruleset: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {r["type"]: r.get("parameters") or {} for r in ruleset.get("rules", [])}


def classic_protection(
    rulesets: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any], bool, list[str]]:
    """The classic protection body with the rulesets' meaning for the default branch.

    Returns (body for PUT .../branches/{b}/protection, whether signatures are required, the
    rule types classic protection cannot express).
    """
    rules: dict[str, Mapping[str, Any]] = {}
    bypass = False
    for ruleset in rulesets:
        if ruleset.get("target", "branch") != "branch" or ruleset.get("enforcement") != "active":
            continue
        rules.update(_rules(ruleset))
        bypass = bypass or bool(ruleset.get("bypass_actors"))
    pr = rules.get("pull_request")
    checks = rules.get("required_status_checks")
    body: dict[str, Any] = {
        "required_status_checks": None
        if checks is None
        else {
            "strict": bool(checks.get("strict_required_status_checks_policy", False)),
            "contexts": [c["context"] for c in checks.get("required_status_checks", [])],
        },
        # A ruleset without bypass actors binds administrators too.
        "enforce_admins": not bypass,
        "required_pull_request_reviews": None
        if pr is None
        else {
            "dismiss_stale_reviews": bool(pr.get("dismiss_stale_reviews_on_push", False)),
            "require_code_owner_reviews": bool(pr.get("require_code_owner_review", False)),
            "required_approving_review_count": int(pr.get("required_approving_review_count", 0)),
            "require_last_push_approval": bool(pr.get("require_last_push_approval", False)),
        },
        "restrictions": None,
        "required_linear_history": "required_linear_history" in rules,
        "allow_force_pushes": "non_fast_forward" not in rules,
        "allow_deletions": "deletion" not in rules,
        "required_conversation_resolution": bool(
            pr and pr.get("required_review_thread_resolution", False)
        ),
    }
    lost = sorted(t for t in rules if t not in CLASSIC_RULES)
    return body, "required_signatures" in rules, lost


def _enabled(value: Any) -> bool:
    return bool(value.get("enabled")) if isinstance(value, Mapping) else bool(value)


def same_protection(body: Mapping[str, Any], signatures: bool, current: Mapping[str, Any]) -> bool:
    """Whether GitHub's classic protection (`GET .../protection`) already says what `body`
    (a PUT body from `classic_protection`) and `signatures` ask for."""
    checks = body["required_status_checks"]
    have_checks = current.get("required_status_checks") or {}
    if (checks is None) != (not have_checks):
        return False
    if checks is not None and (
        bool(have_checks.get("strict")) != checks["strict"]
        or sorted(have_checks.get("contexts") or []) != sorted(checks["contexts"])
    ):
        return False
    reviews = body["required_pull_request_reviews"]
    have_reviews = current.get("required_pull_request_reviews") or {}
    if (reviews is None) != (not have_reviews):
        return False
    if reviews is not None and any(
        have_reviews.get(key, False if key != "required_approving_review_count" else 0) != value
        for key, value in reviews.items()
    ):
        return False
    flags = (
        "enforce_admins",
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "required_conversation_resolution",
    )
    if any(_enabled(current.get(flag)) != bool(body[flag]) for flag in flags):
        return False
    if current.get("restrictions") and body["restrictions"] is None:
        return False
    return not signatures or _enabled(current.get("required_signatures"))


def same_ruleset(wanted: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether GitHub's copy already says what the file says (GitHub adds ids, sources...)."""
    return all(current.get(k) == v for k, v in wanted.items() if k != "bypass_actors") and (
        (current.get("bypass_actors") or []) == (wanted.get("bypass_actors") or [])
    )


def rulesets_path(full_name: str) -> str:
    """The list of a repository's own rulesets, as one page. GitHub lists the organisation's
    rulesets with them unless asked not to (`includes_parents=false`), 30 to a page by
    default: an organisation with many would push the repository's own off the first page,
    and publish would create them again. No repository has 100 of its own."""
    return f"/repos/{full_name}/rulesets?includes_parents=false&per_page=100"


def rulesets_unavailable(exc: GitHubError) -> bool:
    """The rulesets API is missing (older GHES: 404) or not on this plan (403, "Upgrade")."""
    return exc.status == 404 or (isinstance(exc, GitHubPermissionError) and exc.plan_limited)


def plan_limited(exc: GitHubError) -> bool:
    return isinstance(exc, GitHubPermissionError) and exc.plan_limited
