"""The command line's option types: each value checked as click parses it, one line per problem."""

from __future__ import annotations

import math
import re
from pathlib import Path

import click

from gdviz.errors import GdvizError
from gdviz.problems.optimizers import OPTIMIZERS
from gdviz.views.names import SHOWN

SUFFIXES = (".gif", ".mp4", ".html", ".png", ".svg", ".pdf")
STILLS = (".png", ".svg", ".pdf")  # one picture: --frame picks its step


class Whole(click.IntRange):
    """A whole number in a range, said shortly when it is not one (a value of thousands of
    digits would otherwise be echoed whole, or meet Python's limit on converting them)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not re.fullmatch(r"\s*[+-]?[0-9]{1,30}\s*", value):
            self.fail(f"{_short(value)!r} is not a whole number", param, ctx)
        return super().convert(value, param, ctx)


class Real(click.FloatRange):
    """A finite number in a range: nan, which every comparison lets through, is refused."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{_short(str(value))!r} is not a finite number", param, ctx)
        return number


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


class CommaList(click.ParamType):
    """A comma-separated list, each item checked by ``one``."""

    def __init__(self, name: str, one):
        self.name, self.one = name, one

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        items = [s.strip() for s in str(value).split(",")]
        if not all(items):
            self.fail(f"{value!r} has an empty item", param, ctx)
        try:
            return tuple(self.one(s) for s in items)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def optimizer(s: str) -> str:
    if s not in OPTIMIZERS:
        raise ValueError(f"{s!r} is not one of {', '.join(OPTIMIZERS)}")
    return s


def number(s: str, *, positive: bool = False) -> float:
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{s!r} is not a finite number")
    if positive and v <= 0:
        raise ValueError(f"{s!r} must be a positive number")
    return v


def rate(s: str) -> float:
    return number(s, positive=True)


def shown(s: str) -> str:
    if s not in SHOWN:
        raise ValueError(f"{s!r} is not one of {', '.join(SHOWN)}")
    return s


def width(s: str) -> int:
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses in its own words.
    if not re.fullmatch(r"[0-9]{1,4}", s) or not 1 <= int(s) <= 4096:
        raise ValueError(f"{s[:20]!r} is not a layer width from 1 to 4096")
    return int(s)


class Checked(click.ParamType):
    """A value checked by a library function that raises `GdvizError` (a formula, a schedule)."""

    def __init__(self, name: str, check):
        self.name, self.check = name, check

    def convert(self, value, param, ctx):
        try:
            self.check(value)
        except GdvizError as exc:
            self.fail(str(exc), param, ctx)
        return value


def size(value: str) -> None:
    m = re.fullmatch(r"\s*([0-9]{1,6})\s*[xX×]\s*([0-9]{1,6})\s*", str(value))
    if not m or min(int(m[1]), int(m[2])) < 100 or max(int(m[1]), int(m[2])) > 8000:
        shown = str(value) if len(str(value)) <= 30 else str(value)[:27] + "..."
        raise GdvizError(f"{shown!r} is not a size like 640x480 (100 to 8000 pixels a side)")


def output(ctx, param, value):
    if value is not None and Path(value).suffix.lower() not in SUFFIXES:
        raise click.BadParameter(
            f"{value!r} has no known format suffix: use one of {', '.join(SUFFIXES)}", ctx, param
        )
    return None if value is None else Path(value)


def npz(ctx, param, value):
    if value is None:
        return None
    for v in [value] if isinstance(value, str) else value:
        if Path(v).suffix.lower() != ".npz":
            raise click.BadParameter(f"{v!r} must end in .npz", ctx, param)
    return Path(value) if isinstance(value, str) else tuple(Path(v) for v in value)
