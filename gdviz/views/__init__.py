"""The views: each draws runs onto an Axes once and moves only what changes from frame to frame.

No view imports torch: views read a `Run`'s numpy arrays and nothing else.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from gdviz.errors import GdvizError
from gdviz.run.record import Run
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

__all__ = [
    "NAMES",
    "SHOWN",
    "VIEWS",
    "ContourView",
    "FitView",
    "LossView",
    "SurfaceView",
    "View",
    "build",
    "check_show",
]


SHOWN = ("internals", "curvature")  # what ``show=`` may add


def build(fig: Figure, runs: list[Run], name: str, show=()) -> list[View]:
    """Lay out the view called ``name`` on ``fig`` and draw it at step 0, with what ``show``
    names: ``"internals"`` (the contour view's optimiser vectors), ``"curvature"`` (the loss
    view's sharpness, which every run must have recorded)."""
    if name not in NAMES:
        raise GdvizError(f"unknown view {name!r}: use one of {', '.join(NAMES)}")
    show = check_show(show, name, runs)
    if name == "dashboard":
        return dashboard.build(fig, runs, internals="internals" in show)
    if name == "contour":
        view = ContourView(runs, internals="internals" in show)
    else:
        view = VIEWS[name](runs)
    ax = fig.add_subplot(projection="3d") if name == "surface" else fig.add_subplot()
    return [view.plot(ax, step=0)]


def check_show(show, name: str, runs: list[Run]) -> tuple[str, ...]:
    """``show`` as a tuple of known names that the view ``name`` of ``runs`` can draw."""
    if isinstance(show, str):
        show = (show,)
    try:
        show = tuple(show)
    except TypeError:
        raise GdvizError(
            f"show must name what to add ({', '.join(SHOWN)}), not {show!r}"[:200]
        ) from None
    for what in show:
        if what not in SHOWN:
            raise GdvizError(f"cannot show {str(what)[:40]!r}: use one of {', '.join(SHOWN)}")
    if "internals" in show and name not in ("contour", "dashboard"):
        raise GdvizError("the optimiser's internals are drawn on the contour view (or dashboard)")
    if "curvature" in show:
        if name not in ("loss", "dashboard"):
            raise GdvizError("the sharpness is drawn on the loss view (or the dashboard)")
        for run in runs:
            if run.sharpness is None:
                raise GdvizError(
                    f"run {run.label!r} recorded no sharpness: train it with curvature=True "
                    "(--show curvature)"
                )
    return show
