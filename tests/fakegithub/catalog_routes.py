"""The fake GitHub's endpoints for the catalog: files, branches and pull requests.

Added to the fake in `server.py`/`state.py` without changing them:

* routes (registered with `state.route`): `GET|PUT /repos/{o}/{r}/contents/{path}`,
  `GET /repos/{o}/{r}/git/ref/{ref}`, `POST /repos/{o}/{r}/git/refs`,
  `GET|POST /repos/{o}/{r}/pulls`. Files and branches live in the repository's bare git repo,
  so a branch created here can be fetched with git, and a file pushed with git is served here.
* `CatalogFakeGitHub`, whose request handler also gives routes the query string and request
  headers and lets them send response headers: the contents API answers with an `ETag` and
  `304 Not Modified` for a matching `If-None-Match`, as GitHub does.
* request-body checks for these writes against GitHub's OpenAPI description, vendored in
  `openapi/catalog-request-bodies.json` (regenerate with `openapi/extract.py`).

Test helpers: `seed()` commits files, `read()` reads one at a ref, `pulls()` lists pull
requests, `merge()` merges one the way the web UI's merge button does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

from tests.fakegithub.server import FakeGitHub, _Handler
from tests.fakegithub.state import ApiError, R, Repo, State, route

SCHEMAS = json.loads(
    (Path(__file__).parent / "openapi" / "catalog-request-bodies.json").read_text(encoding="utf-8")
)
_SCHEMA_PATHS = [
    ("POST", re.compile(r"^/repos/[^/]+/[^/]+/git/refs$"), "POST /repos/{owner}/{repo}/git/refs"),
    (
        "PUT",
        re.compile(r"^/repos/[^/]+/[^/]+/contents/.+$"),
        "PUT /repos/{owner}/{repo}/contents/{path}",
    ),
    ("POST", re.compile(r"^/repos/[^/]+/[^/]+/pulls$"), "POST /repos/{owner}/{repo}/pulls"),
]
_ZERO = "0" * 40
_request = threading.local()
_write_lock = threading.Lock()
_pulls: weakref.WeakKeyDictionary[State, dict[str, list[dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


# -- the handler: query, request headers, response headers, schemas ------------------------
class _CatalogHandler(_Handler):
    def _handle(self) -> None:
        _request.query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        _request.headers = {k.lower(): v for k, v in self.headers.items()}
        _request.reply_headers = {}
        super()._handle()

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        merged = {**getattr(_request, "reply_headers", {}), **(headers or {})}
        _request.reply_headers = {}
        super()._send(status, payload, merged, raw)

    @staticmethod
    def _check_schema(method: str, path: str, body: Any) -> str | None:
        for verb, pattern, key in _SCHEMA_PATHS:
            if verb == method and pattern.match(path):
                if body is None:
                    return "a JSON body is required" if SCHEMAS[key]["required"] else None
                try:
                    jsonschema.validate(body, SCHEMAS[key]["schema"])
                except jsonschema.ValidationError as exc:
                    return f"{'/'.join(map(str, exc.absolute_path))}: {exc.message}"
                return None
        return _Handler._check_schema(method, path, body)


class CatalogFakeGitHub(FakeGitHub):
    """The fake GitHub, with the catalog's endpoints answering ETags and query strings."""

    handler_class = _CatalogHandler

    # -- test helpers ---------------------------------------------------------------------
    def seed(
        self,
        owner: str,
        name: str,
        files: dict[str, str],
        *,
        branch: str = "main",
        message: str = "seed",
    ) -> str:
        """Commit `files` (path -> text) on `branch`, creating the repo if needed."""
        repo = self.state.repos.get((owner.lower(), name.lower()))
        if repo is None:
            repo = self.state.add_repo(owner, name, private=True)
        commit = _resolve(self.state, repo, f"refs/heads/{branch}")
        for path, text in files.items():
            commit = _commit_file(self.state, repo, branch, path, text.encode(), message, commit)
        return str(commit)

    def read(self, owner: str, name: str, path: str, ref: str = "main") -> str | None:
        repo = self.state.repos[(owner.lower(), name.lower())]
        commit = _resolve(self.state, repo, ref)
        found = _blob(self.state, repo, commit, path) if commit else None
        return found[1].decode() if found else None

    def branch_names(self, owner: str, name: str) -> list[str]:
        return sorted(self.state.branches(self.state.repos[(owner.lower(), name.lower())]))

    def pulls(self, owner: str, name: str) -> list[dict[str, Any]]:
        return _pulls.setdefault(self.state, {}).setdefault(f"{owner}/{name}".lower(), [])

    def merge(self, owner: str, name: str, number: int) -> str:
        """Merge an open pull request into its base (fast-forward, or a merge commit)."""
        repo = self.state.repos[(owner.lower(), name.lower())]
        pull = next(p for p in self.pulls(owner, name) if p["number"] == number)
        base = _resolve(self.state, repo, f"refs/heads/{pull['base']['ref']}")
        head = _resolve(self.state, repo, f"refs/heads/{pull['head']['ref']}")
        assert base and head
        ff = (
            subprocess.run(
                ["git", "merge-base", "--is-ancestor", base, head],
                cwd=self.state.bare_path(repo.owner.login, repo.name),
                check=False,
            ).returncode
            == 0
        )
        if ff:
            merged = head
        else:
            tree = _git(self.state, repo, "merge-tree", "--write-tree", base, head)
            merged = _git(
                self.state,
                repo,
                "commit-tree",
                tree.split()[0],
                "-p",
                base,
                "-p",
                head,
                "-m",
                f"Merge pull request #{number}",
            )
        _git(self.state, repo, "update-ref", f"refs/heads/{pull['base']['ref']}", merged, base)
        pull.update(state="closed", merged=True)
        return merged


