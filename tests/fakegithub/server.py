"""A fake GitHub on 127.0.0.1: the REST API and git over HTTPS-like HTTP, one server a fake.

* Each `FakeGitHub` owns its state (`State`) and its route table (`Router`), built when it is
  made from the route groups it is given: `CORE` always (`core_routes.py`), `CATALOG`
  (`catalog_routes.py`) when asked for. Two fakes in one test share nothing.
* API calls need `Authorization: token T` or `Bearer T` with a known token, else 401. A route
  gets a `Req` (method, path, parameters, query, headers, JSON body, login) and answers with a
  `Reply` (status, body, headers); see `routing.py`.
* Git calls (`/OWNER/NAME.git/...`) are served by `git http-backend` (CGI) from bare
  repositories; they need HTTP Basic auth whose password is a known token, else 401 with a
  `WWW-Authenticate` challenge, as GitHub does.
* Every write's JSON body is checked against GitHub's OpenAPI request schemas (`schemas.py`); a
  body that does not conform gets a 422 and is kept in `violations`.
* `fail(...)` injects faults: an error status (5xx, a 403/429 rate limit with `Retry-After` or
  `x-ratelimit-reset`), or a delay long enough for the client to time out.
* `prefix="/api/v3"` serves the API the way GitHub Enterprise Server does.
* `requests` logs every request it received (method, path, body, git or API, status, arrival
  time); `writes()` are the API writes, `log(since)` gives (method, path, is a write) tuples.
* Test helpers: `seed()` commits files, `read()` reads one at a ref, `branch_names()`,
  `pulls()` lists pull requests, `merge()` merges one the way the web UI's merge button does.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qs, urlsplit

from tests.fakegithub.core_routes import CORE
from tests.fakegithub.routing import Reply, Req, RouteGroup, Router
from tests.fakegithub.schemas import check_body
from tests.fakegithub.state import ApiError, State

GIT_PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)\.git(?P<rest>/.*)$")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None
    times: int
    headers: dict[str, str]
    message: str
    delay: float


@dataclass
class Request:
    """One request the fake received, as tests see it afterwards."""

    method: str
    path: str
    body: Any
    #: "api" or "git"
    kind: str
    #: The Authorization header matched a known token.
    authorized: bool
    status: int = 0
    #: When it arrived (`time.monotonic()`), for tests of the client's pacing.
    at: float = 0.0

    @property
    def write(self) -> bool:
        """An API call that may change something (every method but GET and HEAD)."""
        return self.kind == "api" and self.method not in ("GET", "HEAD")


@dataclass
class FakeGitHub:
    root: Path
    prefix: str = ""
    #: The route groups this fake serves, in the order they are matched.
    groups: Sequence[RouteGroup] = (CORE,)
    router: Router = field(init=False)
    state: State = field(init=False)
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _server: _Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.router = Router(self.groups)

    def start(self) -> Self:
        self._server = _Server(self)
        web = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.state = State(self.root / "git", web_url=web, api_url=web + self.prefix)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self if self._server is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return self.state.api_url

    @property
    def web_url(self) -> str:
        return self.state.web_url

    # -- faults ---------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int | None = 500,
        times: int = 1,
        headers: dict[str, str] | None = None,
        message: str = "Server Error",
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching METHOD and the PATH regex fail.

        With `status=None` and a `delay`, the request is answered normally but late (a client
        with a shorter timeout sees a timeout while the write still lands).
        """
        pattern = re.compile(f"^{path}$")
        self.faults.append(Fault(method, pattern, status, times, headers or {}, message, delay))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.match(path):
                    fault.times -= 1
                    return fault
        return None

    # -- queries for tests --------------------------------------------------------------
    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.write]

    def log(self, since: int = 0) -> list[tuple[str, str, bool]]:
        """(method, path, is a write) of every request from index `since`; git ones as GIT."""
        return [
            ("GIT" if r.kind == "git" else r.method, r.path, r.write) for r in self.requests[since:]
        ]

    def rate_limit_cost(self, since: int = 0) -> int:
        """API requests from index `since` that count against GitHub's rate limit: all but
        those answered 304 Not Modified."""
        return sum(1 for r in self.requests[since:] if r.kind == "api" and r.status != 304)

    def calls(self, method: str, path: str) -> list[Request]:
        pattern = re.compile(f"^{path}$")
        return [r for r in self.requests if r.method == method and pattern.match(r.path)]

    # -- repository contents, for tests ---------------------------------------------------
    def seed(
        self,
        owner: str,
        name: str,
        files: dict[str, str],
        *,
        branch: str = "main",
        message: str = "seed",
    ) -> str:
        """Commit `files` (path -> text) on `branch`, creating the repo if needed."""
        repo = self.state.repos.get((owner.lower(), name.lower()))
        if repo is None:
            repo = self.state.add_repo(owner, name, private=True)
        commit = self.state.resolve(repo, f"refs/heads/{branch}")
        for path, text in files.items():
            commit = self.state.commit_file(repo, branch, path, text.encode(), message, commit)
        return str(commit)

    def read(self, owner: str, name: str, path: str, ref: str = "main") -> str | None:
        repo = self.state.repos[(owner.lower(), name.lower())]
        commit = self.state.resolve(repo, ref)
        found = self.state.blob(repo, commit, path) if commit else None
        return found[1].decode() if found else None

    def branch_names(self, owner: str, name: str) -> list[str]:
        return sorted(self.state.branches(self.state.repos[(owner.lower(), name.lower())]))

    def pulls(self, owner: str, name: str) -> list[dict[str, Any]]:
        return self.state.pulls.setdefault(f"{owner}/{name}".lower(), [])

    def merge(self, owner: str, name: str, number: int) -> str:
        """Merge an open pull request into its base (fast-forward, or a merge commit)."""
        repo = self.state.repos[(owner.lower(), name.lower())]
        pull = next(p for p in self.pulls(owner, name) if p["number"] == number)
        return self.state.merge(repo, pull)


