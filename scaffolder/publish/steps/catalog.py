"""catalog: point the catalog entry at the published repository (a pull request for a catalog
on GitHub), and check the entity's GitHub annotations name it."""

from __future__ import annotations

import re

from scaffolder.catalog import locations
from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.publish import push
from scaffolder.publish.run import PublishRun
from scaffolder.runner import Step, StepReport, Undo

CATALOG_INFO = "catalog-info.yaml"


def run(p: PublishRun, undo: Undo) -> StepReport:
    info_file = p.path / CATALOG_INFO
    if not info_file.is_file():
        return StepReport("catalog", "skipped", f"the project has no {CATALOG_INFO}")
    _check_annotations(p, info_file.read_text(encoding="utf-8"))
    catalog = p.request.catalog
    if catalog is None:
        return StepReport("catalog", "skipped", "not registering (no catalog)")
    html = p.repo_info.html_url if p.repo_info else f"<html_url of {p.full_name}>"
    url = f"{html}/blob/{push.BRANCH}/{CATALOG_INFO}"
    if isinstance(catalog, RemoteCatalog):
        return _propose(p, catalog, url)
    p.catalog = {"file": str(catalog), "target": url, "replaced": str(info_file)}
    if p.dry:
        return StepReport("catalog", "planned", f"{info_file} → {url}")
    changed = locations.register(catalog, url, target_type="url", replaces=(str(info_file),))
    return StepReport("catalog", "done" if changed else "unchanged", f"{catalog}: {url}")


def _propose(p: PublishRun, catalog: RemoteCatalog, url: str) -> StepReport:
    """A catalog repository on GitHub: propose the repository's URL by pull request."""
    from scaffolder.catalog import manage
    from scaffolder.catalog.sources import Reader
    from scaffolder.github.contents import GitHubFetcher

    p.catalog = {"file": str(catalog), "target": url, "replaced": None}
    if p.dry:
        return StepReport("catalog", "planned", f"pull request to {catalog}: {url}")
    fetcher = GitHubFetcher.from_environment(api_url=p.request.api_url)
    with Reader(fetcher) as reader:
        change = manage.register(catalog, url, reader=reader)
    p.catalog["pull_request"] = change.pull_request
    return StepReport(
        "catalog",
        "done" if change.changed else "unchanged",
        f"{catalog}: {url} (pull request {change.pull_request})",
    )


def _check_annotations(p: PublishRun, text: str) -> None:
    slug = re.search(r"github\.com/project-slug:\s*\"?([^\"\n]+)", text)
    if slug is None:
        p.warnings.append(
            f"{CATALOG_INFO} has no github.com/project-slug annotation (the project was "
            f"created without --github-owner); history was not rewritten: add "
            f"`github.com/project-slug: {p.full_name}` in a new commit"
        )
    elif slug.group(1).strip() != p.full_name:
        p.warnings.append(
            f"{CATALOG_INFO} names {slug.group(1).strip()}, but the repository is {p.full_name}"
        )


STEP = Step[PublishRun](
    "catalog", run, detail=lambda p: str(p.request.catalog or "-"), writes="local"
)
