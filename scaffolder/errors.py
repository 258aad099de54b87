"""Every error scaffolder raises on purpose, the exit codes, and the one table that documents them.

Exit codes (`EXIT_CODES`; printed by `--help`, listed in the README), the same for every
command. Where two apply, the more serious wins: 70 over 3, 3 over 1 (an incomplete result is
not a clean finding) — see `more_serious()`.

The tree (checks that fail, in `audit` and `catalog validate`, are results, not errors:
those commands exit 1 with `ExitCode.CHECKS_FAILED`)::

    ScaffolderError                      base; `.hint` says what to do next
    ├── UsageError                       exit 2: the user asked for something impossible
    │   ├── InvalidAnswerError           one or more answers fail validation
    │   ├── MissingAnswersError          required answers not given (lists all of them)
    │   ├── UnknownTemplateError         no such built-in template, path or URL
    │   ├── DestinationNotEmptyError     --output exists and holds files
    │   ├── DataFileError                --data-file unreadable, not YAML/JSON, not a mapping
    │   ├── TemplateError                the template itself is broken (bad copier.yml, ...)
    │   │   └── LanguageTableError       the baseline's languages.yml is malformed (names the key)
    │   ├── CatalogFileError             the catalog file is not a Location file (names the line)
    │   ├── CatalogTargetError           a target to (un)register is missing, unreadable or invalid
    │   ├── AuditToolError               audit's zizmor is missing, crashed or printed nonsense
    │   ├── PolicyFileError              the access policy does not parse or is not known (its line)
    │   └── AlignConflictError           publish's alignment conflicts with the project's edits
    ├── UntrustedTemplateError           exit 4: unsafe features without --trust
    ├── GitError                         a git command failed
    ├── GitHubError                      the GitHub API refused or failed (exit 5 before any write)
    │   ├── GitHubAuthError              no token found, or GitHub rejected it (401)
    │   ├── GitHubPermissionError        403/404: not allowed, or not on this plan (`.plan_limited`)
    │   ├── GitHubRateLimitError         rate limited for longer than the retry budget allows
    │   └── RepositoryConflictError      the repository exists and holds someone else's work
    ├── PolicyUnavailableError           exit 6: a remote access policy cannot be read (no cache)
    ├── UpdateRefusedError               exit 5: update refused before writing (dirty tree, ...)
    ├── PolicyRefusedError               exit 6: the access policy refused it (names the rule)
    ├── PartialSuccessError              exit 3: some steps ran; wraps the cause, says how to resume
    ├── Interrupted                      exit 130: Ctrl-C; says what was undone or how to resume
    └── InternalError                    exit 70: a bug; wraps the unexpected exception

Third-party errors (copier's, git's, PyGithub's) are translated into this tree at exactly one
boundary each: `render/copier_adapter.py`, `vcs/git.py` and the GitHub client.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ExitCode(enum.IntEnum):
    """Shell-friendly exit codes. Documented in `--help` and the README (`EXIT_CODES`)."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    PARTIAL = 3
    UNTRUSTED = 4
    GITHUB = 5
    POLICY = 6
    INTERNAL = 70
    INTERRUPTED = 130


#: What each exit code means, for every command alike: `--help` prints this table.
EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success"),
    (
        ExitCode.CHECKS_FAILED,
        "checks or findings failed (audit and audit --live, catalog validate, template "
        "lint/test, outdated, insights --fail-on)",
    ),
    (
        ExitCode.USAGE,
        "invalid input or usage: a bad answer, flag or file, an unknown template, a "
        "destination that is not empty; nothing was written",
    ),
    (
        ExitCode.PARTIAL,
        "partial success: something was written and a later step failed (for a command over "
        "many repositories: some of them failed); the message says how to resume",
    ),
    (
        ExitCode.UNTRUSTED,
        "untrusted template refused (unsafe features without --trust, or its output holds "
        "the token)",
    ),
    (
        ExitCode.GITHUB,
        "refused before anything was written: no token, no permission, an update of a dirty "
        "or detached tree",
    ),
    (ExitCode.POLICY, "refused by the access policy, or the policy in force cannot be read"),
    (ExitCode.INTERNAL, "internal error: a bug in scaffolder; please report it"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)

