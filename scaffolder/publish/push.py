"""Pushing `main` over HTTPS with the token in the environment, and only there.

git receives the token as an `http.<origin>.extraHeader` in `GIT_CONFIG_COUNT`/`KEY_n`/
`VALUE_n` variables (git 2.31+): never in argv, `.git/config`, the remote URL or a credential
store (`credential.helper` is reset to empty for the push). Afterwards `origin` is the clean URL.
Like every git process scaffolder runs, the push runs no hooks (see `vcs/git.py`).

The clone URL comes from GitHub's answer, so it is checked before the token goes anywhere:
`check_clone_url` accepts only the API's own GitHub (same scheme, host and port).
"""

from __future__ import annotations

import base64
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

from scaffolder.errors import GitError, GitHubError, UsageError
from scaffolder.github.settings import RetryPolicy
from scaffolder.vcs import git

BRANCH = "main"


def clean_url(url: str) -> str:
    """`url` without any user or password in it."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _web_hosts(api_host: str) -> set[str]:
    """The hosts that belong to the GitHub whose API is on `api_host`.

    `api.github.com` serves github.com, `api.SUBDOMAIN.ghe.com` serves SUBDOMAIN.ghe.com, and
    Enterprise Server (`https://HOST/api/v3`) serves HOST itself.
    """
    hosts = {api_host}
    rest = api_host.removeprefix("api.")
    if rest != api_host and "." in rest:
        hosts.add(rest)
    return hosts


def check_clone_url(clone_url: str, api_url: str) -> None:
    """Refuse to push to `clone_url` unless it is on the API's GitHub: scheme, host and port.

    The push carries the token (as Basic auth), and the URL comes from GitHub's answer: a
    broken or hostile answer naming another host must not receive it.
    """
    api = urllib.parse.urlsplit(api_url)
    clone = urllib.parse.urlsplit(clone_url)
    try:
        ports = (clone.port, api.port)
    except ValueError:
        ports = (-1, None)
    api_host = api.hostname or ""
    same = (
        clone.scheme == api.scheme
        and clone.scheme in _DEFAULT_PORTS
        and clone.hostname in _web_hosts(api_host)
        and (ports[0] or _DEFAULT_PORTS[clone.scheme]) == (ports[1] or _DEFAULT_PORTS[api.scheme])
    )
    if not same:
        shown = clone_url.rpartition("@")[2] if "://" not in clone_url else _shown(clone)
        where = f"{api.scheme}://{' or '.join(sorted(_web_hosts(api_host)))}"
        if api.port:
            where += f":{api.port}"
        raise GitHubError(
            f"GitHub gave {shown} as the clone URL, which is not on {where} (the API's "
            "host): refusing to push the token there",
            hint="check that --github-api-url names the GitHub that hosts the repository; "
            "if it does, its answer is broken: push by hand and report it",
        )


def _shown(parts: urllib.parse.SplitResult) -> str:
    """`parts` without any user or password."""
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def auth_env(url: str, token: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`GIT_CONFIG_*` variables that give git the token for `url`'s origin, for one command.

    Entries already in the environment's `GIT_CONFIG_COUNT` are kept (ours are appended).
    """
    base = os.environ if base is None else base
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}/"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    try:
        start = int(base.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        start = 0
    pairs = [
        (f"http.{origin}.extraHeader", f"Authorization: Basic {basic}"),
        ("credential.helper", ""),
    ]
    env = {"GIT_CONFIG_COUNT": str(start + len(pairs))}
    for i, (key, value) in enumerate(pairs, start):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def local_head(project: Path) -> str:
    """The commit of local `main`; a project without one has not been committed yet."""
    proc = git.run_git(
        ["rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}^{{commit}}"],
        cwd=project,
        check=False,
    )
    sha = proc.stdout.strip()
    if not git.is_repository(project) or proc.returncode != 0 or not sha:
        raise UsageError(
            f"{project} has no commit on {BRANCH} to publish",
            hint=f"finish the scaffold first: scaffolder resume {project}",
        )
    return sha


def in_history(project: Path, sha: str) -> bool:
    """Whether commit `sha` is local `main` or one of its ancestors."""
    if not all(c in "0123456789abcdef" for c in sha.lower()) or not sha:
        return False
    known = git.run_git(["cat-file", "-e", f"{sha}^{{commit}}"], cwd=project, check=False)
    if known.returncode != 0:
        return False
    proc = git.run_git(
        ["merge-base", "--is-ancestor", sha, f"refs/heads/{BRANCH}"], cwd=project, check=False
    )
    return proc.returncode == 0


#: git's words for failures worth another try: a 5xx or 429 from the server, or the network.
TRANSIENT = re.compile(
    r"returned error: (5\d\d|429)|timed out|Failed to connect|Connection reset|"
    r"Could not resolve host|unexpected disconnect|RPC failed|remote end hung up unexpectedly"
)


def push(
    project: Path,
    clone_url: str,
    token: str,
    *,
    api_url: str,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`git push URL main:main`, retried like API calls when the failure is transient.

    `clone_url` must be on the GitHub of `api_url` (`check_clone_url`), or nothing is sent.
    Refuses first (`SecretInProjectError`, exit 4) if anything `main` holds contains the token.
    """
    check_clone_url(clone_url, api_url)
    git.assert_history_clean(
        project, f"refs/heads/{BRANCH}", [token, *git.environment_secrets()], action="push"
    )
    url = clean_url(clone_url)
    refspec = f"refs/heads/{BRANCH}:refs/heads/{BRANCH}"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    policy = retry or RetryPolicy()
    for attempt in range(policy.attempts):
        try:
            git.run_git(
                ["push", "--porcelain", url, refspec],
                cwd=project,
                env=auth_env(url, token),
                secrets=[token, basic],
            )
            return
        except GitError as exc:
            if attempt + 1 >= policy.attempts or not TRANSIENT.search(exc.message):
                raise
            sleep(policy.backoff(attempt) * policy.scale)


def set_origin(project: Path, clone_url: str) -> bool:
    """Point `origin` at the clean URL. Returns whether anything changed."""
    url = clean_url(clone_url)
    current = git.run_git(["remote", "get-url", "origin"], cwd=project, check=False)
    if current.returncode == 0:
        if current.stdout.strip() == url:
            return False
        git.run_git(["remote", "set-url", "origin", url], cwd=project)
        return True
    git.run_git(["remote", "add", "origin", url], cwd=project)
    return True


def check_pushable(project: Path) -> None:
    """git must be new enough for `GIT_CONFIG_COUNT` (2.31)."""
    out = git.run_git(["version"], cwd=project).stdout.split()
    try:
        major, minor = (int(x) for x in out[2].split(".")[:2])
    except (IndexError, ValueError):
        return
    if (major, minor) < (2, 31):
        raise GitError(
            f"git {out[2]} is too old to push without writing the token to disk",
            hint="install git 2.31 or newer",
        )
