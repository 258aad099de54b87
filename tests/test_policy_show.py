"""`scaffolder policy show`: where the policy in force comes from (issue 16).

--policy, then $SCAFFOLDER_POLICY, then the configuration file's `policy` key; a local file, an
https URL (a real TLS server on 127.0.0.1 with a self-signed certificate trusted through
SSL_CERT_FILE) or github:OWNER/REPO/PATH (the fake GitHub's contents API); the ETag cache and
its use when the remote cannot be reached.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.fakegithub.fixtures import TOKEN, start_fake
from tests.fakegithub.server import FakeGitHub

Run = Callable[[Sequence[str]], CliResult]

POLICY = 'version = 1\n\n[where]\nowners = ["acme"]\nvisibilities = ["private"]\n'
OTHER = 'version = 1\n\n[where]\nowners = ["other"]\n'


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The https tests talk to 127.0.0.1 directly, whatever proxy the machine has."""
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _show(run_cli: Run, *extra: str | Path) -> CliResult:
    return run_cli(["policy", "show", "--json", *extra])


def _owners(result: CliResult) -> list[str]:
    assert result.code == 0, result.stderr
    return list(result.json()["result"]["policy"]["where"]["owners"])


# -- local sources and their precedence -------------------------------------------------------
def test_no_policy_anywhere_allows_what_the_token_allows(run_cli: Run) -> None:
    result = run_cli(["policy", "show"])
    assert result.code == 0
    assert result.stdout == "no access policy: every action the token allows is allowed\n"
    data = _show(run_cli).json()
    assert data["ok"] is True
    assert data["command"] == "policy show"
    assert data["result"] == {
        "policy": None,
        "origin": None,
        "rules": [],
        "summary": "no access policy: every action the token allows is allowed",
    }


def test_the_json_result_is_pinned(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(POLICY)
    data = _show(run_cli, "--policy", tmp_path / "policy.toml").json()
    assert set(data) == {"schema", "command", "ok", "exit_code", "result", "error", "warnings"}
    result = data["result"]
    assert set(result) == {"policy", "origin", "rules", "summary"}
    assert set(result["policy"]) == {
        "identity",
        "where",
        "templates",
        "lifecycle",
        "tokens",
        "local",
    }
    assert set(result["origin"]) == {"via", "location", "from_cache", "cached_at"}
    assert all(set(rule) == {"rule", "says"} for rule in result["rules"])
    assert {"rule": "where.owner", "says": "repositories only under acme"} in result["rules"]
    assert result["summary"] == f"access policy from --policy: {tmp_path / 'policy.toml'}"


def test_flag_then_env_then_configuration(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flag.toml").write_text(POLICY.replace('"acme"', '"from-flag"'))
    (tmp_path / "env.yaml").write_text("version: 1\nwhere:\n  owners: [from-env]\n")
    config_dir = tmp_path / "config"
    (config_dir / "policies").mkdir(parents=True)
    (config_dir / "policies" / "team.toml").write_text(POLICY.replace('"acme"', '"from-config"'))
    # A relative path in the configuration file is relative to the configuration file.
    (config_dir / "config.toml").write_text('policy = "policies/team.toml"\n')
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(config_dir / "config.toml"))
    monkeypatch.chdir(tmp_path)

    result = _show(run_cli)
    assert _owners(result) == ["from-config"]
    assert result.json()["result"]["origin"]["via"] == "config"
    assert result.json()["result"]["origin"]["location"] == str(
        config_dir / "policies" / "team.toml"
    )

    monkeypatch.setenv("SCAFFOLDER_POLICY", "env.yaml")
    result = _show(run_cli)
    assert _owners(result) == ["from-env"]
    assert result.json()["result"]["origin"]["via"] == "env"

    result = _show(run_cli, "--policy", "flag.toml")
    assert _owners(result) == ["from-flag"]
    assert result.json()["result"]["origin"] == {
        "via": "flag",
        "location": "flag.toml",
        "from_cache": False,
        "cached_at": None,
    }
    text = run_cli(["policy", "show", "--policy", "flag.toml"])
    assert text.stdout.startswith("access policy from --policy: flag.toml\n")


def test_a_broken_policy_in_the_configuration_is_not_skipped(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policy.toml").write_text("version = 1\n[where]\nowner = ['acme']\n")
    (tmp_path / "config.toml").write_text('policy = "policy.toml"\n')
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(tmp_path / "config.toml"))
    result = run_cli(["policy", "show"])
    assert result.code == 2
    assert f"{tmp_path / 'policy.toml'}:3: unknown key 'owner' in where" in result.stderr


def test_the_configuration_policy_key_must_be_text(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text("policy = 1\n")
    monkeypatch.setenv("SCAFFOLDER_CONFIG", str(tmp_path / "config.toml"))
    result = run_cli(["policy", "show"])
    assert result.code == 2
    assert "config.toml:1: `policy` must be a path" in result.stderr


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("http://127.0.0.1:9/policy.toml", "refusing to read a policy over plain http"),
        ("https://127.0.0.1:9/policy", "must end in .toml, .yml or .yaml"),
        ("https://user:secret@127.0.0.1:9/policy.toml", "must not hold a user name or password"),
        ("ftp://example.com/policy.toml", "ftp:// is not a policy source"),
        ("github:acme/policy.toml", "not a GitHub file address"),
        ("github:acme/platform/policy.toml@", "not a GitHub file address"),
        ("", "it is empty"),
    ],
)
def test_addresses_that_are_not_policies(run_cli: Run, given: str, words: str) -> None:
    result = run_cli(["policy", "show", "--policy", given])
    assert result.code == 2
    assert words in result.stderr
    assert "secret" not in result.stderr


