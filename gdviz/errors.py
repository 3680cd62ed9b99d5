"""The one exception gdviz raises for bad input, with a message meant for people, and the checks
of arguments that every layer shares (each names the argument and what it accepts)."""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings


class GdvizError(ValueError):
    """Bad input: a value, file or option gdviz cannot use. The message is one line naming it."""


class GdvizTypeError(GdvizError, TypeError):
    """Bad input of the wrong kind (a string where a number belongs): both a `GdvizError` and,
    as Python's own calls would raise, a `TypeError`."""


def flag(value, what: str) -> bool:
    """``value`` as a bool where it is True or False (numpy's too), else a `GdvizTypeError`."""
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise GdvizTypeError(f"{what} must be True or False, not {value!r}"[:200])
    return bool(value)


def one_of(value, choices, what: str) -> str:
    """``value`` where it is one of ``choices`` (names), else a `GdvizError` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise GdvizError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value


def positive(value, what: str) -> float:
    """``value`` as a float where it is a finite number above zero."""
    if isinstance(value, bool):
        raise GdvizError(f"{what} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GdvizError(f"{what} must be a number, not {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise GdvizError(f"{what} must be a positive number, not {value!r}")
    return number


def whole(value, what: str, *, minimum: int, maximum: int = 2**63 - 1) -> int:
    """``value`` as an int where it is a whole number (numpy's too) from ``minimum`` to
    ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise GdvizError(f"{what} must be a whole number, not {value!r}")
    if value < minimum:
        raise GdvizError(f"{what} must be at least {minimum}, not {value}")
    if value > maximum:
        raise GdvizError(f"{what} must be at most {maximum}, not {value}")
    return int(value)


def finite_numbers(values, what: str) -> list[float]:
    """``values`` (a number or any array-like of them) as a non-empty list of finite floats."""
    import numpy as np  # here: importing gdviz loads no numpy

    try:
        out = [float(v) for v in np.asarray(values, dtype=float).reshape(-1)]
    except (TypeError, ValueError):
        raise GdvizError(f"{what} must be numbers, not {values!r}") from None
    if not out:
        raise GdvizError(f"{what} is empty")
    if not all(math.isfinite(v) for v in out):
        raise GdvizError(f"{what} must be finite numbers, not {values!r}")
    return out


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name where it has none): what a
    one-line error says of an exception raised by the user's own code."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the user's line: the first frame outside gdviz (their script, their notebook
    cell), however deep inside gdviz the warning is raised; a fixed ``stacklevel`` points into
    gdviz from one caller and past the user (IPython's own code) from another."""
    frame, level = sys._getframe(1), 2  # stacklevel 1 is this function, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
