"""Standardising data for training, and reading the results back in the data's own units."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gdviz.errors import GdvizError
from gdviz.problems.formulas import Model
from gdviz.run.record import Run

LOSS_SCALE = {"mse": 2, "rmse": 1, "mae": 1}  # the loss scales as y's scale to this power


@dataclass(frozen=True)
class Affine:
    """Parameters in the data's units from standardised ones: ``raw = T @ std + c``."""

    T: np.ndarray
    c: np.ndarray

    def apply(self, std: np.ndarray) -> np.ndarray:
        return np.asarray(std) @ self.T.T + self.c

    def inverse(self, raw) -> np.ndarray:
        return np.linalg.solve(self.T, np.asarray(raw, dtype=float) - self.c)


@dataclass(frozen=True)
class Scaling:
    """z-scores of the inputs (per column) and, for a regression, of the targets.

    ``centred=False`` only rescales (for a model through the origin, which a shift would
    change): the scale is then the root mean square.
    """

    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    y_scale: float
    loss_scale: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, task: str, loss, *, centred: bool = True) -> Scaling:
        columns = np.asarray(x, dtype=float).reshape(len(x), -1)
        if centred:
            x_mean, x_scale = columns.mean(axis=0), columns.std(axis=0)
        else:
            x_mean, x_scale = np.zeros(columns.shape[1]), np.sqrt((columns**2).mean(axis=0))
        x_scale = np.where(x_scale > 0, x_scale, 1.0)
        if task != "regression":  # class labels stay as they are
            return cls(x_mean, x_scale, 0.0, 1.0, 1.0)
        if not isinstance(loss, str) or loss not in LOSS_SCALE:
            raise GdvizError("standardize needs a named regression loss (mse, rmse or mae)")
        y = np.asarray(y, dtype=float)
        y_mean = float(y.mean()) if centred else 0.0
        y_scale = float(y.std() if centred else np.sqrt((y**2).mean())) or 1.0
        return cls(x_mean, x_scale, y_mean, y_scale, y_scale ** LOSS_SCALE[loss])

    def inputs(self, x):
        """Inputs in standard units, in their own shape ((n,) or (n, d))."""
        x = np.asarray(x, dtype=float)
        shape = x.shape
        return ((x.reshape(len(x), -1) - self.x_mean) / self.x_scale).reshape(shape)

    def targets(self, y):
        return (np.asarray(y, dtype=float) - self.y_mean) / self.y_scale

    def untarget(self, out):
        """Outputs in standard units back in the data's (a tensor or an array)."""
        return out * self.y_scale + self.y_mean

    def parameter_map(self, model: Model) -> Affine:
        """How a built-in model's standardised parameters read in the data's units.

        Its prediction ``y_mean + y_scale * sum_j std_j * ((x - m) / s) ** p_j`` is a polynomial
        in x of the model's own powers: expanding each binomial gives the raw coefficients,
        exactly (no fitting, so no loss of precision however large x is). A line on several
        columns, ``y_mean + y_scale * (sum_i w_i (x_i - m_i) / s_i + b)``, has the weights
        ``y_scale w_i / s_i`` and the intercept ``y_mean + y_scale (b - sum_i w_i m_i / s_i)``.
        """
        powers = model.powers
        if len(self.x_mean) > 1:
            d = len(self.x_mean)
            T = np.zeros((d + 1, d + 1))
            T[np.arange(d), np.arange(d)] = self.y_scale / self.x_scale
            T[d, :d] = -self.y_scale * self.x_mean / self.x_scale
            T[d, d] = self.y_scale
            c = np.zeros(d + 1)
            c[d] = self.y_mean
            return Affine(T, c)
        m, s = float(self.x_mean[0]), float(self.x_scale[0])
        T = np.zeros((len(powers), len(powers)))
        c = np.zeros(len(powers))
        for row, k in enumerate(powers):
            for col, p in enumerate(powers):
                if p >= k:
                    T[row, col] = self.y_scale * math.comb(p, k) * (-m) ** (p - k) / s**p
            if k == 0:
                c[row] = self.y_mean
        return Affine(T, c)

    def to_data_units(self, run: Run, to_raw: Affine | None) -> None:
        """Rewrite a run recorded in standard units in the data's: the loss, and for a built-in
        model its parameters and their gradient (of the loss in data units). The optimiser's
        state, which lives in standard units and has no counterpart in the data's, is dropped."""
        run.state = {}
        run.loss = run.loss * self.loss_scale
        if run.full_loss is not None:
            run.full_loss = run.full_loss * self.loss_scale
        if to_raw is not None:
            run.params = to_raw.apply(run.params)
            run.grads = self.loss_scale * run.grads @ np.linalg.inv(to_raw.T)
        else:
            run.grads = run.grads * self.loss_scale

    def jsonable(self) -> dict:
        return {
            "x_mean": self.x_mean.tolist(),
            "x_scale": self.x_scale.tolist(),
            "y_mean": self.y_mean,
            "y_scale": self.y_scale,
        }
