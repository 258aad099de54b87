"""Regenerate `alert-responses.json` from GitHub's REST API description.

The response schemas (200, and the error answers' Basic Error) of the endpoints `scaffolder
insights` reads, so that the fake GitHub's alert routes (`alert_routes.py`) are checked against
GitHub's shapes (tests/test_insights_fake.py). Converted from OpenAPI 3.0 as `extract.py`
converts request bodies; descriptions are dropped (about 60 kB instead of 160 kB).

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/fakegithub/openapi/extract_alerts.py package/generated/api.github.com.deref.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from extract import to_json_schema  # the sibling script, after the line above

ENDPOINTS = [
    "/orgs/{org}/repos",
    "/orgs/{org}/code-scanning/alerts",
    "/orgs/{org}/dependabot/alerts",
    "/orgs/{org}/secret-scanning/alerts",
    "/repos/{owner}/{repo}/code-scanning/alerts",
    "/repos/{owner}/{repo}/dependabot/alerts",
    "/repos/{owner}/{repo}/secret-scanning/alerts",
]
_DROP = ("description", "title", "readOnly")


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {
        k: (_strip(v) if k != "properties" else {p: _strip(s) for p, s in v.items()})
        for k, v in node.items()
        if k not in _DROP or not isinstance(v, str | bool)
    }


def main(source: str) -> None:
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    out: dict[str, Any] = {"_source": f"@octokit/openapi {spec['info']['version']}"}
    for path in ENDPOINTS:
        responses = spec["paths"][path]["get"]["responses"]
        schemas: dict[str, Any] = {}
        for status, response in responses.items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            schemas[status] = None if schema is None else _strip(to_json_schema(schema))
        out[f"GET {path}"] = schemas
    target = Path(__file__).with_name("alert-responses.json")
    target.write_text(json.dumps(out, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