#: Seriousness, least first: the exit code of a run where several apply is the most serious.
_SERIOUSNESS = (
    ExitCode.OK,
    ExitCode.CHECKS_FAILED,
    ExitCode.PARTIAL,
    ExitCode.USAGE,
    ExitCode.GITHUB,
    ExitCode.POLICY,
    ExitCode.UNTRUSTED,
    ExitCode.INTERRUPTED,
    ExitCode.INTERNAL,
)


def more_serious(*codes: ExitCode) -> ExitCode:
    """The exit code that wins where several apply: 70 over 3, 3 over 1, anything over 0."""
    return max(codes, key=_SERIOUSNESS.index, default=ExitCode.OK)


def exit_codes_help() -> str:
    """The `exit codes:` block `--help` prints."""
    import textwrap

    lines = ["exit codes:"]
    for code, meaning in EXIT_CODES:
        wrapped = textwrap.wrap(meaning, width=68)
        lines.append(f"  {int(code):<4} {wrapped[0]}")
        lines.extend(f"       {rest}" for rest in wrapped[1:])
    return "\n".join(lines) + "\n"


class ScaffolderError(Exception):
    """Base of every error scaffolder raises for the user to read."""

    exit_code: ExitCode = ExitCode.USAGE
    #: A stable, machine-readable name for `--json` consumers (the envelope's `error.code`).
    kind: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"

    def to_json(self) -> dict[str, object]:
        return {"code": self.kind, "message": self.message, "hint": self.hint}


class UsageError(ScaffolderError):
    exit_code = ExitCode.USAGE
    kind = "usage"


class InvalidAnswerError(UsageError):
    kind = "invalid-answer"

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        lines = [f"{name}: {reason}" for name, reason in self.problems]
        if len(lines) == 1:
            message = f"invalid answer for {lines[0]}"
        else:
            message = "invalid answers:\n  " + "\n  ".join(lines)
        super().__init__(message, hint="fix the answer with --set KEY=VALUE or in --data-file")

    def to_json(self) -> dict[str, object]:
        return {
            **super().to_json(),
            "problems": [{"question": n, "reason": r} for n, r in self.problems],
        }


class MissingAnswersError(UsageError):
    kind = "missing-answers"

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        sets = " ".join(f"--set {n}=..." for n in self.names)
        super().__init__(
            f"missing required answer{'s' if len(self.names) > 1 else ''}: "
            + ", ".join(self.names),
            hint=f"pass {sets}, or put them in --data-file",
        )

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "missing": self.names}


class UnknownTemplateError(UsageError):
    kind = "unknown-template"

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(
            f"unknown template {name!r}",
            hint=f"choose one of: {', '.join(available)} (or give a path or git URL); "
            "see `scaffolder templates`",
        )


class DestinationNotEmptyError(UsageError):
    kind = "destination-not-empty"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"destination {path} exists and is not empty",
            hint="choose a new --output directory, or empty this one",
        )


class DataFileError(UsageError):
    kind = "data-file"


class TemplateError(UsageError):
    kind = "template"


class CatalogFileError(UsageError):
    kind = "catalog-file"


class CatalogTargetError(UsageError):
    kind = "catalog-target"


class UntrustedTemplateError(ScaffolderError):
    exit_code = ExitCode.UNTRUSTED
    kind = "untrusted-template"


class GitError(ScaffolderError):
    exit_code = ExitCode.PARTIAL
    kind = "git"


class GitHubError(ScaffolderError):
    exit_code = ExitCode.GITHUB
    kind = "github"

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        #: The HTTP status GitHub answered, when there was an answer.
        self.status = status

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "status": self.status}


class GitHubAuthError(GitHubError):
    kind = "github-auth"


