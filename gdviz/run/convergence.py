"""Has a run converged? One line that says so when it has not, and what to try.

Two signs are read from the recorded loss: growth by orders of magnitude that never overflowed
(a rate past stability that `diverged_at` cannot catch), and a run that stopped far from where
it was heading, measured against the best reachable loss where that is known (least squares,
for the built-in models under squared error) and against its own late progress elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from gdviz.problems.formulas import features, model_input, mse_hessian
from gdviz.run.record import Run

GROWTH = 1e3  # a loss this many times its start has run away
RISEN = 1.0  # a full-batch run that ends above its start loss went the wrong way
SHORT_OF = 0.01  # a run short of the best loss by more than this share of its start is far off
PARAMS_OFF = 0.05  # ... as is one whose parameters are this share of their way still to go
STILL_FALLING = 0.05  # ... and one whose last tenth fell by this share of its whole descent
ILL_CONDITIONED = 100.0  # curvature ratio from which standardising the columns is the cure
AT_BASELINE = 0.01  # a loss within this share of the best constant prediction's is stuck there
PRECISION = 1e-6  # relative differences below this are float32's rounding, not a gap
SWINGS = 0.9  # a run whose last moves reverse the one before this often swings ...
SWING_GRADIENT = 0.01  # ... where its gradient is still this share of its largest


def reachable(run: Run) -> tuple[float, np.ndarray | None] | None:
    """The least loss the run's model can reach on its data and the parameters that reach it,
    where known: least squares, for a built-in model (linear in its parameters) under MSE or
    RMSE. The parameters are None where many reach it (a single x: any line through the point)."""
    model, loss = run.problem.model, run.problem.loss
    x = model_input(model, run.x, len(run.param_names))
    if x is None or run.y is None or loss not in ("mse", "rmse"):
        return None
    return _least_squares(features(model, x), run.y, loss)


def _least_squares(a: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, np.ndarray | None]:
    """The least MSE (or RMSE) of ``a @ params`` against ``y``, and the parameters that reach it
    (None where many do)."""
    solution, _, rank, _ = np.linalg.lstsq(a, y, rcond=None)
    mse = float(np.mean((a @ solution - y) ** 2))
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
    stuck = _at_baseline(run, first, last)
    if stuck is not None:
        return stuck
    known, what, beatable = reference(run)
    best = None
    if run.training.batch_size:
        return _minibatch_note(run, loss, known, what)
    if first > 0 and last > RISEN * first:  # not yet orders of magnitude, but the wrong way
        went = (
            f"rose from {first:.4g} to {last:.4g} in {steps} steps"
            if f"{first:.4g}" != f"{last:.4g}"
            else f"did not fall in {steps} steps ({first:.4g} at the start and at the end)"
        )  # a rate at the edge holds the loss where it started, up to rounding
        return (
            f"the loss {went}: the learning rate is too large{_stable_below(run)}; try a smaller lr"
        )
    if known is not None and beatable and last <= known[0]:
        known = None  # a network past a linear model's best: judged by its own progress
    if known is not None:
        best, solution = known
        # Far off in loss, or in the parameters: along a shallow direction the loss hardly
        # changes while the line is plainly wrong (diabetes: b = -63 for -118, loss 2% high).
        # What float32 arithmetic can tell apart (a run started at the answer is there): a loss
        # a millionth above the best, parameters a hundred-thousandth of their size off.
        floor = PRECISION * max(abs(best), 1e-300)
        loss_gap = last - best > max(SHORT_OF * max(first - best, 0.0), floor)
        start, end = run.params[0], run.params[-1]
        param_gap = solution is not None and np.linalg.norm(end - solution) > max(
            PARAMS_OFF * np.linalg.norm(start - solution),
            10 * PRECISION * np.linalg.norm(solution),
            1e-12,
        )
        if not (loss_gap or param_gap):
            return None
        where = f"loss {last:.4g}, {what} reaches {best:.4g}"
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
            return _swinging(run, last, steps)
        where = f"loss {last:.4g}, still falling ({tail[0] - tail[-1]:.3g} in the last {len(tail) - 1} steps)"
    return f"not converged after {steps} steps: {where}; {_advice(run, best)}"


def _plain_gd(run: Run) -> bool:
    """Whether the run took plain gradient descent steps, ``θ -= lr · ∇L`` (of the whole data or
    a batch): no momentum (heavy ball is stable up to 2(1 + β)/L) and no weight decay (its
    Hessian is H + decay · I)."""
    options = run.training.options if isinstance(run.training.options, dict) else {}
    return run.training.optimizer in ("gd", "sgd") and not any(
        options.get(k) for k in ("momentum", "nesterov", "weight_decay")
    )


def _swinging(run: Run, last: float, steps: int) -> str | None:
    """One line on a gradient-descent run whose loss stopped falling while its steps still
    swing back and forth (each the reverse of the one before, the gradient not gone): a rate at
    or near the edge of stability, or a kink at the minimum (``abs``) that a constant rate
    cannot settle into. Where the best loss is unknown this is the one sign of it left. Not for
    a network, which gradient descent often trains well at its edge of stability (its
    sharpness view shows it), where fewer swings would not mean a better fit."""
    if not _plain_gd(run) or run.training.batch_size or run.problem.model in ("mlp", "module"):
        return None
    count = max(3, (len(run.params) - 1) // 10)  # the last tenth of the moves
    if len(run.params) < count + 1 or not (np.diff(run.step[-count - 1 :]) == 1).all():
        return None  # thinned snapshots: their differences are not steps
    moves = np.diff(run.params[-count - 1 :], axis=0)
    sizes = np.linalg.norm(moves, axis=1)
    turns = np.sum(moves[1:] * moves[:-1], axis=1) < -0.5 * sizes[1:] * sizes[:-1]
    gradient = np.linalg.norm(run.grads, axis=1)
    largest = float(np.max(gradient)) if np.isfinite(gradient).all() else 0.0
    share = float(gradient[-1]) / largest if largest > 0 else 0.0
    if not (turns.mean() >= SWINGS and share >= SWING_GRADIENT):
        return None
    return (
        f"not converged after {steps} steps: loss {last:.4g}, and its steps swing "
        f"back and forth without settling (the gradient is {gradient[-1]:.3g} at the end, "
        f"{share:.0%} of its largest); try a smaller learning rate, or one that decays "
        "(--schedule cosine)"
    )


def reference(run: Run) -> tuple[tuple[float, np.ndarray | None] | None, str, bool]:
    """A loss known to be within the run's reach (with its parameters where unique), what
    reaches it, and whether the run's model can do better still: least squares for a built-in
    model under squared error, logistic regression for a line under binary cross-entropy (each
    the best the model can do); for a network, which can do at least as well as a linear model,
    a straight line's least squares, or logistic regression for a classifier.
    ``(None, "", False)`` where none is known."""
    known = reachable(run)
    if known is not None:
        return known, "least squares", False
    model, loss = run.problem.model, run.problem.loss
    network = model in ("mlp", "module")
    best, what = None, ""
    if network and loss in ("mse", "rmse"):
        best, what = _linear_reach(run), "a straight line w·x + b"
    elif (network or model == "line") and loss in ("bce", "cross_entropy"):
        best, what = _logistic_reach(run), "logistic regression"
    if best is None:
        return None, "", False
    return (best, None), what, network


LOGISTIC_SIZE = 2_000  # parameters (columns + 1) x (classes - 1) up to which Newton is cheap


def _logistic_reach(run: Run) -> float | None:
    """The loss of logistic regression on the run's columns (binary, or multinomial for
    cross-entropy) by Newton's method with a backtracking line search, on standardised columns
    (the optimum's loss does not change with them); None for data it cannot take."""
    x, y, loss = run.x, run.y, run.problem.loss
    if x is None or y is None or x.ndim > 2 or len(x) < 2:
        return None
    a = x.reshape(len(x), -1).astype(float)
    spread = a.std(axis=0)
    a = np.column_stack([(a - a.mean(axis=0)) / np.where(spread > 0, spread, 1.0), np.ones(len(a))])
    y = np.asarray(y, dtype=float)
    if loss == "bce":
        targets = np.column_stack([1 - y, y])  # class 1's probability, or labels 0 and 1
    else:
        if not np.all(y == np.round(y)) or y.min() < 0:
            return None
        targets = np.eye(int(y.max()) + 1)[y.astype(np.int64)]
    n, p = a.shape
    k = targets.shape[1]
    if (k - 1) * p > LOGISTIC_SIZE:
        return None

    def value(w):  # w: (k - 1) * p, class 0's logits fixed at zero
        z = np.column_stack([np.zeros(n), a @ w.reshape(k - 1, p).T])
        top = z.max(axis=1, keepdims=True)
        log_sum = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
        return float(np.mean(log_sum - (targets * z).sum(axis=1))), z - log_sum[:, None]

    w = np.zeros((k - 1) * p)
    f, log_p = value(w)
    for _ in range(100):
        prob = np.exp(log_p)
        grad = (a.T @ (prob - targets)[:, 1:] / n).T.reshape(-1)
        if np.abs(grad).max() < 1e-10:
            break
        hessian = np.zeros(((k - 1) * p, (k - 1) * p))
        for c in range(1, k):
            for d in range(1, k):
                weight = prob[:, c] * ((c == d) - prob[:, d])
                block = (a * weight[:, None]).T @ a / n
                hessian[(c - 1) * p : c * p, (d - 1) * p : d * p] = block
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(w)), grad)
        t = 1.0
        while t > 1e-10:
            trial, trial_log_p = value(w - t * step)
            if trial <= f - 1e-4 * t * float(grad @ step):
                break
            t /= 2
        else:
            break
        w, f, log_p = w - t * step, trial, trial_log_p
    return f


