"""The fit view: the data, and the fitted curve of each run settling onto it."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from gdviz.errors import GdvizError
from gdviz.formulas import MODELS
from gdviz.run import Run
from gdviz.views.base import DATA_COLOR, View, at, color, padded


def curves(run: Run, xs: np.ndarray) -> np.ndarray:
    """The run's fitted curve over ``xs`` at every snapshot, shape (S, len(xs))."""
    model = run.meta.get("model")
    if model in MODELS:
        with np.errstate(all="ignore"):
            return np.asarray(MODELS[model].predict(run.params.T[:, :, None], xs), dtype=float)
    if "curve" in run.extras:
        grid = run.extras["curve_x"]
        return np.array([np.interp(xs, grid, c) for c in run.extras["curve"]])
    raise GdvizError(
        "the fit view needs a run with data and a known model "
        "(from train, or Recorder.to_run(x=..., y=..., model='line'))"
    )


class FitView(View):
    """The data as points and each run's fitted curve, moving from step to step.

    Examples
    --------
    >>> view = FitView(run).plot(ax=ax, step=10)   # draw step 10 onto your own Axes
    >>> view.line_[0].get_ydata()                  # the fitted curve drawn
    """

    name = "fit"

    def __init__(self, run_or_runs, *, samples: int = 200):
        super().__init__(run_or_runs)
        first = self.runs[0]
        if first.x is None or first.y is None:
            raise GdvizError(
                f"the fit view needs data, and run {first.label!r} has none "
                "(a test function? try view='contour' or 'loss')"
            )
        self.x, self.y = first.x, first.y
        lo, hi = self.x.min(), self.x.max()
        if hi - lo < 1e-9 * max(abs(lo), 1.0):  # a single x: show the way from the origin too
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        self.xs = np.linspace(*padded(lo, hi), samples)
        self.curves_ = [curves(r, self.xs) for r in self.runs]
        self.ylim = self._ylim()

    def _ylim(self) -> tuple[float, float]:
        # The data's range, widened to show the curves' travel but never so far that the data
        # shrinks to a line: a diverging fit runs off the plot instead.
        lo, hi = self.y.min(), self.y.max()
        if len(self.y) == 1:  # one point: show the origin too, where proportional lines start
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        lo, hi = padded(lo, hi, 0.1)
        span = hi - lo
        values = np.concatenate([c[np.isfinite(c)] for c in self.curves_])
        if values.size:
            lo = max(min(lo, values.min()), lo - span)
            hi = min(max(hi, values.max()), hi + span)
        return padded(lo, hi, 0.02)

    def _draw(self, ax: Axes):
        run = self.runs[0]
        ax.scatter(
            self.x,
            self.y,
            s=18 if len(self.x) > 30 else 50,
            color=DATA_COLOR,
            alpha=0.7,
            linewidths=0,
            label=f"data ({len(self.x)} point{'s' if len(self.x) != 1 else ''})",
            zorder=2,
        )
        ax.set_xlim(self.xs[0], self.xs[-1])
        ax.set_ylim(*self.ylim)
        ax.set_xlabel(run.meta.get("x_label", "x"))
        ax.set_ylabel(run.meta.get("y_label", "y"))
        ax.grid(True, color="#dddddd", linewidth=0.6, zorder=0)
        formula = run.meta.get("formula", "model")
        self.line_ = []
        for i, r in enumerate(self.runs):
            fitted = formula if run.meta.get("model") == "module" else f"y = {formula}"
            label = f"fit: {fitted}" if len(self.runs) == 1 else r.label
            (line,) = ax.plot(
                self.xs, self.curves_[i][0], color=color(i), linewidth=2.2, label=label, zorder=3
            )
            self.line_.append(line)
        ax.legend(loc="upper left", frameon=True, framealpha=0.9, fontsize=9)
        return self.line_

    def update(self, step: int):
        for line, c, r in zip(self.line_, self.curves_, self.runs):
            line.set_ydata(c[at(r, step)])
        return self.line_
