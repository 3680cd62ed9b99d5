"""The weight of a classifier's decision regions: probabilities interpolated to screen pixels and
banded there, crisp flat colours a GIF packs well (2 MB per 100 frames at slide size at most)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import gdviz
from gdviz.views.base import COLORS
from gdviz.views.fit import BANDS, FILL, raster


@pytest.fixture(scope="module")
def moons():
    return gdviz.train("moons", steps=60)


def _bilinear(grid: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Reference: np.interp along each axis, at the centres of a rows x cols raster over the box
    whose edges hold the grid's first and last points."""
    gy, gx = grid.shape
    ys = (np.arange(rows) + 0.5) / rows * (gy - 1)
    xs = (np.arange(cols) + 0.5) / cols * (gx - 1)
    across = np.stack([np.interp(xs, np.arange(gx), row) for row in grid])
    return np.stack([np.interp(ys, np.arange(gy), col) for col in across.T], axis=1)


def test_raster_interpolates_the_grid_bilinearly():
    rng = np.random.default_rng(3)
    grid = rng.random((7, 5))
    for rows, cols in [(30, 41), (7, 5), (3, 2), (100, 9)]:
        expected = _bilinear(grid, rows, cols)
        np.testing.assert_allclose(raster(grid[..., None], (rows, cols))[..., 0], expected)
    # a plane stays a plane: exact at the pixel centres
    plane = 2.0 * np.arange(6)[:, None] - np.arange(4)[None, :]
    got = raster(plane, (12, 8))
    rows, cols = (np.arange(12) + 0.5) / 12 * 5, (np.arange(8) + 0.5) / 8 * 3
    np.testing.assert_allclose(got, 2 * rows[:, None] - cols[None, :])


def test_regions_are_flat_bands_one_value_a_screen_pixel(moons):
    view = gdviz.animate(moons, view="fit", frames=2).views[0]
    view.update(moons.steps)
    image = np.asarray(view.region_.get_array())
    assert image.dtype == np.uint8 and (image[..., 3] == 255).all()  # opaque RGBA
    box = view.ax_.bbox
    assert image.shape[:2] == (round(box.height), round(box.width))
    assert view.region_.get_interpolation() == "nearest"
    # Only the tints of the bands: white and BANDS steps towards each class's colour.
    tints = [np.ones(3)] + [
        1 - FILL * k / BANDS * (1 - np.array(to_rgb(COLORS[c])))
        for c in (0, 1)
        for k in range(1, BANDS + 1)
    ]
    shown = np.unique(image[..., :3].reshape(-1, 3), axis=0)
    assert len(shown) <= len(tints)
    # each to the nearest of 256 levels a channel
    levels = 255 * np.array(tints)
    assert all(np.abs(levels - c).max(axis=1).min() <= 0.5 + 1e-9 for c in shown)
    image = image[..., :3] / 255
    # Where the stored probability is sure, the pixel over that grid point shows its class.
    probs = moons.predictions.values[-1][..., 0]
    gy, gx = probs.shape
    rows = np.minimum((np.arange(gy) / (gy - 1) * image.shape[0]).astype(int), image.shape[0] - 1)
    cols = np.minimum((np.arange(gx) / (gx - 1) * image.shape[1]).astype(int), image.shape[1] - 1)
    pixels = image[rows][:, cols]
    vermilion = pixels[..., 0] > pixels[..., 2]  # class 1; class 0 is blue
    sure = np.abs(probs - 0.5) > 0.1
    np.testing.assert_array_equal(vermilion[sure], (probs > 0.5)[sure])


@pytest.mark.slow
def test_a_slide_gif_of_decision_regions_weighs_at_most_2_mb_per_100_frames(tmp_path):
    # The moons in 100 frames of their 300 steps (fewer frames move each edge further a frame):
    # 4.1 MB per 100 frames when the bands were drawn on the grid and smoothed, 2.43 MB in four
    # bands at screen pixels with an antialiased boundary, 1.62 MB in three with an aliased one.
    run = gdviz.train("moons")
    path = gdviz.animate(run, view="fit", style="slide", frames=100).save(tmp_path / "a.gif")
    image = Image.open(path)
    assert image.size == (1920, 1080) and image.n_frames == 100
    assert path.stat().st_size / image.n_frames * 100 <= 2_000_000
