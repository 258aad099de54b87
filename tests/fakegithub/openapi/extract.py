"""Regenerate `request-bodies.json` and `catalog-request-bodies.json` from GitHub's REST API
description.

Only the request-body schemas of the endpoints scaffolder writes to are kept (about 70 kB of
the 73 MB description), converted from OpenAPI 3.0 (`nullable`) to JSON Schema: publishing's
endpoints in one file, the remote catalog's and the fleet update's (a branch, a file commit, a
pull request opened and edited) in the other.

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/fakegithub/openapi/extract.py package/generated/api.github.com.deref.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ENDPOINTS = [
    ("POST", "/user/repos"),
    ("POST", "/orgs/{org}/repos"),
    ("PATCH", "/repos/{owner}/{repo}"),
    ("PUT", "/repos/{owner}/{repo}/topics"),
    ("POST", "/repos/{owner}/{repo}/rulesets"),
    ("PUT", "/repos/{owner}/{repo}/rulesets/{ruleset_id}"),
    ("PUT", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("POST", "/repos/{owner}/{repo}/branches/{branch}/protection/required_signatures"),
    ("PUT", "/repos/{owner}/{repo}/vulnerability-alerts"),
    ("PUT", "/repos/{owner}/{repo}/automated-security-fixes"),
    ("PUT", "/repos/{owner}/{repo}/private-vulnerability-reporting"),
    ("PUT", "/repos/{owner}/{repo}/actions/permissions/workflow"),
    ("PATCH", "/repos/{owner}/{repo}/code-scanning/default-setup"),
]

CATALOG_ENDPOINTS = [
    ("POST", "/repos/{owner}/{repo}/git/refs"),
    ("PUT", "/repos/{owner}/{repo}/contents/{path}"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
]

OUTPUTS = {"request-bodies.json": ENDPOINTS, "catalog-request-bodies.json": CATALOG_ENDPOINTS}


def to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("example", "examples")}
    if out.pop("nullable", False):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        for key in ("anyOf", "oneOf"):
            if key in out:
                out[key] = [*out[key], {"type": "null"}]
    return out


def main(source: str) -> None:
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    for name, endpoints in OUTPUTS.items():
        bodies: dict[str, Any] = {"_source": f"@octokit/openapi {spec['info']['version']}"}
        for method, path in endpoints:
            body = spec["paths"][path][method.lower()].get("requestBody")
            schema = body["content"]["application/json"]["schema"] if body else None
            bodies[f"{method} {path}"] = {
                "required": bool(body and body.get("required")),
                "schema": to_json_schema(schema),
            }
        out = Path(__file__).with_name(name)
        out.write_text(json.dumps(bodies, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
