"""Landscapes of the user's own network over data as users have it (CONTRACT section 9):
`Recorder.to_run(data=loader)`, `gdviz.landscape` and `gdviz.interpolate`, each checked against
the model evaluated directly at the same parameters over the whole data."""

from __future__ import annotations

import copy
import csv

import numpy as np
import pytest
import torch
from landscape_stand_ins import LOSS, X, Y, cnn, loader, trained
from torch._C._functorch import is_batchedtensor

import gdviz
from gdviz.errors import GdvizError
from gdviz.run.line import Interpolation
from gdviz.training.landscape import evaluate


@pytest.fixture(scope="module")
def nets():
    return [trained(seed) for seed in (0, 1, 2)]


def at(net, flat, *, buffers=None):
    """A copy of ``net`` with its parameters set to ``flat`` (and floating buffers)."""
    out = copy.deepcopy(net)
    torch.nn.utils.vector_to_parameters(
        torch.as_tensor(flat, dtype=torch.float32), out.parameters()
    )
    if buffers is not None:
        floating = [b for b in out.buffers() if b.is_floating_point()]
        torch.nn.utils.vector_to_parameters(torch.as_tensor(buffers, dtype=torch.float32), floating)
    return out


def eval_loss(net) -> float:
    """The whole data at once, in eval mode: the reference every grid point is held to."""
    net = copy.deepcopy(net).eval()
    with torch.no_grad():
        return float(LOSS(net(X), Y))


def vector(net) -> np.ndarray:
    return torch.nn.utils.parameters_to_vector(net.parameters()).detach().double().numpy()


def buffers(net) -> np.ndarray:
    return (
        torch.cat([b.reshape(-1) for b in net.buffers() if b.is_floating_point()]).double().numpy()
    )


# -- the loss at a point is the model over all the data --------------------------------------------


def test_a_random_plane_s_grid_points_are_the_model_over_the_whole_loader_in_eval_mode(nets):
    net = nets[0]
    before = copy.deepcopy(net.state_dict())
    net.train()
    run = gdviz.landscape(net, loss=LOSS, data=loader(), resolution=7, distance=0.5)
    found = run.landscape
    assert found.kind == "random" and found.loss.shape == (7, 7)
    assert found.a[3] == 0.0 and found.b[3] == 0.0  # odd: the model itself at the centre
    np.testing.assert_allclose([found.a[0], found.a[-1]], [-0.5, 0.5])
    np.testing.assert_allclose(found.origin, vector(net))
    for i, j in [(0, 0), (3, 3), (6, 2), (1, 5)]:
        point = found.origin + found.a[i] * found.directions[0] + found.b[j] * found.directions[1]
        assert found.loss[j, i] == pytest.approx(eval_loss(at(net, point)), rel=2e-5)
    assert run.loss[0] == pytest.approx(eval_loss(net), rel=2e-5)
    assert net.training  # left as it was: mode, parameters and running statistics
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_a_loader_gives_the_grid_that_the_same_data_as_tensors_gives(nets):
    net = nets[0]
    by_batch = gdviz.landscape(net, loss=LOSS, data=loader(batch_size=16), resolution=5)
    whole = gdviz.landscape(net, loss=LOSS, data=(X, Y), resolution=5)
    listed = gdviz.landscape(net, loss=LOSS, data=list(loader(batch_size=100)), resolution=5)
    np.testing.assert_allclose(by_batch.landscape.loss, whole.landscape.loss, rtol=2e-5)
    np.testing.assert_allclose(listed.landscape.loss, whole.landscape.loss, rtol=2e-5)


def test_to_run_with_a_loader_draws_the_recorded_path_on_the_same_plane_as_tensors():
    net, rec = trained(3, record=True)
    with pytest.warns(UserWarning):  # the mini-batch losses recorded are not the eval-mode loss
        from_tensors = rec.to_run(model=net, loss=LOSS, x=X, y=Y, resolution=9)
    from_loader = rec.to_run(model=net, loss=LOSS, data=loader(), resolution=9)
    a, b = from_loader.landscape, from_tensors.landscape
    assert a.same_plane(b)
    np.testing.assert_allclose(a.loss, b.loss, rtol=2e-5)
    np.testing.assert_allclose(a.path_loss, b.path_loss, rtol=2e-5)
    last = at(net, from_loader.params[-1])  # the last snapshot: before the last update
    assert a.path_loss[-1] == pytest.approx(eval_loss(last), rel=2e-5)
    assert from_loader.x is None and from_loader.problem.classes == 4
    assert from_loader.training.batch_norm == "final running statistics"


