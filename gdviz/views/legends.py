"""Legends that hide nothing that matters, placed from the boxes they really take.

A view says what its legend must keep clear (`keep_clear`): the markers that must stay visible
(data points, starts, minima), the lines along which a current point moves (a path, a loss
curve: wherever the legend lies over them, the point vanishes under it for a while), and lines
best left uncrossed (a fitted line on its way). Where a legend goes can only be judged once the
figure is laid out: its text may have grown (a slide's floor), the axes shrunk (colour bars,
titles). `settle` then measures the legend at each place in the axes, takes the one that hides
nothing (crossing the fewest of the other lines), and puts it outside the axes, on the right,
when every place inside hides something. `gdviz.animate` settles every figure it makes (and so
every file); a view drawn by ``View.plot`` onto axes of one's own keeps the estimate that
`gdviz.views.base.legend_place` made before the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from gdviz.views.base import LEGEND_PLACES

MARKER_POINTS = 5.0  # how near (in points) a marker's centre may come to a legend's box
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}  # right of the axes, at the top


@dataclass
class Clearance:
    """What a legend must keep clear, in the data coordinates of ``ax``."""

    ax: Axes
    points: np.ndarray  # (N, 2): markers that must stay visible
    lines: list[np.ndarray] = field(default_factory=list)  # (M, 2) each: never crossed
    soft: list[np.ndarray] = field(default_factory=list)  # (M, 2) each: crossed as little as may be


def keep_clear(legend: Legend, ax: Axes, *, points=(), lines=(), soft=()) -> Legend:
    """Mark ``legend`` to be placed by `settle`, clear of ``points`` and ``lines`` (data
    coordinates of ``ax``, which need not be the legend's own axes) and crossing the fewest of
    ``soft`` lines."""
    points = [np.asarray(p, dtype=float).reshape(-1, 2) for p in _parts(points)]
    legend.gdviz_clear = Clearance(
        ax,
        np.concatenate(points) if points else np.empty((0, 2)),
        [np.asarray(line, dtype=float).reshape(-1, 2) for line in _parts(lines)],
        [np.asarray(line, dtype=float).reshape(-1, 2) for line in _parts(soft)],
    )
    return legend


def _parts(items) -> list:
    """One array, or a sequence of arrays, as a list of arrays."""
    if isinstance(items, np.ndarray):
        return [items]
    return list(items)


def settle(fig: Figure) -> bool:
    """Place every legend of ``fig`` marked by `keep_clear`, from its box at each place (the
    figure laid out, its text sized); True when one went outside its axes (lay out again)."""
    renderer = fig.canvas.get_renderer()
    outside = False
    for legend in legends(fig):
        clear: Clearance = legend.gdviz_clear
        pad = MARKER_POINTS * fig.dpi / 72
        points = _display(clear.ax, clear.points)
        lines = [_display(clear.ax, line) for line in clear.lines]
        soft = [_display(clear.ax, line) for line in clear.soft]
        best, best_score = None, None
        for place in LEGEND_PLACES:
            legend.set_loc(place)
            legend.set_bbox_to_anchor(None)
            box = legend.get_window_extent(renderer)
            hidden = _inside(points, box, pad).sum() + sum(_crossings(p, box) for p in lines)
            crossed = sum(_crossings(p, box) for p in soft)
            score = (int(hidden), int(crossed))
            if best_score is None or score < best_score:
                best, best_score = place, score
        if best_score[0] == 0:
            legend.set_loc(best)
        else:
            legend.set_loc(OUTSIDE["loc"])
            legend.set_bbox_to_anchor(OUTSIDE["bbox_to_anchor"], transform=legend.axes.transAxes)
            outside = True
    return outside


def legends(fig: Figure) -> list[Legend]:
    """The legends of ``fig`` that `keep_clear` marked."""
    found = [ax.get_legend() for ax in fig.axes]
    return [lg for lg in found if lg is not None and hasattr(lg, "gdviz_clear")]


def _display(ax: Axes, points: np.ndarray) -> np.ndarray:
    """``points`` in pixels, those that are not finite left out (a run that diverged)."""
    points = points[np.isfinite(points).all(axis=1)]
    if len(points):
        with np.errstate(invalid="ignore", divide="ignore"):
            points = ax.transData.transform(points)  # a log axis: nan below zero
    return points[np.isfinite(points).all(axis=1)]


def _inside(points: np.ndarray, box, pad: float) -> np.ndarray:
    x, y = points.T
    return (x > box.x0 - pad) & (x < box.x1 + pad) & (y > box.y0 - pad) & (y < box.y1 + pad)


def _crossings(line: np.ndarray, box) -> int:
    """How many segments of the polyline ``line`` (pixels) pass through ``box``: Liang-Barsky
    clipping of every segment at once."""
    if len(line) == 1:
        return int(_inside(line, box, 0.0).sum())
    if len(line) == 0:
        return 0
    p0, d = line[:-1], np.diff(line, axis=0)
    lo, hi = np.zeros(len(d)), np.ones(len(d))
    for axis, (low, high) in enumerate(((box.x0, box.x1), (box.y0, box.y1))):
        start, step = p0[:, axis], d[:, axis]
        flat = step == 0
        outside = flat & ((start < low) | (start > high))
        lo[outside], hi[outside] = 1.0, 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (low - start) / step, (high - start) / step
        enter, leave = np.minimum(t1, t2), np.maximum(t1, t2)
        lo = np.where(flat, lo, np.maximum(lo, enter))
        hi = np.where(flat, hi, np.minimum(hi, leave))
    return int((lo <= hi).sum())
