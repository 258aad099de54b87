"""A real headless browser for the tests: Debian's Chromium, driven by Playwright's Python
package (pinned in the test extra), never a browser Playwright downloads.

`find_chromium()` looks for the system Chromium (`$SCAFFOLDER_CHROMIUM`, then
/usr/bin/chromium, then `chromium` on PATH). A machine without it fails the test saying how
to install it, on a developer's machine and in CI alike: never a skip (as the cargo, Go and
Node.js tests do). `.ci/run` installs the pinned Debian package.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALL = "sudo apt-get install chromium (what .ci/run does, pinned)"


def find_chromium() -> Path:
    """The system Chromium; a missing one fails the test, saying how to install it."""
    wanted = os.environ.get("SCAFFOLDER_CHROMIUM")
    candidates = [Path(wanted)] if wanted else [DEBIAN_CHROMIUM]
    if not wanted and (on_path := shutil.which("chromium")):
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "the browser tests need Debian's Chromium and it was not found "
        f"(looked for {', '.join(map(str, candidates))}); install it with: {CHROMIUM_INSTALL}"
    )


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright Browser) for one test."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra pins it
        pytest.fail("the browser tests need Playwright: pip install -e '.[test]'")
    executable = find_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page whose every request, dialog and console error is recorded; any request other
    than the page's own file is aborted (and recorded)."""

    def __init__(self, browser: Any, allowed: str) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(java_script_enabled=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.allowed = allowed
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def _route(self, route: Any) -> None:
        if route.request.url == self.allowed:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@contextmanager
def watched_page(browser: Any, path: Path) -> Iterator[Watched]:
    """`path` opened from file:// in a fresh context, watched (`Watched`)."""
    url = path.resolve().as_uri()
    watched = Watched(browser, url)
    try:
        watched.page.goto(url)
        yield watched
    finally:
        watched.close()
