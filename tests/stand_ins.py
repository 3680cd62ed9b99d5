"""Stand-ins and readers the tests and their child processes share (helpers, not tests).

`Sweep` is an animation of numbered frames, drawn by blitting like gdviz's own, for the writers'
tests: child processes import it from here to be interrupted or measured mid-render.
`gif_frames` reads a GIF back as Pillow composes it. `chrome` starts Debian's Chromium, headless,
driven by Selenium (the benchmarks use it too).
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

RED = (255, 0, 0)


def gif_frames(path: Path) -> tuple[list[np.ndarray], list[int], Image.Image]:
    """Every frame of a GIF as Pillow composes it (RGB), and each frame's duration in ms."""
    image = Image.open(path)
    frames, durations = [], []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append(np.asarray(image.convert("RGB")))
        durations.append(image.info["duration"])
    return frames, durations, image


class Sweep:
    """A line sweeping over filled contours, a red path growing, a caption counting frames.

    The same interface as `gdviz.animation.animation.Animation`: ``frames()``, ``last_frame()``,
    ``n_frames``, ``fps``, ``fig``. Rendered by blitting, like the real one.
    """

    def __init__(
        self, n_frames=12, *, size=(160, 120), fps=20, fail_at=None, fail_with=None, path=True
    ):
        self.n_frames, self.fps, self.fail_at = n_frames, fps, fail_at
        self.fail_with = fail_with
        self.fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
        FigureCanvasAgg(self.fig)
        ax = self.fig.add_axes((0.1, 0.1, 0.85, 0.8))
        grid = np.linspace(-1, 1, 60)
        ax.contourf(grid, grid, np.add.outer(grid**2, grid**2), levels=8, cmap="viridis")
        ax.set(xlim=(-1, 1), ylim=(-1, 1), xticks=[], yticks=[])
        self.line = ax.plot([], [], color="black", lw=1)[0]
        # A thin red path that only appears after the first frame: the GIF palette must cover it.
        self.path = ax.plot([], [], color="#ff0000", lw=1.5)[0] if path else None
        self.caption = self.fig.text(0.5, 0.0, "", ha="center", va="bottom", fontsize=7)
        self.moving = [a for a in (self.line, self.path, self.caption) if a is not None]

    def _update(self, i):
        t = i / max(self.n_frames - 1, 1)
        self.line.set_data([-0.95, 0.95], [-0.9 + 1.8 * t, 0.9 - 1.8 * t])  # clear of the spines
        if self.path is not None:
            ts = np.linspace(0, t, max(i, 1) + 1)
            self.path.set_data(0.9 * np.cos(3 * ts), 0.9 * np.sin(5 * ts))
        self.caption.set_text(f"frame {i}")

    def frames(self):
        canvas = self.fig.canvas
        for artist in self.moving:
            artist.set_animated(True)
        try:
            canvas.draw()
            background = canvas.copy_from_bbox(self.fig.bbox)
            for i in range(self.n_frames):
                if i == self.fail_at:
                    if self.fail_with is not None:
                        raise self.fail_with
                    raise RuntimeError(f"failed at frame {i}")
                canvas.restore_region(background)
                self._update(i)
                for artist in self.moving:
                    self.fig.draw_artist(artist)
                yield np.asarray(canvas.buffer_rgba())[..., :3].copy()
        finally:
            for artist in self.moving:
                artist.set_animated(False)

    def last_frame(self):
        self._update(self.n_frames - 1)
        self.fig.canvas.draw()
        return np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()


def open_page(driver, path: Path) -> None:
    """Open the page at ``path`` in ``driver`` and wait, up to a minute, until its player says
    it is ready (its pictures decoded)."""
    driver.get(path.as_uri())
    deadline = time.monotonic() + 60
    while not driver.execute_script("return !!(window.gdviz && window.gdviz.ready)"):
        assert time.monotonic() < deadline, driver.get_log("browser")
        time.sleep(0.05)


def chrome():
    selenium = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and Path("/usr/bin/chromedriver").exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must test in a real browser: install chromium and chromium-driver")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    options = selenium.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--allow-file-access-from-files",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return selenium.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def record_network(net, x, y, steps: int, *, opt=None, lr: float = 0.1):
    """A user's own loop: ``net``'s MSE on ``x``, ``y`` (one output column), each step recorded
    then taken (by ``opt``, else plain gradient descent at ``lr``); returns the Recorder."""
    import torch

    import gdviz  # here: the stand-ins load nothing heavy until used

    rec = gdviz.Recorder(net, optimizer=opt)
    for _ in range(steps):
        net.zero_grad()
        loss = ((net(x)[:, 0] - y) ** 2).mean()
        loss.backward()
        rec.record(loss)
        if opt is not None:
            opt.step()
        else:
            with torch.no_grad():
                for p in net.parameters():
                    p -= lr * p.grad
    return rec


def mlp_loss(x, y, widths):
    """The cross-entropy of gdviz's tanh MLP of ``widths``, written by hand as a function of the
    flat parameter vector (weights then bias per layer, as a run names them): a reference."""
    import itertools

    import torch

    def loss(flat):
        out, at = x, 0
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
            w = flat[at : at + n_in * n_out].reshape(n_out, n_in)
            at += n_in * n_out
            b = flat[at : at + n_out]
            at += n_out
            out = out @ w.T + b
            if i < len(widths) - 2:
                out = torch.tanh(out)
        return torch.nn.functional.cross_entropy(out, y)

    return loss


class Terminal(io.StringIO):
    """A stream that says it is a terminal, where progress bars and live lines show."""

    def isatty(self):
        return True
