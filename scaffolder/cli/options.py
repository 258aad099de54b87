"""Flags to options: a command's options dataclass, filled from the parsed flags by name."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_args(cls: type[T], args: argparse.Namespace, **explicit: Any) -> T:
    """`cls(**fields)`: each field from `explicit` if given there, else from the flag of the
    same name when the parser has one. So a new flag is its parser line and its field."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not an options dataclass")
    values = dict(explicit)
    for f in dataclasses.fields(cls):
        if f.name not in values and hasattr(args, f.name):
            values[f.name] = getattr(args, f.name)
    return cls(**values)
