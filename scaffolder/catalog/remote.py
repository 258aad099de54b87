"""A catalog in a repository on GitHub: every change is proposed as a pull request.

`--catalog github:OWNER/REPO/path/to/all.yaml` makes `register` and `unregister` edit that file
on a branch and open a pull request against the default branch, so the platform team reviews
each addition. Everything goes through the GitHub API (no clone): read the file, create the
branch from the default branch's head, commit the edited file with the contents API, open the
pull request. The text edit is the same one a local catalog gets (`locations.edit_register`),
so comments and order survive review too, except that a new target is inserted before the
first one that sorts after it rather than appended: several pending pull requests that all
appended would touch the same lines and conflict as soon as one is merged.

Idempotent: when the default branch already reads as asked, nothing is proposed; when an open
pull request from scaffolder's branch for the same target exists, it is reused (and updated if
needed). A branch left over from a merged or closed proposal is never reused or deleted: a new
branch named after the current base commit is used instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import GitHubError
from scaffolder.github.contents import FileAddress, GitHubFetcher
from scaffolder.progress import SILENT, Progress

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

BRANCH_PREFIX = "scaffolder/"


def branch_name(hint: str) -> str:
    """A stable, readable branch name for one proposed change."""
    readable = re.sub(r"^https?://", "", hint.lower())
    readable = re.sub(r"[^a-z0-9]+", "-", readable).strip("-")[:48].strip("-")
    digest = hashlib.sha256(hint.encode()).hexdigest()[:8]
    return f"{BRANCH_PREFIX}{readable}-{digest}"


def _ref_sha(repo: Repository, branch: str) -> str | None:
    from github import GithubException

    try:
        return str(repo.get_git_ref(f"heads/{branch}").object.sha)
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise


def _open_pull(repo: Repository, branch: str, base: str) -> str | None:
    pulls = repo.get_pulls(state="open", head=f"{repo.owner.login}:{branch}", base=base)
    for pull in pulls:
        if pull.head.ref == branch:
            return str(pull.html_url)
    return None


def _write_file(
    repo: Repository, catalog: RemoteCatalog, branch: str, edit: Callable[[str], str], message: str
) -> bool:
    """Read the file on `branch`, apply `edit`, commit the result. Safe to repeat."""
    from github import GithubException

    try:
        current: Any = repo.get_contents(catalog.path, ref=branch)
    except GithubException as exc:
        if exc.status != 404:
            raise
        current = None
    if isinstance(current, list):
        raise GitHubError(f"{catalog}: {catalog.path} is a folder in {catalog.full_name}")
    text = current.decoded_content.decode("utf-8") if current is not None else ""
    new = edit(text)
    if new == text:
        return False
    if current is None:
        repo.create_file(catalog.path, message, new, branch=branch)
    else:
        repo.update_file(catalog.path, message, new, current.sha, branch=branch)
    return True


def propose(
    catalog: RemoteCatalog,
    fetcher: GitHubFetcher,
    edit: Callable[[str], str],
    *,
    title: str,
    branch_hint: str,
    body: str = "",
    progress: Progress = SILENT,
) -> tuple[str | None, bool]:
    """Propose `edit` of the catalog file as a pull request.

    Returns the pull request's URL (None when the default branch already reads as asked) and
    whether this call changed anything on GitHub.
    """
    client = fetcher.client()
    where = catalog.full_name
    with progress.step("read", str(catalog)):
        repo = client.call(f"read {where}", lambda gh: gh.get_repo(where))
        base = repo.default_branch
        current = fetcher.get_file(FileAddress(catalog.owner, catalog.repo, catalog.path, base))
    text = current.text if current is not None else ""
    if edit(text) == text:  # raises CatalogFileError (naming the line) for a broken file
        return None, False
    branch = branch_name(branch_hint)
    head = client.call(f"read branch {base} of {where}", lambda gh: _ref_sha(repo, base))
    if head is None:
        raise GitHubError(f"{where} has no branch {base} to propose against")
    pull: str | None = None
    exists = client.call(f"read branch {branch}", lambda gh: _ref_sha(repo, branch))
    if exists is not None:
        pull = client.call("find pull request", lambda gh: _open_pull(repo, branch, base))
        if pull is None:  # a leftover from an earlier proposal: leave it, use a fresh branch
            branch = f"{branch}-{head[:7]}"
            exists = client.call(f"read branch {branch}", lambda gh: _ref_sha(repo, branch))
            if exists is not None:
                pull = client.call("find pull request", lambda gh: _open_pull(repo, branch, base))

    def create_branch(gh: Github) -> None:
        if _ref_sha(repo, branch) is None:
            repo.create_git_ref(f"refs/heads/{branch}", head)

    with progress.step("branch", f"{branch} from {base}"):
        if exists is None:
            client.call(f"create branch {branch} in {where}", create_branch)
    with progress.step("commit", f"{catalog.path} on {branch}"):
        changed = client.call(
            f"commit {catalog.path} to {branch}",
            lambda gh: _write_file(repo, catalog, branch, edit, title),
        )

    def open_pull(gh: Github) -> str:
        found = _open_pull(repo, branch, base)
        if found is not None:
            return found
        pr = repo.create_pull(
            base=base,
            head=branch,
            title=title,
            body=body or f"{title}.\n\nProposed by `scaffolder catalog`.",
        )
        return str(pr.html_url)

    with progress.step("pull request", f"{branch} -> {base}"):
        if pull is None:
            pull = client.call(f"open a pull request in {where}", open_pull)
            changed = True
    return pull, changed