def test_bn_train_uses_each_batch_s_statistics_and_leaves_the_running_ones_alone():
    net = trained(4, dropout=0.0)
    before = [b.clone() for b in net.buffers()]
    run = gdviz.landscape(net, loss=LOSS, data=loader(shuffle=False), bn="train", resolution=3)
    reference = copy.deepcopy(net).train()  # batch statistics, batch by batch
    with torch.no_grad():
        total = sum(float(LOSS(reference(xb), yb)) * len(xb) for xb, yb in loader(shuffle=False))
    assert run.landscape.loss[1, 1] == pytest.approx(total / len(X), rel=2e-5)
    assert run.landscape.loss[1, 1] != pytest.approx(eval_loss(net), rel=1e-3)
    assert run.training.batch_norm == "batch statistics"
    assert all(torch.equal(a, b) for a, b in zip(before, net.buffers()))


def test_an_even_resolution_has_even_steps_and_the_model_s_own_loss_off_the_grid(nets):
    # No middle point: the axes stay evenly spaced, and the model, off the grid, gets its own.
    net = nets[0]
    run = gdviz.landscape(net, loss=LOSS, data=loader(), resolution=4, distance=0.5)
    found = run.landscape
    np.testing.assert_allclose(found.a, np.linspace(-0.5, 0.5, 4), atol=1e-12)
    np.testing.assert_allclose(found.b, np.linspace(-0.5, 0.5, 4), atol=1e-12)
    np.testing.assert_allclose(found.marks, [[0.0, 0.0]])
    assert found.mark_loss[0] == pytest.approx(eval_loss(net), rel=2e-5)
    assert run.loss[0] == pytest.approx(eval_loss(net), rel=2e-5)


# -- the knobs -------------------------------------------------------------------------------------


def test_normalization_scales_random_directions_as_li_et_al_and_the_others_name(nets):
    net = nets[0]
    shapes = [p.shape for p in net.parameters()]
    weights = vector(net)

    def pieces(v):
        out, start = [], 0
        for s in shapes:
            n = int(np.prod(s))
            out.append(v[start : start + n].reshape(s[0] if len(s) > 1 else 1, -1))
            start += n
        return out

    def directions(how):
        return gdviz.landscape(
            net, loss=LOSS, data=(X[:20], Y[:20]), normalization=how, resolution=3
        ).landscape.directions

    drawn = np.random.default_rng(0).standard_normal((2, len(weights)))  # seed 0's two draws
    for d, g in zip(directions("filter"), drawn):
        for dp, wp, gp, s in zip(pieces(d), pieces(weights), pieces(g), shapes):
            if len(s) > 1:  # each filter along the draw, as long as the weights' filter
                scale = np.linalg.norm(wp, axis=1) / np.linalg.norm(gp, axis=1)
                np.testing.assert_allclose(dp, gp * scale[:, None], rtol=1e-6)
            else:  # biases and batch norm's scales get no direction (Li et al.'s 'biasbn')
                assert not dp.any()
    for d, g in zip(directions("layer"), drawn):
        for dp, wp, gp, s in zip(pieces(d), pieces(weights), pieces(g), shapes):
            scale = np.linalg.norm(wp) / np.linalg.norm(gp) if len(s) > 1 else 0.0
            np.testing.assert_allclose(dp, gp * scale, rtol=1e-6)
    for d, g in zip(directions("model"), drawn):
        np.testing.assert_allclose(d, g * np.linalg.norm(weights) / np.linalg.norm(g), rtol=1e-6)
    np.testing.assert_allclose(directions(None), drawn)


