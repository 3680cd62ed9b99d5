"""The built-in models and losses, written once for numpy arrays and torch tensors alike.

Each formula uses only arithmetic, indexing and ``.mean(-1)``, so the trainer runs it on tensors
(autograd sees every operation) and the views run it on numpy grids (no torch needed). Parameters
come as a sequence indexed along the first axis, so ``p[0]`` may be a scalar or a whole grid.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdviz.errors import GdvizError


@dataclass(frozen=True)
class Model:
    """A named model: its parameters, its formula and how to print it."""

    name: str
    param_names: tuple[str, ...]
    predict: Callable[[Any, Any], Any]
    formula: str
    powers: tuple[int, ...]  # each parameter multiplies this power of x: the model's polynomial


MODELS = {
    m.name: m
    for m in (
        Model("line", ("m", "b"), lambda p, x: p[0] * x + p[1], "m·x + b", (1, 0)),
        Model("proportional", ("theta",), lambda p, x: p[0] * x, "θ·x", (1,)),
        Model(
            "quadratic",
            ("a", "b", "c"),
            lambda p, x: p[0] * x**2 + p[1] * x + p[2],
            "a·x² + b·x + c",
            (2, 1, 0),
        ),
    )
}


def columns_of(x) -> int:
    """Input columns of data ``x`` of shape (n,) or (n, d)."""
    return 1 if np.ndim(x) == 1 else int(np.shape(x)[1])


def model_of(name: str, columns: int = 1) -> Model:
    """The built-in model ``name`` for inputs of ``columns`` columns. Each takes one; ``line``
    takes any number: ``w·x + b``, a weight per column (``w1``, ``w2``, ...) and ``b``."""
    if columns == 1:
        return MODELS[name]
    if name != "line":
        raise GdvizError(
            f"model {name!r} takes one input column; x has {columns}: use model='line' "
            "(w·x + b), 'mlp' or a torch.nn.Module"
        )
    return _linear(columns)


@functools.cache
def _linear(columns: int) -> Model:
    def predict(p, x):
        out = p[columns]
        for i in range(columns):
            out = out + p[i] * x[:, i]
        return out

    names = (*(f"w{i + 1}" for i in range(columns)), "b")
    return Model("line", names, predict, "w·x + b", (*(1,) * columns, 0))


def model_input(model, x, params: int):
    """Data ``x`` as the built-in ``model`` of ``params`` parameters takes it: (n,) for one
    column, (n, d) for a line on d columns; None where it cannot (another model, no data, data
    of another shape)."""
    if model not in MODELS or x is None:
        return None
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim == 1:
        return x if params == len(MODELS[model].param_names) else None
    if x.ndim == 2 and model == "line" and params == x.shape[1] + 1:
        return x
    return None


def features(model: str, x):
    """The design matrix A of a built-in model (all are linear in their parameters):
    prediction = A @ params, one column per parameter. ``x`` is a numpy array (n,) or, for
    ``line``, (n, d)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    spec = model_of(model, columns_of(x))
    eye = np.eye(len(spec.param_names))
    return np.stack([spec.predict(e, x) * np.ones(len(x)) for e in eye], axis=1)


def mse_hessian(model: str, x) -> np.ndarray:
    """The Hessian of a built-in model's MSE in its parameters: 2 AᵀA / n (A: `features`),
    the same at every point, as the model is linear in its parameters."""
    a = features(model, x)
    return 2 * a.T @ a / len(x)


def elementwise(name: str, v):
    """The numpy function ``name`` (``exp``, ``log1p``, ``sin``, ...) applied to a float, a numpy
    array or a torch tensor, without importing torch: a tensor has a method of each name."""
    if isinstance(v, (float, int, np.ndarray, np.generic)):
        with np.errstate(all="ignore"):
            out = getattr(np, "absolute" if name == "abs" else name)(v)
        return float(out) if np.ndim(out) == 0 else out
    return getattr(v, name)()


def mse(pred, y):
    return ((pred - y) ** 2).mean(-1)


def rmse(pred, y):
    return mse(pred, y) ** 0.5


def mae(pred, y):
    return abs(pred - y).mean(-1)


def bce(logit, y):
    """Binary cross-entropy of the probability sigmoid(logit) against labels 0 and 1, written
    stably: softplus(z) - y z, with softplus(z) = max(z, 0) + log(1 + exp(-|z|))."""
    size = abs(logit)
    return ((logit + size) / 2 + elementwise("log1p", elementwise("exp", -size)) - y * logit).mean(
        -1
    )


def sigmoid(z):
    return 1 / (1 + elementwise("exp", -z))


LOSSES = {"mse": mse, "rmse": rmse, "mae": mae, "bce": bce}
# Every loss name gdviz knows: cross_entropy needs a network with one output per class.
LOSS_NAMES = (*LOSSES, "cross_entropy")
LOSS_TITLES = {
    "mse": "mean squared error",
    "rmse": "root mean squared error",
    "mae": "mean absolute error",
    "bce": "binary cross-entropy",
    "cross_entropy": "cross-entropy",
}
