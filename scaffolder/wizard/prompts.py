"""The wizard's prompts: questionary, made impossible to get stuck in.

Every prompt raises `KeyboardInterrupt` on Ctrl-C *and* on Esc (questionary's `unsafe_ask`, plus
an Esc binding), so the caller has one way out to handle. Text prompts validate as the person
types: the validator runs on Enter, the answer stays editable, and the error is shown in
prompt_toolkit's error bar, its first line there and the rest in the status line below it
(the error bar is one row; at 80 columns a validator's message often needs two). The status
line otherwise shows how to accept and cancel; terminals that do not answer cursor-position
requests get only the error bar. `NO_COLOR` is honoured by prompt_toolkit itself (it drops to
1-bit colour); the styles here only add attributes that degrade to plain text.

questionary and prompt_toolkit are imported inside the methods, so importing this module is
cheap and `scaffolder --help` never loads them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: A validator: the typed text in, an error message (or "") out.
Check = Callable[[str], str]

ESC_HINT = "Enter accepts · Esc or Ctrl-C cancels"


@dataclass(frozen=True)
class Option:
    """One entry of a select or checkbox prompt."""

    title: str
    value: Any
    description: str | None = None


def _columns() -> int:
    from prompt_toolkit.application.current import get_app_session

    try:
        return max(20, get_app_session().output.get_size().columns)
    except Exception:  # noqa: BLE001 -- a detached or odd output has no size; assume 80
        return 80


def fit(text: str, width: int) -> str:
    """One line of at most `width` characters, cut with an ellipsis."""
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def wrap(message: str, width: int | None = None) -> str:
    """A prompt's message wrapped at word boundaries for the terminal's width.

    questionary draws it after "? ", and the terminal would otherwise break it mid-word; the
    instruction or the answer follows the last line, so that line keeps room for a few words.
    """
    room = (width or _columns()) - 3
    lines = textwrap.wrap(" ".join(message.split()), width=room, subsequent_indent="  ")
    if len(lines) > 1 and len(lines[-1]) > room - 20:
        # The last line is nearly full: break it again so the answer starts on it, not wraps.
        lines[-1:] = textwrap.wrap(lines[-1], width=room - 20, subsequent_indent="  ")
    return "\n".join(lines) or message


class _Suggestion:
    """A text prompt's placeholder: the default as a suggestion, or the example answer.

    While the buffer is empty it shows the default (dimmed and marked "(default)", so it reads
    as a suggestion even without colour) or else the template's placeholder (the example is
    not marked: the prompt's line is often nearly full). Once the prompt is done it shows the
    answer an empty line took: the default, or nothing, never a leftover example.
    """

    def __init__(self, default: str, placeholder: str, *, secret: bool) -> None:
        self.default, self.placeholder, self.secret = default, placeholder, secret

    def tokens(self) -> list[tuple[str, str]]:
        from prompt_toolkit.application.current import get_app

        return self.shown(done=get_app().is_done)

    def shown(self, *, done: bool) -> list[tuple[str, str]]:
        shown = "••••••" if self.secret and self.default else self.default
        if done:
            return [("class:answer", shown)] if shown else []
        if shown:
            return [("class:placeholder", shown), ("class:hint", " (default)")]
        if self.placeholder and not self.secret:
            return [("class:placeholder", self.placeholder)]
        return []


class _ErrorLines:
    """Splits a validation error over the error bar (first line) and the bottom toolbar (rest)."""

    def __init__(self) -> None:
        self.rest: list[str] = []

    def split(self, message: str) -> str:
        lines = textwrap.wrap(message, width=_columns() - 3) or [message]
        self.rest = lines[1:]
        return "✗ " + lines[0]

    def toolbar(self) -> Any:
        from prompt_toolkit.application.current import get_app

        buffer = get_app().current_buffer
        if buffer.validation_error is not None and self.rest:
            return [("class:validation-toolbar", "\n".join("  " + line for line in self.rest))]
        return [("class:hint", ESC_HINT)]


class Prompter:
    """The five kinds of prompt the wizard needs. Each returns the answer or raises
    `KeyboardInterrupt` (Ctrl-C or Esc)."""

    def _style(self) -> Any:
        from prompt_toolkit.styles import Style

        return Style(
            [
                ("bottom-toolbar", "noreverse"),
                ("bottom-toolbar.text", "noreverse"),
                ("hint", "italic"),
                ("placeholder", "fg:ansibrightblack italic"),
                ("validation-toolbar", "bold"),
                ("answer", "bold"),
                ("question", "bold"),
            ]
        )

    def _run(self, question: Any) -> Any:
        """Ask, with Esc bound to cancel; Ctrl-C already raises KeyboardInterrupt."""
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
        from prompt_toolkit.keys import Keys

        bindings = KeyBindings()

        # Not eager: Alt+key arrives as Esc then the key (Alt+B is "word back" while typing), so
        # a lone Esc cancels only once no key follows it within `timeoutlen`.
        @bindings.add(Keys.Escape)
        def _cancel(event: Any) -> None:
            event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

        app = question.application
        app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
        app.timeoutlen = 0.3
        try:
            return question.unsafe_ask()
        except EOFError:
            # The terminal went away (or Ctrl-D on an empty line): stop as a cancel would.
            raise KeyboardInterrupt from None

    def _validator(self, check: Check | None, *, empty: str = "") -> tuple[Any, _ErrorLines]:
        """A questionary validator for `check`; an empty answer is checked as `empty`."""
        errors = _ErrorLines()
        if check is None:
            return None, errors

        def validate(text: str) -> bool | str:
            message = check(text or empty)
            return errors.split(message) if message else True

        return validate, errors

    def text(
        self,
        message: str,
        *,
        default: str = "",
        placeholder: str = "",
        check: Check | None = None,
        secret: bool = False,
    ) -> str:
        """Typed text; an empty answer takes `default`.

        The default is a suggestion, not pre-filled text: typing replaces it (pre-filled, a
        typed answer was appended to it: `user:rootteam:pay`). Once answered, the transcript
        shows the answer taken, never a leftover placeholder.
        """
        import questionary

        validate, errors = self._validator(check, empty=default)
        kwargs: dict[str, Any] = {
            "validate": validate,
            "style": self._style(),
            "bottom_toolbar": errors.toolbar,
            "placeholder": _Suggestion(default, placeholder, secret=secret).tokens,
        }
        make = questionary.password if secret else questionary.text
        answer = str(self._run(make(wrap(message), **kwargs)))
        return answer or default

    def confirm(self, message: str, *, default: bool) -> bool:
        import questionary

        question = questionary.confirm(wrap(message), default=default, style=self._style())
        return bool(self._run(question))

    def select(
        self, message: str, options: Sequence[Option], *, default: Any = None, search: bool = False
    ) -> Any:
        """One of `options`; with `search`, typing filters the list (long lists)."""
        import questionary

        choices, start = self._choices(options, [default])
        question = questionary.select(
            wrap(message),
            choices=choices,
            default=choices[start[0]] if start else None,
            style=self._style(),
            use_search_filter=search,
            use_jk_keys=not search,
            instruction="(type to filter, arrows, Enter)" if search else "(arrows, Enter)",
        )
        return options[self._run(question)].value

    def checkbox(
        self,
        message: str,
        options: Sequence[Option],
        *,
        default: Sequence[Any] = (),
        check: Callable[[list[Any]], str] | None = None,
    ) -> list[Any]:
        import questionary

        choices, checked = self._choices(options, list(default))
        for index in checked:
            choices[index].checked = True

        def validate(picked: list[Any]) -> bool | str:
            if check is None:
                return True
            problem = check([options[i].value for i in picked])
            return fit("✗ " + problem, _columns() - 1) if problem else True

        question = questionary.checkbox(
            wrap(message),
            choices=choices,
            validate=validate,
            style=self._style(),
            instruction="(space toggles, Enter accepts, Esc cancels)",
        )
        return [options[i].value for i in self._run(question)]

    def _choices(
        self, options: Sequence[Option], selected: list[Any]
    ) -> tuple[list[Any], list[int]]:
        """questionary choices valued by index, so any value (even None or 0) round-trips."""
        from questionary import Choice

        width = _columns() - 6
        choices = [
            Choice(
                title=fit(option.title, width),
                value=index,
                # questionary shows it after "  Description: " (15 columns).
                description=fit(option.description, width - 10) if option.description else None,
            )
            for index, option in enumerate(options)
        ]
        picked = [i for i, option in enumerate(options) if option.value in selected]
        return choices, picked
