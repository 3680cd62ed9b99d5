"""Muon inside one update, on a weight matrix: the momentum it orthogonalises, the step it takes,
and the singular values of both over the run.

torch's Muon (`torch.optim.Muon`) keeps a momentum buffer per weight matrix, an average
``B ← μ·B + (1 − μ)·g``, and at each step orthogonalises ``B̃ = (1 − μ)·g + μ·B`` (Nesterov's
look-ahead, as torch's code computes it; ``B`` itself without) by a few Newton-Schulz
iterations started from ``B̃ / ‖B̃‖``, which push every singular value towards one:
the step ``O`` keeps the directions of the momentum and forgets their sizes. Everything here is
read from what the run recorded, never from a re-implementation:

- ``B`` is torch's ``momentum_buffer`` after the update (the state at the next snapshot), ``g``
  the recorded gradient of the step;
- the step ``O`` is the parameters' own change, less Muon's decoupled weight decay, over the
  rate Muon applies to a matrix of that shape (``adjust_lr_fn``):
  ``O = (θₖ·(1 − lr·λ) − θₖ₊₁) / lr'``.
"""

from __future__ import annotations

import math
import re

import numpy as np
from matplotlib.axes import Axes

from gdviz.errors import GdvizError
from gdviz.run.record import Run
from gdviz.views.base import View, at, color, count, learning_rates

ANNOTATED = 16  # cells up to which each holds its value in figures
_ELEMENT = re.compile(r"^(?P<name>.+)\[(?P<i>\d+),(?P<j>\d+)\]$")


def is_muon(run: Run) -> bool:
    """Whether ``run`` was stepped by torch's Muon (alone or paired with another optimiser)."""
    settings = run.training.torch_optimizer
    return isinstance(settings, dict) and settings.get("class") == "Muon"


def matrices(run: Run) -> list[tuple[str, tuple[int, int], np.ndarray]]:
    """The run's weight matrices, from its parameters' names (``w[i,j]``): each name, shape
    and the columns of ``run.params`` that hold it, row by row."""
    found: dict[str, dict[tuple[int, int], int]] = {}
    for column, element in enumerate(run.param_names):
        m = _ELEMENT.match(element)
        if m is not None:
            found.setdefault(m["name"], {})[(int(m["i"]), int(m["j"]))] = column
    out = []
    for name, cells in found.items():
        rows = 1 + max(i for i, _ in cells)
        cols = 1 + max(j for _, j in cells)
        if len(cells) != rows * cols:
            continue
        index = np.array([cells[(i, j)] for i in range(rows) for j in range(cols)])
        out.append((name, (rows, cols), index))
    return out


def adjusted_rate(lr: float, shape: tuple[int, int], adjust: str | None) -> float:
    """The rate Muon applies to a matrix of ``shape`` (torch's ``_adjust_lr``)."""
    rows, cols = shape
    if adjust is None or adjust == "original":
        return lr * math.sqrt(max(1.0, rows / cols))
    if adjust == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


def internals(run: Run, index: np.ndarray, shape: tuple[int, int]):
    """Per snapshot ``k`` (NaN where the next is not the next step): the matrix Muon
    orthogonalised, ``B̃`` (k, rows, cols), and the step it took, ``O``."""
    settings = run.training.torch_optimizer
    buffer = run.state.get("momentum_buffer")
    lr = learning_rates(run)
    if buffer is None or lr is None:
        raise GdvizError(
            f"run {run.label!r} kept no Muon state or rate: train it with optimizer='muon', or "
            "record your loop with Recorder(model, optimizer=[muon, adamw])"
        )
    mu = float(settings.get("momentum", 0.95))
    decay = float(settings.get("weight_decay", 0.0))
    nesterov = settings.get("nesterov", True) is not False
    snapshots = len(run.loss)
    mixed = np.full((snapshots, *shape), np.nan)
    step = np.full((snapshots, *shape), np.nan)
    steps = run.step_at(slice(None))
    params, grads = run.params[:, index], run.grads[:, index]
    for k in range(snapshots - 1):
        if steps[k + 1] != steps[k] + 1:
            continue  # kept every few steps: the step between is not recorded
        b = buffer[k + 1, index]
        mixed[k] = ((1 - mu) * grads[k] + mu * b if nesterov else b).reshape(shape)
        rate = adjusted_rate(float(lr[k]), shape, settings.get("adjust_lr_fn"))
        moved = params[k] * (1 - float(lr[k]) * decay) - params[k + 1]
        step[k] = (moved / rate).reshape(shape)
    return mixed, step


def singular_values(matrices_: np.ndarray, *, normalised: bool = False) -> np.ndarray:
    """Singular values (k, min(rows, cols)) of each matrix (NaN rows stay NaN); ``normalised``:
    of each over its Frobenius norm, as Newton-Schulz starts from it."""
    out = np.full((len(matrices_), min(matrices_.shape[1:])), np.nan)
    for k, m in enumerate(matrices_):
        if np.isfinite(m).all():
            norm = np.linalg.norm(m) if normalised else 1.0
            out[k] = np.linalg.svd(m / (norm or 1.0), compute_uv=False)
    return out


