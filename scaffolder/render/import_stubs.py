"""Stand-ins for libraries copier imports and scaffolder's use of copier never reaches.

copier imports questionary, prompt_toolkit and pygments at the top of its modules, and they are
about a third of its import time. scaffolder never lets copier prompt: every answer reaches
copier as data, with `defaults=True` and `overwrite=True` (`copier_adapter`), and the wizard asks
its questions with questionary itself. What copier keeps of those libraries is then:

- `questionary.prompts.common.Choice`, as a record of a choice's title and value (its choices
  are computed to validate answers): `Choice` below has the same constructor and attributes;
- `questionary.confirm` and `questionary.unsafe_prompt`, and prompt_toolkit's `PygmentsLexer`
  over pygments' `JsonLexer` and `YamlLexer`, used only to prompt: the stand-ins import the real
  ones when called, so even a prompt copier did make would behave as before.

plumbum (copier's way to run git) imports `urllib.request` (and with it http, email and ssl) for
`pathname2url`, which it uses to write a path as a URL: the stand-in imports the real module
when that is called, or when any other name of it is asked for.

copier's `_template` imports dunamai (and with it `xml.etree` and `importlib.metadata` work)
only to read a git template's version from its tags: its stand-in hands out the real module's
names, importing it when the first one is asked for. And plumbum reads `platform.uname()[0]`
at import, which runs `uname -p` (for the sixth field, the processor, that it never reads):
while copier is imported, `platform.uname()` answers the same fields without that process.

`stubbed()` puts the stand-ins in `sys.modules` while copier is imported, and takes them out
again, so a later `import questionary` (the wizard's) gets the real library. Nothing here
imports copier; `copier_adapter` decides when to use it.
"""

from __future__ import annotations

import contextlib
import importlib
import platform
import sys
import types
from collections.abc import Iterator
from typing import Any

_DOC = "scaffolder's stand-in while copier is imported"


class Choice:
    """questionary's `Choice` as copier uses it: a title, a value and three flags."""

    def __init__(
        self,
        title: Any,
        value: Any = None,
        disabled: str | None = None,
        checked: bool | None = False,
        shortcut_key: str | bool | None = True,
        description: str | None = None,
    ) -> None:
        self.title = title
        self.disabled = disabled
        self.checked = checked if checked is not None else False
        # questionary's setter: True/False switch the automatic key on or off, a text is one.
        if shortcut_key is None or isinstance(shortcut_key, bool):
            self.shortcut_key: str | None = None
            self.auto_shortcut = True if shortcut_key is None else shortcut_key
        else:
            self.shortcut_key, self.auto_shortcut = str(shortcut_key), False
        self.description = description
        if value is not None:
            self.value = value
        elif isinstance(title, list):
            # questionary's formatted text: (style, text) pairs.
            self.value = "".join(token[1] for token in title)
        else:
            self.value = title

    def __repr__(self) -> str:
        return f"Choice(title={self.title!r}, value={self.value!r})"


class _Deferred:
    """A name of a real module, imported when first called."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def resolve(self) -> Any:
        return getattr(_real(self.module), self.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(a.resolve() if isinstance(a, _Deferred) else a for a in args)
        return self.resolve()(*args, **kwargs)


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name, _DOC)
    module.__dict__.update(attributes)

    def other(attribute: str) -> Any:
        # A name no stand-in was made for: the real module's (imported now).
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(_real(name), attribute)

    module.__getattr__ = other  # type: ignore[method-assign]
    return module


def _real(name: str) -> types.ModuleType:
    if sys.modules.get(name) is not None and sys.modules[name].__doc__ != _DOC:
        return sys.modules[name]
    stand_in = sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    finally:
        if stand_in is not None and name not in sys.modules:
            sys.modules[name] = stand_in


def _stand_ins() -> dict[str, types.ModuleType]:
    return {
        "questionary": _module(
            "questionary",
            confirm=_Deferred("questionary", "confirm"),
            unsafe_prompt=_Deferred("questionary", "unsafe_prompt"),
        ),
        "questionary.prompts.common": _module("questionary.prompts.common", Choice=Choice),
        "prompt_toolkit.lexers": _module(
            "prompt_toolkit.lexers",
            PygmentsLexer=_Deferred("prompt_toolkit.lexers", "PygmentsLexer"),
        ),
        "urllib.request": _module(
            "urllib.request",
            pathname2url=_Deferred("urllib.request", "pathname2url"),
            url2pathname=_Deferred("urllib.request", "url2pathname"),
        ),
        "pygments.lexers.data": _module(
            "pygments.lexers.data",
            JsonLexer=_Deferred("pygments.lexers.data", "JsonLexer"),
            YamlLexer=_Deferred("pygments.lexers.data", "YamlLexer"),
        ),
    }


_PROMPTS = ("questionary", "prompt_toolkit", "pygments")


def _lazy_stand_ins() -> dict[str, types.ModuleType]:
    """Libraries copier imports at the top of a module and uses only in a function: each name
    of the stand-in is the real module's, imported when first asked for."""
    # dunamai (and xml.etree under it) reads a git template's version from its tags.
    return {name: _module(name) for name in ("dunamai",) if name not in sys.modules}


class _Uname(platform.uname_result):
    """`platform.uname()`, whose first five fields can be read by index without the sixth."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int) and 0 <= key < len(self._fields) - 1:
            return tuple.__getitem__(self, key)
        return super().__getitem__(key)


@contextlib.contextmanager
def _uname_without_processor() -> Iterator[None]:
    """plumbum reads `platform.uname()[0]` (the system's name) at import; indexing a uname
    result builds all six fields, and the processor is a `uname -p` process. Inside, `uname()`
    gives the same fields, and an index below the processor's reads only its own."""
    real = platform.uname
    value = real()
    fields = (value.system, value.node, value.release, value.version, value.machine)
    platform.uname = lambda: _Uname(*fields)
    try:
        yield
    finally:
        platform.uname = real


@contextlib.contextmanager
def stubbed() -> Iterator[bool]:
    """Inside, the libraries above are stand-ins: the prompt libraries and `urllib.request`
    unless one of them is already imported (then copier gets the real ones, and this yields
    False); `dunamai` unless it is; and `platform.uname()` needs no process."""
    lazy = _lazy_stand_ins()
    stand_ins = _stand_ins()
    real = any(name.partition(".")[0] in sys.modules for name in _PROMPTS) or (
        "urllib.request" in sys.modules
    )
    chosen = lazy if real else {**stand_ins, **lazy}
    sys.modules.update(chosen)
    try:
        with _uname_without_processor():
            yield not real
    finally:
        for name, module in chosen.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
