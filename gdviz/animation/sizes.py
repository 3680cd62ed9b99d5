"""Picture sizes: the defaults, and what is too small to hold a title, axes and a caption."""

from __future__ import annotations

import math
import numbers

from gdviz.errors import GdvizError, GdvizTypeError

DEFAULT = (640, 480)  # pixels
DASHBOARD = (1280, 440)  # three panels need the width
MIN_INCHES = (2.0, 1.6)  # smaller has no room for its titles and caption
PIXELS = (100, 8000)
STYLES = ("slide",)
SLIDE = (1920, 1080)
SLIDE_TEXT = 28  # pixels high at the least, every text of a slide (ticks, legends, notes)
DPI = (20, 600)  # dots per inch, least and most


def check_size(size, dpi, view: str) -> tuple[tuple[int, int], float]:
    """``(width, height)`` in pixels (the view's default for None) and ``dpi``, checked."""
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real):
        raise GdvizTypeError(f"dpi must be a number, not {dpi!r}"[:200])
    if not (math.isfinite(dpi) and DPI[0] <= dpi <= DPI[1]):
        raise GdvizError(f"dpi must be from {DPI[0]} to {DPI[1]}, not {dpi!r}")
    if size is None:
        size = DASHBOARD if view in ("dashboard", "matrix") else DEFAULT
    try:
        items = [] if isinstance(size, (str, bytes)) else list(size)
    except TypeError:
        items = []
    if len(items) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items
    ):
        raise GdvizTypeError(f"size must be (width, height) in pixels, not {size!r}"[:200])
    width, height = (int(v) for v in items)
    lo, hi = PIXELS
    if not (lo <= width <= hi and lo <= height <= hi):
        raise GdvizError(f"size must be {lo} to {hi} pixels a side, not {width}x{height}")
    if width / dpi < MIN_INCHES[0] or height / dpi < MIN_INCHES[1]:
        raise GdvizError(
            f"{width}x{height} pixels at {dpi:g} dpi is {width / dpi:.2g} x {height / dpi:.2g} "
            "inches, too small for its text: use more pixels or fewer dots per inch"
        )
    return (width, height), float(dpi)


def styled(style, size, dpi):
    """The size and dpi a ``style`` asks for, where not given: ``"slide"`` is 1920x1080 drawn
    at the default's 4.8 inches high (225 dpi), so everything grows together."""
    if style is None:
        return size, 100.0 if dpi is None else dpi
    if style not in STYLES:
        raise GdvizError(f"unknown style {style!r}: use {', '.join(STYLES)} (or none)")
    size = SLIDE if size is None else size
    if dpi is None:
        try:
            dpi = int(size[1]) / 4.8
        except (TypeError, ValueError, IndexError):
            return size, 100.0  # a bad size is said by check_size
        if not DPI[0] <= dpi <= DPI[1]:  # said in terms of what was given: the size
            raise GdvizError(
                f"style 'slide' draws at a dpi of the height / 4.8 inches, and {size[1]} "
                f"pixels high would need {dpi:.0f}: give a height from {4.8 * DPI[0]:.0f} to "
                f"{4.8 * DPI[1]:.0f} pixels, or a dpi"
            )
    return size, dpi
