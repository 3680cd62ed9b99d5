"""Levels in the bowl: a flat floor shows several bands, each band its own colour, and a GIF
keeps every band of the colour bar and around the minimum as the PNG draws it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import gdviz
from gdviz.views.surface import grid, levels


def _bands(column: np.ndarray, least: int = 3) -> list[tuple]:
    """The colours of a pixel column's runs at least ``least`` pixels long, top to bottom."""
    runs: list[list] = []
    for colour in map(tuple, column):
        if runs and runs[-1][0] == colour:
            runs[-1][1] += 1
        else:
            runs.append([colour, 1])
    return [c for c, n in runs if n >= least]


def _pictures(anim, tmp_path):
    """The PNG still and the GIF's last frame of ``anim`` (the same step), as RGB arrays."""
    png = np.asarray(Image.open(anim.save(tmp_path / "a.png")).convert("RGB"))
    gif = Image.open(anim.save(tmp_path / "a.gif"))
    gif.seek(gif.n_frames - 1)
    return png, np.asarray(gif.convert("RGB"))


def _colour_bar_column(anim):
    """Rows and column of the pixels down the middle of the colour bar."""
    height = anim.fig.bbox.height
    bar = anim.fig.axes[1].get_window_extent()
    return slice(int(height - bar.y1) + 2, int(height - bar.y0) - 2), int(bar.x0 + bar.width / 2)


def _near_minimum(anim, share=0.15):
    """Rows and columns of a square around the surface's lowest grid point."""
    view = anim.views[0]
    iy, ix = np.unravel_index(np.nanargmin(view.values), view.values.shape)
    x, y = view.ax_.transData.transform((view.xs[ix], view.ys[iy]))
    y = anim.fig.bbox.height - y
    half = int(view.ax_.bbox.width * share)
    return slice(max(int(y) - half, 0), int(y) + half), slice(max(int(x) - half, 0), int(x) + half)


def test_a_flat_bowl_is_split_into_bands_of_like_area():
    _, _, values = grid(lambda p: 1 + p[0] ** 4 + p[1] ** 4, (-2, 2), (-2, 2))
    lv, log = levels(values)
    assert not log
    share = np.bincount(np.digitize(values.ravel(), lv[1:-1]), minlength=len(lv) - 1) / values.size
    fair = 1 / (len(lv) - 1)
    assert share.max() < 2 * fair  # evenly spaced, the floor's band held 28% of the grid
    floor = values[values <= np.quantile(values, 0.2)]
    assert len(np.unique(np.digitize(floor, lv))) >= 3


def test_no_band_of_a_bowl_takes_a_large_share_of_the_picture(tmp_path):
    run = gdviz.train("1 + x**4 + y**4", init=(1.5, 1.2), steps=100, lr=0.05)
    anim = gdviz.animate(run, view="contour", frames=2)
    png, _ = _pictures(anim, tmp_path)
    box, height = anim.views[0].ax_.bbox, anim.fig.bbox.height
    inside = png[
        int(height - box.y1) + 1 : int(height - box.y0) - 1, int(box.x0) + 1 : int(box.x1) - 1
    ]
    colours, counts = np.unique(inside.reshape(-1, 3), axis=0, return_counts=True)
    assert (counts > 100).sum() >= 12  # the fill's bands; lines and their antialiasing are thin
    # Each band a colour told apart from the others (by value, the floor's thin bands differed
    # by a unit or two of each channel).
    bands = colours[counts > 100].astype(int)
    apart = np.abs(bands[:, None] - bands[None, :]).sum(axis=-1) + 999 * np.eye(
        len(bands), dtype=int
    )
    assert apart.min() >= 8
    # The floor was one colour over a third of the picture, evenly spaced and coloured by value.
    assert counts.max() / counts.sum() < 0.12


@pytest.mark.parametrize("style", [None, "slide"])
def test_a_gif_keeps_each_band_of_the_colour_bar_and_of_the_bowl(tmp_path, style):
    # Log levels over ten decades: 29 bands, the low ones small and near each other in colour.
    run = gdviz.train("x**2 + 10*y**2", init=(3.0, 1.0), steps=60, lr=0.05)
    anim = gdviz.animate(run, view="contour", frames=2, style=style)
    png, gif = _pictures(anim, tmp_path)
    rows, column = _colour_bar_column(anim)
    drawn = _bands(png[rows, column])
    assert len(drawn) == len(set(drawn)) >= 20
    assert _bands(gif[rows, column]) == drawn
    near = _near_minimum(anim)
    bar = set(drawn)
    in_png = {tuple(c) for c in png[near].reshape(-1, 3)} & bar
    in_gif = {tuple(c) for c in gif[near].reshape(-1, 3)} & bar
    assert len(in_png) >= 5 and in_gif == in_png
