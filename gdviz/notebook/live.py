"""The live view of `Recorder(..., live=True)`: the run as it trains, in one place.

In a Jupyter notebook, one output area shows the loss curve (and, for two recorded numbers, the
path through them) and is updated in place through a display handle: never ``clear_output``,
which flickers and wipes the cell's other output. At the end (`Recorder.to_run`) the same area
shows the finished animation. In a terminal, one line on stderr says the step and the loss.
Anywhere else, nothing.

Drawing costs milliseconds and a training step microseconds, so updates are rationed by time:
at most `RATE` a second, and an update only when the time spent drawing, with it, stays within
`BUDGET` of the time the loop has run. A fast loop is slowed by at most that share (a loop of
half a second, too short to need one, gets no update before its end); a slow one is updated a
few times a second.
"""

from __future__ import annotations

import io
import sys
import time
from typing import TextIO

import numpy as np

RATE = 3.0  # updates a second at most in a notebook
TERMINAL_RATE = 4.0  # rewrites of the terminal line a second at most
BUDGET = 0.06  # drawing may take this share of the loop's time
DISPLAY_ALLOWANCE = 1.5  # the first update's cost, as a multiple of drawing alone
POINTS = 1_000  # points a live curve keeps (an even thinning of the steps so far)
FINAL_FRAMES = 100  # frames of the animation that ends the live view


