"""What every view shares: the colours, the Display pattern, and reading a run at a step.

A view follows scikit-learn's Display objects: the constructor takes the runs and computes what
drawing needs (limits, grids) once; ``plot(ax)`` draws onto an Axes and keeps the artists it made
(``ax_``, ``figure_``, and the moving ones in ``moving_``); ``update(step)`` moves those artists to
a snapshot and returns them, so an animation redraws only what moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from gdviz.errors import GdvizError, GdvizTypeError
from gdviz.run.record import Run

# Okabe & Ito's colour-blind-safe palette (blue, vermilion, green, purple, orange, sky, black),
# and Tol's wine for an eighth run, so eight optimisers get eight colours.
# Okabe-Ito, ordered so that the first six stay apart from each other and from viridis under
# protanopia and deuteranopia (green and pink turn the grey of viridis's middle: last).
COLORS = ("#0072B2", "#D55E00", "#000000", "#E69F00", "#56B4E9", "#882255", "#009E73", "#CC79A7")
# Dash patterns by run: where paths coincide, each still shows (the later ones thinner).
DASHES = ("-", (0, (6, 3)), (0, (2, 2)), (0, (6, 2, 2, 2)), (0, (1, 3)), (0, (8, 4, 1, 4)))
# A learning-rate sweep: colours in the order of the rates, dark red to orange. They stay off
# the contours' viridis under protanopia and deuteranopia (plasma's pinks matched its blues) and
# show on white (plasma's yellow end faded).
ORDERED = "gist_heat"
SWEEP_FROM, SWEEP_TO = 0.15, 0.65
DATA_COLOR = "#555555"


def as_runs(run_or_runs) -> list[Run]:
    """A run or a sequence of runs, as a non-empty list of runs."""
    if isinstance(run_or_runs, Run):
        return [run_or_runs]
    try:
        runs = list(run_or_runs)
    except TypeError:
        raise GdvizTypeError(
            f"expected a gdviz Run or a list of them, not {type(run_or_runs).__name__}"
        ) from None
    if not runs:
        raise GdvizError("nothing to draw: no runs given")
    for r in runs:
        if not isinstance(r, Run):
            raise GdvizTypeError(f"expected gdviz Run objects, got {type(r).__name__}")
    return runs


PROBLEM = ("kind", "source", "expression", "model", "loss")  # what makes two runs' surface one


def check_together(runs: Sequence[Run], *, surface: bool) -> None:
    """Refuse, naming the difference, runs that cannot share a picture: other data (for a fit),
    or also another function, model or loss (for a loss surface)."""
    first = runs[0]
    for run in runs[1:]:
        differs = []
        if surface:
            mine, theirs = first.problem, run.problem
            differs = [k for k in PROBLEM if getattr(mine, k) != getattr(theirs, k)]
            if run.params.shape[1] != first.params.shape[1]:
                differs.append("number of parameters")
        for name in ("x", "y"):
            a, b = getattr(first, name), getattr(run, name)
            if (a is None) != (b is None) or (
                a is not None and (a.shape != b.shape or not np.array_equal(a, b))
            ):
                differs.append(f"data ({name})")
        if differs:
            raise GdvizError(
                f"runs {first.label!r} and {run.label!r} are of different problems (their "
                f"{', '.join(differs)} differ): draw them apart, or together in view='loss'"
            )


def at(run: Run, step: int) -> int:
    """The snapshot of ``run`` shown at ``step``: a run that ended early stays at its last one."""
    return min(step, len(run.loss) - 1)


TRAIL = 20_000  # points a drawn path or curve keeps at most; longer runs are thinned evenly


def trail(run: Run, k: int) -> np.ndarray | slice:
    """The snapshots drawn for the path up to snapshot ``k``: all of them for a run of up to
    `TRAIL` snapshots, else an even thinning of them that ends at ``k`` itself. A path of a
    million points costs as much to draw as its pixels show, and memory for every frame."""
    if len(run.loss) <= TRAIL:
        return slice(0, k + 1)
    stride = -(-len(run.loss) // TRAIL)
    return np.append(np.arange(0, k, stride), k)


def per_run(view) -> list[tuple[str, list]]:
    """The view's attributes that hold one item per run (its paths, points, predictions, ...):
    those its class declares in ``runwise``, where set, as lists indexed like ``view.runs``."""
    found = []
    for name in type(view).runwise:
        value = getattr(view, name, None)
        if isinstance(value, list) and len(value) == len(view.runs):
            found.append((name, value))
    return found


def learning_rates(run: Run) -> np.ndarray | None:
    """The learning rate of the update after each snapshot (``run.lr``, else the run's one
    rate), or None where unknown (a loop of the user's own not told its optimiser)."""
    if run.lr is not None:
        return run.lr
    lr = run.training.lr
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and np.isfinite(lr):
        return np.full(len(run.loss), float(lr))
    return None


def value_label(run: Run) -> str:
    """What the loss axis measures: ``f(x, y)`` for a function, ``loss (mse)`` for a fit."""
    if run.problem.is_function:
        names = run.param_names
        return f"f({', '.join(names)})" if len(names) <= 3 else "f"
    return f"loss ({run.problem.loss or 'value'})"


def number(v: float) -> str:
    """A number for people: 4 significant digits, thousands separated (12,345), no ``e+03``
    below ten million."""
    if not np.isfinite(v):
        return str(v)
    if 1e3 <= abs(v) < 1e7:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def count(v: float) -> str:
    """A tick's count for a crowded axis: 950, 25k, 2.5M (a six-digit label reads as one)."""
    if not np.isfinite(v):
        return str(v)
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= max(size, 1e4):  # up to 9999 as they are
            return f"{v / size:.4g}{unit}"
    return f"{v:.4g}"


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def palette(runs: Sequence[Run]) -> list:
    """A colour per run: categorical, or, for one optimiser at several rates (a sweep), from a
    sequential colour map in the order of the rates, so the order reads at a glance."""
    optimizers = {r.training.optimizer for r in runs}
    rates = [r.training.lr for r in runs]
    if len(runs) > 2 and len(optimizers) == 1 and all(isinstance(v, (int, float)) for v in rates):
        if len(set(rates)) == len(rates):
            from matplotlib import colormaps

            order = np.argsort(np.argsort(rates))
            cmap = colormaps[ORDERED]
            return [cmap(SWEEP_FROM + (SWEEP_TO - SWEEP_FROM) * k / (len(runs) - 1)) for k in order]
    return [color(i) for i in range(len(runs))]


def style(i: int, count: int) -> dict:
    """Line style of run ``i`` of ``count``: solid alone; in a race, a dash pattern each and
    a width narrowing run by run, so coinciding paths all show."""
    if count == 1:
        return {"ls": "-", "lw": 2.0}
    return {"ls": DASHES[i % len(DASHES)], "lw": max(2.6 - 0.3 * i, 1.0)}


# Where a legend may go, in order of preference: (x, y) of its anchor corner in axes fractions.
LEGEND_PLACES = {
    "upper right": (1.0, 1.0),
    "upper left": (0.0, 1.0),
    "lower left": (0.0, 0.0),
    "lower right": (1.0, 0.0),
    "center left": (0.0, 0.5),
    "center right": (1.0, 0.5),
    "lower center": (0.5, 0.0),
    "upper center": (0.5, 1.0),
}


def legend_size(ax: Axes, fontsize: float, labels=None) -> tuple[float, float]:
    """About how much of ``ax`` (width, height in axes fractions) a legend of its labelled
    artists (or of ``labels``) takes, with the gap to the axes edge: measured on matplotlib's
    default legend (in font sizes, 4.8 + 0.52 per character wide, 0.3 + 1.55 per entry high)."""
    if labels is None:
        _, labels = ax.get_legend_handles_labels()
    chars = max((len(label) for label in labels), default=0)
    points_wide = fontsize * (4.8 + 0.52 * chars + 0.5)
    points_high = fontsize * (0.3 + 1.55 * len(labels) + 0.5)
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    return (
        min(points_wide / (72 * box.width * width), 1.0),
        min(points_high / (72 * box.height * height), 1.0),
    )


def legend_place(
    ax: Axes, points, avoid=(), *, fontsize: float | str = "small", labels=None
) -> str:
    """Where in ``ax`` a legend covers least, as a ``loc`` for `Axes.legend`: the fewest of
    ``points`` (data coordinates, shape (N, 2): everything the run will draw) and none of
    ``avoid`` (markers that must stay visible). Set the limits, scales and labels first;
    ``labels`` are the legend's entries where they are not all ``ax``'s own.

    Moving artists are drawn over the legend, so a legend placed where a path will pass has
    the path crossing its text; ``loc="best"`` cannot help, as it sees only the current frame.
    """
    to_axes = ax.transScale + ax.transLimits
    w, h = legend_size(ax, FontProperties(size=fontsize).get_size_in_points(), labels)

    def hits(pts, place):
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if not len(pts):
            return np.zeros(0, dtype=bool)
        x, y = to_axes.transform(pts).T
        ax_, ay = LEGEND_PLACES[place]
        x0, y0 = ax_ * (1 - w), ay * (1 - h)  # the box's lower left corner
        return (x >= x0) & (x <= x0 + w) & (y >= y0) & (y <= y0 + h)

    # A share of the path (at most 1) weighs less than one marker to keep clear.
    scores = []
    for place in LEGEND_PLACES:
        on_path = hits(points, place)
        scores.append((on_path.mean() if on_path.size else 0.0) + 2.0 * hits(avoid, place).sum())
    return list(LEGEND_PLACES)[int(np.argmin(scores))]


LONGEST = 120  # characters of any one label, title or note drawn: longer ones end in "…"


def plain_text(fig: Figure) -> None:
    """Show every title, axis label, legend entry and note of ``fig`` as the text it is.

    Labels come from users (CSV headers, run labels, formulas): a ``$`` must not start
    mathtext, and a 100,000-character label must not take minutes to lay out. Tick labels
    keep matplotlib's own mathtext (10², 10³ on a log axis).
    """
    texts = list(fig.texts)  # the suptitle among them
    for ax in fig.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
    for text in texts:
        text.set_parse_math(False)
        content = text.get_text()
        if len(content) > LONGEST:
            text.set_text(content[: LONGEST - 1] + "…")


def legend_over(ax: Axes) -> list[Artist]:
    """The axes' legend (if any), to be drawn over what moves (a view's ``over_``), so no path
    ever crosses its text (it is placed where the paths pass least, `legend_place`)."""
    legend = ax.get_legend()
    if legend is None:
        return []
    legend.set_zorder(8)
    return [legend]


def new_axes(figsize=(6.4, 4.8), dpi=100) -> Axes:
    """An Axes on a fresh pyplot-free Figure, for ``plot()`` called without ``ax``."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    return fig.add_subplot()


class View:
    """Base class of the views: draws runs onto an Axes and moves them step by step.

    ``moving_`` are the artists that change between snapshots; ``over_`` are still artists that
    must show over them (legends, the minimum's star): an animation draws them once and lays
    them over each frame (`gdviz.animation.overlay`), and they stay above in a full redraw too.
    """

    name = "view"
    full_redraw = False  # True where every frame must be drawn whole (the camera moves)
    # The attributes that hold one item per run, in lists indexed like ``runs`` (`per_run`).
    runwise: tuple[str, ...] = ()

    def __init__(self, run_or_runs):
        self.runs: list[Run] = as_runs(run_or_runs)
        self.colors = palette(self.runs)
        self.ax_: Axes | None = None
        self.figure_: Figure | None = None
        self.moving_: list[Artist] = []
        self.over_: list[Artist] = []

    @property
    def last_step(self) -> int:
        return max(len(r.loss) for r in self.runs) - 1

    def plot(self, ax: Axes | None = None, *, step: int | None = None) -> View:
        """Draw the view onto ``ax`` (a new figure if None) at ``step`` (default: the last)."""
        ax = new_axes() if ax is None else ax
        self.ax_, self.figure_ = ax, ax.figure
        self.over_ = []
        self.moving_ = list(self._draw(ax))
        # Blitting draws the moving artists over everything static and the overlay over them,
        # so in a full redraw the static artists that could overlap them (a legend) sit below
        # them and the overlay above: every frame is the same picture whichever way it is drawn.
        if not self.full_redraw:
            lowest = min(a.get_zorder() for a in self.moving_)
            highest = max(a.get_zorder() for a in self.moving_)
            legend = ax.get_legend()
            if legend is not None and legend not in self.over_:
                legend.set_zorder(min(legend.get_zorder(), lowest - 0.5))
            for artist in self.over_:
                artist.set_zorder(max(artist.get_zorder(), highest + 0.5))
        plain_text(ax.figure)
        self.update(self.last_step if step is None else step)
        return self

    def update(self, step: int) -> Sequence[Artist]:
        """Move the artists to snapshot ``step``; return the artists that changed."""
        raise NotImplementedError

    def tracks(self, steps: np.ndarray) -> dict | None:
        """What each of ``moving_`` shows at every one of ``steps``, from the runs' arrays at
        once (`gdviz.views.tracks`): a dict from each artist to its geometry, or None where the
        view can only be moved step by step."""
        return None

    def _draw(self, ax: Axes) -> Sequence[Artist]:
        """Draw the static parts once; create and return the moving artists."""
        raise NotImplementedError
