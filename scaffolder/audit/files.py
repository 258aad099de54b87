"""Checks on the repository's files: catalog entity, Dependabot, SECURITY.md, CODEOWNERS,
LICENSE, .gitignore and the default branch's ruleset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from scaffolder.audit import codeowners
from scaffolder.audit.model import Outcome, count, noted
from scaffolder.audit.repo import COMMUNITY_DIRS, Repository, find_file, read_text
from scaffolder.audit.ruleset import check_branch_ruleset
from scaffolder.backstage.entity import validate_entities

MIN_COOLDOWN_DAYS = 7

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_HTTPS = re.compile(r"https://\S+")
_DAYS = re.compile(r"\b\d+\s+(business\s+|working\s+|calendar\s+)?days?\b", re.IGNORECASE)
_OWNER = re.compile(r"^(@[A-Za-z0-9](-?[A-Za-z0-9])*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")

#: Phrases of each OSI licence's full text, as GitHub's licence detection (licensee) needs it.
LICENCE_MARKERS: Mapping[str, tuple[str, ...]] = {
    "Apache-2.0": (
        "apache license",
        "version 2.0",
        "terms and conditions for use, reproduction, and distribution",
        "end of terms and conditions",
    ),
    "MIT": ("permission is hereby granted, free of charge", 'the software is provided "as is"'),
    "BSD-3-Clause": ("redistribution and use in source and binary forms", "neither the name of"),
    "BSD-2-Clause": (
        "redistribution and use in source and binary forms",
        "this software is provided by the copyright holders and contributors",
    ),
    "ISC": ("permission to use, copy, modify, and/or distribute this software for any purpose",),
    "MPL-2.0": (
        "mozilla public license version 2.0",
        "exhibit a - source code form license notice",
    ),
    "GPL-3.0": ("gnu general public license", "version 3, 29 june 2007", "terms and conditions"),
    "AGPL-3.0": ("gnu affero general public license", "version 3, 19 november 2007"),
    "LGPL-3.0": ("gnu lesser general public license", "version 3, 29 june 2007"),
    "GPL-2.0": ("gnu general public license", "version 2, june 1991", "terms and conditions"),
}


def check_catalog_info(repo: Repository) -> Outcome:
    path, docs, error = repo.catalog_documents
    if path is None:
        return ["no catalog-info.yaml at the top of the repository"], ""
    if error:
        return [error], ""
    problems = validate_entities(docs)
    component = repo.component
    if component is None:
        return [*problems, "catalog-info.yaml holds no Component entity"], ""
    metadata = component.get("metadata")
    if not isinstance(metadata, Mapping):
        metadata = {}
    annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, Mapping):
        annotations = {}
    slug = annotations.get("github.com/project-slug")
    source = annotations.get("backstage.io/source-location")
    remote = repo.github_remote
    if remote and not slug:
        problems.append(
            f"the repository is github.com/{remote} but github.com/project-slug is not set"
        )
    if slug is not None:
        if not (isinstance(slug, str) and re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", slug)):
            problems.append(f"github.com/project-slug {slug!r} is not OWNER/REPO")
        if not (isinstance(source, str) and source.startswith("url:")):
            problems.append(
                "backstage.io/source-location must be set (url:...) with github.com/project-slug"
            )
        elif f"github.com/{slug}/".lower() not in f"{source}/".lower():
            problems.append(f"backstage.io/source-location {source!r} is not github.com/{slug}")
        if remote and isinstance(slug, str) and slug.lower() != remote.lower():
            problems.append(f"github.com/project-slug is {slug!r}, but origin is {remote!r}")
    name = metadata.get("name")
    if problems:
        return problems, ""
    return [], f"Component {name} is a valid Backstage entity" + (
        f" on github.com/{slug}" if slug else ""
    )


def check_dependabot(repo: Repository) -> Outcome:
    path, data, error = repo.yaml_file(".github/dependabot.yml", ".github/dependabot.yaml")
    if path is None:
        return ["no .github/dependabot.yml"], ""
    if error:
        return [error], ""
    updates = data.get("updates") if isinstance(data, Mapping) else None
    if not isinstance(updates, list) or not updates:
        return ["dependabot.yml has no updates"], ""
    problems = []
    ecosystems = set()
    for update in updates:
        if not isinstance(update, Mapping):
            problems.append("an updates entry is not a mapping")
            continue
        eco = str(update.get("package-ecosystem", "?"))
        ecosystems.add(eco)
        schedule = update.get("schedule")
        interval = schedule.get("interval") if isinstance(schedule, Mapping) else None
        if interval != "weekly":
            problems.append(f"{eco}: schedule interval is {interval!r}, not 'weekly'")
        if not update.get("groups"):
            problems.append(f"{eco}: updates are not grouped (groups:)")
        cooldown = update.get("cooldown")
        days = cooldown.get("default-days") if isinstance(cooldown, Mapping) else None
        if not isinstance(days, int) or days < MIN_COOLDOWN_DAYS:
            problems.append(
                f"{eco}: cooldown default-days is {days!r}, not at least {MIN_COOLDOWN_DAYS}"
            )
    if "github-actions" not in ecosystems:
        problems.append("github-actions is not updated")
    for lang in repo.known_languages:
        if not lang.audit.ecosystems & ecosystems:
            problems.append(
                f"{lang.name} dependencies are not updated "
                f"({' or '.join(sorted(lang.audit.ecosystems))})"
            )
    # A declared language without its manifest: its Dependabot updates would find nothing.
    for lang, manifests in repo.missing_manifests():
        problems.append(
            f"{lang.name} is declared (catalog-info.yaml tags) but its manifest is missing: "
            f"no {' or '.join(manifests)} at the top of the repository"
        )
    outcome = (
        problems,
        f"weekly, grouped updates with a {MIN_COOLDOWN_DAYS}+ day cooldown "
        f"for {', '.join(sorted(ecosystems))}",
    )
    return noted(outcome, repo.unknown_note("{its} dependency updates were"))


def check_security_policy(repo: Repository) -> Outcome:
    path = find_file(
        repo.root, ["SECURITY.md", "SECURITY.rst", "SECURITY.txt", "SECURITY"], COMMUNITY_DIRS
    )
    if path is None:
        return ["no SECURITY.md (top level, .github/ or docs/)"], ""
    text = read_text(path)
    lower = text.lower()
    problems = []
    if "security/advisories/new" not in lower and "private vulnerability reporting" not in lower:
        problems.append("it does not point to GitHub's private vulnerability reporting")
    if not (_EMAIL.search(text) or _HTTPS.search(text)):
        problems.append("it gives no contact (an email address or https:// link)")
    if not _DAYS.search(text):
        problems.append("it does not say within how many days reporters hear back")
    if "vulnerabilit" not in lower or "disclos" not in lower:
        problems.append("it does not speak of vulnerabilities and their disclosure")
    rel = path.relative_to(repo.root).as_posix()
    return [f"{rel}: {p}" for p in problems], f"{rel} says where to report and what to expect"


#: How many unowned paths a reason names before it counts the rest.
SHOWN_PATHS = 5


def check_codeowners(repo: Repository) -> Outcome:
    path = find_file(repo.root, ["CODEOWNERS"], COMMUNITY_DIRS)
    if path is None:
        return ["no CODEOWNERS (.github/, top level or docs/)"], ""
    rel = path.relative_to(repo.root).as_posix()
    rules = codeowners.parse(read_text(path))
    catch_all = [r for r in rules if r.pattern in codeowners.CATCH_ALL]
    owners = list(catch_all[-1].owners) if catch_all else []  # the last one wins, as in GitHub
    if not owners:
        return [f"{rel} gives no owner for every path (a '*' line with @owners)"], ""
    problems = []
    if bad := sorted({o for r in rules for o in r.owners if not _OWNER.match(o)}):
        problems.append(f"{rel}: {', '.join(bad)} is not a GitHub @user, @org/team or email")
    # The last matching pattern decides: one with no owner un-owns what it matches.
    if lost := codeowners.unowned(rules, repo.files):
        by_rule: dict[int, list[str]] = {}
        for file, rule in lost.items():
            by_rule.setdefault(rule.line if rule else 0, []).append(file)
        for line, files in sorted(by_rule.items()):
            shown = ", ".join(files[:SHOWN_PATHS])
            more = f" and {len(files) - SHOWN_PATHS} more" if len(files) > SHOWN_PATHS else ""
            problems.append(
                f"{rel}:{line}: a pattern with no owner is the last to match, so "
                f"{count(files, 'path')} end unowned: {shown}{more}"
            )
    return problems, f"{rel} gives every path to {' '.join(owners)}"


def check_license(repo: Repository) -> Outcome:
    path = find_file(
        repo.root, ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING", "COPYING.md"]
    )
    if path is None:
        return ["no LICENSE at the top of the repository"], ""
    text = " ".join(read_text(path).lower().split())
    for spdx, markers in LICENCE_MARKERS.items():
        if all(m in text for m in markers):
            return [], f"{path.name} holds the full {spdx} text"
    return [f"{path.name} is not the full text of an OSI licence GitHub recognises"], ""


def check_gitignore(repo: Repository) -> Outcome:
    path = repo.root / ".gitignore"
    if not path.is_file():
        return ["no .gitignore at the top of the repository"], ""
    patterns = [
        line.strip()
        for line in read_text(path).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if not patterns:
        return [".gitignore is empty"], ""
    problems = []
    for lang in repo.known_languages:
        markers = lang.audit.gitignore
        if markers and not any(any(m in p for m in markers) for p in patterns):
            problems.append(
                f".gitignore does not ignore {lang.name} artefacts ({' or '.join(markers)})"
            )
    outcome = problems, f".gitignore has {count(patterns, 'pattern')}"
    return noted(outcome, repo.unknown_note("{its} artefacts were"))


def _mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one: for reading files of any shape."""
    return value if isinstance(value, Mapping) else {}


FILE_CHECKS = (
    ("catalog-info", "catalog-info.yaml is a valid Backstage Component", check_catalog_info),
    ("dependabot", "Dependabot updates weekly, grouped, with a cooldown", check_dependabot),
    (
        "security-policy",
        "SECURITY.md says where to report and what to expect",
        check_security_policy,
    ),
    ("codeowners", "CODEOWNERS gives every path an owner", check_codeowners),
    ("license", "LICENSE holds an OSI licence", check_license),
    ("gitignore", ".gitignore for the language", check_gitignore),
    ("branch-ruleset", "Default branch protected by a ruleset", check_branch_ruleset),
)
