"""`scaffolder update --catalog FILE --pull-request`: the update of every selected repository on
GitHub, proposed as one pull request each, through the fleet loop (`scaffolder/fleet.py`).

Per repository (`Rollout.__call__`):

1. `GET /repos/{o}/{r}` (default branch, clone URL; the clone URL must be on the API's GitHub,
   `publish/push.check_clone_url`). A component whose entity names no GitHub repository is
   `failed` (not skipped): the catalog says it is a component, so the run must not look complete
   without it.
2. One `git fetch` into an empty repository in a temporary folder: the whole default branch (the
   update's merge base is the previous pristine render, anywhere in its history: a shallow clone
   cannot find it) and every `scaffolder/update-*` branch. The token reaches git the way
   `publish` gives it (`publish/push.auth_env`: environment only, never argv, `.git/config` or
   the URL).
3. The one-repository update (`scaffolder update CLONE --json`, `commands/update.py`) in that
   clone, on the default branch, in a child process (`_update_in_child` says why). Up to date:
   done, nothing written (no API write, no push).
4. Else the update is on a local branch `scaffolder/update-...`, pushed as the repository's one
   proposal branch for its template, `scaffolder/update-TEMPLATE` (no versions in the name: a
   later release updates the same branch and pull request instead of opening a second). A
   conflict is committed as it
   stands, inline markers included, with a `Scaffolder-Conflicts:` trailer, and the pull
   request's title starts with `[conflict]`: a platform team wants the proposal where the owners
   review it, and CI on the branch fails on the markers, so it cannot be merged by accident.
5. When the remote branch exists already: its tree equal to the new merge's -> nothing to push.
   Otherwise it is force-pushed (with a lease on the commit just read) only when every commit it
   has beyond the default branch is scaffolder's own (a pristine render, scaffolder's merge or
   conflict commit); a commit anyone else made is never overwritten: `failed`, with the reason.
6. The pull request (`github/pulls.py`): found by head branch and reused, else opened. A closed
   one is not reopened (its branch is left alone): `failed`, with what to do. A reused one whose
   title or body is not what this run proposes (a newer version, other conflicts) is edited
   (`updated`). The body ends with a fingerprint of the title and body scaffolder wrote
   (`<!-- scaffolder-proposal HASH -->`): when it matches, the pull request is current even if
   someone has edited its text since, so a rerun with nothing new writes nothing and never
   undoes a reviewer's edit.

Writes (pushes and pull requests) go through one `WritePacer` for the whole run. A rate limit
not worth waiting for halts it (`WritePacer.halt`): every repository not yet started fails at
once, without a request, a fetch or a render, with the time to run again; one in progress fails
at its next write.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder import fleet
from scaffolder.access import enforce
from scaffolder.commands import update
from scaffolder.errors import (
    ExitCode,
    GitError,
    GitHubError,
    GitHubRateLimitError,
    RolloutError,
    UpdateRefusedError,
)
from scaffolder.github.pool import ClientPool
from scaffolder.github.pulls import Pull, WritePacer, edit_pull, find_pull, open_pull
from scaffolder.progress import SILENT, Progress
from scaffolder.publish import push as push_mod
from scaffolder.vcs import git, pristine

if TYPE_CHECKING:
    from github.Repository import Repository

    from scaffolder.access.model import Policy
    from scaffolder.github import GitHubClient, GitHubSettings

CONFLICT_TRAILER = "Scaffolder-Conflicts"
CONFLICT_PREFIX = "[conflict] "
#: What the `>>>>>>>` conflict markers name: the new render.
MARKER_LABEL = "scaffolder render of"
_MERGED_BY = "Merged by scaffolder update."
_REMOTE = "refs/remotes/origin/"
#: Seconds one repository's `scaffolder update` may take.
UPDATE_TIMEOUT = 600
_FINGERPRINT = re.compile(r"<!-- scaffolder-proposal ([0-9a-f]{16}) -->")
_UNSAFE_REF_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def proposal_branch(template: str) -> str:
    """The one branch the fleet update proposes `template`'s updates on, whatever the versions."""
    return update.BRANCH_PREFIX + (_UNSAFE_REF_CHARS.sub("-", template).strip(".-") or "template")


@dataclass(frozen=True)
class FleetUpdateOptions:
    selection: fleet.Selection = field(default_factory=fleet.Selection)
    vcs_ref: str | None = None
    baseline_version: str | None = None
    dry_run: bool = False
    #: The access policy in force: identity and token checked once, before any repository;
    #: each repository's template source by its own update (`--policy` in the child).
    policy: Policy | None = None


