"""CODEOWNERS as GitHub reads it: the last pattern that matches a path decides its owners.

A pattern with no owner un-owns what it matches, so a file that ends with `.github/` alone
leaves the workflows without an owner however well the lines above it read. `unowned()` says
which of a repository's files end with no owner.

Patterns follow GitHub's rules (gitignore's, without `!` and `[...]`): a leading `/` or a `/`
inside anchors a pattern to the top; otherwise it matches at any depth; a match on a folder
owns everything under it; `docs/*` matches only the files directly in docs/; `*` stays within
one folder, `**` crosses folders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Patterns that match every path.
CATCH_ALL = ("*", "/", "/*", "/**", "**")


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: str
    owners: tuple[str, ...]

    def matches(self, path: str) -> bool:
        return _compile(self.pattern).match(path) is not None


def parse(text: str) -> list[Rule]:
    """Every rule of a CODEOWNERS file, in order, with its line number."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip() if raw.lstrip().startswith("\\#") else raw.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append(Rule(number, pattern, tuple(owners)))
    return rules


def owner_of(rules: Sequence[Rule], path: str) -> Rule | None:
    """The rule that decides `path`: the last one matching it."""
    for rule in reversed(rules):
        if rule.matches(path):
            return rule
    return None


def unowned(rules: Sequence[Rule], paths: Sequence[str]) -> dict[str, Rule | None]:
    """The paths that end with no owner, each with the rule that un-owned it (None: none
    matched)."""
    found: dict[str, Rule | None] = {}
    for path in paths:
        rule = owner_of(rules, path)
        if rule is None or not rule.owners:
            found[path] = rule
    return found


_CACHE: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    if (hit := _CACHE.get(pattern)) is not None:
        return hit
    body = pattern.replace("\\#", "#")
    if body in CATCH_ALL:
        regex = re.compile(".*")
    else:
        anchored = body.startswith("/") or "/" in body.rstrip("/")
        body = body.strip("/") if pattern.endswith("/") else body.lstrip("/")
        direct_only = body.endswith("/*")
        out = ""
        i = 0
        while i < len(body):
            if body.startswith("**/", i):
                out += "(?:.*/)?"
                i += 3
            elif body.startswith("**", i):
                out += ".*"
                i += 2
            elif body[i] == "*":
                out += "[^/]*"
                i += 1
            elif body[i] == "?":
                out += "[^/]"
                i += 1
            else:
                out += re.escape(body[i])
                i += 1
        prefix = "" if anchored else "(?:.*/)?"
        suffix = "$" if direct_only else "(?:/.*)?$"
        regex = re.compile(prefix + out + suffix)
    _CACHE[pattern] = regex
    return regex
