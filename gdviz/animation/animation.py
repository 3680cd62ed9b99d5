"""`animate`: runs into a matplotlib animation that renders fast and saves by file suffix."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from PIL import Image

from gdviz.animation.caption import Caption
from gdviz.animation.overlay import Overlay
from gdviz.animation.sizes import SLIDE_TEXT, check_size, styled
from gdviz.errors import GdvizError, GdvizTypeError
from gdviz.run.frames import pick_steps
from gdviz.run.line import is_line
from gdviz.run.record import Run
from gdviz.views.base import as_runs, at, number, plain_text
from gdviz.views.legends import settle
from gdviz.views.line import caption as line_caption
from gdviz.views.planes import pathless
from gdviz.views.registry import build, check_show, own_view
from gdviz.views.ticks import untangle

DEFAULT_FPS = 20
CAPTION_INCHES = 0.34  # room kept free under the axes for the caption
CAPTION_BASELINE = 0.1  # inches above the bottom edge


class Animation:
    """Runs drawn as a matplotlib animation: one frame per chosen snapshot.

    Made by `animate`. The figure is ``.fig``; ``.anim`` is an equivalent matplotlib
    `~matplotlib.animation.FuncAnimation`, for code that expects one. `save` renders by blitting
    (the static figure is drawn once, each frame redraws only what moves) and streams the frames
    to the writer for the file's suffix.

    Attributes
    ----------
    fig : matplotlib.figure.Figure
    views : list of View
        The views drawn, each keeping its artists (``ax_``, ``moving_``).
    steps : ndarray
        The snapshot shown in each frame.
    fps : float
    """

    def __init__(
        self,
        runs: list[Run],
        fig: Figure,
        views,
        steps: np.ndarray,
        fps: float,
        options: dict,
        *,
        caption_points: float = 10.5,
    ):
        self.runs, self.fig, self.views = runs, fig, views
        self.options = options  # what `animate` was given, to draw the same with other frames
        self.steps = np.asarray(steps)
        self.fps = float(fps)
        baseline = CAPTION_BASELINE * caption_points / 10.5 / fig.get_figheight()
        self.caption_ = Caption(0.5, baseline, fontsize=caption_points)
        fig.add_artist(self.caption_)
        last = self.steps[-1]
        self.caption_.set_samples(caption(runs, int(k), last) for k in self.steps)
        self._anim = None
        self._blit = None  # the still figure's pixels, within `prepared`
        self.update(0)

    @property
    def n_frames(self) -> int:
        return len(self.steps)

    @property
    def durations(self) -> np.ndarray:
        """Seconds each frame shows (see `pacing`): the GIF and MP4 writers follow them."""
        return pacing(self.n_frames, self.fps)

    @property
    def moving(self) -> list:
        """Every artist that changes between frames."""
        return [a for v in self.views for a in v.moving_] + [self.caption_]

    @property
    def over(self) -> list:
        """The still artists drawn over the moving ones (legends, stars)."""
        return [a for v in self.views for a in v.over_]

    def update(self, frame: int) -> list:
        """Move every view and the caption to ``frame``; return the artists that changed."""
        step = int(self.steps[frame])
        for view in self.views:
            view.update(step)
        self.caption_.set_text(caption(self.runs, step, self.steps[-1]))
        return self.moving

    def frames(self) -> Iterator[np.ndarray]:
        """Render every frame, yielding each as a fresh (height, width, 3) uint8 RGB array."""
        canvas = self.fig.canvas
        if any(v.full_redraw for v in self.views):
            for frame in range(self.n_frames):  # the camera moves: nothing stays still
                self.update(frame)
                canvas.draw()
                yield _rgb(canvas)
            return
        with self.prepared():
            for frame in range(self.n_frames):
                yield self._blitted(frame)

    @contextlib.contextmanager
    def camera_held(self) -> Iterator[None]:
        """Within: a 3-D view's camera holds still where its turn ends, for what a turning camera
        costs too much in (a GIF, where every pixel of every frame would change) or cannot show
        (the page); the figure is left at the last frame after."""
        turning = [v for v in self.views if getattr(v, "turning", False)]
        for view in turning:
            view.turning = False
        if turning:  # the camera where it holds, before anything is drawn (a GIF's still figure)
            self.update(0)
        try:
            yield
        finally:
            for view in turning:
                view.turning = True
            if turning:
                self.update(self.n_frames - 1)

    @contextlib.contextmanager
    def prepared(self) -> Iterator[None]:
        """Within: the still figure drawn once and kept (with its overlay, `gdviz.animation.overlay`),
        so `frames` and `last_frame` draw only what moves. Nothing else should draw the figure
        meanwhile: its moving artists are set aside from ordinary draws."""
        if self._blit is not None or any(v.full_redraw for v in self.views):
            yield
            return
        moving, over = self.moving, self.over
        for artist in moving + over:
            artist.set_animated(True)
        try:
            self.fig.canvas.draw()  # everything still, once
            background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
            self.overlay_ = Overlay(self.fig, over, background)
            self._blit = background
            yield
        finally:
            self._blit = None
            for artist in moving + over:
                artist.set_animated(False)

    def _blitted(self, frame: int) -> np.ndarray:
        canvas = self.fig.canvas
        canvas.restore_region(self._blit)
        for artist in self.update(frame):
            self.fig.draw_artist(artist)
        self.overlay_.lay()
        return _rgb(canvas)

    def show(self, step: int | None = None) -> None:
        """Move every view and the caption to training step ``step`` (None: the last frame):
        for a still of any step, though the frames may not hold it."""
        if step is None:
            self.update(self.n_frames - 1)
            return
        longest = max(self.runs, key=lambda r: len(r.loss))
        last = int(longest.step_at(len(longest.loss) - 1))
        if (
            isinstance(step, bool)
            or not isinstance(step, (int, np.integer))
            or not (0 <= step <= last)
        ):
            raise GdvizError(f"frame must be a step from 0 to {last}, not {step!r}"[:200])
        index = int(np.searchsorted(longest.step, step, side="right")) - 1
        for view in self.views:
            view.update(index)
        self.caption_.set_text(caption(self.runs, index, self.steps[-1]))

    def picture(self, step: int | None = None) -> np.ndarray:
        """The frame at training step ``step`` (None: the last), drawn whole, as RGB."""
        if step is None:
            return self.last_frame()
        self.show(step)
        self.fig.canvas.draw()
        return _rgb(self.fig.canvas)

    def last_frame(self) -> np.ndarray:
        """The final frame, drawn whole, as a (height, width, 3) uint8 RGB array."""
        if self._blit is not None:
            return self._blitted(self.n_frames - 1)  # the same picture, pixel for pixel
        self.update(self.n_frames - 1)
        self.fig.canvas.draw()
        return _rgb(self.fig.canvas)

    @property
    def anim(self):
        """A matplotlib FuncAnimation drawing the same frames (made on first use)."""
        if self._anim is None:
            from matplotlib.animation import FuncAnimation

            self._anim = FuncAnimation(
                self.fig,
                self.update,
                frames=self.n_frames,
                interval=1000 / self.fps,
                blit=False,
                repeat=True,
            )
        return self._anim

    def save(
        self, path: str | os.PathLike, *, progress: bool | None = None, frame: int | None = None
    ) -> Path:
        """Write the animation; the format follows the suffix: .gif, .mp4, .html, or one still
        (.png, and .svg and .pdf as vector graphics with their text as text).

        ``frame=K`` makes the still of training step K (default: the last frame). The file is
        written whole or not at all. ``progress`` shows a bar on stderr (default: only when
        stderr is a terminal).
        """
        from gdviz.export import save

        return save(self, path, progress=progress, frame=frame)

    def with_frames(self, frames: int) -> Animation:
        """The same animation drawn with another number of frames."""
        self.check_whole("drawn with other frames")
        return animate(self.runs, frames=frames, **self.options)

    def keep_seen(self) -> None:
        """Hold of each long run only the snapshots the frames show (`gdviz.animation.rows`), so
        that memory follows the frames, not the snapshots. The runs given to `animate` are left
        whole; the animation can still be saved as .gif, .mp4 and .png, but no longer
        re-framed or saved as a page (which shows every snapshot)."""
        from gdviz.animation.rows import keep_seen

        self.runs = keep_seen(self.runs, self.views, self.steps)
        self.thinned = True

    def check_whole(self, what: str) -> None:
        """Refuse, saying why, what needs every snapshot of an animation that kept only its
        frames' (`keep_seen`): ``what`` it cannot be (``"saved as a page"``)."""
        if getattr(self, "thinned", False):
            raise GdvizError(f"this animation kept only its frames' snapshots: it cannot be {what}")

    def _repr_html_(self) -> str:
        from gdviz.notebook.display import notebook_html

        return notebook_html(self)

    def _display_(self):
        """How marimo shows it: marimo sets an output's HTML without running its scripts, so the
        player goes in an iframe of its own, where they run (`gdviz.notebook.display`)."""
        from gdviz.notebook.display import marimo_output

        return marimo_output(self)

    def __repr__(self) -> str:
        names = "+".join(v.name for v in self.views)
        return f"<gdviz.Animation {names}: {len(self.runs)} run(s), {self.n_frames} frames>"