def baseline(run: Run) -> tuple[float, str] | None:
    """The loss of the best constant prediction (one that ignores x) under the run's loss, and
    what that prediction is: the mean of y for MSE, its median for MAE, each class's share for
    a classifier. None without data or a named loss."""
    y, loss = run.y, run.problem.loss
    if y is None or len(y) == 0 or loss not in ("mse", "rmse", "mae", "bce", "cross_entropy"):
        return None
    y = np.asarray(y, dtype=float)
    if loss in ("mse", "rmse"):  # several target columns: each its own mean
        var = float(np.var(y, axis=0).mean())
        return (var if loss == "mse" else math.sqrt(var)), "predicting the mean of y"
    if loss == "mae":
        return float(np.mean(np.abs(y - np.median(y, axis=0)))), "predicting the median of y"
    if loss == "bce":
        p = float(np.clip(np.mean(y), 1e-12, 1 - 1e-12))
        return -(p * math.log(p) + (1 - p) * math.log(1 - p)), "predicting class 1's share"
    shares = np.bincount(np.clip(y, 0, None).astype(np.int64)) / len(y)
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum()), "predicting each class's share"


def _linear_reach(run: Run) -> float | None:
    """The MSE (or RMSE) a straight-line fit of y on the columns of x reaches (least squares),
    for a regression on numeric columns; None otherwise."""
    x, loss = run.x, run.problem.loss
    if x is None or x.ndim > 2 or loss not in ("mse", "rmse") or len(x) < 2:
        return None
    a = np.column_stack([x.reshape(len(x), -1), np.ones(len(x))])
    return _least_squares(a, run.y, loss)[0]


