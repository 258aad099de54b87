"""The GitHub client: PyGithub behind one boundary, with a bounded retry budget of our own.

* PyGithub's own `GithubRetry` is switched off (`retry=0`), so the only retries are the ones
  counted here: at most `RetryPolicy.attempts` tries per call, waits that honour GitHub's
  `Retry-After` and `x-ratelimit-reset`, and no wait longer than `RetryPolicy.max_delay`.
* Every exception from PyGithub or `requests` is translated into the `GitHubError` family here,
  and nowhere else, with the token scrubbed from the message.
* Under PyGithub, `transport.GuardedAdapter` refuses redirects, caps the size of an answer and
  gives each request an overall deadline; its exceptions are translated here too.
* Rate-limit headers are parsed defensively: a junk `Retry-After` or `x-ratelimit-reset` means
  a bounded backoff, an absurd one an immediate `GitHubRateLimitError`; no wait is ever longer
  than the budget.
* `call(what, fn)` retries a whole closure, so a step that checks and then writes (list the
  rulesets, then create the missing one) is retried as a unit: a write that timed out but
  landed is found by the next check instead of being made twice.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from scaffolder.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubPermissionError,
    GitHubRateLimitError,
)
from scaffolder.github import transport
from scaffolder.github.settings import GitHubSettings, Token

if TYPE_CHECKING:
    from github import Github

T = TypeVar("T")

#: GitHub's words when a feature needs another plan (rulesets, protection on private repos...).
PLAN_LIMIT_MARKERS = ("upgrade to github pro", "upgrade to github team", "not available for")
AUTH_HINT = (
    "check the token: export GH_TOKEN with a token that is valid for this server "
    "(or run `gh auth login`)"
)
URL_HINT = (
    "check --github-api-url: it must be the API itself (https://api.github.com, or "
    "https://HOST/api/v3 for Enterprise Server), not a web page, a proxy or a redirect"
)
PERMISSION_HINT = (
    "the token needs the `repo` scope (classic) or Administration, Contents and "
    "Secret scanning write permissions (fine-grained) on this owner"
)


@dataclass(frozen=True)
class Identity:
    """Who the token belongs to."""

    login: str
    name: str | None
    type: str


#: Waits longer than this are reported as "more than a day", not as a clock time.
DAY = 86400.0


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def one_line(text: str, limit: int = 300) -> str:
    """Server-supplied text made safe to print: no newlines or terminal escapes, bounded."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: str) -> float | None:
    """A float from a header, or None for junk (`nan` included); may be `inf`."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


def retry_after_seconds(value: str, now: float) -> float | None:
    """What `Retry-After` asks for: seconds, or an HTTP date. None when it is junk.

    The result is never negative and may be huge or `inf` ("1e300", 5,000 digits): callers
    compare it with their budget, they do not sleep it.
    """
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def reset_seconds(value: str, now: float) -> float | None:
    """Seconds until `x-ratelimit-reset` (epoch seconds), plus one; None when it is junk."""
    reset = _number(value)
    return None if reset is None else max(0.0, reset - now) + 1.0


class GitHubClient:
    """One authenticated connection to one GitHub (github.com or an Enterprise Server)."""

    def __init__(
        self, settings: GitHubSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.api_url = settings.api_url
        self._sleep = sleep
        self._gh: Github | None = None
        #: Every wait this client made, in seconds (for reports and tests of the budget).
        self.waits: list[float] = []

    # -- construction ---------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.settings.require_token()

    @property
    def gh(self) -> Github:
        """The PyGithub `Github`, built on first use (PyGithub is imported only then)."""
        if self._gh is None:
            from github import Auth, Github

            self._gh = Github(
                auth=Auth.Token(self.token.value),
                base_url=self.api_url,
                timeout=self.settings.timeout,
                retry=0,  # PyGithub's GithubRetry off: the budget is ours (see module doc)
                # Reads unpaced, writes serial and spaced (see scaffolder.github's docstring).
                seconds_between_requests=self.settings.request_interval or None,
                seconds_between_writes=self.settings.write_interval or None,
                user_agent="scaffolder",
            )
            transport.install(
                self._gh.requester,
                transport.Limits(
                    deadline=float(self.settings.timeout),
                    max_bytes=self.settings.max_response_bytes,
                ),
            )
        return self._gh

    def close(self) -> None:
        if self._gh is not None:
            self._gh.close()
            self._gh = None

    # -- calls ----------------------------------------------------------------------------
    def call(self, what: str, fn: Callable[[Github], T]) -> T:
        """Run `fn(gh)`, retrying transient failures within the budget; errors translated.

        `what` names the operation in messages ("create repository acme/payments").
        """
        policy = self.settings.retry
        gh = self.gh
        for attempt in range(policy.attempts):
            try:
                return fn(gh)
            except Exception as exc:  # classified below, re-raised translated
                wait = self._transient_wait(exc, attempt)
                if wait is None or attempt + 1 >= policy.attempts:
                    raise self.translate(exc, what) from exc
                self.waits.append(wait)
                self._sleep(wait * policy.scale)
        raise AssertionError("unreachable")  # pragma: no cover

    def rest(self, method: str, path: str, body: Any = None, *, what: str | None = None) -> Any:
        """A raw call for endpoints PyGithub lacks; `path` is relative to the API URL."""
        label = what or f"{method} {path}"

        def send(gh: Github) -> Any:
            _, data = gh.requester.requestJsonAndCheck(method, path, input=body)
            return data

        return self.call(label, send)

    def identity(self) -> Identity:
        """`GET /user`: who the token is. Call it before any write."""
        self.token  # noqa: B018  # raises GitHubAuthError before any network call
        what = "check the token (GET /user)"
        data = self.rest("GET", "/user", what=what)
        if isinstance(data, list):
            raise GitHubError(
                f"{what}: GitHub answered with a JSON list, not a user", hint=URL_HINT
            )
        if not isinstance(data, dict):
            data = {}
        login = data.get("login")
        if not isinstance(login, str) or not login.strip():
            # PyGithub wraps a body that is not JSON as {"data": text}.
            if isinstance(data.get("data"), str):
                raise GitHubError(
                    f"{what}: GitHub answered with a page that is not JSON", hint=URL_HINT
                )
            raise GitHubError(f"{what}: GitHub's answer has no login", hint=URL_HINT)
        name, kind = data.get("name"), data.get("type")
        return Identity(
            login=login,
            name=name if isinstance(name, str) else None,
            type=kind if isinstance(kind, str) else "User",
        )

    # -- the boundary -------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token.value, "***") if token and token.value else text

    def _transient_wait(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying `exc`, or None when it is not worth retrying."""
        import requests
        from github import GithubException

        policy = self.settings.retry
        if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.ConnectionError):
            return policy.backoff(attempt)
        if not isinstance(exc, GithubException):
            return None
        limited, wait = self._rate_limit(exc)
        if limited:
            if wait is None:  # GitHub did not say how long, or said it in junk
                return policy.backoff(attempt)
            return wait if wait <= policy.max_delay else None
        if exc.status >= 500:
            return policy.backoff(attempt)
        return None

    @staticmethod
    def _rate_limit(exc: Any) -> tuple[bool, float | None]:
        """Whether `exc` is a rate limit (or a 5xx with `Retry-After`), and the wait it asks for.

        The wait is None when GitHub gave none or gave junk; it may be huge or `inf`.
        """
        from github import RateLimitExceededException

        status = exc.status
        if status not in (403, 429) and status < 500:
            return False, None
        now = time.time()
        if retry_after := _header(exc.headers, "retry-after"):
            return True, retry_after_seconds(retry_after, now)
        if status >= 500:
            return False, None
        if _header(exc.headers, "x-ratelimit-remaining") == "0":
            reset = _header(exc.headers, "x-ratelimit-reset")
            return True, None if reset is None else reset_seconds(reset, now)
        return status == 429 or isinstance(exc, RateLimitExceededException), None

    def translate(self, exc: BaseException, what: str) -> GitHubError:
        """The one place where PyGithub's and requests' exceptions become scaffolder errors."""
        import requests
        from github import GithubException

        if isinstance(exc, GitHubError):
            return exc
        if isinstance(exc, transport.RedirectRefused):
            answer = one_line(f"{exc.status} {exc.reason}")
            return GitHubError(
                self.scrub(
                    f"{what}: GitHub answered {answer}, a redirect to {one_line(exc.location)}; "
                    "scaffolder does not follow redirects"
                ),
                hint=URL_HINT,
                status=exc.status,
            )
        if isinstance(exc, transport.ResponseTooLarge):
            return GitHubError(
                self.scrub(
                    f"{what}: {self.api_url} answered with more than "
                    f"{exc.limit // (1024 * 1024)} MB; scaffolder reads no more than that"
                ),
                hint=URL_HINT,
            )
        if isinstance(exc, transport.DeadlineExceeded):
            return GitHubError(
                self.scrub(
                    f"{what}: {self.api_url} timed out: no complete answer within {exc.seconds:g} s"
                ),
                hint="check the network and the API URL (--github-api-url); "
                "$SCAFFOLDER_GITHUB_TIMEOUT sets the seconds allowed per request",
            )
        if isinstance(exc, json.JSONDecodeError):
            return GitHubError(
                self.scrub(f"{what}: GitHub answered with something that is not JSON ({exc.msg})"),
                hint=URL_HINT,
            )
        if isinstance(exc, requests.exceptions.RequestException):
            kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "failed"
            return GitHubError(
                self.scrub(
                    f"{what}: the connection to {self.api_url} {kind} ({type(exc).__name__})"
                ),
                hint="check the network and the API URL (--github-api-url), then try again",
            )
        if not isinstance(exc, GithubException):
            return GitHubError(self.scrub(f"{what}: {type(exc).__name__}: {exc}"))
        message = self._github_message(exc)
        text = self.scrub(f"{what}: GitHub answered {exc.status} {message}".rstrip())
        status = exc.status
        if status == 401:
            return GitHubAuthError(text, hint=AUTH_HINT, status=status)
        limited, wait = self._rate_limit(exc)
        if limited:
            return GitHubRateLimitError(text, hint=self._rate_limit_hint(wait), status=status)
        if status == 403:
            limited = any(m in message.lower() for m in PLAN_LIMIT_MARKERS)
            hint = (
                "this needs a paid plan for private repositories, or a public repository"
                if limited
                else PERMISSION_HINT
            )
            return GitHubPermissionError(text, hint=hint, status=status, plan_limited=limited)
        if status >= 500:
            hint = "GitHub kept failing within the retry budget; try again in a few minutes"
        else:
            hint = "that is GitHub's own answer: fix what it names, then run again"
        return GitHubError(text, hint=hint, status=status)

    @staticmethod
    def _rate_limit_hint(wait: float | None) -> str:
        if wait is None:
            return (
                "GitHub's rate limit is used up and its answer did not say (readably) when it "
                "resets; run again in a few minutes"
            )
        if wait > DAY:
            return (
                "GitHub's rate limit asks for a wait of more than a day; check the token's "
                "limits (GET /rate_limit) and run again later"
            )
        resets = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
        return f"GitHub's rate limit resets at about {resets}; run again then"

    @staticmethod
    def _github_message(exc: Any) -> str:
        """GitHub's own words from an error answer: one line, printable, at most 300 chars."""
        data = exc.data
        if not isinstance(data, dict):
            return one_line(str(data or ""))
        message = str(data.get("message") or "")
        errors = data.get("errors")
        details = []
        for err in errors if isinstance(errors, list) else []:
            if isinstance(err, dict):
                details.append(str(err.get("message") or err.get("code") or err))
            else:
                details.append(str(err))
        return one_line(message + (f" ({'; '.join(details)})" if details else ""))


def connect(settings: GitHubSettings, **kwargs: Any) -> GitHubClient:
    """A client for `settings`; nothing is sent until the first call."""
    return GitHubClient(settings, **kwargs)
