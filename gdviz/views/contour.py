"""The contour view: each run's path over its loss surface, for any number of parameters.

Two parameters: the exact surface. One: the loss curve over the parameter, the point rolling
along it. Three or more: the plane through the final parameters spanned by the path's two main
directions (Li et al., 2018), with the share of the path's variance it holds and the recorded
loss beside the plane's, since the projection hides the rest.
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, NullLocator

from gdviz.errors import GdvizError
from gdviz.functions import FUNCTIONS
from gdviz.plane import Plane, pca_plane
from gdviz.views import surface
from gdviz.views.base import View, at, color, legend_place, padded

CMAP = "viridis"  # perceptually uniform and colour-blind safe
OUTLINE = [patheffects.withStroke(linewidth=3.2, foreground="white", alpha=0.7)]
DOTS_UP_TO = 60  # snapshots: shorter paths show each step as a dot


def _extent(points: np.ndarray, losses: np.ndarray, extra: np.ndarray, limit: float):
    """Bounds holding the path (while its loss stays under ``limit``) and ``extra`` points."""
    keep = np.isfinite(points).all(axis=1) & (losses <= limit)
    keep[0] = True
    pts = np.concatenate([points[keep], extra]) if len(extra) else points[keep]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return [padded(a, b, 0.15) for a, b in zip(lo, hi)]


def _star(ax: Axes, xs, ys, label: str) -> None:
    """Mark known minima: white stars, below the moving paths."""
    ax.plot(xs, ys, "*", ms=15, color="white", mec="black", mew=1.2, zorder=3, label=label)


def _classic_extent(run):
    """A test function's classic view box: paths that leave it are clipped, as they escape."""
    if run.meta.get("kind") == "function" and run.meta.get("source") in FUNCTIONS:
        return FUNCTIONS[run.meta["source"]].extent
    return None


