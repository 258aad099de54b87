"""What the wizard shows: the review screen before anything is written, and the final summary.

Pure functions from values to lines, so they are tested directly and kept to 80 columns: the
review of a typical template (ten answers, four lines of plan) plus its three-way prompt fits
in a 24-row terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.wizard.prompts import fit

WIDTH = 80
LABEL = 16


@dataclass(frozen=True)
class Shown:
    """One answer as the review shows it."""

    name: str
    value: Any
    secret: bool = False
    given: bool = False


@dataclass(frozen=True)
class PublishPlan:
    """Where and how the repository will be published, as chosen in the wizard."""

    owner: str
    private: bool
    now: bool
    #: The repository's web address, as GitHub will give it.
    url: str


def show_value(value: Any, *, secret: bool = False) -> str:
    if secret:
        return "•••••• (hidden, never saved)" if value else "(empty)"
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def row(label: str, value: str, *, width: int = WIDTH) -> str:
    return f"  {label:<{LABEL - 1}} " + fit(value, width - LABEL - 2)


def protection_text(answers: Mapping[str, Any], *, baseline: bool, now: bool) -> str:
    """The branch protection the baseline declares (.github/rulesets/default-branch.json)."""
    if not baseline:
        return "none declared (the template opts out of the security baseline)"
    approvals = answers.get("required_approvals", 1)
    checks = "CI and CodeQL must pass" if answers.get("code_security", True) else "CI must pass"
    if answers.get("review_mode") == "none" or str(approvals) == "0":
        # A user-owned repository: its author cannot approve their own pull requests.
        rules = f"PRs need no approval (no other reviewer); {checks}"
    else:
        plural = "s" if str(approvals) != "1" else ""
        rules = f"PRs need {approvals} approval{plural} and code-owner review; {checks}"
    if now:
        return f"ruleset on main: no force push or deletion; {rules}"
    return f"at publish: no force push or deletion on main; {rules}"


def review_lines(
    *,
    template: str,
    destination: Path,
    answers: Sequence[Shown],
    catalog: Path | None,
    publish: PublishPlan | None,
    publish_note: str,
    protection: str,
    dry_run: bool,
    width: int = WIDTH,
) -> list[str]:
    if dry_run:
        lines = ["Review (dry run: everything is validated, nothing is written)"]
    else:
        lines = ['Review: nothing is written until you choose "Create it"']
    lines.append(row("template", template, width=width))
    for shown in answers:
        text = show_value(shown.value, secret=shown.secret)
        lines.append(row(shown.name, text + (" (given)" if shown.given else ""), width=width))
    state = "exists, empty" if destination.exists() else "new folder"
    # Paths are wrapped, never cut: they are what the person checks before confirming.
    lines.extend(_wrapped("destination", f"{destination} ({state})", width, most=2))
    catalog_text = str(catalog) if catalog else "not registered (--no-register)"
    lines.extend(_wrapped("catalog file", catalog_text, width, most=2))
    if publish is None:
        lines.append(row("repository", publish_note, width=width))
    else:
        visibility = "private" if publish.private else "public"
        when = "created and pushed now" if publish.now else "not yet: `scaffolder publish` later"
        lines.append(row("repository", publish.url, width=width))
        lines.append(row("visibility", f"{visibility}; {when}", width=width))
    lines.extend(_wrapped("protection", protection, width, most=2))
    return lines


def _wrapped(label: str, text: str, width: int, *, most: int = 3) -> list[str]:
    """A value over at most `most` lines, the later ones indented under the first."""
    import textwrap

    room = width - LABEL - 2
    parts = textwrap.wrap(text, room, break_on_hyphens=False) or [""]
    if len(parts) > most:
        parts = [*parts[: most - 1], fit(" ".join(parts[most - 1 :]), room)]
    return [f"  {label:<{LABEL - 1}} {parts[0]}", *(" " * (LABEL + 2) + p for p in parts[1:])]


def summary_lines(
    *,
    project: Path,
    entity_ref: str,
    commit: str | None,
    catalog: Path | None,
    registered: bool,
    repository_url: str | None,
    saved_answers: Path | None,
    replay: str | None,
    publish_later: str | None,
    dry_run: bool,
) -> list[str]:
    if dry_run:
        lines = [f"Dry run: {entity_ref} would be created in {project}; nothing was written."]
    else:
        lines = [f"Created {entity_ref} in {project}"]
    if commit:
        lines.append(row("commit", f"{commit[:12]} on main"))
    if registered and catalog:
        lines.append(row("catalog", str(catalog)))
    if repository_url:
        lines.append(row("repository", repository_url))
    if saved_answers:
        lines.append(row("answers saved", str(saved_answers)))
    if dry_run:
        return lines + ([f"  replay:  {replay}"] if replay else [])
    lines.append("Next:")
    lines.append(f"  cd {project}")
    if publish_later:
        lines.append(f"  {publish_later}")
    if replay:
        lines.append(f"  replay in CI: {replay}")
    return lines
