"""A small hostile or broken "GitHub" on 127.0.0.1, for the hardening tests.

Each route is a function that writes the whole answer itself, so a test can send what a real
GitHub never would: a list where an object belongs, HTML, redirects, a body that never ends, a
body drip-fed a byte at a time, absurd rate-limit headers. Every request is recorded (method,
path, headers), so a test can assert that a host never saw the token. Every answer is bounded
in size and time, and ends at once when the server stops.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[["Handler"], None]


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]

    @property
    def credentials(self) -> str | None:
        """The Authorization header, if the client sent one."""
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), None)


@dataclass
class HostileServer:
    """Routes are `(METHOD, path)` -> route; anything else answers 404 Not Found (JSON)."""

    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> HostileServer:
        owner = self

        class _Bound(Handler):
            server_state = owner

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Bound)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def on(self, method: str, path: str, route: Route) -> None:
        self.routes[(method, path)] = route


class Handler(BaseHTTPRequestHandler):
    server_state: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # stdlib's signature
        pass

    def _dispatch(self) -> None:
        state = self.server_state
        path = self.path.split("?", 1)[0]
        state.seen.append(Seen(self.command, path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        route = state.routes.get((self.command, path), not_found)
        try:
            route(self)
        except OSError:  # the client gave up (what a capped or timed-out client does)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    # -- building blocks for routes --------------------------------------------------------
    def head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.head(status, {"Content-Length": str(len(body)), **(headers or {})})
        self.wfile.write(body)


def not_found(h: Handler) -> None:
    send_json(404, {"message": "Not Found"})(h)


def send_json(status: int, body: Any, headers: dict[str, str] | None = None) -> Route:
    data = json.dumps(body).encode()

    def route(h: Handler) -> None:
        h.answer(status, data, {"Content-Type": "application/json", **(headers or {})})

    return route


def send_raw(status: int, body: bytes, headers: dict[str, str]) -> Route:
    def route(h: Handler) -> None:
        h.answer(status, body, headers)

    return route


def endless(*, declared: int | None, limit: int = 400 * 1024 * 1024) -> Route:
    """A JSON-looking body of `limit` bytes, sent until the client hangs up.

    With `declared`, `Content-Length` says so up front; without it the body is chunked, so only
    counting what is read can stop it.
    """

    def route(h: Handler) -> None:
        chunk = b" " * 65536
        if declared is not None:
            h.head(200, {"Content-Type": "application/json", "Content-Length": str(declared)})
            h.wfile.write(b"{")
            for _ in _sent(h.server_state, limit, len(chunk)):
                h.wfile.write(chunk)
            return
        h.head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        for _ in _sent(h.server_state, limit, len(chunk)):
            h.wfile.write(framed)
        h.wfile.write(b"0\r\n\r\n")

    return route


def _sent(state: HostileServer, limit: int, size: int) -> Iterator[None]:
    sent = 0
    while sent < limit and not state.stopping.is_set():
        yield
        sent += size


def drip(body: bytes, *, every: float) -> Route:
    """`body`, declared up front, one byte every `every` seconds."""

    def route(h: Handler) -> None:
        h.head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
        for i in range(len(body)):
            if h.server_state.stopping.wait(every):
                return
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()

    return route


@contextmanager
def hostile() -> Iterator[HostileServer]:
    server = HostileServer().start()
    try:
        yield server
    finally:
        server.stop()
