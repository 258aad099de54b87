"""The HTTP layer under PyGithub: what a hostile or broken server can do to a call ends here.

PyGithub sends each request through a `requests.Session` that its connection object owns.
`install(requester, limits)` makes that connection mount `GuardedAdapter`, which:

* refuses every redirect (any 3xx but 304 Not Modified) before PyGithub sees it. PyGithub follows
  a 301 on the same host itself (and loops on a chain of them) and, for downloads, a 302 to any
  host; GitHub's REST API does not redirect the calls scaffolder makes, and the token must never
  travel anywhere but the API URL;
* reads the body itself, counting, and refuses one larger than `limits.max_bytes` (a
  `Content-Length` above it is refused before anything is read), so a 400 MB answer costs
  10 MB at most;
* gives each request an overall deadline: a watchdog thread shuts the socket down when
  `limits.deadline` seconds have passed since the request was sent, so a server that drip-feeds
  headers or body cannot hold a call forever (a socket timeout alone restarts with every byte);
* drops `x-ratelimit-*` headers that are not finite numbers: PyGithub parses them from every
  answer with `int(float(...))`, which raises `ValueError` or `OverflowError` on junk.

Its exceptions derive from `requests.RequestException`; `GitHubClient.translate` turns them into
`GitHubError`s, as it does every other transport failure.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions
from requests.models import PreparedRequest, Response

#: The `x-ratelimit-*` headers PyGithub converts with `int(float(value))`.
RATE_HEADERS = ("x-ratelimit-remaining", "x-ratelimit-limit", "x-ratelimit-reset")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    #: Seconds from sending a request to the last byte of its answer.
    deadline: float
    #: The largest body read, after decompression.
    max_bytes: int


class ResponseTooLarge(requests.exceptions.RequestException):
    def __init__(self, limit: int, **kwargs: Any) -> None:
        super().__init__(f"the answer is larger than {limit} bytes", **kwargs)
        self.limit = limit


class RedirectRefused(requests.exceptions.RequestException):
    def __init__(self, status: int, reason: str, location: str, **kwargs: Any) -> None:
        super().__init__(f"redirect {status} to {location!r} refused", **kwargs)
        self.status = status
        self.reason = reason
        self.location = location


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole answer did not arrive in time (a `Timeout`, so it is retried like one)."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        super().__init__(f"no complete answer within {seconds:g} s", **kwargs)
        self.seconds = seconds


# -- the deadline -------------------------------------------------------------------------
class _Watchdog:
    """Shuts down the socket of the connection a request uses once its deadline has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.connection: urllib3.connection.HTTPConnection | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="scaffolder-github-deadline", daemon=True
        )

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        # Keep at it until the request gives up: a connection may still be connecting.
        while not self._done.is_set():
            sock = getattr(self.connection, "sock", None)
            if sock is not None:
                # The plain socket's shutdown, also for TLS: it wakes a blocked read without
                # touching the SSL object the reading thread is using. OSError: closed already.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            self._done.wait(0.05)


_ACTIVE: contextvars.ContextVar[_Watchdog | None] = contextvars.ContextVar(
    "scaffolder_github_watchdog", default=None
)


def _watched(conn: urllib3.connection.HTTPConnection) -> None:
    if (watchdog := _ACTIVE.get()) is not None:
        watchdog.connection = conn


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)  # also a kept-alive connection, which does not connect again
        super().request(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}


# -- the adapter --------------------------------------------------------------------------
class GuardedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, limits: Limits, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)  # our own dict, not urllib3's

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS has connection classes of its own
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        # `stream` is ignored: every body is read here, capped and within the deadline.
        with _Watchdog(self.limits.deadline) as watchdog:
            active = _ACTIVE.set(watchdog)
            try:
                response = super().send(
                    request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies
                )
                try:
                    self._refuse_redirect(request, response)
                    response._content = self._read(request, response)
                    response._content_consumed = True
                except BaseException:
                    response.close()
                    raise
            except Exception as exc:
                if watchdog.expired and not isinstance(exc, DeadlineExceeded):
                    raise DeadlineExceeded(self.limits.deadline, request=request) from exc
                raise
            finally:
                _ACTIVE.reset(active)
        if watchdog.expired:  # finished just as the watchdog fired: the socket is gone anyway
            raise DeadlineExceeded(self.limits.deadline, request=request)
        _drop_junk_rate_headers(response)
        return response

    @staticmethod
    def _refuse_redirect(request: PreparedRequest, response: Response) -> None:
        if 300 <= response.status_code < 400 and response.status_code != 304:
            raise RedirectRefused(
                response.status_code,
                str(response.reason or ""),
                str(response.headers.get("Location") or "nowhere"),
                request=request,
                response=response,
            )

    def _read(self, request: PreparedRequest, response: Response) -> bytes:
        limit = self.limits.max_bytes
        declared = str(response.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
            raise ResponseTooLarge(limit, request=request, response=response)
        chunks: list[bytes] = []
        total = 0
        with _as_requests_errors(request):
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                total += len(chunk)
                if total > limit:
                    raise ResponseTooLarge(limit, request=request, response=response)
                chunks.append(chunk)
        return b"".join(chunks)


@contextlib.contextmanager
def _as_requests_errors(request: PreparedRequest) -> Iterator[None]:
    """urllib3's errors while reading a body, as the `requests` exceptions they would become."""
    try:
        yield
    except requests.RequestException:
        raise
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc), request=request) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(str(exc), request=request) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc), request=request) from exc
    except (urllib3.exceptions.ProtocolError, OSError) as exc:  # cut short, reset, shut down
        raise requests.exceptions.ConnectionError(str(exc), request=request) from exc


def _drop_junk_rate_headers(response: Response) -> None:
    for name in RATE_HEADERS:
        value = response.headers.get(name)
        if value is None:
            continue
        try:
            ok = math.isfinite(float(value))
        except ValueError:
            ok = False
        if not ok:
            del response.headers[name]


# -- installing it under PyGithub ------------------------------------------------------------
#: The Requester's connection classes: the one for the API URL, and those it builds for
#: absolute URLs on other hosts. Name-mangled attributes of PyGithub 2.10's `Requester`; set on
#: the instance, so only scaffolder's own requester is changed.
_CONNECTION_ATTRS = (
    "_Requester__connectionClass",
    "_Requester__httpConnectionClass",
    "_Requester__httpsConnectionClass",
)


def install(requester: object, limits: Limits) -> None:
    """Make every connection `requester` opens use `GuardedAdapter` with `limits`.

    Fails loudly if PyGithub's internals moved: a guard that is silently absent is worse.
    """
    for attr in _CONNECTION_ATTRS:
        base = getattr(requester, attr, None)
        if not callable(base):
            raise RuntimeError(f"PyGithub's Requester has no {attr}: update transport.install")
        setattr(requester, attr, _guarded(base, limits))


def _guarded(base: Callable[..., Any], limits: Limits) -> Callable[..., Any]:
    def connection(*args: Any, **kwargs: Any) -> Any:
        cnx = base(*args, **kwargs)
        adapter = GuardedAdapter(
            limits,
            max_retries=cnx.retry,
            pool_connections=cnx.pool_size,
            pool_maxsize=cnx.pool_size,
        )
        cnx.session.mount(f"{cnx.protocol}://", adapter)
        cnx.adapter = adapter
        return cnx

    return connection
