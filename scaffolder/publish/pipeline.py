"""`publish()`: put a scaffolded project on GitHub and switch its security on, step by step.

identity → repository → settings → push → protection → security → verify → catalog

Every step looks at GitHub before it writes and writes only idempotent PUT/PATCH calls or a
create guarded by a look-up, so running publish again after a failure at any step finishes the
job without duplicating anything. Nothing local is changed except `origin` and the catalog
entry. A failure before the repository exists is a `GitHubError` (exit 5); a failure after it
is a `PartialSuccessError` (exit 3) whose hint is the command that resumes.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scaffolder.catalog import locations
from scaffolder.catalog.sources import RemoteCatalog
from scaffolder.errors import (
    GitHubError,
    GitHubPermissionError,
    PartialSuccessError,
    RepositoryConflictError,
    ScaffolderError,
)
from scaffolder.github import GitHubClient, GitHubSettings, Identity, connect
from scaffolder.progress import SILENT, Progress
from scaffolder.publish import protection, push, security
from scaffolder.publish.model import (
    Call,
    PublishRequest,
    PublishResult,
    RepositoryInfo,
    StepReport,
    StepStatus,
)

CATALOG_INFO = "catalog-info.yaml"


def topics_for(answers: dict[str, Any], template: str, languages: tuple[str, ...]) -> list[str]:
    """GitHub topics from the answers: a `topics` answer if the template asks one, otherwise
    the languages, the template, the lifecycle and the system."""
    given = answers.get("topics")
    if given:
        items = list(given) if isinstance(given, list | tuple) else str(given).split(",")
    else:
        system = str(answers.get("system") or "").split("/")[-1].split(":")[-1]
        items = [*languages, template, str(answers.get("lifecycle") or ""), system]
    topics: list[str] = []
    for item in items:
        topic = re.sub(r"[^a-z0-9-]+", "-", str(item).strip().lower()).strip("-")[:50]
        if topic and topic not in topics:
            topics.append(topic)
    return topics[:20]


class _Run:
    def __init__(self, request: PublishRequest, client: GitHubClient, progress: Progress) -> None:
        from scaffolder.create import load_project

        self.request = request
        self.client = client
        self.progress = progress
        self.project = request.project.expanduser().absolute()
        local = request.catalog if isinstance(request.catalog, Path) else None
        self.scaffold = load_project(self.project, local)
        self.answers = dict(self.scaffold.answers.all)
        self.name = self.scaffold.answers.name
        self.steps: list[StepReport] = []
        self.calls: list[Call] = []
        self.warnings: list[str] = []
        self.identity: Identity | None = None
        self.owner = request.owner or str(self.answers.get("github_owner") or "") or None
        self.org = False
        self.repo: dict[str, Any] | None = None
        self.repo_info: RepositoryInfo | None = None
        self.created = False
        self.protection: str | None = None
        self.rulesets: list[dict[str, Any]] = []
        self.applied: dict[str, Any] = {}
        self.excused: set[str] = set()
        self.catalog: dict[str, Any] | None = None

    # -- helpers ------------------------------------------------------------------------
    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def dry(self) -> bool:
        return self.request.dry_run

    def write(
        self,
        what: str,
        method: str,
        path: str,
        body: Any = None,
        via: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Make (or, in a dry run, only record) one write."""
        self.calls.append(Call(method, path, body))
        if self.dry:
            return None
        if via is None:
            return self.client.rest(method, path, body, what=what)
        return self.client.call(what, via)

    def status(self, changed: bool = True) -> StepStatus:
        """ "planned" in a dry run, else "done" or "unchanged"."""
        if self.dry:
            return "planned"
        return "done" if changed else "unchanged"

    def get(self, path: str) -> Any:
        return self.client.rest("GET", path, what=f"read {path}")

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def result(self) -> PublishResult:
        return PublishResult(
            project=self.project,
            api_url=self.client.api_url,
            dry_run=self.dry,
            identity=self.identity.login if self.identity else None,
            repository=self.repo_info,
            steps=tuple(self.steps),
            protection=self.protection,
            applied=dict(self.applied),
            catalog=self.catalog,
            calls=tuple(self.calls),
            warnings=tuple(self.warnings),
        )

    # -- steps --------------------------------------------------------------------------
    def step_identity(self) -> StepReport:
        self.identity = self.client.identity()
        login = self.identity.login
        self.owner = self.owner or login
        if self.owner.lower() != login.lower():
            org = self.get_or_none(f"/orgs/{self.owner}")
            if org is None:
                raise GitHubPermissionError(
                    f"{self.owner} is neither {login} (the token's account) nor an organisation",
                    hint=f"pass --github-owner {login}, or an organisation {login} belongs to",
                )
            self.owner = str(org["login"])
            self.org = True
        source = self.client.token.source
        kind = "organisation" if self.org else "user"
        return StepReport(
            "identity", "done", f"{login} (token from {source}); owner {self.owner} ({kind})"
        )

    def step_repository(self) -> StepReport:
        full = self.full_name
        existing = self.get_or_none(f"/repos/{full}")
        if existing is None:
            body: dict[str, Any] = {"name": self.name}
            if self.scaffold.answers.description:
                body["description"] = self.scaffold.answers.description
            if homepage := self.answers.get("homepage"):
                body["homepage"] = str(homepage)
            body |= {"private": self.request.private, "delete_branch_on_merge": True}
            path = f"/orgs/{self.owner}/repos" if self.org else "/user/repos"

            def create(gh: Any) -> Any:
                account = gh.get_organization(self.owner) if self.org else gh.get_user()
                return account.create_repo(**body).raw_data

            try:
                made = self.write(f"create repository {full}", "POST", path, body, via=create)
            except GitHubError as exc:
                # A create that timed out may have landed: look again before giving up.
                existing = self.get_or_none(f"/repos/{full}") if exc.status == 422 else None
                if existing is None:
                    raise
            else:
                if self.dry:
                    return StepReport("repository", "planned", f"create {full} ({self._vis()})")
                self.created = True
                self._set_repo(made)
                return StepReport("repository", "done", f"created {full} ({self._vis()})")
        self._check_ours(existing)
        self._set_repo(existing)
        return StepReport(
            "repository",
            "unchanged",
            f"{full} exists and holds only this project's commits: continuing",
        )

    def _vis(self) -> str:
        return "private" if self.request.private else "public"

    def _set_repo(self, data: dict[str, Any]) -> None:
        self.repo = data
        self.repo_info = RepositoryInfo(
            owner=str(data["owner"]["login"]),
            name=str(data["name"]),
            html_url=str(data["html_url"]),
            clone_url=push.clean_url(str(data["clone_url"])),
            private=bool(data["private"]),
            created=self.created,
        )
        self.owner = self.repo_info.owner

    def _check_ours(self, data: dict[str, Any]) -> None:
        full = self.full_name
        login = self.identity.login if self.identity else "?"
        if not (data.get("permissions") or {}).get("admin"):
            raise RepositoryConflictError(full_name=full, reason=f"{login} cannot administer it")
        for branch in self.get(f"/repos/{full}/branches") or []:
            sha = str(branch["commit"]["sha"])
            if not push.in_history(self.project, sha):
                raise RepositoryConflictError(
                    full_name=full,
                    reason=f"its branch {branch['name']} holds commits that are not in "
                    f"{self.project}",
                )
        if bool(data.get("private")) != self.request.private:
            now = "private" if data.get("private") else "public"
            self.warnings.append(f"{full} is {now} on GitHub; its visibility was left as it is")

    def step_settings(self) -> StepReport:
        full = self.full_name
        repo = self.repo or {}
        wanted: dict[str, Any] = {"delete_branch_on_merge": True}
        if self.scaffold.answers.description:
            wanted["description"] = self.scaffold.answers.description
        if homepage := self.answers.get("homepage"):
            wanted["homepage"] = str(homepage)
        patch = {k: v for k, v in wanted.items() if repo.get(k) != v}
        done = []
        if patch and self.repo is not None:
            self.write(f"update {full}", "PATCH", f"/repos/{full}", patch)
            done.append(", ".join(sorted(patch)))
        topics = topics_for(
            self.answers, self.scaffold.template.name, self.scaffold.template.languages
        )
        if sorted(repo.get("topics") or []) != sorted(topics):
            self.write(f"set topics of {full}", "PUT", f"/repos/{full}/topics", {"names": topics})
            done.append("topics " + ", ".join(topics))
        return StepReport("settings", self.status(bool(done)), "; ".join(done) or "already set")

    def step_push(self) -> StepReport:
        head = push.local_head(self.project)
        push.check_pushable(self.project)
        if self.repo_info is None:  # dry run, repository not created yet
            url = f"{urllib.parse.urlsplit(self.client.api_url).hostname}/{self.full_name}.git"
            self.calls.append(
                Call("GIT", "push", {"url": f"clone_url of {url}", "refspec": "main:main"})
            )
            return StepReport("push", "planned", f"push main ({head[:12]})")
        url = self.repo_info.clone_url
        remote = {
            b["name"]: b["commit"]["sha"]
            for b in self.get(f"/repos/{self.full_name}/branches") or []
        }
        status = self.status(remote.get(push.BRANCH) != head)
        if status == "unchanged":
            detail = f"main is already at {head[:12]}"
        else:
            self.calls.append(Call("GIT", "push", {"url": url, "refspec": "main:main"}))
            if not self.dry:
                push.push(
                    self.project,
                    url,
                    self.client.token.value,
                    api_url=self.client.api_url,
                    retry=self.client.settings.retry,
                )
            detail = f"pushed main ({head[:12]})"
        if not self.dry and push.set_origin(self.project, url):
            detail += f"; origin is {url}"
        return StepReport("push", status, detail)

    def step_protection(self) -> StepReport:
        self.rulesets = protection.load_rulesets(self.project)
        if not self.rulesets:
            self.protection = "none"
            self.warnings.append(f"no {protection.RULESETS_DIR}/*.json: branches left unprotected")
            return StepReport("protection", "skipped", f"no {protection.RULESETS_DIR}/*.json")
        full = self.full_name
        try:
            existing = [] if self.repo is None else self.get(f"/repos/{full}/rulesets")
        except GitHubError as exc:
            if not protection.rulesets_unavailable(exc):
                raise
            return self._classic(reason=exc.message)
        names = []
        before = len(self.calls)
        for body in self.rulesets:
            names.append(body["name"])
            self._apply_ruleset(full, body, existing)
        self.protection = "ruleset"
        return StepReport(
            "protection",
            self.status(len(self.calls) > before),
            f"ruleset {', '.join(names)} on {full}",
        )

    def _apply_ruleset(self, full: str, body: dict[str, Any], existing: list[Any]) -> None:
        match = next((r for r in existing if r.get("name") == body["name"]), None)
        if match is None:
            try:
                self.write(
                    f"create ruleset {body['name']}", "POST", f"/repos/{full}/rulesets", body
                )
                return
            except GitHubError as exc:
                if exc.status != 422:  # 422: a create that timed out but landed
                    raise
                existing = self.get(f"/repos/{full}/rulesets")
                match = next((r for r in existing if r.get("name") == body["name"]), None)
                if match is None:
                    raise
        current = self.get(f"/repos/{full}/rulesets/{match['id']}")
        if not protection.same_ruleset(body, current):
            self.write(
                f"update ruleset {body['name']}",
                "PUT",
                f"/repos/{full}/rulesets/{match['id']}",
                body,
            )

    def _classic(self, reason: str) -> StepReport:
        full = self.full_name
        branch = str((self.repo or {}).get("default_branch") or push.BRANCH)
        body, signatures, lost = protection.classic_protection(self.rulesets)
        # Raw PUT, not `Branch.edit_protection()`: that sends null for every argument left
        # unset and cannot say allow_force_pushes/allow_deletions false; this body is exact.
        path = f"/repos/{full}/branches/{branch}/protection"
        try:
            self.write(f"protect {branch}", "PUT", path, body)
            if signatures:
                self.write("require signed commits", "POST", f"{path}/required_signatures")
        except GitHubError as exc:
            if not protection.plan_limited(exc):
                raise
            self.protection = "unavailable"
            return StepReport(
                "protection",
                "unavailable",
                (
                    f"GitHub offers neither rulesets nor branch protection for {full} on this plan "
                    f"({exc.message.split(': ', 1)[-1]}); make the repository public "
                    "(--public) or upgrade the plan, then publish again"
                ),
            )
        for rule in lost:
            self.warnings.append(f"rule {rule!r} has no classic branch protection equivalent")
        self.protection = "branch-protection"
        return StepReport(
            "protection",
            self.status(),
            f"classic branch protection on {branch} "
            f"(rulesets unavailable: {reason.split(': ', 1)[-1]})",
        )

    def step_security(self) -> StepReport:
        full = self.full_name
        done, skipped = [], []
        for switch in security.switches(full):
            try:
                self.write(switch.name, switch.method, switch.path, switch.body)
                done.append(switch.name)
            except GitHubError as exc:
                if not (switch.optional and security.unavailable(exc)):
                    raise
                skipped.append(f"{switch.name} (unavailable: {exc.message.split(': ', 1)[-1]})")
                self.excused.update(switch.keys)
        setup_path = f"/repos/{full}/code-scanning/default-setup"
        try:
            state = None if self.repo is None else self.get(setup_path).get("state")
        except GitHubError as exc:
            if not security.unavailable(exc):
                raise
            state = "not-configured"  # code scanning is not on for this repository at all
        if state not in (None, "not-configured"):
            self.write("CodeQL default setup off", "PATCH", setup_path, security.DEFAULT_SETUP_BODY)
        done.append("CodeQL default setup not configured (CodeQL runs from the workflow)")
        self.warnings.extend(f"{s}" for s in skipped)
        return StepReport("security", self.status(), "; ".join(done + skipped))

    def step_verify(self) -> StepReport:
        if self.dry:
            return StepReport("verify", "skipped", "dry run: nothing to read back")
        full = self.full_name
        self.applied = security.read_back(self.get, full)
        if self.protection == "ruleset":
            found = {r["name"]: r for r in self.get(f"/repos/{full}/rulesets")}
            self.applied["rulesets"] = [
                {"name": body["name"], "enforcement": found[body["name"]]["enforcement"]}
                for body in self.rulesets
                if body["name"] in found
            ]
        elif self.protection == "branch-protection":
            branch = str((self.repo or {}).get("default_branch") or push.BRANCH)
            got = self.get(f"/repos/{full}/branches/{branch}/protection")
            self.applied["branch_protection"] = {
                "branch": branch,
                "enforce_admins": (got.get("enforce_admins") or {}).get("enabled"),
                "required_reviews": (got.get("required_pull_request_reviews") or {}).get(
                    "required_approving_review_count"
                ),
                "required_checks": (got.get("required_status_checks") or {}).get("contexts"),
                "allow_force_pushes": (got.get("allow_force_pushes") or {}).get("enabled"),
                "allow_deletions": (got.get("allow_deletions") or {}).get("enabled"),
            }
        problems = security.mismatches(self.applied, self.excused)
        if self.protection == "ruleset" and len(self.applied["rulesets"]) != len(self.rulesets):
            problems.append("a ruleset is missing on GitHub")
        if problems:
            raise GitHubError(f"GitHub does not show what was applied: {'; '.join(problems)}")
        return StepReport("verify", "done", "every setting reads back as applied")

    def step_catalog(self) -> StepReport:
        info_file = self.project / CATALOG_INFO
        if not info_file.is_file():
            return StepReport("catalog", "skipped", f"the project has no {CATALOG_INFO}")
        self._check_annotations(info_file)
        if self.request.catalog is None:
            return StepReport("catalog", "skipped", "not registering (no catalog)")
        html = self.repo_info.html_url if self.repo_info else f"<html_url of {self.full_name}>"
        url = f"{html}/blob/{push.BRANCH}/{CATALOG_INFO}"
        if isinstance(self.request.catalog, RemoteCatalog):
            return self._propose_to_remote_catalog(self.request.catalog, url)
        self.catalog = {
            "file": str(self.request.catalog),
            "target": url,
            "replaced": str(info_file),
        }
        if self.dry:
            return StepReport("catalog", "planned", f"{info_file} → {url}")
        changed = locations.register(
            self.request.catalog, url, target_type="url", replaces=(str(info_file),)
        )
        return StepReport(
            "catalog", "done" if changed else "unchanged", f"{self.request.catalog}: {url}"
        )

    def _propose_to_remote_catalog(self, catalog: RemoteCatalog, url: str) -> StepReport:
        """A catalog repository on GitHub: propose the repository's URL by pull request."""
        from scaffolder.catalog import manage
        from scaffolder.catalog.sources import Reader
        from scaffolder.github.contents import GitHubFetcher

        self.catalog = {"file": str(catalog), "target": url, "replaced": None}
        if self.dry:
            return StepReport("catalog", "planned", f"pull request to {catalog}: {url}")
        fetcher = GitHubFetcher.from_environment(api_url=self.request.api_url)
        with Reader(fetcher) as reader:
            change = manage.register(catalog, url, reader=reader)
        self.catalog["pull_request"] = change.pull_request
        return StepReport(
            "catalog",
            "done" if change.changed else "unchanged",
            f"{catalog}: {url} (pull request {change.pull_request})",
        )

    def _check_annotations(self, info_file: Path) -> None:
        text = info_file.read_text(encoding="utf-8")
        slug = re.search(r"github\.com/project-slug:\s*\"?([^\"\n]+)", text)
        if slug is None:
            self.warnings.append(
                f"{CATALOG_INFO} has no github.com/project-slug annotation (the project was "
                f"created without --github-owner); history was not rewritten: add "
                f"`github.com/project-slug: {self.full_name}` in a new commit"
            )
        elif slug.group(1).strip() != self.full_name:
            self.warnings.append(
                f"{CATALOG_INFO} names {slug.group(1).strip()}, but the "
                f"repository is {self.full_name}"
            )

    # -- driver --------------------------------------------------------------------------
    def execute(self) -> PublishResult:
        steps: list[tuple[str, Callable[[], StepReport], Callable[[], str]]] = [
            ("identity", self.step_identity, lambda: self.client.api_url),
            ("repository", self.step_repository, lambda: self.full_name),
            ("settings", self.step_settings, lambda: "description, topics, delete branch on merge"),
            ("push", self.step_push, lambda: "main over HTTPS"),
            ("protection", self.step_protection, lambda: str(protection.RULESETS_DIR)),
            ("security", self.step_security, lambda: "alerts, updates, scanning, Actions"),
            ("verify", self.step_verify, lambda: "read back from GitHub"),
            ("catalog", self.step_catalog, lambda: str(self.request.catalog or "-")),
        ]
        done: list[str] = []
        for name, run, detail in steps:
            try:
                with self.progress.step(name, detail()):
                    report = run()
            except ScaffolderError as exc:
                self.steps.append(StepReport(name, "failed", exc.message))
                if self.repo is None and not self.dry:
                    raise  # nothing was written on GitHub: exit 5 (or 2 for bad input)
                raise PartialSuccessError(
                    done=done,
                    failed=name,
                    cause=exc,
                    result=self.result(),
                    resume=self.request.resume_command(self.owner),
                ) from exc
            self.steps.append(report)
            if report.status != "unavailable":
                done.append(name)
            if report.status in ("unavailable", "skipped"):
                self.progress.note(f"{report.status}: {report.detail}")
        result = self.result()
        if self.protection == "unavailable":
            cause = GitHubPermissionError(
                next(s.detail for s in self.steps if s.name == "protection"),
                status=403,
                plan_limited=True,
            )
            raise PartialSuccessError(
                done=done,
                failed="protection",
                cause=cause,
                result=result,
                resume=self.request.resume_command(self.owner),
            )
        return result


def publish(
    request: PublishRequest, progress: Progress = SILENT, *, client: GitHubClient | None = None
) -> PublishResult:
    """Publish `request.project`. `client` defaults to one built from the environment."""
    client = client or connect(GitHubSettings.from_env(api_url=request.api_url))
    try:
        return _Run(request, client, progress).execute()
    finally:
        client.close()
