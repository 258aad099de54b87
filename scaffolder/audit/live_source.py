"""What a repository declares, for `scaffolder audit --live`: its rulesets and recorded answers.

The declared side is read where the repository is:

* a local project (`PATH`, or a catalog component whose entity sits in a local folder): the
  files on disk, and the repository its `origin` remote names (`git remote get-url origin`,
  which must be a repository on the GitHub scaffolder talks to);
* a repository on GitHub without a checkout (`--repo`, or a catalog component read from
  GitHub): its default branch through the contents API (`github/contents.py`, cached with
  ETags): the `.github/rulesets/` folder and `.copier-answers.baseline.yml`.

The rulesets on disk are read by publish's own reader (`publish.protection.load_rulesets`), and
those on GitHub with its fields (`RULESET_FIELDS`), so the audit compares GitHub with exactly the
bodies publish would apply. The baseline's answers say
what publish learned of the plan (`code_security`, `review_mode`: `publish/align.py`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.errors import GitHubError, UsageError
from scaffolder.publish.protection import RULESETS_DIR, load_rulesets, ruleset_body
from scaffolder.render.layers import BASELINE_ANSWERS_FILE

if TYPE_CHECKING:
    from scaffolder.github.contents import GitHubFetcher

_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^\s]+)$")


@dataclass(frozen=True)
class Declared:
    """One repository to audit live: where it is, and what its files declare."""

    #: `OWNER/REPO` on GitHub.
    slug: str
    #: The ruleset bodies of `.github/rulesets/*.json`, as publish applies them.
    rulesets: tuple[dict[str, Any], ...]
    #: The baseline layer's recorded answers ({} when there is none).
    answers: Mapping[str, Any] = field(default_factory=dict)
    #: What to run to re-apply the settings.
    fix: str = ""
    #: The local folder, when there is a checkout.
    path: Path | None = None


def parse_slug(text: str) -> str:
    """`--repo OWNER/REPO`, checked; UsageError otherwise."""
    slug = text.strip().removesuffix(".git")
    if not _SLUG.match(slug) or slug.endswith("/.") or slug.endswith("/.."):
        raise UsageError(
            f"--repo {text!r} is not OWNER/REPO", hint="write --repo acme/payments-api"
        )
    return slug


def _redacted(url: str) -> str:
    """`url` without any user or password part: a remote URL may hold a token."""
    parts = urllib.parse.urlsplit(url)
    if "://" in url and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url.rsplit("@", 1)[-1] if "://" not in url else url


def slug_of_remote(url: str, web_base: str) -> str | None:
    """`OWNER/REPO` of a remote URL on the GitHub whose web address is `web_base`, else None.

    https (`https://HOST/OWNER/REPO[.git]`), ssh (`ssh://git@HOST/OWNER/REPO.git`) and scp-like
    (`git@HOST:OWNER/REPO.git`) remotes are understood; the host must be GitHub's.
    """
    host = urllib.parse.urlsplit(web_base).hostname or ""
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname != host:
            return None
        if parts.scheme in ("http", "https") and parts.netloc.rsplit("@", 1)[-1] != (
            urllib.parse.urlsplit(web_base).netloc
        ):
            return None
        path = parts.path
    elif match := _SCP.match(url):
        if match["host"] != host:
            return None
        path = match["path"]
    else:
        return None
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) != 2:
        return None
    slug = f"{segments[0]}/{segments[1].removesuffix('.git')}"
    return slug if _SLUG.match(slug) else None


def _answers(text: str, where: str) -> dict[str, Any]:
    from scaffolder.datafiles import Refused, load_yaml

    try:
        data = load_yaml(text)
    except Refused as exc:
        raise UsageError(f"{where}: {exc.describe()}") from exc
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def origin_url(root: Path) -> str | None:
    from scaffolder.vcs import git

    if not git.is_repository(root):
        return None
    proc = git.run_git(["remote", "get-url", "origin"], cwd=root, check=False)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def local(path: Path, web_base: str, *, slug: str | None = None) -> Declared:
    """A local project; its repository is `slug`, or the one its `origin` names."""
    root = path.expanduser()
    if not root.is_dir():
        raise UsageError(f"{path} is not a folder", hint="give the folder of a repository")
    root = root.resolve()
    if slug is None:
        url = origin_url(root)
        if url is None:
            raise UsageError(
                f"{root} has no origin remote, so no GitHub repository to read back",
                hint=f"publish it first (scaffolder publish {root}), or give --repo OWNER/REPO",
            )
        slug = slug_of_remote(url, web_base)
        if slug is None:
            raise UsageError(
                f"{root}: origin {_redacted(url)} is not a repository on {web_base}",
                hint="point origin at the GitHub repository, set SCAFFOLDER_GITHUB_API_URL for "
                "an Enterprise Server, or give --repo OWNER/REPO",
            )
    answers_file = root / BASELINE_ANSWERS_FILE
    answers = {}
    if answers_file.is_file():
        text = answers_file.read_text(encoding="utf-8", errors="replace")
        answers = _answers(text, str(answers_file))
    return Declared(
        slug=slug,
        rulesets=tuple(load_rulesets(root)),
        answers=answers,
        fix=f"scaffolder publish {root}",
        path=root,
    )


def remote(fetcher: GitHubFetcher, slug: str) -> Declared:
    """A repository on GitHub, read through the contents API on its default branch."""
    from scaffolder.github.contents import FileAddress

    owner, name = slug.split("/", 1)
    folder = RULESETS_DIR.as_posix()
    try:
        listing = fetcher.client().rest(
            "GET",
            f"/repos/{owner}/{name}/contents/{urllib.parse.quote(folder)}",
            what=f"list {folder} in {slug}",
        )
    except GitHubError as exc:
        if exc.status != 404:
            raise
        listing = []  # no such folder (or no repository: the read-back says which)
    rulesets = []
    items = listing if isinstance(listing, list) else []
    paths = sorted(
        str(item.get("path") or "")
        for item in items
        if isinstance(item, dict) and item.get("type") == "file"
    )
    for rel in (p for p in paths if p.endswith(".json")):
        found = fetcher.get_file(FileAddress(owner, name, rel, None))
        if found is not None:
            rulesets.append(ruleset_body(found.text, f"{slug}:{rel}"))
    baseline = fetcher.get_file(FileAddress(owner, name, BASELINE_ANSWERS_FILE, None))
    answers = _answers(baseline.text, f"{slug}:{BASELINE_ANSWERS_FILE}") if baseline else {}
    return Declared(
        slug=slug,
        rulesets=tuple(rulesets),
        answers=answers,
        fix=f"clone {slug} and run `scaffolder publish DIR` on the clone (it re-applies them)",
    )
