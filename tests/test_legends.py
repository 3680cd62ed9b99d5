"""A legend never hides a data point, a current point, a start or a minimum: each legend's box,
read from the drawn figure, against the positions of the artists the figure draws (not against
what the views told the legend to keep clear)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection

import gdviz

MARGIN = 2.0  # pixels: a marker centre this near the box is half under it


def _boxes(anim):
    """(axes, legend box in pixels) for every legend of the animation's last frame."""
    anim.picture()  # the last frame, drawn whole
    renderer = anim.fig.canvas.get_renderer()
    for ax in anim.fig.axes:
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            yield ax, legend.get_window_extent(renderer)


def _under(pixels: np.ndarray, box) -> np.ndarray:
    x, y = np.asarray(pixels, dtype=float).reshape(-1, 2).T
    return (x > box.x0 - MARGIN) & (x < box.x1 + MARGIN) & (y > box.y0 - MARGIN) & (y < box.y1 + MARGIN)  # fmt: skip


def _scatter(ax) -> np.ndarray:
    """Every scattered point of ``ax`` (the data), in pixels."""
    found = [np.empty((0, 2))]
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            found.append(coll.get_offset_transform().transform(coll.get_offsets()))
    return np.concatenate(found)


def _traced(ax) -> np.ndarray:
    """Every vertex of every line drawn in data coordinates (paths, curves, starts, stars and
    current points; lines across the axes such as a least-squares level are not data), in
    pixels, as the last frame shows them."""
    found = [np.empty((0, 2))]
    for line in ax.lines:
        if line.get_transform() != ax.transData or not line.get_visible():
            continue
        xy = np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy):
            with np.errstate(all="ignore"):
                px = ax.transData.transform(xy)
            found.append(px[np.isfinite(px).all(axis=1)])
    return np.concatenate(found)


def _inside_axes(ax, box) -> bool:
    frame = ax.get_window_extent()
    return box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1


def falling_line() -> gdviz.Run:
    """Data falling left to right (the corner a fixed upper-left legend took is full)."""
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 80)
    y = -3 * x + 2 + 0.3 * rng.standard_normal(80)
    return gdviz.train((x, y), steps=60, lr=0.2)


@pytest.mark.parametrize("style", [None, "slide"])
def test_the_fit_legend_hides_no_data_point_when_the_data_fall(style):
    anim = gdviz.animate(falling_line(), view="fit", style=style)
    (ax, box), *_ = list(_boxes(anim))
    assert not _under(_scatter(ax), box).any()
    assert _inside_axes(ax, box)  # a corner is free: the legend stays in the axes
    anim.fig.clf()


def test_a_legend_goes_outside_the_axes_when_every_corner_holds_data():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 600)
    y = rng.uniform(-1, 1, 600)  # points everywhere
    run = gdviz.train((x, y), steps=20, lr=0.1)
    anim = gdviz.animate(run, view="fit")
    (ax, box), *_ = list(_boxes(anim))
    assert not _inside_axes(ax, box)
    assert not _under(_scatter(ax), box).any()
    anim.fig.clf()


@pytest.mark.slow
def test_the_decision_region_legend_hides_no_point_at_slide_size():
    anim = gdviz.animate(gdviz.train("moons", steps=60), view="fit", style="slide")
    boxes = list(_boxes(anim))
    assert boxes
    for ax, box in boxes:
        assert not _under(_scatter(ax), box).any()
    anim.fig.clf()


@pytest.fixture(scope="module")
def sweep():
    return gdviz.sweep("synthetic", lr=[0.05, 0.2, 0.5, 0.9, 0.95])


@pytest.mark.slow
@pytest.mark.parametrize("view", ["contour", "loss", "dashboard"])
@pytest.mark.parametrize("style", [None, "slide"])
def test_a_sweeps_legends_hide_no_path_start_minimum_or_final_point(sweep, view, style):
    anim = gdviz.animate(sweep, view=view, style=style)
    boxes = list(_boxes(anim))
    assert boxes
    for ax, box in boxes:
        traced = _traced(ax)
        assert len(traced) > 20  # the paths or curves were found
        assert not _under(traced, box).any(), f"{view}: a legend lies over the runs"
        assert not _under(_scatter(ax), box).any()
    anim.fig.clf()


def _notes(anim):
    """(axes, note) for each plane note of the animation."""
    for view in anim.views:
        note = getattr(view, "note_", None)
        if note is not None and getattr(view, "path_loss", None) is not None:
            yield view.ax_, note


