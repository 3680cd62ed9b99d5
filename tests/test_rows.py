"""Memory that follows frames: an animation that keeps only its frames' snapshots draws exactly
the frames of one that keeps them all."""

from __future__ import annotations

import numpy as np
import pytest

import gdviz
from gdviz.animation.rows import Rows, seen
from gdviz.views.base import TRAIL


@pytest.fixture(scope="module")
def long_runs():
    steps = TRAIL + 5_000  # past the trail's thinning: the runs that are thinned
    line = gdviz.train("synthetic", steps=steps, lr=0.002)
    plane = gdviz.train("synthetic", model="quadratic", steps=steps, lr=0.002)
    shorter = gdviz.train("synthetic", steps=steps // 2, lr=0.004)
    return {"line": line, "plane": plane, "race": [line, shorter]}


@pytest.mark.parametrize("view", ["fit", "contour", "loss", "dashboard", "surface"])
@pytest.mark.parametrize("kind", ["line", "plane", "race"])
@pytest.mark.slow
def test_keeping_only_the_frames_snapshots_draws_the_same_frames(long_runs, kind, view):
    runs = long_runs[kind]
    whole = gdviz.animate(runs, view=view, frames=7)
    expected = list(whole.frames())
    kept = gdviz.animate(runs, view=view, frames=7)
    kept.keep_seen()
    got = list(kept.frames())
    assert len(got) == 7
    for a, b in zip(expected, got):
        assert np.array_equal(a, b)
    for run in runs if isinstance(runs, list) else [runs]:
        assert isinstance(run.params, np.ndarray)  # the runs given are left whole
    held = [r for r in kept.runs if len(r.loss) > TRAIL]
    assert held and all(isinstance(r.params, Rows) for r in held)
    assert all(len(r.params.values) < 0.6 * len(r.loss) for r in held)


@pytest.mark.slow
def test_a_kept_animation_refuses_what_needs_every_snapshot(long_runs, tmp_path):
    anim = gdviz.animate(long_runs["line"], view="loss", frames=5)
    anim.keep_seen()
    with pytest.raises(gdviz.GdvizError, match="cannot be drawn with other frames"):
        anim.with_frames(3)
    with pytest.raises(gdviz.GdvizError, match="cannot be saved as a page"):
        anim.save(tmp_path / "a.html")
    assert not (tmp_path / "a.html").exists()


def test_rows_read_like_the_array_and_refuse_a_dropped_snapshot():
    array = np.arange(40.0).reshape(20, 2)
    rows = Rows(array, [0, 3, 4, 19])
    assert len(rows) == 20 and rows.shape == (20, 2)
    np.testing.assert_array_equal(rows[3], array[3])
    np.testing.assert_array_equal(rows[np.array([0, 4, 19])], array[[0, 4, 19]])
    np.testing.assert_array_equal(rows[np.array([3, 4]), 1], array[[3, 4], 1])
    np.testing.assert_array_equal(rows[-1], array[19])
    assert rows[4, 0] == array[4, 0]
    with pytest.raises(IndexError, match=r"snapshots \[5\] were not kept"):
        rows[5]
    with pytest.raises(IndexError):
        rows[np.array([0, 2])]


def test_the_snapshots_seen_are_the_frames_the_next_ones_and_the_trail():
    run = gdviz.Run(np.zeros((50_000, 2)), np.zeros((50_000, 2)), np.zeros(50_000), ("a", "b"))
    keep = seen(run, np.array([0, 10_001, 49_999]))
    stride = -(-50_000 // TRAIL)
    assert {0, 1, 10_001, 10_002, 49_999} <= set(keep.tolist())
    assert set(range(0, 50_000, stride)) <= set(keep.tolist())
    assert len(keep) <= TRAIL + 6
