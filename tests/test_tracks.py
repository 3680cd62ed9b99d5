"""A view's tracks computed from the runs' arrays at once equal, snapshot for snapshot, what
moving the view to each snapshot records (the page's old way, kept for the views that need it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gdviz
from gdviz.export import page

SHORT_TRAIL = 500  # the thinning of long paths, made to start early so the test stays quick


def runs_of(case: str):
    warnings.simplefilter("ignore")
    if case == "synthetic":
        return [gdviz.train("synthetic", steps=300)]
    if case == "race":
        return gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"], steps=300)
    if case == "leaves the view":  # diverges: the current point rides the edge, then NaN
        return [gdviz.train("synthetic", lr=50.0, steps=60)]
    if case == "every third step":
        return [gdviz.train("synthetic", steps=300, every=3)]
    if case == "longer than a trail":
        return [gdviz.train("synthetic", steps=SHORT_TRAIL + 2_345, lr=0.01)]
    if case == "quadratic curve":
        return [gdviz.train("thermometer", model="quadratic", steps=200)]
    if case == "plane note":
        return [gdviz.train("thermometer", model="mlp", hidden=[4], steps=120)]
    raise AssertionError(case)


CASES = [
    ("synthetic", "fit"),
    ("synthetic", "contour"),
    ("synthetic", "loss"),
    ("race", "contour"),
    ("race", "loss"),
    ("leaves the view", "contour"),
    ("leaves the view", "loss"),
    ("every third step", "loss"),
    ("longer than a trail", "contour"),
    ("longer than a trail", "loss"),
    ("quadratic curve", "fit"),
    ("plane note", "contour"),
]


def unpacked(packed: dict) -> dict:
    out = {}
    for key, value in packed.items():
        if isinstance(value, dict) and "data" in value and "type" in value:
            import base64
            import zlib

            kind = {"f4": "<f4", "f8": "<f8", "i4": "<i4", "u1": "u1"}[value["type"]]
            raw = zlib.decompress(base64.b64decode(value["data"]))
            out[key] = np.frombuffer(raw, dtype=kind).reshape(value["shape"])
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("case", "view"), CASES)
@pytest.mark.slow
def test_tracks_from_the_arrays_are_what_moving_the_view_records(case, view, monkeypatch):
    for module in ("base", "tracks", "loss", "contour"):  # paths thinned past SHORT_TRAIL
        monkeypatch.setattr(f"gdviz.views.{module}.TRAIL", SHORT_TRAIL, raising=False)
    anim = gdviz.animate(runs_of(case), view=view)
    (shown,) = anim.views
    steps, _ = page.slider_steps(anim.runs)
    known = shown.tracks(steps)
    assert known is not None and set(map(id, known)) == set(map(id, shown.moving_))
    height = anim.fig.bbox.height
    owners = page._owners(shown)
    kinds = dict(page.TRACKS)
    for artist in shown.moving_:
        kind = next(t for k, t in page.TRACKS if isinstance(artist, k))
        assert kind in kinds.values()
        fast = kind(artist, owners.get(id(artist)), height)
        fast.take(known[artist], steps)
        slow = kind(artist, owners.get(id(artist)), height)
        page._step([shown], [slow], steps)
        a, b = unpacked(fast.pack()), unpacked(slow.pack())
        assert a.keys() == b.keys()
        if "ends" in a:  # a hidden arrow is never drawn (stepping leaves it as it was)
            np.testing.assert_array_equal(a["visible"], b["visible"])
            hidden = a["visible"] == 0
            for key in ("ends", "heading"):
                a[key], b[key] = a[key][~hidden], b[key][~hidden]
        for key in a:
            if isinstance(a[key], np.ndarray):
                assert a[key].shape == b[key].shape, (artist, key)
                np.testing.assert_allclose(a[key], b[key], atol=1 / 16, err_msg=f"{artist} {key}")
            else:
                assert a[key] == b[key], (artist, key)
    anim.fig.clf()


def test_a_view_that_moves_what_only_it_can_is_stepped_through():
    # The internals' arrows and the decision regions have no tracks from arrays: the page moves
    # those views snapshot by snapshot, as before.
    internals = gdviz.animate(
        gdviz.train("synthetic", optimizer="momentum", steps=40), view="contour", show="internals"
    )
    regions = gdviz.animate(gdviz.train("moons", steps=20))
    steps = np.arange(5)
    assert internals.views[0].tracks(steps) is None
    assert regions.views[0].tracks(steps) is None
    assert "tracks" in page.collect(internals) and "tracks" in page.collect(regions)


def test_the_edge_triangle_points_the_way_the_run_left():
    # An independent rule: the marker's tip is on the side of the box the point passed.
    from gdviz.views.tracks import edge_marks

    # It sits 2.5% of the box inside the edge (whole, not clipped in half by the axes), where
    # the line from the box's centre to the point crosses that inset edge.
    box = ((0.0, 1.0), (0.0, 1.0))
    points = np.array(
        [[2.0, 0.5], [-1.0, 0.5], [0.5, 3.0], [0.5, -2.0], [0.5, 0.5], [3.0, 2.0], [0.0, -np.inf]]
    )
    marks = edge_marks(points, *box)
    shown = [marks.markers[k] for k in marks.marker]
    assert shown == [">", "<", "^", "v", "o", ">", "v"]
    through = 0.5 + (0.975 - 0.5) * (2.0 - 0.5) / (3.0 - 0.5)  # y where x = 0.975 on that line
    np.testing.assert_allclose(
        marks.data[:, 0],
        [[0.975, 0.5], [0.025, 0.5], [0.5, 0.975], [0.5, 0.025], [0.5, 0.5], [0.975, through],
         [0.5, 0.025]],
    )  # fmt: skip


def test_the_pages_data_dots_lie_where_matplotlib_draws_them():
    # Canvas pixels run down from the top, matplotlib's up from the bottom: a dot's y flips.
    import base64
    import zlib

    from gdviz.export.page import collect

    run = gdviz.train("moons", steps=20)
    anim = gdviz.animate(run, view="fit", frames=3)
    data = collect(anim)
    dots = [t for t in data["tracks"] if t["type"] == "dots"]
    assert len(dots) == 1
    packed = dots[0]["xy"]
    xy = np.frombuffer(zlib.decompress(base64.b64decode(packed["data"])), "<f4").reshape(-1, 2)
    height = anim.fig.bbox.height
    for x_data, y_data, (px, py) in zip(run.x[:20, 0], run.x[:20, 1], xy[:20]):
        ax = anim.views[0].ax_
        dx, dy = ax.transData.transform((x_data, y_data))  # from the bottom left
        assert px == pytest.approx(dx, abs=0.05) and py == pytest.approx(height - dy, abs=0.05)
