"""The fake GitHub's catalog routes: files, branches and pull requests.

`CATALOG` (at the end) is an opt-in route group; a fake serves it when asked to
(`FakeGitHub(root, groups=(CORE, CATALOG))`, or `start_fake(..., catalog=True)`). Importing this
module changes no fake.

* `GET|PUT /repos/{o}/{r}/contents/{path}`: a file at a ref (`?ref=`, default `main`), or a
  folder's entries (files without their content), and a one-file commit on a branch. A file's
  read answers with an `ETag` and `304 Not Modified` (no body) for a matching `If-None-Match`,
  as GitHub does.
* `GET /repos/{o}/{r}/git/ref/{ref}` and `POST /repos/{o}/{r}/git/refs`: read and make branches.
* `GET|POST /repos/{o}/{r}/pulls`: list pull requests (`state`, `head`, `base` filters) and open
  one, with GitHub's 422s for a duplicate or an empty one.
* `PATCH /repos/{o}/{r}/pulls/{number}`: edit one (`title`, `body`, `state`, `base`), closed
  ones included, as GitHub allows; 404 for a number the repository does not have, 422 for a base
  branch it does not have or a reopening while another pull request from that head is open.

Files and branches live in the repository's bare git repo (see `State`'s git plumbing), so a
branch made here can be fetched with git, and a file pushed with git is served here. The
request bodies are checked against `openapi/catalog-request-bodies.json` (see `schemas.py`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import unquote

from tests.fakegithub.routing import R, Reply, Req, Route, RouteGroup, repo_of
from tests.fakegithub.state import ApiError, Repo, State


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


def _folder_json(
    state: State, repo: Repo, commit: str, path: str, ref: str
) -> list[dict[str, Any]] | None:
    """A folder's entries, as GitHub lists them (files without their content); None if `path`
    is no folder at `commit`."""
    try:
        if state.git(repo, "cat-file", "-t", f"{commit}:{path}") != "tree":
            return None
    except RuntimeError:
        return None
    entries = []
    for line in state.git(repo, "ls-tree", "-l", commit, f"{path}/").splitlines():
        info, _, item = line.partition("\t")
        _mode, kind, sha, size = info.split()
        if kind == "blob":
            entries.append(_file_json(state, repo, item, sha, None, ref) | {"size": int(size)})
        else:
            entry = _file_json(state, repo, item, sha, None, ref)
            entries.append(entry | {"type": "dir", "size": 0})
    return entries


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


def _pull_json(state: State, repo: Repo, pull: dict[str, Any]) -> dict[str, Any]:
    head = state.resolve(repo, f"refs/heads/{pull['head']['ref']}") or pull["head"]["sha"]
    return {**pull, "head": {**pull["head"], "sha": head}}


def _writable(state: State, req: Req) -> Repo:
    repo = repo_of(state, req)
    if not state.can_admin(req.login, repo):
        raise ApiError(403, "Resource not accessible by personal access token")
    return repo


def _invalid_pull(**error: str) -> ApiError:
    return ApiError(422, "Validation Failed", errors=[{"resource": "PullRequest", **error}])


# -- contents ------------------------------------------------------------------------------
def get_contents(state: State, req: Req) -> Reply:
    repo = repo_of(state, req)
    path = unquote(req.params["path"]).strip("/")
    ref = req.query.get("ref") or "main"
    commit = state.resolve(repo, ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    found = state.blob(repo, commit, path)
    if found is None:
        listing = _folder_json(state, repo, commit, path, ref)
        if listing is None:
            raise ApiError(404, "Not Found")
        return Reply(200, listing)
    payload = _file_json(state, repo, path, found[0], found[1], ref)
    etag = '"' + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest() + '"'
    asked = req.headers.get("if-none-match", "")
    if etag in {t.strip().removeprefix("W/") for t in asked.split(",")}:
        return Reply(304, None, {"ETag": etag})
    return Reply(200, payload, {"ETag": etag})


def put_contents(state: State, req: Req) -> Reply:
    repo, body = _writable(state, req), req.body
    path = unquote(req.params["path"]).strip("/")
    branch = body.get("branch") or "main"
    parent = state.resolve(repo, f"refs/heads/{branch}")
    if parent is None and (branch != "main" or state.branches(repo)):
        raise ApiError(404, f"Branch {branch} not found")
    current = state.blob(repo, parent, path) if parent else None
    if current is not None and not body.get("sha"):
        raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    if current is not None and body["sha"] != current[0]:
        raise ApiError(409, f"{path} does not match {body['sha']}")
    try:
        content = base64.b64decode(body["content"], validate=True)
    except ValueError as exc:
        raise ApiError(422, "content is not valid Base64") from exc
    commit = state.commit_file(repo, branch, path, content, body["message"], parent)
    sha = state.blob(repo, commit, path)
    assert sha is not None
    return Reply(
        200 if current else 201,
        {
            "content": _file_json(state, repo, path, sha[0], None, branch),
            "commit": {
                "sha": commit,
                "message": body["message"],
                "url": f"{state.api_url}/repos/{repo.full_name}/git/commits/{commit}",
                "html_url": f"{state.web_url}/{repo.full_name}/commit/{commit}",
            },
        },
    )


# -- refs ----------------------------------------------------------------------------------
def get_ref(state: State, req: Req) -> Reply:
    repo = repo_of(state, req)
    ref = "refs/" + unquote(req.params["ref"])
    sha = state.resolve(repo, ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Reply(200, _ref_json(state, repo, ref, sha))


def create_ref(state: State, req: Req) -> Reply:
    repo = _writable(state, req)
    ref, sha = req.body["ref"], req.body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    if state.resolve(repo, sha) is None:
        raise ApiError(422, "Object does not exist")
    if not state.create_ref(repo, ref, sha):
        raise ApiError(422, "Reference already exists")
    return Reply(201, _ref_json(state, repo, ref, sha))


# -- pull requests -------------------------------------------------------------------------
def list_pulls(state: State, req: Req) -> Reply:
    repo, query = repo_of(state, req), req.query
    wanted = query.get("state", "open")
    out = [
        _pull_json(state, repo, pull)
        for pull in state.pulls_of(repo)
        if (wanted == "all" or pull["state"] == wanted)
        and (not query.get("head") or pull["head"]["label"] == query["head"])
        and (not query.get("base") or pull["base"]["ref"] == query["base"])
    ]
    return Reply(200, out)


def create_pull(state: State, req: Req) -> Reply:
    repo, body = _writable(state, req), req.body
    head_ref = body["head"].split(":", 1)[-1]
    base_ref = body["base"]
    head = state.resolve(repo, f"refs/heads/{head_ref}")
    base = state.resolve(repo, f"refs/heads/{base_ref}")
    if head is None or base is None:
        raise _invalid_pull(field="head" if head is None else "base", code="invalid")
    pulls = state.pulls_of(repo)
    label = f"{repo.owner.login}:{head_ref}"
    if any(
        x["state"] == "open" and x["head"]["label"] == label and x["base"]["ref"] == base_ref
        for x in pulls
    ):
        raise _invalid_pull(code="custom", message=f"A pull request already exists for {label}.")
    if head == base or state.is_ancestor(repo, head, base):
        raise _invalid_pull(code="custom", message=f"No commits between {base_ref} and {head_ref}")
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
        "user": state.account_json(state.accounts[req.login]),
        "head": {"ref": head_ref, "sha": head, "label": label},
        "base": {"ref": base_ref, "sha": base, "label": f"{repo.owner.login}:{base_ref}"},
    }
    pulls.append(pull)
    return Reply(201, _pull_json(state, repo, pull))


def edit_pull(state: State, req: Req) -> Reply:
    repo, body = _writable(state, req), req.body or {}
    number = int(req.params["number"])
    pulls = state.pulls_of(repo)
    pull = next((p for p in pulls if p["number"] == number), None)
    if pull is None:
        raise ApiError(404, "Not Found")
    base_ref = body.get("base", pull["base"]["ref"])
    base = state.resolve(repo, f"refs/heads/{base_ref}")
    if base is None:
        raise _invalid_pull(field="base", code="invalid")
    reopened = body.get("state") == "open" and pull["state"] == "closed"
    if reopened and pull.get("merged"):
        raise _invalid_pull(
            code="custom", message="state cannot be changed. The pull request is merged."
        )
    if reopened and any(
        x is not pull
        and x["state"] == "open"
        and x["head"]["label"] == pull["head"]["label"]
        and x["base"]["ref"] == base_ref
        for x in pulls
    ):
        label = pull["head"]["label"]
        raise _invalid_pull(code="custom", message=f"A pull request already exists for {label}.")
    for key in ("title", "body", "state"):
        if key in body:
            pull[key] = body[key]
    pull["base"] = {
        **pull["base"],
        "ref": base_ref,
        "sha": base,
        "label": f"{repo.owner.login}:{base_ref}",
    }
    return Reply(200, _pull_json(state, repo, pull))


CATALOG = RouteGroup(
    "catalog",
    (
        Route("GET", R + "/contents/(?P<path>.+)", get_contents),
        Route("PUT", R + "/contents/(?P<path>.+)", put_contents),
        Route("GET", R + "/git/ref/(?P<ref>.+)", get_ref),
        Route("POST", R + "/git/refs", create_ref),
        Route("GET", R + "/pulls", list_pulls),
        Route("POST", R + "/pulls", create_pull),
        Route("PATCH", R + "/pulls/(?P<number>[0-9]+)", edit_pull),
    ),
)
