"""Security alerts on GitHub: lists followed page by page, revalidated with ETags, and probes.

* `AlertClient.pages(path, params)`: every item of a paginated list (`Link: <...>; rel="next"`,
  page numbers or cursors alike: the next URL is followed as GitHub gives it, and only if it is
  on the API URL, so the token goes nowhere else). Each page is kept in the `ETagCache` and
  asked for with `If-None-Match`: a `304` costs no rate limit and no download.
* `dependabot_probe(owner, repo)`: `GET /repos/{o}/{r}/vulnerability-alerts` (204 on, 404
  off), and `code_scanning_probe`: one item of the repository's code scanning list (200 on,
  GitHub's "not enabled" off, "Advanced Security must be enabled" unavailable). A probe's
  answer is kept for a day (`PROBE_MAX_AGE`) and counted apart (`RequestStats`).
* `severity(kind, alert)`: critical, high, medium or low. Code scanning:
  `rule.security_severity_level`, else `rule.severity` (error high, warning medium, note and
  none low); Dependabot: `security_advisory.severity` (GitHub's older "moderate" is medium);
  secret scanning has none: an open leaked secret is critical.
* `off_or_unavailable(error)`: whether a refusal is GitHub saying the feature is off, or not on
  this plan, rather than that the token may not read the repository.

Every call goes through `GitHubClient.call` (retries, rate limits, error translation); PyGithub's
requester is not thread-safe, so each thread has its own client, as `contents.GitHubFetcher`.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from scaffolder.errors import GitHubError, GitHubRateLimitError
from scaffolder.github.etag_cache import ETagCache, Page
from scaffolder.github.pool import ClientPool

if TYPE_CHECKING:
    from github import Github

    from scaffolder.github import GitHubSettings

Kind = Literal["code-scanning", "dependabot", "secret-scanning"]
KINDS: tuple[Kind, ...] = ("code-scanning", "dependabot", "secret-scanning")
SEVERITIES = ("critical", "high", "medium", "low")
PER_PAGE = 100
PROBE_MAX_AGE = 86400.0
#: At most this many pages of one list: 100,000 alerts, far above any real organisation.
MAX_PAGES = 1000

_RULE_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "low"}
_OFF_MARKERS = (
    "is not enabled",
    "are disabled",
    "is disabled",
    "no analysis found",
)
_UNAVAILABLE_MARKERS = (
    "advanced security must be enabled",
    "upgrade to github",
    "not available for",
)


def severity(kind: Kind, alert: Mapping[str, Any]) -> str:
    """The severity an alert counts at (see the module docstring)."""
    if kind == "secret-scanning":
        return "critical"
    if kind == "code-scanning":
        found = alert.get("rule")
        rule: Mapping[str, Any] = found if isinstance(found, dict) else {}
        level = rule.get("security_severity_level")
        if level in SEVERITIES:
            return str(level)
        return _RULE_SEVERITY.get(str(rule.get("severity")), "low")
    advisory = alert.get("security_advisory")
    vulnerability = alert.get("security_vulnerability")
    for source in (advisory, vulnerability):
        level = source.get("severity") if isinstance(source, dict) else None
        if level == "moderate":
            return "medium"
        if level in SEVERITIES:
            return str(level)
    return "low"


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(SEVERITIES, 0)


def count_open(kind: Kind, alerts: list[Any]) -> dict[str, int]:
    """Open alerts by severity; dismissed, fixed, resolved (and malformed) ones are left out."""
    counts = empty_counts()
    for alert in alerts:
        if isinstance(alert, dict) and alert.get("state") == "open":
            counts[severity(kind, alert)] += 1
    return counts


def count_open_by_repository(kind: Kind, alerts: list[Any]) -> dict[str, dict[str, int]]:
    """An organisation list's open alerts by severity, per lower-cased repository name."""
    by_repo: dict[str, list[Any]] = {}
    for alert in alerts:
        repo = alert.get("repository") if isinstance(alert, dict) else None
        name = repo.get("name") if isinstance(repo, dict) else None
        if isinstance(name, str):
            by_repo.setdefault(name.lower(), []).append(alert)
    return {name: count_open(kind, items) for name, items in by_repo.items()}


def off_or_unavailable(error: GitHubError) -> Literal["off", "unavailable"] | None:
    """ "off" or "unavailable" when a 403/404 is GitHub's word on the feature; else None."""
    if error.status not in (403, 404) or isinstance(error, GitHubRateLimitError):
        return None
    text = error.message.lower()
    if any(marker in text for marker in _UNAVAILABLE_MARKERS):
        return "unavailable"
    if any(marker in text for marker in _OFF_MARKERS):
        return "off"
    return None


@dataclass
class RequestStats:
    """What the run asked GitHub: lists apart from probes; 304s cost no rate limit."""

    requests: int = 0
    not_modified: int = 0
    probes: int = 0
    probes_not_modified: int = 0
    #: Probes answered from a cached answer less than a day old, without asking.
    probes_cached: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int, *, probe: bool) -> None:
        with self.lock:
            if probe:
                self.probes += 1
                self.probes_not_modified += status == 304
            else:
                self.requests += 1
                self.not_modified += status == 304

    def cached_probe(self) -> None:
        with self.lock:
            self.probes_cached += 1

    @property
    def rate_limit_cost(self) -> int:
        return self.requests - self.not_modified + self.probes - self.probes_not_modified

    def to_json(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "not_modified": self.not_modified,
            "probes": self.probes,
            "probes_not_modified": self.probes_not_modified,
            "probes_cached": self.probes_cached,
            "rate_limit_cost": self.rate_limit_cost,
        }


