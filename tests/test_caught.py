"""Bugs that once survived the tests, each now caught against a reference written here: which
snapshots become frames, the notebook's thinning, the plane's origin, fair race rates, exit
codes, the loss axis, and the GIF's palette."""

from __future__ import annotations

import errno

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

import gdviz
from gdviz.cli.commands import main
from gdviz.run.frames import DEFAULT_FRAMES, pick_steps

# -- which snapshots become frames ---------------------------------------------------------------


def long_run(snapshots: int, *, fast_share: float = 0.1) -> gdviz.Run:
    """A run that moves all the way in its first ``fast_share`` of steps, then sits still."""
    t = np.linspace(0, 1, snapshots)
    progress = np.minimum(t / fast_share, 1.0)
    params = np.column_stack([3 * progress, 2 * progress])
    loss = (1 - progress) ** 2 + 1e-3
    return gdviz.Run(params, np.zeros_like(params), loss, ("m", "b"))


def test_a_short_run_shows_every_snapshot():
    run = long_run(150)
    np.testing.assert_array_equal(pick_steps([run]), np.arange(150))


def test_a_long_run_shows_the_default_count_always_first_and_last():
    run = long_run(1000)
    steps = pick_steps([run])
    assert DEFAULT_FRAMES == 200 and len(steps) == 200
    assert steps[0] == 0 and steps[-1] == 999
    assert np.all(np.diff(steps) > 0)
    for frames in (2, 3, 57, 999):
        chosen = pick_steps([run], frames)
        assert len(chosen) == frames and chosen[0] == 0 and chosen[-1] == 999


def test_frames_are_spread_half_by_time_half_by_motion():
    # All the motion is in the first tenth of the steps. Half the frames go by time (a tenth
    # of them there) and half by motion (all of them there): 0.5 * 0.1 + 0.5 * 1 = 55%.
    steps = pick_steps([long_run(10_000)], 200)
    share = np.mean(steps < 1000)
    assert share == pytest.approx(0.55, abs=0.03)


@pytest.mark.slow
def test_the_notebook_thins_by_spreading_frames_over_the_whole_run(monkeypatch):
    import matplotlib as mpl

    import gdviz.notebook.display as notebook

    anim = gdviz.animate(gdviz.train("synthetic", steps=60))
    seen = []
    real = notebook.html_fragment

    def spy(animation, **kwargs):
        seen.append(animation)
        return real(animation, **kwargs)

    monkeypatch.setattr(notebook, "html_fragment", spy)
    full = len(anim._repr_html_())
    monkeypatch.setitem(mpl.rcParams, "animation.embed_limit", 0.5 * full / 2**20)
    seen.clear()
    anim._repr_html_()
    shown = seen[-1].steps
    assert 2 <= len(shown) < 61
    assert shown[0] == 0 and shown[-1] == 60  # the whole run, not its first frames
    assert np.diff(shown).max() <= 2 * 60 / (len(shown) - 1) + 1  # spread evenly


# -- the plane, fair rates ------------------------------------------------------------------------


def test_the_plane_passes_through_the_first_runs_last_parameters():
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, 40)
    run = gdviz.train((x, x**2 - x), model="quadratic", optimizer="momentum", lr=0.01, steps=30)
    view = gdviz.views.ContourView(run).plot()
    np.testing.assert_allclose(view.plane_.origin, run.params[-1])
    np.testing.assert_allclose(view.plane_.lift([0.0, 0.0]), run.params[-1])


def test_a_race_without_rates_is_fair():
    runs = gdviz.sweep(
        "synthetic", optimizer=["gd", "sgd", "momentum", "nesterov", "adam", "adamw"], steps=2
    )
    rate = {r.meta["optimizer"]: r.meta["lr"] for r in runs}
    assert rate["gd"] == rate["sgd"] == 0.1  # the preset's own
    assert rate["momentum"] == rate["nesterov"] == pytest.approx(rate["gd"] / 10)  # 1/(1 - 0.9)
    assert rate["adam"] == rate["adamw"]


