"""zizmor, the static analyser for GitHub Actions, as part of `audit`: its findings are results.

zizmor is a pinned runtime dependency (pyproject.toml). `scan(repo)` runs it once per
repository, offline, on the files scaffolder collects itself (every workflow, `.yml` or
`.yaml`; every action.yml, composite actions under `.github/actions/` included; dependabot.yml),
so that a `.gitignore` cannot hide a file from it. It runs with `--no-config` and
`--no-ignores`, so that the audited repository cannot silence it with a zizmor.yml or
`# zizmor: ignore[...]` comments, and with an environment holding no token.

Each rule zizmor reports becomes one failed result, `zizmor:<rule>`, whose reason names every
place (`path:line: what`); no finding is one passing `zizmor` result. zizmor missing, failing,
timing out or printing what is not its JSON is an `AuditToolError` (exit 2): never a pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffolder.audit.model import CheckResult, count
from scaffolder.audit.repo import Repository
from scaffolder.errors import AuditToolError

#: The persona that reports what attackers use and the code smells that lead there; the
#: baseline's own files pass it (tests/test_baseline.py).
PERSONA = "pedantic"
TITLE = "zizmor finds nothing attackers use"
TIMEOUT_SECONDS = 60
#: The variables zizmor may see: no token (it would go online with one), no ZIZMOR_* override.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
_HINT = "reinstall scaffolder with its dependencies (pip install scaffolder), which pins zizmor"


def executable() -> Path:
    """zizmor next to the running interpreter (the same install), else on PATH."""
    beside = Path(sys.executable).parent / ("zizmor.exe" if os.name == "nt" else "zizmor")
    if beside.is_file():
        return beside
    found = shutil.which("zizmor")
    if found is None:
        raise AuditToolError(tool="zizmor", problem="it is not installed", hint=_HINT)
    return Path(found)


def inputs(repo: Repository) -> list[str]:
    """What zizmor reads, relative to the repository: workflows, actions, dependabot.yml."""
    found = [w.relpath for w in repo.workflows] + [a.relpath for a in repo.actions]
    found += [
        name
        for name in (".github/dependabot.yml", ".github/dependabot.yaml")
        if (repo.root / name).is_file()
    ]
    # `./` first: a name starting with `-` is never read as an option.
    return [f"./{rel}" for rel in found]


def command(exe: Path, files: list[str]) -> list[str]:
    return [
        str(exe),
        "--offline",
        "--no-config",
        "--no-ignores",
        f"--persona={PERSONA}",
        "--format=json",
        "--no-progress",
        "--no-exit-codes",
        "--color=never",
        "--",
        *files,
    ]


#: What zizmor logs for each input it audited (stderr, INFO); an input it could not read as a
#: workflow, action or dependabot.yml is only warned about, and skipped.
_COMPLETED = re.compile(r"\bcompleted (\S+)\s*$", re.MULTILINE)
_NO_INPUTS = "no inputs collected"


def _run(exe: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as exc:
        raise AuditToolError(
            tool="zizmor",
            problem=f"it did not finish within {TIMEOUT_SECONDS} seconds",
            hint="run the zizmor command of `scaffolder audit` by hand to see where it hangs",
        ) from exc
    except OSError as exc:
        raise AuditToolError(
            tool="zizmor", problem=f"{exe} cannot be started ({exc.strerror or exc})", hint=_HINT
        ) from exc
    if proc.returncode != 0 and _NO_INPUTS not in proc.stderr:
        last = next((ln for ln in reversed(proc.stderr.splitlines()) if ln.strip()), "")
        raise AuditToolError(
            tool="zizmor",
            problem=f"it exited with {proc.returncode}"
            + (f" ({last.strip()[:200]})" if last else ""),
            hint="run `zizmor --offline --no-config .` in the repository for its whole error, "
            f"or {_HINT}",
        )
    return proc


def _parse(stdout: str) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise AuditToolError(
            tool="zizmor", problem=f"its output is not JSON ({exc})", hint=_HINT
        ) from exc
    if not isinstance(data, list) or not all(
        isinstance(f, Mapping) and isinstance(f.get("ident"), str) for f in data
    ):
        raise AuditToolError(
            tool="zizmor", problem="its JSON is not a list of findings", hint=_HINT
        )
    return data


def _place(location: Mapping[str, Any]) -> str:
    """`path:line: annotation` of one of a finding's locations."""
    symbolic = location.get("symbolic") or {}
    key = symbolic.get("key") or {}
    local = key.get("Local") if isinstance(key, Mapping) else None
    path = str((local or {}).get("verbatim_path", "?")).removeprefix("./")
    start = ((location.get("concrete") or {}).get("location") or {}).get("start_point") or {}
    row = start.get("row")
    line = f":{row + 1}" if isinstance(row, int) else ""
    note = symbolic.get("annotation")
    return f"{path}{line}: {note}" if note else f"{path}{line}"


def _places(finding: Mapping[str, Any]) -> list[str]:
    locations = [loc for loc in finding.get("locations") or [] if isinstance(loc, Mapping)]
    primary = [loc for loc in locations if (loc.get("symbolic") or {}).get("kind") == "Primary"]
    return [_place(loc) for loc in (primary or locations[:1])]


def results(
    findings: list[Mapping[str, Any]], scanned: int, skipped: list[str]
) -> tuple[CheckResult, ...]:
    """One failed result per rule, in rule order; then a failed `zizmor` result naming the
    files zizmor could not read; or one passing `zizmor` result when neither."""
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        by_rule.setdefault(str(finding["ident"]), []).append(finding)
    out = []
    for rule, group in sorted(by_rule.items()):
        severity = str((group[0].get("determinations") or {}).get("severity", "?")).lower()
        places = list(dict.fromkeys(p for f in group for p in _places(f)))
        url = group[0].get("url")
        reason = f"{severity}: " + "; ".join(places) + (f" (see {url})" if url else "")
        title = str(group[0].get("desc") or rule)
        out.append(CheckResult(f"zizmor:{rule}", title, False, reason))
    if skipped:
        names = ", ".join(s.removeprefix("./") for s in skipped)
        out.append(
            CheckResult(
                "zizmor",
                TITLE,
                False,
                f"zizmor could not read {names} (not a valid workflow, action or "
                "dependabot.yml), so nothing in them was audited",
            )
        )
    if not out:
        reason = f"zizmor ({PERSONA}, offline) reports nothing in {count(range(scanned), 'file')}"
        out.append(CheckResult("zizmor", TITLE, True, reason))
    return tuple(out)


def scan(repo: Repository) -> tuple[CheckResult, ...]:
    """Run zizmor once on the repository's workflows, actions and dependabot.yml."""
    exe = executable()
    files = inputs(repo)
    if not files:
        _run(exe, [str(exe), "--version"], repo.root)  # installed is not enough: it must run
        return results([], 0, [])
    proc = _run(exe, command(exe, files), repo.root)
    if _NO_INPUTS in proc.stderr and proc.returncode != 0:
        return results([], 0, files)
    completed = set(_COMPLETED.findall(proc.stderr))
    skipped = [f for f in files if f not in completed]
    return results(_parse(proc.stdout), len(files) - len(skipped), skipped)
