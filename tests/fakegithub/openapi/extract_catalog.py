"""Regenerate `catalog-request-bodies.json`: the request schemas of the endpoints that the
catalog's remote mode writes to (a branch, a file commit, a pull request).

Same source and conversion as `extract.py` (whose `to_json_schema` this reuses):

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
    python tests/fakegithub/openapi/extract_catalog.py package/generated/api.github.com.deref.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from extract import to_json_schema  # the sibling script; run this file as a script

ENDPOINTS = [
    ("POST", "/repos/{owner}/{repo}/git/refs"),
    ("PUT", "/repos/{owner}/{repo}/contents/{path}"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
]


def main(source: str) -> None:
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    bodies: dict[str, Any] = {"_source": f"@octokit/openapi {spec['info']['version']}"}
    for method, path in ENDPOINTS:
        body = spec["paths"][path][method.lower()].get("requestBody")
        schema = body["content"]["application/json"]["schema"] if body else None
        bodies[f"{method} {path}"] = {
            "required": bool(body and body.get("required")),
            "schema": to_json_schema(schema),
        }
    out = Path(__file__).with_name("catalog-request-bodies.json")
    out.write_text(json.dumps(bodies, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
