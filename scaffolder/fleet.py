"""The one loop over the fleet: select catalog components, run a unit of work on each, report.

Every command that walks the catalog (`outdated`; later `update --pull-request`, `insights`,
`audit --live --catalog`) selects with the same flags and runs through `run()`:

* **Selection** (`Selection`): the Components the catalog reaches (`catalog list`'s reading,
  `catalog/listing.py`), kept when they match every filter given. `--lifecycle`, `--owner` and
  `--system` are repeatable; the values of one are alternatives, compared as `catalog list`
  compares them (owner and system as entity references). `--shard K/N` keeps a stable share:
  the SHA-256 of the entity reference, modulo N, is K-1, so the N shards are disjoint and
  cover the fleet whatever the catalog's order and on every machine.
* **The loop**: `unit(component)` runs on at most `concurrency` threads. One repository's
  failure never stops the rest: a `ScaffolderError` is that repository's `failed` outcome with
  its message; any other exception too, and the run's exit code becomes 70 (a bug). Catalog
  targets that cannot be read are `failed` entries as well (they cannot be filtered, so they
  are in every selection, in the shard their target hashes to).
* **Exit code** (`FleetRun.exit_code`, from `errors.EXIT_CODES`): 0 when every repository is
  ok, 1 when some has a finding, 3 when some failed (3 wins over 1: an incomplete result is
  not a clean finding), 70 when a unit hit a bug.
* **Progress**: one `step` around the loop and a note per repository as it finishes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from scaffolder.errors import ExitCode, ScaffolderError, UsageError, more_serious
from scaffolder.progress import SILENT, Progress

Status = Literal["ok", "finding", "failed"]
#: Worker threads when `--concurrency` is not given; at most `MAX_CONCURRENCY`.
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """`--shard K/N`: the K-th of N disjoint shares of the fleet (K from 1 to N)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text)
        if not match:
            raise UsageError(
                f"--shard {text!r} is not K/N", hint="write --shard 2/5: the second of five shares"
            )
        return cls(int(match[1]), int(match[2]))

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise UsageError(
                f"--shard {self.index}/{self.count}: K must be from 1 to N (and N at least 1)",
                hint="write --shard 1/4 ... --shard 4/4 for four shares",
            )

    def holds(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Selection:
    """Which components a fleet command works on, and how many at once."""

    catalog: str | None = None
    lifecycle: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    system: tuple[str, ...] = ()
    shard: Shard | None = None
    concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise UsageError(
                f"--concurrency {self.concurrency}: give a number from 1 to {MAX_CONCURRENCY}",
                hint=f"the default is {DEFAULT_CONCURRENCY}",
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "lifecycle": list(self.lifecycle),
            "owner": list(self.owner),
            "system": list(self.system),
            "shard": str(self.shard) if self.shard else None,
            "concurrency": self.concurrency,
        }


@dataclass(frozen=True)
class Component:
    """One selected catalog Component, as a unit of work sees it."""

    ref: str
    name: str
    lifecycle: str
    owner: str
    system: str
    #: Its repository's web URL ('' when the entity names none).
    repository: str
    #: The path or URL its entity was read from.
    source: str
    #: The folder holding its catalog-info.yaml, for an entity read from a local file.
    folder: Path | None
    #: `OWNER/REPO` on GitHub (from `github.com/project-slug`, the source location or the URL
    #: it was read from); None when it names no repository.
    github: str | None
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "name": self.name,
            "repository": self.repository or None,
            "folder": str(self.folder) if self.folder else None,
            "github": self.github,
        }


@dataclass(frozen=True)
class Outcome:
    """What a unit of work found for one repository (`detail`: its own JSON fields)."""

    status: Status
    detail: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""


def ok(**detail: Any) -> Outcome:
    return Outcome("ok", detail)


def finding(reason: str, **detail: Any) -> Outcome:
    return Outcome("finding", detail, reason)


@dataclass(frozen=True)
class Entry:
    """One repository's line in a fleet command's result."""

    #: The component's reference, or the catalog target that could not be read.
    name: str
    component: Component | None
    outcome: Outcome
    #: The unit raised something other than a ScaffolderError: a bug (exit 70).
    bug: bool = False

    @property
    def status(self) -> Status:
        return self.outcome.status

    def to_json(self) -> dict[str, Any]:
        base = self.component.to_json() if self.component else {"ref": None}
        return {
            "name": self.name,
            **base,
            "outcome": self.outcome.status,
            "reason": self.outcome.reason or None,
            **self.outcome.detail,
        }


class Reported(Protocol):
    """What a fleet command reports per repository: its status, and whether a bug made it."""

    @property
    def status(self) -> Status: ...

    @property
    def bug(self) -> bool: ...


