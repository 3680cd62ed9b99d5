"""What keeps gdviz fast, checked by its mechanisms and never by the clock: still artists drawn
once and laid over each frame (pixel for pixel the picture a full redraw gives), frames that
redraw only what moves, and no module loaded that the run does not use."""

from __future__ import annotations

import gc
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.legend import Legend

import gdviz
from gdviz.animation.animation import _rgb
from gdviz.cli.commands import main


def full_redraws(anim) -> list[np.ndarray]:
    """Every frame drawn whole, by matplotlib's own draw of the figure."""
    frames = []
    for i in range(anim.n_frames):
        anim.update(i)
        anim.fig.canvas.draw()
        frames.append(_rgb(anim.fig.canvas))
    return frames


CASES = {
    "fit and its legend": lambda: gdviz.animate(gdviz.train("synthetic"), frames=30),
    "contour, star and legend": lambda: gdviz.animate(
        gdviz.train("synthetic"), view="contour", frames=30
    ),
    "a race passing under the star": lambda: gdviz.animate(
        gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"], steps=300),
        view="contour",
        frames=30,
    ),
    "regions moving under the legend": lambda: gdviz.animate(
        gdviz.train("moons", steps=60), frames=12
    ),
    "a sweep's loss curves": lambda: gdviz.animate(
        gdviz.sweep("synthetic", lr=[0.1, 0.3, 0.5, 0.7], steps=80), view="loss", frames=30
    ),
    "dashboard": lambda: gdviz.animate(gdviz.train("synthetic"), view="dashboard", frames=20),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.slow
def test_frames_with_the_overlay_laid_on_are_the_full_redraws_pixel_for_pixel(case):
    anim = CASES[case]()
    assert anim.over  # legends or stars drawn over what moves
    fast = list(anim.frames())
    whole = full_redraws(anim)
    for i, (a, b) in enumerate(zip(fast, whole)):
        assert np.array_equal(a, b), f"frame {i} differs in {int((a != b).any(-1).sum())} pixels"
    anim.fig.clf()


def test_a_path_under_a_translucent_legend_redraws_it_and_nothing_else_does():
    # The moons regions fill the axes under the legend: its translucent box shows them, so it
    # is drawn again on each frame; the fit's legend, which the line never crosses, is not.
    moons = CASES["regions moving under the legend"]()
    list(moons.frames())
    assert moons.overlay_.redrawn == moons.n_frames
    fit = CASES["fit and its legend"]()
    list(fit.frames())
    assert fit.overlay_.redrawn == 0


@pytest.mark.parametrize("framealpha", [1.0, 0.6])
def test_a_line_passing_under_a_legend_laid_on_is_the_full_redraw_in_every_channel(framealpha):
    # A line moves down under the middle of a legend, clear of its antialiased edges: opaque,
    # the legend covers the line (laid from the cache over what moved); translucent, the line
    # shows through (drawn again). Every frame's RGBA is the full redraw's, alpha included.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from gdviz.animation.overlay import Overlay

    fig = Figure(figsize=(4, 3), dpi=80)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    (line,) = ax.plot([0.3, 0.7], [1, 1], lw=6, color="tab:red", animated=True)  # inside its box
    legend = ax.legend(
        [line], ["a label of some width"], loc="center", framealpha=framealpha, fontsize=12
    )
    legend.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    overlay = Overlay(fig, [legend], background)
    buffer = np.asarray(canvas.buffer_rgba())
    for y in (0.9, 0.52, 0.5, 0.48, 0.1):
        line.set_ydata([y, y])
        canvas.restore_region(background)
        fig.draw_artist(line)
        overlay.lay()
        fast = buffer.copy()
        for artist in (line, legend):
            artist.set_animated(False)
        canvas.draw()
        whole = buffer.copy()
        for artist in (line, legend):
            artist.set_animated(True)
        assert np.array_equal(fast, whole), f"at y={y:.1f}: {int((fast != whole).any(-1).sum())}"
    assert overlay.redrawn == (0 if framealpha == 1 else 3)


def test_a_frame_draws_only_its_moving_artists(monkeypatch):
    anim = gdviz.animate(gdviz.train("synthetic"), frames=40)
    drawn: list = []
    real = Figure.draw_artist
    monkeypatch.setattr(Figure, "draw_artist", lambda fig, a: drawn.append(a) or real(fig, a))
    legends = []
    real_legend = Legend.draw
    monkeypatch.setattr(Legend, "draw", lambda leg, r: legends.append(leg) or real_legend(leg, r))
    frames = anim.frames()
    next(frames)  # the still figure and the overlay are made with the first frame
    setup = len(legends)
    drawn.clear()
    count = sum(1 for _ in frames)
    assert count == anim.n_frames - 1
    assert len(legends) == setup  # the legend is never drawn again
    moving = anim.moving
    assert len(drawn) == count * len(moving)
    assert {id(a) for a in drawn} == {id(a) for a in moving}


def test_the_gif_writer_reads_the_last_frame_by_blitting_with_the_same_picture(tmp_path):
    anim = gdviz.animate(gdviz.train("synthetic"), view="contour", frames=10)
    whole = anim.last_frame()  # outside an export: drawn whole
    with anim.prepared():
        blitted = anim.last_frame()
        assert anim._blit is not None
    assert np.array_equal(whole, blitted)
    assert anim._blit is None and not any(a.get_animated() for a in anim.moving + anim.over)


def loaded_modules(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return set(done.stdout.split())


@pytest.mark.slow
def test_a_gd_run_loads_no_torch_dynamo_and_an_adam_run_does():
    # torch.optim imports torch._dynamo (seconds) at its first optimiser; the hand-written gd
    # never makes one.
    gd = loaded_modules("import gdviz; gdviz.train('synthetic', steps=5)")
    assert "torch" in gd and "torch._dynamo" not in gd
    adam = loaded_modules("import gdviz; gdviz.train('synthetic', optimizer='adam', steps=5)")
    assert "torch._dynamo" in adam


COMMAND = ("--dataset", "synthetic", "--steps", "20")


@pytest.mark.slow
def test_the_main_command_loads_no_torch_dynamo(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "gdviz.cli.launch",
            "animate",
            *COMMAND,
            "-q",
            "--out",
            str(tmp_path / "s.gif"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "s.gif").stat().st_size > 0
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "torch" in imported and "torch._dynamo" not in imported
    assert "matplotlib.pyplot" not in imported


COLLECTOR = """
import gc, sys
import gdviz.cli.launch as launch
from gdviz.export.gif import GifWriter
from gdviz.training import races
seen = {}
sweep, append = races.sweep, GifWriter.append
def watched_sweep(*args, **kwargs):  # training: the collector on
    seen["training"] = gc.isenabled()
    return sweep(*args, **kwargs)
def watched_append(self, frame):  # drawing: on, with what the imports made frozen
    if "drawing" not in seen:
        seen["drawing"] = True
        print(seen["training"], gc.isenabled(), gc.get_freeze_count(), flush=True)
    return append(self, frame)
races.sweep, GifWriter.append = watched_sweep, watched_append
sys.argv = ["gdviz", "animate", *sys.argv[1:]]
launch.run()  # the program: it ends the process
"""


@pytest.mark.slow
def test_the_program_imports_with_the_collector_paused_and_works_with_it_on(tmp_path):
    # Importing torch and matplotlib makes some 200,000 objects and no garbage: the
    # collector is off while they load, they are frozen, and it is on for the work.
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR, *COMMAND, "-q", "--out", str(tmp_path / "s.gif")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    training, drawing, frozen = done.stdout.split()
    assert training == "True" and drawing == "True"
    assert int(frozen) > 100_000  # torch's and matplotlib's objects, out of every collection


def test_the_command_line_called_in_process_freezes_nothing(tmp_path):
    # A caller's process (a test runner, a notebook) keeps its objects collectable.
    assert main(["animate", *COMMAND, "-q", "--out", str(tmp_path / "s.gif")]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.slow
def test_the_program_ends_with_the_commands_status_and_its_output_whole(tmp_path):
    # `gdviz` leaves without tearing Python down: what it printed and its status still arrive.
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "gdviz.cli.launch",
            "animate",
            *COMMAND,
            "--out",
            str(tmp_path / "s.gif"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0 and ok.stdout.strip().endswith("s.gif")
    bad = subprocess.run(
        [sys.executable, "-m", "gdviz.cli.launch", "animate", "--run", str(tmp_path / "none.npz")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "none.npz" in bad.stderr