@pytest.mark.parametrize("style", [None, "slide"])
def test_a_plane_note_stays_in_its_axes_off_starts_and_under_the_current_point(style):
    # The moons dashboard at slide size: its fit legend goes outside, the layout shrinks the
    # plane, and the note ran past the plane's right edge into the colour bar.
    run = gdviz.train("moons", steps=60)
    anim = gdviz.animate(run, view="dashboard", style=style, frames=4)
    (ax, note), *_ = _notes(anim)
    renderer = anim.fig.canvas.get_renderer()
    for frame in range(anim.n_frames):
        anim.update(frame)
        anim.fig.canvas.draw()
        box = note.get_window_extent(renderer)
        frame_box = ax.get_window_extent()
        assert frame_box.x0 - 1 <= box.x0 and box.x1 <= frame_box.x1 + 1, note.get_text()
        assert frame_box.y0 - 1 <= box.y0 and box.y1 <= frame_box.y1 + 1, note.get_text()
        view = next(v for v in anim.views if getattr(v, "note_", None) is note)
        start = ax.transData.transform(view.coords[0][:1])
        assert not _under(start, box).any()  # the start shows
        # the current point is drawn over the note, wherever it passes
        assert all(p.get_zorder() > note.get_zorder() for p in view.point_)
        legend = ax.get_legend()
        if legend is not None:
            assert not legend.get_window_extent(renderer).overlaps(box)


def test_a_note_settled_again_shows_its_text_wrapped_once_or_not_at_all():
    from gdviz.views.legends import settle

    run = gdviz.train("moons", steps=60)
    anim = gdviz.animate(run, view="dashboard", style="slide", frames=2)
    (ax, note), *_ = _notes(anim)
    view = next(v for v in anim.views if getattr(v, "note_", None) is note)
    assert note.gdviz_wrapped and note.get_text().count("\n") == 1  # too wide for its panel
    settle(anim.fig)  # again, the same layout: the same text, wrapped once
    assert note.gdviz_wrapped and note.get_text().count("\n") == 1
    anim.fig.set_size_inches(40, 10)  # room enough: on one line again
    anim.fig.canvas.draw()
    settle(anim.fig)
    assert not note.gdviz_wrapped and "\n" not in note.get_text()
    anim.show(run.steps)
    assert note.get_text() == view._note(len(run.loss) - 1) and "\n" not in note.get_text()


def test_a_line_beside_a_legend_s_box_crosses_it_nowhere():
    # Where a legend may go is judged by the segments crossing its box (Liang-Barsky): a level
    # or upright segment beside the box, over its width or height, crosses it nowhere.
    from matplotlib.transforms import Bbox

    from gdviz.views.legends import _crossings

    box = Bbox([[10.0, 10.0], [20.0, 20.0]])
    assert _crossings(np.array([[0.0, 25.0], [30.0, 25.0]]), box) == 0  # level, above it
    assert _crossings(np.array([[5.0, 0.0], [5.0, 30.0]]), box) == 0  # upright, left of it
    # across it, then down and to the left beneath it (y = x - 15), then up through it
    line = np.array([[0.0, 15.0], [30.0, 15.0], [15.0, 0.0], [15.0, 30.0]])
    assert _crossings(line, box) == 2
    assert _crossings(np.array([[15.0, 15.0]]), box) == 1  # a lone point inside


def test_a_marker_within_a_few_points_of_a_legend_s_box_counts_as_hidden():
    # A marker's centre inside the box, or within MARKER_POINTS of any of its edges, is under
    # it; farther off, it shows.
    from matplotlib.transforms import Bbox

    from gdviz.views.legends import _inside

    box, pad = Bbox([[10.0, 10.0], [20.0, 20.0]]), 3.0
    near = np.array([[11.0, 15.0], [19.0, 15.0], [15.0, 11.0], [15.0, 19.0],  # inside an edge
                     [8.0, 15.0], [22.0, 15.0], [15.0, 8.0], [15.0, 22.0]])  # just outside  # fmt: skip
    far = np.array([[6.0, 15.0], [24.0, 15.0], [15.0, 6.0], [15.0, 24.0]])
    assert _inside(near, box, pad).all()
    assert not _inside(far, box, pad).any()


def test_a_legend_keeps_clear_of_the_note_placed_before_it():
    # Markers in three corners: the note takes the fourth, the upper right, which is where a
    # legend goes first; the legend then goes where it covers neither the note nor a marker.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gdviz.views.legends import keep_clear, keep_note_clear, settle

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    corners = np.array([[0.5, 0.5], [9.5, 0.5], [0.5, 9.5]])
    ax.plot(*corners.T, "o", label="starts")
    legend = keep_clear(ax.legend(), ax, points=corners)
    note = ax.text(0, 0, "loss on the plane 0.123", transform=ax.transAxes)
    keep_note_clear(note, ax, [note.get_text()], lambda t: t.replace(" ", "\n", 1), points=corners)
    fig.canvas.draw()
    assert not settle(fig)  # a place inside the axes
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = note.get_window_extent(renderer)
    assert box.x0 > ax.bbox.x0 + ax.bbox.width / 2 and box.y0 > ax.bbox.y0 + ax.bbox.height / 2
    legend_box = legend.get_window_extent(renderer)
    assert not legend_box.overlaps(box)
    assert not _under(ax.transData.transform(corners), legend_box).any()