def _next_link(header: str) -> str | None:
    from requests.utils import parse_header_links

    for link in parse_header_links(header) if header else []:
        if link.get("rel") == "next" and link.get("url"):
            return str(link["url"])
    return None


def _query(params: Mapping[str, str | int]) -> str:
    return urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()))


class AlertClient(ClientPool):
    """Reads alert lists and probes on one GitHub, for any number of threads."""

    def __init__(self, settings: GitHubSettings, cache: ETagCache) -> None:
        super().__init__(settings)
        self.cache = cache
        self.stats = RequestStats()

    # -- one request ----------------------------------------------------------------------------
    def _get(self, path: str, what: str, *, probe: bool) -> tuple[int, str, Any]:
        """(status, Link header, body) of a GET of `path` (with its query), revalidated."""
        key = ETagCache.key(self.settings.api_url, path)
        cached = self.cache.page(key)
        headers = {"If-None-Match": cached.etag} if cached else {}

        def send(gh: Github) -> tuple[int, dict[str, Any], Any]:
            status, answer, body = gh.requester.requestJson("GET", path, headers=headers)
            data = json.loads(body) if body and status not in (204, 304) else None
            if status >= 400:
                raise gh.requester.createException(status, answer, data or {})
            return status, answer, data

        try:
            status, answer, data = self.client().call(what, send)
        except GitHubError as exc:
            if exc.status is not None:  # answered (a refusal is a request too), not a timeout
                self.stats.count(exc.status, probe=probe)
            raise
        self.stats.count(status, probe=probe)
        lowered = {str(k).lower(): str(v) for k, v in answer.items()}
        if status == 304 and cached is not None:
            return 200, cached.link, cached.body
        if status == 304:
            raise GitHubError(f"{what}: GitHub answered 304 to a request that had no ETag")
        link = lowered.get("link", "")
        if etag := lowered.get("etag"):
            self.cache.put_page(key, Page(etag, link, data))
        return status, link, data

    def _relative(self, url: str, what: str) -> str:
        base = self.settings.api_url.rstrip("/")
        if not url.startswith(base + "/"):
            raise GitHubError(
                f"{what}: GitHub's next page is not on {base} ({url[:200]}); not followed"
            )
        return url[len(base) :]

    def one(self, path: str, what: str) -> Any:
        """The JSON of one GET (not a list), revalidated like a page."""
        return self._get(path, what, probe=False)[2]

    # -- lists -----------------------------------------------------------------------------
    def pages(self, path: str, params: Mapping[str, str | int], what: str) -> list[Any]:
        """Every item of a paginated list (raises GitHubError, translated, with its status)."""
        url = f"{path}?{_query({'per_page': PER_PAGE, **params})}"
        items: list[Any] = []
        for number in range(1, MAX_PAGES + 1):
            _, link, data = self._get(url, f"{what} (page {number})", probe=False)
            if not isinstance(data, list):
                raise GitHubError(f"{what}: GitHub answered with something that is not a list")
            items += data
            following = _next_link(link)
            if following is None:
                return items
            url = self._relative(following, what)
        raise GitHubError(f"{what}: more than {MAX_PAGES} pages; not read to the end")

    # -- probes ----------------------------------------------------------------------------
    def _probe(self, key: str, ask: Any) -> str:
        if (known := self.cache.probe(key, PROBE_MAX_AGE)) is not None:
            self.stats.cached_probe()
            return known
        answer: str = ask()
        self.cache.put_probe(key, answer)
        return answer

    def dependabot_probe(self, owner: str, repo: str) -> str:
        """ "on" or "off": whether Dependabot alerts are enabled for the repository."""
        path = f"/repos/{_quote(owner)}/{_quote(repo)}/vulnerability-alerts"

        def ask() -> str:
            try:
                self._get(
                    path, f"ask whether Dependabot alerts are on for {owner}/{repo}", probe=True
                )
            except GitHubError as exc:
                if exc.status == 404:
                    return "off"
                raise
            return "on"

        return self._probe(f"probe {ETagCache.key(self.settings.api_url, path)}", ask)

    def code_scanning_probe(self, owner: str, repo: str) -> str:
        """ "on", "off" or "unavailable": whether code scanning runs on the repository."""
        path = f"/repos/{_quote(owner)}/{_quote(repo)}/code-scanning/alerts?per_page=1&state=open"

        def ask() -> str:
            try:
                self._get(path, f"ask whether code scanning is on for {owner}/{repo}", probe=True)
            except GitHubError as exc:
                if state := off_or_unavailable(exc):
                    return state
                raise
            return "on"

        return self._probe(f"probe {ETagCache.key(self.settings.api_url, path)}", ask)


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")
