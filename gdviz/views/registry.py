"""The views by name: build one onto a figure, with what ``show=`` adds checked first."""

from __future__ import annotations

from matplotlib.figure import Figure

from gdviz.errors import GdvizError
from gdviz.run.line import is_line
from gdviz.run.record import Run
from gdviz.views import dashboard, fit, planes, terrain
from gdviz.views.base import View
from gdviz.views.contour import ContourView
from gdviz.views.fit import FitView
from gdviz.views.line import LineView
from gdviz.views.loss import LossView
from gdviz.views.matrix import MatrixView
from gdviz.views.names import NAMES, SHOWN, misplaced
from gdviz.views.surface3d import SurfaceView

VIEWS: dict[str, type[View]] = {
    "fit": FitView,
    "contour": ContourView,
    "loss": LossView,
    "surface": SurfaceView,
    "interpolation": LineView,
    "matrix": MatrixView,
}


def own_view(runs: list[Run]) -> tuple[str, str] | None:
    """The view that draws runs of a kind of their own, and why, or None: an interpolation's
    (`gdviz.interpolate`), and the contour view for models on a plane without a path
    (`gdviz.landscape`)."""
    if all(is_line(r.meta) for r in runs):
        return "interpolation", "the run is an interpolation between two models"
    if planes.pathless(runs):
        return "contour", "the run is a landscape around models, with no path"
    return None


def default_view(runs: list[Run]) -> tuple[str, str | None]:
    """The view drawn when none is named, and why it is not the fit view (None where it is):
    the view of their own for runs that have one (`own_view`), else the fit view where it can
    draw every run, else the dashboard of contour and loss, or the loss view alone where no
    loss surface is known."""
    own = own_view(runs)
    if own is not None:
        return own
    why = next((said for r in runs if (said := fit.refusal(r)) is not None), None)
    if why is None:
        return "fit", None
    if all(terrain.known(r) for r in runs):
        return "dashboard", why
    return "loss", why


def build(fig: Figure, runs: list[Run], name: str, show=()) -> list[View]:
    """Lay out the view called ``name`` on ``fig`` and draw it at step 0, with what ``show``
    names: ``"internals"`` (the contour view's optimiser vectors), ``"curvature"`` (the loss
    view's sharpness, which every run must have recorded)."""
    if name not in NAMES:
        raise GdvizError(f"unknown view {name!r}: use one of {', '.join(NAMES)}")
    show = check_show(show, name, runs)
    if name != "interpolation" and any(is_line(r.meta) for r in runs):
        raise GdvizError(
            "an interpolation between two models is drawn by view='interpolation', alone or "
            "with other interpolations"
        )
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
        if name not in SHOWN[what]:
            raise GdvizError(f"{misplaced(what)}: use view={SHOWN[what][0]!r} or 'dashboard'")
    if "curvature" in show:
        for run in runs:
            if run.sharpness is None:
                raise GdvizError(
                    f"run {run.label!r} recorded no sharpness: train it with curvature=True "
                    "(--show curvature)"
                )
    return show
