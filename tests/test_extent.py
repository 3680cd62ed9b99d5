"""Honest extent: a run that leaves the view leaves a whole triangle at the edge it crossed,
and one run running away does not squash the others into a strip."""

from __future__ import annotations

import numpy as np
import pytest

import gdviz

# gd on the synthetic line is stable below 2/L = 0.986: 1.05 runs away, the rest settle.
RATES = [0.05, 0.2, 0.5, 1.05]


@pytest.fixture(scope="module")
def sweep():
    with pytest.warns(UserWarning):
        return gdviz.sweep("synthetic", lr=RATES, steps=60)


def _triangles(ax) -> list:
    """The lines of ``ax`` drawn as one triangle marker (off-view marks), with their place."""
    found = []
    for line in ax.lines:
        if line.get_marker() in ("^", "v", "<", ">") and len(line.get_xdata()) == 1:
            x, y = float(line.get_xdata()[0]), float(line.get_ydata()[0])
            if np.isfinite(x) and np.isfinite(y):
                found.append((line.get_marker(), x, y))
    return found


def _whole_inside(ax, x, y, marker_points=10) -> bool:
    """Whether a marker at (x, y) lies wholly inside the axes (none of it clipped away)."""
    px, py = ax.transData.transform((x, y))
    frame = ax.get_window_extent()
    half = marker_points * ax.figure.dpi / 72 / 2
    return frame.x0 + half <= px <= frame.x1 - half and frame.y0 + half <= py <= frame.y1 - half


def test_a_runaway_does_not_squash_the_settled_runs(sweep):
    anim = gdviz.animate(sweep, view="contour")
    ax = anim.views[0].ax_
    best = np.polyfit(sweep[0].x.ravel(), sweep[0].y.ravel(), 1)  # (m, b), the star
    settled = np.concatenate([r.params for r in sweep[:-1]] + [best[None]])
    for axis, (lo, hi) in enumerate((ax.get_xlim(), ax.get_ylim())):
        own = np.ptp(settled[:, axis])
        assert hi - lo <= 4 * own  # their box (and its margins) and as far again each side
    anim.picture()
    marks = _triangles(ax)
    assert len(marks) == 1  # the runaway's current point, at the edge
    _, x, y = marks[0]
    assert _whole_inside(ax, x, y, marker_points=8)
    final = sweep[-1].params[-1]  # it points the way the run went, from the view's centre
    centre = np.array([np.mean(ax.get_xlim()), np.mean(ax.get_ylim())])
    way, shown = final - centre, np.array([x, y]) - centre
    assert np.dot(way, shown) / np.linalg.norm(way) / np.linalg.norm(shown) > 0.999
    anim.fig.clf()


def test_a_fitted_line_that_leaves_the_plot_leaves_a_triangle(sweep):
    anim = gdviz.animate(sweep, view="fit")
    ax = anim.views[0].ax_
    anim.picture()
    bottom, top = ax.get_ylim()
    runaway = anim.views[0].line_[-1]
    y = runaway.get_ydata()
    assert (y > top).all() or (y < bottom).all()  # the line itself is off the plot
    marks = _triangles(ax)
    assert len(marks) == 1
    marker, x, y0 = marks[0]
    assert marker == ("^" if (y > top).all() else "v")
    assert _whole_inside(ax, x, y0)
    assert anim.views[0].off_[-1].get_color() == runaway.get_color()
    anim.picture(5)  # early on every line is on the plot: no triangle
    assert _triangles(ax) == []
    anim.fig.clf()


def test_a_loss_below_the_axis_leaves_a_triangle_at_the_bottom():
    with pytest.warns(UserWarning):
        run = gdviz.train("saddle", steps=100)
    assert run.loss[-1] < -100  # x² − y² falls without end
    anim = gdviz.animate(run, view="loss")
    ax = anim.views[0].ax_
    anim.picture()
    marks = _triangles(ax)
    assert [m[0] for m in marks] == ["v"]
    assert _whole_inside(ax, marks[0][1], marks[0][2], marker_points=8)
    anim.fig.clf()


def test_the_page_carries_the_off_view_triangle(sweep, tmp_path):
    from gdviz.export import page

    anim = gdviz.animate(sweep, view="fit")
    off = anim.views[0].off_[-1]
    steps = np.arange(len(sweep[-1].loss))
    tracks = anim.views[0].tracks(steps)
    marks = tracks[off]
    for j in (5, len(steps) - 1):  # the page's track says what the frame shows
        anim.views[0].update(int(steps[j]))
        shown = np.array([off.get_xdata()[0], off.get_ydata()[0]], dtype=float)
        np.testing.assert_allclose(marks.data[j, 0], shown)
    assert "tracks" in page.collect(anim)
    anim.fig.clf()


def test_a_curved_fits_page_triangles_are_where_each_frame_puts_them(monkeypatch):
    # Three class curves of a network, their triangles made for the page a few snapshots at a
    # time, against the ones `update` places snapshot by snapshot.
    import gdviz.views.fit as fit

    x = np.linspace(-1, 1, 40)
    with pytest.warns(UserWarning):
        run = gdviz.train((x, np.digitize(x, [-0.3, 0.3])), loss="cross_entropy", model="mlp",
                          steps=30)  # fmt: skip
    view = gdviz.animate(run, view="fit").views[0]
    view.ylim = (1.5, 2.5)  # every class curve below it: a triangle under its highest point
    monkeypatch.setattr(fit, "OFF_BLOCK", 7)
    steps = np.arange(len(run.loss))
    tracks = view.tracks(steps)
    shown = 0
    for j in steps:
        view.update(int(j))
        for off in view.off_:
            xy = np.array([off.get_xdata()[0], off.get_ydata()[0]], dtype=float)
            np.testing.assert_array_equal(tracks[off].data[j, 0], xy)
            if np.isfinite(xy).all():
                assert tracks[off].markers[tracks[off].marker[j]] == off.get_marker()
                shown += 1
    assert shown > 10
    view.figure_.clf()
