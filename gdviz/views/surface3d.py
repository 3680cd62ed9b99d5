"""The surface view: the loss surface in 3-D, each run's path on it, the camera turning slowly.

It draws what the contour view draws (the exact surface of two parameters, or the plane of
three or more), lifted: height is the loss (on a softened log scale where the loss spans decades). The
camera turns through 60 degrees over the animation, so every frame is drawn whole: there is
no still background to keep (``benchmarks/surface.py`` measures what a frame costs).

Paths and points are drawn over the surface, never behind it: matplotlib paints a surface
polygon by polygon, without a depth buffer, and its pictures of narrow wells already show
bottoms a real hill would hide; a path half-hidden by a tracing of its own would disagree with
the surface drawn under it. A minimum's star that the surface hides from the camera is drawn
faint (`behind`: its line of sight, taken back through matplotlib's projection, passes under
the surface), so a star behind a hill does not float in front of it.
"""

from __future__ import annotations

import math
import types

import numpy as np
from matplotlib.axes import Axes

from gdviz.errors import GdvizError
from gdviz.views import planes, surface
from gdviz.views.base import View, at, color, number, trail, value_label
from gdviz.views.contour import CMAP, star
from gdviz.views.terrain import Terrain

SIDE = 100  # mesh points a side: finer costs time on every frame; coarser saws a narrow valley
TURN = 60.0  # degrees the camera turns, ending at a corner: a larger turn passes square to a side
ELEVATION = 38.0
OWN_WELL = 0.15  # of the box: the rim of a minimum's own well, which does not hide it
WIDE_ZOOM = 1.25  # the box's zoom in a wide figure (see `SurfaceView._widen`) ...
WIDE_BOX = 1.3  # ... and how much wider and deeper than matplotlib's 4:4:3


