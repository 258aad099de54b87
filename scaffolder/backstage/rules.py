"""Backstage's naming rules, as its catalog model validates them.

These mirror `KubernetesValidatorFunctions` and `parseEntityRef` in `@backstage/catalog-model`:
the same lengths and character classes, so that what passes here passes Backstage.
scaffolder's own, stricter rule for component names (lowercase kebab-case, so one name serves as
entity, repository and package name) is the `name` question's validator in
scaffolder/baseline/standard-questions.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OBJECT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KIND = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")

DEFAULT_NAMESPACE = "default"


def is_valid_object_name(value: object) -> bool:
    """Entity names, label values: 1-63 chars, alphanumeric runs joined by `-`, `_` or `.`."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_OBJECT_NAME.match(value))


def is_valid_namespace(value: object) -> bool:
    """Namespaces are DNS labels: lowercase alphanumerics and `-`, 1-63 chars."""
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_DNS_LABEL.match(value))


def is_valid_kind(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_KIND.match(value))


def is_valid_dns_subdomain(value: str) -> bool:
    return 1 <= len(value) <= 253 and bool(_DNS_SUBDOMAIN.match(value))


def is_valid_prefixed_key(value: object) -> bool:
    """Annotation and label keys: an optional DNS-subdomain prefix and `/`, then a name."""
    if not isinstance(value, str):
        return False
    prefix, sep, name = value.rpartition("/")
    if sep and not is_valid_dns_subdomain(prefix):
        return False
    return is_valid_object_name(name)


@dataclass(frozen=True)
class EntityRef:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.lower()}:{self.namespace}/{self.name}"


def parse_entity_ref(
    value: str, *, default_kind: str | None = None, allowed_kinds: tuple[str, ...] = ()
) -> EntityRef:
    """Parse `[kind:][namespace/]name` the way Backstage's `parseEntityRef` does.

    Raises ValueError with a sentence fit for the user.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValueError("an entity reference is required, such as 'group:default/payments'")
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = "", text
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = DEFAULT_NAMESPACE, rest
    kind = kind or (default_kind or "")
    if not kind:
        raise ValueError(f"{value!r} needs a kind, such as 'component:{rest}'")
    if not is_valid_kind(kind):
        raise ValueError(f"{value!r} has an invalid kind {kind!r}")
    if allowed_kinds and kind.lower() not in allowed_kinds:
        raise ValueError(
            f"{value!r} must refer to a {' or '.join(allowed_kinds)}, not a {kind.lower()}"
        )
    if not is_valid_namespace(namespace):
        raise ValueError(
            f"{value!r} has an invalid namespace {namespace!r}; use lowercase letters, digits "
            "and '-'"
        )
    if not is_valid_object_name(name):
        raise ValueError(
            f"{value!r} is not an entity reference; use 'group:payments', "
            "'group:default/payments', 'user:jdoe' or plain 'payments'"
        )
    return EntityRef(kind=kind.lower(), namespace=namespace, name=name)


def parse_owner(value: str) -> EntityRef:
    """An owner is a group or user reference; a bare name means a group, as in Backstage."""
    return parse_entity_ref(value, default_kind="group", allowed_kinds=("group", "user"))