class _Server(ThreadingHTTPServer):
    """The HTTP server of one fake; its requests reach that fake through `fake`."""

    daemon_threads = True

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Serves every request of every fake: finds the fake, checks it, passes it on."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # -- plumbing ------------------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        data = raw if raw is not None else b""
        if raw is None and payload is not None:
            data = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if raw is None and payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _login_from(self, tokens: dict[str, str], header: str | None, *, basic: bool) -> str | None:
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if basic and scheme.lower() == "basic":
            try:
                _, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return None
            return tokens.get(password)
        if not basic and scheme.lower() in ("token", "bearer"):
            return tokens.get(value.strip())
        return None

    def _handle(self) -> None:
        fake = cast(_Server, self.server).fake
        url = urlsplit(self.path)
        body_bytes = self._body()
        git = GIT_PATH.match(url.path)
        kind = "git" if git else "api"
        path = url.path
        if not git:
            if not path.startswith(fake.prefix):
                self._send(404, {"message": "Not Found"})
                return
            path = path[len(fake.prefix) :] or "/"
        auth = self.headers.get("Authorization")
        login = self._login_from(fake.state.tokens, auth, basic=bool(git))
        body: Any = None
        if kind == "api" and body_bytes:
            body = json.loads(body_bytes)
        record = Request(self.command, path, body, kind, login is not None, at=time.monotonic())
        fake.requests.append(record)
        fault = fake._take_fault(self.command, path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status is not None:
            record.status = fault.status
            payload = None if fault.status == 204 else {"message": fault.message}
            self._send(fault.status, payload, fault.headers)  # a 204 has no body
            return
        if git:
            self._git(fake.state, record, login, git, url.query, body_bytes)
            return
        if login is None:
            record.status = 401
            self._send(401, {"message": "Bad credentials"})
            return
        if problem := check_body(self.command, path, body):
            fake.violations.append(f"{self.command} {path}: {problem}")
            record.status = 422
            self._send(422, {"message": "Invalid request.", "errors": [problem]})
            return
        req = Req(
            method=self.command,
            path=path,
            login=login,
            query={k: v[-1] for k, v in parse_qs(url.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = fake.router.dispatch(fake.state, req)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body)
        record.status = reply.status
        headers = {**fake.state.token_headers(auth), **reply.headers}
        self._send(reply.status, reply.body, headers)

    def _git(
        self,
        state: State,
        record: Request,
        login: str | None,
        match: re.Match[str],
        query: str,
        body: bytes,
    ) -> None:
        repo = state.repos.get((match["owner"].lower(), match["repo"].lower()))
        if login is None:
            record.status = 401
            self._send(401, None, {"WWW-Authenticate": 'Basic realm="GitHub"'})
            return
        if repo is None or not state.can_admin(login, repo):
            record.status = 404 if repo is None or repo.private else 403
            self._send(record.status, None, raw=b"Repository not found.\n")
            return
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": str(state.git_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": login,
            "REMOTE_ADDR": "127.0.0.1",
            "PATH_INFO": f"/{repo.owner.login}/{repo.name}.git{match['rest']}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        if proto := self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = proto
        if encoding := self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = encoding
        proc = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode().splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key] = value.strip()
        record.status = status
        self._send(status, None, headers, raw=payload)