class GitHubPermissionError(GitHubError):
    kind = "github-permission"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        plan_limited: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, status=status)
        #: GitHub refused because the account's plan lacks the feature ("Upgrade to GitHub Pro").
        self.plan_limited = plan_limited


class GitHubRateLimitError(GitHubError):
    kind = "github-rate-limit"


class RepositoryConflictError(GitHubError):
    kind = "repository-conflict"

    def __init__(self, *, full_name: str, reason: str) -> None:
        super().__init__(
            f"repository {full_name} already exists and {reason}; nothing was changed",
            hint="choose another name or owner, or delete or rename that repository first",
            status=None,
        )


class PartialSuccessError(ScaffolderError):
    """Some steps finished and one failed. Nothing done is undone; `resume` finishes the job."""

    exit_code = ExitCode.PARTIAL
    kind = "partial-success"

    def __init__(
        self,
        *,
        done: Sequence[str],
        failed: str,
        cause: ScaffolderError | Exception,
        resume: str,
        result: object = None,
    ) -> None:
        self.done = list(done)
        self.failed = failed
        self.cause = cause
        self.resume = resume
        #: Whatever the finished steps produced, for `--json` output.
        self.result = result
        cause_text = cause.message if isinstance(cause, ScaffolderError) else str(cause)
        done_text = ", ".join(self.done) if self.done else "nothing"
        super().__init__(
            f"{failed} failed: {cause_text} (done: {done_text})",
            hint=f"fix the cause, then run: {resume}",
        )

    def to_json(self) -> dict[str, object]:
        cause = self.cause.to_json() if isinstance(self.cause, ScaffolderError) else None
        return {
            **super().to_json(),
            "done": self.done,
            "failed": self.failed,
            "cause": cause,
            "resume": self.resume,
        }


class Interrupted(ScaffolderError):
    """Ctrl-C. What this run wrote on disk is undone while no remote step has run; after one
    has, nothing is deleted and the hint is the command that resumes."""

    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"

    def __init__(self, *, undone: bool, resume: str | None = None) -> None:
        self.undone = undone
        self.resume = resume
        if undone or resume is None:
            message = "interrupted: nothing was written" if undone else "interrupted"
            super().__init__(message)
        else:
            super().__init__(
                "interrupted after GitHub was changed: the project was kept",
                hint=f"to finish, run: {resume}",
            )

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "undone": self.undone, "resume": self.resume}


class InternalError(ScaffolderError):
    """An exception nobody meant to raise: a bug. Never exit 1, which means "checks failed"."""

    exit_code = ExitCode.INTERNAL
    kind = "internal-error"

    def __init__(self, exc: BaseException) -> None:
        self.cause = exc
        super().__init__(
            f"internal error: {type(exc).__name__}: {exc}".strip().rstrip(":"),
            hint="this is a bug in scaffolder; please report it with the command you ran "
            "(re-run with SCAFFOLDER_DEBUG=1 for the traceback)",
        )


def exit_code_for(exc: BaseException) -> ExitCode:
    """The one place that maps an exception to the process exit code."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, ScaffolderError):
        return exc.exit_code
    return ExitCode.INTERNAL


class LanguageTableError(TemplateError):
    """The baseline's language table (templates/_baseline/languages.yml) is malformed."""

    kind = "language-table"


class SecretInProjectError(UntrustedTemplateError):
    """A file about to be committed or pushed holds the GitHub token (exit 4).

    Names the file, never the token. A template (or an answer) put it there.
    """

    kind = "secret-in-project"

    def __init__(self, *, path: str, action: str) -> None:
        self.path = path
        super().__init__(
            f"refusing to {action}: {path} holds the GitHub token from the environment",
            hint=f"remove the token from {path} (never pass a token as an answer), then run "
            "the command again",
        )


class AuditToolError(UsageError):
    """A tool `audit` runs (zizmor) is missing, failed or answered nonsense (exit 2).

    The audit never passes without it: an audit that could not look is no audit.
    """

    kind = "audit-tool"

    def __init__(self, *, tool: str, problem: str, hint: str) -> None:
        self.tool = tool
        super().__init__(f"audit cannot run {tool}: {problem}", hint=hint)


