"""One GitHub client per thread: PyGithub's requester (its connection and pacing state) must
not be shared across threads, so a fleet command's workers each get their own, made on first
use and closed together at the end of the run."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PyGithub is imported with the first client, not with this module
    from scaffolder.github.client import GitHubClient
    from scaffolder.github.settings import GitHubSettings


class ClientPool:
    def __init__(self, settings: GitHubSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._clients: list[GitHubClient] = []
        self._lock = threading.Lock()

    def client(self) -> GitHubClient:
        """This thread's client."""
        found: GitHubClient | None = getattr(self._local, "client", None)
        if found is None:
            from scaffolder.github.client import connect

            found = connect(self.settings)
            self._local.client = found
            with self._lock:
                self._clients.append(found)
        return found

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
