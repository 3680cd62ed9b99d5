"""What every view shares: the colours, the Display pattern, and reading a run at a step.

A view follows scikit-learn's Display objects: the constructor takes the runs and computes what
drawing needs (limits, grids) once; ``plot(ax)`` draws onto an Axes and keeps the artists it made
(``ax_``, ``figure_``, and the moving ones in ``moving_``); ``update(step)`` moves those artists to
a snapshot and returns them, so an animation redraws only what moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gdviz.errors import GdvizError
from gdviz.run import Run

# Okabe & Ito's colour-blind-safe palette (blue, vermilion, green, purple, orange, sky, black).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DATA_COLOR = "#555555"


def as_runs(run_or_runs) -> list[Run]:
    """A run or a sequence of runs, as a non-empty list of runs."""
    runs = [run_or_runs] if isinstance(run_or_runs, Run) else list(run_or_runs)
    if not runs:
        raise GdvizError("nothing to draw: no runs given")
    for r in runs:
        if not isinstance(r, Run):
            raise GdvizError(f"expected gdviz Run objects, got {type(r).__name__}")
    return runs


def at(run: Run, step: int) -> int:
    """The snapshot of ``run`` shown at ``step``: a run that ended early stays at its last one."""
    return min(step, len(run.loss) - 1)


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def padded(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
    """The interval [lo, hi] widened by ``pad`` of its width on each side (never empty)."""
    width = hi - lo
    if not np.isfinite(width) or width <= 0:
        width = max(abs(lo), 1.0)
    return lo - pad * width, hi + pad * width


# Where a legend may go, in order of preference, each with the part of the axes it would
# cover (x0, x1, y0, y1 in axes fractions; a legend of a few entries, with room to spare).
LEGEND_PLACES = {
    "upper right": (0.6, 1.0, 0.6, 1.0),
    "upper left": (0.0, 0.4, 0.6, 1.0),
    "lower left": (0.0, 0.4, 0.0, 0.4),
    "lower right": (0.6, 1.0, 0.0, 0.4),
    "center left": (0.0, 0.4, 0.3, 0.7),
    "center right": (0.6, 1.0, 0.3, 0.7),
    "lower center": (0.3, 0.7, 0.0, 0.4),
    "upper center": (0.3, 0.7, 0.6, 1.0),
}


def legend_place(ax: Axes, points, avoid=()) -> str:
    """Where in ``ax`` a legend covers least, as a ``loc`` for `Axes.legend`: the fewest of
    ``points`` (data coordinates, shape (N, 2): everything the run will draw) and none of
    ``avoid`` (markers that must stay visible). Set the limits and scales first.

    Moving artists are drawn over the legend, so a legend placed where a path will pass has
    the path crossing its text; ``loc="best"`` cannot help, as it sees only the current frame.
    """
    to_axes = ax.transScale + ax.transLimits

    def hits(pts, place):
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if not len(pts):
            return np.zeros(0, dtype=bool)
        x, y = to_axes.transform(pts).T
        x0, x1, y0, y1 = LEGEND_PLACES[place]
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)

    # A share of the path (at most 1) weighs less than one marker to keep clear.
    scores = []
    for place in LEGEND_PLACES:
        on_path = hits(points, place)
        scores.append((on_path.mean() if on_path.size else 0.0) + 2.0 * hits(avoid, place).sum())
    return list(LEGEND_PLACES)[int(np.argmin(scores))]


def new_axes(figsize=(6.4, 4.8), dpi=100) -> Axes:
    """An Axes on a fresh pyplot-free Figure, for ``plot()`` called without ``ax``."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    return fig.add_subplot()


class View:
    """Base class of the views: draws runs onto an Axes and moves them step by step."""

    name = "view"

    def __init__(self, run_or_runs):
        self.runs: list[Run] = as_runs(run_or_runs)
        self.ax_: Axes | None = None
        self.figure_: Figure | None = None
        self.moving_: list[Artist] = []

    @property
    def last_step(self) -> int:
        return max(len(r.loss) for r in self.runs) - 1

    def plot(self, ax: Axes | None = None, *, step: int | None = None) -> View:
        """Draw the view onto ``ax`` (a new figure if None) at ``step`` (default: the last)."""
        ax = new_axes() if ax is None else ax
        self.ax_, self.figure_ = ax, ax.figure
        self.moving_ = list(self._draw(ax))
        # Blitting draws the moving artists over everything static, so the static artists that
        # could overlap them (the legend above all) sit below them in a full redraw as well:
        # every frame is then the same picture whichever way it is drawn.
        lowest = min(a.get_zorder() for a in self.moving_)
        legend = ax.get_legend()
        if legend is not None:
            legend.set_zorder(min(legend.get_zorder(), lowest - 0.5))
        self.update(self.last_step if step is None else step)
        return self

    def update(self, step: int) -> Sequence[Artist]:
        """Move the artists to snapshot ``step``; return the artists that changed."""
        raise NotImplementedError

    def _draw(self, ax: Axes) -> Sequence[Artist]:
        """Draw the static parts once; create and return the moving artists."""
        raise NotImplementedError