def test_samples_reports_a_standard_error_that_covers_the_full_data_value(nets):
    net = nets[1]
    full = eval_loss(net)
    run = gdviz.landscape(net, loss=LOSS, data=loader(), samples=150, resolution=3, seed=5)
    found = run.landscape
    assert found.samples == 150 and found.examples == len(X)
    se = found.stderr[1, 1]
    assert 0 < se < 0.5 * full
    assert abs(found.loss[1, 1] - full) <= 3 * se
    # The estimate is of the data's spread: its per-example losses' standard deviation, with
    # the finite-population correction, from the same 150 examples evaluated directly.
    chosen = np.sort(np.random.default_rng(5).choice(len(X), 150, replace=False))
    with torch.no_grad():
        each = torch.nn.functional.cross_entropy(
            copy.deepcopy(net).eval()(X[chosen]), Y[chosen], reduction="none"
        ).double()
    assert found.loss[1, 1] == pytest.approx(float(each.mean()), rel=2e-5)
    expected = float(each.std()) / np.sqrt(150) * np.sqrt(1 - 150 / len(X))
    assert se == pytest.approx(expected, rel=1e-3)
    again = gdviz.landscape(net, loss=LOSS, data=loader(), samples=150, resolution=3, seed=5)
    # seeded, shuffle or not (to rounding: vmap or a loop, whichever was faster this time)
    np.testing.assert_allclose(again.landscape.loss, found.loss, rtol=1e-6)


@pytest.mark.parametrize("form", ["batches", "tensors"])
def test_a_subsample_of_batches_or_tensors_is_the_examples_the_seed_chooses(nets, form):
    # Not a DataLoader over a dataset: the chosen examples are gathered batch by batch (or from
    # the tensors), each batch's positions offset by the examples before it.
    net = nets[1]
    data = list(loader(batch_size=37, shuffle=False)) if form == "batches" else (X, Y)
    run = gdviz.landscape(net, loss=LOSS, data=data, samples=150, resolution=3, seed=5)
    chosen = np.sort(np.random.default_rng(5).choice(len(X), 150, replace=False))
    with torch.no_grad():
        expected = float(LOSS(copy.deepcopy(net).eval()(X[chosen]), Y[chosen]))
    assert run.landscape.loss[1, 1] == pytest.approx(expected, rel=2e-5)
    # One process evaluated every point of the 3 x 3 grid itself, from no cache.
    assert run.meta["evaluation"] == {"ranks": 1, "rank": 0, "evaluated": 9, "cached": 0}


# -- several solutions -----------------------------------------------------------------------------


def test_the_three_models_of_through_lie_on_their_plane_with_their_own_losses(nets):
    run = gdviz.landscape(
        nets[0], loss=LOSS, data=loader(), through={"A": nets[0], "B": nets[1], "C": nets[2]},
        resolution=9,
    )  # fmt: skip
    found = run.landscape
    assert found.kind == "through" and found.mark_names == ("A", "B", "C")
    for (u, v), net, loss in zip(found.marks, nets, found.mark_loss):
        point = found.origin + u * found.directions[0] + v * found.directions[1]
        np.testing.assert_allclose(point, vector(net), atol=1e-5)
        assert loss == pytest.approx(eval_loss(net), rel=2e-5)  # its own running statistics
    lo_a, hi_a = found.extent[0]
    lo_b, hi_b = found.extent[1]
    assert all(lo_a < u < hi_a and lo_b < v < hi_b for u, v in found.marks)
    # a square centred on the three, half as wide again as their spread: along the axis they
    # spread most, they fill its middle two thirds
    centre = (found.marks.min(axis=0) + found.marks.max(axis=0)) / 2
    np.testing.assert_allclose([(lo_a + hi_a) / 2, (lo_b + hi_b) / 2], centre, atol=1e-9)
    spread = (found.marks.max(axis=0) - found.marks.min(axis=0)).max()
    np.testing.assert_allclose([hi_a - lo_a, hi_b - lo_b], 1.5 * spread)
    # between the models, a point carries the same mix of their running statistics
    u, v = found.a[4], found.b[4]
    s, t = np.linalg.lstsq(
        np.stack([vector(nets[1]) - vector(nets[0]), vector(nets[2]) - vector(nets[0])]).T,
        u * found.directions[0] + v * found.directions[1],
        rcond=None,
    )[0]
    mixed = [(1 - s - t) * buffers(nets[0]) + s * buffers(nets[1]) + t * buffers(nets[2])]
    point = found.origin + u * found.directions[0] + v * found.directions[1]
    expected = eval_loss(at(nets[0], point, buffers=mixed[0]))
    assert found.loss[4, 4] == pytest.approx(expected, rel=2e-5)