@dataclass(frozen=True)
class FleetUpdateResult:
    run: fleet.FleetRun
    dry_run: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return self.run.exit_code

    def to_json(self) -> dict[str, Any]:
        data = self.run.to_json()
        rows = data["repositories"]
        for row in rows:
            row.setdefault("status", "failed")
        data.pop("counts")
        statuses = ("updated", "up-to-date", "conflict", "failed", "planned")
        data["counts"] = {s: sum(1 for r in rows if r["status"] == s) for s in statuses}
        data["dry_run"] = self.dry_run
        return data


# -- git, with the token in the environment only -------------------------------------------
class _Remote:
    """The token for one clone URL, as `publish/push.py` gives it to git: environment only."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()

    def git(self, root: Path, args: list[str]) -> None:
        git.run_git(
            args,
            cwd=root,
            env=push_mod.auth_env(self.url, self.token),
            secrets=[self.token, self.basic],
        )


def _clone(remote: _Remote, root: Path, default: str) -> None:
    git.run_git(["init", "--quiet", f"--initial-branch={default}", str(root)], cwd=root.parent)
    remote.git(
        root,
        [
            "fetch",
            "--quiet",
            "--no-tags",
            remote.url,
            f"+refs/heads/{default}:{_REMOTE}{default}",
            f"+refs/heads/{update.BRANCH_PREFIX}*:{_REMOTE}{update.BRANCH_PREFIX}*",
        ],
    )
    git.run_git(["checkout", "--quiet", "-B", default, f"{_REMOTE}{default}"], cwd=root)


def _rev(root: Path, ref: str) -> str | None:
    proc = git.run_git(
        ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root, check=False
    )
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _foreign_commits(root: Path, default: str, branch_ref: str) -> list[str]:
    """`SHA subject` of each commit on the remote branch, beyond the default branch, that
    scaffolder did not make."""
    proc = git.run_git(
        ["log", "--format=%H%x00%B%x01", f"{_REMOTE}{default}..{branch_ref}"], cwd=root
    )
    foreign = []
    for record in filter(None, (r.strip("\n") for r in proc.stdout.split("\x01"))):
        sha, _, message = record.partition("\x00")
        ours = (
            f"{pristine.TRAILER}: true" in message
            or message.rstrip().endswith(_MERGED_BY)
            or f"{CONFLICT_TRAILER}:" in message
        )
        if not ours:
            subject = message.strip().splitlines()[0] if message.strip() else ""
            foreign.append(f"{sha[:7]} {subject!r}")
    return foreign


def _commit_conflict(root: Path, result: update.UpdateResult, what: str) -> None:
    """Commit the conflicted merge as it stands. The markers name the pristine commit, whose
    hash changes with every run: they are given a stable label, so a second run makes the same
    tree and finds nothing to push."""
    conflicts = result.conflicts
    label = f"{MARKER_LABEL} {result.template_to}"
    if result.baseline_to:
        label += f" / baseline {result.baseline_to}"
    for name in conflicts:
        path = root / name
        if path.is_file() and result.pristine_commit:
            text = path.read_bytes()
            marker = f">>>>>>> {result.pristine_commit}".encode()
            path.write_bytes(text.replace(marker, f">>>>>>> {label}".encode()))
    message = (
        f"{what} (with conflicts to resolve)\n\n"
        "Merged by scaffolder update --pull-request; the files below still hold git's inline\n"
        "conflict markers: resolve them on this branch before merging.\n\n"
        f"{CONFLICT_TRAILER}: {', '.join(conflicts)}\n"
    )
    git.run_git(["add", "--all", "--", *conflicts], cwd=root)
    git.run_git(
        ["commit", "--quiet", "--no-verify", "-m", message], cwd=root, env=git.identity_env(root)
    )


def _update_in_child(root: Path, options: FleetUpdateOptions) -> update.UpdateResult:
    """`scaffolder update ROOT --json` in a child process, its result read back.

    A process of its own, not a thread: the render puts git's hardening into `os.environ` for
    copier's git processes (`render/untrusted.hardened_git`), which other threads of this process
    read at any moment (`requests` reads the proxy variables on every call, `run_git` copies the
    environment); and the renders of several repositories run on several cores. The token stays
    in the environment the child inherits, never in its arguments.
    """
    args = [sys.executable, "-m", "scaffolder", "update", str(root), "--json"]
    if options.vcs_ref:
        args += ["--vcs-ref", options.vcs_ref]
    if options.baseline_version:
        args += ["--baseline-version", options.baseline_version]
    if options.dry_run:
        args.append("--dry-run")
    if where := enforce.location(options.policy):
        args += ["--policy", where]  # the child checks its repository's template under it
    try:
        proc = subprocess.run(
            args,
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=UPDATE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise RolloutError(f"scaffolder update took more than {UPDATE_TIMEOUT} s") from exc
    try:
        envelope = json.loads(proc.stdout)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RolloutError(f"scaffolder update failed (exit {proc.returncode}): {tail}")
    done = envelope.get("result")
    if proc.returncode not in (0, 3) or not isinstance(done, dict):
        error = envelope.get("error") or {}
        raise RolloutError(
            f"scaffolder update: {error.get('message') or f'exit {proc.returncode}'}",
            hint=error.get("hint"),
        )
    template, baseline = done["template"], done["baseline"]
    return update.UpdateResult(
        project=root,
        status=done["status"],
        template=template["name"],
        template_from=template["from"] or "",
        template_to=template["to"] or "",
        baseline_from=baseline["from"] or "",
        baseline_to=baseline["to"] or "",
        branch=done["branch"],
        base_branch=done["base_branch"],
        pristine_commit=done["pristine_commit"],
        merge_commit=done["merge_commit"],
        changed=tuple(done["changed"]),
        conflicts=tuple(done["conflicts"]),
        diff=done.get("diff") or "",
    )


def _body(result: update.UpdateResult, default: str) -> str:
    lines = ["Proposed by `scaffolder update --pull-request`.", "", "| layer | from | to |"]
    lines.append("|---|---|---|")
    lines.append(
        f"| template {result.template} | {result.template_from or '?'} | "
        f"{result.template_to or '?'} |"
    )
    if result.baseline_to:
        lines.append(
            f"| baseline | {result.baseline_from or '(not recorded)'} | {result.baseline_to} |"
        )
    lines += ["", "Changed files:", ""]
    lines += [f"- `{name}`" for name in result.changed] or ["- (none)"]
    if result.conflicts:
        lines += [
            "",
            "**Needs work: conflicts.** These files hold inline conflict markers, committed as"
            " they are; resolve them on this branch before merging:",
            "",
        ]
        lines += [f"- `{name}`" for name in result.conflicts]
    lines += [
        "",
        f"The merge is three-way against the previous pristine render, so changes made on "
        f"`{default}` are kept.",
    ]
    return "\n".join(lines) + "\n"


def _title(result: update.UpdateResult) -> str:
    title = f"Update to template {result.template} {result.template_to}".rstrip()
    if result.baseline_to:
        title += f" and baseline {result.baseline_to}"
    return (CONFLICT_PREFIX if result.conflicts else "") + title


def _fingerprint(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:16]


def _proposal(result: update.UpdateResult, default: str) -> tuple[str, str]:
    """The pull request's title and body, the body ending with their fingerprint."""
    title, body = _title(result), _body(result, default)
    return title, f"{body}\n<!-- scaffolder-proposal {_fingerprint(title, body)} -->\n"