# -- git plumbing on the bare repositories --------------------------------------------------
_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


def _git(
    state: State,
    repo: Repo,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=state.bare_path(repo.owner.login, repo.name),
        input=input,
        capture_output=True,
        check=False,
        env={**os.environ, **_IDENTITY, **(env or {})},
    )
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode().strip()


def _resolve(state: State, repo: Repo, ref: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=state.bare_path(repo.owner.login, repo.name),
        capture_output=True,
        check=False,
    )
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _blob(state: State, repo: Repo, commit: str, path: str) -> tuple[str, bytes] | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{commit}:{path}"],
        cwd=state.bare_path(repo.owner.login, repo.name),
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        return None
    sha = proc.stdout.decode().strip()
    if _git(state, repo, "cat-file", "-t", sha) != "blob":
        return None
    data = subprocess.run(
        ["git", "cat-file", "blob", sha],
        cwd=state.bare_path(repo.owner.login, repo.name),
        capture_output=True,
        check=True,
    ).stdout
    return sha, data


def _commit_file(
    state: State,
    repo: Repo,
    branch: str,
    path: str,
    content: bytes,
    message: str,
    parent: str | None,
) -> str:
    with _write_lock, tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            _git(state, repo, "read-tree", parent, env=env)
        else:
            _git(state, repo, "read-tree", "--empty", env=env)
        blob = _git(state, repo, "hash-object", "-w", "--stdin", input=content)
        _git(state, repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = _git(state, repo, "write-tree", env=env)
        parents = ["-p", parent] if parent else []
        commit = _git(state, repo, "commit-tree", tree, *parents, "-m", message)
        _git(state, repo, "update-ref", f"refs/heads/{branch}", commit, parent or _ZERO)
        return commit


# -- JSON ----------------------------------------------------------------------------------
def _file_json(
    state: State, repo: Repo, path: str, sha: str, data: bytes | None, ref: str
) -> dict[str, Any]:
    api = f"{state.api_url}/repos/{repo.full_name}/contents/{path}?ref={ref}"
    html = f"{state.web_url}/{repo.full_name}/blob/{ref}/{path}"
    out: dict[str, Any] = {
        "type": "file",
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": len(data or b""),
        "url": api,
        "html_url": html,
        "git_url": f"{state.api_url}/repos/{repo.full_name}/git/blobs/{sha}",
        "download_url": None,
        "_links": {"self": api, "git": None, "html": html},
    }
    if data is not None:
        encoded = base64.b64encode(data).decode()
        # GitHub wraps the base64 text at 60 characters.
        out["content"] = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
        out["encoding"] = "base64"
    return out


def _ref_json(state: State, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "node_id": f"REF_{sha[:8]}",
        "url": f"{state.api_url}/repos/{repo.full_name}/git/{ref}",
        "object": {
            "type": "commit",
            "sha": sha,
            "url": f"{state.api_url}/repos/{repo.full_name}/git/commits/{sha}",
        },
    }


def _writable(state: State, login: str, p: dict[str, str]) -> Repo:
    repo = state.repo_for(login, p["owner"], p["repo"])
    if not state.can_admin(login, repo):
        raise ApiError(403, "Resource not accessible by personal access token")
    return repo


# -- routes --------------------------------------------------------------------------------
@route("GET", R + "/contents/(?P<path>.+)")
def get_contents(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"])
    path = unquote(p["path"]).strip("/")
    ref = getattr(_request, "query", {}).get("ref") or "main"
    commit = _resolve(state, repo, ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    found = _blob(state, repo, commit, path)
    if found is None:
        raise ApiError(404, "Not Found")
    payload = _file_json(state, repo, path, found[0], found[1], ref)
    etag = '"' + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest() + '"'
    _request.reply_headers = {"ETag": etag}
    asked = getattr(_request, "headers", {}).get("if-none-match", "")
    if etag in {t.strip().removeprefix("W/") for t in asked.split(",")}:
        return 304, None
    return 200, payload


@route("PUT", R + "/contents/(?P<path>.+)")
def put_contents(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _writable(state, login, p)
    path = unquote(p["path"]).strip("/")
    branch = body.get("branch") or "main"
    parent = _resolve(state, repo, f"refs/heads/{branch}")
    if parent is None and (branch != "main" or state.branches(repo)):
        raise ApiError(404, f"Branch {branch} not found")
    current = _blob(state, repo, parent, path) if parent else None
    if current is not None and not body.get("sha"):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if current is not None and body["sha"] != current[0]:
        raise ApiError(409, f"{path} does not match {body['sha']}")
    try:
        content = base64.b64decode(body["content"], validate=True)
    except ValueError as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    commit = _commit_file(state, repo, branch, path, content, body["message"], parent)
    sha = _blob(state, repo, commit, path)
    assert sha is not None
    return (200 if current else 201), {
        "content": _file_json(state, repo, path, sha[0], None, branch),
        "commit": {
            "sha": commit,
            "message": body["message"],
            "url": f"{state.api_url}/repos/{repo.full_name}/git/commits/{commit}",
            "html_url": f"{state.web_url}/{repo.full_name}/commit/{commit}",
        },
    }


@route("GET", R + "/git/ref/(?P<ref>.+)")
def get_ref(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"])
    ref = "refs/" + unquote(p["ref"])
    sha = _resolve(state, repo, ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return 200, _ref_json(state, repo, ref, sha)


@route("POST", R + "/git/refs")
def create_ref(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _writable(state, login, p)
    ref, sha = body["ref"], body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    if _resolve(state, repo, sha) is None:
        raise ApiError(422, "Object does not exist")
    with _write_lock:
        if _resolve(state, repo, ref) is not None:
            raise ApiError(422, "Reference already exists")
        _git(state, repo, "update-ref", ref, sha, _ZERO)
    return 201, _ref_json(state, repo, ref, sha)


def _pull_json(state: State, repo: Repo, pull: dict[str, Any]) -> dict[str, Any]:
    head = _resolve(state, repo, f"refs/heads/{pull['head']['ref']}") or pull["head"]["sha"]
    return {**pull, "head": {**pull["head"], "sha": head}}


@route("GET", R + "/pulls")
def list_pulls(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = state.repo_for(login, p["owner"], p["repo"])
    query = getattr(_request, "query", {})
    wanted = query.get("state", "open")
    pulls = _pulls.setdefault(state, {}).setdefault(repo.full_name.lower(), [])
    out = [
        _pull_json(state, repo, pull)
        for pull in pulls
        if (wanted == "all" or pull["state"] == wanted)
        and (not query.get("head") or pull["head"]["label"] == query["head"])
        and (not query.get("base") or pull["base"]["ref"] == query["base"])
    ]
    return 200, out


@route("POST", R + "/pulls")
def create_pull(state: State, login: str, p: dict[str, str], body: Any) -> tuple[int, Any]:
    repo = _writable(state, login, p)
    head_ref = body["head"].split(":", 1)[-1]
    base_ref = body["base"]
    head = _resolve(state, repo, f"refs/heads/{head_ref}")
    base = _resolve(state, repo, f"refs/heads/{base_ref}")
    if head is None or base is None:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "PullRequest",
                    "field": "head" if head is None else "base",
                    "code": "invalid",
                }
            ],
        )
    pulls = _pulls.setdefault(state, {}).setdefault(repo.full_name.lower(), [])
    label = f"{repo.owner.login}:{head_ref}"
    if any(
        x["state"] == "open" and x["head"]["label"] == label and x["base"]["ref"] == base_ref
        for x in pulls
    ):
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {label}.",
                }
            ],
        )
    if (
        head == base
        or subprocess.run(
            ["git", "merge-base", "--is-ancestor", head, base],
            cwd=state.bare_path(repo.owner.login, repo.name),
            check=False,
        ).returncode
        == 0
    ):
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base_ref} and {head_ref}",
                }
            ],
        )
    number = len(pulls) + 1
    pull = {
        "id": 5000 + number,
        "number": number,
        "state": "open",
        "merged": False,
        "title": body.get("title", ""),
        "body": body.get("body"),
        "url": f"{state.api_url}/repos/{repo.full_name}/pulls/{number}",
        "html_url": f"{state.web_url}/{repo.full_name}/pull/{number}",
        "user": state.account_json(state.accounts[login]),
        "head": {"ref": head_ref, "sha": head, "label": label},
        "base": {"ref": base_ref, "sha": base, "label": f"{repo.owner.login}:{base_ref}"},
    }
    pulls.append(pull)
    return 201, _pull_json(state, repo, pull)
