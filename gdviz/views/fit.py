"""The fit view: the data, and what each run predicts over it, moving step by step.

One input column: the fitted curve settling onto the data (for a classifier, the probability of
each class). Two input columns: the decision regions of a classifier (the predicted class as a
light fill, stronger where the model is surer, and the boundary between classes) or the surface
of a regression, over the data coloured by class or value, as TensorFlow Playground draws them.
"""

from __future__ import annotations

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.lines import Line2D

from gdviz.errors import GdvizError
from gdviz.problems.formulas import MODELS, model_input, model_of, sigmoid
from gdviz.run import convergence
from gdviz.run.frames import pick_steps
from gdviz.run.plane import padded
from gdviz.run.record import Run
from gdviz.views.base import (
    COLORS,
    DATA_COLOR,
    View,
    at,
    check_together,
    legend_over,
    legend_place,
)
from gdviz.views.legends import keep_clear
from gdviz.views.surface import one_column
from gdviz.views.tracks import EDGE_INSET, Curves, Marks, place

STRAIGHT = ("line", "proportional")  # models whose prediction is a straight line in x
FILL = 0.45  # how strongly the surest prediction tints the region (0: white, 1: the class colour)
# Steps of sureness the tint takes: bands read like contour levels, and a frame then changes few
# pixels where the model barely moved. Each band's edge costs a GIF the pixels it sweeps at every
# frame, and the runs of new colour it breaks each row into: the moons at slide size in a
# 100-frame GIF took 2.43 MB per 100 frames with 4 bands, 2.01 with 3 (2.9 with 6 in an older
# writer), 1.47 with 3 and no boundary line.
BANDS = 3
BOUNDARY_WIDTH = 1.6  # points
# A boundary line at least this many pixels wide is drawn without antialiasing: its stair steps
# are too small to see (a slide draws it 5 pixels wide), and its antialiased edges took new shades
# wherever it moved: 0.39 MB per 100 frames of the moons at slide size. Thinner, steps show.
ALIASED_FROM = 3.0
REGION = 64  # grid points a side of a line's plane over two columns, as networks' are stored
# The grid's probabilities are interpolated to one value a screen pixel (at most this many a
# side) and banded there: crisp edges between a few flat colours. Banded on the grid and smoothed
# by the image instead, every edge was a ramp of new colours at every frame (the moons GIF at
# slide size: 4.1 MB per 100 frames; at 640x480, 1.2 MB).
RASTER = 2048
LIMIT_SAMPLES = 1000  # snapshots whose curves set the y limits of a long run
OFF_BLOCK = 1000  # snapshots of a curve looked at together for its off-view triangles
SURFACE_CMAP = "viridis"


def columns_of(run: Run) -> int:
    """How many input columns the run's data has (0 without data)."""
    if run.x is None:
        return 0
    return 1 if run.x.ndim == 1 else int(np.prod(run.x.shape[1:]))


def can_draw(run: Run) -> bool:
    """Whether the fit view can draw ``run``: data of one or two columns, and a model whose
    predictions the view can compute (a built-in one) or that were stored at training time."""
    return refusal(run) is None


def refusal(run: Run) -> str | None:
    """Why the fit view cannot draw ``run``, in a few words; None where it can."""
    cols = columns_of(run)
    if run.x is None or run.y is None:
        return "the run has no data to fit"
    if cols > 2:
        return f"the fit view draws one or two input columns, and x has {cols}"
    if run.y.ndim > 1:
        return f"the fit view draws one target column, and y has {run.y.shape[1]}"
    if cols == 1 and not (run.problem.model in MODELS or _stored(run) == "curve"):
        return "the run holds no predictions of its model over x"
    if cols == 2 and _stored(run) != "region" and not _plane_of_a_line(run):
        return "the run holds no predictions of its model over the two input columns"
    return None


def _plane_of_a_line(run: Run) -> bool:
    """A built-in line fitted to two columns by a regression loss: its prediction over the
    input plane is computed from its formula, as a curve is for one column."""
    x = model_input(run.problem.model, run.x, len(run.param_names))
    return x is not None and x.ndim == 2 and run.problem.loss in ("mse", "rmse", "mae")


def _stored(run: Run) -> str | None:
    """The kind of predictions the run stores ("curve", "region"), or None."""
    found = run.predictions
    return None if found is None else found.kind


