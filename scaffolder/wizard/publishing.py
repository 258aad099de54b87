"""Where to publish: the GitHub accounts a token can create repositories under.

The token and the client are `scaffolder.github`'s (token from `$GH_TOKEN`, `$GITHUB_TOKEN` or
`gh auth token`; PyGithub behind its error boundary). The wizard only needs who the token is and
which organisations it belongs to, so that the owner is a pick, not a guess.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scaffolder.errors import ScaffolderError
from scaffolder.wizard.prompts import Option, Prompter
from scaffolder.wizard.review import PublishPlan


@dataclass(frozen=True)
class GitHubAccounts:
    """The owners a token may publish to: its own login first, then its organisations."""

    login: str
    organizations: tuple[str, ...]
    api_url: str
    #: The owners an access policy allows (compared case-insensitively); None: any.
    allowed: tuple[str, ...] | None = None

    @property
    def owners(self) -> list[str]:
        owners = [self.login, *self.organizations]
        if self.allowed is None:
            return owners
        allowed = {owner.lower() for owner in self.allowed}
        return [owner for owner in owners if owner.lower() in allowed]

    def repository_url(self, owner: str, name: str) -> str:
        """The web address GitHub gives a repository (github.com, or an Enterprise host)."""
        parts = urllib.parse.urlsplit(self.api_url)
        host = parts.netloc
        if host == "api.github.com":
            host = "github.com"
        return f"{parts.scheme}://{host}/{owner}/{name}"


@dataclass(frozen=True)
class Discovery:
    """What the wizard learnt about GitHub: the accounts, or why there are none."""

    accounts: GitHubAccounts | None
    note: str


def discover(api_url: str | None, *, note: Callable[[str], None] = lambda line: None) -> Discovery:
    """Ask GitHub who the token is. Never raises: without usable accounts, nothing is published.

    `note` hears one line before the network calls, so a slow GitHub is not a silent pause.
    """
    from scaffolder.github import GitHubSettings, connect

    try:
        settings = GitHubSettings.from_env(api_url=api_url)
    except ScaffolderError as exc:
        return Discovery(None, f"not published ({exc.message})")
    if settings.token is None:
        return Discovery(None, "not published: no GitHub token (set GH_TOKEN to publish)")
    note(f"Checking what the GitHub token ({settings.token.source}) may publish to ...")
    client = connect(settings)
    try:
        me = client.identity()
        orgs = client.call(
            "list your organisations",
            lambda gh: [org.login for org in gh.get_user().get_orgs()],
        )
    except ScaffolderError as exc:
        return Discovery(None, f"not published (GitHub: {exc.message})")
    finally:
        client.close()
    return Discovery(GitHubAccounts(me.login, tuple(orgs), settings.api_url), "")


def ask_publish(
    prompter: Prompter,
    accounts: GitHubAccounts,
    *,
    owner: str,
    name: str,
    current: PublishPlan | None = None,
    private_choices: Sequence[bool] = (True, False),
    note: Callable[[str], None] = lambda line: None,
) -> PublishPlan:
    """Visibility (private by default) and whether to publish now, for the chosen owner.

    `private_choices` are the visibilities an access policy allows; a single one is not asked,
    `note` hears that it is fixed.
    """
    options = [
        Option("private", True, "only people you grant access can see it"),
        Option("public", False, "anyone can see it; a free plan protects only public repos"),
    ]
    options = [option for option in options if option.value in private_choices]
    if len(options) == 1:
        private = options[0].value
        note(
            f"Visibility of {owner}/{name}: {options[0].title}, the only one the access policy "
            "allows (rule where.visibility)"
        )
    else:
        private = prompter.select(
            f"Visibility of {owner}/{name} on GitHub",
            options,
            default=current.private if current else True,
        )
    now = prompter.confirm(
        "Publish it now (create the repository, push, apply protection)?",
        default=current.now if current else True,
    )
    return PublishPlan(
        owner=owner, private=bool(private), now=now, url=accounts.repository_url(owner, name)
    )