def _at_baseline(run: Run, first: float, last: float) -> str | None:
    """A run whose loss fell only to what ignoring x gives (a network stuck at the mean looks
    like success on its loss curve): said, with what a straight line reaches where known."""
    known = baseline(run)
    if known is None:
        return None
    base, how = known
    if not (
        base > 0 and first > base * (1 + AT_BASELINE) and abs(last - base) <= AT_BASELINE * base
    ):
        return None
    line = _linear_reach(run)
    if line is not None and line > (1 - AT_BASELINE * 5) * base:
        return None  # x says little about y: even a straight line does no better
    said = f"the loss ends at {last:.4g}, what {how} gives ({base:.4g}): the model learned nothing from x"
    if line is not None:
        said += f", where a straight line w·x + b reaches {line:.4g}"
    if run.problem.standardized is None:
        return said + "; try standardize=True (--standardize)"
    return said + f"; try more steps (--steps {10 * (len(run.loss) - 1)}) or another learning rate"


def _minibatch_note(run: Run, loss: np.ndarray, known, what: str) -> str | None:
    """Minibatches keep a run moving around the minimum: judge its late average, and suggest
    what settles noise, not more of it."""
    tail = loss[-max(2, len(loss) // 10) :]
    settled = float(np.mean(tail))
    first = float(loss[0])
    if known is not None:
        best = known[0]
        if settled - best <= 0.1 * max(first - best, 0.0):
            return None
        where = f"its loss averages {settled:.4g} late on, and {what} reaches {best:.4g}"
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
    """The constant Hessian 2 AᵀA / n of a built-in model's MSE, in the parameters its
    optimiser stepped: a standardised run's are in standard units, of the inputs in them."""
    x = model_input(run.problem.model, run.x, len(run.param_names))
    if x is None:
        return None
    scaling = run.problem.standardized
    if isinstance(scaling, dict):
        try:
            mean, scale = (np.asarray(scaling[k], dtype=float) for k in ("x_mean", "x_scale"))
            x = ((x.reshape(len(x), -1) - mean) / scale).reshape(x.shape)
        except (KeyError, TypeError, ValueError):  # a file's own scaling, unreadable: no Hessian
            return None
    return mse_hessian(run.problem.model, x)


def _rates(run: Run) -> tuple[float, float] | None:
    """Full-batch gradient descent's quickest constant rate on the run's quadratic loss,
    2 / (λmin + λmax), and the rate it is stable below, 2 / λmax (λ the Hessian's eigenvalues):
    past the quickest, the sharpest direction's swings set the pace and a smaller rate is
    quicker; below it, the shallowest direction's crawl does and a larger one is. None where the
    loss is not a known quadratic."""
    hessian = _hessian(run)
    if hessian is None or run.problem.loss != "mse" or not _plain_gd(run):
        return None
    eigen = np.linalg.eigvalsh(hessian)
    if not eigen[-1] > 0:
        return None
    return 2 / (max(eigen[0], 0.0) + eigen[-1]), 2 / eigen[-1]


def _stable_below(run: Run) -> str:
    rates = _rates(run)
    return "" if rates is None else f" (gradient descent is stable below 2/L = {rates[1]:.3g} here)"


def _advice(run: Run, best: float | None) -> str:
    hessian = _hessian(run)
    if hessian is not None and best is not None and run.problem.standardized is None:
        eigen = np.linalg.eigvalsh(hessian)
        ratio = eigen[-1] / max(eigen[0], 1e-300)
        if ratio > ILL_CONDITIONED:
            if run.x.ndim == 1 or run.x.shape[1] == 1:
                lo, hi = float(run.x.min()), float(run.x.max())
                scales = f"x runs from {lo:.4g} to {hi:.4g}"
            else:
                spread = run.x.std(axis=0)
                scales = f"the columns' spreads run from {spread.min():.3g} to {spread.max():.3g}"
            return (
                f"{scales}, so the parameters need rates {ratio:.2g} "
                "times apart: try standardize=True (--standardize)"
            )
    rates, lr = _rates(run), run.training.lr
    if rates is not None and isinstance(lr, (int, float)) and not run.training.schedule:
        quickest, edge = rates
        if lr > quickest * (1 + 1e-9):  # a larger rate would be slower, or run away
            return (
                f"try a smaller learning rate: gradient descent is quickest here near "
                f"{quickest:.3g} and stable below 2/L = {edge:.3g}"
            )
    steps = len(run.loss) - 1
    return f"try more steps (--steps {10 * steps}) or a larger learning rate"