class SurfaceView(View):
    """The loss surface in 3-D with each run's path on it and the camera turning.

    Attributes after ``plot``: ``surface_`` (the mesh), ``path_`` and ``point_`` (per run).
    """

    name = "surface"
    runwise = ("paths", "path_", "point_")
    turning = True  # the camera turns as the run goes (False: it stays at its end position)

    @property
    def full_redraw(self) -> bool:
        """While the camera turns, nothing stays still: every frame is drawn whole."""
        return self.turning

    def __init__(self, run_or_runs):
        super().__init__(run_or_runs)
        flat = Terrain.of(self.runs)
        if flat.dim < 2:
            raise GdvizError(
                "the surface view needs two parameters or more (a plane through them); "
                "for one, use view='contour'"
            )
        self.plane = flat.plane
        self.stored = flat.stored
        self.pathless = flat.plane is not None and planes.pathless(self.runs)
        self.xs, self.ys, values = lowest(flat.xs, flat.ys, np.asarray(flat.values, float), SIDE)
        levels, self.log = surface.levels(values)
        # Height is log10(loss + soft), soft the contour view's lowest level: a plain log turns a
        # valley narrower than a mesh cell (Rosenbrock's) into a row of teeth, the softened one
        # rounds its floor. The z ticks are labelled with the loss itself, so nothing reads wrong.
        self.soft = float(levels[0]) if self.log else 0.0
        self.zs = self._height(values)
        self.minima = np.empty((0, 3))  # known minima on the exact surface: x, y, height
        inside = [
            m
            for m in flat.minima
            if self.xs[0] <= m[0] <= self.xs[-1] and self.ys[0] <= m[1] <= self.ys[-1]
        ]
        if flat.plane is None and inside:
            at_minima = surface.loss_function(self.runs[0])(np.array(inside).T)
            self.minima = np.column_stack([inside, self._height(at_minima)])
        self.paths = []
        for i, (run, xy) in enumerate(zip(self.runs, flat.coords)):
            shadow = flat.shadow_loss(i)  # on a plane: the loss where the path's shadow lies
            loss = run.loss if shadow is None else shadow  # exact: the loss recorded is its height
            self.paths.append((xy, self._height(loss)))

    def _height(self, loss) -> np.ndarray:
        loss = np.asarray(loss, dtype=float)
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(loss, 0) + self.soft) if self.log else loss

    def _ticks(self, ax: Axes, low: float, high: float):
        """On a log height, ticks at 0 and the powers of ten, labelled with the loss."""
        top = 10**high - self.soft
        first = math.ceil(math.log10(self.soft))
        values = [0.0] + [10.0**k for k in range(first, max(first, math.ceil(high)) + 1)]
        heights, labels = [], []
        for v in values:
            h = float(self._height(v))
            if v > top or (heights and h - heights[-1] < 0.08 * (high - low)):
                continue
            heights.append(h)
            labels.append(number(v))
        ax.set_zticks(heights, labels)

    def plot(self, ax: Axes | None = None, *, step: int | None = None) -> View:
        if ax is None or getattr(ax, "name", "") != "3d":
            raise GdvizError("the surface view draws onto 3-D axes: add_subplot(projection='3d')")
        return super().plot(ax, step=step)

    def _draw(self, ax: Axes):
        self.stars_ = []
        grid_x, grid_y = np.meshgrid(self.xs, self.ys)
        finite = self.zs[np.isfinite(self.zs)]
        zs = np.clip(self.zs, finite.min(), finite.max())  # undefined points at the top
        self._clipped = zs
        self.surface_ = ax.plot_surface(
            grid_x,
            grid_y,
            zs,
            cmap=CMAP,
            linewidth=0,
            antialiased=False,
            zorder=1,
            rcount=len(self.ys),
            ccount=len(self.xs),
        )
        names = self.runs[0].param_names
        plane = self.plane
        if plane is None:
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
        else:  # as on the contour view (each direction's share of the paths' variance)
            first, second = planes.axis_labels(plane, self.stored, self.runs, short=True)
            ax.set_xlabel(first)
            ax.set_ylabel(second)
        label = value_label(self.runs[0])
        # Upright at every angle: matplotlib turns the z label with the axis, upside down at some.
        ax.zaxis.set_rotate_label(False)
        ax.set_zlabel(f"{label}, log scale" if self.log else label, rotation=90)
        self._widen(ax)
        ax.set_xlim(self.xs[0], self.xs[-1])
        ax.set_ylim(self.ys[0], self.ys[-1])
        ax.set_zlim(finite.min(), finite.max())
        self.floor = finite.min()
        if self.log:
            self._ticks(ax, finite.min(), finite.max())
        ax.computed_zorder = False  # paths above the surface, not sorted behind it
        lift = 0.01 * (finite.max() - finite.min())  # the path just above the surface
        self.lift = lift
        self.path_, self.point_ = [], []
        if self.pathless:  # the models the plane is through or around, named
            ax.set_title(planes.title(plane, self.stored, self.runs), fontsize="medium")
            return self._marks(ax)
        for i, run in enumerate(self.runs):
            c = self.colors[i]
            label = run.label if len(self.runs) > 1 else None
            (xy, z) = self.paths[i]
            if np.isfinite(xy[0]).all() and np.isfinite(z[0]):  # where the run started
                z0 = max(float(z[0]), self.floor) + lift
                ax.plot([xy[0, 0]], [xy[0, 1]], [z0], "o", ms=8, mfc="white", mec=c, mew=2,
                        zorder=4.5)  # fmt: skip
            (path,) = ax.plot([], [], [], color=c, lw=2.2, zorder=5, label=label)
            (point,) = ax.plot([], [], [], "o", color=c, ms=7, mec="white", zorder=6)
            self.path_.append(path)
            self.point_.append(point)
        if len(self.minima):
            # Drawn over the surface, as matplotlib has no depth buffer (a surface is painted
            # polygon by polygon); a star that a hill hides from the camera is drawn faint
            # (`behind`, each frame, as the camera turns).
            x, y, z = self.minima.T
            self.stars_ = [
                star(ax, x, y, z + lift, run=self.runs[0]),
                star(ax, [], [], [], run=self.runs[0]),
            ]
            self.stars_[1].set_alpha(0.3)
            self.stars_[1].set_label("_behind")
        if len(self.runs) > 1 or len(self.minima):
            # over everything: each frame is drawn whole, so nothing moving crosses it
            ax.legend(loc="upper left", fontsize="small", framealpha=0.9).set_zorder(10)
        # Over what moves, as the contour view's: still while the camera holds (a GIF, the
        # page, which draws its own), placed again at each frame while it turns (`update`).
        self.over_ = list(self.stars_)
        self._stars_camera = None  # the camera the stars were last placed for
        return [*self.path_, *self.point_]

    def _widen(self, ax: Axes) -> None:
        """In a wide figure (a slide), the box as wide as the figure allows. Matplotlib keeps
        3-D axes square, so its 4:4:3 box kept to the height and left half the width empty:
        here the axes keep their whole place (`_whole_place`, the projection unstretched), and
        the box is widened and zoomed into it (the share of the width measured: 45% to 53%)."""
        width, height = ax.get_position(original=True).size * ax.figure.get_size_inches()
        if width / height > 1.4:
            ax.apply_aspect = types.MethodType(_whole_place, ax)
            ax.set_box_aspect((4 * WIDE_BOX, 4 * WIDE_BOX, 3), zoom=WIDE_ZOOM)

    def _stars(self) -> None:
        """Each minimum in front of the surface, or faint where the surface hides it."""
        x, y, z = self.minima.T
        z = z + self.lift
        hidden = behind(self.ax_, x, y, z, self.xs, self.ys, self._clipped)
        front, back = self.stars_
        front.set_data_3d(x[~hidden], y[~hidden], z[~hidden])
        back.set_data_3d(x[hidden], y[hidden], z[hidden])

    def _marks(self, ax: Axes) -> list:
        stored = self.stored
        drawn = []
        for j, ((x, y), name, loss) in enumerate(
            zip(stored.marks, stored.mark_names, stored.mark_loss)
        ):
            z = max(float(self._height(loss)), self.floor) + self.lift
            (dot,) = ax.plot([x], [y], [z], "o", color=color(j), ms=8, mec="white", zorder=6)
            label = ax.text(x, y, z + 4 * self.lift, name, fontsize="small", zorder=7,
                            path_effects=planes.OUTLINE)  # fmt: skip
            drawn += [dot, label]
        return drawn

    def update(self, step: int):
        if self.pathless:
            self.ax_.view_init(elev=ELEVATION, azim=30.0)
            return self.moving_
        (x0, x1), (y0, y1) = (self.xs[0], self.xs[-1]), (self.ys[0], self.ys[-1])
        for run, (xy, z), path, point in zip(self.runs, self.paths, self.path_, self.point_):
            shown = trail(run, at(run, step))
            xs, ys = xy[shown, 0], xy[shown, 1]
            zs = np.maximum(z[shown], self.floor) + self.lift  # below the mesh: on its floor
            inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
            path.set_data_3d(np.where(inside, xs, np.nan), ys, zs)
            point.set_data_3d([xs[-1]], [ys[-1]], [zs[-1]])
            point.set_visible(bool(inside[-1]))
        last = max(self.last_step, 1)
        turned = TURN * min(step, last) / last if self.turning else TURN
        camera = (ELEVATION, self.facing - TURN + turned)
        self.ax_.view_init(*camera)
        if self.stars_ and camera != self._stars_camera:
            self._stars()  # which the surface hides from this camera
            self._stars_camera = camera
        return self.moving_

    @property
    def facing(self) -> float:
        """The camera's final azimuth: from the corner of the box on the first run's last point's
        side, so the end of the descent is in front of the surface rather than behind it (a
        corner, not a side: looking square along an axis flattens the box)."""
        xy = self.paths[0][0][-1]
        dx = (xy[0] - self.xs[0]) / (self.xs[-1] - self.xs[0]) - 0.5
        dy = (xy[1] - self.ys[0]) / (self.ys[-1] - self.ys[0]) - 0.5
        if not np.isfinite(dx + dy) or np.hypot(dx, dy) < 0.05:
            return 30.0  # the middle: matplotlib's usual view, turned
        return 45.0 + 90.0 * math.floor(math.degrees(math.atan2(dy, dx)) / 90.0)


