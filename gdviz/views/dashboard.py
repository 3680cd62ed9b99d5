"""The dashboard: fit, loss surface and loss curve side by side, moving together."""

from __future__ import annotations

from matplotlib.figure import Figure

from gdviz.run.record import Run
from gdviz.views.base import View
from gdviz.views.contour import ContourView
from gdviz.views.fit import FitView, can_draw
from gdviz.views.loss import LossView


def panels(runs: list[Run]) -> list[type[View]]:
    """The views a dashboard of ``runs`` shows: no fit panel where it cannot be drawn (no data,
    more than two input columns, a network whose predictions were not stored)."""
    fits = all(can_draw(r) for r in runs)
    return [FitView, ContourView, LossView] if fits else [ContourView, LossView]


def build(fig: Figure, runs: list[Run], *, internals: bool = False) -> list[View]:
    """Lay out the dashboard's panels on ``fig`` and draw each at step 0.

    On a wide figure (twice as wide as tall, like the default 1280x440) the panels share one
    row. On a narrower one three panels would each be too thin to read, so the fit and the
    contour share the top row and the loss curve runs along the bottom.
    """
    kinds = panels(runs)
    # Compute everything before drawing anything.
    views = [
        kind(runs, internals=internals) if kind is ContourView else kind(runs) for kind in kinds
    ]
    width, height = fig.get_size_inches()
    # Extra room between panels, so the contour's colour bar label stands clear of the next
    # panel's axis label.
    if len(views) == 3 and width < 2 * height:
        grid = fig.add_gridspec(2, 2, height_ratios=[1.7, 1.0], wspace=0.08, hspace=0.08)
        axes = [
            fig.add_subplot(grid[0, 0]),
            fig.add_subplot(grid[0, 1]),
            fig.add_subplot(grid[1, :]),
        ]
    else:
        ratios = [1.2 if v.name == "contour" else 1.0 for v in views]
        grid = fig.add_gridspec(1, len(views), width_ratios=ratios, wspace=0.08)
        axes = [fig.add_subplot(grid[0, i]) for i in range(len(views))]
    return [view.plot(ax, step=0) for view, ax in zip(views, axes)]
