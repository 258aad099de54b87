"""Where the GitHub token and API URL come from, and how long to wait and retry.

Nothing here talks to GitHub, so it is cheap to import. The token is kept in a `Token`, whose
`repr` hides it, so it cannot leak through a log line or a traceback of a dataclass.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from scaffolder.config import TOKEN_ENVS as TOKEN_ENVS
from scaffolder.errors import GitHubAuthError, UsageError

DEFAULT_API_URL = "https://api.github.com"
API_URL_ENV = "SCAFFOLDER_GITHUB_API_URL"
#: Multiplies every wait (backoff, Retry-After, PyGithub's pause between writes). Tests set it
#: near zero so retries stay fast; it never removes the bound on attempts.
BACKOFF_SCALE_ENV = "SCAFFOLDER_GITHUB_BACKOFF_SCALE"
#: Seconds allowed for one whole HTTP answer before the call counts as timed out (and is retried).
TIMEOUT_ENV = "SCAFFOLDER_GITHUB_TIMEOUT"
#: The largest answer read from GitHub. Real API answers are far smaller (a contents answer is
#: at most about 1.4 MB); anything larger is refused rather than held in memory.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


class Token:
    """A secret string. `str()` gives the value; `repr()` never does."""

    __slots__ = ("source", "value")

    def __init__(self, value: str, source: str) -> None:
        self.value = value
        #: Where it was found: "GH_TOKEN", "GITHUB_TOKEN" or "gh auth token".
        self.source = source

    def __repr__(self) -> str:
        return f"Token(source={self.source!r}, value='***')"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RetryPolicy:
    """A bounded budget for transient failures: at most `attempts` tries per call.

    Waits grow as `base_delay * 2**n`; a `Retry-After` or `x-ratelimit-reset` from GitHub
    replaces the computed wait. A wait longer than `max_delay` is not waited for: the call fails
    at once with the time the limit resets. Every wait is multiplied by `scale`.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    scale: float = 1.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.base_delay * 2**attempt, self.max_delay))


def _hostname(api_url: str) -> str:
    return urllib.parse.urlsplit(api_url).hostname or ""


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1: the only hosts plain http may carry the token to."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(url: str) -> None:
    """Refuse an API URL that would send the token in clear, or that carries credentials.

    `https://` anywhere; `http://` only to loopback (a local fake or a tunnel), so that
    `--github-api-url http://ghe.corp.example/api/v3` fails before the first request.
    """
    parts = urllib.parse.urlsplit(url)
    shown = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    try:
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError:
        raise UsageError(
            f"invalid GitHub API URL {shown!r}: bad port",
            hint="give https://api.github.com or, for Enterprise Server, https://HOST/api/v3",
        ) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"invalid GitHub API URL {shown!r}",
            hint="give https://api.github.com or, for Enterprise Server, https://HOST/api/v3",
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"the GitHub API URL {shown} must not contain a user name or password",
            hint="remove them from the URL; the token comes from $GH_TOKEN, $GITHUB_TOKEN or "
            "`gh auth token`",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing to send the GitHub token in clear to {shown}: the API URL must be https",
            hint=f"use https://{parts.netloc}{parts.path}; plain http is allowed only for "
            "loopback (127.0.0.1, ::1, localhost)",
        )


def resolve_api_url(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--github-api-url`, then `$SCAFFOLDER_GITHUB_API_URL`, then https://api.github.com.

    An Enterprise Server URL is `https://HOST/api/v3`. A bare `https://HOST` is refused with that
    hint rather than guessed at, and so is any URL `check_api_url` refuses.
    """
    env = os.environ if env is None else env
    url = (flag or env.get(API_URL_ENV) or DEFAULT_API_URL).strip().rstrip("/")
    check_api_url(url)
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if host != "api.github.com" and not is_loopback(host) and not parts.path:
        raise UsageError(
            f"{url} looks like a web address, not an API URL",
            hint=f"for GitHub Enterprise Server use {url}/api/v3",
        )
    return url


def find_token(
    api_url: str = DEFAULT_API_URL, env: Mapping[str, str] | None = None
) -> Token | None:
    """`$GH_TOKEN`, then `$GITHUB_TOKEN`, then `gh auth token` if the GitHub CLI is installed."""
    env = os.environ if env is None else env
    for name in TOKEN_ENVS:
        if value := env.get(name, "").strip():
            return Token(value, name)
    gh = shutil.which("gh")
    if gh is None:
        return None
    host = _hostname(api_url)
    args = [gh, "auth", "token"]
    if host and host != "api.github.com":
        args += ["--hostname", host]
    try:
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=10, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip()
    return Token(value, "gh auth token") if proc.returncode == 0 and value else None


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise UsageError(f"${name} must be a number, not {raw!r}") from exc
    if value < 0:
        raise UsageError(f"${name} must not be negative")
    return value


@dataclass(frozen=True)
class GitHubSettings:
    """Everything needed to build a client. `token` is None when none was found."""

    api_url: str
    token: Token | None
    #: Whole seconds (PyGithub insists on an int) for one request, from sending it to the last
    #: byte of the answer: both the socket timeout and the overall deadline.
    timeout: int = 15
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Seconds from the end of one write to the start of the next (PyGithub's
    #: `seconds_between_writes`): GitHub asks for writes to be serial and a second apart, against
    #: its secondary rate limits. Reads in between count towards the wait.
    write_interval: float = 1.0
    #: Seconds before every request, reads included (PyGithub's `seconds_between_requests`).
    #: 0: reads are not paced; GitHub asks that of writes only. The benchmark sets it to show
    #: what the old pacing (0.25 s) cost.
    request_interval: float = 0.0
    #: Answers larger than this are refused (`scaffolder.github.transport`).
    max_response_bytes: int = MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        check_api_url(self.api_url)  # settings built by hand are held to the same rule

    @classmethod
    def from_env(
        cls, *, api_url: str | None = None, env: Mapping[str, str] | None = None
    ) -> GitHubSettings:
        env = os.environ if env is None else env
        url = resolve_api_url(api_url, env)
        scale = _float_env(env, BACKOFF_SCALE_ENV, 1.0)
        return cls(
            api_url=url,
            token=find_token(url, env),
            timeout=max(1, round(_float_env(env, TIMEOUT_ENV, 15.0))),
            retry=RetryPolicy(scale=scale),
            write_interval=1.0 * scale,
        )

    def require_token(self) -> Token:
        if self.token is None:
            raise GitHubAuthError(
                f"no GitHub token found for {self.api_url}",
                hint="export GH_TOKEN (or GITHUB_TOKEN) with a token that may create "
                "repositories, or run `gh auth login`",
            )
        return self.token
