"""The loss view: each run's loss against the step, drawn as it falls."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gdviz import convergence
from gdviz.plane import padded
from gdviz.views.base import TRAIL, View, at, legend_place, style, trail, value_label, with_legend

LOG_FROM = 10  # the loss spans this ratio: a logarithmic axis
RUNAWAY_LOG = 1e3  # times the start the axis keeps to on a log scale (10 on a linear one)


class LossView(View):
    """The loss curve of each run, growing step by step over axes fixed from the whole run.

    The loss axis is logarithmic when the losses are positive and span more than a decade.
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
        start = max(abs(r.loss[0]) for r in self.runs)
        known = [convergence.reachable(r) for r in self.runs]
        self.best = min((k[0] for k in known if k is not None), default=None)
        if self.best is not None and self.best > 0:
            lo = min(lo, self.best)
        # Logarithmic once the losses span a decade: the tail of a fit stays readable.
        self.log = lo > 0 and hi / lo > LOG_FROM
        # A run that runs away must not take the picture over: the axis keeps to a thousand
        # times the start on a log scale, ten times on a linear one; beyond, an edge marker.
        if self.log:
            self.ylim = (lo / 1.5, min(hi, RUNAWAY_LOG * start) * 1.5)
        else:
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
            c = self.colors[i]
            (line,) = ax.plot(
                [], [], color=c, label=run.label, zorder=3, **style(i, len(self.runs))
            )
            (point,) = ax.plot([], [], "o", color=c, ms=7 - 0.6 * min(i, 5), zorder=3.5)
            self.line_.append(line)
            self.point_.append(point)
            if run.diverged_at is not None:
                ax.axvline(run.diverged_at, color=c, ls=":", lw=1.2)
                ax.text(
                    run.diverged_at,
                    0.5,
                    f" diverged at step {run.diverged_at}",
                    transform=ax.get_xaxis_transform(),
                    rotation=90,
                    va="center",
                    ha="right",
                    fontsize="small",
                    zorder=2,
                    color=c,
                )
        if self.best is not None:  # what the model can reach at best: where the curve heads
            ax.axhline(self.best, color="#777777", ls="--", lw=1.0, zorder=1, label="least squares")
        if len(self.runs) > 1 or self.best is not None:
            points = []
            for r in self.runs:  # a long run's curve weighs in through an even thinning
                if r.full_loss is not None:
                    idx = np.arange(0, len(r.full_loss), max(1, -(-len(r.full_loss) // TRAIL)))
                    points.append(np.column_stack([idx, r.full_loss[idx]]))
                else:
                    idx = np.arange(0, len(r.loss), max(1, -(-len(r.loss) // TRAIL)))
                    points.append(np.column_stack([r.step_at(idx), r.loss[idx]]))
            loc = legend_place(ax, np.concatenate(points))
            ax.legend(loc=loc, fontsize="small", framealpha=0.9)
        return with_legend(ax, [*self.line_, *self.point_])

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
            x, y = run.step_at(k), run.loss[k]
            top = self.ylim[1]
            point.set_data([x], [min(y, top)])
            point.set_marker("^" if y > top else "o")  # off the top: at the edge, pointing up
        return self.moving_


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    """The least and greatest finite value, without a copy of a long array."""
    finite = (
        np.where(np.isfinite(values), values, np.nan) if not np.isfinite(values).all() else values
    )
    return float(np.nanmin(finite)), float(np.nanmax(finite))
