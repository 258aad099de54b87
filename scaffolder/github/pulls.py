"""Pull requests for the fleet update, and the pacing its writes share across threads.

* `find_pull(client, repo, branch, base)`: scaffolder's pull request for `branch` (looked up by
  head branch, as `catalog/remote.py` does), open ones first; None when there is none.
* `open_pull(...)`: open one, unless one is open already for that head (a second run, or a
  retry after a write that landed before a timeout): never two for one branch.
* `edit_pull(...)`: a new title and body for one found (`PATCH .../pulls/{number}`), when a later
  run proposes something else on the same branch.
* `WritePacer`: the fleet update works on several repositories at once, each with its own
  client, but GitHub's secondary rate limits count a token's writes together ("make requests
  serially", "wait at least one second between" writes). Every write of the run (pull requests
  and git pushes) goes through one pacer: one at a time, each starting at least `interval`
  seconds after the previous one ended. The interval is `GitHubSettings.write_interval` (1 s,
  times `$SCAFFOLDER_GITHUB_BACKOFF_SCALE`, which tests set near 0), so the clients' own
  PyGithub pacing is turned off to avoid paying twice.

  The pacer also stops the run's writes: once a rate limit is not worth waiting for (GitHub's
  hourly cap on content-creating requests answers with a `Retry-After` far beyond the retry
  budget; or the budget ran out on a secondary limit), `halt(error)` records it, and from then
  on `write()` and `check()` raise a `GitHubRateLimitError` saying when to run again, so the
  rest of the fleet fails fast instead of fetching, rendering and being refused one by one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scaffolder.errors import GitHubRateLimitError
from scaffolder.github.client import GitHubClient

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest
    from github.Repository import Repository


class WritePacer:
    """Writes one at a time, `interval` seconds apart (from the end of one to the next)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_end: float | None = None
        #: Writes made through this pacer.
        self.count = 0
        #: The rate limit that stopped the run's writes; None while they may go on.
        self.halted: GitHubRateLimitError | None = None
        self._halted_at = ""

    def halt(self, error: GitHubRateLimitError, where: str) -> None:
        """Stop every later write: `error` (met at `where`) is not worth waiting for."""
        if self.halted is None:  # the first one says when the limit resets
            self.halted, self._halted_at = error, where

    def check(self) -> None:
        """Raise once the run's writes are halted (a fast, request-free failure)."""
        halted = self.halted
        if halted is None:
            return
        hint = halted.hint or "run again later"
        raise GitHubRateLimitError(
            f"not tried: GitHub's rate limit stopped this run's writes at {self._halted_at} "
            f"({halted.message}); {hint}",
            hint=hint,
            status=halted.status,
        )

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._lock:
            self.check()
            if self._last_end is not None:
                wait = self._last_end + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self.count += 1
                self._last_end = self._clock()


@dataclass(frozen=True)
class Pull:
    number: int
    url: str
    state: str
    title: str
    body: str = ""
    #: PyGithub's object, for `edit_pull` (no second read).
    raw: PullRequest | None = field(default=None, compare=False, repr=False)

    @property
    def open(self) -> bool:
        return self.state == "open"


def _pull(pr: PullRequest) -> Pull:
    return Pull(
        int(pr.number), str(pr.html_url), str(pr.state), str(pr.title or ""), str(pr.body or ""), pr
    )


def _find(repo: Repository, branch: str, base: str) -> Pull | None:
    found: list[Pull] = []
    for pr in repo.get_pulls(state="all", head=f"{repo.owner.login}:{branch}", base=base):
        if pr.head.ref == branch:
            found.append(_pull(pr))
    found.sort(key=lambda p: (not p.open, -p.number))
    return found[0] if found else None


def find_pull(client: GitHubClient, repo: Repository, branch: str, base: str) -> Pull | None:
    """The pull request from `branch` into `base`: the open one, else the newest closed one."""
    return client.call(
        f"list pull requests of {repo.full_name}", lambda gh: _find(repo, branch, base)
    )


def open_pull(
    client: GitHubClient,
    pacer: WritePacer,
    repo: Repository,
    *,
    branch: str,
    base: str,
    title: str,
    body: str,
    checked: bool = False,
) -> Pull:
    """Open a pull request from `branch`, or return the one already open for it (`checked`:
    the caller has just found none, so the first attempt does not look again)."""

    attempts = 0

    def create(gh: Github) -> Pull:
        nonlocal attempts
        attempts += 1
        # The caller looked just now; a retry looks again, in case the failed attempt landed.
        found = _find(repo, branch, base) if attempts > 1 or not checked else None
        if found is not None and found.open:
            return found
        with pacer.write():
            return _pull(repo.create_pull(base=base, head=branch, title=title, body=body))

    return client.call(f"open a pull request in {repo.full_name}", create)


def edit_pull(
    client: GitHubClient, pacer: WritePacer, repo: Repository, pull: Pull, *, title: str, body: str
) -> Pull:
    """Give `pull` a new title and body (a `PATCH`, safe to retry); the pull request after it."""

    def edit(gh: Github) -> Pull:
        pr = pull.raw if pull.raw is not None else repo.get_pull(pull.number)
        with pacer.write():
            pr.edit(title=title, body=body)
        return _pull(pr)

    return client.call(f"edit pull request #{pull.number} of {repo.full_name}", edit)
