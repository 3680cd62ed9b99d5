"""What a view's moving artists show at every snapshot at once, computed from the runs' arrays.

A page of every snapshot (`gdviz.export.page`) needs each moving artist's geometry at up to
100,000 snapshots. Moving the view to each one costs a transform of the whole path each time;
a view's ``tracks(steps)`` gives the same geometry in data coordinates from its arrays instead,
as one of these shapes per artist. Each equals, snapshot for snapshot, what ``update`` sets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from gdviz.views.base import TRAIL


class Prefix(NamedTuple):
    """A growing path: every point it will pass (M, 2), how many of them show before its end
    at each step asked for (S,), and that end (S, 2)."""

    points: np.ndarray
    count: np.ndarray
    tail: np.ndarray


class Marks(NamedTuple):
    """A few points at each step (S, W, 2), drawn with ``markers[marker[j]]``."""

    data: np.ndarray
    marker: np.ndarray
    markers: tuple[str, ...]


class Arrows(NamedTuple):
    """An arrow's two ends at each step (S, 2, 2), and whether it shows (S,)."""

    ends: np.ndarray
    visible: np.ndarray


class Notes(NamedTuple):
    """The text shown at each step."""

    texts: list[str]


class Curves(NamedTuple):
    """A curve of many points: ``at(step)`` gives its (W, 2) points (asked at a few steps)."""

    at: Callable[[int], np.ndarray]


def place(point, marks: Marks, j: int = 0) -> None:
    """Move the one-point artist ``point`` where ``marks`` put it at step ``j``, with its marker
    (a view's ``update`` and its ``tracks`` share one rule this way)."""
    ((x, y),) = marks.data[j]
    point.set_data([x], [y])
    point.set_marker(marks.markers[marks.marker[j]])


def grown(values: np.ndarray, k: np.ndarray) -> Prefix:
    """The path through ``values`` (N, 2) as `gdviz.views.base.trail` draws it at snapshots
    ``k``: every point up to each, or for a path longer than `TRAIL` an even thinning."""
    n = len(values)
    stride = 1 if n <= TRAIL else -(-n // TRAIL)
    k = np.asarray(k, dtype=np.int64)
    return Prefix(values[::stride], -(-k // stride), values[k])


EDGE_INSET = 0.025  # of the axis: how far inside the edge an off-view triangle sits


def edge_marks(xy: np.ndarray, xlim, ylim) -> Marks:
    """The current point at each of ``xy`` (S, 2): itself inside the box, else a triangle on
    the edge where it left, pointing the way it went (a run never vanishes without a trace)."""
    (x0, x1), (y0, y1) = xlim, ylim
    x, y = xy[:, 0], xy[:, 1]
    # Where the line from the view's centre to the point crosses the edge, just inside it (on
    # the edge the axes would clip half the triangle away).
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (0.5 - EDGE_INSET) * (x1 - x0), (0.5 - EDGE_INSET) * (y1 - y0)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        inside = np.isfinite(x) & np.isfinite(y) & (x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1)
        dx = np.nan_to_num(x, posinf=1e300, neginf=-1e300) - cx
        dy = np.nan_to_num(y, posinf=1e300, neginf=-1e300) - cy
        tx, ty = hx / np.abs(dx), hy / np.abs(dy)
        across = tx <= ty  # left through a side, else through the top or bottom
        t = np.minimum(tx, ty)
        px = np.where(inside, x, cx + t * dx)
        py = np.where(inside, y, cy + t * dy)
    marker = np.where(
        inside, 0, np.where(across, np.where(dx > 0, 1, 2), np.where(dy > 0, 3, 4))
    ).astype(np.uint8)
    return Marks(np.stack([px, py], axis=-1)[:, None, :], marker, ("o", ">", "<", "^", "v"))