HOLD_FIRST = 0.5  # seconds the first frame shows: the viewer finds the start
HOLD_LAST = 2.0  # ... and the last: the result, before the loop starts again
SHORTEST = 3.0  # seconds an animation lasts at least: a short run is slowed to it


def pacing(n_frames: int, fps: float) -> np.ndarray:
    """Seconds per frame: 1/fps, the first held `HOLD_FIRST` and the last `HOLD_LAST`, and the
    frames between slowed evenly when the whole would be over in under `SHORTEST`."""
    durations = np.full(n_frames, 1.0 / fps)
    if n_frames == 0:
        return durations
    durations[0] = max(durations[0], HOLD_FIRST)
    durations[-1] = max(durations[-1], HOLD_LAST)
    short = SHORTEST - durations.sum()
    if short > 0:
        if n_frames > 2:
            durations[1:-1] += short / (n_frames - 2)
        else:
            durations[-1] += short
    return durations


def _rgb(canvas) -> np.ndarray:
    """A copy of the canvas as (height, width, 3) RGB: Pillow drops alpha twice as fast as numpy."""
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    return np.asarray(image.convert("RGB"))


def caption(runs: list[Run], step: int, last: int) -> str:
    """The text under every frame: the training step, the loss, the parameters where they fit,
    and the learning rate where a schedule changes it.

    ``step`` and ``last`` are snapshot indices; the caption names training steps (the same
    unless a recording kept every k-th step only).
    """
    if all(is_line(r.meta) for r in runs):
        return line_caption(runs, step)
    if pathless(runs):  # models on a plane: no steps, no path
        return "   ·   ".join(f"{r.label}: loss {number(r.loss[0])}" for r in runs)
    longest = max(runs, key=lambda r: len(r.loss))
    trained = int(longest.step_at(at(longest, step)))
    parts = [f"step {trained} of {int(longest.step_at(at(longest, last)))}"]
    if len(runs) == 1:
        run = runs[0]
        i = at(run, step)
        parts.append(f"loss {number(run.loss[i])}")
        if len(run.param_names) <= 3:
            parts.append(
                ", ".join(f"{n} = {number(v)}" for n, v in zip(run.param_names, run.params[i]))
            )
        if run.lr is not None and np.ptp(run.lr) > 0:
            parts.append(f"lr {run.lr[i]:.3g}")
    else:
        best = min(runs, key=lambda r: r.loss[at(r, step)])
        parts.append(f"lowest loss {number(best.loss[at(best, step)])} ({best.label})")
    for run in runs:
        if run.diverged_at is not None and trained >= run.diverged_at - 1:
            who = "" if len(runs) == 1 else f"{run.label} "
            parts.append(f"{who}diverged at step {run.diverged_at}")
    return "   ·   ".join(parts)


