"""The 3-D view: a minimum the surface hides is drawn faint, judged against the pixels matplotlib
draws of the surface alone; the z label reads upright at every angle; each run's start shows."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colors
from mpl_toolkits.mplot3d import proj3d

import gdviz


@pytest.fixture(scope="module")
def himmelblau():
    return gdviz.sweep("himmelblau", optimizer=["adam", "momentum"])


def test_a_minimum_behind_a_hill_is_faint_and_one_in_sight_is_not(himmelblau):
    anim = gdviz.animate(himmelblau, view="surface")
    view = anim.views[0]
    ax = view.ax_
    anim.picture()
    front, back = view.stars_
    in_front = {tuple(np.round(p, 3)) for p in zip(*front.get_data_3d()[:2])}
    faint = {tuple(np.round(p, 3)) for p in zip(*back.get_data_3d()[:2])}
    assert len(in_front) + len(faint) == 4 and faint and in_front
    assert back.get_alpha() < 0.5 <= (front.get_alpha() or 1.0)
    # The surface alone, as matplotlib paints it: at each star's place on the screen, a hill's
    # colour (far from the colour of the minimum's own height) means the surface hides it.
    for artist in ax.lines + ax.texts + [ax.get_legend()]:
        artist.set_visible(False)
    anim.fig.canvas.draw()
    pixels = np.asarray(anim.fig.canvas.buffer_rgba())[..., :3].astype(float)
    height = anim.fig.bbox.height
    norm = colors.Normalize(view._clipped.min(), view._clipped.max())
    for x, y, z in view.minima:
        sx, sy, _ = proj3d.proj_transform(
            np.array([x]), np.array([y]), np.array([z]), ax.get_proj()
        )
        px, py = ax.transData.transform((sx[0], sy[0]))
        row, col = round(height - py), round(px)
        seen = pixels[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3).mean(axis=0)
        # The height whose colour is nearest (shading lightens and darkens a little).
        table = view.surface_.get_cmap()(np.linspace(0, 1, 256))[:, :3] * 255
        drawn = np.argmin(np.abs(table - seen).sum(axis=1)) / 255
        hill = drawn - norm(z) > 0.5  # in sight 0.28-0.38 (shaded pits), behind 0.66
        key = (round(float(x), 3), round(float(y), 3))
        assert (key in faint) == hill, (key, drawn, norm(z))
    anim.fig.clf()


def test_the_z_label_reads_bottom_to_top_at_every_angle(himmelblau):
    # matplotlib turns it with the axis's direction on the screen: bottom to top from one
    # side, top to bottom (rotation -90) from another, flipping as the camera turns.
    anim = gdviz.animate(himmelblau[:1], view="surface")
    ax = anim.views[0].ax_
    for azim in range(0, 360, 30):
        ax.view_init(elev=38, azim=azim)
        anim.fig.canvas.draw()
        assert ax.zaxis.label.get_rotation() % 360 == 90, azim
    anim.fig.clf()


def test_each_run_starts_at_a_marker(himmelblau):
    anim = gdviz.animate(himmelblau, view="surface")
    ax = anim.views[0].ax_
    starts = [
        line
        for line in ax.lines
        if line.get_marker() == "o" and colors.to_hex(line.get_markerfacecolor()) == "#ffffff"
    ]
    assert len(starts) == len(himmelblau)
    for run, line in zip(himmelblau, starts):
        np.testing.assert_allclose(np.ravel(line.get_data_3d()[:2]), run.params[0])
    anim.fig.clf()


def test_a_slides_box_uses_half_the_width_unstretched(himmelblau):
    from itertools import product

    anim = gdviz.animate(himmelblau, view="surface", style="slide")
    ax = anim.views[0].ax_
    anim.picture()
    corners = np.array(list(product(ax.get_xlim(), ax.get_ylim(), ax.get_zlim()))).T
    sx, sy, _ = proj3d.proj_transform(*corners, ax.get_proj())
    px = ax.transData.transform(np.column_stack([sx, sy]))
    assert np.ptp(px[:, 0]) > 0.5 * anim.fig.bbox.width  # matplotlib's square axes: 0.45
    # A unit of the projection reads as many pixels across as up: nothing is stretched.
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (1, 1)])
    assert x1 - x0 == pytest.approx(y1 - y0, rel=1e-3)
    anim.fig.clf()


def test_each_current_point_is_drawn_over_its_path_and_the_path_over_its_start(himmelblau):
    # The 3-D axes draw in zorder (not sorted by depth: the paths stay above the surface).
    anim = gdviz.animate(himmelblau, view="surface")
    view = anim.views[0]
    ax = view.ax_
    assert not ax.computed_zorder
    starts = [a for a in ax.lines if a.get_markerfacecolor() == "white"]
    assert len(starts) == len(himmelblau)
    for path, point, start in zip(view.path_, view.point_, starts):
        assert start.get_zorder() < path.get_zorder() < point.get_zorder()
    anim.fig.clf()


def test_a_box_not_wide_keeps_matplotlib_s_proportions(himmelblau):
    # 640x480 is not wide: the box stays matplotlib's 4:4:3, where a slide's is widened.
    for style, wide in ((None, False), ("slide", True)):
        anim = gdviz.animate(himmelblau, view="surface", style=style)
        ax = anim.views[0].ax_
        anim.picture()
        x, y, z = ax.get_box_aspect()
        assert x == pytest.approx(y)
        assert bool(x / z > 4 / 3 * 1.05) == wide, style
        anim.fig.clf()


def test_a_gif_holds_the_camera_where_the_turn_ends(himmelblau, tmp_path):
    # Its frames are those of the still at the last step (the turn's end), up to the palette:
    # the still figure was once drawn with the camera where the turn starts.
    from PIL import Image

    anim = gdviz.animate(himmelblau, view="surface", frames=4)
    gif = Image.open(anim.save(tmp_path / "a.gif"))  # first: as `gdviz animate` writes one
    still = anim.picture().astype(float)
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"), dtype=float)
    assert np.abs(last - still).mean() < 3
    anim.fig.clf()