def test_recorded_runs_share_one_plane_each_with_its_own_loss_on_it():
    first, rec1 = trained(5, record=True)
    second, rec2 = trained(6, record=True)
    runs = [rec.to_run() for rec in (rec1, rec2)]
    shared = gdviz.landscape(first, loss=LOSS, data=loader(), runs=runs, resolution=9)
    assert len(shared) == 2 and shared[0].landscape.same_plane(shared[1].landscape)
    for run in shared:  # the loss at each path's shadow on the plane (the first's: itself),
        plane = run.landscape.plane  # batch norm with the model's running statistics
        shadow = at(first, plane.lift(plane.project(run.params[-1])))
        assert run.landscape.path_loss[-1] == pytest.approx(eval_loss(shadow), rel=2e-5)
        assert run.training.batch_norm == "final running statistics"
    assert all(r.landscape is None for r in runs)  # the runs given are left as they were
    gdviz.animate(shared, view="contour", frames=3)


def test_interpolation_ends_are_the_two_models_and_its_barrier_is_as_defined(nets):
    a, b = nets[0], nets[1]
    line = gdviz.interpolate(a, b, loss=LOSS, data=loader(), points=51)
    assert isinstance(line, Interpolation)
    assert line.alpha[0] == -0.5 and line.alpha[-1] == 1.5
    assert 0.0 in line.alpha and 1.0 in line.alpha and len(line.alpha) == 53
    ends = line.loss[line.alpha == 0][0], line.loss[line.alpha == 1][0]
    assert ends[0] == pytest.approx(eval_loss(a), rel=2e-5)
    assert ends[1] == pytest.approx(eval_loss(b), rel=2e-5)
    half = int(np.flatnonzero(np.isclose(line.alpha, 0.5))[0])
    mid = at(a, 0.5 * vector(a) + 0.5 * vector(b), buffers=0.5 * buffers(a) + 0.5 * buffers(b))
    assert line.loss[half] == pytest.approx(eval_loss(mid), rel=2e-5)
    inside = (line.alpha >= 0) & (line.alpha <= 1)
    al, lo = line.alpha[inside], line.loss[inside]
    rise = lo - ((1 - al) * ends[0] + al * ends[1])
    assert line.barrier == pytest.approx(max(rise.max(), 0.0))
    assert line.other is not None and line.other_mode == "train"  # batch norm: both modes


def test_points_where_the_other_mode_s_loss_is_not_finite_leave_both_curves():
    # Batch norm: the line in both modes. Here the other (train) mode's loss is the log of the
    # interpolated norm bias, 1 - 0.8 α, undefined beyond α = 1.25; eval mode's is finite all
    # along (running mean -100): the points past 1.25 go from both curves.
    def net(bias):
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.BatchNorm1d(1))
        with torch.no_grad():
            m[0].weight.fill_(1.0)
            m[0].bias.zero_()
            m[1].bias.fill_(bias)
            m[1].running_mean.fill_(-100.0)
        return m

    x, y = torch.linspace(-1.0, 1.0, 20)[:, None], torch.zeros(20)
    line = gdviz.interpolate(net(1.0), net(0.2), loss=lambda out, _: torch.log(out.mean()),
                             data=(x, y), points=21)  # fmt: skip
    alpha = np.union1d(np.linspace(-0.5, 1.5, 21), [0.0, 1.0])
    np.testing.assert_allclose(line.alpha, alpha[1 - 0.8 * alpha > 0])
    np.testing.assert_allclose(line.other, np.log(1 - 0.8 * line.alpha), rtol=1e-5, atol=1e-6)
    eps = torch.nn.BatchNorm1d(1).eps
    expected = np.log(100 / np.sqrt(1 + eps) + 1 - 0.8 * line.alpha)
    np.testing.assert_allclose(line.loss, expected, rtol=1e-5)


def test_a_convex_problem_has_no_barrier():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(64)
    a, b = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)

    def mse(out, target):
        return ((out.squeeze(1) - target) ** 2).mean()

    line = gdviz.interpolate(a, b, loss=mse, data=(x, y), points=21)
    assert line.barrier == 0.0 and line.other is None


# -- the raw grid out, saved and drawn -------------------------------------------------------------


