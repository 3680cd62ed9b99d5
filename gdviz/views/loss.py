"""The loss view: each run's loss against the step, drawn as it falls."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from gdviz.run import convergence
from gdviz.run.plane import padded
from gdviz.views.base import (
    TRAIL,
    View,
    at,
    count,
    learning_rates,
    legend_over,
    legend_place,
    style,
    trail,
    value_label,
)
from gdviz.views.legends import keep_clear
from gdviz.views.tracks import EDGE_INSET, Marks, grown, place

LOG_FROM = 10  # the loss spans this ratio: a logarithmic axis
RUNAWAY_LOG = 1e3  # times the start the axis keeps to on a log scale (10 on a linear one)
SHARPNESS_COLOR = "#7b3294"  # the curvature axis of a single run: apart from the loss's blue


def edge_of_stability(run) -> tuple[np.ndarray, str] | None:
    """The sharpness above which the run's optimiser is unstable on a quadratic, per snapshot,
    and its name, or None where no such line is known or the rate is unknown.

    On the Hessian's sharpness: ``2 / lr`` for gradient descent, ``(2 + 2β) / lr`` for
    heavy-ball momentum (β its momentum); none for Nesterov's. On the preconditioned sharpness
    of an adaptive optimiser (``run.meta["sharpness"] == "preconditioned"``, the update
    ``lr · P⁻¹ m`` with ``P`` held still): Adam's and AdamW's ``(2 + 2β1) / ((1 − β1)·lr)``,
    38 / lr at β1 = 0.9 (Cohen et al. 2022: an exponential average of the gradient is
    momentum ``β1`` on a step ``(1 − β1)·lr``), RMSprop's ``2 / lr`` (``(2 + 2μ) / lr`` with
    momentum μ) and Adagrad's ``2 / lr``, where Adagrad's ever-growing ``P`` means it need
    not ever reach its line."""
    settings = run.training.torch_optimizer
    settings = settings if isinstance(settings, dict) else {}
    kind = settings.get("class")
    if run.training.sharpness == "preconditioned":
        factor, name = _adaptive_edge(kind, settings)
        if factor is None:
            return None
    elif run.training.optimizer == "gd" or kind == "SGD":
        beta = settings.get("momentum", 0.0)
        if not isinstance(beta, (int, float)) or settings.get("nesterov") is True:
            return None
        factor, name = (2.0, "2 / lr") if beta == 0 else (2.0 + 2.0 * beta, "(2 + 2β) / lr")
    else:
        return None
    lr = learning_rates(run)
    if lr is None:
        return None
    with np.errstate(divide="ignore"):
        line = np.where(lr > 0, factor / lr, np.nan)
    return (line, name) if np.isfinite(line).any() else None


def _adaptive_edge(kind, settings: dict) -> tuple[float | None, str]:
    """The edge of an adaptive optimiser's preconditioned sharpness, times lr, and its name."""
    if kind in ("Adam", "AdamW"):
        betas = settings.get("betas")
        beta = betas[0] if isinstance(betas, list) and betas else None
        if not isinstance(beta, (int, float)) or not 0 <= beta < 1:
            return None, ""
        factor = (2 + 2 * beta) / (1 - beta)
        return factor, f"{factor:.3g} / lr: (2 + 2β1) / ((1 − β1)·lr), β1 = {beta:g}"
    if kind == "RMSprop":
        mu = settings.get("momentum", 0.0)
        if not isinstance(mu, (int, float)):
            return None, ""
        return (2.0, "2 / lr") if mu == 0 else (2 + 2 * mu, f"(2 + 2μ) / lr, μ = {mu:g}")
    if kind == "Adagrad":
        return 2.0, "2 / lr"
    return None, ""


