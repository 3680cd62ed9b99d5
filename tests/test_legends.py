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
