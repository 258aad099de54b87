"""`validate_entity`: Backstage's envelope, metadata and per-kind spec rules.

Valid examples are Backstage's own (from its kinds' JSON schemas and docs); each invalid case
changes one thing and expects the sentence that names it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scaffolder.backstage.entity import (
    KIND_SPECS,
    is_valid_api_version,
    is_valid_tag,
    validate_entities,
    validate_entity,
)


def entity(kind: str, spec: dict[str, Any] | None, **metadata: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": "artist-web", **metadata},
    }
    if spec is not None:
        data["spec"] = spec
    return data


VALID = {
    "Component": entity(
        "Component",
        {
            "type": "website",
            "lifecycle": "production",
            "owner": "artist-relations-team",
            "system": "artist-engagement-portal",
            "providesApis": ["artist-api"],
            "consumesApis": ["api:default/payments"],
            "dependsOn": ["resource:artists-db"],
            "subcomponentOf": "portal",
        },
        namespace="music",
        title="Artist Web",
        description="The place to be, for great artists",
        labels={"example.com/custom": "custom_label_value", "tier": ""},
        annotations={
            "github.com/project-slug": "example/artist-web",
            "backstage.io/techdocs-ref": "dir:.",
        },
        tags=["java", "c++", "c#", "data:raw"],
        links=[
            {
                "url": "https://admin.example-org.com",
                "title": "Admin Dashboard",
                "icon": "dashboard",
            }
        ],
    ),
    "API": entity(
        "API",
        {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "team-a",
            "definition": {"$text": "./openapi.yaml"},
        },
    ),
    "System": entity("System", {"owner": "team-a", "domain": "artists", "type": "product"}),
    "Domain": entity("Domain", {"owner": "team-a", "subdomainOf": "music"}),
    "Group": entity(
        "Group",
        {
            "type": "business-unit",
            "children": ["backstage", "other"],
            "parent": "ops",
            "members": ["jdoe"],
            "profile": {"displayName": "Infrastructure"},
        },
    ),
    "User": entity(
        "User", {"memberOf": ["team-b", "employees"], "profile": {"email": "jdoe@example.com"}}
    ),
    "UserWithoutSpecFields": entity("User", {}),
    "Resource": entity(
        "Resource", {"type": "database", "owner": "team-a", "system": "artist-engagement-portal"}
    ),
    "Location": entity(
        "Location",
        {"type": "url", "targets": ["https://example.com/a.yaml"], "presence": "optional"},
    ),
    "Custom": {
        "apiVersion": "example.com/v2",
        "kind": "Pipeline",
        "metadata": {"name": "build"},
        "spec": {"anything": 1},
    },
    "Beta": {**entity("System", {"owner": "team-a"}), "apiVersion": "backstage.io/v1beta1"},
}


@pytest.mark.parametrize("name", list(VALID))
def test_backstage_examples_are_valid(name: str) -> None:
    assert validate_entity(VALID[name]) == []


def test_every_builtin_kind_is_covered() -> None:
    assert set(KIND_SPECS) == {
        "component",
        "api",
        "system",
        "domain",
        "group",
        "user",
        "resource",
        "location",
    }


def with_change(base: str, path: str, value: Any) -> dict[str, Any]:
    """VALID[base] with `path` (dotted) set to `value`, or deleted when value is ...."""
    data = copy.deepcopy(VALID[base])
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


INVALID = [
    # envelope
    ("Component", "apiVersion", ..., "apiVersion is required"),
    (
        "Component",
        "apiVersion",
        "backstage.io/v1/extra",
        "apiVersion 'backstage.io/v1/extra' is not valid",
    ),
    ("Component", "apiVersion", "Backstage_IO/v1", "is not valid"),
    ("Component", "apiVersion", "example.com/v1", "is not one of backstage.io/v1alpha1"),
    ("Component", "kind", ..., "kind is required"),
    ("Component", "kind", "1Component", "kind '1Component' is not valid"),
    ("Component", "kind", "component", "must be spelled 'Component'"),
    ("Component", "metadata", ..., "metadata is required"),
    ("Component", "metadata", "artist-web", "metadata must be a mapping"),
    ("Component", "spec", ..., "spec is required for kind Component"),
    ("Component", "spec", ["x"], "spec must be a mapping"),
    # metadata
    ("Component", "metadata.name", ..., "metadata.name is required"),
    ("Component", "metadata.name", "artist web", "metadata.name 'artist web' is not valid"),
    ("Component", "metadata.name", "-artist", "is not valid"),
    ("Component", "metadata.name", "a" * 64, "is not valid"),
    ("Component", "metadata.name", 42, "is not valid"),
    ("Component", "metadata.namespace", "Music", "metadata.namespace 'Music' is not valid"),
    ("Component", "metadata.namespace", "music_dept", "is not valid"),
    ("Component", "metadata.title", ["x"], "metadata.title must be text"),
    ("Component", "metadata.description", 3, "metadata.description must be text"),
    (
        "Component",
        "metadata.labels",
        {"Bad Key": "x"},
        "metadata.labels key 'Bad Key' is not valid",
    ),
    ("Component", "metadata.labels", {"UPPER.example.com/k": "x"}, "is not valid"),
    ("Component", "metadata.labels", {"tier": "has space"}, "metadata.labels value 'has space'"),
    ("Component", "metadata.labels", {"tier": 3}, "metadata.labels value 3"),
    ("Component", "metadata.labels", ["tier"], "metadata.labels must be a mapping"),
    (
        "Component",
        "metadata.annotations",
        {"github.com/": "x"},
        "metadata.annotations key 'github.com/'",
    ),
    ("Component", "metadata.annotations", {"a/b/c": "x"}, "is not valid"),
    ("Component", "metadata.annotations", {"backstage.io/x": 5}, "must be text, not int"),
    ("Component", "metadata.tags", ["Java"], "metadata.tags item 'Java' is not valid"),
    ("Component", "metadata.tags", ["two words"], "is not valid"),
    ("Component", "metadata.tags", "java", "metadata.tags must be a list"),
    ("Component", "metadata.links", [{"title": "no url"}], "metadata.links[0].url is required"),
    ("Component", "metadata.links", ["https://x"], "metadata.links[0] must be a mapping"),
    # per-kind spec
    ("Component", "spec.type", ..., "spec.type is required"),
    ("Component", "spec.type", "", "spec.type must not be empty"),
    ("Component", "spec.lifecycle", ..., "spec.lifecycle is required"),
    ("Component", "spec.owner", ..., "spec.owner is required"),
    ("Component", "spec.owner", 7, "spec.owner must be text"),
    ("Component", "spec.owner", "group:Bad Ns/team", "spec.owner:"),
    ("Component", "spec.system", "sys tem", "spec.system:"),
    ("Component", "spec.providesApis", "artist-api", "spec.providesApis must be a list"),
    ("Component", "spec.consumesApis", [""], "spec.consumesApis[0] must be non-empty text"),
    ("Component", "spec.dependsOn", ["artists-db"], "spec.dependsOn[0]: 'artists-db' needs a kind"),
    ("API", "spec.definition", ..., "spec.definition is required"),
    ("API", "spec.lifecycle", ..., "spec.lifecycle is required"),
    ("System", "spec.owner", ..., "spec.owner is required"),
    ("System", "spec.domain", ["artists"], "spec.domain must be text"),
    ("Domain", "spec.owner", ..., "spec.owner is required"),
    ("Group", "spec.type", ..., "spec.type is required"),
    ("Group", "spec.children", ..., "spec.children is required"),
    ("Group", "spec.members", ["user:Bad Name"], "spec.members[0]:"),
    ("User", "spec.memberOf", "team-b", "spec.memberOf must be a list"),
    ("Resource", "spec.type", ..., "spec.type is required"),
    ("Resource", "spec.owner", ..., "spec.owner is required"),
    ("Location", "spec.targets", "https://x", "spec.targets must be a list"),
    ("Location", "spec.presence", "maybe", "spec.presence must be 'required' or 'optional'"),
]


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    INVALID,
    ids=[f"{b}-{p}-{v!r}"[:60] for b, p, v, _ in INVALID],
)
def test_one_change_one_problem(base: str, path: str, value: Any, message: str) -> None:
    problems = validate_entity(with_change(base, path, value))
    assert len(problems) == 1, problems
    assert message in problems[0]


def test_all_problems_are_reported_at_once() -> None:
    data = {
        "apiVersion": "v1",
        "kind": "Component",
        "metadata": {"name": "Bad Name", "namespace": "NS"},
        "spec": {},
    }
    problems = validate_entity(data)
    assert len(problems) == 6, problems  # apiVersion, name, namespace, type, lifecycle, owner


def test_not_a_mapping() -> None:
    assert validate_entity(["x"]) == ["an entity must be a mapping, not a list"]  # type: ignore[arg-type]


def test_several_documents_are_numbered_and_empty_ones_skipped() -> None:
    problems = validate_entities([VALID["Component"], None, {"kind": "Component"}, "text"])
    assert problems[0].startswith("document 3: apiVersion is required")
    assert problems[-1] == "document 4: an entity must be a mapping, not text"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("backstage.io/v1alpha1", True),
        ("v1", True),
        ("example.com/V2beta", True),
        ("a/b/c", False),
        ("/v1", False),
        ("Example.com/v1", False),
        ("backstage.io/v1-alpha", False),
        (None, False),
    ],
)
def test_api_versions(value: Any, ok: bool) -> None:
    assert is_valid_api_version(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("java", True),
        ("c++", True),
        ("data:raw", True),
        ("a-b", True),
        ("a--b", False),
        ("-a", False),
        ("", False),
        ("A", False),
        ("x" * 64, False),
    ],
)
def test_tags(value: str, ok: bool) -> None:
    assert is_valid_tag(value) is ok
