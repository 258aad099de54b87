"""`scaffolder template init DIR [--language L]... [--title T]`: a new template that works.

What it writes (from `scaffolder/template_skeleton/`, whose README says how the files are
named), all inside DIR, which must be missing or empty:

- `copier.yml`: `!include standard-questions.yml` first, then `_subdirectory: template`,
  `_min_copier_version`, `_scaffolder` (title, description, version "0.1.0", languages), each
  known language's version question (its choices and default from the language table, as
  the built-in templates' `language-versions.yml`) and its own questions; for a language the
  table does not know, a `_scaffolder.language_data` entry to fill in (TODO placeholders,
  which `template lint` reports until they are replaced);
- `standard-questions.yml` (a byte-for-byte copy of scaffolder's source) and `quoting.jinja`
  (the baseline's quoting macro, which the project files import);
- `template/`: the answers-file template, a README, and a minimal project per known language;
- `tests/test_template.py` (the `scaffolder.testing` plugin) and a README for authors.

Refuses (exit 2, nothing written) a DIR that is not empty, a language name the table's rule
refuses, a title that is not one line. A failure while writing removes what it wrote.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.baseline import languages as language_table
from scaffolder.baseline import questions as standard
from scaffolder.errors import DestinationNotEmptyError, UsageError
from scaffolder.progress import SILENT, Progress

SKELETON = Path(__file__).resolve().parent.parent.parent / "template_skeleton"
VERSION = "0.1.0"
MIN_COPIER = "9.17.2"
_LANGUAGE = re.compile(r"^[a-z][a-z0-9_-]*$")
_SUFFIX = ".in"


@dataclass(frozen=True)
class InitOptions:
    path: Path
    languages: tuple[str, ...] = ()
    title: str | None = None

    def __post_init__(self) -> None:
        langs = tuple(dict.fromkeys(self.languages or ("python",)))
        for lang in langs:
            if not _LANGUAGE.match(lang):
                raise UsageError(
                    f"--language {lang!r} is not a language name",
                    hint="lowercase letters, digits, - and _, starting with a letter: "
                    f"{', '.join(language_table.supported_languages())} or your own (rust)",
                )
        object.__setattr__(self, "languages", langs)
        if self.title is not None and (
            not self.title.strip() or any(ch in self.title for ch in "\r\n\t")
        ):
            raise UsageError("--title must be one line of text", hint="--title 'Rust service'")


@dataclass(frozen=True)
class InitResult:
    path: Path
    title: str
    languages: tuple[str, ...]
    #: Languages the table does not know: their description is a stub to fill in.
    described: tuple[str, ...]
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "title": self.title,
            "version": VERSION,
            "languages": list(self.languages),
            "to_describe": list(self.described),
            "files": list(self.files),
        }


def run(options: InitOptions, progress: Progress = SILENT) -> InitResult:
    dst = options.path.expanduser().absolute()
    _check_destination(dst)
    title = options.title or _title_from(dst.name)
    known = language_table.supported_languages()
    langs = options.languages
    others = tuple(lang for lang in langs if lang not in known)
    files = _plan(title, langs, others)
    created = not dst.exists()
    with progress.step("init", f"{title} → {dst}"):
        try:
            for rel, content in files.items():
                target = dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        except OSError as exc:
            _remove(dst, created, files)
            raise UsageError(
                f"cannot write {dst}: {exc.strerror or exc}",
                hint="choose a folder you can write to",
            ) from exc
    warnings = tuple(
        f"{lang} is not a language scaffolder knows: fill in _scaffolder.language_data.{lang} "
        "in copier.yml (every TODO), then run scaffolder template lint"
        for lang in others
    )
    return InitResult(dst, title, langs, others, tuple(sorted(files)), warnings)


def _check_destination(dst: Path) -> None:
    if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
        raise DestinationNotEmptyError(str(dst))
    if dst.is_dir() and any(dst.iterdir()):
        raise DestinationNotEmptyError(str(dst))


def _remove(dst: Path, created: bool, files: dict[str, bytes]) -> None:
    if created:
        shutil.rmtree(dst, ignore_errors=True)
        return
    for rel in files:
        (dst / rel).unlink(missing_ok=True)


def _title_from(name: str) -> str:
    words = re.sub(r"[-_.]+", " ", name).strip() or "New template"
    return words[:1].upper() + words[1:]


# -- what is written -----------------------------------------------------------------------
def _plan(title: str, langs: tuple[str, ...], others: tuple[str, ...]) -> dict[str, bytes]:
    """Relative path -> content, for every file init writes."""
    from scaffolder.render.registry import BASELINE_LAYER, templates_root

    parts = ["common", *(lang for lang in langs if lang not in others)]
    if others:
        parts.append("other")
    shown = ", ".join(langs) or "none"
    marks = {
        "@@TITLE@@": title,
        "@@LANGUAGES@@": json.dumps(list(langs)),
        "@@LANGUAGE_LIST@@": shown,
        "@@AUDIT@@": _AUDIT_STUB if others else _AUDIT,
        "@@PROJECT_TEST@@": "" if others and len(others) == len(langs) else _PROJECT_TEST,
    }
    files: dict[str, bytes] = {}
    for part in parts:
        root = SKELETON / part
        for path in sorted(p for p in root.rglob(f"*{_SUFFIX}") if p.is_file()):
            rel = path.relative_to(root).as_posix().removesuffix(_SUFFIX)
            if rel == "copier.yml":
                continue  # its part of copier.yml, below
            text = path.read_text(encoding="utf-8")
            for mark, value in marks.items():
                text = text.replace(mark, value)
            if rel in files:  # .gitignore of several languages
                text = files[rel].decode() + "\n" + text
            files[rel] = text.encode()
    files["copier.yml"] = _copier_yml(title, langs, others).encode()
    files[standard.FILE_NAME] = standard.SOURCE.read_bytes()
    files["quoting.jinja"] = (templates_root() / BASELINE_LAYER / "quoting.jinja").read_bytes()
    return files


_AUDIT = "    assert result.audit is not None and result.audit.ok, result.audit_failures\n"
_AUDIT_STUB = (
    "    # Once _scaffolder.language_data describes the language (copier.yml), the security\n"
    "    # baseline applies to it; then: assert result.audit.ok, result.audit_failures\n"
)
_PROJECT_TEST = """
def test_project_passes_its_own_tests(scaffold):
    result = scaffold(TEMPLATE, ANSWERS)
    run = result.run_tests()  # the language table's CI install and test steps
    assert run.ok, run.summary