class LossView(View):
    """The loss curve of each run, growing step by step over axes fixed from the whole run.

    The loss axis is logarithmic when the losses are positive and span more than a decade.
    Runs that recorded their sharpness (``train(..., curvature=True)``) get it on a second
    axis at the right, with the edge of stability (`edge_of_stability`) dashed.
    Attributes after ``plot``: ``line_`` (one Line2D per run) and ``point_`` (the current step),
    and ``sharp_`` (one Line2D per run with a sharpness, else None).
    """

    name = "loss"
    runwise = ("sharpness", "edges", "sharp_", "line_", "point_")

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
        if self.best is not None and 0 < self.best < lo / 1e3 and lo > 0:
            # An exact fit's least squares is rounding (1e-30): a log axis stretched down to
            # it would flatten every curve; the line is left out instead.
            self.best = None
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
        self.sharpness = [
            r.sharpness if r.sharpness is not None and np.isfinite(r.sharpness).any() else None
            for r in self.runs
        ]
        self.edges = [
            edge_of_stability(r) if s is not None else None
            for r, s in zip(self.runs, self.sharpness)
        ]
        self.sharp_ = [None] * len(self.runs)

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
        # At most six round steps, and 250k rather than 250000: six-digit labels ran together.
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count(v)))
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
        legend_ax, extra = ax, []
        if any(s is not None for s in self.sharpness):
            legend_ax, extra = self._draw_sharpness(ax)
        if len(self.runs) > 1 or self.best is not None or extra:
            points = []
            for r in self.runs:  # a long run's curve weighs in through an even thinning
                if r.full_loss is not None:
                    idx = np.arange(0, len(r.full_loss), max(1, -(-len(r.full_loss) // TRAIL)))
                    points.append(np.column_stack([idx, r.full_loss[idx]]))
                else:
                    idx = np.arange(0, len(r.loss), max(1, -(-len(r.loss) // TRAIL)))
                    points.append(np.column_stack([r.step_at(idx), r.loss[idx]]))
            handles, labels = ax.get_legend_handles_labels()
            if extra:
                more, more_labels = legend_ax.get_legend_handles_labels()
                handles, labels = handles + more, labels + more_labels
                to_loss = legend_ax.transData + ax.transData.inverted()
                points += [to_loss.transform(p) for p in extra]
            loc = legend_place(ax, np.concatenate(points), labels=labels)
            legend = legend_ax.legend(handles, labels, loc=loc, fontsize="small", framealpha=0.9)
            # A current point travels each curve; the least-squares line may be crossed.
            x0, x1 = ax.get_xlim()
            soft = [] if self.best is None else [[(x0, self.best), (x1, self.best)]]
            keep_clear(legend, ax, lines=points, soft=soft)
        sharp = [a for a in self.sharp_ if a is not None]
        moving = [*self.line_, *self.point_, *sharp, *getattr(self, "edge_", [])]
        self.over_ = legend_over(legend_ax)
        return moving

    def _draw_sharpness(self, ax: Axes):
        """The sharpness of each run on a second axis, and its edge of stability; returns that
        axis and the points it will draw (for the legend's place)."""
        twin = ax.twinx()
        single = len(self.runs) == 1
        self.edge_ = []
        tops, points, names, unknown = [], [], [], []
        for i, (run, sharp, edge) in enumerate(zip(self.runs, self.sharpness, self.edges)):
            if sharp is None:
                continue
            c = SHARPNESS_COLOR if single else self.colors[i]
            steps = run.step_at(slice(None))
            tops.append(np.nanmax(np.where(np.isfinite(sharp), sharp, np.nan)))
            points.append(np.column_stack([steps, sharp]))
            (self.sharp_[i],) = twin.plot(
                [],
                [],
                color=c,
                lw=1.3,
                ls="-",
                zorder=3,
                label=_sharpness_name(run) if single else "_sharpness",
            )
            if edge is None and learning_rates(run) is None:
                unknown.append("no edge of stability: the run's rate is unknown")
            elif edge is None:
                unknown.append(
                    f"no edge of stability known for {run.training.optimizer or kind_of(run)}"
                )
            else:
                line, name = edge
                tops.append(np.nanmax(line))
                # Over the sharpness, which at the edge of stability hides it otherwise (so
                # redrawn with the moving artists, after them).
                (drawn,) = twin.plot(
                    steps,
                    line,
                    color="#111111" if single else c,
                    lw=1.2,
                    ls="--",
                    zorder=3.2,
                    drawstyle="steps-post",
                    label=name if single else "_edge",
                )
                self.edge_.append(drawn)
                names.append(name)
                points.append(np.column_stack([steps, line]))
        if not single:  # one entry for each kind of line, in grey: each run keeps its colour
            twin.plot([], [], color="#777777", lw=1.3, label="sharpness (run's colour)")
            for name in dict.fromkeys(names):
                twin.plot([], [], color="#777777", lw=1.2, ls="--", label=f"{name} (run's colour)")
        for said in dict.fromkeys(unknown):  # said, where a line would be looked for
            twin.plot([], [], " ", label=said)
        top = max(tops)
        twin.set_ylim(0 if min(np.nanmin(p[:, 1]) for p in points) >= 0 else None, 1.12 * top)
        kinds = {r.training.sharpness for r, s in zip(self.runs, self.sharpness) if s is not None}
        label = "preconditioned sharpness λ1(P⁻¹H)" if kinds == {"preconditioned"} else "sharpness"
        twin.set_ylabel(label, color=SHARPNESS_COLOR if single else "black")
        if single:
            twin.tick_params(axis="y", colors=SHARPNESS_COLOR)
        return twin, points

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
            place(point, self._capped(np.array([run.step_at(k)]), run.loss[k : k + 1]))
        for run, sharp, line in zip(self.runs, self.sharpness, self.sharp_):
            if line is not None:
                shown = trail(run, at(run, step))
                line.set_data(run.step_at(shown), sharp[shown])
        return self.moving_

    def tracks(self, steps: np.ndarray) -> dict | None:
        if any(s is not None for s in self.sharpness):
            return None  # the sharpness panel is moved step by step
        out = {}
        for run, line, point in zip(self.runs, self.line_, self.point_):
            k = np.minimum(steps, len(run.loss) - 1)
            if run.full_loss is None:
                every = np.arange(len(run.loss))
                out[line] = grown(np.column_stack([run.step_at(every), run.loss]), k)
            else:
                every = np.arange(len(run.full_loss))
                upto = np.asarray(run.step_at(k), dtype=np.int64)
                out[line] = grown(np.column_stack([every, run.full_loss]), upto)
            out[point] = self._capped(run.step_at(k), run.loss[k])
        return out

    def _capped(self, steps: np.ndarray, loss: np.ndarray) -> Marks:
        """The current point at each (step, loss): there, or, past the top or the bottom of
        the axes, a triangle just inside that edge pointing the way the loss went."""
        bottom, top = self.ylim
        if self.log:  # inside the edge by the same share of the axis on a log scale
            ratio = (top / bottom) ** EDGE_INSET
            low, high = bottom * ratio, top / ratio
        else:
            low, high = bottom + EDGE_INSET * (top - bottom), top - EDGE_INSET * (top - bottom)
        loss = np.asarray(loss, dtype=float)
        with np.errstate(invalid="ignore"):
            above = (loss > top) | (loss == np.inf)
            below = (loss < bottom) | (loss == -np.inf)
        shown = np.where(above, high, np.where(below, low, loss))
        marker = np.where(above, 1, np.where(below, 2, 0)).astype(np.uint8)
        at_ = np.column_stack([steps, shown])
        return Marks(at_[:, None, :], marker, ("o", "^", "v"))


def _sharpness_name(run) -> str:
    if run.training.sharpness == "preconditioned":
        return "preconditioned sharpness (top eigenvalue of P⁻¹H)"
    return "sharpness (top Hessian eigenvalue)"


def kind_of(run) -> str:
    """The optimiser's name for a note: gdviz's, else torch's class, else "its optimiser"."""
    settings = run.training.torch_optimizer
    kind = settings.get("class") if isinstance(settings, dict) else None
    return kind if isinstance(kind, str) else "its optimiser"


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    """The least and greatest finite value, without a copy of a long array."""
    finite = (
        np.where(np.isfinite(values), values, np.nan) if not np.isfinite(values).all() else values
    )
    return float(np.nanmin(finite)), float(np.nanmax(finite))