def test_the_grid_saves_loads_and_writes_as_csv(nets, tmp_path):
    run = gdviz.landscape(
        nets[0], loss=LOSS, data=loader(), through=nets, samples=200, resolution=5
    )
    run.save(tmp_path / "plane.npz")
    back = gdviz.load(tmp_path / "plane.npz").landscape
    found = run.landscape
    for name in ("origin", "directions", "a", "b", "loss", "stderr", "marks", "mark_loss"):
        np.testing.assert_array_equal(getattr(back, name), getattr(found, name))
    assert (back.samples, back.examples, back.mark_names) == (200, len(X), found.mark_names)
    back_path = back.to_csv(tmp_path / "plane.csv")
    with open(back_path) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["a", "b", "loss"] and len(rows) == 25
    k = 7  # row-major over b, then a: loss[j, i] at (a[i], b[j])
    assert float(rows[k]["a"]) == found.a[k % 5] and float(rows[k]["b"]) == found.b[k // 5]
    assert float(rows[k]["loss"]) == found.loss[k // 5, k % 5]


def _vtu_arrays(path) -> dict[str, np.ndarray]:
    """The text data arrays of a VTK XML unstructured grid, read with the standard library
    (not meshio, which wrote it), by name: Points, connectivity, offsets, types, loss."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    assert root.get("type") == "UnstructuredGrid"
    out = {}
    for array in root.iter("DataArray"):
        assert array.get("format") == "ascii"
        name = array.get("Name") or ("Points" if array.get("NumberOfComponents") == "3" else "?")
        out[name] = np.array(array.text.split(), dtype=float)
    return out


def test_the_grid_writes_as_vtk_for_paraview(nets, tmp_path):
    pytest.importorskip("meshio")
    run = gdviz.landscape(nets[0], loss=LOSS, data=loader(), samples=200, resolution=5)
    found = run.landscape
    got = _vtu_arrays(found.to_vtk(tmp_path / "plane.vtu"))
    points = got["Points"].reshape(-1, 3)
    assert len(points) == 25
    k = 7  # row-major over b, then a: loss[j, i] at (a[i], b[j]), the surface's height
    np.testing.assert_allclose(
        points[k], [found.a[k % 5], found.b[k // 5], found.loss[k // 5, k % 5]]
    )
    np.testing.assert_allclose(got["loss"], found.loss.ravel())
    quads = got["connectivity"].astype(int).reshape(-1, 4)
    assert len(quads) == 16 and (got["types"] == 9).all()  # VTK_QUAD
    for quad in quads:  # each a unit square of the grid, corners in order around it
        corners = points[quad, :2]
        steps = np.diff(np.vstack([corners, corners[:1]]), axis=0)
        assert (np.count_nonzero(steps, axis=1) == 1).all()
        assert len(np.unique(corners[:, 0])) == 2 and len(np.unique(corners[:, 1])) == 2
    with pytest.raises(gdviz.GdvizError, match=r"written as \.vtu, not \.vtk"):
        found.to_vtk(tmp_path / "plane.vtk")
    assert not (tmp_path / "plane.vtk").exists()


def test_an_interpolation_saves_loads_and_animates_a_point_along_its_curve(nets, tmp_path):
    line = gdviz.interpolate(nets[0], nets[2], loss=LOSS, data=loader(), points=11,
                             names=("seed 0", "seed 2"))  # fmt: skip
    line.save(tmp_path / "line.npz")
    back = gdviz.load(tmp_path / "line.npz")
    assert isinstance(back, Interpolation) and back.names == ("seed 0", "seed 2")
    np.testing.assert_array_equal(back.alpha, line.alpha)
    assert back.barrier == line.barrier
    anim = gdviz.animate(back)
    assert anim.options["view"] == "interpolation" and anim.n_frames == len(line.alpha)
    (point,) = anim.views[0].point_
    anim.views[0].update(3)
    assert point.get_data()[0][0] == line.alpha[3]
    anim.save(tmp_path / "line.png")
    texts = [t.get_text() for t in anim.fig.axes[0].texts]
    assert "seed 0" in texts and any(t.startswith("barrier") for t in texts)
    with pytest.raises(GdvizError, match="view='interpolation'"):
        gdviz.animate(back, view="contour")


def test_a_landscape_run_is_drawn_as_models_on_contours_and_a_surface(nets, tmp_path):
    run = gdviz.landscape(nets[0], loss=LOSS, data=loader(), through=nets, resolution=7,
                          samples=120)  # fmt: skip
    anim = gdviz.animate(run)
    assert anim.options["view"] == "contour"
    ax = anim.fig.axes[0]
    names = {t.get_text() for t in ax.texts}
    assert {"model 1", "model 2", "model 3"} <= names
    note = anim.views[0].note_.get_text()
    assert "120 of 300 examples" in note and "±" in note
    assert "through three models" in ax.get_title()
    gdviz.animate(run, view="surface").save(tmp_path / "surface.png")


# -- bad input: one line, nothing written ----------------------------------------------------------


class OnePass:
    def __iter__(self):
        return self

    def __next__(self):
        raise StopIteration


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"data": [{"x": X, "y": Y}]}, "without 'labels'"),
        ({"data": [(X, Y, Y)]}, "a tuple of 3"),
        ({"data": []}, "the data is empty"),
        ({"data": (X[:0], Y[:0])}, "the data is empty: x and y hold no examples"),
        ({"data": iter([(X, Y)])}, "one-pass"),
        ({"data": OnePass()}, "one-pass"),
        ({"data": [(X, Y[:10])]}, "300 inputs and 10 targets"),
        ({"data": "images.csv"}, "not str"),
        ({"data": loader(), "samples": 301}, "more than the data's 300 examples"),
        ({"data": loader(), "samples": 0}, "samples"),
        ({"data": loader(), "through": [cnn(0), cnn(1)]}, "three models"),
        ({"data": loader(), "through": [cnn(0), cnn(1), torch.nn.Linear(3, 3)]}, "architecture"),
        ({"data": loader(), "resolution": 2}, "resolution"),
        ({"data": loader(), "distance": -1}, "distance"),
        ({"data": loader(), "normalization": "filters"}, "normalization"),
        ({"data": loader(), "bn": "running"}, "bn"),
        ({"data": loader(), "plane": "pca"}, "needs paths"),
        ({"data": loader(), "loss": lambda out, y: torch.tensor(float("nan"))}, "not a number"),
        ({"data": loader(), "loss": lambda out, y: "low"}, "one number"),
        ({"data": loader(), "loss": torch.nn.CrossEntropyLoss(reduction="sum")}, "not a mean"),
        ({"data": [(X[:, :, :4], Y)]}, "cannot take the data's inputs"),
    ],
)
def test_bad_input_is_one_line(kwargs, said, tmp_path):
    kwargs = {"loss": LOSS, "resolution": 3, **kwargs}
    with pytest.raises(GdvizError) as info:
        gdviz.landscape(cnn(0), **kwargs)
    assert said in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_one_example_is_data_enough():
    net = cnn(0)
    run = gdviz.landscape(net, loss=LOSS, data=(X[:1], Y[:1]), resolution=3)
    with torch.no_grad():
        alone = float(LOSS(copy.deepcopy(net).eval()(X[:1]), Y[:1]))
    assert run.landscape.loss[1, 1] == pytest.approx(alone, rel=2e-5)


def test_bad_input_to_interpolate_and_to_run_is_one_line():
    with pytest.raises(GdvizError, match="architecture"):
        gdviz.interpolate(cnn(0), torch.nn.Linear(2, 2), loss=LOSS, data=loader())
    bigger = torch.nn.Sequential(*cnn(1), torch.nn.Linear(4, 4))  # cnn's layers and one more
    with pytest.raises(GdvizError, match="architecture"):
        gdviz.interpolate(cnn(0), bigger, loss=LOSS, data=loader())
    with pytest.raises(GdvizError, match="points"):
        gdviz.interpolate(cnn(0), cnn(1), loss=LOSS, data=loader(), points=1)
    net, rec = trained(7, epochs=1, record=True)
    with pytest.raises(GdvizError, match="data= is for a network"):
        rec.to_run(model="line", data=loader())
    with pytest.raises(GdvizError, match="not both"):
        rec.to_run(model=net, loss=LOSS, data=loader(), x=X, y=Y)


@pytest.mark.parametrize("batched_cost, kept", [(1.0, "vmap"), (100.0, "loop")])
def test_an_evaluator_keeps_whichever_of_vmap_and_a_loop_took_less_a_point(
    monkeypatch, batched_cost, kept
):
    # A stand-in clock that only the function moves: a call on a batch (vmap) costs
    # batched_cost, a call on one point 1. Chunks of 8 points: vmap costs batched_cost / 8 a
    # point, the loop 1 a point, whatever the machine is doing.
    now = [0.0]
    monkeypatch.setattr(evaluate.time, "perf_counter", lambda: now[0])

    def single(p):
        now[0] += batched_cost if is_batchedtensor(p) else 1.0
        return (p**2).sum()

    ev = evaluate.Evaluator(single, dtype=torch.float64, batch=8)
    points = np.arange(48.0).reshape(24, 2)
    np.testing.assert_allclose(ev(points), (points**2).sum(axis=1))  # vmap, timed, then the loop
    assert ev.mode == kept
