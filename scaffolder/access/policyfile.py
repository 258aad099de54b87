"""The access policy file: TOML or YAML text in, a checked `Policy` out (docs/access-policy.md).

The format is chosen by the name's extension (`.toml`, `.yml`, `.yaml`), never guessed: a name
without one is an error. Both formats have the same shape::

    version = 1
    [identity]              email_domains, organizations, allow_app_tokens
    [where]                 owners, visibilities
    [templates]             builtin, sources, allow_trust
    [lifecycle.NAME]        owner_kind, require, min_approvals
    [tokens]                warn_scopes, refuse_scopes
    [local]                 allowed

Every problem (text that does not parse, an unknown key at any level, a wrong type, an unknown
visibility or owner kind, a missing or unsupported `version`) is a `PolicyFileError` naming the
file and the line: a broken policy never means "allow everything". YAML goes through the one
safe loader (`scaffolder.datafiles`: size, depth, aliases, duplicate keys).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from scaffolder import datafiles
from scaffolder.access.model import (
    VISIBILITIES,
    Identity,
    LifecycleRule,
    Policy,
    Templates,
    Tokens,
    Visibility,
    Where,
)
from scaffolder.errors import PolicyFileError

Format = Literal["toml", "yaml"]
VERSIONS = (1,)
_EXTENSIONS: dict[str, Format] = {".toml": "toml", ".yml": "yaml", ".yaml": "yaml"}
#: A GitHub login (user or organisation).
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ANSWER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_SCOPE = re.compile(r"[a-z0-9_:]{1,64}")

Path_ = tuple[str, ...]


def format_of(location: str) -> Format:
    """TOML or YAML, from the extension of a path, URL or `github:` path; an error without."""
    path = location
    if "://" in location:
        path = urllib.parse.urlsplit(location).path
    elif location.startswith("github:"):
        path = location.removeprefix("github:")
        path = path.rpartition("@")[0] if "@" in path else path
    suffix = Path(urllib.parse.unquote(path)).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise PolicyFileError(
            where=location,
            problem="the name must end in .toml, .yml or .yaml (the format is never guessed)",
            hint="name the policy file policy.toml or policy.yaml",
        )
    return _EXTENSIONS[suffix]


def read_policy_file(path: Path) -> Policy:
    """A local policy file, read through the safe loader's size and encoding checks."""
    fmt = format_of(str(path))
    try:
        text = datafiles.decode(
            datafiles.read_bytes(path, max_bytes=datafiles.DEFAULT_LIMITS.max_bytes)
        )
    except FileNotFoundError:
        raise PolicyFileError(where=str(path), problem="it does not exist") from None
    except IsADirectoryError:
        raise PolicyFileError(where=str(path), problem="it is a folder, not a file") from None
    except OSError as exc:
        raise PolicyFileError(
            where=str(path), problem=f"cannot be read: {exc.strerror or exc}"
        ) from None
    except datafiles.Refused as exc:
        raise PolicyFileError(where=str(path), problem=exc.describe(), line=exc.line) from None
    return parse_policy(text, where=str(path), fmt=fmt)


def parse_policy(text: str, *, where: str, fmt: Format) -> Policy:
    """Check and read the policy `text`, written in `fmt`; `where` names it in errors."""
    if fmt == "toml":
        data, lines = _load_toml(text, where)
    else:
        data, lines = _load_yaml(text, where)
    return _Reader(where, lines).policy(data)


# -- the two formats -------------------------------------------------------------------------
def _load_toml(text: str, where: str) -> tuple[Any, Callable[[Path_], int | None]]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        problem = re.sub(r"\s*\(at [^)]*\)$", "", str(exc))
        # Without a position, tomllib means the end of the document: its last line.
        line = int(found.group(1)) if found else len(text.splitlines()) or 1
        raise PolicyFileError(
            where=where, problem=f"not valid TOML: {problem}", line=line
        ) from None
    return data, _nearest(_toml_lines(text))