def _kernel():
    """The running IPython kernel's shell, or None outside a notebook (IPython is not
    imported here: it is loaded already wherever a kernel runs)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


class Live:
    """Shows a `Recorder`'s progress while the loop runs; `Recorder` calls `tick` on every
    record and `finish` from `to_run`."""

    def __init__(self, names: tuple[str, ...], *, file: TextIO | None = None):
        self.names = names
        self.file = sys.stderr if file is None else file
        self.notebook = _kernel() is not None
        isatty = getattr(self.file, "isatty", None)
        self.terminal = not self.notebook and bool(isatty and isatty())
        self.drawing = 0.0  # seconds spent drawing so far
        self.updates = 0
        self._handle = None
        self._figure = None
        self._line_width = 0
        self.cost = 0.0  # what the next update is expected to take
        if self.notebook:  # the figure made and drawn now, before the loop's time counts
            two = len(names) == 2
            self._make_figure(two)
            for _ in range(2):  # the second, warm, is what an update will cost
                begin = time.perf_counter()
                self._draw(2, np.array([1.0, 0.5]), np.zeros((2, 2)) if two else None, show=False)
            self.cost = DISPLAY_ALLOWANCE * (time.perf_counter() - begin)
        self.start = time.perf_counter()
        self.next = self.start + 1.0 / RATE  # nothing to show before the first third second

    @property
    def active(self) -> bool:
        return self.notebook or self.terminal

    def tick(self, steps: int, loss: np.ndarray, params: np.ndarray | None) -> None:
        """After a record: redraw if it is time. ``loss`` holds every step's loss so far,
        ``params`` the kept snapshots of two recorded numbers (or None)."""
        now = time.perf_counter()
        if now < self.next:
            return
        affordable = (self.drawing + self.cost) / BUDGET  # the loop's time that pays for it
        if now - self.start < affordable:
            self.next = self.start + affordable
            return
        if self.notebook:
            self._draw(steps, loss, params)
        else:
            self._line(steps, loss[steps - 1])
        done = time.perf_counter()
        self.cost = done - now
        self.drawing += self.cost
        self.updates += 1
        self.next = done + 1.0 / (RATE if self.notebook else TERMINAL_RATE)

    def finish(self, run) -> None:
        """The recording is over: the finished animation in the notebook's area, or the
        terminal's line ended."""
        if self.terminal:
            if self.updates:
                every = run.full_loss if run.full_loss is not None else run.loss
                self._line(len(every), run.loss[-1])
                self.file.write("\n")
                self.file.flush()
            return
        if not self.notebook:
            return
        # The notebook sits above the renderer (the recorder calls this view lazily, by name).
        from gdviz.animation.animation import animate
        from gdviz.errors import GdvizError

        try:
            anim = animate(run, view="dashboard", frames=FINAL_FRAMES)
        except GdvizError:  # no surface to draw (a loop not told its data and model)
            anim = animate(run, view="loss", frames=FINAL_FRAMES)
        self._show(anim)

    # -- a terminal ---------------------------------------------------------------------------

    def _line(self, steps: int, value: float) -> None:
        rate = steps / max(time.perf_counter() - self.start, 1e-9)
        text = f"gdviz: step {steps:,}  loss {value:.4g}  {rate:,.0f} steps/s"
        pad = " " * max(self._line_width - len(text), 0)
        self._line_width = len(text)
        self.file.write("\r" + text + pad)
        self.file.flush()

    # -- a notebook ---------------------------------------------------------------------------

    def _draw(self, steps: int, loss: np.ndarray, params: np.ndarray | None, show=True) -> None:
        fig, curve, path, point = self._figure
        idx = np.unique(np.linspace(0, steps - 1, min(steps, POINTS)).astype(int))
        values = loss[idx]
        curve.set_data(idx, values)
        ax = curve.axes
        finite = values[np.isfinite(values)]
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            log = lo > 0 and hi / lo > 10
            if ax.get_yscale() != ("log" if log else "linear"):  # costly: only on a change
                ax.set_yscale("log" if log else "linear")
            pad = (hi / lo) ** 0.05 if log else 0.05 * (hi - lo or 1.0)
            ax.set_ylim((lo / pad, hi * pad) if log else (lo - pad, hi + pad))
        ax.set_xlim(0, max(steps - 1, 1))
        ax.set_title(f"step {steps - 1:,}   loss {loss[steps - 1]:.4g}", fontsize="medium")
        if path is not None and params is not None and len(params):
            shown = params[
                np.unique(np.linspace(0, len(params) - 1, min(len(params), POINTS)).astype(int))
            ]
            shown = shown[np.isfinite(shown).all(axis=1)]
            if len(shown):
                path.set_data(shown[:, 0], shown[:, 1])
                point.set_data(shown[-1:, 0], shown[-1:, 1])
                (x0, y0), (x1, y1) = shown.min(axis=0), shown.max(axis=0)
                px, py = 0.08 * (x1 - x0 or 1.0), 0.08 * (y1 - y0 or 1.0)
                path.axes.set_xlim(x0 - px, x1 + px)
                path.axes.set_ylim(y0 - py, y1 + py)
        fig.canvas.draw()
        if show:
            self._show_png(fig)

    def _make_figure(self, with_path: bool) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # Fixed margins: a layout engine would double the time of every draw.
        fig = Figure(figsize=(8.0 if with_path else 5.0, 3.0), dpi=80)
        fig.subplots_adjust(
            left=0.12 if not with_path else 0.08, right=0.97, bottom=0.17, top=0.88, wspace=0.28
        )
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 2 if with_path else 1, squeeze=False)[0]
        ax = axes[0]
        (curve,) = ax.plot([], [], color="#0072B2", lw=1.6)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.grid(True, color="#dddddd", lw=0.6)
        path = point = None
        if with_path:
            (path,) = axes[1].plot([], [], color="#0072B2", lw=1.4)
            (point,) = axes[1].plot([], [], "o", color="#0072B2", ms=7, mec="white")
            axes[1].set_xlabel(self.names[0])
            axes[1].set_ylabel(self.names[1])
            axes[1].grid(True, color="#dddddd", lw=0.6)
        self._figure = (fig, curve, path, point)

    def _show_png(self, fig) -> None:
        from IPython.display import Image  # loaded: a kernel runs
        from PIL import Image as PILImage

        buffer = io.BytesIO()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        PILImage.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        self._show(Image(data=buffer.getvalue(), format="png"))

    def _show(self, obj) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(obj, display_id=True)
        else:
            self._handle.update(obj)