class _Predictions:
    """What one run predicts over the view's inputs at any snapshot: from the built-in model's
    formula (computed per frame, so memory does not grow with the run) or from the stored
    predictions of a network (the latest stored snapshot at or before the one asked for)."""

    def __init__(self, run: Run, xs: np.ndarray | None, key: str):
        self.run = run
        self.model = model = run.problem.model
        self.formula = MODELS[model].predict if key == "curve" and model in MODELS else None
        self.probability = run.problem.loss == "bce"
        self.xs = xs
        self.axes = None  # (gx, gy): the grid of a region
        if key == "region" and _plane_of_a_line(run):
            x = run.x.reshape(len(run.x), 2)
            self.axes = tuple(
                np.linspace(*padded(float(c.min()), float(c.max())), REGION) for c in x.T
            )
            grid = np.stack(np.meshgrid(*self.axes), axis=-1).reshape(-1, 2)
            line = model_of("line", 2).predict
            shape = (len(self.axes[1]), len(self.axes[0]), 1)
            self.formula = lambda p, _: np.asarray(line(p, grid), dtype=float).reshape(shape)
            self.xs = grid
            return
        if self.formula is None:
            stored = run.predictions
            if stored is None or stored.kind != key:
                raise GdvizError(
                    f"the fit view needs the model's predictions, and run {run.label!r} has "
                    "none: give Recorder.to_run the model (a built-in name or the network), "
                    "the loss and the data, or use view='contour' or 'loss'"
                )
            self.values = values = stored.values
            self.steps = stored.step
            if key == "region":
                self.axes = (stored.x, stored.y)
            if key == "curve" and xs is not None:
                grid = stored.x
                self.values = np.stack(
                    [
                        np.stack([np.interp(xs, grid, v[:, c]) for c in range(v.shape[1])], -1)
                        for v in values
                    ]
                )

    @property
    def outputs(self) -> int:
        return 1 if self.formula is not None else self.values.shape[-1]

    def at(self, step: int) -> np.ndarray:
        """The prediction at snapshot ``step`` (clamped to the run): (..., outputs)."""
        k = at(self.run, step)
        if self.formula is not None:
            with np.errstate(all="ignore"):
                y = np.asarray(self.formula(self.run.params[k], self.xs), dtype=float)
            if self.axes is not None:
                return y  # a region: (G, G, 1) already
            return (sigmoid(y) if self.probability else y)[:, None]
        i = max(int(np.searchsorted(self.steps, k, side="right")) - 1, 0)
        return np.asarray(self.values[i], dtype=float)

    @property
    def straight(self) -> bool:
        """Whether the prediction is a straight line in x at every snapshot."""
        return self.formula is not None and not self.probability and self.model in STRAIGHT

    def ends(self, steps: np.ndarray) -> np.ndarray:
        """A straight prediction's values at the first and last x, at each of ``steps``:
        (S, 2), from every snapshot's parameters at once."""
        params = self.run.params[np.minimum(steps, len(self.run.loss) - 1)]
        with np.errstate(all="ignore"):
            values = self.formula(params.T[..., None], self.xs[[0, -1]])
        return np.broadcast_to(np.asarray(values, dtype=float), (len(params), 2))

    def samples(self) -> np.ndarray:
        """Predictions at snapshots spread over the run, for axis limits."""
        if self.formula is None:
            return self.values
        steps = pick_steps([self.run], min(LIMIT_SAMPLES, len(self.run.loss)))
        return np.stack([self.at(k) for k in steps])