def _load_yaml(text: str, where: str) -> tuple[Any, Callable[[Path_], int | None]]:
    import yaml

    try:
        data = datafiles.load_yaml(text)
    except datafiles.Refused as exc:
        problem = exc.reason + (f" ({exc.detail})" if exc.detail else "")
        raise PolicyFileError(where=where, problem=problem, line=exc.line) from None
    lines: dict[Path_, int] = {}
    node = yaml.compose(text, Loader=datafiles.FastSafeLoader)  # checked just above
    pending: list[tuple[Path_, yaml.Node]] = [((), node)] if node is not None else []
    while pending:
        path, current = pending.pop()
        lines.setdefault(path, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                pending.append((child, value))
    return data, _nearest(lines)


_TOML_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_TOML_TABLE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _toml_parts(dotted: str) -> Path_:
    return tuple(part.strip("\"'") for part in _TOML_PART.findall(dotted))


def _toml_lines(text: str) -> dict[Path_, int]:
    """The line of each table header and key (tomllib gives none). Lines inside a multi-line
    array or string are skipped; a key inside an inline table gets its table's line."""
    lines: dict[Path_, int] = {}
    table: Path_ = ()
    depth = 0
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            in_string = line.count('"""') % 2 == 0 and line.count("'''") % 2 == 0
            continue
        if depth == 0:
            if header := _TOML_TABLE.match(line):
                table = _toml_parts(header.group(1))
                lines.setdefault(table, number)
            elif key := _TOML_KEY.match(line):
                lines.setdefault((*table, *_toml_parts(key.group(1))), number)
        if line.count('"""') % 2 or line.count("'''") % 2:
            in_string = True
        code = re.sub(r"""("[^"]*"|'[^']*')""", "", line).split("#")[0]
        if not _TOML_TABLE.match(line):
            depth = max(0, depth + code.count("[") - code.count("]"))
    return lines


def _nearest(lines: Mapping[Path_, int]) -> Callable[[Path_], int | None]:
    """The line of a key, else of the nearest enclosing key or table that has one."""

    def find(path: Path_) -> int | None:
        for end in range(len(path), 0, -1):
            if (found := lines.get(path[:end])) is not None:
                return found
        return None

    return find


# -- checking the data -----------------------------------------------------------------------
_SECTIONS: dict[str, tuple[str, ...]] = {
    "identity": ("email_domains", "organizations", "allow_app_tokens"),
    "where": ("owners", "visibilities"),
    "templates": ("builtin", "sources", "allow_trust"),
    "tokens": ("warn_scopes", "refuse_scopes"),
    "local": ("allowed",),
}
_LIFECYCLE_KEYS = ("owner_kind", "require", "min_approvals")
_TOP = ("version", *_SECTIONS, "lifecycle")


@dataclass
class _Reader:
    where: str
    line: Callable[[Path_], int | None]

    def fail(self, path: Path_, problem: str) -> PolicyFileError:
        line = self.line(path) if path else 1
        return PolicyFileError(where=self.where, problem=problem, line=line)

    def policy(self, data: Any) -> Policy:
        if data is None:
            raise PolicyFileError(
                where=self.where, problem="the policy is empty: it needs at least `version = 1`"
            )
        table = self.table(data, ())
        self.known(table, (), _TOP)
        if "version" not in table:
            raise PolicyFileError(
                where=self.where,
                problem="`version` is missing: write `version = 1` at the top",
                line=1,
            )
        version = table["version"]
        if type(version) is not int or version not in VERSIONS:
            raise self.fail(
                ("version",),
                f"version {version!r} is not supported (this scaffolder reads version "
                f"{', '.join(map(str, VERSIONS))})",
            )
        sections = {name: self.section(table, name) for name in _SECTIONS}
        identity, where, templates = sections["identity"], sections["where"], sections["templates"]
        tokens, local = sections["tokens"], sections["local"]
        lifecycles = self.table(table.get("lifecycle", {}), ("lifecycle",))
        return Policy(
            identity=Identity(
                email_domains=self.strings(identity, ("identity", "email_domains"), _domain),
                organizations=self.strings(identity, ("identity", "organizations"), _login),
                allow_app_tokens=self.flag(identity, ("identity", "allow_app_tokens"), False),
            ),
            where=Where(
                owners=self.strings(where, ("where", "owners"), _login),
                visibilities=cast(
                    "tuple[Visibility, ...]",
                    self.strings(where, ("where", "visibilities"), _visibility),
                ),
            ),
            templates=Templates(
                builtin=self.flag(templates, ("templates", "builtin"), True),
                sources=self.strings(templates, ("templates", "sources"), _source),
                allow_trust=self.flag(templates, ("templates", "allow_trust"), False),
            ),
            lifecycles=tuple(self.lifecycle(name, value) for name, value in lifecycles.items()),
            tokens=Tokens(
                warn_scopes=self.strings(
                    tokens, ("tokens", "warn_scopes"), _scope, Tokens().warn_scopes
                ),
                refuse_scopes=self.strings(tokens, ("tokens", "refuse_scopes"), _scope),
            ),
            allow_local=self.flag(local, ("local", "allowed"), True),
        )

    def table(self, value: Any, path: Path_) -> dict[str, Any]:
        if not isinstance(value, dict):
            what = f"`{'.'.join(path)}`" if path else "the policy"
            raise self.fail(path, f"{what} must be a table of keys, not {_kind(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(path, f"key {key!r} must be text")
        return value

    def known(self, table: Mapping[str, Any], path: Path_, keys: tuple[str, ...]) -> None:
        for key in table:
            if key not in keys:
                inside = f" in {'.'.join(path)}" if path else ""
                raise self.fail(
                    (*path, key), f"unknown key {key!r}{inside} (known: {', '.join(keys)})"
                )

    def section(self, table: Mapping[str, Any], name: str) -> dict[str, Any]:
        section = self.table(table.get(name, {}), (name,))
        self.known(section, (name,), _SECTIONS[name])
        return section

    def lifecycle(self, name: str, value: Any) -> LifecycleRule:
        path = ("lifecycle", name)
        if not _NAME.fullmatch(name):
            raise self.fail(path, f"lifecycle {name!r} is not a lifecycle name")
        rule = self.table(value, path)
        self.known(rule, path, _LIFECYCLE_KEYS)
        kind = rule.get("owner_kind")
        if kind is not None and kind not in ("group", "user"):
            raise self.fail(
                (*path, "owner_kind"), f"owner_kind {kind!r} is not one of: group, user"
            )
        approvals = rule.get("min_approvals")
        if approvals is not None and (type(approvals) is not int or approvals < 0):
            raise self.fail(
                (*path, "min_approvals"),
                f"min_approvals must be a whole number, 0 or more, not {approvals!r}",
            )
        return LifecycleRule(
            lifecycle=name,
            owner_kind=kind,
            require=self.strings(rule, (*path, "require"), _answer),
            min_approvals=approvals,
        )

    def flag(self, table: Mapping[str, Any], path: Path_, default: bool) -> bool:
        value = table.get(path[-1], default)
        if not isinstance(value, bool):
            raise self.fail(path, f"`{path[-1]}` must be true or false, not {_kind(value)}")
        return value

    def strings(
        self,
        table: Mapping[str, Any],
        path: Path_,
        check: Callable[[str], str | None],
        default: tuple[str, ...] = (),
    ) -> tuple[str, ...]:
        """A list of strings, each normalised by `check` (None: not valid, with `check`'s
        `__doc__` as what was expected)."""
        if path[-1] not in table:
            return default
        value = table[path[-1]]
        if not isinstance(value, list):
            raise self.fail(path, f"`{path[-1]}` must be a list, not {_kind(value)}")
        out: list[str] = []
        for item in value:
            normal = check(item.strip()) if isinstance(item, str) else None
            if normal is None:
                raise self.fail(
                    path, f"`{path[-1]}`: {item!r} is not {(check.__doc__ or 'valid').strip()}"
                )
            if normal not in out:
                out.append(normal)
        return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "a table", list: "a list", str: "text", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _domain(value: str) -> str | None:
    """an email domain such as acme.example (without the @)"""
    domain = value.lower()
    return domain if _DOMAIN.fullmatch(domain) else None


def _login(value: str) -> str | None:
    """a GitHub user or organisation name"""
    return value if _LOGIN.fullmatch(value) else None


def _visibility(value: str) -> str | None:
    """one of: public, private, internal"""
    return value if value in VISIBILITIES else None


def _answer(value: str) -> str | None:
    """an answer's name, such as system or security_contact"""
    return value if _ANSWER.fullmatch(value) else None


def _scope(value: str) -> str | None:
    """a classic token scope, such as delete_repo or admin:org"""
    return value if _SCOPE.fullmatch(value) else None


def _source(value: str) -> str | None:
    """a template source (a template's name, a git URL or a folder) without a password"""
    if not value:
        return None
    if "://" in value and urllib.parse.urlsplit(value).password:
        return None
    return value
