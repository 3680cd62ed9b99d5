"""The plane split over processes (torchrun, gloo), resumable from a cache, and refused where
the cache was made for something else (CONTRACT section 9, the distributed and cache notes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from landscape_stand_ins import LOSS, X, Y, cnn, loader, trained
from plane_worker import loss
from stand_ins import Terminal

import gdviz
from gdviz.errors import GdvizError

WORKER = Path(__file__).resolve().parent / "plane_worker.py"
TORCHRUN = Path(sys.executable).parent / "torchrun"


def alone(resolution=15):
    """The plane, the line and the recorded path's plane in this one process."""
    net = cnn(0)
    run = gdviz.landscape(net, loss=loss, data=loader(), resolution=resolution)
    line = gdviz.interpolate(net, cnn(1), loss=loss, data=loader(), points=21)
    model, rec = trained(3, epochs=1, record=True)
    recorded = rec.to_run(model=model, loss=loss, data=loader(), resolution=9)
    return run, line, recorded


@pytest.mark.slow
def test_two_processes_share_the_points_and_each_returns_the_whole_plane(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(
        [str(TORCHRUN), "--standalone", "--nproc_per_node=2", str(WORKER), str(tmp_path),
         "--group"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run, line, recorded = alone()
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    for found in ranks:  # every rank: the whole result, equal to one process's
        np.testing.assert_allclose(found["grid"], run.landscape.loss, rtol=1e-5)
        np.testing.assert_allclose(found["line"], line.loss, rtol=1e-5)
        np.testing.assert_allclose(found["path_grid"], recorded.landscape.loss, rtol=1e-5)
        np.testing.assert_allclose(found["path_loss"], recorded.landscape.path_loss, rtol=1e-5)
    # the work split: each rank a share, together every point once (the model: the centre)
    shares = [int(found["grid_done"]) for found in ranks]
    assert sum(shares) == 15 * 15 and min(shares) > 0
    assert sum(int(found["line_done"]) for found in ranks) == len(line.alpha) * 2  # both modes
    assert sum(int(f["path_done"]) for f in ranks) == 81 + len(recorded.landscape.path_loss)


def _cached_points(path: Path) -> int:
    try:
        with np.load(path) as archive:
            return len(archive["grid.index"]) if "grid.index" in archive.files else 0
    except (OSError, ValueError, KeyError, EOFError):
        return 0  # not there yet


@pytest.mark.slow
def test_a_killed_plane_resumes_from_its_cache_and_computes_only_the_missing_points(tmp_path):
    cache = tmp_path / "plane.npz"
    env = dict(os.environ, GDVIZ_SLOW="0.1", OMP_NUM_THREADS="1")
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(tmp_path), "--cache", str(cache), "--only-plane"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while _cached_points(cache) == 0:  # the first chunk is written as soon as it finishes
            assert worker.poll() is None, worker.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "no point was cached"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    kept = _cached_points(cache)
    assert 0 < kept < 15 * 15
    assert not (tmp_path / "rank0.npz").exists()  # it was killed before the end
    resumed = gdviz.landscape(cnn(0), loss=loss, data=loader(), resolution=15, cache=cache)
    evaluated = resumed.meta["evaluation"]
    assert evaluated["cached"] == kept and evaluated["evaluated"] == 15 * 15 - kept
    reference = gdviz.landscape(cnn(0), loss=loss, data=loader(), resolution=15)
    np.testing.assert_allclose(resumed.landscape.loss, reference.landscape.loss, rtol=1e-6)
    again = gdviz.landscape(cnn(0), loss=loss, data=loader(), resolution=15, cache=cache)
    assert again.meta["evaluation"] == {"ranks": 1, "rank": 0, "evaluated": 0, "cached": 225}
    np.testing.assert_array_equal(again.landscape.loss, resumed.landscape.loss)


def test_a_cache_made_for_other_inputs_is_refused_naming_what_differs(tmp_path):
    cache = tmp_path / "plane.npz"
    net = cnn(0)
    gdviz.landscape(net, loss=LOSS, data=loader(), resolution=5, cache=cache)
    assert cache.is_file()
    other = cnn(1)
    cases = [
        ({"model": other}, "other weights"),
        ({"resolution": 7}, "other points (resolution or extent)"),
        ({"distance": 0.5}, "other points (resolution or extent)"),
        ({"seed": 3}, "other directions"),
        ({"normalization": "layer"}, "other directions"),
        ({"data": (X[:100], Y[:100])}, "other data"),
        ({"loss": torch.nn.CrossEntropyLoss(label_smoothing=0.1)}, "other loss"),
        ({"bn": "train"}, "other batch-norm mode"),
        ({"samples": 100}, "other data"),
    ]
    for change, said in cases:
        kwargs = {"model": net, "loss": LOSS, "data": loader(), "resolution": 5, **change}
        before = cache.read_bytes()
        with pytest.raises(GdvizError) as info:
            gdviz.landscape(kwargs.pop("model"), cache=cache, **kwargs)
        assert said in str(info.value) and str(cache) in str(info.value), change
        assert "\n" not in str(info.value)
        assert cache.read_bytes() == before  # left as it was
    cache.write_bytes(b"not a cache")
    with pytest.raises(GdvizError, match="cannot be read"):
        gdviz.landscape(net, loss=LOSS, data=loader(), resolution=5, cache=cache)
    with pytest.raises(GdvizError, match=r"\.npz"):
        gdviz.landscape(net, loss=LOSS, data=loader(), resolution=5, cache=tmp_path / "p.txt")


def test_a_cache_serves_to_run_and_interpolate_too(tmp_path):
    model, rec = trained(3, epochs=1, record=True)
    first = rec.to_run(
        model=model, loss=LOSS, data=loader(), resolution=7, cache=tmp_path / "r.npz"
    )
    second = rec.to_run(
        model=model, loss=LOSS, data=loader(), resolution=7, cache=tmp_path / "r.npz"
    )
    assert second.meta["evaluation"]["evaluated"] == 0
    np.testing.assert_array_equal(second.landscape.loss, first.landscape.loss)
    np.testing.assert_array_equal(second.landscape.path_loss, first.landscape.path_loss)
    a, b = cnn(0), cnn(1)
    line = gdviz.interpolate(a, b, loss=LOSS, data=loader(), points=11, cache=tmp_path / "l.npz")
    again = gdviz.interpolate(a, b, loss=LOSS, data=loader(), points=11, cache=tmp_path / "l.npz")
    assert line.meta["evaluation"]["evaluated"] == 2 * 13
    assert again.meta["evaluation"]["evaluated"] == 0
    np.testing.assert_array_equal(again.loss, line.loss)
    np.testing.assert_array_equal(again.other, line.other)


def test_progress_says_points_a_second_and_what_came_from_the_cache(tmp_path, monkeypatch):

    from gdviz.training.landscape import mean

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(mean, "BAR_AFTER", 0.0)
    gdviz.landscape(cnn(0), loss=LOSS, data=loader(), resolution=9, cache=tmp_path / "p.npz")
    shown = screen.getvalue()
    assert "loss on the plane [" in shown and "points/s" in shown and "81/81 points" in shown
    screen.truncate(0)
    gdviz.landscape(cnn(0), loss=LOSS, data=loader(), resolution=9, cache=tmp_path / "p.npz")
    assert "(81 from the cache)" in screen.getvalue() or screen.getvalue() == ""


def test_torchrun_without_a_process_group_is_said_once(monkeypatch):
    from gdviz.training.landscape import schedule

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(schedule, "_WARNED", [])
    with pytest.warns(RuntimeWarning, match="in no process group"):
        gdviz.landscape(cnn(0), loss=LOSS, data=loader(), resolution=3)


def test_a_big_path_s_pca_plane_is_found_a_block_at_a_time_and_equals_the_svd_s(monkeypatch):
    from gdviz.run import plane

    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 120)[:, None]
    path = rng.standard_normal(3000) + 3 * t * rng.standard_normal(3000)
    path = path + t**2 * rng.standard_normal(3000) + 0.01 * rng.standard_normal((120, 3000))
    path[5, 3] = np.nan  # a snapshot that is not finite is left out, either way
    whole = plane.pca_plane([path])
    shares = plane.explained_by(whole.dirs, [path], whole.origin)
    monkeypatch.setattr(plane, "WHOLE", 10)  # as for a path of millions of parameters
    monkeypatch.setattr(plane, "BLOCK", 1000)  # blocks of a few columns
    blocks = plane.pca_plane([path])
    np.testing.assert_allclose(blocks.dirs, whole.dirs, atol=1e-10)
    np.testing.assert_allclose(blocks.explained, whole.explained, rtol=1e-10)
    np.testing.assert_allclose(plane.explained_by(whole.dirs, [path], whole.origin), shares)
    np.testing.assert_allclose(blocks.project(path[::7]), whole.project(path[::7]), atol=1e-9)
    # the reference: numpy's SVD of the centred offsets
    finite = path[np.isfinite(path).all(axis=1)] - path[-1]
    _, s, vt = np.linalg.svd(finite - finite.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(blocks.dirs @ vt[:2].T), np.eye(2), atol=1e-9)
    assert blocks.explained == pytest.approx(s[:2] ** 2 / (s**2).sum())


def test_a_one_snapshot_plane_of_millions_of_parameters_builds_no_square_matrix():
    from gdviz.run import plane

    one = np.random.default_rng(0).standard_normal((1, 3_000_000))
    found = plane.pca_plane([one])  # an identity of 3 million a side would be 72 TB
    assert found.dirs.shape == (2, 3_000_000)
    assert abs(found.dirs[0] @ found.dirs[1]) < 1e-12


def test_a_cache_whose_points_lie_past_the_grid_is_refused_as_damaged(tmp_path):
    # A point one past the grid's last (a file edited, or cut short and patched) is damage,
    # said in one line, not an IndexError from inside.
    cache = tmp_path / "plane.npz"
    gdviz.landscape(cnn(0), loss=LOSS, data=loader(), resolution=3, cache=cache)
    with np.load(cache) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["grid.index"][-1] = 3 * 3  # the nine points are 0 to 8
    with open(cache, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(GdvizError, match="damaged") as info:
        gdviz.landscape(cnn(0), loss=LOSS, data=loader(), resolution=3, cache=cache)
    assert "\n" not in str(info.value)


def test_a_process_group_of_one_is_one_process(tmp_path):
    # torchrun with one process, init_process_group() called: nothing to share out, and the
    # cache is the file named, as without a group (rank files are for several processes).
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        run = gdviz.landscape(
            cnn(0), loss=LOSS, data=loader(), resolution=3, cache=tmp_path / "plane.npz"
        )
    finally:
        dist.destroy_process_group()
    assert (tmp_path / "plane.npz").is_file() and not list(tmp_path.glob("plane.rank*"))
    assert run.meta["evaluation"] == {"ranks": 1, "rank": 0, "evaluated": 9, "cached": 0}


def test_a_digest_tells_its_parts_apart():
    # A cache's fingerprint digests several parts at once (a count and names, arrays): the
    # same numbers split otherwise are other inputs. Values count as float64.
    from gdviz.training.landscape.schedule import digest

    assert digest([1.0, 2.0], [3.0]) != digest([1.0], [2.0, 3.0])
    assert digest("12/12", "x") != digest("12/1", "2x")
    assert digest(np.float32([0.5, 2.0])) == digest([0.5, 2.0])
