"""`train`: gradient descent with PyTorch autograd, recorded snapshot by snapshot."""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gdviz.data import PRESETS, as_xy
from gdviz.errors import GdvizError
from gdviz.formulas import LOSSES, MODELS, features
from gdviz.functions import FUNCTIONS
from gdviz.optimizers import OPTIMIZERS, default_lr
from gdviz.plane import pca_plane
from gdviz.recorder import Recorder
from gdviz.run import Run

DATA_STEPS = 200  # steps for user data, which carries no setup of its own


@dataclass
class Problem:
    """What to minimise, resolved from ``train``'s arguments: a fit to data or a test function."""

    source: str
    model: str | torch.nn.Module | None
    loss: str | None
    x: np.ndarray | None
    y: np.ndarray | None
    optimizer: str
    lr: float
    steps: int
    init: Sequence[float] | None
    meta: dict[str, Any]
    module: torch.nn.Module | None = None  # the copy being trained, for a module model


def train(
    data,
    *,
    model=None,
    loss=None,
    optimizer=None,
    lr=None,
    steps=None,
    init=None,
    seed=None,
    zero_grad=True,
    **optimizer_options,
) -> Run:
    """Run gradient descent and record every step.

    Parameters
    ----------
    data : str or (x, y)
        A preset (``"synthetic"``, ``"thermometer"``, ``"single-point"``), a 2-D test function
        (``"rosenbrock"``, ``"beale"``, ``"himmelblau"``, ``"saddle"``) or a pair of 1-D
        array-likes. A preset or function brings its tutorial's setup; explicit arguments win.
    model : {"line", "proportional", "quadratic"} or torch.nn.Module
        What is fitted. A module is copied, so the one passed in is left untouched.
    loss : {"mse", "rmse", "mae"}
    optimizer : str
        ``"gd"`` is the tutorials' hand-written ``p -= lr * p.grad``; ``"sgd"``, ``"momentum"``,
        ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ``"adamw"`` are `torch.optim`'s.
    lr : float
        The learning rate. By default the preset's, or for user data ``1 / L`` with ``L`` the
        largest curvature of the MSE surface (scaled for the optimiser).
    steps : int
        Number of updates; the run holds ``steps + 1`` snapshots.
    init : sequence of float
        Starting parameters (default: the preset's, else zeros; a module keeps its own).
    seed : int
        Seeds torch and the synthetic data, for reproducible runs.
    zero_grad : bool
        ``False`` reproduces the classic bug: gradients accumulate across steps.
    **optimizer_options
        Passed to the `torch.optim` optimiser (``betas=(0.9, 0.99)``, ``weight_decay=...``).

    Returns
    -------
    Run
        If the loss stops being finite, the run ends before it, ``run.diverged_at`` is set and
        a `RuntimeWarning` is issued.

    Examples
    --------
    >>> run = gdviz.train("synthetic")
    >>> run.params[-1]            # close to (3, 2.5)
    >>> run = gdviz.train((x, y), model="quadratic", optimizer="adam", lr=0.05, steps=500)
    """
    if seed is not None:
        seed = _integer(seed, "seed", minimum=0)
        torch.manual_seed(seed)
    problem = _resolve(data, model, loss, optimizer, lr, steps, init, seed)
    params, rec, objective = _objective(problem)
    step, clear = _stepper(problem, params, optimizer_options)

    for t in range(problem.steps + 1):
        if zero_grad or t == 0:
            clear()
        value = objective()
        value.backward()
        if not math.isfinite(rec.record(value)):
            break
        if t < problem.steps:
            step()

    meta = dict(
        problem.meta,
        optimizer=problem.optimizer,
        lr=problem.lr,
        steps=problem.steps,
        seed=seed,
        zero_grad=bool(zero_grad),
        options=_jsonable(optimizer_options),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # said again below, at the caller's line
        run = rec.to_run(x=problem.x, y=problem.y, **meta)
    if run.diverged_at is not None:
        warnings.warn(f"diverged at step {run.diverged_at}", RuntimeWarning, stacklevel=2)
    if problem.module is not None:
        run.extras.update(_module_curves(problem, params, run))
    return run


# -- resolving the arguments into a Problem ---------------------------------------------------


def _resolve(data, model, loss, optimizer, lr, steps, init, seed) -> Problem:
    meta: dict[str, Any] = {}
    if isinstance(data, str):
        if data in PRESETS:
            preset = PRESETS[data]
            x, y = preset.data(seed)
            model = preset.model if model is None else model
            loss = preset.loss if loss is None else loss
            optimizer = preset.optimizer if optimizer is None else optimizer
            _check_choice(optimizer, OPTIMIZERS, "optimizer")
            gd_lr = preset.lr
            steps = preset.steps if steps is None else steps
            if init is None and model == preset.model:
                init = preset.init
            meta.update(
                source=preset.name,
                kind="data",
                title=preset.title,
                x_label=preset.x_label,
                y_label=preset.y_label,
            )
        elif data in FUNCTIONS:
            fn = FUNCTIONS[data]
            if model is not None or loss is not None:
                raise GdvizError(f"the test function {data!r} takes no model or loss")
            optimizer = "gd" if optimizer is None else optimizer
            _check_choice(optimizer, OPTIMIZERS, "optimizer")
            lr = fn.rate(optimizer) if lr is None else lr
            steps = fn.steps if steps is None else steps
            init = fn.init if init is None else init
            meta.update(source=fn.name, kind="function", title=fn.formula)
            return Problem(
                fn.name,
                None,
                None,
                None,
                None,
                optimizer,
                _positive(lr, "lr"),
                _integer(steps, "steps", minimum=1),
                _init(init, 2, "x, y"),
                meta,
            )
        else:
            names = ", ".join([*PRESETS, *FUNCTIONS])
            raise GdvizError(f"unknown data {data!r}: use one of {names}, or an (x, y) pair")
    else:
        try:
            x, y = data
        except (TypeError, ValueError):
            raise GdvizError("data must be a preset name or an (x, y) pair") from None
        x, y = as_xy(x, y)
        model = "line" if model is None else model
        loss = "mse" if loss is None else loss
        optimizer = "gd" if optimizer is None else optimizer
        _check_choice(optimizer, OPTIMIZERS, "optimizer")
        gd_lr = _curvature_lr(model, x) if isinstance(model, str) else 0.01
        steps = DATA_STEPS if steps is None else steps
        meta.update(source="data", kind="data")

    _check_choice(loss, LOSSES, "loss")
    if isinstance(model, str):
        _check_choice(model, MODELS, "model")
        n_params = len(MODELS[model].param_names)
        meta.update(model=model, formula=MODELS[model].formula)
    elif isinstance(model, torch.nn.Module):
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        meta.update(model="module", formula=type(model).__name__)
    else:
        raise GdvizError(
            f"model must be a name ({', '.join(MODELS)}) or a torch.nn.Module, "
            f"not {type(model).__name__}"
        )
    meta["loss"] = loss
    if lr is None:
        lr = gd_lr if optimizer in ("gd", "sgd") else default_lr(optimizer, gd_lr)
    what = ", ".join(MODELS[model].param_names) if isinstance(model, str) else "the module's"
    return Problem(
        meta["source"],
        model,
        loss,
        x,
        y,
        optimizer,
        _positive(lr, "lr"),
        _integer(steps, "steps", minimum=1),
        None if init is None else _init(init, n_params, what),
        meta,
    )


def _curvature_lr(model: str, x: np.ndarray) -> float:
    # The MSE of a linear-in-parameters model has the constant Hessian 2 AᵀA / n (A: features);
    # gradient descent is stable below 2 / L and quickest near 1 / L, L its largest eigenvalue.
    _check_choice(model, MODELS, "model")
    a = features(model, x)
    top = np.linalg.eigvalsh(2 * a.T @ a / len(x))[-1]
    return float(f"{1 / top:.1g}") if top > 0 else 0.1


def _check_choice(value, choices, what: str) -> None:
    if value not in choices:
        raise GdvizError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def _positive(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GdvizError(f"{what} must be a number, not {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise GdvizError(f"{what} must be a positive number, not {value!r}")
    return number


def _integer(value, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise GdvizError(f"{what} must be a whole number, not {value!r}")
    if value < minimum:
        raise GdvizError(f"{what} must be at least {minimum}, not {value}")
    return int(value)


def _init(init, n: int, what: str) -> list[float]:
    try:
        values = [float(v) for v in np.asarray(init, dtype=float).reshape(-1)]
    except (TypeError, ValueError):
        raise GdvizError(f"init must be numbers, not {init!r}") from None
    if len(values) != n:
        raise GdvizError(f"init has {len(values)} values; the model has {n} parameters ({what})")
    if not all(math.isfinite(v) for v in values):
        raise GdvizError(f"init must be finite numbers, not {init!r}")
    return values


def _jsonable(options: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


# -- building the objective and the update ----------------------------------------------------


def _objective(problem: Problem) -> tuple[list[torch.Tensor], Recorder, Callable]:
    dtype = torch.get_default_dtype()
    if problem.x is None:
        fn = FUNCTIONS[problem.source]
        theta = torch.tensor(problem.init, dtype=dtype, requires_grad=True)
        return [theta], Recorder([theta], names=("x", "y")), lambda: fn.f(theta)

    x = torch.as_tensor(problem.x, dtype=dtype)
    y = torch.as_tensor(problem.y, dtype=dtype)
    loss_fn = LOSSES[problem.loss]
    if isinstance(problem.model, str):
        spec = MODELS[problem.model]
        init = problem.init if problem.init is not None else [0.0] * len(spec.param_names)
        theta = torch.tensor(init, dtype=dtype, requires_grad=True)
        rec = Recorder([theta], names=spec.param_names)
        return [theta], rec, lambda: loss_fn(spec.predict(theta, x), y)

    module = copy.deepcopy(problem.model).to(dtype)
    params = [p for p in module.parameters() if p.requires_grad]
    if problem.init is not None:
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(torch.tensor(problem.init, dtype=dtype), params)
    problem.module = module
    inputs = x[:, None]

    def objective():
        out = module(inputs)
        if out.numel() != y.numel():
            raise GdvizError(
                f"the module gives {out.numel()} outputs for {y.numel()} targets; "
                "it should map each x (shape (n, 1)) to one number"
            )
        return loss_fn(out.reshape(y.shape), y)

    rec = Recorder({n: p for n, p in module.named_parameters() if p.requires_grad})
    return params, rec, objective


def _stepper(problem: Problem, params, options) -> tuple[Callable, Callable]:
    spec = OPTIMIZERS[problem.optimizer]
    lr = problem.lr
    if spec.cls is None:
        if options:
            raise GdvizError(f"optimizer 'gd' takes no options, got {', '.join(options)}")

        def step():
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad

        def clear():
            for p in params:
                p.grad = None

        return step, clear

    try:
        opt = getattr(torch.optim, spec.cls)(params, lr=lr, **{**spec.options, **options})
    except (TypeError, ValueError) as exc:
        raise GdvizError(f"optimizer {problem.optimizer!r}: {exc}") from None
    return opt.step, opt.zero_grad


def _module_curves(problem: Problem, params, run: Run) -> dict[str, np.ndarray]:
    """The module's fitted curve at every snapshot, for the fit view (which cannot run torch)."""
    module = problem.module
    lo, hi = float(problem.x.min()), float(problem.x.max())
    pad = 0.05 * (hi - lo or 1.0)
    grid = torch.linspace(lo - pad, hi + pad, 200, dtype=torch.get_default_dtype())[:, None]
    curves = np.empty((len(run.loss), len(grid)))
    with torch.no_grad():
        for i, row in enumerate(run.params):
            torch.nn.utils.vector_to_parameters(torch.as_tensor(row, dtype=grid.dtype), params)
            curves[i] = module(grid).reshape(-1).numpy()
        extras = {"curve_x": grid.reshape(-1).numpy().astype(np.float64), "curve": curves}
        if run.params.shape[1] >= 3:
            extras.update(_module_plane(problem, params, run))
    return extras


PLANE_GRID = 41  # points a side: each is a forward pass of the module


def _module_plane(problem: Problem, params, run: Run) -> dict[str, np.ndarray]:
    """The loss on the PCA plane of the path (see `gdviz.plane`), for the contour view."""
    plane = pca_plane([run.params])
    coords = plane.project(run.params)
    (a0, a1), (b0, b1) = [
        (lo - 0.15 * (hi - lo or 1), hi + 0.15 * (hi - lo or 1))
        for lo, hi in zip(coords.min(axis=0), coords.max(axis=0))
    ]
    a, b = np.linspace(a0, a1, PLANE_GRID), np.linspace(b0, b1, PLANE_GRID)
    points = plane.lift(np.stack(np.meshgrid(a, b), axis=-1))
    dtype = torch.get_default_dtype()
    x = torch.as_tensor(problem.x, dtype=dtype)[:, None]
    y = torch.as_tensor(problem.y, dtype=dtype)
    loss_fn = LOSSES[problem.loss]

    def loss_at(vector) -> float:
        torch.nn.utils.vector_to_parameters(torch.as_tensor(vector, dtype=dtype), params)
        return float(loss_fn(problem.module(x).reshape(y.shape), y))

    with torch.no_grad():
        values = np.array([[loss_at(p) for p in row] for row in points])
        on_plane = np.array([loss_at(p) for p in plane.lift(coords)])
    return {
        "plane_origin": plane.origin,
        "plane_dirs": plane.dirs,
        "plane_explained": plane.explained,
        "plane_a": a,
        "plane_b": b,
        "plane_loss": values,
        "plane_path_loss": on_plane,
    }