class FitView(View):
    """The data and each run's predictions over it, moving from step to step.

    Attributes after ``plot``: ``line_`` (the fitted curves: one per run, or per class for a
    classifier of several classes), for two input columns ``region_`` (the fill),
    ``boundary_`` (one line collection per run) and ``points_`` (the data).

    Examples
    --------
    >>> view = FitView(run).plot(ax=ax, step=10)   # draw step 10 onto your own Axes
    >>> view.line_[0].get_ydata()                  # the fitted curve drawn
    """

    name = "fit"
    runwise = ("predictions_", "line_", "off_", "boundary_")

    def __init__(self, run_or_runs, *, samples: int = 200):
        super().__init__(run_or_runs)
        first = self.runs[0]
        if first.x is None or first.y is None:
            raise GdvizError(
                f"the fit view needs data, and run {first.label!r} has none "
                "(a function? try view='contour' or 'loss')"
            )
        check_together(self.runs, surface=False)
        if first.y.ndim > 1:
            raise GdvizError(
                f"the fit view draws one target column, and run {first.label!r} has "
                f"{first.y.shape[1]}: use view='contour' or 'loss'"
            )
        self.columns = columns_of(first)
        self.task = first.problem.task or "regression"
        self.classes = int(first.problem.classes or 0)
        self.y = first.y
        if self.columns == 1:
            self.x = one_column(first.x)
            lo, hi = self.x.min(), self.x.max()
            if hi - lo < 1e-9 * max(abs(lo), 1.0):  # a single x: show the way from the origin
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            self.xs = np.linspace(*padded(lo, hi), samples)
            self.predictions_ = [_Predictions(r, self.xs, "curve") for r in self.runs]
            self.ylim = self._ylim()
        elif self.columns == 2:
            self.x = first.x.reshape(len(first.x), 2)
            if self.task == "regression" and len(self.runs) > 1:
                raise GdvizError(
                    "the fit view draws one regression over two input columns at a time: "
                    "animate the runs one by one, or use view='contour' or 'loss'"
                )
            self.predictions_ = [_Predictions(r, None, "region") for r in self.runs]
        else:
            raise GdvizError(
                f"the fit view draws one or two input columns, and run {first.label!r} has "
                f"{self.columns}: use view='contour' or 'loss'"
            )

    def class_name(self, k: int) -> str:
        """Class ``k`` as the data names it (``setosa``), else ``class k``."""
        names = self.runs[0].problem.class_names
        return str(names[k]) if names is not None and k < len(names) else f"class {k}"

    def _ylim(self) -> tuple[float, float]:
        if self.task != "regression":
            return (-0.08, 1.08)
        # The data's range, widened to show the curves' travel but never so far that the data
        # shrinks to a line: a diverging fit runs off the plot instead.
        lo, hi = self.y.min(), self.y.max()
        if len(self.y) == 1:  # one point: show the origin too, where proportional lines start
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        lo, hi = padded(lo, hi, 0.1)
        span = hi - lo
        values = np.concatenate([p.samples().ravel() for p in self.predictions_])
        values = values[np.isfinite(values)]
        if values.size:
            lo = max(min(lo, values.min()), lo - span)
            hi = min(max(hi, values.max()), hi + span)
        return padded(lo, hi, 0.02)

    # -- drawing ----------------------------------------------------------------------------------

    def _draw(self, ax: Axes):
        if self.columns == 2:
            return self._draw_regions(ax)
        return self._draw_curves(ax)

    def _draw_curves(self, ax: Axes):
        run = self.runs[0]
        n = len(self.x)
        size = 18 if n > 30 else 50
        points = f"data ({n} point{'s' if n != 1 else ''})"
        if self.task == "regression":
            ax.scatter(
                self.x,
                self.y,
                s=size,
                color=DATA_COLOR,
                alpha=0.7,
                linewidths=0,
                label=points,
                zorder=2,
            )
            ax.set_ylabel(run.problem.y_label or "y")
            at_y = self.y
        else:
            # Binary: the points sit at their label, 0 or 1, under the probability of class 1.
            # Several classes: a strip of points along the bottom, coloured by class.
            labels = self.y.astype(int)
            at_y = self.y if self.classes <= 2 else np.full(n, -0.04)
            ax.scatter(
                self.x,
                at_y,
                s=size,
                c=[COLORS[k % len(COLORS)] for k in labels],
                alpha=0.7,
                linewidths=0,
                zorder=2,
            )
            ax.set_ylabel("probability of class 1" if self.classes <= 2 else "probability")
            ax.axhline(0.5, color="#bbbbbb", lw=0.8, ls="--", zorder=1)
        ax.set_xlim(self.xs[0], self.xs[-1])
        ax.set_ylim(*self.ylim)
        ax.set_xlabel(run.problem.x_label or "x")
        ax.grid(True, color="#dddddd", linewidth=0.6, zorder=0)
        known = convergence.reachable(run) if self.task == "regression" else None
        if known is not None and known[1] is not None:  # where the fit is heading: dashed
            best = MODELS[run.problem.model].predict(known[1], self.xs)
            ax.plot(
                self.xs,
                best * np.ones_like(self.xs),
                "--",
                color="#777777",
                lw=1.2,
                zorder=2.5,
                label="least squares",
            )
        formula = run.problem.formula or "model"
        self.line_, self.off_ = [], []
        for i, (r, pred) in enumerate(zip(self.runs, self.predictions_)):
            first = pred.at(0)
            for c in range(pred.outputs):
                if pred.outputs > 1:  # one curve per class, in the class's colour
                    label = self.class_name(c) if i == 0 else None
                    look = {"color": COLORS[c % len(COLORS)], "ls": ("-", "--", ":", "-.")[i % 4]}
                else:
                    if r.problem.model in ("module", "mlp"):
                        fitted = formula
                    elif self.task == "binary":  # logistic regression: p = σ(m·x + b)
                        fitted = f"p = σ({formula})"
                    else:
                        fitted = f"y = {formula}"
                    label = f"fit: {fitted}" if len(self.runs) == 1 else r.label
                    look = {"color": self.colors[i]}
                (line,) = ax.plot(
                    self.xs, first[:, c], linewidth=2.2, label=label, zorder=3, **look
                )
                self.line_.append(line)
                # Where the curve has left the axes whole: a triangle at the edge it crossed.
                (off,) = ax.plot([], [], "^", ms=10, color=look["color"], mec="white", zorder=6)
                self.off_.append(off)
        data = np.column_stack([self.x, at_y])
        # The fitted lines sweep the axes: their first and last places are best left uncrossed.
        soft = [np.column_stack([self.xs, line.get_ydata()]) for line in self.line_]
        soft += [np.column_stack([self.xs, p.at(len(r.loss) - 1)[:, c]])
                 for r, p in zip(self.runs, self.predictions_) for c in range(p.outputs)]  # fmt: skip
        legend = ax.legend(
            loc=legend_place(ax, np.concatenate(soft), data),
            frameon=True,
            framealpha=0.9,
            fontsize="medium",
        )
        keep_clear(legend, ax, points=data, soft=soft)
        self.over_ = legend_over(ax)
        return [*self.line_, *self.off_]

    def _draw_regions(self, ax: Axes):
        run = self.runs[0]
        self.gx, self.gy = self.predictions_[0].axes
        self._mesh = np.meshgrid(self.gx, self.gy)
        extent = (self.gx[0], self.gx[-1], self.gy[0], self.gy[-1])
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        columns = run.problem.columns or ("x₁", "x₂")
        ax.set_xlabel(columns[0])
        ax.set_ylabel(columns[1])
        moving = []
        self.region_ = None
        if len(self.runs) == 1:
            self.region_ = ax.imshow(
                np.ones((len(self.gy), len(self.gx), 3)),
                extent=extent,
                origin="lower",
                interpolation="nearest",  # a value a pixel already (`raster`)
                aspect="auto",
                zorder=2.55,
            )
            # The fill moves, and a blitted frame draws it over everything static, the axes'
            # frame included: it sits above the frame in a full redraw too (zorder 2.55).
            moving.append(self.region_)
        self.boundary_ = []
        if self.task != "regression":
            for i in range(len(self.runs)):
                lines = LineCollection(
                    [],
                    colors="#333333" if len(self.runs) == 1 else self.colors[i],
                    linewidths=BOUNDARY_WIDTH,
                    antialiased=BOUNDARY_WIDTH * ax.figure.dpi / 72 < ALIASED_FROM,
                    zorder=2.6,
                )
                ax.add_collection(lines)
                self.boundary_.append(lines)
            moving.extend(self.boundary_)
            labels = self.y.astype(int)
            point_colors = [COLORS[k % len(COLORS)] for k in labels]
            self.points_ = ax.scatter(
                *self.x.T, s=22, c=point_colors, edgecolors="white", linewidths=0.6, zorder=3
            )
        else:
            finite = self.predictions_[0].samples()
            lo = float(min(self.y.min(), np.nanmin(finite)))
            hi = float(max(self.y.max(), np.nanmax(finite)))
            self._norm = Normalize(*padded(lo, hi, 0.0))
            self.points_ = ax.scatter(
                *self.x.T,
                s=22,
                c=self.y,
                cmap=SURFACE_CMAP,
                norm=self._norm,
                edgecolors="white",
                linewidths=0.6,
                zorder=3,
            )
            bar = ax.figure.colorbar(self.points_, ax=ax, shrink=0.9, pad=0.02)
            bar.set_label(run.problem.y_label or "y", fontsize="medium")
            bar.ax.tick_params(labelsize="small")
        moving.append(self.points_)
        handles = self._legend_handles()
        if handles:
            legend = ax.legend(
                handles=handles,
                loc=legend_place(ax, self.x),
                fontsize="small",
                framealpha=0.9,
            )
            keep_clear(legend, ax, points=self.x)  # the data, every point in sight
            self.over_ = [legend]  # drawn over the moving fill
        return moving

    def _legend_handles(self) -> list:
        if self.task == "regression":
            return []
        handles = [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=6,
                mfc=COLORS[k % len(COLORS)],
                mec="white",
                label=self.class_name(k),
            )
            for k in range(max(self.classes, 2))
        ]
        if len(self.runs) == 1:
            handles.append(
                Line2D([], [], color="#333333", lw=BOUNDARY_WIDTH, label="decision boundary")
            )
        else:
            handles += [
                Line2D([], [], color=self.colors[i], lw=1.6, label=r.label)
                for i, r in enumerate(self.runs)
            ]
        return handles

    # -- moving -----------------------------------------------------------------------------------

    def update(self, step: int):
        if self.columns == 1:
            lines, offs = iter(self.line_), iter(self.off_)
            for pred in self.predictions_:
                values = pred.at(step)
                for c in range(pred.outputs):
                    next(lines).set_ydata(values[:, c])
                    place(next(offs), self._off_view(self.xs, values[None, :, c]))
            return self.moving_
        for i, pred in enumerate(self.predictions_):
            values = pred.at(step)  # (G, G, C)
            if self.task == "regression":
                self.region_.set_data(self._surface_rgb(values[..., 0]))
                continue
            probs = _class_probabilities(values)
            if self.region_ is not None:
                grid = probs.astype(np.float32)  # half the memory of a slide's raster
                self.region_.set_data(_tint(raster(grid, pixels(self.region_.axes))))
            self.boundary_[i].set_segments(self._boundaries(probs))
        return self.moving_

    def tracks(self, steps: np.ndarray) -> dict | None:
        if self.columns != 1:
            return None  # regions and boundaries are moved step by step
        out = {}
        lines, offs = iter(self.line_), iter(self.off_)
        for pred in self.predictions_:
            off_marks = None if pred.straight else self._off_curves(pred, steps)
            for c in range(pred.outputs):
                line, off = next(lines), next(offs)
                if pred.straight:  # its two ends at every step
                    values = pred.ends(steps)
                    ends = np.stack(
                        [np.broadcast_to(self.xs[[0, -1]], (len(steps), 2)), values], axis=-1
                    )
                    out[line] = Marks(
                        ends, np.zeros(len(steps), np.uint8), (str(line.get_marker()),)
                    )
                    out[off] = self._off_view(self.xs[[0, -1]], values)
                else:
                    out[line] = Curves(
                        lambda step, pred=pred, c=c: np.column_stack([self.xs, pred.at(step)[:, c]])
                    )
                    out[off] = off_marks[c]
        return out

    def _off_curves(self, pred, steps: np.ndarray) -> list[Marks]:
        """`_off_view` of each output of a curved prediction at every one of ``steps``: each
        snapshot's curves made once for all outputs, `OFF_BLOCK` snapshots at a time (a page's
        100,000 snapshots of 200 points would be 160 MB an output at once)."""
        parts: list[list[Marks]] = [[] for _ in range(pred.outputs)]
        for start in range(0, len(steps), OFF_BLOCK):
            block = np.stack([pred.at(int(k)) for k in steps[start : start + OFF_BLOCK]])
            for c, kept in enumerate(parts):
                kept.append(self._off_view(self.xs, block[..., c]))
        return [
            Marks(np.concatenate([m.data for m in kept]), np.concatenate([m.marker for m in kept]),
                  kept[0].markers)
            for kept in parts
        ]  # fmt: skip

    def _off_view(self, xs: np.ndarray, values: np.ndarray) -> Marks:
        """For curves (S, W) over ``xs``: where each has left the axes whole, a triangle just
        inside the edge it crossed, under its nearest point, pointing the way it went; else
        nothing (not a number: no marker drawn)."""
        bottom, top = self.ylim
        inset = EDGE_INSET * (top - bottom)
        with np.errstate(invalid="ignore"):
            high = np.where(np.isnan(values), np.inf, values)
            low = np.where(np.isnan(values), -np.inf, values)
            above = (high > top).all(axis=1) & ~np.isnan(values).all(axis=1)
            below = (low < bottom).all(axis=1) & ~above & ~np.isnan(values).all(axis=1)
        span = xs[-1] - xs[0]
        x = np.clip(xs[np.where(above, np.argmin(high, axis=1), np.argmax(low, axis=1))],
                    xs[0] + EDGE_INSET * span, xs[-1] - EDGE_INSET * span)  # fmt: skip
        y = np.where(above, top - inset, bottom + inset)
        shown = above | below
        data = np.column_stack([np.where(shown, x, np.nan), np.where(shown, y, np.nan)])
        return Marks(data[:, None, :], below.astype(np.uint8), ("^", "v"))

    def _surface_rgb(self, field: np.ndarray) -> np.ndarray:
        cmap = self.points_.get_cmap()
        rgb = cmap(self._norm(field))[..., :3]
        return 1 - FILL * (1 - rgb)

    def _boundaries(self, probs: np.ndarray) -> list[np.ndarray]:
        """Where the predicted class changes: the zero lines of each class's lead over the rest."""
        classes = probs.shape[-1]
        segments = []
        for k in range(1 if classes == 2 else classes):
            others = np.delete(probs, k, axis=-1).max(axis=-1)
            lead = contourpy.contour_generator(*self._mesh, probs[..., k] - others)
            segments += [s for s in lead.lines(0.0) if len(s) > 1]
        # Each point on the nearest pixel: a line that moved less than half a pixel is drawn
        # alike, and a GIF stores nothing for it (its antialiased edges changed shade at every
        # frame: 1.1 MB per 100 frames of the moons' boundary at slide size).
        data = self.ax_.transData
        return [data.inverted().transform(np.round(data.transform(s))) for s in segments]


