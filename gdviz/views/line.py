"""The interpolation view: the loss along the straight line between two trained models
(`gdviz.interpolate`), a point moving along it from α = −0.5 to 1.5.

Drawn with it: the two models at α = 0 and 1, named; the chord between their losses; the
barrier, the curve's largest rise above that chord between them (the height a path along the
line must climb, Frankle et al. 2020); and, for a network with batch norm, the loss in the other
batch-norm mode, dashed, where it differs.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gdviz.errors import GdvizError
from gdviz.run.line import Interpolation
from gdviz.views.base import View, at, legend_over, legend_place, number
from gdviz.views.legends import keep_clear
from gdviz.views.planes import OUTLINE
from gdviz.views.tracks import Marks, place

MODES = {"eval": "eval mode (running statistics)", "train": "train mode (batch statistics)"}
BETWEEN = "#eeeeee"


class LineView(View):
    """The loss along ``(1 − α)·a + α·b`` for each interpolation, the current α marked.

    Attributes after ``plot``: ``curve_`` and ``point_`` (per line), ``barrier_`` (the
    segment from the chord up to the curve where the rise is largest, where it is above 0).
    """

    name = "interpolation"
    runwise = ("curve_", "point_")

    def __init__(self, run_or_runs):
        super().__init__(run_or_runs)
        for run in self.runs:
            if not isinstance(run, Interpolation):
                raise GdvizError(
                    f"the interpolation view draws gdviz.interpolate's lines, and run "
                    f"{run.label!r} is not one: use view='contour', 'loss' or 'fit'"
                )

    def _draw(self, ax: Axes):
        losses = np.concatenate(
            [r.loss for r in self.runs] + [r.other for r in self.runs if r.other is not None]
        )
        finite = losses[np.isfinite(losses)]
        if finite.min() > 0 and finite.max() / finite.min() > 100:
            ax.set_yscale("log")
        ax.axvspan(0, 1, color=BETWEEN, zorder=0, lw=0)
        self.curve_, self.point_, self.barrier_ = [], [], []
        alone = len(self.runs) == 1
        for i, line in enumerate(self.runs):
            c = self.colors[i]
            alpha, loss = line.alpha, line.loss
            mode = MODES[line.mode] if line.other is not None else None
            label = mode if alone else line.label + (f", {mode}" if mode else "")
            (curve,) = ax.plot(alpha, loss, color=c, lw=2, zorder=3, label=label)
            self.curve_.append(curve)
            if line.other is not None:
                other = (
                    MODES[line.other_mode] if alone else f"{line.label}, {MODES[line.other_mode]}"
                )
                ax.plot(alpha, line.other, color=c, lw=1.4, ls="--", zorder=2.5, label=other)
            ends = [float(loss[alpha == 0][0]), float(loss[alpha == 1][0])]
            ax.plot(
                [0, 1], ends, color=c, lw=1, ls=":", zorder=2, label="chord" if i == 0 else None
            )
            ax.plot([0, 1], ends, "o", ms=8, mfc="white", mec=c, mew=2, zorder=4)
            for a, value, name in zip((0, 1), ends, line.names):
                ax.annotate(name, (a, value), xytext=(0, 9), textcoords="offset points",
                            ha="center", fontsize="small", path_effects=OUTLINE, zorder=7)  # fmt: skip
            self.barrier_.append(self._barrier(ax, line, ends, c))
            (point,) = ax.plot([], [], "o", color=c, ms=9, mec="white", mew=1.2, zorder=6)
            self.point_.append(point)
        ax.set_xlim(-0.5, 1.5)
        first = self.runs[0]
        a, b = first.names
        ax.set_xlabel(f"α, on the line (1 − α)·{a} + α·{b}")
        ax.set_ylabel(f"loss ({first.problem.loss or 'value'})")
        ax.grid(True, color="#dddddd", lw=0.6, zorder=0)
        curves = [np.column_stack([r.alpha, r.loss]) for r in self.runs]
        legend = ax.legend(
            loc=legend_place(ax, np.concatenate(curves)), fontsize="small", framealpha=0.9
        )
        keep_clear(legend, ax, lines=curves)  # the current point travels each curve
        self.over_ = legend_over(ax)
        return self.point_

    @staticmethod
    def _barrier(ax: Axes, line: Interpolation, ends, c):
        """The barrier as a segment from the chord up to the curve, labelled with its height."""
        if not line.barrier > 0:
            return None
        alpha, loss = line.alpha, line.loss
        inside = (alpha >= 0) & (alpha <= 1)
        chord = (1 - alpha) * ends[0] + alpha * ends[1]
        rise = np.where(inside, loss - chord, -np.inf)
        k = int(np.argmax(rise))
        (segment,) = ax.plot([alpha[k]] * 2, [chord[k], loss[k]], color=c, lw=1.2, zorder=2.8)
        ax.annotate(
            f"barrier {number(line.barrier)}",
            (alpha[k], (chord[k] + loss[k]) / 2),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            path_effects=OUTLINE,
            zorder=7,
        )
        return segment

    def update(self, step: int):
        for line, point in zip(self.runs, self.point_):
            place(point, self._marks(line, np.array([step])))
        return self.moving_

    @staticmethod
    def _marks(line: Interpolation, steps: np.ndarray) -> Marks:
        k = np.minimum(steps, len(line.loss) - 1)
        xy = np.column_stack([line.alpha[k], line.loss[k]])
        return Marks(xy[:, None, :], np.zeros(len(k), dtype=np.uint8), ("o",))

    def tracks(self, steps: np.ndarray) -> dict | None:
        return {point: self._marks(line, steps) for line, point in zip(self.runs, self.point_)}


def caption(runs, step: int) -> str:
    """The caption under an interpolation's frame: α and the loss there."""
    first = runs[0]
    k = at(first, step)
    parts = [f"α = {first.alpha[k]:.2f}"]
    for line in runs:
        who = "" if len(runs) == 1 else f"{line.label}: "
        text = f"{who}loss {number(line.loss[at(line, step)])}"
        if line.other is not None and len(runs) == 1:
            text += f" ({line.mode} mode; {line.other_mode} mode {number(line.other[k])})"
        parts.append(text)
    return "   ·   ".join(parts)
