"""Backstage entity validation: the envelope, the metadata and each built-in kind's spec.

`validate_entity(data)` returns every problem it finds as a sentence, or an empty list. It
mirrors what Backstage's catalog checks before it accepts an entity:

- the envelope and metadata policies (`FieldFormatEntityPolicy`, `SchemaValidEntityPolicy` in
  `@backstage/catalog-model`): `apiVersion`, `kind`, `metadata.name`, `metadata.namespace`,
  label and annotation keys and values, tags and links;
- the JSON schemas of the built-in kinds (`Component`, `API`, `System`, `Domain`, `Group`,
  `User`, `Resource`, `Location`): required spec fields and their types;
- the entity references the built-in processor parses (`spec.owner`, `spec.system`, ...):
  a reference that `parseEntityRef` would reject is reported here.

Kinds Backstage does not build in are checked for the envelope only, as Backstage does.
Placeholders such as `$text: ./openapi.yaml` are accepted wherever a string is expected,
because Backstage substitutes them before it validates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scaffolder.backstage.rules import (
    is_valid_dns_subdomain,
    is_valid_kind,
    is_valid_namespace,
    is_valid_object_name,
    is_valid_prefixed_key,
    parse_entity_ref,
)

_API_VERSION_SUFFIX = re.compile(r"^[a-zA-Z0-9]+$")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
BUILTIN_API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")


@dataclass(frozen=True)
class _Field:
    """One spec field: its JSON type, whether it is required, and the reference it holds."""

    name: str
    type: type
    required: bool = False
    #: The kind a reference defaults to (None: any kind, but one must be given); the field
    #: holds plain text when `ref` is False.
    ref: bool = False
    default_kind: str | None = None


def _s(name: str, *, required: bool = False) -> _Field:
    return _Field(name, str, required)


def _ref(name: str, default_kind: str | None, *, required: bool = False) -> _Field:
    return _Field(name, str, required, ref=True, default_kind=default_kind)


def _refs(name: str, default_kind: str | None, *, required: bool = False) -> _Field:
    return _Field(name, list, required, ref=True, default_kind=default_kind)


#: The spec of every built-in kind, after Backstage's `kinds/*.schema.json` and the references
#: `BuiltinKindsEntityProcessor` parses (with their default kinds).
KIND_SPECS: Mapping[str, tuple[_Field, ...]] = {
    "component": (
        _s("type", required=True),
        _s("lifecycle", required=True),
        _ref("owner", "group", required=True),
        _ref("system", "system"),
        _ref("subcomponentOf", "component"),
        _refs("providesApis", "api"),
        _refs("consumesApis", "api"),
        _refs("dependsOn", None),
        _refs("dependencyOf", None),
    ),
    "api": (
        _s("type", required=True),
        _s("lifecycle", required=True),
        _ref("owner", "group", required=True),
        _s("definition", required=True),
        _ref("system", "system"),
    ),
    "system": (
        _ref("owner", "group", required=True),
        _ref("domain", "domain"),
        _s("type"),
    ),
    "domain": (
        _ref("owner", "group", required=True),
        _ref("subdomainOf", "domain"),
        _s("type"),
    ),
    "group": (
        _s("type", required=True),
        _refs("children", "group", required=True),
        _ref("parent", "group"),
        _refs("members", "user"),
    ),
    "user": (_refs("memberOf", "group"),),
    "resource": (
        _s("type", required=True),
        _ref("owner", "group", required=True),
        _refs("dependsOn", None),
        _refs("dependencyOf", None),
        _ref("system", "system"),
    ),
    "location": (
        _s("type"),
        _s("target"),
        _Field("targets", list),
        _s("presence"),
    ),
}

#: The kinds' names as Backstage spells them, for messages.
KIND_NAMES = {
    "component": "Component",
    "api": "API",
    "system": "System",
    "domain": "Domain",
    "group": "Group",
    "user": "User",
    "resource": "Resource",
    "location": "Location",
}


def is_valid_api_version(value: object) -> bool:
    """`[prefix/]version`: an optional DNS-subdomain prefix and an alphanumeric version."""
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) > 2:
        return False
    suffix = parts[-1]
    if not (1 <= len(suffix) <= 63 and _API_VERSION_SUFFIX.match(suffix)):
        return False
    return len(parts) == 1 or is_valid_dns_subdomain(parts[0])


def is_valid_label_value(value: object) -> bool:
    return value == "" or is_valid_object_name(value)


def is_valid_tag(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_TAG.match(value))


def _is_placeholder(value: object) -> bool:
    """`{$text: ./file}` and friends: Backstage replaces them with a string before validating."""
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and isinstance(next(iter(value)), str)
        and next(iter(value)).startswith("$")
    )


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _check_envelope(data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    api_version = data.get("apiVersion")
    if api_version is None:
        problems.append("apiVersion is required")
    elif not is_valid_api_version(api_version):
        problems.append(
            f"apiVersion {api_version!r} is not valid; use a form like 'backstage.io/v1alpha1'"
        )
    kind = data.get("kind")
    if kind is None:
        problems.append("kind is required")
    elif not is_valid_kind(kind):
        problems.append(
            f"kind {kind!r} is not valid; use letters and digits, starting with a letter"
        )
    spec = data.get("spec")
    if spec is not None and not isinstance(spec, Mapping):
        problems.append(f"spec must be a mapping, not {_type_name(spec)}")
    return problems


def _check_metadata(metadata: object) -> list[str]:
    if metadata is None:
        return ["metadata is required"]
    if not isinstance(metadata, Mapping):
        return [f"metadata must be a mapping, not {_type_name(metadata)}"]
    problems: list[str] = []
    name = metadata.get("name")
    if name is None:
        problems.append("metadata.name is required")
    elif not is_valid_object_name(name):
        problems.append(
            f"metadata.name {name!r} is not valid; use 1-63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    namespace = metadata.get("namespace")
    if namespace is not None and not is_valid_namespace(namespace):
        problems.append(
            f"metadata.namespace {namespace!r} is not valid; use 1-63 lowercase letters, "
            "digits and '-'"
        )
    for key in ("title", "description", "uid", "etag"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"metadata.{key} must be text, not {_type_name(value)}")
    problems += _check_key_values(metadata.get("labels"), "labels", label=True)
    problems += _check_key_values(metadata.get("annotations"), "annotations", label=False)
    problems += _check_tags(metadata.get("tags"))
    problems += _check_links(metadata.get("links"))
    return problems


def _check_key_values(values: object, field: str, *, label: bool) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        return [f"metadata.{field} must be a mapping, not {_type_name(values)}"]
    problems: list[str] = []
    for key, value in values.items():
        if not is_valid_prefixed_key(key):
            problems.append(
                f"metadata.{field} key {key!r} is not valid; use an optional DNS prefix and '/', "
                "then 1-63 letters, digits, '-', '_' or '.' (e.g. 'example.com/my-key')"
            )
        if label and not is_valid_label_value(value):
            problems.append(
                f"metadata.labels value {value!r} of {key!r} is not valid; use 0-63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit"
            )
        elif not label and not isinstance(value, str):
            problems.append(
                f"metadata.annotations value of {key!r} must be text, not {_type_name(value)}"
            )
    return problems


def _check_tags(tags: object) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list):
        return [f"metadata.tags must be a list, not {_type_name(tags)}"]
    return [
        f"metadata.tags item {tag!r} is not valid; use 1-63 lowercase letters, digits, "
        "'+', '#' or ':' in words joined by '-'"
        for tag in tags
        if not is_valid_tag(tag)
    ]


def _check_links(links: object) -> list[str]:
    if links is None:
        return []
    if not isinstance(links, list):
        return [f"metadata.links must be a list, not {_type_name(links)}"]
    problems: list[str] = []
    for i, link in enumerate(links):
        if not isinstance(link, Mapping):
            problems.append(f"metadata.links[{i}] must be a mapping with a url")
            continue
        url = link.get("url")
        if not isinstance(url, str) or not url:
            problems.append(f"metadata.links[{i}].url is required")
        for key in ("title", "icon", "type"):
            if key in link and not isinstance(link[key], str):
                problems.append(f"metadata.links[{i}].{key} must be text")
    return problems


def _ref_problem(value: str, default_kind: str | None) -> str | None:
    try:
        parse_entity_ref(value, default_kind=default_kind)
    except ValueError as exc:
        return str(exc)
    return None


def _check_field(spec: Mapping[str, Any], field: _Field) -> list[str]:
    where = f"spec.{field.name}"
    if field.name not in spec or spec[field.name] is None:
        return [f"{where} is required"] if field.required else []
    value = spec[field.name]
    if field.type is str:
        if _is_placeholder(value):
            return []
        if not isinstance(value, str):
            return [f"{where} must be text, not {_type_name(value)}"]
        if not value:
            return [f"{where} must not be empty"]
        if field.ref and (why := _ref_problem(value, field.default_kind)):
            return [f"{where}: {why}"]
        return []
    if not isinstance(value, list):
        return [f"{where} must be a list, not {_type_name(value)}"]
    problems: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            problems.append(f"{where}[{i}] must be non-empty text")
        elif field.ref and (why := _ref_problem(item, field.default_kind)):
            problems.append(f"{where}[{i}]: {why}")
    return problems


def _check_spec(kind: str, api_version: object, spec: object) -> list[str]:
    fields = KIND_SPECS[kind]
    label = KIND_NAMES[kind]
    problems: list[str] = []
    # A missing or malformed apiVersion is reported once, by the envelope check.
    if is_valid_api_version(api_version) and api_version not in BUILTIN_API_VERSIONS:
        problems.append(
            f"apiVersion {api_version!r} is not one of {', '.join(BUILTIN_API_VERSIONS)} "
            f"(required for kind {label})"
        )
    if spec is None:
        return [*problems, f"spec is required for kind {label}"]
    if not isinstance(spec, Mapping):
        return problems
    for field in fields:
        problems += _check_field(spec, field)
    if kind == "location" and spec.get("presence") not in (None, "required", "optional"):
        problems.append("spec.presence must be 'required' or 'optional'")
    return problems


def validate_entity(data: Mapping[str, Any]) -> list[str]:
    """Every reason Backstage would reject `data` as a catalog entity; empty when it is valid."""
    if not isinstance(data, Mapping):
        return [f"an entity must be a mapping, not {_type_name(data)}"]
    problems = _check_envelope(data)
    problems += _check_metadata(data.get("metadata"))
    kind = data.get("kind")
    if isinstance(kind, str) and kind.lower() in KIND_SPECS and is_valid_kind(kind):
        if kind != KIND_NAMES[kind.lower()]:
            problems.append(f"kind {kind!r} must be spelled {KIND_NAMES[kind.lower()]!r}")
        else:
            problems += _check_spec(kind.lower(), data.get("apiVersion"), data.get("spec"))
    return problems


def validate_entities(documents: Sequence[object]) -> list[str]:
    """Problems of several entities (a multi-document file), each prefixed with its position."""
    problems: list[str] = []
    for i, doc in enumerate(documents):
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            problems.append(f"document {i + 1}: an entity must be a mapping, not {_type_name(doc)}")
            continue
        problems += [f"document {i + 1}: {p}" for p in validate_entity(doc)]
    return problems