class ContourView(View):
    """The path of each run over the contours of its loss surface.

    Attributes after ``plot``: ``path_`` (one Line2D per run, the visited points up to the
    step), ``point_`` (the current points), ``arrow_`` (the step about to be taken),
    ``contour_`` (the filled contours), ``plane_`` (for three or more parameters).
    """

    name = "contour"

    def __init__(self, run_or_runs, *, resolution: int = 200):
        super().__init__(run_or_runs)
        first = self.runs[0]
        widths = {r.params.shape[1] for r in self.runs}
        if len(widths) > 1:
            raise GdvizError("runs drawn together must have the same number of parameters")
        self.dim = widths.pop()
        self.plane_: Plane | None = None
        # A diverging path leaves the picture once its loss passes this: enough to see the
        # first overshoots across the bowl, not so much that the bowl shrinks to a dot.
        limit = 50 * max(r.loss[0] for r in self.runs) + 1e-12
        mins = surface.minima(first)

        if self.dim >= 3:
            self._init_plane(first, mins, limit, resolution)
        else:
            f = surface.loss_function(first)
            self.coords = [r.params for r in self.runs]
            losses = np.concatenate([r.loss for r in self.runs])
            self.extent = _extent(np.concatenate(self.coords), losses, mins, limit)
            classic = _classic_extent(first)
            if classic is not None:
                self.extent = classic
            self.minima = mins
            if self.dim == 2:
                self.xs, self.ys, self.values = surface.grid(f, *self.extent, n=resolution)
            else:
                self.xs = np.linspace(*self.extent[0], 400)
                with np.errstate(all="ignore"):
                    self.values = np.asarray(f(self.xs[None, :]), dtype=float)
        self.names = first.param_names

    def _init_plane(self, first, mins, limit, resolution):
        if "plane_loss" in first.extras:  # a torch module: the trainer evaluated the plane
            ex = first.extras
            self.plane_ = Plane(ex["plane_origin"], ex["plane_dirs"], ex["plane_explained"])
            self.xs, self.ys, self.values = ex["plane_a"], ex["plane_b"], ex["plane_loss"]
            self.coords = [self.plane_.project(r.params) for r in self.runs]
            self.extent = [(self.xs[0], self.xs[-1]), (self.ys[0], self.ys[-1])]
            self.minima = np.empty((0, 2))
            self._plane_loss = [ex["plane_path_loss"]] if "plane_path_loss" in ex else None
            return
        f = surface.loss_function(first)
        self.plane_ = plane = pca_plane([r.params for r in self.runs])
        self.coords = [plane.project(r.params) for r in self.runs]
        losses = np.concatenate([r.loss for r in self.runs])
        self.minima = plane.project(mins) if len(mins) else np.empty((0, 2))
        self.extent = _extent(np.concatenate(self.coords), losses, self.minima, limit)

        def on_plane(coords):  # (2, n, n) plane coordinates -> loss
            return f(np.moveaxis(plane.lift(np.moveaxis(coords, 0, -1)), -1, 0))

        self.xs, self.ys, self.values = surface.grid(on_plane, *self.extent, n=resolution)
        self._plane_loss = [np.asarray(f(plane.lift(c).T), dtype=float) for c in self.coords]

    # -- drawing ------------------------------------------------------------------------------

    def _draw(self, ax: Axes):
        self.path_, self.point_, self.arrow_ = [], [], []
        if self.dim == 1:
            self._draw_curve(ax)
        else:
            self._draw_surface(ax)
        for i, (run, xy) in enumerate(zip(self.runs, self.coords)):
            c = color(i)
            label = run.label if len(self.runs) > 1 else None
            y0 = run.loss[0] if self.dim == 1 else xy[0, 1]
            ax.plot(xy[0, 0], y0, "o", ms=8, mfc="white", mec=c, mew=2, zorder=3.5)
            dots = "o" if len(run.loss) <= DOTS_UP_TO else None
            (path,) = ax.plot(
                [],
                [],
                "-",
                color=c,
                lw=1.8,
                marker=dots,
                ms=2.5,
                zorder=4,
                label=label,
                path_effects=OUTLINE,
            )
            (point,) = ax.plot([], [], "o", color=c, ms=9, mec="white", mew=1.5, zorder=6)
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
        handles = [h for h in self.path_ if h.get_label() and not h.get_label().startswith("_")]
        if handles or len(self.minima):
            ax.legend(loc=self._legend_place(ax), fontsize=8, framealpha=0.9)
        moving = [*self.path_, *self.arrow_, *self.point_]
        if self.plane_ is not None and self._plane_loss is not None:
            self.note_ = ax.text(
                0.02,
                0.02,
                "",
                transform=ax.transAxes,
                fontsize=8,
                va="bottom",
                ha="left",
                bbox={"fc": "white", "ec": "none", "alpha": 0.8},
                zorder=7,
            )
            moving.append(self.note_)
        return moving

    def _legend_place(self, ax: Axes) -> str:
        """Where a legend hides least of the paths (over the whole run), starts and minima."""
        if self.dim == 1:
            paths = [np.column_stack([xy[:, 0], r.loss]) for r, xy in zip(self.runs, self.coords)]
            paths.append(np.column_stack([self.xs, self.values]))
            marks = [p[:1] for p in paths[:-1]]
            if len(self.minima):
                f_min = np.interp(self.minima[:, 0], self.xs, self.values)
                marks.append(np.column_stack([self.minima[:, 0], f_min]))
        else:
            paths = list(self.coords)
            marks = [xy[:1] for xy in self.coords] + [self.minima.reshape(-1, 2)]
        if self.plane_ is not None and self._plane_loss is not None:
            # The note on the plane's loss sits in the lower left corner, over any legend.
            to_data = (ax.transScale + ax.transLimits).inverted()
            marks.append(to_data.transform([(0.05, 0.04), (0.3, 0.04)]))
        return legend_place(ax, np.concatenate(paths), np.concatenate(marks))

    def _draw_surface(self, ax: Axes):
        values = self.values
        lv, log = surface.levels(values)
        norm = LogNorm(lv[0], lv[-1]) if log else None
        self.contour_ = ax.contourf(
            self.xs,
            self.ys,
            values,
            levels=lv,
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
            zorder=1,
        )
        if len(self.minima):
            label = "minimum" if len(self.minima) == 1 else "minima"
            if self.runs[0].meta.get("kind") != "function":
                label = "least-squares minimum"
            _star(ax, self.minima[:, 0], self.minima[:, 1], label)
        ax.set_xlim(*self.extent[0])
        ax.set_ylim(*self.extent[1])
        if self.plane_ is not None:
            share = self.plane_.explained
            ax.set_xlabel(f"direction 1 ({share[0]:.1%} of the path's variance)")
            ax.set_ylabel(f"direction 2 ({share[1]:.1%})")
            ax.set_title(
                f"loss on the plane through the final {len(self.names)} parameters", fontsize=9
            )
        else:
            ax.set_xlabel(self.names[0])
            ax.set_ylabel(self.names[1])
        cbar = ax.figure.colorbar(self.contour_, ax=ax, shrink=0.9, pad=0.02, ticks=lv[::3])
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
        cbar.ax.yaxis.set_minor_locator(NullLocator())
        cbar.set_label("loss", fontsize=9)
        cbar.ax.tick_params(labelsize=8)

    def _draw_curve(self, ax: Axes):
        ax.plot(self.xs, self.values, color="#777777", lw=1.5, zorder=1, label="loss")
        finite = self.values[np.isfinite(self.values)]
        lo, hi = finite.min(), finite.max()
        ax.set_ylim(*padded(min(lo, 0.0) if lo >= 0 else lo, hi, 0.05))
        ax.set_xlim(*self.extent[0])
        if len(self.minima):
            f_min = np.interp(self.minima[:, 0], self.xs, self.values)
            _star(ax, self.minima[:, 0], f_min, "minimum")
        ax.set_xlabel(self.names[0])
        ax.set_ylabel("loss")
        ax.grid(True, color="#dddddd", lw=0.6, zorder=0)

    def update(self, step: int):
        for run, xy, path, point, arrow in zip(
            self.runs, self.coords, self.path_, self.point_, self.arrow_
        ):
            k = at(run, step)
            if self.dim == 1:
                xs, ys = xy[: k + 1, 0], run.loss[: k + 1]
                nxt = (xy[k + 1, 0], run.loss[k + 1]) if k + 1 < len(run.loss) else None
            else:
                xs, ys = xy[: k + 1, 0], xy[: k + 1, 1]
                nxt = tuple(xy[k + 1]) if k + 1 < len(xy) else None
            path.set_data(xs, ys)
            point.set_data([xs[-1]], [ys[-1]])
            if nxt is None or not np.isfinite(nxt).all():
                arrow.set_visible(False)
            else:
                arrow.set_visible(True)
                arrow.set_positions((xs[-1], ys[-1]), nxt)
        if self.plane_ is not None and self._plane_loss is not None:
            run, k = self.runs[0], at(self.runs[0], step)
            who = f"{run.label}: " if len(self.runs) > 1 else ""
            self.note_.set_text(
                f"{who}loss recorded {run.loss[k]:.4g}, on the plane {self._plane_loss[0][k]:.4g}"
            )
        return self.moving_
