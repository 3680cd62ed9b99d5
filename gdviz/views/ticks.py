"""Tick labels that never collide: after layout, an axis whose labels overlap shows fewer.

A view picks its ticks for a 640x480 figure; a slide's text floor makes the labels taller and
wider than the locators expect, and a colour bar's levels can crowd its round numbers. The
renderer says where each label landed: an axis whose labels overlap drops its minor labels (a
log axis' 3×10⁰, 4×10⁰, ...), then asks its locator for fewer ticks until none overlap.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import (
    Locator,
    LogFormatterSciNotation,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

ROUNDS = 3  # draws of the figure at most: fewer ticks can change the layout around them
SLACK = 0.5  # pixels two labels may share each way, as antialiased edges do
FEWER_MINOR = ((2.0, 4.0, 6.0, 8.0), (2.0, 5.0), (3.0,))  # a log axis' minor ticks, thinned


def untangle(fig: Figure) -> None:
    """Thin the ticks of every axis of the drawn ``fig`` whose tick labels overlap, and draw it
    again where any changed (the layout engine, if any, then makes room anew)."""
    for _ in range(ROUNDS):
        renderer = fig.canvas.get_renderer()
        changed = False
        for ax in fig.axes:
            if ax.get_visible() and ax.axison:
                for axis in (ax.xaxis, ax.yaxis):
                    changed |= _thin(axis, renderer)
        if not changed:
            return
        fig.canvas.draw()


def _thin(axis: Axis, renderer) -> bool:
    """Fewer ticks on ``axis`` until its labels stop overlapping; whether it changed."""
    if not axis.get_visible() or not _overlap(axis, renderer):
        return False
    if any(_labels(axis, renderer, minor=True)):
        axis.set_minor_formatter(NullFormatter())
        if len(_labels(axis, renderer)) < 2 and axis.get_scale() == "log":
            # Within a decade the minor labels were all there was: every other, or fewer.
            every = LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(np.inf,) * 2)
            axis.set_minor_formatter(every)
            for subs in FEWER_MINOR:
                axis.set_minor_locator(LogLocator(subs=subs))
                if not _overlap(axis, renderer):
                    break
        if not _overlap(axis, renderer):
            return True
    locator = axis.get_major_locator()
    locator = getattr(locator, "inner", locator)
    if isinstance(locator, MaxNLocator):
        name = "nbins"
    elif isinstance(locator, LogLocator):
        name = "numticks"
    else:
        return True  # ticks a view placed by hand: left as they are
    for count in range(len(_labels(axis, renderer)) - 1, 1, -1):
        locator.set_params(**{name: count if name == "numticks" else count - 1})
        if not _overlap(axis, renderer):
            break
    return True


def _labels(axis: Axis, renderer, *, minor: bool | None = None) -> list:
    """Window boxes of the tick labels ``axis`` draws (only minor ones, or all)."""
    # The ticks Axis.draw picks: its locators' inside the view (a colour bar's extensions
    # widen that past the axis' limits), with their labels placed.
    drawn = axis._update_ticks()
    minors = set(map(id, axis.minorTicks))
    boxes = []
    for tick in drawn:
        if (minor and id(tick) not in minors) or not tick.get_visible():
            continue
        for label in (tick.label1, tick.label2):
            if label.get_visible() and label.get_text().strip():
                boxes.append(label.get_window_extent(renderer))
    return boxes


def _overlap(axis: Axis, renderer) -> bool:
    """Whether any two of the labels ``axis`` draws overlap."""
    boxes = _labels(axis, renderer)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            wide = min(a.x1, b.x1) - max(a.x0, b.x0)
            high = min(a.y1, b.y1) - max(a.y0, b.y0)
            if wide > SLACK and high > SLACK and (a.extents != b.extents).any():
                return True
    return False


class Inside(Locator):
    """The ticks of locator ``inner`` between ``lo`` and ``hi`` only. A colour bar draws a tick
    beyond its levels at the end of the bar (0 beside 0.08, under the lowest level 0.07), as if
    the extension's triangle were on the scale."""

    def __init__(self, inner: Locator, lo: float, hi: float):
        self.inner, self.lo, self.hi = inner, lo, hi

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self):
        return self.tick_values(*self.axis.get_view_interval())

    def tick_values(self, vmin, vmax):
        lo, hi = max(min(vmin, vmax), self.lo), min(max(vmin, vmax), self.hi)
        ticks = np.asarray(self.inner.tick_values(lo, hi), dtype=float)
        close = 1e-9 * (self.hi - self.lo)
        return ticks[(ticks >= self.lo - close) & (ticks <= self.hi + close)]
