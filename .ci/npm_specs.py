"""Print `name@version` for each package typescript-service's lockfile installs on this
platform, one a line: what `.ci/run` puts into the npm cache (`npm cache add`), so that the
template's own test runs `npm ci --offline`.

    python .ci/npm_specs.py templates/typescript-service/template
"""

from __future__ import annotations

import json
import platform
import re
import sys
from pathlib import Path

#: Python's names for this machine -> npm's (process.platform, process.arch).
_OS = {"linux": "linux", "darwin": "darwin", "win32": "win32", "freebsd": "freebsd"}
_CPU = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def lockfile(template: Path) -> dict:
    """The template's package-lock.json, its Jinja placeholders filled with sample values."""
    text = (template / "package-lock.json.jinja").read_text(encoding="utf-8")
    text = re.sub(r"\{%-?.*?-?%\}", "", text)  # statements (the quoting macro's import)
    text = re.sub(r"\{\{ node_version \}\}", "22", text)
    return json.loads(re.sub(r"\{\{.*?\}\}", '"sample"', text))  # any other value: a string


def _fits(entry: dict, os_name: str, cpu: str) -> bool:
    return os_name in entry.get("os", [os_name]) and cpu in entry.get("cpu", [cpu])


def specs(template: Path) -> list[str]:
    os_name = _OS.get(sys.platform, sys.platform)
    cpu = _CPU.get(platform.machine().lower(), platform.machine().lower())
    return [
        f"{key.rsplit('node_modules/', 1)[1]}@{entry['version']}"
        for key, entry in lockfile(template)["packages"].items()
        if key and _fits(entry, os_name, cpu)
    ]


if __name__ == "__main__":
    print("\n".join(specs(Path(sys.argv[1]))))
