"""What the page needs to start runs of its own: the formula as data, the rates, and where its
panels are.

A page of a two-parameter formula (one the user typed, or a named test function, which gdviz also
holds as a formula: `TestFunction.expression`) carries the parsed formula as nested lists
(`Expression.tree`). The page's script (``descent.js``) evaluates it, takes its gradient and
applies torch.optim's updates in the browser, rounding as torch's float32 does, so that a run
started by a click is the run ``gdviz.train(formula, init=..., optimizer=..., lr=...)`` makes.
Any other problem (data, a network, a Python function) only torch can evaluate: the page says
that re-running needs Python.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gdviz.export.encoding import canvas_map
from gdviz.problems.expression import Expression
from gdviz.problems.optimizers import OPTIMIZERS, default_lr
from gdviz.run.plane import central_hessian

# The optimisers the page runs, each as gdviz.train runs it (torch.optim's defaults), and the
# β its control sets: SGD's momentum, Adam's first β.
IN_PAGE = ("gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
BETAS = {"momentum": 0.9, "nesterov": 0.9, "adam": 0.9}
MAX_STEPS = 10_000  # the steps control's default at most (a recorded run may be longer)


class Formula(NamedTuple):
    """The formula the runs minimised, and how the page should compute with it."""

    expression: Expression
    single: bool  # recorded in float32 (torch's default dtype): the page rounds as float32 does
    rates: dict[str, float]  # each optimiser's default rate on this problem
    start: tuple[float, float]  # the first run's start
    steps: int  # the first run's number of steps (at most MAX_STEPS)


def formula_of(runs) -> tuple[Formula | None, str | None]:
    """The runs' formula, or None and why the page cannot re-run them (one line for its note)."""
    problem = runs[0].problem
    if not problem.is_function:
        return None, (
            "Re-running from a click needs Python: this loss comes from data and a model, "
            "which only torch evaluates (gdviz.train)."
        )
    fn = problem.function
    if fn is None or fn.expression is None:
        return None, (
            "Re-running from a click needs Python: the function minimised is Python code, "
            "which only Python evaluates (gdviz.train)."
        )
    if any(r.problem != problem for r in runs[1:]):
        return None, "Re-running from a click needs one problem: these runs minimised several."
    expression = Expression(fn.expression)
    if expression.variables != ("x", "y") or runs[0].params.shape[1] != 2:
        return None, "Re-running from a click is for formulas of two parameters, x and y."
    single = all(_float32(r.params) and _float32(r.loss) for r in runs)
    start = tuple(float(v) for v in runs[0].params[0])
    rates = _rates(runs, fn, expression, start)
    steps = min(int(runs[0].step_at(-1)), MAX_STEPS)
    return Formula(expression, single, rates, start, max(steps, 1)), None


def _float32(a: np.ndarray) -> bool:
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        return bool(np.array_equal(a.astype(np.float32).astype(np.float64), a, equal_nan=True))


def _rates(runs, fn, expression: Expression, start) -> dict[str, float]:
    """Each optimiser's rate: the one a run used, else the named function's classic one, else
    the fair default of a race (`default_lr`) from plain gradient descent's rate."""
    used = {}
    for run in runs:
        name, lr = run.training.optimizer, run.training.lr
        if name in OPTIMIZERS and lr is not None and name not in used:
            used[name] = float(lr)
    gd_lr = next(
        (lr / OPTIMIZERS[n].gd_factor for n, lr in used.items() if OPTIMIZERS[n].gd_factor),
        None,
    )
    if gd_lr is None and fn.name == "formula":
        gd_lr = _curvature_lr(expression, start)
    out = {}
    for name in IN_PAGE:
        if name in used:
            out[name] = used[name]
        elif fn.name != "formula":
            out[name] = float(fn.rate(name))
        else:
            out[name] = default_lr(name, gd_lr)
    return out


def _curvature_lr(expression: Expression, start) -> float:
    """1 / the largest |Hessian eigenvalue| at the start, to one digit (as the trainer chooses a
    formula's rate), from central differences: the page's default for plain gradient descent."""
    hessian = central_hessian(expression, np.asarray(start, dtype=float))
    with np.errstate(all="ignore"):
        top = (
            float(np.abs(np.linalg.eigvalsh(hessian)).max())
            if np.isfinite(hessian).all()
            else math.nan
        )
    return float(f"{1 / top:.1g}") if math.isfinite(top) and top > 1e-12 else 0.01


def panels(views, height: float) -> list[dict]:
    """Where the page draws a re-run: the contour of the two parameters (clicks start runs there)
    and the loss curve, each with its data-to-canvas mapping (matplotlib's, y down) and box."""
    out = []
    for view in views:
        ax = view.ax_
        if view.name == "contour" and view.dim == 2 and view.plane_ is None:
            kind = "contour"
        elif view.name == "loss" and ax.get_xscale() == "linear":
            kind = "loss"
        else:
            continue
        scales = [ax.get_xscale(), ax.get_yscale()]
        if any(s not in ("linear", "log") for s in scales):
            continue
        # matplotlib's transData is the scale (log10 here, in the page), then this affine map
        rows, clip = canvas_map(ax, height)
        out.append({"kind": kind, "scales": scales, "map": rows, "clip": clip})
    return out


def page_data(runs, views, height: float) -> tuple[dict | None, str | None]:
    """The page's ``rerun`` entry (None where it cannot re-run), and the note that says why not."""
    found, why = formula_of(runs)
    if found is None:
        return None, why
    where = panels(views, height)
    if not any(p["kind"] == "contour" for p in where) and not any(
        v.name == "surface" for v in views
    ):
        return None, None  # a loss curve alone: nowhere to click
    return {
        "tree": found.expression.tree(),
        "formula": found.expression.pretty,
        "single": found.single,
        "optimizers": list(IN_PAGE),
        "rates": found.rates,
        "betas": BETAS,
        "start": list(found.start),
        "steps": found.steps,
        "panels": where,
    }, None