# -- https ------------------------------------------------------------------------------------
class PolicyServer:
    """An HTTPS server on 127.0.0.1 that serves one policy file with an ETag."""

    def __init__(self, cert: Path, key: Path) -> None:
        #: The self-signed certificate, for the tests that trust it (SSL_CERT_FILE).
        self.cert = cert
        self.files: dict[str, str] = {}
        self.status = 200
        #: Seconds to wait before answering (a client with a shorter timeout gives up).
        self.delay = 0.0
        #: path -> where it redirects to.
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str | None, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                time.sleep(server.delay)
                text = server.files.get(self.path)
                etag = f'"{abs(hash(text))}"'
                asked = self.headers.get("If-None-Match")
                if self.path in server.redirects:
                    server.requests.append((self.path, asked, 302))
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.status != 200:
                    code, body = server.status, b"broken"
                elif text is None:
                    code, body = 404, b"not found"
                elif asked == etag:
                    code, body = 304, b""
                else:
                    code, body = 200, text.encode()
                server.requests.append((self.path, asked, code))
                self.send_response(code)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyServer]:
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    server = PolicyServer(cert, key)
    yield server
    server.stop()


def _trust(monkeypatch: pytest.MonkeyPatch, server: PolicyServer) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_honours_ssl_cert_file_here(
    https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The premise of the https tests (and of the docs' advice): OpenSSL reads $SSL_CERT_FILE."""
    import urllib.request

    https_server.files["/p.toml"] = POLICY
    with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(https_server.url("/p.toml"), timeout=5)  # noqa: S310
    _trust(monkeypatch, https_server)
    context = ssl.create_default_context()
    with urllib.request.urlopen(https_server.url("/p.toml"), timeout=5, context=context) as r:  # noqa: S310
        assert r.read().decode() == POLICY


def test_an_untrusted_certificate_is_refused(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    https_server.files["/policy.toml"] = POLICY
    monkeypatch.setenv("SCAFFOLDER_POLICY", https_server.url("/policy.toml"))
    result = _show(run_cli)
    assert result.code == 6
    assert "CERTIFICATE_VERIFY_FAILED" in result.json()["error"]["message"]
    assert "SSL_CERT_FILE" in result.json()["error"]["hint"]


def test_https_policy_with_etag_and_its_cache(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    _trust(monkeypatch, https_server)
    https_server.files["/scaffolder/policy.toml"] = POLICY
    url = https_server.url("/scaffolder/policy.toml")
    monkeypatch.setenv("SCAFFOLDER_POLICY", url)

    first = _show(run_cli)
    assert _owners(first) == ["acme"]
    assert first.json()["result"]["origin"] == {
        "via": "env",
        "location": url,
        "from_cache": False,
        "cached_at": None,
    }
    second = _show(run_cli)
    assert _owners(second) == ["acme"]
    (_, asked_first, code_first), (_, asked_second, code_second) = https_server.requests
    assert (asked_first, code_first) == (None, 200)
    assert asked_second is not None and code_second == 304  # the cached copy was used

    # The policy changed on the server: the new one is in force.
    https_server.files["/scaffolder/policy.toml"] = OTHER
    assert _owners(_show(run_cli)) == ["other"]

    # The cache is private and holds no secret.
    folder = isolated_env / ".cache" / "scaffolder" / "policy"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = list(folder.iterdir())
    assert len(entries) == 1
    assert stat.S_IMODE(entries[0].stat().st_mode) == 0o600

    # The server goes away: the cached copy is in force, with a warning naming its date.
    port = https_server.httpd.server_address[1]
    https_server.stop()
    offline = run_cli(["policy", "show", "--json"])
    assert _owners(offline) == ["other"]
    origin = offline.json()["result"]["origin"]
    assert origin["from_cache"] is True
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    assert origin["cached_at"].startswith(today)
    (warning,) = offline.json()["warnings"]
    assert warning == (
        f"policy from cache of {origin['cached_at']}: https://127.0.0.1:{port}"
        "/scaffolder/policy.toml unreachable (connection refused)"
    )
    text = run_cli(["policy", "show"])
    assert text.code == 0
    assert "warning: policy from cache of" in text.stderr
    assert "(from the cache of" in text.stdout.splitlines()[0]


def test_unreachable_https_policy_without_a_cache_exits_6(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLDER_POLICY", f"https://127.0.0.1:{_closed_port()}/policy.toml")
    result = _show(run_cli)
    assert result.code == 6
    error = result.json()["error"]
    assert error["code"] == "policy-unavailable"
    assert "connection refused, and there is no cached copy" in error["message"]


def test_unresolvable_host_without_a_cache_exits_6(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def no_such_host(host: Any, *args: Any, **kwargs: Any) -> Any:
        # DNS is faulted here rather than asked: no test reaches a real resolver.
        if host == "policy.acme.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    monkeypatch.setenv("SCAFFOLDER_POLICY", "https://policy.acme.example/policy.toml")
    result = _show(run_cli)
    assert result.code == 6
    assert "host not found (Name or service not known)" in result.json()["error"]["message"]


def test_a_timeout_uses_the_cache(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trust(monkeypatch, https_server)
    https_server.files["/policy.toml"] = POLICY
    monkeypatch.setenv("SCAFFOLDER_POLICY", https_server.url("/policy.toml"))
    monkeypatch.setenv("SCAFFOLDER_POLICY_TIMEOUT", "0.3")
    assert _owners(_show(run_cli)) == ["acme"]
    https_server.delay = 1.0
    late = _show(run_cli)
    assert _owners(late) == ["acme"]
    (warning,) = late.json()["warnings"]
    assert warning.endswith("/policy.toml unreachable (timed out)")


def test_a_timeout_without_a_cache_exits_6(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # A listener that never answers: the TLS handshake times out.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/policy.toml"
        monkeypatch.setenv("SCAFFOLDER_POLICY", url)
        monkeypatch.setenv("SCAFFOLDER_POLICY_TIMEOUT", "0.3")
        result = _show(run_cli)
    assert result.code == 6
    assert "timed out, and there is no cached copy" in result.json()["error"]["message"]


def test_a_remote_that_answers_is_never_replaced_by_the_cache(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trust(monkeypatch, https_server)
    https_server.files["/policy.toml"] = POLICY
    monkeypatch.setenv("SCAFFOLDER_POLICY", https_server.url("/policy.toml"))
    assert _owners(_show(run_cli)) == ["acme"]

    https_server.files["/policy.toml"] = POLICY + "[where]\n"  # broken: a table defined twice
    broken = _show(run_cli)
    assert broken.code == 2
    assert broken.json()["error"]["code"] == "policy-file"
    assert "not valid TOML" in broken.json()["error"]["message"]

    https_server.status = 500
    failing = _show(run_cli)
    assert failing.code == 6
    assert "answered 500" in failing.json()["error"]["message"]

    # The broken answer was not cached: the last good copy is still the offline one.
    https_server.status = 200
    https_server.files["/policy.toml"] = POLICY
    assert _owners(_show(run_cli)) == ["acme"]


def test_a_redirect_to_plain_http_is_refused(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trust(monkeypatch, https_server)
    https_server.files["/new.toml"] = POLICY
    # A redirect that stays on https is followed...
    https_server.redirects["/old.toml"] = https_server.url("/new.toml")
    assert _owners(_show(run_cli, "--policy", https_server.url("/old.toml"))) == ["acme"]
    # ...one to plain http is not.
    port = https_server.httpd.server_address[1]
    https_server.redirects["/clear.toml"] = f"http://127.0.0.1:{port}/new.toml"
    result = _show(run_cli, "--policy", https_server.url("/clear.toml"))
    assert result.code == 6
    assert "which is not https" in result.json()["error"]["message"]


def test_a_policy_larger_than_1_mib_is_refused(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trust(monkeypatch, https_server)
    https_server.files["/big.toml"] = POLICY + "#" * (1 << 20)
    result = _show(run_cli, "--policy", https_server.url("/big.toml"))
    assert result.code == 2
    assert "larger than 1 MiB" in result.json()["error"]["message"]


def test_no_cache_means_no_offline_copy(
    run_cli: Run, https_server: PolicyServer, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    _trust(monkeypatch, https_server)
    monkeypatch.setenv("SCAFFOLDER_NO_CACHE", "1")
    https_server.files["/policy.toml"] = POLICY
    monkeypatch.setenv("SCAFFOLDER_POLICY", https_server.url("/policy.toml"))
    assert _owners(_show(run_cli)) == ["acme"]
    assert not (isolated_env / ".cache" / "scaffolder" / "policy").exists()
    https_server.stop()
    assert _show(run_cli).code == 6


# -- github: ----------------------------------------------------------------------------------
@pytest.fixture
def catalog_fake(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> Iterator[FakeGitHub]:
    fake = start_fake(tmp_path_factory.mktemp("fake"), monkeypatch, catalog=True, timeout="5")
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def test_github_policy_through_the_contents_api(
    run_cli: Run, catalog_fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    catalog_fake.seed(
        "acme", "platform", {"scaffolder/policy.yaml": "version: 1\nwhere:\n  owners: [acme]\n"}
    )
    catalog_fake.seed(
        "acme",
        "platform",
        {"scaffolder/policy.yaml": "version: 1\nwhere:\n  owners: [next]\n"},
        branch="next",
    )
    location = "github:acme/platform/scaffolder/policy.yaml"
    monkeypatch.setenv("SCAFFOLDER_POLICY", location)

    assert _owners(_show(run_cli)) == ["acme"]
    assert _owners(_show(run_cli)) == ["acme"]
    reads = catalog_fake.calls("GET", "/repos/acme/platform/contents/scaffolder/policy.yaml")
    assert [r.status for r in reads] == [200, 304]
    assert all(r.authorized for r in reads)

    # @REF reads that branch.
    assert _owners(_show(run_cli, "--policy", location + "@next")) == ["next"]

    # GitHub is down: the cached copy, with a warning.
    catalog_fake.stop()
    offline = _show(run_cli)
    assert _owners(offline) == ["acme"]
    assert offline.json()["result"]["origin"]["from_cache"] is True
    (warning,) = offline.json()["warnings"]
    assert f": {location} unreachable (the connection to " in warning

    # No token anywhere in the cache (files or names).
    cache = isolated_env / ".cache" / "scaffolder" / "policy"
    for entry in cache.iterdir():
        assert TOKEN not in entry.name
        assert TOKEN not in entry.read_text()
    assert TOKEN not in offline.stdout + offline.stderr


def test_github_policy_that_does_not_exist_exits_6(
    run_cli: Run, catalog_fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_fake.seed("acme", "platform", {"README.md": "hello\n"})
    monkeypatch.setenv("SCAFFOLDER_POLICY", "github:acme/platform/policy.toml")
    result = _show(run_cli)
    assert result.code == 6
    assert "it does not exist (404)" in result.json()["error"]["message"]


def test_github_policy_needs_a_token(
    run_cli: Run, catalog_fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("PATH", "")  # no `gh auth token` either
    monkeypatch.setenv("SCAFFOLDER_POLICY", "github:acme/platform/policy.toml")
    result = _show(run_cli)
    assert result.code == 6
    assert "no GitHub token was found" in result.json()["error"]["message"]


def test_unreachable_github_without_a_cache_exits_6(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLDER_GITHUB_API_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("SCAFFOLDER_GITHUB_BACKOFF_SCALE", "0.001")
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    result = _show(run_cli, "--policy", "github:acme/platform/policy.toml")
    assert result.code == 6
    assert "there is no cached copy" in result.json()["error"]["message"]
    assert TOKEN not in result.stdout + result.stderr