def lowest(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, side: int):
    """The grid coarsened to at most ``side`` points a side, each coarse point the lowest value
    of the block it covers: a valley narrower than a block (Rosenbrock's) stays a continuous
    trench instead of breaking into a row of spikes where the coarse mesh misses it."""
    block = -(-max(len(xs), len(ys)) // side)
    if block == 1:
        return xs, ys, values
    rows, cols = np.arange(0, len(ys), block), np.arange(0, len(xs), block)
    with np.errstate(all="ignore"):
        low = np.fmin.reduceat(np.fmin.reduceat(values, rows, axis=0), cols, axis=1)
    return np.linspace(xs[0], xs[-1], len(cols)), np.linspace(ys[0], ys[-1], len(rows)), low


def _whole_place(ax, position=None) -> None:
    """`Axes3D.apply_aspect` for a wide figure: the axes keep their whole place rather than a
    square in it, and the 2-D view limits (`Axes3D.set_top_view`'s) widen with them, so that
    a unit reads as many pixels across as up: the projection is not stretched."""
    if position is None:
        position = ax.get_position(original=True)
    ax._set_position(position.frozen(), "active")
    bbox = ax.get_figure().transSubfigure.transform([(0, 0), (1, 1)])
    wide = (position.width * (bbox[1, 0] - bbox[0, 0])) / (
        position.height * (bbox[1, 1] - bbox[0, 1])
    )
    ax.viewLim.intervalx = (-0.95 * wide / ax._dist, 0.9 * wide / ax._dist)
    ax.viewLim.intervaly = (-0.95 / ax._dist, 0.9 / ax._dist)


def behind(ax, x, y, z, xs, ys, zs) -> np.ndarray:
    """Which of the points (x, y, z) the surface ``zs`` over the grid ``xs``, ``ys`` covers as
    matplotlib draws it from the camera of the 3-D axes ``ax``: it paints the mesh's cells
    from the farthest to the nearest (by their corners' mean depth), so at each point's place
    on the screen the cell seen is the nearest that covers it; the point is hidden when that
    cell lies nearer the camera and away from the point's own well (whose inside is what
    matplotlib shows of a minimum)."""
    from mpl_toolkits.mplot3d import proj3d

    x, y, z = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, y, z))
    hidden = np.zeros(len(x), dtype=bool)
    if not len(x):
        return hidden
    matrix = ax.get_proj()
    gx, gy = np.meshgrid(xs, ys)
    vx, vy, vz = (
        a.reshape(gx.shape)
        for a in proj3d.proj_transform(gx.ravel(), gy.ravel(), zs.ravel(), matrix)
    )
    corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)),
               (slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]  # fmt: skip
    cx = np.stack([vx[c] for c in corners])  # (4, rows, cols): each cell's corners on screen
    cy = np.stack([vy[c] for c in corners])
    depth = np.mean([vz[c] for c in corners], axis=0)
    mid_x = (gx[:-1, :-1] + gx[1:, 1:]) / 2
    mid_y = (gy[:-1, :-1] + gy[1:, 1:]) / 2
    sx, sy, sz = proj3d.proj_transform(x, y, z, matrix)
    for k in range(len(x)):
        covers = _in_quad(cx, cy, sx[k], sy[k])
        if not covers.any():
            continue
        seen = np.where(covers, depth, np.inf)
        j = np.unravel_index(np.argmin(seen), seen.shape)
        away = np.hypot((mid_x[j] - x[k]) / (xs[-1] - xs[0]), (mid_y[j] - y[k]) / (ys[-1] - ys[0]))
        hidden[k] = seen[j] < sz[k] and away > OWN_WELL  # smaller depth: nearer the camera
    return hidden


