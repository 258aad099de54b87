"""The GitHub client: PyGithub behind one boundary, with a bounded retry budget of our own.

* PyGithub's own `GithubRetry` is switched off (`retry=0`), so the only retries are the ones
  counted here: at most `RetryPolicy.attempts` tries per call, waits that honour GitHub's
  `Retry-After` and `x-ratelimit-reset`, and no wait longer than `RetryPolicy.max_delay`.
* Every exception from PyGithub or `requests` is translated into the `GitHubError` family here,
  and nowhere else, with the token scrubbed from the message.
* `call(what, fn)` retries a whole closure, so a step that checks and then writes (list the
  rulesets, then create the missing one) is retried as a unit: a write that timed out but
  landed is found by the next check instead of being made twice.
"""

from __future__ import annotations

import email.utils
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


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


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
                seconds_between_requests=0.25 * self.settings.retry.scale,
                seconds_between_writes=self.settings.write_interval,
                user_agent="scaffolder",
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
        data = self.rest("GET", "/user", what="check the token (GET /user)")
        return Identity(
            login=str(data["login"]), name=data.get("name"), type=str(data.get("type", "User"))
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
        wait = self._rate_limit_wait(exc)
        if wait is not None:
            return wait if wait <= policy.max_delay else None
        if exc.status >= 500:
            return policy.backoff(attempt)
        return None

    @staticmethod
    def _rate_limit_wait(exc: Any) -> float | None:
        """For a 403/429 that GitHub marks as a rate limit, how long it asks us to wait."""
        if exc.status not in (403, 429) and exc.status < 500:
            return None
        retry_after = _header(exc.headers, "retry-after")
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                when = email.utils.parsedate_to_datetime(retry_after)
                return max(0.0, when.timestamp() - time.time())
        if exc.status >= 500:
            return None
        remaining = _header(exc.headers, "x-ratelimit-remaining")
        reset = _header(exc.headers, "x-ratelimit-reset")
        if remaining == "0" and reset and reset.isdigit():
            return max(0.0, int(reset) - time.time()) + 1.0
        return None

    def translate(self, exc: BaseException, what: str) -> GitHubError:
        """The one place where PyGithub's and requests' exceptions become scaffolder errors."""
        import requests
        from github import GithubException

        if isinstance(exc, GitHubError):
            return exc
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
        rate_wait = self._rate_limit_wait(exc)
        if rate_wait is not None:
            resets = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + rate_wait))
            return GitHubRateLimitError(
                text,
                hint=f"GitHub's rate limit resets at about {resets}; run again then",
                status=status,
            )
        if status == 403:
            limited = any(m in message.lower() for m in PLAN_LIMIT_MARKERS)
            hint = (
                "this needs a paid plan for private repositories, or a public repository"
                if limited
                else PERMISSION_HINT
            )
            return GitHubPermissionError(text, hint=hint, status=status, plan_limited=limited)
        return GitHubError(text, status=status)

    @staticmethod
    def _github_message(exc: Any) -> str:
        data = exc.data
        if not isinstance(data, dict):
            return str(data or "")[:200]
        message = str(data.get("message") or "")
        details = []
        for err in data.get("errors") or []:
            if isinstance(err, dict):
                details.append(str(err.get("message") or err.get("code") or err))
            else:
                details.append(str(err))
        return message + (f" ({'; '.join(details)})" if details else "")


def connect(settings: GitHubSettings, **kwargs: Any) -> GitHubClient:
    """A client for `settings`; nothing is sent until the first call."""
    return GitHubClient(settings, **kwargs)