class MatrixView(View):
    """Muon on one weight matrix (``matrix``: its name; default the first): the matrix Muon
    orthogonalised (``B̃ = (1 − μ)·g + μ·B``) and the step it took (``O``), as heat maps with their
    values, and the singular values of both over the run, which Newton-Schulz pulls towards
    one. One run at a time."""

    name = "matrix"

    def __init__(self, run_or_runs, *, matrix: str | None = None):
        super().__init__(run_or_runs)
        if len(self.runs) != 1:
            raise GdvizError("the matrix view draws one run at a time")
        run = self.runs[0]
        if not is_muon(run):
            raise GdvizError(
                f"the matrix view draws Muon's internals, and run {run.label!r} was not trained "
                "with Muon: use optimizer='muon'"
            )
        found = matrices(run)
        if matrix is not None:
            found = [m for m in found if m[0] == matrix]
        if not found:
            raise GdvizError(f"run {run.label!r} records no weight matrix {matrix or ''}".strip())
        self.matrix, self.shape, index = found[0]
        self.mixed, self.step = internals(run, index, self.shape)
        self.sigma_in = singular_values(self.mixed, normalised=True)
        self.sigma_out = singular_values(self.step)

    def _draw(self, ax: Axes):
        run = self.runs[0]
        grid = ax.get_subplotspec().subgridspec(1, 3, width_ratios=[1, 1, 1.5], wspace=0.35)
        ax.set_subplotspec(grid[2])
        fig = ax.figure
        left, middle = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        self.panels_ = [left, middle]
        mu = run.training.torch_optimizer.get("momentum", 0.95)
        nesterov = run.training.torch_optimizer.get("nesterov", True) is not False
        titles = (
            f"what Muon orthogonalises\nB̃ = {1 - mu:.3g}·g + {mu:g}·B"
            if nesterov
            else "momentum B",
            "the step it takes\nO = Newton–Schulz(B̃)",
        )
        self.image_, self.cells_, self.tops = [], [], []
        for panel, values, title in zip(self.panels_, (self.mixed, self.step), titles):
            top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
            self.tops.append(top or 1.0)
            image = panel.imshow(
                np.zeros(self.shape), cmap="RdBu_r", vmin=-top, vmax=top, aspect="equal"
            )
            panel.set_title(title, fontsize="medium")
            panel.set_xticks(range(self.shape[1]))
            panel.set_yticks(range(self.shape[0]))
            panel.set_xlabel(f"{self.matrix}: column")
            panel.set_ylabel("row")
            fig.colorbar(image, ax=panel, fraction=0.046, pad=0.04)
            self.image_.append(image)
            cells = []
            if values[0].size <= ANNOTATED:
                for i, j in np.ndindex(*self.shape):
                    cells.append(panel.text(j, i, "", ha="center", va="center", fontsize="small"))
            self.cells_.append(cells)
        steps = run.step_at(slice(None))
        ax.set_xlim(0, max(1, int(steps[-1])))
        finite = np.concatenate([self.sigma_in[np.isfinite(self.sigma_in)],
                                 self.sigma_out[np.isfinite(self.sigma_out)], [0.0, 1.0]])  # fmt: skip
        # Room above the curves for the legend, which then hides none of them.
        ax.set_ylim(0, max(1.1 * float(finite.max()), 1.0) * 1.45)
        ax.axhline(1.0, color="#999999", lw=0.8, ls=":", zorder=1)
        ax.set_xlabel("step")
        ax.set_ylabel("singular value")
        ax.set_title("singular values: Newton–Schulz's input and output", fontsize="medium")
        ax.xaxis.set_major_formatter(lambda v, _: count(v))
        self.in_, self.out_ = [], []
        for i in range(self.sigma_in.shape[1]):
            (line_in,) = ax.plot([], [], color=color(i), lw=1.2, ls="--", alpha=0.8,
                                 label=f"σ{i + 1} of B̃ / ‖B̃‖")  # fmt: skip
            (line_out,) = ax.plot([], [], color=color(i), lw=2.0, label=f"σ{i + 1} of O")
            self.in_.append(line_in)
            self.out_.append(line_out)
        ax.legend(loc="upper center", ncol=2, fontsize="small", framealpha=0.9)
        self.over_ = [ax.get_legend()]
        texts = [t for cells in self.cells_ for t in cells]
        return [*self.image_, *texts, *self.in_, *self.out_]

    def update(self, step: int):
        run = self.runs[0]
        k = at(run, step)
        # The snapshot's own update: the last snapshot has none, so it shows the one before.
        shown = k if k < len(run.loss) - 1 else max(k - 1, 0)
        panels = zip(self.image_, self.cells_, (self.mixed, self.step), self.tops)
        for image, cells, values, top in panels:
            matrix = values[shown]
            image.set_data(np.nan_to_num(matrix))
            for cell, value in zip(cells, matrix.ravel()):
                cell.set_text("" if not np.isfinite(value) else f"{value:.2f}")
                cell.set_color("white" if abs(value) > 0.6 * top else "black")  # on dark cells
        steps = run.step_at(slice(None))[: shown + 1]
        for i, (line_in, line_out) in enumerate(zip(self.in_, self.out_)):
            line_in.set_data(steps, self.sigma_in[: shown + 1, i])
            line_out.set_data(steps, self.sigma_out[: shown + 1, i])
        return self.moving_