def title(runs: list[Run]) -> str:
    """The figure's heading: what is being minimised, and how."""
    problem, training = runs[0].problem, runs[0].training
    what = problem.source or "run"
    if is_line(runs[0].meta) or pathless(runs):
        a, b = runs[0].meta.get("ends", ("", ""))
        head = f"from {a} to {b}: " if is_line(runs[0].meta) else "loss landscape: "
        return head + f"{problem.formula or 'model'} by {problem.loss or 'its loss'}"
    if problem.is_function:
        head = f"{what}: {problem.title or ''}"
    else:
        formula = problem.formula
        head = what if formula is None else f"{what}: fitting {formula}"
        if problem.loss:
            head += f" by {problem.loss}"
    if len(runs) == 1 and training.optimizer:
        head += f"  ·  {runs[0].label}"
        if training.zero_grad is False:
            head += " (gradients never zeroed)"
    return head


def _number(value, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GdvizTypeError(f"{what} must be a number, not {value!r}"[:200])
    if not (math.isfinite(value) and lo <= value <= hi):
        raise GdvizError(f"{what} must be from {lo:g} to {hi:g}, not {value!r}")
    return float(value)


def animate(
    run_or_runs,
    *,
    view: str = "fit",
    frames: int | None = None,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    dpi: float | None = None,
    style: str | None = None,
    show=(),
) -> Animation:
    """Animate one run, or several drawn together (an optimiser race, a learning-rate sweep).

    Parameters
    ----------
    run_or_runs : Run or list of Run
    view : {"fit", "contour", "loss", "surface", "dashboard", "interpolation", "matrix"}
        What to draw: the fitted curve over the data, the path over the loss surface, the loss
        curve, the loss surface in 3-D with the camera turning, or fit, contour and loss moving
        together; ``"interpolation"`` draws `gdviz.interpolate`'s line; ``"matrix"`` draws
        Muon's internals on a weight matrix (`gdviz.views.matrix`). An interpolation is
        drawn by its own view and a landscape around models (`gdviz.landscape`) by the
        contour view where ``view`` is left at ``"fit"``.
    frames : int, optional
        How many frames: by default every snapshot up to 200, and 200 chosen snapshots beyond
        (always the first and the last, spread so a quick start keeps its frames).
    fps : float, optional
        Frames per second (default 20).
    size : (width, height), optional
        In pixels (default 640x480; 1280x440 for the dashboard and the matrix view).
    dpi : float
        Dots per inch (default 100): text and lines scale with it.
    style : {None, "slide"}
        ``"slide"``: 1920x1080 at 225 dpi, every line, marker and piece of text scaled up
        together, no text under 28 pixels high (20 pt on a slide shown at 1080 lines).
    show : sequence of {"internals", "curvature"}
        ``"internals"``: on the contour view (two parameters), the optimiser's own vectors at
        the current point, from the state `torch.optim` kept: the gradient step, the momentum
        velocity, Adam's step before and after its scaling. ``"curvature"``: the loss view's
        sharpness and edge of stability (drawn whenever runs recorded it; asking checks they
        did, ``train(..., curvature=True)``).

    Returns
    -------
    Animation
        ``.save("fit.gif")`` writes it (.gif .mp4 .html .png); in a notebook it shows itself.

    Examples
    --------
    >>> run = gdviz.train("synthetic")
    >>> gdviz.animate(run, view="fit").save("synthetic-fit.gif")
    """
    runs = as_runs(run_or_runs)
    fps = _number(DEFAULT_FPS if fps is None else fps, "fps", 0.1, 100)
    size, dpi = styled(style, size, dpi)
    (width, height), dpi = check_size(size, dpi, view)
    if not isinstance(view, str):
        raise GdvizTypeError(f"view must be a name like 'fit', not {view!r}"[:200])
    own = own_view(runs) if view == "fit" else None
    if own is not None:  # the default, for runs the fit view cannot draw: their own view
        view = own[0]
    steps = pick_steps(runs, frames)

    inches = (width / dpi, height / dpi)
    # Text sized from the figure: 10 pt at the default 6.4 x 4.8 inches, in step with it.
    scale = float(np.clip(min(inches[0] / 6.4, inches[1] / 4.8), 0.6, 3.0))
    caption_space = CAPTION_INCHES * scale / inches[1]
    fig = Figure(figsize=inches, dpi=dpi)
    fig.set_layout_engine(ConstrainedLayoutEngine(rect=(0, caption_space, 1, 1 - caption_space)))
    FigureCanvasAgg(fig)
    with mpl.rc_context({"font.size": BASE_POINTS * scale}):
        fig.suptitle(title(runs), fontsize="large")
        views = build(fig, runs, view, show)
        plain_text(fig)
        options = {"view": view, "fps": fps, "size": (width, height), "dpi": dpi, "style": None}
        options["show"] = tuple(check_show(show, view, runs))
        anim = Animation(runs, fig, views, steps, fps, options, caption_points=10.5 * scale)
        # A slide's smallest text is `SLIDE_TEXT` pixels high, whatever a view asked for.
        floor = 0.0 if style is None else SLIDE_TEXT * 72 / dpi
        for ax in fig.axes:  # set on the axes, so ticks made later keep the size too
            bar = ax.get_label() == "<colorbar>"
            ax.tick_params(labelsize=max((0.8 if bar else 0.9) * BASE_POINTS * scale, floor))
        for text in fig.findobj(Text) if floor else ():
            if text.get_fontsize() < floor:
                text.set_fontsize(floor)
        # Lay the figure out once and freeze it: every frame then shares the same geometry.
        fig.canvas.draw()
        untangle(fig)
        # A legend that went outside its axes: lay out again around it, and place the notes and
        # legends again in the axes it shrank (the same legends go outside: the layout holds).
        for _ in range(2):
            if not settle(fig):
                break
            fig.canvas.draw()
            untangle(fig)
        _fit_title(fig)
    fig.set_layout_engine("none")
    return anim


BASE_POINTS = 10.0


def _fit_title(fig: Figure) -> None:
    """Shrink the figure's title (to two thirds at most), then shorten it, until it fits."""
    heading = fig.get_suptitle() and fig.texts[0]
    if not heading:
        return
    renderer = fig.canvas.get_renderer()
    room = 0.97 * fig.bbox.width
    width = heading.get_window_extent(renderer).width
    if width <= room:
        return
    heading.set_fontsize(heading.get_fontsize() * max(room / width, 2 / 3))
    text = heading.get_text()
    while heading.get_window_extent(renderer).width > room and len(text) > 10:
        text = text[: int(len(text) * 0.9)].rstrip()
        heading.set_text(text + "…")
    fig.canvas.draw()
