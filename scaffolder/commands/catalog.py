"""`scaffolder catalog register|unregister|list|validate`: the Backstage catalog file.

A catalog is a local file or `github:OWNER/REPO/path` (changes become pull requests); see
`scaffolder/catalog/`. `validate` finding problems is a result with exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scaffolder.catalog.listing import Filters, Listing, list_catalog
from scaffolder.catalog.manage import CatalogChange, register, unregister
from scaffolder.catalog.sources import Catalog, parse_catalog
from scaffolder.catalog.validation import Validation, validate_catalog
from scaffolder.errors import ExitCode, UsageError
from scaffolder.progress import SILENT, Progress

__all__ = [
    "CatalogChange",
    "ChangeOptions",
    "ListOptions",
    "Listing",
    "ValidateOptions",
    "ValidationResult",
    "change",
    "listing",
    "validate",
]


@dataclass(frozen=True)
class ChangeOptions:
    action: str  # "register" or "unregister"
    target: str
    catalog: str | None = None
    #: Use the entity cache (`catalog/cache.py`) to find an entity reference.
    use_cache: bool = True

    def __post_init__(self) -> None:
        if self.action not in ("register", "unregister"):
            raise UsageError(f"unknown catalog action {self.action!r}")


def change(options: ChangeOptions, progress: Progress = SILENT) -> CatalogChange:
    catalog = parse_catalog(options.catalog)
    if options.action == "register":
        return register(catalog, options.target, progress=progress)
    return unregister(catalog, options.target, progress=progress, use_cache=options.use_cache)


@dataclass(frozen=True)
class ListOptions:
    catalog: str | None = None
    filters: Filters = field(default_factory=Filters)
    use_cache: bool = True


def listing(options: ListOptions, progress: Progress = SILENT) -> Listing:
    catalog = parse_catalog(options.catalog)
    return list_catalog(catalog, options.filters, use_cache=options.use_cache)


@dataclass(frozen=True)
class ValidateOptions:
    catalog: str | None = None
    use_cache: bool = True


@dataclass(frozen=True)
class ValidationResult:
    validation: Validation
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.validation.ok else ExitCode.CHECKS_FAILED

    def to_json(self) -> dict[str, Any]:
        return self.validation.to_json()


def validate(options: ValidateOptions, progress: Progress = SILENT) -> ValidationResult:
    catalog: Catalog = parse_catalog(options.catalog)
    return ValidationResult(validate_catalog(catalog, use_cache=options.use_cache))
