"""Loss surfaces on grids, in one vectorised numpy pass, and where their minima are."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gdviz.errors import GdvizError
from gdviz.problems.formulas import LOSSES, columns_of, features, model_input, model_of
from gdviz.run.record import Run

# Grid points x data points evaluated at once: bounds memory. 32 MB temporaries (4M elements)
# were mapped afresh by each first call, making the first 200x200 MAE grid 160-260 ms; with
# 8 MB ones it takes about 30 ms.
CHUNK = 1_000_000
# Evenly spaced levels whose lowest band covers more than BOWL bands' fair share of the grid leave
# the bowl one flat colour (the moons' plane: 16% of it, against 6% a band); equal-area levels
# take their place, mixed with this share of the even ones so that they always rise.
BOWL = 2.0
EVEN_SHARE = 0.02


def loss_function(run: Run) -> Callable[[np.ndarray], np.ndarray]:
    """The run's loss as a function of parameter arrays shaped (P, ...), numpy only.

    For the MSE (and RMSE) of the built-in models, which are linear in their parameters, the
    loss is the quadratic form θᵀ(AᵀA/n)θ − 2θᵀ(Aᵀy/n) + yᵀy/n: a grid costs O(grid · P²)
    whatever the number of data points.
    """
    fn = run.problem.function
    if fn is not None:
        return fn.f
    model, loss = run.problem.model, run.problem.loss
    x = model_input(model, run.x, len(run.param_names))
    if loss not in LOSSES or x is None or run.y is None:
        raise GdvizError(
            f"the loss surface of run {run.label!r} is unknown: it needs data with the model "
            "and loss (Recorder.to_run(x=..., y=..., model=..., loss=...)), or a run from train"
        )
    y = run.y
    if loss in ("mse", "rmse"):
        a = features(model, x)
        gram, cross, yy = a.T @ a / len(x), a.T @ y / len(x), y @ y / len(x)

        def quadratic(p):
            p = np.asarray(p, dtype=float)
            mse = np.einsum("i...,ij,j...->...", p, gram, p) - 2 * np.tensordot(cross, p, 1) + yy
            mse = np.maximum(mse, 0.0)  # rounding can dip below zero at an exact fit
            return mse if loss == "mse" else np.sqrt(mse)

        return quadratic

    predict, loss_fn = model_of(model, columns_of(x)).predict, LOSSES[loss]

    def direct(p):
        p = np.asarray(p, dtype=float)
        flat = p.reshape(len(p), -1)
        out = np.empty(flat.shape[1])
        step = max(1, CHUNK // len(x))
        for start in range(0, flat.shape[1], step):
            block = flat[:, start : start + step, None]
            out[start : start + step] = loss_fn(predict(block, x), y)
        return out.reshape(p.shape[1:])

    return direct


def minima(run: Run) -> np.ndarray:
    """Known minima of the run's loss, shape (k, P): the least-squares solution for a linear
    model under MSE or RMSE, a test function's known minima; empty when none is known."""
    fn = run.problem.function
    if fn is not None:
        return np.array(fn.minima, dtype=float).reshape(-1, len(fn.variables))
    model, loss = run.problem.model, run.problem.loss
    x = model_input(model, run.x, len(run.param_names))
    if loss in ("mse", "rmse") and x is not None and run.y is not None:
        a = features(model, x)
        solution, *_ = np.linalg.lstsq(a, run.y, rcond=None)
        return solution[None, :]
    return np.empty((0, run.params.shape[1]))


def one_column(x: np.ndarray | None) -> np.ndarray | None:
    """Data of one input column as a 1-D array ((n,) or (n, 1)); None for more columns."""
    if x is None:
        return None
    if x.ndim == 1:
        return x
    if x.ndim == 2 and x.shape[1] == 1:
        return x[:, 0]
    return None


def grid(f: Callable, xlim, ylim, *, n: int = 200):
    """``f`` on an n x n grid over ``xlim`` x ``ylim`` (its argument stacked (2, n, n)): the
    axes' coordinates and the values."""
    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    with np.errstate(all="ignore"):
        values = np.asarray(f(np.stack(np.meshgrid(xs, ys))), dtype=float)
    return xs, ys, values


def levels(values: np.ndarray, count: int = 18) -> tuple[np.ndarray, bool]:
    """Contour levels that read in the bowl and on the walls: log-spaced where the values
    span decades, else evenly spaced. Returns the levels and whether they are logarithmic."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        raise GdvizError("the loss is not finite anywhere in the picture: nothing to draw")
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1e-300):
        # A flat surface (a constant formula): levels around its one value, one colour.
        half = max(abs(lo), 1.0) * 0.01
        return np.linspace(lo - half, hi + half, 3), False
    # The lowest log level encloses 1% of the grid: levels below it would ring regions
    # narrower than a grid cell (the floor of Rosenbrock's valley) and draw as dotted noise.
    floor = max(lo, float(np.quantile(finite, 0.01)))
    if lo > 0 and hi / floor > 100:
        return np.geomspace(floor, hi, count), True
    even = np.linspace(lo, hi, count)
    if (finite < even[1]).mean() > BOWL / (count - 1):
        # A wide flat bowl (or steep walls): evenly spaced, its floor is one band. Levels that
        # split the grid into bands of equal area resolve it, with a little of the even spacing
        # so that they always rise (a plateau's quantiles tie).
        equal = np.quantile(finite, np.linspace(0, 1, count))
        return (1 - EVEN_SHARE) * equal + EVEN_SHARE * even, False
    return even, False


def fill_levels(values: np.ndarray, lv: np.ndarray, most: int = 12) -> np.ndarray:
    """Log levels ``lv`` continued down toward the grid's minimum at the same ratio, for the
    filled contours: the lines stop at the 1% quantile, but the colours go on shading the valley
    floor (Rosenbrock's) instead of leaving it one flat band. At most ``most`` more levels."""
    finite = values[np.isfinite(values) & (values > 0)]
    if len(lv) < 2 or not len(finite):
        return lv
    ratio = lv[1] / lv[0]
    below = math.log(lv[0] / finite.min()) / math.log(ratio)
    extra = min(most, math.ceil(below - 1e-9)) if below > 0 else 0
    return np.concatenate([lv[0] * ratio ** -np.arange(extra, 0, -1.0), lv])
