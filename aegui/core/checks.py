"""Checks for values that come from outside (files, settings, the command line, the API): the type
first, then the range, with a sentence a person understands. Nothing is converted before it is
checked, so a string, a float infinity or a boolean never reaches arithmetic or allocation."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from aegui.core.errors import AeguiError


class ConfigError(AeguiError, ValueError):
    """A model or training setting that cannot be used, with the reason."""


def whole(value: Any, label: str, low: int, high: int) -> int:
    """`value` as an int if it is a whole number (not a bool, float or string) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ConfigError(f"{label} must be a whole number from {low:,} to {high:,}, not {value!r}.")
    return int(value)


def number(value: Any, label: str, low: float, high: float, high_open: bool = False) -> float:
    """`value` as a float if it is a finite real number in [low, high] (or [low, high))."""
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(value)
        or not low <= value <= high
        or (high_open and value == high)
    ):
        upper = f"below {high:g}" if high_open else f"at most {high:g}"
        raise ConfigError(f"{label} must be a number from {low:g}, {upper}, not {value!r}.")
    return float(value)


def sizes(values: Any, label: str, count: tuple[int, int], low: int, high: int) -> tuple[int, ...]:
    """A list or tuple of `count` (min, max) whole numbers, each in [low, high]."""
    if not isinstance(values, (list, tuple)) or not count[0] <= len(values) <= count[1]:
        how_many = f"{count[0]}" if count[0] == count[1] else f"{count[0]} to {count[1]}"
        raise ConfigError(f"{label} must be a list of {how_many} whole numbers, not {values!r}.")
    return tuple(whole(value, f"Each of the {label.lower()}", low, high) for value in values)


def choice(value: Any, label: str, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"Unknown {label} {value!r}; choose one of {', '.join(choices)}.")
    return value
