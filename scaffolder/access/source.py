"""Where the access policy in force comes from, and the cache of remote policies.

`load_policy(flag)`: `--policy`, else `$SCAFFOLDER_POLICY`, else the configuration file's `policy`
key; the first one set is the policy in force (`Policy.origin` says which), and none set means
no policy (None). Each names a local file, an `https://` URL (read with the standard library,
certificate verified against the system's CAs or `$SSL_CERT_FILE`) or
`github:OWNER/REPO/PATH[@REF]` (read through the contents API with the GitHub token). Plain
`http://` is refused: a policy must not travel in clear.

Remote policies are kept in the user cache (`$SCAFFOLDER_CACHE_DIR/policy`, a private 0700
folder; entries 0600, written atomically, read only if they are this user's regular files) with
their ETag: the next read sends `If-None-Match`, and a 304 uses the cached copy. When the remote
cannot be reached (connection refused, timeout, DNS), the cached copy is the policy in force
(`origin.from_cache`, with `origin.warning`); with none, `PolicyUnavailableError` (exit 6). A
remote that answers with anything else (404, 500, an untrusted certificate, a broken file) is an
error: the cache never stands in for a policy the remote says is different. The cache holds the
policy's text, its location and ETag, never a token.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scaffolder import config
from scaffolder.access.model import Origin, Policy
from scaffolder.access.policyfile import format_of, parse_policy, read_policy_file
from scaffolder.code_cache import private_dir, read_private, write_private
from scaffolder.errors import GitHubError, PolicyFileError, PolicyUnavailableError

if TYPE_CHECKING:
    from github import Github

POLICY_ENV = "SCAFFOLDER_POLICY"
#: Seconds allowed for an https policy's answer.
TIMEOUT_ENV = "SCAFFOLDER_POLICY_TIMEOUT"
MAX_BYTES = 1 << 20
_CACHE_HEADER = "scaffolder-policy-cache 1"

Via = Literal["flag", "env", "config"]


def load_policy(flag: str | None) -> Policy | None:
    """The policy in force: `--policy`, `$SCAFFOLDER_POLICY`, the configuration's `policy`."""
    location, via = _where(flag)
    if location is None:
        return None
    return read_policy(location, via)


def _where(flag: str | None) -> tuple[str | None, Via]:
    if flag is not None:
        if not flag.strip():
            raise PolicyFileError(
                where="--policy",
                problem="it is empty",
                hint="give a file, an https URL or github:OWNER/REPO/PATH",
            )
        return flag.strip(), "flag"
    if env := os.environ.get(POLICY_ENV, "").strip():
        return env, "env"
    return config.load_config().policy, "config"


def read_policy(location: str, via: Via) -> Policy:
    """The policy at `location` (a path, https URL or github: address), found through `via`."""
    origin = Origin(via=via, location=location)
    scheme = urllib.parse.urlsplit(location).scheme.lower() if "://" in location else ""
    if scheme == "http":
        raise PolicyFileError(
            where=location,
            problem="refusing to read a policy over plain http: it must not travel in clear",
            hint="serve it over https, or read it from GitHub (github:OWNER/REPO/PATH)",
        )
    if scheme == "https":
        policy = _remote(location, _https(location))
    elif scheme:
        raise PolicyFileError(
            where=location,
            problem=f"{scheme}:// is not a policy source",
            hint="give a file, an https URL or github:OWNER/REPO/PATH[@REF]",
        )
    elif location.startswith("github:"):
        policy = _remote(location, _github(location))
    else:
        return dataclasses.replace(read_policy_file(Path(location).expanduser()), origin=origin)
    return dataclasses.replace(policy, origin=dataclasses.replace(policy.origin or origin, via=via))


# -- remote policies and their cache ---------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """What the remote said: the text and its ETag, or "not modified" (304)."""

    text: str = ""
    etag: str | None = None
    not_modified: bool = False


class Unreachable(Exception):
    """The remote could not be reached at all (the network, not the remote, failed)."""


#: Asks the remote for the policy, with the cached ETag if any.
Fetch = Callable[[str | None], Answer]


