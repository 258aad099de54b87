"""A real Backstage catalog for the tests: the backend in this folder, started once a session.

`backstage` (session scope) writes an app-config with a free port and one static location, the
catalog file `Backstage.catalog` (a fixed path for the session: tests write components into it
with the real CLI, `scaffolder new ... --catalog FILE`), starts `node index.js`, waits for the
catalog API and stops the process at the end. `index.js` records every processing error to a
file, read by `Backstage.errors()`, so a test can assert there were none.

Install it with `cd tests/backstage && npm ci` (`.ci/run` does). Without Node or the installed
backend the fixture fails, saying how to install it; it never skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

HERE = Path(__file__).resolve().parent
INSTALL = "cd tests/backstage && npm ci"
#: better-sqlite3 is compiled against Debian's Node headers in /usr (`.npmrc`): run that Node,
#: even where another Node comes first on PATH.
DEBIAN_NODE = Path("/usr/bin/node")
#: The installed parts the backend cannot start without.
NEEDED = (
    "node_modules/@backstage/backend-defaults/package.json",
    "node_modules/@backstage/plugin-catalog-backend/package.json",
    "node_modules/better-sqlite3/build/Release/better_sqlite3.node",
)
T = TypeVar("T")


def _node() -> str:
    if DEBIAN_NODE.is_file():
        return str(DEBIAN_NODE)
    found = shutil.which("node")
    if found is None:
        pytest.fail(
            "the Backstage tests need Node.js 20 (Debian: apt-get install nodejs npm), "
            f"then the test backend: {INSTALL}",
            pytrace=False,
        )
    return found


def _check_installed() -> None:
    missing = [part for part in NEEDED if not (HERE / part).exists()]
    if missing:
        pytest.fail(
            f"the test Backstage is not installed ({missing[0]} is missing); "
            f"install it with: {INSTALL}",
            pytrace=False,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Backstage:
    """A running test Backstage: its API, its catalog file and its recorded errors."""

    url: str
    catalog: Path
    errors_file: Path
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, **query: str) -> Any:
        address = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        with urllib.request.urlopen(address, timeout=10) as answer:  # noqa: S310 -- 127.0.0.1
            return json.load(answer)

    def entities(self, filter: str) -> list[dict[str, Any]]:
        """`GET /api/catalog/entities/by-query?filter=...`, every page."""
        items: list[dict[str, Any]] = []
        query = {"filter": filter, "limit": "500"}
        while True:
            page = self.get("/api/catalog/entities/by-query", **query)
            items += page["items"]
            cursor = page.get("pageInfo", {}).get("nextCursor")
            if not cursor:
                return items
            query = {"cursor": cursor, "limit": "500"}

    def component_names(self, filter: str = "kind=component") -> set[str]:
        return {e["metadata"]["name"] for e in self.entities(filter)}

    def errors(self) -> list[dict[str, Any]]:
        """Every processing error Backstage reported since it started."""
        text = self.errors_file.read_text() if self.errors_file.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float = 30) -> T:
        """Poll `probe` until it returns something truthy; fail naming `what` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            if value := probe():
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"Backstage: timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.25)

    def check_running(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            pytest.fail(f"the test Backstage exited ({self.process.returncode}):\n{tail}")


def _config(workdir: Path, port: int, catalog: Path, errors: Path) -> Path:
    config = {
        "backend": {
            "baseUrl": f"http://127.0.0.1:{port}",
            "listen": {"host": "127.0.0.1", "port": port},
        },
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "scaffolderTest": {"errorsFile": str(errors)},
    }
    path = workdir / "app-config.test.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@contextlib.contextmanager
def running_backstage(workdir: Path) -> Iterator[Backstage]:
    """Start the test backend over an empty catalog file in `workdir`; stop it on exit."""
    node = _node()
    _check_installed()
    port = _free_port()
    catalog = workdir / "catalog.yaml"
    catalog.write_text("")
    errors = workdir / "processing-errors.jsonl"
    config = _config(workdir, port, catalog, errors)
    log = workdir / "backstage.log"
    env = {
        "PATH": f"{Path(node).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(workdir),
        "NODE_ENV": "development",
        "NODE_OPTIONS": "--no-deprecation",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, "index.js", "--config", "app-config.yaml", "--config", str(config)],
            cwd=HERE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Backstage(f"http://127.0.0.1:{port}", catalog, errors, log, process)
    try:

        def answers() -> bool:
            try:
                server.get("/api/catalog/entities", limit="1")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False
            return True

        server.wait_for("the catalog API", answers, timeout=60)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def backstage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backstage]:
    with running_backstage(tmp_path_factory.mktemp("backstage")) as server:
        yield server
