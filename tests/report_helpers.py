"""A small fleet for the report tests: entity files written inline (hostile values among them),
a Location catalog naming them, and live results in the JSON shapes of the issue-15 contract
(`insights` and `audit --live`), as those commands' `to_json()` give them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.catalog_helpers import entity, location_catalog, write_entities

HOSTILE = (
    '<script>window.__pwned = true; alert("x")</script> "onmouseover=alert(1) x=" '
    "</table></tbody> <img src=x onerror=alert(2)> javascript:alert(3) \u2028&amp;"
)
#: name -> (lifecycle, owner, system, annotations, description)
FLEET: dict[str, tuple[str, str, str, dict[str, str], str]] = {
    "pay-api": (
        "production",
        "group:default/payments",
        "payments",
        {"github.com/project-slug": "acme/pay-api"},
        HOSTILE,
    ),
    "pay-web": (
        "production",
        "group:default/web",
        "storefront",
        {"backstage.io/source-location": "url:https://github.example.com/acme/pay-web/tree/main/"},
        "The shop's front end",
    ),
    "lab": (
        "experimental",
        "group:default/payments",
        "",
        {"backstage.io/source-location": "url:javascript:alert(4)//acme/lab"},
        "",
    ),
    "old": ("deprecated", "group:default/web", "storefront", {}, "Retired"),
}


def write_fleet(root: Path) -> Path:
    """Entity files for `FLEET` under `root`, and a catalog listing them; the catalog."""
    targets = []
    for name, (lifecycle, owner, system, notes, description) in FLEET.items():
        spec: dict[str, Any] = {"lifecycle": lifecycle, "owner": owner}
        if system:
            spec["system"] = system
        doc = entity(name, annotations=notes or None, **spec)
        if description:
            doc["metadata"]["description"] = description
        targets.append(str(write_entities(root / name, doc)))
    return location_catalog(root / "catalog.yaml", targets)


def _counts(critical: int, high: int, medium: int, low: int) -> dict[str, int]:
    return {"critical": critical, "high": high, "medium": medium, "low": low}


def _insight(name: str, status: str, reason: str | None, **features: Any) -> dict[str, Any]:
    lifecycle, owner, system, _, _ = FLEET[name]
    return {
        "ref": f"component:default/{name}",
        "repository": f"acme/{name}",
        "lifecycle": lifecycle,
        "owner": owner,
        "system": system or None,
        "status": status,
        "reason": reason,
        **features,
    }


def _on(*counts: int) -> dict[str, Any]:
    return {"state": "on", "open": _counts(*counts)}


def _not(state: str) -> dict[str, Any]:
    return {"state": state, "open": None}


#: `insights --json`'s result: `old` is not in it (not gathered for that row).
INSIGHTS: dict[str, Any] = {
    "components": [
        _insight(
            "pay-api",
            "finding",
            None,
            code_scanning=_on(1, 2, 0, 3),
            dependabot=_on(0, 1, 4, 0),
            secret_scanning=_on(2, 0, 0, 0),
        ),
        _insight(
            "pay-web",
            "finding",
            None,
            code_scanning=_not("off"),
            dependabot=_on(0, 0, 5, 1),
            secret_scanning=_not("unavailable"),
        ),
        _insight(
            "lab",
            "failed",
            "the token cannot read acme/lab (404)",
            code_scanning=_not("unreadable"),
            dependabot=_not("unreadable"),
            secret_scanning=_not("unreadable"),
        ),
    ],
    "totals": {},
    "requests": {},
}


def _check(name: str, status: str, reason: str | None = None) -> dict[str, Any]:
    fix = "scaffolder publish DIR re-applies it" if status == "failed" else None
    return {"name": name, "status": status, "reason": reason, "fix": fix}


#: `audit --live --catalog --json`'s result.
AUDIT: dict[str, Any] = {
    "components": [
        {
            "ref": "component:default/pay-api",
            "repository": "acme/pay-api",
            "status": "finding",
            "reason": "1 check failed",
            "checks": [
                _check("ruleset", "failed", "the ruleset is disabled"),
                _check("secret-scanning", "passed"),
                _check("private-vulnerability-reporting", "unavailable", "not on this plan"),
            ],
        },
        {
            "ref": "component:default/pay-web",
            "repository": "acme/pay-web",
            "status": "ok",
            "reason": None,
            "checks": [_check("ruleset", "passed"), _check("secret-scanning", "passed")],
        },
        {
            "ref": "component:default/lab",
            "repository": "acme/lab",
            "status": "failed",
            "reason": "the token cannot read acme/lab",
            "checks": [],
        },
    ]
}