def _remote(location: str, fetch: Fetch) -> Policy:
    fmt = format_of(location)
    cache = _Cache.open()
    entry = cache.get(location) if cache else None
    try:
        answer = fetch(entry["etag"] if entry and entry["etag"] else None)
    except Unreachable as exc:
        if entry is None:
            raise PolicyUnavailableError(
                f"the access policy {location} cannot be read: {exc}, and there is no cached "
                "copy; nothing may be decided without it",
                hint="check the network (or the address), then run again",
            ) from None
        policy = parse_policy(entry["text"], where=f"{location} (cached copy)", fmt=fmt)
        origin = Origin(
            via="env",
            location=location,
            from_cache=True,
            cached_at=entry["checked"],
            unreachable=str(exc),
        )
        return dataclasses.replace(policy, origin=origin)
    if answer.not_modified:
        if entry is None:
            raise PolicyUnavailableError(
                f"the access policy {location}: the remote answered 304 Not Modified to a "
                "request that had no ETag"
            )
        text, etag = entry["text"], answer.etag or entry["etag"]
    else:
        text, etag = answer.text, answer.etag or ""
    policy = parse_policy(text, where=location, fmt=fmt)  # a broken answer is never cached
    if cache:
        cache.put(location, text=text, etag=etag)
    return dataclasses.replace(policy, origin=Origin(via="env", location=location))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Cache:
    """One JSON file per remote location, in a private folder of the user cache."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls) -> _Cache | None:
        root = config.cache_dir()
        if root is None or not (private_dir(root) and private_dir(root / "policy")):
            return None
        return cls(root / "policy")

    def _path(self, key: str) -> Path:
        return self.root / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    @staticmethod
    def _key(location: str) -> str:
        # The same github: address on another GitHub is another policy.
        if location.startswith("github:"):
            from scaffolder.github.settings import resolve_api_url

            return f"{resolve_api_url(None)} {location}"
        return location

    def get(self, location: str) -> dict[str, str] | None:
        key = self._key(location)
        data = read_private(self._path(key), MAX_BYTES * 2)
        try:
            entry = json.loads(data) if data else None
        except ValueError:
            return None
        fields = ("text", "checked", "etag")
        if (
            not isinstance(entry, dict)
            or entry.get("header") != _CACHE_HEADER
            or entry.get("key") != key
            or not all(isinstance(entry.get(name), str) for name in fields)
        ):
            return None
        return {name: entry[name] for name in fields}

    def put(self, location: str, *, text: str, etag: str | None) -> None:
        """Best effort: a cache that cannot be written only loses the offline copy."""
        key = self._key(location)
        entry = {"header": _CACHE_HEADER, "key": key, "etag": etag or "", "checked": _now()}
        write_private(self._path(key), json.dumps({**entry, "text": text}).encode())


# -- https -----------------------------------------------------------------------------------
def _timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else 10.0
    except ValueError:
        value = -1.0
    if value <= 0:
        raise PolicyFileError(
            where=f"${TIMEOUT_ENV}",
            problem=f"must be a number of seconds above 0, not {raw!r}",
            hint=f"unset ${TIMEOUT_ENV} (10 seconds), or give e.g. 30",
        )
    return value


def _https(url: str) -> Fetch:
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise PolicyFileError(
            where=url.replace(parts.netloc, parts.netloc.rpartition("@")[2]),
            problem="the URL must not hold a user name or password",
            hint="serve the policy where it can be read without credentials, or from GitHub "
            "(github:OWNER/REPO/PATH, read with the GitHub token)",
        )
    timeout = _timeout()

    def fetch(etag: str | None) -> Answer:
        import http.client
        import ssl
        import urllib.error
        import urllib.request

        class NoClearRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(
                self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
            ) -> Any:
                if urllib.parse.urlsplit(newurl).scheme.lower() != "https":
                    raise PolicyUnavailableError(
                        f"the access policy {url} redirects to {newurl}, which is not https; "
                        "a policy must not travel in clear",
                        hint="ask the platform team to serve the policy over https only",
                    )
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        # The system's CAs, or $SSL_CERT_FILE / $SSL_CERT_DIR (OpenSSL reads them here).
        context = ssl.create_default_context()
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), NoClearRedirect
        )
        headers = {"User-Agent": "scaffolder", "Accept": "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 -- https only
        try:
            with opener.open(request, timeout=timeout) as response:
                data = response.read(MAX_BYTES + 1)
                answered_etag = response.headers.get("ETag")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Answer(etag=exc.headers.get("ETag"), not_modified=True)
            raise PolicyUnavailableError(
                f"the access policy {url} cannot be read: the server answered {exc.code} "
                f"{exc.reason}",
                hint="check the address, or ask the platform team that publishes it",
            ) from None
        except urllib.error.URLError as exc:
            raise _network(url, exc.reason) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _network(url, exc) from None
        if len(data) > MAX_BYTES:
            raise PolicyFileError(where=url, problem="larger than 1 MiB")
        return Answer(text=_text(data, url), etag=answered_etag)

    return fetch


def _network(url: str, reason: object) -> Exception:
    """`Unreachable` for a network failure; an error for a certificate or a broken answer."""
    import socket
    import ssl

    if isinstance(reason, ssl.SSLError):
        return PolicyUnavailableError(
            f"the access policy {url} cannot be read: {getattr(reason, 'reason', None) or reason}",
            hint="the server's certificate is not trusted: set SSL_CERT_FILE to a CA bundle "
            "that holds your organisation's CA",
        )
    if isinstance(reason, socket.gaierror):
        return Unreachable(f"host not found ({reason.strerror or reason})")
    if isinstance(reason, TimeoutError):
        return Unreachable("timed out")
    if isinstance(reason, ConnectionRefusedError):
        return Unreachable("connection refused")
    if isinstance(reason, OSError):
        return Unreachable(reason.strerror or type(reason).__name__)
    return PolicyUnavailableError(
        f"the access policy {url} cannot be read: {reason}",
        hint="check the address, or ask the platform team that publishes it",
    )


def _text(data: bytes, where: str) -> str:
    from scaffolder import datafiles

    try:
        return datafiles.decode(data)
    except datafiles.Refused as exc:
        raise PolicyFileError(where=where, problem=exc.describe(), line=exc.line) from None


# -- github: ---------------------------------------------------------------------------------
def parse_github(location: str) -> tuple[str, str, str, str | None]:
    """`github:OWNER/REPO/PATH[@REF]` -> (owner, repo, path, ref)."""
    rest = location.removeprefix("github:")
    address, _, ref = rest.rpartition("@") if "@" in rest else (rest, "", "")
    owner, _, tail = address.partition("/")
    repo, _, path = tail.partition("/")
    if not (owner and repo and path.strip("/")) or ("@" in rest and not ref):
        raise PolicyFileError(
            where=location,
            problem="not a GitHub file address",
            hint="write github:OWNER/REPO/PATH or github:OWNER/REPO/PATH@REF, e.g. "
            "github:acme/platform/policy/access.toml@main",
        )
    return owner, repo, path.strip("/"), ref or None


def _github(location: str) -> Fetch:
    owner, repo, path, ref = parse_github(location)

    def fetch(etag: str | None) -> Answer:
        import base64

        from scaffolder.github import GitHubSettings, connect

        settings = GitHubSettings.from_env()
        if settings.token is None:
            raise PolicyUnavailableError(
                f"the access policy {location} is read through the GitHub API, and no GitHub "
                f"token was found for {settings.api_url}",
                hint="export GH_TOKEN (or GITHUB_TOKEN) with a token that may read "
                f"{owner}/{repo}, or run `gh auth login`",
            )
        what = f"read the access policy {path} in {owner}/{repo}" + (f" at {ref}" if ref else "")
        api_path = (
            f"/repos/{urllib.parse.quote(owner)}/{urllib.parse.quote(repo)}/contents/"
            f"{urllib.parse.quote(path)}"
        )

        def send(gh: Github) -> tuple[int, dict[str, Any], Any]:
            status, headers, body = gh.requester.requestJson(
                "GET",
                api_path,
                parameters={"ref": ref} if ref else None,
                headers={"If-None-Match": etag} if etag else {},
            )
            data = json.loads(body) if body and status != 304 else None
            if status >= 400:
                raise gh.requester.createException(status, headers, data or {})
            return status, headers, data

        client = connect(settings)
        try:
            status, headers, data = client.call(what, send)
        except GitHubError as exc:
            if _offline(exc):
                raise Unreachable(f"the connection to {settings.api_url} failed") from None
            found = "it does not exist (404)" if exc.status == 404 else exc.message
            raise PolicyUnavailableError(
                f"the access policy {location} cannot be read: {found}",
                hint=exc.hint or "check the address and that the token may read the repository",
            ) from None
        finally:
            client.close()
        answered = next((str(v) for k, v in headers.items() if k.lower() == "etag"), None)
        if status == 304:
            return Answer(etag=answered, not_modified=True)
        if not isinstance(data, dict) or data.get("type") != "file":
            raise PolicyUnavailableError(f"the access policy {location} is not a file on GitHub")
        if data.get("encoding") != "base64":
            raise PolicyFileError(where=location, problem="larger than the contents API serves")
        try:
            raw = base64.b64decode(str(data.get("content", "")))
        except ValueError:
            raise PolicyUnavailableError(f"{what}: GitHub's answer is not base64") from None
        return Answer(text=_text(raw, location), etag=answered)

    return fetch


def _offline(exc: GitHubError) -> bool:
    """Whether GitHub could not be reached at all (not: it answered with an error)."""
    import requests

    from scaffolder.github import transport

    cause = exc.__cause__
    if isinstance(cause, requests.exceptions.SSLError):
        return False
    network = (
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        transport.DeadlineExceeded,
    )
    return exc.status is None and isinstance(cause, network)
