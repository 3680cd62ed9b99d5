"""The loss view: each run's loss against the step, drawn as it falls."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gdviz.plane import padded
from gdviz.views.base import TRAIL, View, at, color, legend_place, trail, value_label


class LossView(View):
    """The loss curve of each run, growing step by step over axes fixed from the whole run.

    The loss axis is logarithmic when the losses are positive and span more than two decades.
    Attributes after ``plot``: ``line_`` (one Line2D per run) and ``point_`` (the current step).
    """

    name = "loss"

    def __init__(self, run_or_runs):
        super().__init__(run_or_runs)
        with np.errstate(invalid="ignore"):
            ends = [
                _finite_range(r.loss if r.full_loss is None else r.full_loss) for r in self.runs
            ]
        lo, hi = min(e[0] for e in ends), max(e[1] for e in ends)
        self.log = lo > 0 and hi / lo > 100
        if self.log:
            self.ylim = (lo / 1.5, hi * 1.5)
        else:
            # A diverging run must not flatten the others: keep to ten times the start.
            start = max(abs(r.loss[0]) for r in self.runs)
            self.ylim = padded(max(lo, -10 * start), min(hi, 10 * start), 0.05)

    def _draw(self, ax: Axes):
        # Room for the current point's marker at the last step, and for the line marking
        # where a run diverged (one step past its last snapshot).
        end = max(
            [1] + [int(r.step_at(-1)) for r in self.runs] + [r.diverged_at or 0 for r in self.runs]
        )
        ax.set_xlim(*padded(0, end, 0.02))
        if self.log:
            ax.set_yscale("log")
        ax.set_ylim(*self.ylim)
        ax.set_xlabel("step")
        ax.set_ylabel(value_label(self.runs[0]))
        ax.grid(True, which="major", color="#dddddd", lw=0.6)
        self.line_, self.point_ = [], []
        for i, run in enumerate(self.runs):
            (line,) = ax.plot([], [], color=color(i), lw=2, label=run.label, zorder=3)
            (point,) = ax.plot([], [], "o", color=color(i), ms=6, zorder=3.5)
            self.line_.append(line)
            self.point_.append(point)
            if run.diverged_at is not None:
                ax.axvline(run.diverged_at, color=color(i), ls=":", lw=1.2)
                ax.text(
                    run.diverged_at,
                    0.5,
                    f" diverged at step {run.diverged_at}",
                    transform=ax.get_xaxis_transform(),
                    rotation=90,
                    va="center",
                    ha="right",
                    fontsize=8,
                    zorder=2,
                    color=color(i),
                )
        if len(self.runs) > 1:
            points = []
            for r in self.runs:  # a long run's curve weighs in through an even thinning
                if r.full_loss is not None:
                    idx = np.arange(0, len(r.full_loss), max(1, -(-len(r.full_loss) // TRAIL)))
                    points.append(np.column_stack([idx, r.full_loss[idx]]))
                else:
                    idx = np.arange(0, len(r.loss), max(1, -(-len(r.loss) // TRAIL)))
                    points.append(np.column_stack([r.step_at(idx), r.loss[idx]]))
            loc = legend_place(ax, np.concatenate(points))
            ax.legend(loc=loc, fontsize=8, framealpha=0.9)
        return [*self.line_, *self.point_]

    def update(self, step: int):
        for run, line, point in zip(self.runs, self.line_, self.point_):
            k = at(run, step)
            if run.full_loss is None:
                shown = trail(run, k)
                line.set_data(run.step_at(shown), run.loss[shown])
            else:  # snapshots kept every k steps: the loss of every step, up to this one
                upto = int(run.step_at(k))
                stride = max(1, -(-len(run.full_loss) // TRAIL))
                xs = np.append(np.arange(0, upto, stride), upto)
                line.set_data(xs, run.full_loss[xs])
            point.set_data([run.step_at(k)], [run.loss[k]])
        return self.moving_


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    """The least and greatest finite value, without a copy of a long array."""
    finite = (
        np.where(np.isfinite(values), values, np.nan) if not np.isfinite(values).all() else values
    )
    return float(np.nanmin(finite)), float(np.nanmax(finite))
