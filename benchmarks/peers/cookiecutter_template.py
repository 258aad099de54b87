"""A cookiecutter template that renders exactly the files scaffolder rendered.

`build` turns a project scaffolder rendered into a cookiecutter template: every file goes under
`{{cookiecutter.project_slug}}/`, each answer's value (in names and content) becomes
`{{ cookiecutter.KEY }}`, and every other stretch of text that Jinja could read (any holding
`{{`, `}}`, `{%`, `%}`, `{#`, or a lone brace) is wrapped in `{% raw %}`, so cookiecutter writes
the same bytes back. `compare` is the check that it did.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

SLUG = "project_slug"


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (its .git excluded), by POSIX path relative to `root`."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git" or not path.is_file():
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def compare(expected: Path, actual: Path, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """What differs between two rendered trees (missing, extra or changed files); [] if none."""
    want = {k: v for k, v in files(expected).items() if k not in ignore}
    got = {k: v for k, v in files(actual).items() if k not in ignore}
    problems = [f"missing {name}" for name in sorted(want.keys() - got.keys())]
    problems += [f"extra {name}" for name in sorted(got.keys() - want.keys())]
    problems += [f"differs {n}" for n in sorted(want.keys() & got.keys()) if want[n] != got[n]]
    return problems


class _Templater:
    """Replaces the answers' values with variables and protects everything else."""

    def __init__(self, context: Mapping[str, str]) -> None:
        # One value, one variable; the longest value wins where two start at the same place.
        by_value = {value: key for key, value in context.items() if value}
        self._key = by_value
        ordered = sorted(by_value, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(value) for value in ordered))
        self.replaced = 0

    def text(self, content: str) -> str:
        out: list[str] = []
        last = 0
        for match in self._pattern.finditer(content):
            out.append(self._literal(content[last : match.start()]))
            out.append(f"{{{{ cookiecutter.{self._key[match.group()]} }}}}")
            self.replaced += 1
            last = match.end()
        out.append(self._literal(content[last:]))
        return "".join(out)

    @staticmethod
    def _literal(chunk: str) -> str:
        # Any brace, not only the tokens: a lone `{` before `{{ cookiecutter.X }}` makes `{{{`.
        if "{" not in chunk and "}" not in chunk:
            return chunk
        if "endraw" in chunk:
            raise ValueError(f"cannot protect text that holds endraw: {chunk[:80]!r}")
        return "{% raw %}" + chunk + "{% endraw %}"


def build(project: Path, context: Mapping[str, str], dest: Path) -> int:
    """Write into `dest` a template rendering `project`'s files with `context`.

    Returns how many values became variables (in file names and contents).

    `context` maps cookiecutter variables to the values they stand for; it must hold
    `project_slug`, the name of the folder cookiecutter creates.
    """
    templater = _Templater(context)
    root = dest / f"{{{{cookiecutter.{SLUG}}}}}"
    rendered = files(project)
    for name, content in rendered.items():
        target = root / templater.text(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(templater.text(content.decode("utf-8")), encoding="utf-8", newline="")
    (dest / "cookiecutter.json").write_text(json.dumps(dict(context), indent=2) + "\n")
    return templater.replaced


def commit(dest: Path, env: Mapping[str, str]) -> None:
    """Make `dest` a git repository with one commit: cruft clones its template."""
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "cookiecutter template of a scaffolder project"],
    ):
        subprocess.run(argv, cwd=dest, env=dict(env), check=True, capture_output=True)
