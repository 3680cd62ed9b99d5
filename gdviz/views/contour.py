"""The contour view: each run's path over its loss surface, for any number of parameters.

Two parameters: the exact surface. One: the loss curve over the parameter, the point rolling
along it. Three or more: the plane through the final parameters spanned by the path's two main
directions (Li et al., 2018), with the share of the path's variance it holds and the recorded
loss beside the plane's, since the projection hides the rest.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from gdviz.errors import GdvizError
from gdviz.run.plane import Plane, padded
from gdviz.run.record import Run
from gdviz.views import internals as inside
from gdviz.views import planes, surface
from gdviz.views.base import (
    LEGEND_PLACES,
    View,
    at,
    check_together,
    legend_over,
    legend_place,
    number,
    style,
    trail,
    value_label,
)
from gdviz.views.legends import keep_clear, keep_note_clear
from gdviz.views.terrain import Terrain
from gdviz.views.ticks import Inside
from gdviz.views.tracks import Arrows, Notes, edge_marks, grown, place

CMAP = "viridis"  # perceptually uniform and colour-blind safe
OUTLINE = [patheffects.withStroke(linewidth=3.2, foreground="white", alpha=0.7)]
DOTS_UP_TO = 60  # snapshots: shorter paths show each step as a dot


def star(ax: Axes, *coords, run: Run):
    """Mark known minima at ``coords`` (x, y, and z on 3-D axes): hollow stars, black on a white
    halo, drawn above the paths and points. Hollow, so that a run that ends at its minimum
    shows its current point inside the star: both are seen in the last frame."""
    label = "minimum" if len(coords[0]) == 1 else "minima"
    if not run.problem.is_function:
        label = "least-squares minimum"
    (marker,) = ax.plot(
        *coords, "*", ms=18, mfc="none", mec="black", mew=1.4, zorder=7, label=label,
        path_effects=[patheffects.withStroke(linewidth=3.4, foreground="white")],
    )  # fmt: skip
    return marker


NOTE_RUNS = 4  # plane notes for at most this many runs; the rest would hide the picture
NOTE_SAMPLES = 12  # steps whose notes are measured for the widest, where it is placed


class ContourView(View):
    """The path of each run over the contours of its loss surface.

    Attributes after ``plot``: ``path_`` (one Line2D per run, the visited points up to the
    step), ``point_`` (the current points), ``arrow_`` (the step about to be taken),
    ``contour_`` (the filled contours), ``plane_`` (for three or more parameters) and
    ``note_`` (on a plane: each run's recorded loss beside the loss on the plane).

    ``internals=True`` (two parameters) draws at each current point what the optimiser did
    inside the update (`gdviz.views.internals`): the gradient step, the momentum velocity,
    Adam's step before and after its scaling, beside the step taken, all scaled up alike
    when the steps are small; ``inner_`` holds them (per run, a dict by kind).
    """

    name = "contour"
    runwise = ("coords", "path_loss", "inner", "path_", "point_", "arrow_", "inner_")

    def __init__(self, run_or_runs, *, resolution: int = 200, internals: bool = False):
        super().__init__(run_or_runs)
        first = self.runs[0]
        check_together(self.runs, surface=True)
        ground = Terrain.of(self.runs, resolution=resolution)
        self.dim = ground.dim
        self.names = first.param_names
        # The view's own copies: per-run lists of a long run are thinned for drawing
        # (`gdviz.animation.rows`), and nothing keeps the whole arrays alive behind them.
        self.plane_: Plane | None = ground.plane
        self.xs, self.ys, self.values = ground.xs, ground.ys, ground.values
        self.coords, self.minima, self.extent = list(ground.coords), ground.minima, ground.extent
        self.path_loss = None if ground.path_loss is None else list(ground.path_loss)
        self.stored = ground.stored
        # Models on a plane (`gdviz.landscape`): marked and named, with no path to follow.
        self.pathless = ground.plane is not None and planes.pathless(self.runs)
        self.internals = bool(internals)
        if self.internals:
            if self.dim != 2:
                raise GdvizError(
                    f"the optimiser's internals are drawn for two parameters; this run has "
                    f"{self.dim:,} (on a plane they would be shadows of vectors in "
                    f"{self.dim:,} dimensions)"
                )
            self.inner = [inside.vectors(r) for r in self.runs]
            self.arrow_scale = [
                inside.scale_for(np.diff(r.params, axis=0), self.extent) for r in self.runs
            ]
            (x0, x1), (y0, y1) = self.extent
            self.longest = inside.LONGEST_OF_BOX * float(np.hypot(x1 - x0, y1 - y0))

    # -- drawing ------------------------------------------------------------------------------

    def _draw(self, ax: Axes):
        self.path_, self.point_, self.arrow_ = [], [], []
        self.inner_ = [{} for _ in self.runs]
        self.star_ = None
        if self.dim == 1:
            self._draw_curve(ax)
        else:
            self._draw_surface(ax)
        if self.pathless:
            self.over_ = planes.marks(ax, self.stored)
            text = planes.mark_note(self.stored)
            # in the corner that hides none of the models, where one does
            loc = legend_place(ax, np.empty((0, 2)), self.stored.marks, labels=text.split("\n"))
            self.note_ = self._note_box(ax, LEGEND_PLACES[loc])
            return [self.note_]
        count = len(self.runs)
        for i, (run, xy) in enumerate(zip(self.runs, self.coords)):
            c = self.colors[i]
            label = run.label if count > 1 else None
            if label and self.internals and self.arrow_scale[i] > 1:
                label += f" · arrows ×{self.arrow_scale[i]:g}"
            y0 = run.loss[0] if self.dim == 1 else xy[0, 1]
            ax.plot(xy[0, 0], y0, "o", ms=8, mfc="white", mec=c, mew=2, zorder=3.5)
            dots = "o" if len(run.loss) <= DOTS_UP_TO else None
            look = style(i, count)
            (path,) = ax.plot(
                [],
                [],
                color=c,
                lw=look["lw"] * 0.9,
                ls=look["ls"],
                marker=dots,
                ms=2.5,
                zorder=4,
                label=label,
                path_effects=OUTLINE,
            )
            # Runs that end at one point show as rings: each current dot smaller than the last.
            size = 10 - 5 * i / max(count - 1, 1) if count > 1 else 9
            (point,) = ax.plot([], [], "o", color=c, ms=size, mec="white", mew=1.2, zorder=6)
            arrow = FancyArrowPatch(
                (0, 0),
                (0, 0),
                arrowstyle="-|>",
                mutation_scale=14,
                color=c,
                lw=1.8,
                zorder=5,
                shrinkA=0,
                shrinkB=0,
            )
            ax.add_patch(arrow)
            self.path_.append(path)
            self.point_.append(point)
            self.arrow_.append(arrow)
        if self.internals:
            own = self.colors[0] if count == 1 else "#888888"
            inside.draw(ax, self.inner, self.inner_, self.arrow_, own=own, runs=count)
        handles = [h for h in self.path_ if h.get_label() and not h.get_label().startswith("_")]
        if handles or len(self.minima) or self.internals:
            single = self.internals and count == 1 and self.arrow_scale[0] > 1
            times = f"arrows ×{self.arrow_scale[0]:g}" if single else None
            paths, marks, soft = self._legend_items(ax)
            legend = ax.legend(
                loc=legend_place(ax, np.concatenate(paths + soft), np.concatenate(marks)),
                fontsize="small",
                framealpha=0.9,
                title=times,
                title_fontsize="small",
            )
            keep_clear(legend, ax, points=marks, lines=paths, soft=soft)
        # Blitting draws in this order; a full redraw by zorder: the same picture either way.
        inner = sorted(
            (a for arrows in self.inner_ for a in arrows.values()), key=lambda a: a.get_zorder()
        )
        moving = [*self.path_, *self.arrow_, *inner]
        if self.path_loss is not None:
            self.note_ = self._note_box(ax)
            paths, marks, soft = self._legend_items(ax)
            longest = max(len(r.loss) for r in self.runs)
            texts = {self._note(int(k)) for k in np.linspace(0, longest - 1, NOTE_SAMPLES)}
            widest = sorted(texts, key=len)[-3:]  # by characters: measured once laid out
            keep_note_clear(self.note_, ax, widest, wrap_note, points=marks, lines=paths, soft=soft)
            # Where every corner lies on a path, the current point still passes over the note.
            self.note_.set_zorder(5.9)  # over the arrows, under the points
            moving.append(self.note_)
        moving += self.point_
        stars = [] if self.star_ is None else [self.star_]  # above the paths and points
        self.over_ = [*stars, *legend_over(ax)]
        return moving

    @staticmethod
    def _note_box(ax: Axes, corner: tuple[float, float] = (0.0, 0.0)):
        """The note (lower left unless ``corner`` says another, in axes fractions): on a plane,
        each run's recorded loss beside the plane's, or the models' losses."""
        x, y = corner
        return ax.text(
            0.02 + 0.96 * x,
            0.02 + 0.96 * y,
            "",
            transform=ax.transAxes,
            fontsize="small",
            va={0.0: "bottom", 0.5: "center", 1.0: "top"}[y],
            ha={0.0: "left", 0.5: "center", 1.0: "right"}[x],
            bbox={"fc": "white", "ec": "none", "alpha": 0.8},
            zorder=7,
        )

    def _legend_items(self, ax: Axes) -> tuple[list, list, list]:
        """What the legend must keep clear: the paths (over the whole run: the current point
        travels them), the starts and minima, and the curve of a 1-D function (the note on a
        plane, placed first, is kept clear by `gdviz.views.legends.settle`)."""
        # A long run weighs in through an even thinning of its path, as it is drawn.
        shown = [trail(r, len(r.loss) - 1) for r in self.runs]
        if self.dim == 1:
            paths = [
                np.column_stack([xy[i, 0], r.loss[i]])
                for r, xy, i in zip(self.runs, self.coords, shown)
            ]
            soft = [np.column_stack([self.xs, self.values])]
            marks = [p[:1] for p in paths]
            if len(self.minima):
                f_min = np.interp(self.minima[:, 0], self.xs, self.values)
                marks.append(np.column_stack([self.minima[:, 0], f_min]))
        else:
            paths, soft = [xy[i] for xy, i in zip(self.coords, shown)], []
            marks = [xy[:1] for xy in self.coords] + [self.minima.reshape(-1, 2)]
        return paths, marks, soft

    def _draw_surface(self, ax: Axes):
        values = self.values
        lv, log = surface.levels(values)
        fill = surface.fill_levels(values, lv) if log else lv
        # A colour a band, evenly spread over the colour map whatever the spacing of the levels:
        # by value, the thin bands of a bowl's floor took nearly one colour.
        norm = BoundaryNorm(fill, colormaps[CMAP].N, extend="both")
        self.contour_ = ax.contourf(
            self.xs,
            self.ys,
            values,
            levels=fill,
            cmap=CMAP,
            norm=norm,
            alpha=0.75,
            extend="both",
            zorder=0,
        )
        ax.contour(
            self.xs,
            self.ys,
            values,
            levels=lv,
            colors="white",
            linewidths=0.5,
            alpha=0.6,
            norm=norm,
            negative_linestyles="solid",  # a level below zero is a level like another
            zorder=1,
        )
        fn = self.runs[0].problem.function
        if fn is not None and fn.saddles and self.plane_ is None:
            xs, ys = zip(*fn.saddles)
            ax.plot(
                xs,
                ys,
                "X",
                ms=11,
                color="white",
                mec="black",
                mew=1.0,
                zorder=3,
                label="saddle point",
            )
        if len(self.minima):
            self.star_ = star(ax, self.minima[:, 0], self.minima[:, 1], run=self.runs[0])
        ax.set_xlim(*self.extent[0])
        ax.set_ylim(*self.extent[1])
        if self.plane_ is not None:
            first, second = planes.axis_labels(self.plane_, self.stored, self.runs)
            ax.set_xlabel(first)
            ax.set_ylabel(second)
            ax.set_title(planes.title(self.plane_, self.stored, self.runs), fontsize="medium")
        else:
            ax.set_xlabel(self.names[0])
            ax.set_ylabel(self.names[1])
        # Log levels read as one ratio a band; others by their values, thin bands kept thin.
        spacing = "uniform" if log else "proportional"
        cbar = ax.figure.colorbar(self.contour_, ax=ax, shrink=0.9, pad=0.02, spacing=spacing)
        # Round ticks: powers of ten on a log scale, a few round numbers on a linear one.
        round_ticks = LogLocator(numticks=6) if log else MaxNLocator(6)
        cbar.ax.yaxis.set_major_locator(Inside(round_ticks, fill[0], fill[-1]))
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v)))
        cbar.ax.yaxis.set_minor_locator(NullLocator())
        cbar.set_label("f" if self.runs[0].problem.is_function else "loss", fontsize="medium")
        cbar.ax.tick_params(labelsize="small")

    def _draw_curve(self, ax: Axes):
        ax.plot(self.xs, self.values, color="#777777", lw=1.5, zorder=1, label="loss")
        finite = self.values[np.isfinite(self.values)]
        lo, hi = finite.min(), finite.max()
        ax.set_ylim(*padded(min(lo, 0.0) if lo >= 0 else lo, hi, 0.05))
        ax.set_xlim(*self.extent[0])
        if len(self.minima):
            f_min = np.interp(self.minima[:, 0], self.xs, self.values)
            self.star_ = star(ax, self.minima[:, 0], f_min, run=self.runs[0])
        ax.set_xlabel(self.names[0])
        ax.set_ylabel(value_label(self.runs[0]))
        ax.grid(True, color="#dddddd", lw=0.6, zorder=0)

    def update(self, step: int):
        if self.pathless:
            self.note_.set_text(planes.mark_note(self.stored))
            return self.moving_
        for i, (run, xy, path, point, arrow) in enumerate(
            zip(self.runs, self.coords, self.path_, self.point_, self.arrow_)
        ):
            k = at(run, step)
            shown = trail(run, k)
            if self.dim == 1:
                xs, ys = xy[shown, 0], run.loss[shown]
                nxt = (xy[k + 1, 0], run.loss[k + 1]) if k + 1 < len(run.loss) else None
            else:
                xs, ys = xy[shown, 0], xy[shown, 1]
                nxt = tuple(xy[k + 1]) if k + 1 < len(xy) else None
            path.set_data(xs, ys)
            self._place(point, xs[-1], ys[-1])
            if nxt is None or not np.isfinite(nxt).all():
                arrow.set_visible(False)
            elif self.internals:
                inside.aim(arrow, self.longest, xy[k], np.subtract(nxt, xy[k]), self.arrow_scale[i])
            else:
                arrow.set_visible(True)
                arrow.set_positions((xs[-1], ys[-1]), nxt)
        for i, (run, arrows) in enumerate(zip(self.runs, self.inner_)):
            k = at(run, step)
            for name, arrow in arrows.items():
                inside.aim(
                    arrow, self.longest, run.params[k], self.inner[i][name][k], self.arrow_scale[i]
                )
        if self.path_loss is not None:
            self.note_.set_text(self._note(step))
        return self.moving_

    def _place(self, point, x: float, y: float) -> None:
        """The current point, or, when the run has left the view, a triangle on the edge where
        it left, pointing the way it went (`tracks.edge_marks`)."""
        place(
            point,
            edge_marks(np.array([[x, y]], dtype=float), self.ax_.get_xlim(), self.ax_.get_ylim()),
        )

    def tracks(self, steps: np.ndarray) -> dict | None:
        if self.internals:
            return None  # its arrows are moved step by step
        if self.pathless:
            return {self.note_: Notes([planes.mark_note(self.stored)] * len(steps))}
        out = {}
        for run, xy, path, point, arrow in zip(
            self.runs, self.coords, self.path_, self.point_, self.arrow_
        ):
            n = len(run.loss)
            k = np.minimum(steps, n - 1)
            values = np.column_stack([xy[:, 0], run.loss if self.dim == 1 else xy[:, 1]])
            out[path] = grown(values, k)
            out[point] = edge_marks(values[k], self.ax_.get_xlim(), self.ax_.get_ylim())
            after = values[np.minimum(k + 1, n - 1)]
            shows = (k + 1 < n) & np.isfinite(after).all(axis=1)
            out[arrow] = Arrows(np.stack([values[k], after], axis=1), shows)
        if self.path_loss is not None:
            out[self.note_] = Notes([self._note(int(step)) for step in steps])
        return out

    def _note(self, step: int) -> str:
        """Per run, the loss recorded at ``step`` beside the loss at its shadow on the plane."""
        lines = []
        for run, xy, known in zip(
            self.runs[:NOTE_RUNS], self.coords[:NOTE_RUNS], self.path_loss[:NOTE_RUNS]
        ):
            k = at(run, step)
            who = f"{run.label}: " if len(self.runs) > 1 else ""
            text = f"{who}loss recorded {run.loss[k]:.4g}"
            if known is not None:
                steps, values = known
                j = k if steps is None else max(int(np.searchsorted(steps, k, side="right")) - 1, 0)
                text += f", on the plane {values[j]:.4g}"
                se = None if self.stored is None else planes.spread(self.stored, xy[k])
                if se is not None:
                    text += f" ± {se:.2g}"
            lines.append(text)
        if len(self.runs) > NOTE_RUNS:
            lines.append(f"(and {len(self.runs) - NOTE_RUNS} more runs)")
        said = planes.examples(self.stored)
        if said:
            lines.append(said)
        text = "\n".join(lines)
        return wrap_note(text) if getattr(self.note_, "gdviz_wrapped", False) else text


def wrap_note(text: str) -> str:
    """A plane's note with each run's loss on the plane on a line of its own (where the note
    is wider than its axes, or hides less so)."""
    out = []
    for line in text.split("\n"):
        head, sep, rest = line.partition(", on the plane")
        indent = "   " if head.find(": loss recorded") > 0 else ""
        out.append(f"{head},\n{indent}on the plane{rest}" if sep else line)
    return "\n".join(out)