"""


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's is one)."""
    return json.dumps(text, ensure_ascii=False)


def _copier_yml(title: str, langs: tuple[str, ...], others: tuple[str, ...]) -> str:
    description = f"{title}: a template made with scaffolder template init."
    out = [
        f"# {title}: a scaffolder template. scaffolder renders its security baseline on top.",
        "#",
        "# First the standard questions, as every scaffolder template asks them:",
        f"# {standard.FILE_NAME} is an exact copy of scaffolder's own (scaffolder template",
        "# lint compares them); copy it again when scaffolder's changes, never edit it.",
        "---",
        f"!include {standard.FILE_NAME}",
        "---",
        "_subdirectory: template",
        f'_min_copier_version: "{MIN_COPIER}"',
        "",
        "_scaffolder:",
        f"  title: {_q(title)}",
        f"  description: {_q(description)}",
        "  # PEP 440; tag each release with it.",
        f'  version: "{VERSION}"',
        f"  languages: [{', '.join(langs)}]",
    ]
    if others:
        out += [
            "  # How scaffolder's baseline handles each language it does not know: the",
            "  # schema of scaffolder's language table (templates/_baseline/languages.yml).",
            "  language_data:",
        ]
        for lang in others:
            out += _stub(lang)
    table = language_table.load()
    for lang in langs:
        entry = table.get(lang)
        if entry is None:
            continue
        out += ["", f"# --- {entry.title} " + "-" * max(3, 86 - len(entry.title)), ""]
        version = entry.ci.setup.version if entry.ci.setup else None
        if version is not None:
            out += [
                f"# From the language table ({entry.name}.ci.setup.version): CI sets it up.",
                f"{version.answer}:",
                "  type: str",
                f"  help: {_q(f'{entry.title} version CI sets up (the project supports it too)')}",
            ]
            if version.choices:
                out.append(f"  choices: [{', '.join(_q(c) for c in version.choices)}]")
            out += [f"  default: {_q(version.default)}", ""]
        part = SKELETON / lang / f"copier.yml{_SUFFIX}"
        if part.is_file():
            out.append(part.read_text(encoding="utf-8").rstrip("\n"))
    return "\n".join(out).rstrip("\n") + "\n"


def _stub(lang: str) -> list[str]:
    """A description of `lang` in the language table's schema, every value to fill in."""
    title = _title_from(lang)
    return [
        f"    {lang}:",
        f"      title: {_q(title)}",
        "      # CodeQL's language name and build mode (none, autobuild or manual), e.g.",
        f"      # {{language: {lang}, build_mode: none}}; null: CodeQL cannot analyse it.",
        "      codeql: null",
        "      dependabot:",
        "        # Dependabot's package ecosystem for it (cargo, maven, gradle, nuget, ...).",
        "        ecosystems: [TODO-ecosystem]",
        "        directory: /",
        "      ci:",
        "        # Optional: `setup`, an action of the pins (action_pins) with a version input.",
        "        install: []",
        "        test:",
        "          - name: Test",
        "            run: \"echo 'TODO: the command that runs the tests' && exit 1\"",
        "      audit:",
        "        manifests: [TODO-manifest]     # files at the top that reveal the language",
        "        ecosystems: [TODO-ecosystem]   # Dependabot ecosystems any of which will do",
        "        test_command: 'TODO'           # a regular expression the test command matches",
        "        test_description: TODO         # the same, in words",
        "        gitignore: []                  # .gitignore patterns for its build output",
    ]
