"""The views by name and what ``show=`` adds to which of them: plain data, no matplotlib, so the
command line checks its options with the same rules before anything heavy loads."""

from __future__ import annotations

NAMES = ("fit", "contour", "loss", "surface", "dashboard", "interpolation", "matrix")
# What show= adds, and the views that draw it (the first is the one drawn when no view is named).
SHOWN = {"internals": ("contour", "dashboard"), "curvature": ("loss", "dashboard")}
WHAT = {"internals": "the optimiser's internals", "curvature": "the sharpness"}


def drawn_on(show) -> str | None:
    """The view that draws everything ``show`` names, where no view is named: the first in
    `NAMES` that draws them all (None for nothing shown)."""
    if not show:
        return None
    return next(name for name in NAMES if all(name in SHOWN[what] for what in show))


def misplaced(what: str) -> str:
    """Where ``what`` is drawn, said when a view that does not draw it is asked for."""
    return f"{WHAT[what]} are drawn on the {SHOWN[what][0]} view or the dashboard"
