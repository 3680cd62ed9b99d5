"""Has a run converged? One line that says so when it has not, and what to try.

Two signs are read from the recorded loss: growth by orders of magnitude that never overflowed
(a rate past stability that `diverged_at` cannot catch), and a run that stopped far from where
it was heading, measured against the best reachable loss where that is known (least squares,
for the built-in models under squared error) and against its own late progress elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from gdviz.problems.formulas import MODELS, features, mse_hessian
from gdviz.run.record import Run

GROWTH = 1e3  # a loss this many times its start has run away
RISEN = 2.0  # a full-batch run that ends at this many times its start loss went the wrong way
SHORT_OF = 0.01  # a run short of the best loss by more than this share of its start is far off
PARAMS_OFF = 0.05  # ... as is one whose parameters are this share of their way still to go
STILL_FALLING = 0.05  # ... and one whose last tenth fell by this share of its whole descent
ILL_CONDITIONED = 100.0  # curvature ratio from which standardising the columns is the cure


def reachable(run: Run) -> tuple[float, np.ndarray | None] | None:
    """The least loss the run's model can reach on its data and the parameters that reach it,
    where known: least squares, for a built-in model (linear in its parameters) under MSE or
    RMSE. The parameters are None where many reach it (a single x: any line through the point)."""
    model, loss = run.problem.model, run.problem.loss
    if model not in MODELS or loss not in ("mse", "rmse") or run.x is None or run.x.ndim != 1:
        return None
    a = features(model, run.x)
    solution, _, rank, _ = np.linalg.lstsq(a, run.y, rcond=None)
    mse = float(np.mean((a @ solution - run.y) ** 2))
    unique = rank == a.shape[1]
    return (mse if loss == "mse" else math.sqrt(mse)), (solution if unique else None)


def note(run: Run) -> str | None:
    """One line on a run that has not converged, or whose loss ran away; None for one that is
    fine (or that diverged, which is said on its own)."""
    loss = run.full_loss if run.full_loss is not None else run.loss
    if run.diverged_at is not None or len(loss) < 3 or not np.isfinite(loss).all():
        return None
    first, last, peak = float(loss[0]), float(loss[-1]), float(loss.max())
    steps = len(loss) - 1
    if first > 0 and peak > GROWTH * first and last > 10 * first:
        orders = math.log10(peak / first)
        return (
            f"the loss grew from {first:.4g} to {peak:.4g} ({orders:.0f} orders of magnitude) "
            f"without overflowing: the learning rate is too large{_stable_below(run)}; "
            "try a smaller lr"
        )
    known = reachable(run)
    best = None
    if run.training.batch_size:
        return _minibatch_note(run, loss, known)
    if first > 0 and last > RISEN * first:  # not yet orders of magnitude, but the wrong way
        return (
            f"the loss rose from {first:.4g} to {last:.4g} in {steps} steps: the learning rate "
            f"is too large{_stable_below(run)}; try a smaller lr"
        )
    if known is not None:
        best, solution = known
        # Far off in loss, or in the parameters: along a shallow direction the loss hardly
        # changes while the line is plainly wrong (diabetes: b = -63 for -118, loss 2% high).
        floor = 1e-9 * max(abs(best), abs(first), 1e-300)
        loss_gap = last - best > max(SHORT_OF * max(first - best, 0.0), floor)
        start, end = run.params[0], run.params[-1]
        param_gap = solution is not None and np.linalg.norm(end - solution) > PARAMS_OFF * max(
            np.linalg.norm(start - solution), 1e-12
        )
        if not (loss_gap or param_gap):
            return None
        where = f"loss {last:.4g}, least squares reaches {best:.4g}"
        if solution is not None:
            # The parameter furthest from its goal, for the scale of its own journey.
            scale = np.maximum(np.maximum(np.abs(solution), np.abs(start - solution)), 1e-12)
            worst = int(np.argmax(np.abs(end - solution) / scale))
            name = run.param_names[worst]
            where += f" ({name} = {end[worst]:.4g}, where least squares has {solution[worst]:.4g})"
    else:
        tail = loss[-max(2, len(loss) // 10) :]
        descent = first - float(loss.min())
        if descent <= 0 or tail[0] - tail[-1] <= STILL_FALLING * descent:
            return None
        where = f"loss {last:.4g}, still falling ({tail[0] - tail[-1]:.3g} in the last {len(tail) - 1} steps)"
    return f"not converged after {steps} steps: {where}; {_advice(run, best)}"


def _minibatch_note(run: Run, loss: np.ndarray, known) -> str | None:
    """Minibatches keep a run moving around the minimum: judge its late average, and suggest
    what settles noise, not more of it."""
    tail = loss[-max(2, len(loss) // 10) :]
    settled = float(np.mean(tail))
    first = float(loss[0])
    if known is not None:
        best = known[0]
        if settled - best <= 0.1 * max(first - best, 0.0):
            return None
        where = f"its loss averages {settled:.4g} late on, and least squares reaches {best:.4g}"
    else:
        descent = first - float(loss.min())
        if descent <= 0 or tail[0] - tail[-1] <= STILL_FALLING * descent:
            return None
        where = f"loss {float(loss[-1]):.4g}, still falling"
    cure = _advice(run, known[0] if known is not None else None)
    if "standardize" not in cure:
        cure = (
            "its minibatches keep it moving: decay the rate (--schedule cosine), use bigger "
            "batches, or train longer"
        )
    return f"not converged after {len(loss) - 1} steps: {where}; {cure}"


def _hessian(run: Run) -> np.ndarray | None:
    """The constant Hessian 2 AᵀA / n of a built-in model's MSE, in its parameters."""
    model = run.problem.model
    if model not in MODELS or run.x is None or run.x.ndim != 1:
        return None
    return mse_hessian(model, run.x)


def _stable_below(run: Run) -> str:
    hessian = _hessian(run)
    if hessian is None or run.problem.loss != "mse" or run.training.optimizer not in ("gd", "sgd"):
        return ""
    top = np.linalg.eigvalsh(hessian)[-1]
    return f" (gradient descent is stable below 2/L = {2 / top:.3g} here)"


def _advice(run: Run, best: float | None) -> str:
    hessian = _hessian(run)
    if hessian is not None and best is not None and run.problem.standardized is None:
        eigen = np.linalg.eigvalsh(hessian)
        ratio = eigen[-1] / max(eigen[0], 1e-300)
        if ratio > ILL_CONDITIONED:
            lo, hi = float(run.x.min()), float(run.x.max())
            return (
                f"x runs from {lo:.4g} to {hi:.4g}, so the parameters need rates {ratio:.2g} "
                "times apart: try standardize=True (--standardize)"
            )
    steps = len(run.loss) - 1
    return f"try more steps (--steps {10 * steps}) or a larger learning rate"