def _class_probabilities(values: np.ndarray) -> np.ndarray:
    """(…, C) stored outputs as (…, K) class probabilities: C = 1 is class 1's of two."""
    if values.shape[-1] == 1:
        p1 = np.clip(values[..., 0], 0.0, 1.0)
        return np.stack([1 - p1, p1], axis=-1)
    return values


def _tint(probs: np.ndarray) -> np.ndarray:
    """RGBA (uint8): each place in the predicted class's colour, stronger where the model is
    surer, in `BANDS` steps (white where it cannot tell the classes apart). A slide's raster
    is a million and a half places: elementwise passes class by class (numpy's max and argmax
    over a last axis of two are ten times slower) and one lookup in a table of packed colours."""
    classes = probs.shape[-1]
    palette = np.array([to_rgb(COLORS[k % len(COLORS)]) for k in range(classes)])
    strength = np.arange(BANDS + 1)[None, :, None] / BANDS
    rgb = np.round(255 * (1 - FILL * strength * (1 - palette[:, None, :]))).astype(np.uint32)
    packed = (rgb[..., 0] | rgb[..., 1] << 8 | rgb[..., 2] << 16 | np.uint32(255) << 24).ravel()
    top, chosen = probs[..., 0], np.zeros(probs.shape[:-1], dtype=np.intp)
    for k in range(1, classes):
        chosen = np.where(probs[..., k] > top, k, chosen)
        top = np.maximum(top, probs[..., k])
    sure = (top - 1 / classes) * (1 / (1 - 1 / classes))
    band = np.ceil(np.clip(sure, 0, 1) * BANDS).astype(np.intp)
    colours = packed.astype("<u4")[chosen * (BANDS + 1) + band]
    return colours.view(np.uint8).reshape(*colours.shape, 4)


def pixels(ax: Axes) -> tuple[int, int]:
    """The (rows, columns) of screen pixels the axes cover, at most `RASTER` a side."""
    box = ax.bbox
    return tuple(int(min(max(round(n), 1), RASTER)) for n in (box.height, box.width))


def raster(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(Gy, Gx, …) values on a grid whose first and last points lie on the box's edges,
    interpolated bilinearly at the centres of a (rows, columns) raster over the same box."""
    out = grid
    for axis, n in enumerate(shape):
        g = grid.shape[axis]
        t = (np.arange(n) + 0.5) * ((g - 1) / n)  # pixel centres in grid steps
        low = np.minimum(t.astype(int), g - 2) if g > 1 else np.zeros(n, int)
        w = (t - low).reshape((-1,) + (1,) * (grid.ndim - axis - 1))
        high = np.minimum(low + 1, g - 1)
        w = w.astype(out.dtype)
        out = np.take(out, low, axis=axis) * (1 - w) + np.take(out, high, axis=axis) * w
    return out