class AlignConflictError(UsageError):
    """Publish could not bring the project in line with what GitHub offers: the project's own
    edits conflict with the change, in the files it names (`publish/align.py`)."""

    kind = "align-conflict"

    def __init__(self, *, paths: Sequence[str], why: str) -> None:
        self.paths = list(paths)
        super().__init__(
            f"cannot align {', '.join(self.paths)} with what GitHub offers ({why}): "
            "the project's own edits conflict with the change",
            hint="set the answers yourself in .copier-answers.baseline.yml and edit those files "
            "to match, commit, then publish again",
        )


class ConfigFileError(UsageError):
    """scaffolder's configuration file (`config.py`) is missing, unreadable, not TOML, or names
    a key or value it does not know; `line` is where, when it is known."""

    kind = "config-file"

    def __init__(self, *, path: str, problem: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(
            f"configuration file {where}: {problem}",
            hint="fix the file (its format: docs/configuration.md), or point SCAFFOLDER_CONFIG "
            "at another one",
        )

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "path": self.path, "line": self.line}


class TemplateUnavailableError(TemplateError):
    """A configured template source cannot be used now: its folder is missing, its repository
    cannot be reached, or it has no copier.yml or no release tag (`render/sources.py`)."""

    kind = "template-unavailable"

    def __init__(self, *, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"template {name} is unavailable: {reason}",
            hint="see `scaffolder templates`; fix the source in the configuration file, or "
            "choose another template",
        )


class TemplateNameClashError(UsageError):
    """Two template sources (or a source and a built-in template) give the same name."""

    kind = "template-name-clash"

    def __init__(self, *, name: str, first: str, second: str) -> None:
        super().__init__(
            f"two templates are called {name}: {first}, and {second}",
            hint="give one of them another `name` in the configuration file",
        )


class UpdateRefusedError(ScaffolderError):
    """`scaffolder update` refused before writing anything: the project is not a git repository,
    its HEAD is detached, its tree is dirty, or the update branch exists already."""

    exit_code = ExitCode.GITHUB
    kind = "update-refused"


class RolloutError(ScaffolderError):
    """`scaffolder update --pull-request`: one repository's update could not be made or
    proposed (its entry is `failed` with this message; the other repositories go on)."""

    exit_code = ExitCode.PARTIAL
    kind = "rollout"


class PolicyFileError(UsageError):
    """The access policy (`access/policyfile.py`) does not parse, names a key or value scaffolder
    does not know, has an unsupported `version`, or is not where it is said to be; `where` is
    its file or URL, `line` is where in it, when known. A broken policy never means "allow
    everything": every caller gets this error."""

    kind = "policy-file"

    def __init__(
        self, *, where: str, problem: str, line: int | None = None, hint: str | None = None
    ) -> None:
        self.where = where
        self.line = line
        at = f"{where}:{line}" if line else where
        super().__init__(
            f"access policy {at}: {problem}",
            hint=hint
            or "fix the policy (its format: docs/access-policy.md), or ask the platform team "
            "that publishes it",
        )

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "path": self.where, "line": self.line}


class PolicyUnavailableError(ScaffolderError):
    """A remote access policy (https or github:) cannot be read (unreachable with no cached
    copy, not found, refused, an untrusted certificate): exit 6, since nothing may be decided
    without the policy in force (`access/source.py`)."""

    exit_code = ExitCode.POLICY
    kind = "policy-unavailable"


class PolicyRefusedError(ScaffolderError):
    """The access policy refused the action before anything was written (`access/rules.py`):
    names the first refused rule, the value that broke it and what to do."""

    exit_code = ExitCode.POLICY
    kind = "policy-refused"

    def __init__(self, *, rule: str, value: str, reason: str, fix: str) -> None:
        self.rule = rule
        self.value = value
        super().__init__(f"refused by the access policy ({rule}): {reason}", hint=fix)

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "rule": self.rule, "value": self.value}
