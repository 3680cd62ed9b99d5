"""The views: each draws runs onto an Axes once and moves only what changes from frame to frame.

No view imports torch: views read a `Run`'s numpy arrays and nothing else.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from gdviz.errors import GdvizError
from gdviz.run import Run
from gdviz.views import dashboard
from gdviz.views.base import View
from gdviz.views.contour import ContourView
from gdviz.views.fit import FitView
from gdviz.views.loss import LossView
from gdviz.views.surface3d import SurfaceView

VIEWS: dict[str, type[View]] = {
    "fit": FitView,
    "contour": ContourView,
    "loss": LossView,
    "surface": SurfaceView,
}
NAMES = (*VIEWS, "dashboard")

__all__ = ["NAMES", "VIEWS", "ContourView", "FitView", "LossView", "SurfaceView", "View", "build"]


def build(fig: Figure, runs: list[Run], name: str) -> list[View]:
    """Lay out the view called ``name`` on ``fig`` and draw it at step 0."""
    if name not in NAMES:
        raise GdvizError(f"unknown view {name!r}: use one of {', '.join(NAMES)}")
    if name == "dashboard":
        return dashboard.build(fig, runs)
    view = VIEWS[name](runs)
    ax = fig.add_subplot(projection="3d") if name == "surface" else fig.add_subplot()
    return [view.plot(ax, step=0)]