def exit_code_of(entries: Iterable[Reported]) -> ExitCode:
    """The one table over a fleet: 70 when a unit hit a bug, else 3 when some repository
    failed (3 wins over 1: an incomplete result is not a clean finding), else 1 when some has
    a finding, else 0."""
    codes = [ExitCode.OK]
    for entry in entries:
        if entry.bug:
            codes.append(ExitCode.INTERNAL)
        elif entry.status == "failed":
            codes.append(ExitCode.PARTIAL)
        elif entry.status == "finding":
            codes.append(ExitCode.CHECKS_FAILED)
    return more_serious(*codes)


@dataclass(frozen=True)
class FleetRun:
    catalog: str
    selection: Selection
    entries: tuple[Entry, ...]
    #: Components in the catalog before selecting.
    total: int

    def count(self, status: Status) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_of(self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "selection": self.selection.to_json(),
            "total": self.total,
            "selected": len(self.entries),
            "counts": {s: self.count(s) for s in ("ok", "finding", "failed")},
            "repositories": [e.to_json() for e in self.entries],
        }


# -- selecting -------------------------------------------------------------------------------
def _github_slug(repository: str) -> str | None:
    """`OWNER/REPO` of a repository web URL (`https://HOST/OWNER/REPO[/tree/...]`)."""
    if not repository.startswith(("https://", "http://")):
        return None
    segments = [s for s in repository.split("://", 1)[1].split("/")[1:] if s]
    return f"{segments[0]}/{segments[1]}" if len(segments) >= 2 else None


def _component(row: Any) -> Component:
    local = not row.source.startswith(("https://", "http://"))
    return Component(
        ref=row.ref,
        name=row.name,
        lifecycle=row.lifecycle,
        owner=row.owner,
        system=row.system,
        repository=row.repository,
        source=row.source,
        folder=Path(row.source).parent if local else None,
        github=_github_slug(row.repository),
        description=row.description,
    )


@dataclass(frozen=True)
class Selected:
    catalog: str
    components: tuple[Component, ...]
    #: (target, reason) of every catalog target that could not be read, in the shard.
    unreadable: tuple[tuple[str, str], ...]
    total: int


def select(selection: Selection) -> Selected:
    """The selected Components of the catalog, in catalog order."""
    from scaffolder.catalog.listing import Filters, list_catalog
    from scaffolder.catalog.sources import parse_catalog

    filters = Filters(
        kind=("component",),
        lifecycle=selection.lifecycle,
        owner=selection.owner,
        system=selection.system,
    )
    listing = list_catalog(parse_catalog(selection.catalog), filters)
    shard = selection.shard
    components = tuple(
        _component(row) for row in listing.rows if shard is None or shard.holds(row.ref)
    )
    unreadable = tuple(
        (u.target, u.reason) for u in listing.unreadable if shard is None or shard.holds(u.target)
    )
    return Selected(listing.catalog, components, unreadable, listing.total)


# -- the loop --------------------------------------------------------------------------------
Unit = Callable[[Component], Outcome]


def _attempt(unit: Unit, component: Component) -> Entry:
    try:
        return Entry(component.ref, component, unit(component))
    except ScaffolderError as exc:
        return Entry(component.ref, component, Outcome("failed", reason=exc.message))
    except Exception as exc:  # noqa: BLE001 -- one repository's bug must not stop the others
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return Entry(component.ref, component, Outcome("failed", reason=reason), bug=True)


def _bounded(
    unit: Unit, components: Sequence[Component], concurrency: int
) -> Iterator[tuple[int, Entry]]:
    """(index, entry) as each unit finishes; never more than `concurrency` pending."""
    if concurrency == 1:
        for index, component in enumerate(components):
            yield index, _attempt(unit, component)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fleet") as pool:
        pending: dict[Future[Entry], int] = {}
        queue = iter(enumerate(components))
        try:
            for index, component in queue:
                pending[pool.submit(_attempt, unit, component)] = index
                if len(pending) >= concurrency:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
                    for index, component in queue:
                        pending[pool.submit(_attempt, unit, component)] = index
                        break
        finally:
            for future in pending:
                future.cancel()


def run(
    selection: Selection, unit: Unit, progress: Progress = SILENT, *, what: str = ""
) -> FleetRun:
    """Select, run `unit` on every selected component, and collect one entry each."""
    selected = select(selection)
    components = selected.components
    entries: list[Entry | None] = [None] * len(components)
    total = len(components)
    label = what or "repositories"
    detail = f"{total} selected of {selected.total} entities in {selected.catalog}"
    with progress.step(label, detail):
        for done, (index, entry) in enumerate(_bounded(unit, components, selection.concurrency), 1):
            entries[index] = entry
            why = f": {entry.outcome.reason}" if entry.outcome.reason else ""
            progress.note(f"[{done}/{total}] {entry.name} {entry.status}{why}")
    unreadable = [
        Entry(target, None, Outcome("failed", reason=f"cannot read the catalog target: {reason}"))
        for target, reason in selected.unreadable
    ]
    collected = [e for e in entries if e is not None]
    return FleetRun(
        catalog=selected.catalog,
        selection=selection,
        entries=(*collected, *unreadable),
        total=selected.total,
    )
