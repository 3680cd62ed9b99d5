"""The ground a path is drawn over: the loss surface of one or two parameters, or the plane of
three or more, with each run's path in its coordinates. Found once, by `Terrain.of`, and
drawn flat by the contour view and lifted by the 3-D view.

Four ways to find it, in one place: a landscape stored at training time (a network's, computed
with torch; `gdviz.run.landscape`), or computed here with numpy from the run's own model and
data or formula, each over the parameters (one or two) or over a plane (three or more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run.landscape import Landscape, of_models
from gdviz.run.plane import Plane, make_plane, region
from gdviz.run.record import Run
from gdviz.views import surface


@dataclass(frozen=True, eq=False)
class Terrain:
    """What the contour and 3-D views draw the paths over.

    ``xs`` (and ``ys``) are the grid's axes and ``values`` the loss on it (one parameter: the
    curve, ``values`` (len(xs),)); ``coords`` each run's path in the picture's coordinates
    (its parameters, or its projection on the ``plane``); ``minima`` the known minima there
    (k, dim); ``extent`` the (lo, hi) of each axis. On a plane, ``path_loss`` holds per run
    the snapshots whose shadow's loss is known (None: every one) and those losses, or None
    where that run's shadow was not evaluated.
    """

    dim: int
    xs: np.ndarray
    ys: np.ndarray | None
    values: np.ndarray
    coords: list[np.ndarray]
    minima: np.ndarray
    extent: list[tuple[float, float]]
    plane: Plane | None = None
    path_loss: list[tuple[np.ndarray | None, np.ndarray] | None] | None = None
    stored: Landscape | None = None  # the landscape training stored, where it did (marks, samples)

    @classmethod
    def of(cls, runs: Sequence[Run], *, resolution: int = 200) -> Terrain:
        """The terrain of ``runs`` (checked to be drawn together): stored where training
        stored one (the widest, when runs trained one by one each hold their own), else
        computed with numpy on a ``resolution``-point grid a side."""
        first = runs[0]
        dim = first.params.shape[1]
        held = [r.landscape for r in runs]  # read (and checked) once a run
        stored = _widest(held, plane=dim >= 3)
        if dim >= 3:
            if stored is not None:
                _one_plane_for_models(runs, held, stored)
                return _stored_plane(runs, held, stored)
            return _numpy_plane(runs, resolution)
        if stored is not None:
            return _stored_surface(runs, stored, dim)
        return _numpy_surface(runs, resolution, dim)

    def shadow_loss(self, i: int) -> np.ndarray | None:
        """On a plane, the loss at run ``i``'s shadow on it at every snapshot (between the
        snapshots evaluated, interpolated); None on an exact surface or where it is unknown."""
        if self.plane is None or not self.path_loss or self.path_loss[i] is None:
            return None
        steps, known = self.path_loss[i]  # steps None: every snapshot was evaluated
        if steps is None:
            return known
        return np.interp(np.arange(len(self.coords[i])), steps, known)


def known(run: Run) -> bool:
    """Whether a terrain of ``run`` can be found: stored at training time, or computed here
    from a formula, or from a built-in model, its data and a named loss."""
    if run.landscape is not None:
        return True
    try:
        surface.loss_function(run)  # the one rule for what numpy can compute
    except GdvizError:
        return False
    return True


def _one_plane_for_models(runs, held, stored: Landscape) -> None:
    """Models on planes of their own (`gdviz.landscape`, each around its model) are drawn
    apart: no one plane holds them all."""
    for run, own in zip(runs, held):
        if of_models(run.meta) and (own is None or not own.same_plane(stored)):
            raise GdvizError(
                f"{run.label!r} is a landscape on a plane of its own: draw each apart (or make "
                "one plane for them all with gdviz.landscape(through=...) or runs=[...])"
            )


def _widest(landscapes: list[Landscape | None], *, plane: bool) -> Landscape | None:
    held = [s for s in landscapes if s is not None and (s.plane is not None) == plane]
    if not held:
        return None
    return max(held, key=lambda s: np.prod([hi - lo for lo, hi in s.extent]))


def _box(runs, paths, extra, kind=None) -> list[tuple[float, float]]:
    """The run's own box (``box=`` when training) or one around the paths."""
    box = runs[0].problem.box
    if box is not None:
        return [tuple(b) for b in box]
    return region(paths, runs, extra=extra, kind=kind)


def _stored_surface(runs, stored: Landscape, dim: int) -> Terrain:
    return Terrain(
        dim=dim,
        xs=stored.a,
        ys=stored.b,
        values=stored.loss,
        coords=[r.params for r in runs],
        minima=np.empty((0, dim)),
        extent=stored.extent,
        stored=stored,
    )


def _stored_plane(runs, held: list[Landscape | None], stored: Landscape) -> Terrain:
    plane = stored.plane

    def on_this_plane(own: Landscape | None):
        if own is None or own.path_loss is None or not own.same_plane(stored):
            return None
        steps = np.arange(len(own.path_loss)) if own.path_step is None else own.path_step
        return np.asarray(steps), own.path_loss

    return Terrain(
        dim=runs[0].params.shape[1],
        xs=stored.a,
        ys=stored.b,
        values=stored.loss,
        coords=[plane.project(r.params) for r in runs],
        minima=np.empty((0, 2)),
        extent=stored.extent,
        plane=plane,
        path_loss=[on_this_plane(own) for own in held],
        stored=stored,
    )


def _numpy_surface(runs, resolution: int, dim: int) -> Terrain:
    first = runs[0]
    f = surface.loss_function(first)
    coords = [r.params for r in runs]
    minima = surface.minima(first)
    fn = first.problem.function
    if first.problem.box is None and fn is not None and fn.extent is not None:
        extent = list(fn.extent)  # the classic view: paths that leave it escape
    else:
        extent = _box(runs, coords, minima)
    if dim == 2:
        xs, ys, values = surface.grid(f, *extent, n=resolution)
    else:
        xs, ys = np.linspace(*extent[0], 400), None
        with np.errstate(all="ignore"):
            values = np.asarray(f(xs[None, :]), dtype=float)
    return Terrain(dim, xs, ys, values, coords, minima, extent)


def _numpy_plane(runs, resolution: int) -> Terrain:
    first = runs[0]
    f = surface.loss_function(first)
    kind = first.training.plane or "pca"
    paths = [r.params for r in runs]
    plane = make_plane(kind, paths, seed=first.training.seed or 0, loss=f)
    coords = [plane.project(p) for p in paths]
    mins = surface.minima(first)
    minima = plane.project(mins) if len(mins) else np.empty((0, 2))
    extent = _box(runs, coords, minima, kind)

    def on_plane(c):  # (2, n, n) plane coordinates -> loss
        return f(np.moveaxis(plane.lift(np.moveaxis(c, 0, -1)), -1, 0))

    xs, ys, values = surface.grid(on_plane, *extent, n=resolution)
    with np.errstate(all="ignore"):
        path_loss = [
            (None, np.asarray(f(plane.lift(c).T), dtype=float))  # None: every snapshot
            for c in coords
        ]
    return Terrain(first.params.shape[1], xs, ys, values, coords, minima, extent, plane, path_loss)