def _in_quad(cx: np.ndarray, cy: np.ndarray, px: float, py: float) -> np.ndarray:
    """Whether (px, py) lies in each quadrilateral of corners ``cx``, ``cy`` (4, ...): in one
    of the two triangles it splits into."""

    def in_triangle(a, b, c):
        def side(p, q):
            return (cx[q] - cx[p]) * (py - cy[p]) - (cy[q] - cy[p]) * (px - cx[p])

        d1, d2, d3 = side(a, b), side(b, c), side(c, a)
        negative = (d1 < 0) | (d2 < 0) | (d3 < 0)
        positive = (d1 > 0) | (d2 > 0) | (d3 > 0)
        return ~(negative & positive)

    return in_triangle(0, 1, 2) | in_triangle(0, 2, 3)


def _height_at(x, y, xs, ys, zs) -> np.ndarray:
    """The surface's height at (x, y), bilinear between grid points; NaN outside the grid."""
    fx = (x - xs[0]) / (xs[-1] - xs[0]) * (len(xs) - 1)
    fy = (y - ys[0]) / (ys[-1] - ys[0]) * (len(ys) - 1)
    out = ~((fx >= 0) & (fx <= len(xs) - 1) & (fy >= 0) & (fy <= len(ys) - 1))
    fx, fy = np.clip(fx, 0, len(xs) - 1), np.clip(fy, 0, len(ys) - 1)
    i0, j0 = np.minimum(fx.astype(int), len(xs) - 2), np.minimum(fy.astype(int), len(ys) - 2)
    u, v = fx - i0, fy - j0
    height = (
        zs[j0, i0] * (1 - u) * (1 - v)
        + zs[j0, i0 + 1] * u * (1 - v)
        + zs[j0 + 1, i0] * (1 - u) * v
        + zs[j0 + 1, i0 + 1] * u * v
    )
    return np.where(out, np.nan, height)
