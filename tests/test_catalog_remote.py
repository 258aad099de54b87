"""The catalog on GitHub: url targets read through the API (cached, ETags) and a catalog
repository changed through pull requests. GitHub is the fake on 127.0.0.1; PyGithub is real."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
import yaml

from scaffolder.catalog import locations
from tests.catalog_helpers import entity
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import TOKEN, start_fake

CATALOG = "github:acme/backstage-catalog/catalog/all.yaml"
HAND_WRITTEN = """\
# Reviewed by the platform team. Keep this comment.
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: platform
spec:
  type: url
  targets:
    - ./systems.yaml  # relative to this file
"""


def _doc(*docs: dict) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)


@pytest.fixture(params=["", "/api/v3"], ids=["github.com", "enterprise-server"])
def github(request, tmp_path_factory, monkeypatch, isolated_env) -> Iterator[FakeGitHub]:
    fake = start_fake(
        tmp_path_factory.mktemp("fake"),
        monkeypatch,
        request.param,
        catalog=True,
        timeout="5",
    )
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def services(github: FakeGitHub) -> dict[str, str]:
    """Two published services and a systems file; returns name -> catalog-info URL."""
    urls = {}
    for name, lifecycle in (("payments-api", "production"), ("ledger", "experimental")):
        github.seed(
            "acme",
            name,
            {"catalog-info.yaml": _doc(entity(name, lifecycle=lifecycle, system="billing"))},
        )
        urls[name] = f"{github.web_url}/acme/{name}/blob/main/catalog-info.yaml"
    github.seed(
        "acme",
        "backstage-catalog",
        {
            "catalog/systems.yaml": _doc(entity("billing", "System", owner="group:payments")),
        },
    )
    return urls


def contents_statuses(github: FakeGitHub) -> list[int]:
    return [r.status for r in github.calls("GET", r"/repos/acme/[^/]+/contents/.*")]


# -- url targets in a local catalog ------------------------------------------------------
def test_register_and_list_url_targets_through_the_api(run_cli, github, services, catalog_file):
    for url in services.values():
        result = run_cli(["catalog", "register", url, "--json"])
        assert result.code == 0, result.stderr
        assert result.json()["result"]["type"] == "url"
    payload = run_cli(["catalog", "list", "--lifecycle", "production", "--json"]).json()
    (row,) = payload["result"]["entities"]
    assert row["name"] == "payments-api"
    assert row["repository"] == f"{github.web_url}/acme/payments-api"
    assert row["source"] == services["payments-api"]
    assert payload["result"]["unreadable"] == []
    docs = list(yaml.safe_load_all(catalog_file.read_text()))
    assert [d["spec"] for d in docs] == [{"type": "url", "target": u} for u in services.values()]


def test_reads_are_cached_and_revalidated_with_etags(run_cli, github, services, isolated_env):
    for url in services.values():
        assert run_cli(["catalog", "register", url]).code == 0
    cached = sorted((isolated_env / ".cache" / "scaffolder" / "catalog").glob("*.json"))
    assert len(cached) == 2
    for entry in cached:
        assert entry.stat().st_mode & 0o077 == 0  # private to the user
        assert TOKEN not in entry.read_text()
    github.requests.clear()
    assert run_cli(["catalog", "list"]).code == 0
    assert contents_statuses(github) == [304, 304]  # register already cached both
    github.seed(
        "acme",
        "ledger",
        {"catalog-info.yaml": _doc(entity("ledger", lifecycle="production", system="billing"))},
    )
    github.requests.clear()
    names = [
        r["name"]
        for r in run_cli(["catalog", "list", "--lifecycle", "production", "--json"]).json()[
            "result"
        ]["entities"]
    ]
    assert sorted(names) == ["ledger", "payments-api"]  # the change is seen at once
    assert sorted(contents_statuses(github)) == [200, 304]
    conditional = [r for r in github.requests if r.status == 304]
    assert conditional and all(r.authorized for r in conditional)


def test_unreadable_url_targets_are_listed_not_fatal(run_cli, github, services, catalog_file):
    assert run_cli(["catalog", "register", services["payments-api"]]).code == 0
    gone = f"{github.web_url}/acme/payments-api/blob/main/old/catalog-info.yaml"
    catalog_file.write_text(
        locations.edit_register(catalog_file.read_text(), gone, target_type="url")
    )
    github.fail(
        "GET",
        "/repos/acme/payments-api/contents/old/catalog-info.yaml",
        status=404,
        message="Not Found",
        times=10,
    )
    payload = run_cli(["catalog", "list", "--json"]).json()
    assert [r["name"] for r in payload["result"]["entities"]] == ["payments-api"]
    (bad,) = payload["result"]["unreadable"]
    assert bad["target"] == gone
    assert "not found on GitHub" in bad["reason"]
    assert TOKEN not in str(payload)


def test_register_refuses_a_url_that_does_not_exist(run_cli, github, services, catalog_file):
    url = f"{github.web_url}/acme/payments-api/blob/main/nope.yaml"
    result = run_cli(["catalog", "register", url])
    assert result.code == 2
    assert "not found on GitHub" in result.stderr
    assert not catalog_file.exists()


# -- a catalog repository: changes are pull requests ------------------------------------------
def test_register_opens_a_pull_request(run_cli, github, services):
    github.seed("acme", "backstage-catalog", {"catalog/all.yaml": HAND_WRITTEN})
    before = github.read("acme", "backstage-catalog", "catalog/all.yaml")
    result = run_cli(
        ["catalog", "register", services["payments-api"], "--catalog", CATALOG, "--json"]
    )
    assert result.code == 0, result.stderr
    payload = result.json()
    (pull,) = github.pulls("acme", "backstage-catalog")
    assert payload["result"]["pull_request"] == pull["html_url"]
    assert payload["result"]["changed"] is True
    assert pull["base"]["ref"] == "main"
    assert pull["title"] == "Register component:default/payments-api in the catalog"
    # main is untouched until the platform team merges; the branch holds the edit
    assert github.read("acme", "backstage-catalog", "catalog/all.yaml") == before
    proposed = github.read("acme", "backstage-catalog", "catalog/all.yaml", pull["head"]["ref"])
    assert proposed.startswith(HAND_WRITTEN)  # comments and order kept
    assert services["payments-api"] in proposed
    assert TOKEN not in result.stdout + result.stderr


def test_registering_again_reuses_the_open_pull_request(run_cli, github, services):
    args = ["catalog", "register", services["payments-api"], "--catalog", CATALOG, "--json"]
    first = run_cli(args).json()
    writes = len(github.writes())
    second = run_cli(args).json()
    assert second["result"]["pull_request"] == first["result"]["pull_request"]
    assert second["result"]["changed"] is False
    assert len(github.writes()) == writes  # nothing written the second time
    assert len(github.pulls("acme", "backstage-catalog")) == 1


def test_after_the_merge_it_is_registered_and_listed(run_cli, github, services):
    args = ["catalog", "register", services["payments-api"], "--catalog", CATALOG]
    assert run_cli(args).code == 0
    github.merge("acme", "backstage-catalog", 1)
    result = run_cli(args)
    assert result.code == 0
    assert "already registered" in result.stdout
    assert len(github.pulls("acme", "backstage-catalog")) == 1
    payload = run_cli(["catalog", "list", "--catalog", CATALOG, "--json"]).json()
    assert [r["name"] for r in payload["result"]["entities"]] == ["payments-api"]
    assert run_cli(["catalog", "validate", "--catalog", CATALOG]).code == 0


def test_a_new_catalog_file_is_created_on_the_branch(run_cli, github, services):
    result = run_cli(["catalog", "register", services["ledger"], "--catalog", CATALOG])
    assert result.code == 0, result.stderr
    (pull,) = github.pulls("acme", "backstage-catalog")
    text = github.read("acme", "backstage-catalog", "catalog/all.yaml", pull["head"]["ref"])
    (doc,) = yaml.safe_load_all(text)
    assert doc["kind"] == "Location" and doc["spec"] == {
        "type": "url",
        "target": services["ledger"],
    }
    assert github.read("acme", "backstage-catalog", "catalog/all.yaml") is None


def test_unregister_opens_a_pull_request_too(run_cli, github, services):
    github.seed("acme", "backstage-catalog", {"catalog/all.yaml": HAND_WRITTEN})
    assert run_cli(["catalog", "register", services["ledger"], "--catalog", CATALOG]).code == 0
    github.merge("acme", "backstage-catalog", 1)
    result = run_cli(["catalog", "unregister", "ledger", "--catalog", CATALOG, "--json"])
    assert result.code == 0, result.stderr
    assert result.json()["result"]["target"] == services["ledger"]
    pull = github.pulls("acme", "backstage-catalog")[-1]
    assert result.json()["result"]["pull_request"] == pull["html_url"]
    assert pull["title"] == f"Unregister {services['ledger']} from the catalog"
    text = github.read("acme", "backstage-catalog", "catalog/all.yaml", pull["head"]["ref"])
    assert text == HAND_WRITTEN


def test_remote_catalog_lists_relative_targets_in_the_same_repository(run_cli, github, services):
    github.seed("acme", "backstage-catalog", {"catalog/all.yaml": HAND_WRITTEN})
    payload = run_cli(
        ["catalog", "list", "--catalog", CATALOG, "--kind", "system", "--json"]
    ).json()["result"]
    assert [r["name"] for r in payload["entities"]] == ["billing"]
    assert payload["entities"][0]["source"] == (
        f"{github.web_url}/acme/backstage-catalog/blob/main/catalog/systems.yaml"
    )


def test_a_broken_remote_catalog_is_refused_and_nothing_is_written(run_cli, github, services):
    github.seed("acme", "backstage-catalog", {"catalog/all.yaml": HAND_WRITTEN + "  oops: [\n"})
    writes = len(github.writes())
    result = run_cli(["catalog", "register", services["ledger"], "--catalog", CATALOG])
    assert result.code == 2
    assert f"{CATALOG}:11: not valid YAML" in result.stderr
    assert len(github.writes()) == writes
    assert github.branch_names("acme", "backstage-catalog") == ["main"]


def test_a_server_error_on_the_pull_request_is_retried_once(run_cli, github, services):
    github.fail("POST", "/repos/acme/backstage-catalog/pulls", status=502)
    result = run_cli(["catalog", "register", services["ledger"], "--catalog", CATALOG])
    assert result.code == 0, result.stderr
    assert len(github.pulls("acme", "backstage-catalog")) == 1
    assert [r.status for r in github.calls("POST", "/repos/acme/backstage-catalog/pulls")] == [
        502,
        201,
    ]


def test_a_leftover_branch_is_left_alone(run_cli, github, services):
    args = ["catalog", "register", services["ledger"], "--catalog", CATALOG]
    assert run_cli(args).code == 0
    (pull,) = github.pulls("acme", "backstage-catalog")
    pull["state"] = "closed"  # declined without merging; its branch stays
    assert run_cli(args).code == 0
    first, second = github.pulls("acme", "backstage-catalog")
    assert second["state"] == "open"
    assert second["head"]["ref"].startswith(first["head"]["ref"] + "-")
    assert first["head"]["ref"] in github.branch_names("acme", "backstage-catalog")


def test_without_access_to_the_catalog_repository_github_refuses(run_cli, github, services):
    github.state.add_org("platform", members=set())
    github.state.add_repo("platform", "catalog", private=True)
    result = run_cli(
        [
            "catalog",
            "register",
            services["ledger"],
            "--catalog",
            "github:platform/catalog/all.yaml",
            "--json",
        ]
    )
    assert result.code == 5
    assert result.json()["error"]["status"] == 404
    assert TOKEN not in result.stdout + result.stderr


def test_pending_pull_requests_merge_one_after_the_other(run_cli, github, services):
    """Each proposal inserts its target in sorted place, so pending ones do not conflict."""
    existing = [
        f"{github.web_url}/acme/{n}/blob/main/catalog-info.yaml"
        for n in ("billing", "orders", "search")
    ]
    github.seed(
        "acme",
        "backstage-catalog",
        {
            "catalog/all.yaml": functools.reduce(
                lambda text, u: locations.edit_register(text, u, target_type="url"),
                existing,
                HAND_WRITTEN,
            )
        },
    )
    for name in ("payments-api", "ledger"):
        assert run_cli(["catalog", "register", services[name], "--catalog", CATALOG]).code == 0
    assert [p["state"] for p in github.pulls("acme", "backstage-catalog")] == ["open", "open"]
    github.merge("acme", "backstage-catalog", 1)
    github.merge("acme", "backstage-catalog", 2)  # raises if git finds a conflict
    merged = github.read("acme", "backstage-catalog", "catalog/all.yaml")
    assert merged is not None and merged.startswith(HAND_WRITTEN)
    targets = [doc["spec"].get("target") for doc in yaml.safe_load_all(merged)][1:]
    assert targets == sorted([*existing, *services.values()])


def test_transient_errors_are_retried_and_rate_limits_reported(run_cli, github, services):
    for url in services.values():
        assert run_cli(["catalog", "register", url]).code == 0
    github.fail("GET", "/repos/acme/ledger/contents/catalog-info.yaml", status=503)
    payload = run_cli(["catalog", "list", "--json"]).json()
    assert sorted(r["name"] for r in payload["result"]["entities"]) == ["ledger", "payments-api"]
    github.fail(
        "GET",
        "/repos/acme/ledger/contents/catalog-info.yaml",
        status=403,
        times=10,
        message="API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"},
    )
    payload = run_cli(["catalog", "list", "--json"]).json()
    assert [r["name"] for r in payload["result"]["entities"]] == ["payments-api"]
    (bad,) = payload["result"]["unreadable"]
    assert bad["target"] == services["ledger"]
    assert "rate limit" in bad["reason"]