def _is_current(pull: Pull, title: str, body: str) -> bool:
    """Whether `pull` shows this proposal: its fingerprint matches (whatever edits were made
    to its text since), or, without one, its title and body are these."""
    found = _FINGERPRINT.search(pull.body)
    if found is None:
        return (pull.title, pull.body) == (title, body)
    wanted = _FINGERPRINT.search(body)
    return wanted is not None and found[1] == wanted[1]


# -- the unit ---------------------------------------------------------------------------------
class Rollout:
    """The unit of work the fleet loop runs on each component (thread-safe)."""

    def __init__(self, options: FleetUpdateOptions, settings: GitHubSettings) -> None:
        self.options = options
        self.token = settings.require_token().value
        # Each repository gets its own client (PyGithub's pacing state is not shared across
        # threads); the run's writes share one pacer instead.
        self.clients = ClientPool(replace(settings, write_interval=0.0))
        self.pacer = WritePacer(settings.write_interval)

    def __call__(self, component: fleet.Component) -> fleet.Outcome:
        slug = component.github
        if not slug:
            raise UpdateRefusedError(
                f"{component.ref} names no GitHub repository (github.com/project-slug)",
                hint="add the annotation to its catalog-info.yaml",
            )
        self.pacer.check()  # a halted run: fail now, before any request, fetch or render
        try:
            return self._rollout(slug)
        except GitHubRateLimitError as exc:
            if self.pacer.halted is not None:
                raise  # halted already (by this or another repository)
            self.pacer.halt(exc, slug)
            hint = exc.hint or "run again later"
            raise GitHubRateLimitError(
                f"{exc.message}; the rest of the run is not tried; {hint}",
                hint=hint,
                status=exc.status,
            ) from exc

    def _rollout(self, slug: str) -> fleet.Outcome:
        client = self.clients.client()
        repo = client.call(f"read {slug}", lambda gh: gh.get_repo(slug))
        push_mod.check_clone_url(str(repo.clone_url), client.api_url)
        remote = _Remote(push_mod.clean_url(str(repo.clone_url)), self.token)
        default = str(repo.default_branch)
        with tempfile.TemporaryDirectory(prefix="scaffolder-rollout-") as tmp:
            root = Path(tmp) / "repo"
            root.mkdir()
            try:
                _clone(remote, root, default)
            except GitError as exc:
                raise GitError(f"cannot fetch {slug}: {exc.message}") from exc
            return self._update(client, repo, remote, root, default)

    def _update(
        self, client: GitHubClient, repo: Repository, remote: _Remote, root: Path, default: str
    ) -> fleet.Outcome:
        result = _update_in_child(root, self.options)
        detail: dict[str, Any] = {
            "status": result.status,
            "template": {
                "name": result.template,
                "from": result.template_from or None,
                "to": result.template_to or None,
            },
            "baseline": {"from": result.baseline_from or None, "to": result.baseline_to or None},
            "branch": proposal_branch(result.template) if result.branch else None,
            "changed": list(result.changed),
            "conflicts": list(result.conflicts),
            "pull_request": None,
            "pushed": False,
        }
        if result.status in ("up-to-date", "planned"):
            return fleet.ok(**detail)
        local, branch = result.branch or "", detail["branch"]
        title, body = _proposal(result, default)
        if result.conflicts:
            _commit_conflict(root, result, title.removeprefix(CONFLICT_PREFIX))
        pushed = self._push(root, remote, repo.full_name, default, local, branch)
        pull = find_pull(client, repo, branch, default)
        if pull is not None and not pull.open:
            raise GitHubError(
                f"pull request #{pull.number} from {branch} was closed without merging: "
                "not proposed again",
                hint=f"reopen {pull.url}, or delete the branch {branch} to propose it anew",
            )
        if pull is None:
            pull = open_pull(
                client, self.pacer, repo, branch=branch, base=default,
                title=title, body=body, checked=True,
            )  # fmt: skip
            action = "opened"
        elif not _is_current(pull, title, body):
            pull = edit_pull(client, self.pacer, repo, pull, title=title, body=body)
            action = "updated"
        else:
            action = "pushed" if pushed else "unchanged"
        detail.update(pushed=pushed, pull_request=_pull_json(pull, action))
        if result.conflicts:
            detail["status"] = "conflict"
            reason = (
                f"conflicts in {', '.join(result.conflicts)}: pull request #{pull.number} "
                f"is marked {CONFLICT_PREFIX.strip()} ({pull.url})"
            )
            return fleet.Outcome("failed", detail, reason)
        return fleet.ok(**detail)

    def _push(
        self, root: Path, remote: _Remote, slug: str, default: str, local: str, branch: str
    ) -> bool:
        """Push `local` as `branch` unless the remote one holds the same tree; whether it
        pushed."""
        remote_ref = f"{_REMOTE}{branch}"
        existing = _rev(root, remote_ref)
        if existing is not None:
            if pristine.tree_of(root, existing) == pristine.tree_of(root, "HEAD"):
                return False
            if foreign := _foreign_commits(root, default, remote_ref):
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise UpdateRefusedError(
                    f"{slug}: the branch {branch} has commits scaffolder did not make "
                    f"({shown}): left as it is, nothing was pushed",
                    hint="merge or close its pull request (or delete the branch) and run again",
                )
        git.assert_history_clean(
            root, f"refs/heads/{local}", [self.token, *git.environment_secrets()], action="push"
        )
        lease = f"--force-with-lease=refs/heads/{branch}:{existing or ''}"
        with self.pacer.write():
            try:
                remote.git(
                    root,
                    [
                        "push",
                        "--porcelain",
                        lease,
                        remote.url,
                        f"refs/heads/{local}:refs/heads/{branch}",
                    ],
                )
            except GitError as exc:
                raise GitError(f"cannot push {branch} to {slug}: {exc.message}") from exc
        return True

    def close(self) -> None:
        self.clients.close()


def _pull_json(pull: Pull, action: str) -> dict[str, Any]:
    return {"number": pull.number, "url": pull.url, "title": pull.title, "action": action}


def run(options: FleetUpdateOptions, progress: Progress = SILENT) -> FleetUpdateResult:
    from scaffolder.github import GitHubSettings

    settings = GitHubSettings.from_env()
    unit = Rollout(options, settings)
    what = "update (dry run)" if options.dry_run else "update --pull-request"
    try:
        warnings = _access(options.policy, unit, progress) if options.policy else ()
        result = fleet.run(options.selection, unit, progress, what=what)
    finally:
        unit.close()
    return FleetUpdateResult(result, dry_run=options.dry_run, warnings=warnings)


def _access(policy: Policy, unit: Rollout, progress: Progress) -> tuple[str, ...]:
    """The identity and token rules, once per run, before any repository is read or written:
    `PolicyRefusedError` (exit 6) stops the whole run."""
    from scaffolder.access.identity import Facts
    from scaffolder.access.rules import Intent

    with progress.step(enforce.STEP_NAME, "identity and token, once for the run"):
        facts = Facts.for_client(unit.clients.client())
        checked = enforce.check(policy, Intent(command="update"), facts)
    return checked.warnings
