"""The loss view: each run's loss against the step, drawn as it falls."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gdviz.plane import padded
from gdviz.views.base import View, at, color, legend_place, value_label


class LossView(View):
    """The loss curve of each run, growing step by step over axes fixed from the whole run.

    The loss axis is logarithmic when the losses are positive and span more than two decades.
    Attributes after ``plot``: ``line_`` (one Line2D per run) and ``point_`` (the current step).
    """

    name = "loss"

    def __init__(self, run_or_runs):
        super().__init__(run_or_runs)
        losses = np.concatenate([r.loss for r in self.runs])
        finite = losses[np.isfinite(losses)]
        lo, hi = float(finite.min()), float(finite.max())
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
        end = max([self.last_step, 1] + [r.diverged_at or 0 for r in self.runs])
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
            points = [np.column_stack([np.arange(len(r.loss)), r.loss]) for r in self.runs]
            loc = legend_place(ax, np.concatenate(points))
            ax.legend(loc=loc, fontsize=8, framealpha=0.9)
        return [*self.line_, *self.point_]

    def update(self, step: int):
        for run, line, point in zip(self.runs, self.line_, self.point_):
            k = at(run, step)
            line.set_data(np.arange(k + 1), run.loss[: k + 1])
            point.set_data([k], [run.loss[k]])
        return self.moving_
