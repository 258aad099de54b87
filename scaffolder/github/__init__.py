"""The GitHub seam shared by `publish` and the catalog's remote mode.

Usage::

    from scaffolder.github import GitHubSettings, connect

    settings = GitHubSettings.from_env(api_url=args.github_api_url)  # token + URL + budget
    client = connect(settings)
    me = client.identity()                      # GET /user; GitHubAuthError without a token
    repo = client.call("read acme/api", lambda gh: gh.get_repo("acme/api"))   # PyGithub
    client.rest("PUT", "/repos/acme/api/private-vulnerability-reporting")    # no wrapper

* Token: `$GH_TOKEN`, then `$GITHUB_TOKEN`, then `gh auth token` (`settings.find_token`).
  It lives in a `Token` whose repr hides it; `client.scrub(text)` removes it from any text.
* API URL: `--github-api-url`, then `$SCAFFOLDER_GITHUB_API_URL`, then https://api.github.com;
  Enterprise Server is `https://HOST/api/v3`. It must be https (plain http only to loopback) and
  carry no credentials (`settings.check_api_url`), so the token never travels in clear.
* Every call made through `call()`/`rest()` is retried on 5xx, timeouts, connection errors and
  403/429 rate limits (honouring `Retry-After` / `x-ratelimit-reset`), within a bounded budget
  (`RetryPolicy`); PyGithub's own retry is off. Failures come out as `GitHubError` and its
  subclasses (`scaffolder.errors`), never as PyGithub exceptions. Retry a whole
  check-then-write closure with `call()` so a write that landed before a timeout is not
  repeated.
* Under PyGithub (`transport`), redirects are refused, answers above 10 MB are refused and each
  request has an overall deadline; a broken answer (a list, HTML, no `login`) is a `GitHubError`.
* Pacing: writes (every method but GET) are made one at a time and start at least
  `GitHubSettings.write_interval` (1 s) after the previous write ended, as GitHub's best
  practices ask against its secondary rate limits ("make requests serially", "wait at least one
  second between each request" that changes something); the wait counts from the previous write,
  so reads made in between shorten it. Reads are not paced (`request_interval` 0): GitHub asks
  nothing of them but to be serial, which they are (one client, one thread), and pacing them cost
  a publish 0.25 s a read. Both are PyGithub's own throttle (`seconds_between_writes`,
  `seconds_between_requests`), so a write made through a PyGithub method is paced the same.
* `$SCAFFOLDER_GITHUB_BACKOFF_SCALE` multiplies every wait, the write spacing included (tests
  set it near 0); `$SCAFFOLDER_GITHUB_TIMEOUT` is the per-request timeout in seconds: the
  socket timeout and the deadline for the whole answer.
"""

from scaffolder.github.client import GitHubClient, Identity, connect
from scaffolder.github.settings import (
    DEFAULT_API_URL,
    GitHubSettings,
    RetryPolicy,
    Token,
    find_token,
    resolve_api_url,
)

__all__ = [
    "DEFAULT_API_URL",
    "GitHubClient",
    "GitHubSettings",
    "Identity",
    "RetryPolicy",
    "Token",
    "connect",
    "find_token",
    "resolve_api_url",
]
