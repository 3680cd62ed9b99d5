"""The dashboard: fit, loss surface and loss curve side by side, moving together."""

from __future__ import annotations

from matplotlib.figure import Figure

from gdviz.run import Run
from gdviz.views.base import View
from gdviz.views.contour import ContourView
from gdviz.views.fit import FitView
from gdviz.views.loss import LossView

SIZE = (1280, 440)  # pixels, when the caller gives none: three panels need the width


def panels(runs: list[Run]) -> list[type[View]]:
    """The views a dashboard of ``runs`` shows: no fit panel for runs without data."""
    has_data = all(r.x is not None and r.y is not None for r in runs)
    return [FitView, ContourView, LossView] if has_data else [ContourView, LossView]


def build(fig: Figure, runs: list[Run]) -> list[View]:
    """Lay out the dashboard's panels in one row of ``fig`` and draw each at step 0."""
    kinds = panels(runs)
    views = [kind(runs) for kind in kinds]  # compute everything before drawing anything
    # Extra room between panels, so the contour's colour bar label stands clear of the next
    # panel's axis label.
    axes = fig.subplots(
        1,
        len(views),
        width_ratios=[1.0 if v.name != "contour" else 1.2 for v in views],
        gridspec_kw={"wspace": 0.08},
    )
    return [view.plot(ax, step=0) for view, ax in zip(views, axes)]
