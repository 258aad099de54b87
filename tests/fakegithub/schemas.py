"""GitHub's request-body schemas, vendored from `@octokit/openapi` (see `openapi/extract.py`).

Both files are read: `openapi/request-bodies.json` (the publish step's writes) and
`openapi/catalog-request-bodies.json` (the catalog's). They describe GitHub, not one fake, so a
fake checks every write against all of them, whichever route groups it serves: a valid write to
an endpoint a fake does not serve gets that fake's 404, not a schema complaint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

OPENAPI = Path(__file__).parent / "openapi"
FILES = ("request-bodies.json", "catalog-request-bodies.json")


@dataclass(frozen=True)
class BodySpec:
    #: "PUT /repos/{owner}/{repo}/contents/{path}"
    key: str
    method: str
    #: The path template as a regex: `{path}` matches slashes too, other parameters do not.
    path: re.Pattern[str]
    required: bool
    schema: dict[str, Any] | None


def _spec(key: str, entry: dict[str, Any]) -> BodySpec:
    method, template = key.split(" ", 1)
    regex = re.sub(
        r"\\\{([a-z_]+)\\\}",
        lambda m: ".+" if m[1] == "path" else "[^/]+",
        re.escape(template),
    )
    return BodySpec(key, method, re.compile(regex), entry["required"], entry["schema"])


def _load() -> tuple[BodySpec, ...]:
    specs: list[BodySpec] = []
    for name in FILES:
        data = json.loads((OPENAPI / name).read_text(encoding="utf-8"))
        specs += [_spec(key, entry) for key, entry in data.items() if not key.startswith("_")]
    return tuple(specs)


SPECS = _load()


def check_body(method: str, path: str, body: Any) -> str | None:
    """What is wrong with this request's body by GitHub's description, or None if nothing."""
    if method == "GET":
        return None
    spec = next((s for s in SPECS if s.method == method and s.path.fullmatch(path)), None)
    if spec is None:
        return f"no such endpoint in GitHub's REST API description: {method} {path}"
    if spec.schema is None:
        return None if body in (None, {}) else "this endpoint takes no body"
    if body is None:
        return "a JSON body is required" if spec.required else None
    try:
        jsonschema.validate(body, spec.schema)
    except jsonschema.ValidationError as exc:
        return f"{'/'.join(map(str, exc.absolute_path))}: {exc.message}"
    return None
