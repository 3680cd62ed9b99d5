"""The grid of a landscape around recorded paths, stored in the runs: the exact surface of one or
two parameters, or the loss over a plane of three or more with each path's shadow on it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from gdviz.run.frames import pick_steps
from gdviz.run.landscape import SURFACE, Landscape
from gdviz.run.plane import Plane, hessian_plane, make_plane, region
from gdviz.run.record import Run
from gdviz.training.curvature import top_eigenpairs
from gdviz.training.landscape.schedule import digest

RESOLUTION = {1: 400, 2: 101, 3: 41}  # grid points a side, by dimension (3: any plane)
PATH_POINTS = 1000  # snapshots whose loss on the plane is evaluated; more are thinned evenly


def axis(lo: float, hi: float, points: int) -> np.ndarray:
    """``points`` evenly spaced from ``lo`` to ``hi``; an axis symmetric about zero holds zero
    exactly at its middle where ``points`` is odd (the model a plane is centred on)."""
    out = np.linspace(lo, hi, points)
    if points % 2 and np.isclose(lo, -hi, rtol=1e-12, atol=0.0):
        out[points // 2] = 0.0
    return out


def named(normalization: str | None) -> str:
    """A random plane's normalization as the run file names it (None: ``"none"``)."""
    return "none" if normalization is None else normalization


def attach(
    runs: Sequence[Run],
    loss_at,
    *,
    plane: str = "pca",
    shapes: Sequence[tuple[int, ...]] | None = None,
    box: Sequence[tuple[float, float]] | None = None,
    seed: int = 0,
    on_plane: Callable[[Plane], Callable] | None = None,
    resolution: int | None = None,
    normalization: str | None = "filter",
    sampling: tuple[int | None, int | None] = (None, None),
    cache=None,
    weights: str = "",
) -> None:
    """Compute one landscape for ``runs`` (drawn together) and store it in each run's extras.

    ``loss_at`` is an `Evaluator` or a `DataLoss`: the loss at parameter vectors. One or two
    parameters: the loss over ``box`` (default: around the paths), keys ``surface_x`` (,
    ``surface_y``) and ``surface_loss``. Three or more: the loss over the ``plane`` (``"pca"``,
    ``"random"``, ``"endpoints"``; ``box`` then in plane coordinates, the random directions
    scaled by ``normalization``; ``"hessian"``: `curvature_plane`) on ``resolution`` points a
    side, keys ``plane_*``, with each run's own ``plane_path_loss`` at the snapshots
    ``plane_path_step``. ``on_plane`` makes a faster evaluator of plane coordinates for a
    plane, where the model allows one (see `first_layer_shortcut`). ``sampling`` is (samples, examples) where the data was subsampled.
    ``cache`` (a `DataLoss`'s) keeps finished points for the model of digest ``weights``.
    """
    dim = runs[0].params.shape[1]
    if dim <= 2:
        bounds = list(box) if box is not None else region([r.params for r in runs], runs)
        axes = [np.linspace(lo, hi, RESOLUTION[dim]) for lo, hi in bounds]
        grid = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, dim)
        values = loss_at(grid, label="loss surface").reshape([len(a) for a in axes][::-1])
        surface = Landscape(
            kind=SURFACE,
            origin=np.zeros(dim),
            directions=np.eye(dim),
            a=axes[0],
            b=axes[1] if dim == 2 else None,
            loss=values,
        )
        for run in runs:
            surface.store(run.extras, run.meta)
        return

    paths = [r.params for r in runs]
    if plane == "hessian":
        flat = curvature_plane(loss_at, paths, seed=seed)
    else:
        flat = make_plane(plane, paths, shapes=shapes, seed=seed, normalization=normalization)
    coords = [flat.project(r.params) for r in runs]
    if cache is not None:
        loss_at.use_cache(cache, weights=weights, plane=digest(flat.origin, flat.dirs))
    if box is None:
        box = region(coords, runs, kind=flat.kind)
    a, b = (axis(lo, hi, resolution or RESOLUTION[3]) for lo, hi in box)
    grid = np.stack(np.meshgrid(a, b), axis=-1).reshape(-1, 2)
    if on_plane is not None:  # a function of plane coordinates itself: nothing to lift
        evaluate = functools.partial(on_plane(flat).measured, lift=None)
    else:
        evaluate = functools.partial(loss_at.measured, lift=flat.lift)

    values, stderr = evaluate(grid, label="loss on the plane", section="grid")
    samples, examples = sampling
    for i, (run, xy) in enumerate(zip(runs, coords)):
        steps = np.arange(len(xy))
        if len(steps) > PATH_POINTS:
            steps = pick_steps([run], PATH_POINTS)
        along, _ = evaluate(xy[steps], label="loss along the path", section=f"path {i}")
        found = Landscape(
            kind=flat.kind,
            origin=flat.origin,
            directions=flat.dirs,
            a=a,
            b=b,
            loss=values.reshape(len(b), len(a)),
            explained=flat.explained,
            path_loss=along,
            path_step=steps,
            samples=samples,
            stderr=None if stderr is None else stderr.reshape(len(b), len(a)),
            examples=examples,
            normalization=named(normalization) if flat.kind == "random" else None,
            curvatures=flat.curvatures,
        )
        found.store(run.extras, run.meta)


def curvature_plane(loss_at, paths, *, seed: int = 0) -> Plane:
    """The plane through the first path's end spanned by the top two eigenvectors of the
    Hessian of ``loss_at`` (an `Evaluator` or a `DataLoss`) there: exact up to
    `gdviz.training.curvature.EXACT` parameters, by Lanczos beyond."""
    origin = np.array(paths[0][-1], dtype=float)
    product = loss_at.hessian_product(origin)
    values, vectors = top_eigenpairs(product, len(origin), 2, seed=seed)
    return hessian_plane(origin, vectors, values, paths)