# -- exit codes -----------------------------------------------------------------------------------


def test_a_bug_exits_1_with_one_line_and_no_traceback(monkeypatch, capsys, tmp_path):
    import gdviz.animation.animation

    def broken(*args, **kwargs):
        raise RuntimeError("a deliberate bug")

    monkeypatch.setattr(gdviz.animation.animation, "animate", broken)
    code = main(["animate", "--out", str(tmp_path / "a.png")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == (
        "gdviz: internal error: RuntimeError: a deliberate bug (set GDVIZ_DEBUG=1 for the traceback)"
    )


def test_a_full_disk_exits_1_naming_the_file(monkeypatch, capsys, tmp_path):
    import gdviz.export

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gdviz.export, "_write", full)
    code = main(["animate", "--out", str(tmp_path / "a.gif")])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        err.strip() == f"gdviz: error: cannot write {tmp_path / 'a.gif'}: No space left on device"
    )
    assert not (tmp_path / "a.gif").exists()


# -- the loss axis ---------------------------------------------------------------------------------


def test_the_loss_axis_is_logarithmic_past_a_decade_and_clamps_a_runaway():
    from gdviz.views import LossView

    falling = gdviz.train("thermometer")  # 80 down to 2.9: more than a decade
    assert falling.loss[0] / falling.loss.min() > 10
    view = LossView(falling).plot()
    assert view.ax_.get_yscale() == "log"
    # ... with a dashed line where least squares lies, computed here
    t_u = np.array([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    t_c = np.array([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
    a = np.column_stack([np.float32(0.1) * t_u.astype(np.float32), np.ones(11)])
    best = np.mean((a @ np.linalg.lstsq(a, t_c, rcond=None)[0] - t_c) ** 2)
    lines = [ln for ln in view.ax_.get_lines() if ln.get_label() == "least squares"]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == pytest.approx(best, rel=1e-6)
    gentle = gdviz.train("beale", steps=3)  # no known best, a ratio under ten
    assert gentle.loss[0] / gentle.loss.min() < 10
    assert LossView(gentle).plot().ax_.get_yscale() == "linear"
    # A run growing without bound next to a falling one: the axis keeps to ten times the
    # start, so the falling one is still seen.
    x = np.linspace(-1, 1, 10)
    grows = gdviz.Run(
        np.zeros((20, 2)),
        np.zeros((20, 2)),
        np.concatenate([[1.0], -np.geomspace(1, 1e30, 19)]),
        ("m", "b"),
        x=x,
        y=x,
    )
    low, high = LossView([grows]).plot().ax_.get_ylim()
    assert low >= -10 * 1.0 - 1 and high <= 10 * 1.0 + 1


def test_a_loss_off_the_top_of_the_axis_shows_at_its_edge_pointing_up():
    from gdviz.views import LossView

    x = np.linspace(-1, 1, 10)
    loss = np.concatenate([[1.0, 0.8], np.geomspace(10, 1e30, 18)])
    view = LossView(gdviz.Run(np.zeros((20, 2)), np.zeros((20, 2)), loss, ("m", "b"), x=x, y=x))
    view.plot()
    top = view.ax_.get_ylim()[1]
    assert top < loss[-1]
    view.update(1)
    (point,) = view.point_
    assert point.get_marker() == "o" and point.get_ydata()[0] == pytest.approx(0.8)
    view.update(19)
    # Just inside the top (2.5% of the log axis), so the axes do not clip half of it away.
    bottom = view.ax_.get_ylim()[0]
    assert point.get_marker() == "^"
    assert point.get_ydata()[0] == pytest.approx(top / (top / bottom) ** 0.025)


# -- the GIF's palette -------------------------------------------------------------------------------


def test_the_gif_palette_covers_colours_that_only_appear_at_the_end(tmp_path):
    from stand_ins import RED, Sweep, gif_frames

    from gdviz.export import save

    anim = Sweep(12, size=(320, 240))  # the red path is not in the first frame
    first = next(iter(Sweep(12, size=(320, 240)).frames()))
    assert not (first == RED).all(axis=2).any()
    save(anim, tmp_path / "a.gif")
    palette = np.array(Image.open(tmp_path / "a.gif").getpalette()).reshape(-1, 3)
    assert (np.abs(palette - RED).max(axis=1) <= 8).any()  # fitted with the last frame in view
    frames, _, _ = gif_frames(tmp_path / "a.gif")
    red = (anim.last_frame() == RED).all(axis=2)
    assert np.mean(np.abs(frames[-1][red].astype(int) - RED).max(axis=1) <= 16) > 0.95


# -- pacing ---------------------------------------------------------------------------------------


def test_pacing_holds_the_first_and_last_frames_and_slows_short_runs():
    from gdviz.animation.animation import pacing

    long = pacing(200, 20)
    assert long[0] == 0.5 and long[-1] == 2.0 and np.all(long[1:-1] == 0.05)
    short = pacing(6, 20)  # 0.5 + 4 x 0.05 + 2 = 2.7 s: the four between slowed to fill 3 s
    assert short.sum() == pytest.approx(3.0)
    assert short[0] == 0.5 and short[-1] == 2.0
    np.testing.assert_allclose(short[1:-1], 0.05 + 0.3 / 4)
    assert pacing(1, 20).sum() >= 2.0 and pacing(2, 20).sum() == pytest.approx(3.0)


def test_a_short_gif_lasts_three_seconds_with_its_holds(tmp_path):
    from stand_ins import gif_frames

    run = gdviz.train("single-point", steps=4)
    gdviz.animate(run, view="loss").save(tmp_path / "a.gif")
    _, durations, _ = gif_frames(tmp_path / "a.gif")
    assert len(durations) == 5 and durations[0] == 500 and durations[-1] == 2000
    assert sum(durations) == pytest.approx(3000, abs=20)


# -- pictures for a slide: what can be checked without eyes -------------------------------------------


def test_the_star_is_drawn_above_the_final_point_where_a_run_ends_at_the_minimum():
    run = gdviz.train("synthetic", steps=300)
    x = run.x
    a = np.column_stack([x, np.ones_like(x)])
    solution = np.linalg.lstsq(a, run.y, rcond=None)[0]
    anim = gdviz.animate(run, view="contour", frames=4)
    anim.update(anim.n_frames - 1)
    view = anim.views[0]
    assert view.star_.get_xydata()[0] == pytest.approx(solution)
    assert view.point_[0].get_xydata()[0] == pytest.approx(solution, abs=1e-3)
    assert view.star_.get_zorder() > view.point_[0].get_zorder()
    # Blitted after it too: drawn once and laid over every frame, after all that moves.
    assert view.star_ in view.over_ and view.star_ not in view.moving_
    # Hollow: the current point shows inside it in the last frame, in the run's colour.
    frame = anim.last_frame()
    px, py = view.ax_.transData.transform(view.point_[0].get_xydata()[0])
    row, col = round(frame.shape[0] - py), round(px)
    centre = frame[row - 1 : row + 2, col - 1 : col + 2, :3].reshape(-1, 3).astype(float)
    wanted = np.array(mcolors.to_rgb(view.colors[0])) * 255
    assert np.abs(centre - wanted).max(axis=1).min() < 30, centre


@pytest.mark.parametrize(
    "make",
    [
        lambda: gdviz.train("synthetic"),
        lambda: gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"]),
        lambda: gdviz.sweep("beale", optimizer=["gd", "momentum", "nesterov", "adam"]),
        lambda: gdviz.sweep("synthetic", lr=[0.01, 0.1, 0.5]),
    ],
    ids=["synthetic", "rosenbrock race", "beale race", "lr sweep"],
)
@pytest.mark.slow
def test_no_legend_box_covers_a_current_point_or_a_star_in_any_frame(make):
    anim = gdviz.animate(make(), view="dashboard", frames=12)
    renderer = anim.fig.canvas.get_renderer()
    for k in range(anim.n_frames):
        anim.update(k)
        for view in anim.views:
            legend = view.ax_.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer)
            marks = [*getattr(view, "point_", []), getattr(view, "star_", None)]
            for mark in (m for m in marks if m is not None):
                for px, py in view.ax_.transData.transform(mark.get_xydata()):
                    assert not box.contains(px, py), (view.name, k, mark)


def test_the_caption_stays_put_from_frame_to_frame():
    anim = gdviz.animate(gdviz.train("synthetic"), view="fit")
    frames = list(anim.frames())
    rows = slice(frames[0].shape[0] - 30, None)
    lefts = {int(np.argmax((f[rows] < 128).any(axis=(0, 2)))) for f in frames}
    assert len(lefts) == 1


@pytest.mark.parametrize(
    ("size", "dpi"),
    [
        ((200, 160), 100),
        ((480, 360), 100),
        ((640, 480), 150),
        ((1920, 1080), None),
        ((3000, 600), 100),
        ((700, 2000), 300),
        ((8000, 8000), 600),
    ],
)
@pytest.mark.slow
def test_title_and_caption_stay_inside_the_figure(size, dpi):
    runs = gdviz.sweep("moons", optimizer=["adam", "sgd"], steps=10)  # a long title and caption
    style = "slide" if dpi is None else None
    anim = gdviz.animate(runs, view="loss", size=size, dpi=dpi, style=style, frames=2)
    frame = anim.last_frame()
    height, width = frame.shape[:2]
    ink = (frame < 200).any(axis=2)
    for rows in (slice(0, int(0.08 * height)), slice(int(0.92 * height), None)):
        cols = np.nonzero(ink[rows].any(axis=0))[0]
        assert cols.size and cols[0] > 0 and cols[-1] < width - 1, (size, dpi)


def test_style_slide_is_1920_by_1080_with_large_text(tmp_path, capsys):
    code = main(
        ["animate", "--style", "slide", "--view", "dashboard", "--out", str(tmp_path / "s.png")]
    )
    assert code == 0, capsys.readouterr().err
    with Image.open(tmp_path / "s.png") as image:
        assert image.size == (1920, 1080)
    anim = gdviz.animate(gdviz.train("synthetic", steps=5), view="dashboard", style="slide")
    renderer = anim.fig.canvas.get_renderer()
    texts = [
        t for ax in anim.fig.axes for t in (ax.xaxis.label, *ax.get_xticklabels()) if t.get_text()
    ]
    smallest = min(t.get_window_extent(renderer).height for t in texts)
    assert smallest >= 14 * 100 / 72  # 14 pt when the 1920x1080 picture is shown at 100 dpi


@pytest.mark.parametrize(
    "make, view",
    [
        (lambda: gdviz.train("synthetic", steps=20), "dashboard"),
        (lambda: gdviz.train("moons", steps=20, curvature=True), "loss"),
        (lambda: gdviz.sweep("rosenbrock", optimizer=["gd", "adam"], steps=50), "contour"),
        (lambda: gdviz.train("moons", steps=20), "fit"),
    ],
    ids=["dashboard", "sharpness", "race", "regions"],
)
def test_no_text_of_a_slide_is_under_28_pixels(make, view):
    anim = gdviz.animate(make(), view=view, style="slide", frames=3)
    anim.update(2)
    fig = anim.fig
    ticks = [t for ax in fig.axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels())]
    texts = [t for t in (*fig.findobj(Text), *ticks) if t.get_text() and t.get_visible()]
    assert len(texts) > 10
    smallest = min(t.get_fontsize() * fig.dpi / 72 for t in texts)
    assert smallest >= 28 - 1e-9, [
        t.get_text() for t in texts if t.get_fontsize() * fig.dpi / 72 < 28
    ]
