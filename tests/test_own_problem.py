"""Your own problem: a callable or a formula, a network from your own loop, several columns and classes.

References are written here: plain torch.optim loops, direct forward passes of the network with
its parameters loaded, scikit-learn's make_moons algorithm, numpy norms.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from stand_ins import Terminal

import gdviz
from gdviz import GdvizError
from gdviz.run.plane import (
    endpoints_plane,
    explained_by,
    filter_normalized,
    pca_plane,
    random_plane,
)
from gdviz.training import landscape
from gdviz.training.landscape import evaluate
from gdviz.views import ContourView, FitView

# -- your own function --------------------------------------------------------------------------


def bumpy(p):
    return (p[0] - 1) ** 2 + 5 * (p[1] + 0.5) ** 2 + torch.sin(3 * p[0])


@pytest.mark.parametrize(
    ("name", "cls", "options"),
    [
        ("sgd", torch.optim.SGD, {}),
        ("momentum", torch.optim.SGD, {"momentum": 0.9}),
        ("adam", torch.optim.Adam, {}),
        ("rmsprop", torch.optim.RMSprop, {}),
    ],
)
def test_callable_path_equals_a_hand_written_torch_optim_loop(name, cls, options, torch_loop):
    run = gdviz.train(bumpy, init=[-2.0, 1.0], optimizer=name, lr=0.01, steps=80)
    params, values = torch_loop(bumpy, [-2.0, 1.0], cls, 0.01, 80, **options)
    np.testing.assert_array_equal(run.params, params)
    np.testing.assert_array_equal(run.loss, values)
    assert run.param_names == ("p0", "p1")
    assert run.meta["kind"] == "function"


def test_formula_path_equals_the_same_function_written_in_python(torch_loop):
    run = gdviz.train("x**2 + 10*y**2 + sin(3*x)", init=(3, 1), optimizer="adam", lr=0.05, steps=60)
    params, values = torch_loop(
        lambda p: p[0] ** 2 + 10 * p[1] ** 2 + torch.sin(3 * p[0]),
        [3.0, 1.0],
        torch.optim.Adam,
        0.05,
        60,
    )
    np.testing.assert_allclose(run.params, params, rtol=1e-6, atol=1e-7)
    assert run.param_names == ("x", "y")
    assert run.meta["expression"] == "x**2 + 10*y**2 + sin(3*x)"
    assert run.meta["title"] == "x² + 10·y² + sin(3·x)"


def test_default_rate_for_a_formula_is_one_over_the_curvature_at_the_start():
    # Hessian diag(2, 20): gradient descent's rate 1/20, momentum's a tenth of it.
    assert gdviz.train("x**2 + 10*y**2", init=(3, 1), steps=1).meta["lr"] == 0.05
    assert gdviz.train("x**2 + 10*y**2", init=(3, 1), optimizer="momentum", steps=1).meta[
        "lr"
    ] == pytest.approx(0.005)


def test_named_functions_keep_their_classic_rate_for_every_optimizer():
    from gdviz.problems.functions import FUNCTIONS

    for optimizer in ("gd", "momentum", "adam", "adagrad", "rmsprop"):
        run = gdviz.train("rosenbrock", optimizer=optimizer, steps=1)
        assert run.meta["lr"] == FUNCTIONS["rosenbrock"].lr[optimizer]


def sampled_plane_points(extras, count):
    """Grid cells (row i, column j) of a stored plane, and their parameters lifted by hand."""
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(extras["plane_a"]), (count, 2)):
        point = extras["plane_origin"] + extras["plane_a"][j] * extras["plane_dirs"][0]
        yield i, j, point + extras["plane_b"][i] * extras["plane_dirs"][1]


def test_a_callable_of_many_parameters_gets_a_plane_whose_loss_is_the_functions():
    target = torch.arange(5.0)

    def f(p):
        return ((p - target) ** 2 * torch.arange(1.0, 6.0)).sum()

    run = gdviz.train(
        f, init=np.zeros(5), optimizer="momentum", lr=0.01, steps=60, names=list("abcde")
    )
    assert run.param_names == tuple("abcde")
    ex = run.extras
    # Direct evaluation of f at sampled grid points, lifted by hand from the stored plane.
    for i, j, point in sampled_plane_points(ex, 8):
        assert ex["plane_loss"][i, j] == pytest.approx(float(f(torch.tensor(point))), rel=1e-5)
    # The PCA plane of a straight-ish path holds most of its variance.
    assert ex["plane_explained"].sum() > 0.9
    gdviz.animate(run, view="contour", frames=3).last_frame()


def test_a_two_parameter_callable_stores_its_exact_surface_around_the_path():
    run = gdviz.train(bumpy, init=[-2.0, 1.0], optimizer="adam", lr=0.05, steps=100)
    xs, ys, values = run.extras["surface_x"], run.extras["surface_y"], run.extras["surface_loss"]
    assert xs.min() < run.params[:, 0].min() and xs.max() > run.params[:, 0].max()
    assert ys.min() < run.params[:, 1].min() and ys.max() > run.params[:, 1].max()
    for i, j in [(0, 0), (50, 20), (100, 100), (7, 93)]:
        expected = float(bumpy(torch.tensor([xs[j], ys[i]])))
        assert values[i, j] == pytest.approx(expected, rel=1e-5, abs=1e-5)
    # ... and a box of the user's own
    boxed = gdviz.train(bumpy, init=[-2.0, 1.0], steps=5, box=[(-3, 3), (-2, 2)])
    assert boxed.extras["surface_x"][[0, -1]].tolist() == [-3, 3]
    assert boxed.extras["surface_y"][[0, -1]].tolist() == [-2, 2]


def test_a_function_vmap_cannot_batch_is_evaluated_one_call_at_a_time():
    def branchy(p):  # .item() and a Python branch: no vmap
        return (p**2).sum() if p[0].item() > 0 else (p**2).sum() + 1

    run = gdviz.train(branchy, init=[2.0, 1.0], steps=20)
    values = run.extras["surface_loss"]
    xs = run.extras["surface_x"]
    assert values[0, -1] == pytest.approx(xs[-1] ** 2 + run.extras["surface_y"][0] ** 2, rel=1e-5)
    assert values[0, 0] == pytest.approx(xs[0] ** 2 + run.extras["surface_y"][0] ** 2 + 1, rel=1e-5)


def test_formula_runs_need_no_torch_to_draw_and_race_like_rosenbrock(tmp_path):
    runs = gdviz.sweep("x**2 + 10*y**2", init=(3, 1), optimizer=["gd", "momentum", "adam"])
    assert [r.label for r in runs] == ["gd, lr 0.05", "momentum, lr 0.005", "adam, lr 0.1"]
    for run in runs:
        assert not run.extras  # the views evaluate the formula themselves
    paths = [tmp_path / f"r{i}.npz" for i in range(3)]
    for run, path in zip(runs, paths):
        run.save(path)
    probe = (
        "import sys, gdviz\n"
        f"runs = [gdviz.load(p) for p in {[str(p) for p in paths]!r}]\n"
        f"gdviz.animate(runs, view='dashboard', frames=3).save({str(tmp_path / 'race.png')!r})\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- planes -------------------------------------------------------------------------------------


def test_filter_normalised_directions_have_the_norms_li_et_al_define():
    rng = np.random.default_rng(3)
    shapes = [(6, 4), (6,), (3, 6), (3,)]
    weights = rng.normal(size=sum(int(np.prod(s)) for s in shapes))
    direction = filter_normalized(rng.normal(size=len(weights)), weights, shapes)
    start = 0
    for shape in shapes:
        size = int(np.prod(shape))
        d, w = direction[start : start + size], weights[start : start + size]
        if len(shape) == 1:
            assert np.all(d == 0)  # biases get no direction (ignore='biasbn')
        else:
            d_rows, w_rows = d.reshape(shape[0], -1), w.reshape(shape[0], -1)
            np.testing.assert_allclose(
                np.linalg.norm(d_rows, axis=1), np.linalg.norm(w_rows, axis=1), rtol=1e-9
            )
        start += size
    # A flat vector (a function's parameters): one filter, the vector's own norm.
    flat = np.array([3.0, 4.0])
    assert np.linalg.norm(filter_normalized(np.array([1.0, -2.0]), flat, None)) == pytest.approx(5)


def test_random_plane_of_a_network_is_seeded_and_filter_normalised_at_the_end():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    shapes = [tuple(p.shape) for p in net.parameters()]
    path = np.random.default_rng(0).normal(size=(30, sum(p.numel() for p in net.parameters())))
    plane = random_plane([path], shapes=shapes, seed=4)
    again = random_plane([path], shapes=shapes, seed=4)
    np.testing.assert_array_equal(plane.dirs, again.dirs)
    assert not np.array_equal(plane.dirs, random_plane([path], shapes=shapes, seed=5).dirs)
    weight = path[-1][:10].reshape(5, 2)
    for d in plane.dirs:
        np.testing.assert_allclose(
            np.linalg.norm(d[:10].reshape(5, 2), axis=1), np.linalg.norm(weight, axis=1)
        )
    np.testing.assert_array_equal(plane.origin, path[-1])


def test_endpoints_plane_holds_the_first_last_and_farthest_points():
    rng = np.random.default_rng(1)
    path = np.cumsum(rng.normal(size=(40, 6)), axis=0)
    plane = endpoints_plane([path])
    np.testing.assert_allclose(plane.dirs @ plane.dirs.T, np.eye(2), atol=1e-12)
    line = path[0] - path[-1]
    off = path - path[-1]
    across = off - np.outer(off @ line / (line @ line), line)
    far = path[np.argmax(np.linalg.norm(across, axis=1))]
    for point in (path[0], path[-1], far):
        np.testing.assert_allclose(plane.lift(plane.project(point)), point, atol=1e-9)
    assert plane.project(path[0])[0] == pytest.approx(np.linalg.norm(line))


def test_pca_plane_matches_a_full_svd_and_explained_shares_agree():
    rng = np.random.default_rng(2)
    path = np.cumsum(rng.normal(size=(25, 7)) * [5, 3, 1, 1, 1, 1, 1], axis=0)
    plane = pca_plane([path])
    centred = (path - path[-1]) - (path - path[-1]).mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=True)  # the reference
    for d, ref in zip(plane.dirs, vt[:2]):
        assert abs(d @ ref) == pytest.approx(1.0)
    np.testing.assert_allclose(plane.explained, s[:2] ** 2 / (s**2).sum())
    np.testing.assert_allclose(explained_by(plane.dirs, [path], path[-1]), plane.explained)


def test_projection_onto_a_non_orthogonal_plane_is_the_nearest_point():
    rng = np.random.default_rng(5)
    path = rng.normal(size=(10, 4))
    plane = random_plane([path], seed=0)
    point = rng.normal(size=4)
    ab = plane.project(point)
    residual = point - plane.lift(ab)
    np.testing.assert_allclose(plane.dirs @ residual, 0, atol=1e-9)


# -- networks -----------------------------------------------------------------------------------


def make_moons_reference(n, noise, seed):
    """scikit-learn's make_moons (shuffle=True) as its source writes it, with numpy's Generator."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    outer = np.column_stack(
        [np.cos(np.linspace(0, np.pi, n_out)), np.sin(np.linspace(0, np.pi, n_out))]
    )
    inner = np.column_stack(
        [1 - np.cos(np.linspace(0, np.pi, n_in)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5]
    )
    x = np.vstack([outer, inner])
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    order = rng.permutation(n)
    x, y = x[order], y[order]
    return x + rng.normal(scale=noise, size=x.shape), y


def test_moons_preset_is_make_moons_seeded():
    from gdviz.problems.data import PRESETS

    x, y = PRESETS["moons"].data(None)
    ref_x, ref_y = make_moons_reference(200, 0.2, 0)
    np.testing.assert_allclose(x, ref_x)
    np.testing.assert_array_equal(y, ref_y)
    other, _ = PRESETS["moons"].data(7)
    assert not np.allclose(other, x)


def test_moons_trains_an_mlp_classifier_and_the_regions_are_its_predictions():
    run = gdviz.train("moons")
    assert run.meta["model"] == "mlp" and run.meta["loss"] == "cross_entropy"
    assert run.meta["optimizer"] == "adam" and run.meta["lr"] == 0.01
    assert run.steps == 300 and run.params.shape[1] == 2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2
    assert run.meta["task"] == "multiclass" and run.meta["classes"] == 2
    assert run.loss[-1] < 0.15 < run.loss[0]
    # The final frame's regions equal the trained network's predictions, rebuilt here by hand.
    from gdviz.training.networks import mlp

    net = mlp(2, 2)
    torch.nn.utils.vector_to_parameters(
        torch.tensor(run.params[-1], dtype=torch.float32), net.parameters()
    )
    ex = run.extras
    grid = np.stack(np.meshgrid(ex["region_x"], ex["region_y"]), axis=-1).reshape(-1, 2)
    with torch.no_grad():
        probs = torch.softmax(net(torch.tensor(grid, dtype=torch.float32)), -1)[:, 1].numpy()
    stored = ex["region"][-1][..., 0].reshape(-1)
    np.testing.assert_allclose(stored, probs, atol=1e-5)
    # ... and the fit view's last frame shows them: the pixel over each grid point tinted
    # towards its class (the picture holds one value a screen pixel, over the grid's box).
    view = FitView(run).plot(step=run.steps)
    image = np.asarray(view.region_.get_array())
    gy, gx = len(ex["region_y"]), len(ex["region_x"])
    rows = np.minimum((np.arange(gy) / (gy - 1) * image.shape[0]).astype(int), image.shape[0] - 1)
    cols = np.minimum((np.arange(gx) / (gx - 1) * image.shape[1]).astype(int), image.shape[1] - 1)
    image = image[rows][:, cols]
    blue_ish = image[..., 2] > image[..., 0]  # class 0 is blue, class 1 vermilion
    sure = np.abs(probs - 0.5) > 0.05
    np.testing.assert_array_equal(blue_ish.reshape(-1)[sure], (probs < 0.5)[sure])
    # the training accuracy on the data is high
    with torch.no_grad():
        guess = net(torch.tensor(run.x, dtype=torch.float32)).argmax(-1).numpy()
    assert (guess == run.y).mean() > 0.95


def test_decision_boundary_is_where_the_probability_crosses_one_half():
    run = gdviz.train("moons", steps=120)
    view = FitView(run).plot(step=run.steps)
    segments = view.boundary_[0].get_segments()
    assert segments
    ex = run.extras
    p1 = ex["region"][-1][..., 0].astype(float)
    gx, gy = ex["region_x"], ex["region_y"]

    def p(x, y):  # bilinear interpolation, written out
        i = min(np.searchsorted(gx, x) - 1, len(gx) - 2)
        j = min(np.searchsorted(gy, y) - 1, len(gy) - 2)
        i, j = max(i, 0), max(j, 0)
        u, v = (x - gx[i]) / (gx[i + 1] - gx[i]), (y - gy[j]) / (gy[j + 1] - gy[j])
        value = (1 - u) * (1 - v) * p1[j, i] + u * (1 - v) * p1[j, i + 1]
        return value + (1 - u) * v * p1[j + 1, i] + u * v * p1[j + 1, i + 1]

    # Each point is drawn on the nearest screen pixel: one half a pixel away each way from it
    # lies on the other side of one half.
    to_screen = view.ax_.transData
    for x, y in np.concatenate(segments):
        sx, sy = to_screen.transform((x, y))
        corners = to_screen.inverted().transform(
            [(sx + dx, sy + dy) for dx in (-0.5, 0.5) for dy in (-0.5, 0.5)]
        )
        values = [p(cx, cy) for cx, cy in corners]
        assert min(values) <= 0.5 + 1e-9 and max(values) >= 0.5 - 1e-9


def test_mlp_on_user_columns_bce_and_labels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    run = gdviz.train(
        (x, y), model="mlp", loss="bce", optimizer="adam", lr=0.05, steps=40, hidden=(8,)
    )
    assert run.params.shape[1] == 3 * 8 + 8 + 8 + 1
    assert run.meta["task"] == "binary"
    assert "region" not in run.extras  # three columns have no picture in input space
    with pytest.raises(GdvizError, match="one or two input columns"):
        gdviz.animate(run, view="fit")
    assert [v.name for v in gdviz.animate(run, view="dashboard", frames=2).views] == [
        "contour",
        "loss",
    ]


def test_logistic_regression_with_the_line_model_and_bce_matches_torch(torch_loop):
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = (x + rng.normal(scale=0.5, size=60) > 0).astype(float)
    run = gdviz.train((x, y), loss="bce", optimizer="sgd", lr=0.5, steps=30)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    params, values = torch_loop(
        lambda p: torch.nn.functional.binary_cross_entropy_with_logits(p[0] * xt + p[1], yt),
        [0.0, 0.0],
        torch.optim.SGD,
        0.5,
        30,
    )
    np.testing.assert_allclose(run.loss, values, rtol=1e-5)
    np.testing.assert_allclose(run.params, params, rtol=1e-5, atol=1e-6)
    # The fit view draws the probability curve sigmoid(m x + b) over the labels.
    view = FitView(run).plot(step=run.steps)
    m, b = run.params[-1]
    np.testing.assert_allclose(view.line_[0].get_ydata(), 1 / (1 + np.exp(-(m * view.xs + b))))


# -- your own network, from your own loop ---------------------------------------------------------


def own_loop(steps=60):
    from gdviz.problems.data import PRESETS

    x, y = PRESETS["moons"].data(3)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y).long()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.ReLU(), torch.nn.Linear(12, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    rec = gdviz.Recorder(model)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        rec.record(loss)
        opt.step()
    return rec, model, x, y, loss_fn


@pytest.mark.parametrize("plane", ["pca", "random", "endpoints"])
def test_to_run_with_a_network_stores_a_plane_whose_loss_is_the_networks(plane):
    rec, model, x, y, loss_fn = own_loop()
    before = [p.detach().clone() for p in model.parameters()]
    run = rec.to_run(x=x, y=y, model=model, loss=loss_fn, plane=plane)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # left as it was
    assert run.meta["plane"] == plane and run.meta["task"] == "multiclass"
    ex = run.extras
    reference = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.ReLU(), torch.nn.Linear(12, 2))
    for i, j, point in sampled_plane_points(ex, 6):
        torch.nn.utils.vector_to_parameters(
            torch.tensor(point, dtype=torch.float32), reference.parameters()
        )
        with torch.no_grad():
            expected = float(loss_fn(reference(x), y))
        assert ex["plane_loss"][i, j] == pytest.approx(expected, rel=1e-4)
    # The recorded loss and the loss at the path's shadow agree where the path is on the plane.
    assert ex["plane_path_loss"][-1] == pytest.approx(run.loss[-1], rel=1e-4)


def test_first_layer_shortcut_equals_the_plain_evaluation():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(20, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)
    )
    x, y = torch.randn(50, 4, 5), torch.randint(0, 3, (50,))
    loss_fn = torch.nn.functional.cross_entropy
    params = list(net.parameters())
    forward = landscape.FlatModule(net, params)
    path = np.random.default_rng(0).normal(size=(12, sum(p.numel() for p in params)))
    plane = random_plane([path], shapes=forward.shapes)
    coords = np.random.default_rng(1).normal(size=(40, 2))
    shortcut = landscape.first_layer_shortcut(forward, loss_fn, x, y)
    assert shortcut is not None
    fast = shortcut(plane)(coords)
    plain = landscape.Evaluator(lambda f: loss_fn(forward(f, x), y))(coords, lift=plane.lift)
    np.testing.assert_allclose(fast, plain, rtol=1e-5)
    # A first layer whose bias is frozen (not recorded, as gdviz.train leaves it): the bias
    # still counts, at its own value.
    with torch.no_grad():
        net[1].bias.fill_(0.7)
    trained = [p for name, p in net.named_parameters() if name != "1.bias"]
    forward = landscape.FlatModule(net, trained)
    path = np.random.default_rng(2).normal(size=(12, sum(p.numel() for p in trained)))
    plane = random_plane([path], shapes=forward.shapes)
    fast = landscape.first_layer_shortcut(forward, loss_fn, x, y)(plane)(coords)
    plain = landscape.Evaluator(lambda f: loss_fn(forward(f, x), y))(coords, lift=plane.lift)
    np.testing.assert_allclose(fast, plain, rtol=1e-5)
    # A network starting any other way gets no shortcut.
    other = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(20, 3))
    assert (
        landscape.first_layer_shortcut(
            landscape.FlatModule(other, list(other.parameters())), loss_fn, x.flatten(1), y
        )
        is None
    )


@pytest.mark.slow
def test_network_run_draws_after_save_and_load_without_torch(tmp_path):
    rec, model, x, y, loss_fn = own_loop()
    rec.to_run(x=x, y=y, model=model, loss=loss_fn).save(tmp_path / "own.npz")
    probe = (
        "import sys, gdviz\n"
        f"run = gdviz.load({str(tmp_path / 'own.npz')!r})\n"
        "for view in ('fit', 'contour', 'loss', 'dashboard'):\n"
        f"    gdviz.animate(run, view=view, frames=3).save({str(tmp_path)!r} + f'/{{view}}.png')\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_four_columns_three_classes_logistic_regression_from_a_loop():
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(90, 4)), dtype=torch.float32)
    y = torch.repeat_interleave(torch.arange(3), 30)
    x = x + torch.nn.functional.one_hot(y, 4).float() * 2
    lin = torch.nn.Linear(4, 3)
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    rec = gdviz.Recorder(lin)
    for _ in range(50):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin(x), y)
        loss.backward()
        rec.record(loss)
        opt.step()
    run = rec.to_run(x=x, y=y, model=lin, loss=torch.nn.functional.cross_entropy)
    assert run.x.shape == (90, 4) and run.meta["classes"] == 3
    anim = gdviz.animate(run, view="dashboard", frames=3)
    assert [v.name for v in anim.views] == ["contour", "loss"]
    with pytest.raises(GdvizError, match="one or two input columns"):
        gdviz.animate(run, view="fit")


def test_a_loss_that_differs_from_the_recorded_one_is_called_out():
    rec, model, x, y, loss_fn = own_loop()
    with pytest.warns(UserWarning, match="differs from the loss recorded") as said:
        rec.to_run(x=x, y=y, model=model, loss=torch.nn.CrossEntropyLoss(label_smoothing=0.3))
    # said at the caller's line, not inside gdviz (nor, a level too far, at "sys:1")
    assert [w.filename for w in said if "differs" in str(w.message)] == [__file__]


# -- bad input: one line, nothing written -----------------------------------------------------------


def test_bad_networks_and_losses_are_one_line_gdviz_errors():
    rec, model, x, y, loss_fn = own_loop(steps=3)
    cases = [
        (dict(x=x, y=y[:10], model=model, loss=loss_fn), "differ in length"),
        (
            dict(x=x, y=y, model=model, loss=torch.nn.CrossEntropyLoss(reduction="none")),
            "one number",
        ),
        (dict(x=x[:, :1], y=y, model=model, loss=loss_fn), "the model cannot take x"),
        (dict(x=x, y=y.float(), model=model, loss=torch.nn.MSELoss()), "cannot be computed"),
        (dict(x=x, y=y, model=torch.nn.Linear(2, 2), loss=loss_fn), "not parameters of the model"),
        (dict(x=x, y=y, model=model), "and loss as well as the model"),
        (dict(x=x, y=y, model="cubic"), "unknown model 'cubic'"),
        (dict(x=x, y=y, model=model, loss=loss_fn, plane="flat"), "unknown plane 'flat'"),
    ]
    for kwargs, named in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with pytest.raises(GdvizError) as info:
                rec.to_run(**kwargs)
        assert named in str(info.value), (kwargs, str(info.value))
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "kwargs", "named"),
    [
        (bumpy, {}, "needs a start"),
        ("x**2 + y", {}, "needs a start"),
        ("x**2 + y", {"init": (1, 2, 3)}, "init has 3 values"),
        ("x**2 + y/x", {"init": (0, 1)}, "not finite at the start (x = 0, y = 1): inf"),
        ("log(x) + y", {"init": (-1, 1)}, "not finite at the start"),
        ("x**2 + 1/0", {"init": (1, 1)}, "divides by zero"),
        ("synthetc", {}, "unknown data 'synthetc'"),
        (lambda p: p**2, {"init": [1.0, 2.0]}, "one number"),
        (lambda p: p.sum().item(), {"init": [1.0]}, "must give a torch tensor, not a float"),
        (lambda p: torch.tensor(1.0), {"init": [1.0]}, "does not depend on them"),
        (lambda p: 1 / 0, {"init": [1.0]}, "ZeroDivisionError"),
        (lambda p: (p * 1j).abs().sum() * 1j, {"init": [1.0]}, "real number"),
        (bumpy, {"init": [1.0, 2.0], "names": 5}, "list of strings"),
        (bumpy, {"init": [1.0, 2.0], "seed": 2**64}, "seed must be at most"),
        (bumpy, {"init": [1.0, 2.0], "lr": True}, "lr must be a number"),
        (bumpy, {"init": [1.0, 2.0], "standardize": True}, "has none"),
        ("moons", {"hidden": "16"}, "whole layer widths"),
        ("moons", {"hidden": (16.5,)}, "whole layer widths"),
        (lambda p: p[5], {"init": [1.0]}, "cannot be computed at the start"),
        (lambda p: (p**2).sum() * float("nan"), {"init": [1.0]}, "not finite at the start"),
        (bumpy, {"init": [1.0, 2.0], "names": ["a"]}, "names must be 2"),
        (bumpy, {"init": [1.0, 2.0], "model": "line"}, "takes no model"),
        (bumpy, {"init": [1.0, 2.0], "box": [(1, 0), (0, 1)]}, "lo < hi"),
        (bumpy, {"init": [1.0, 2.0], "plane": "flat"}, "unknown plane"),
        ("moons", {"loss": "mse", "hidden": (0,)}, "widths"),
        (
            ([0.0, 1.0, 2.0], [0.0, 1.5, 1.0]),
            {"loss": "cross_entropy", "model": "mlp"},
            "class labels",
        ),
        (([0.0, 1.0], [0.0, 2.0]), {"loss": "bce"}, "bce needs labels 0 and 1"),
        (([0.0, 1.0], [0, 1]), {"loss": "cross_entropy"}, "use model='mlp'"),
        ((np.zeros((4, 2)), np.zeros(4)), {"model": "quadratic"}, "one input column"),
        ((np.zeros((4, 2)), np.zeros(3)), {}, "differ in length"),
        (
            ([0.0, 1.0], [0, 1]),
            {"model": torch.nn.Linear(1, 3), "loss": "mse"},
            "outputs of shape (2, 3)",
        ),
        (
            ([0.0, 1.0], [0, 1]),
            {"model": torch.nn.Linear(1, 1), "loss": torch.nn.CrossEntropyLoss()},
            "cannot be computed",
        ),
    ],
)
def test_bad_own_problems_are_one_line_gdviz_errors(data, kwargs, named):
    with pytest.raises(GdvizError) as info:
        gdviz.train(data, **{"steps": 3, **kwargs})
    assert named in str(info.value)
    assert "\n" not in str(info.value)


# -- races in the library ---------------------------------------------------------------------------


def test_sweep_names_each_run_and_shares_one_landscape():
    runs = gdviz.sweep("moons", optimizer=["adam", "sgd", "adam"], steps=20)
    assert [r.label for r in runs] == ["adam, lr 0.01", "sgd, lr 0.5", "adam, lr 0.01 #2"]
    first = runs[0].extras
    for run in runs[1:]:
        np.testing.assert_array_equal(run.extras["plane_loss"], first["plane_loss"])
        np.testing.assert_array_equal(run.params[0], runs[0].params[0])  # the same start
    assert runs[0].loss[-1] == runs[2].loss[-1]
    view = gdviz.animate(runs, view="contour", frames=2).views[0]
    assert view.note_.get_text().count("on the plane") == 3


def test_plane_note_gives_the_plane_loss_at_the_step_shown():
    run = gdviz.train("moons", steps=40)
    view = ContourView(run).plot(step=0)
    for step in (0, 17, 40):
        view.update(step)
        expected = run.extras["plane_path_loss"][step]
        assert view.note_.get_text() == (
            f"loss recorded {run.loss[step]:.4g}, on the plane {expected:.4g}"
        )


def test_regions_are_white_where_undecided_and_full_tint_where_sure():
    from matplotlib.colors import to_rgb

    from gdviz.views.base import COLORS
    from gdviz.views.fit import BANDS, FILL, _tint

    probs = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [0.75, 0.25]])
    rgba = _tint(probs)
    assert rgba.dtype == np.uint8 and (rgba[:, 3] == 255).all()
    rgb = rgba[:, :3] / 255

    def close(got, want):  # to the nearest of 256 levels
        np.testing.assert_allclose(got, want, atol=0.5 / 255 + 1e-9)

    close(rgb[0], [1, 1, 1])
    close(rgb[1], 1 - FILL * (1 - np.array(to_rgb(COLORS[0]))))
    close(rgb[2], 1 - FILL * (1 - np.array(to_rgb(COLORS[1]))))
    half = np.ceil(0.5 * BANDS) / BANDS  # half sure: the band that holds it
    close(rgb[3], 1 - half * FILL * (1 - np.array(to_rgb(COLORS[0]))))


def test_a_long_landscape_shows_a_progress_bar_on_a_terminal(monkeypatch):
    import time as clock

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(evaluate, "BAR_AFTER", 0.0)

    def slow(p):
        clock.sleep(0.001)
        return (p**2).sum()

    values = landscape.Evaluator(slow)(np.ones((300, 2)), label="loss on the plane")
    np.testing.assert_allclose(values, 2.0)
    shown = screen.getvalue()
    assert "loss on the plane [" in shown and "300/300 points" in shown
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    landscape.Evaluator(slow)(np.ones((300, 2)))  # no label: no bar
    assert quiet.getvalue() == ""


@pytest.mark.slow
def test_cli_rerenders_a_saved_network_run(tmp_path):
    rec, model, x, y, loss_fn = own_loop()
    rec.to_run(x=x, y=y, model=model, loss=loss_fn).save(tmp_path / "net.npz")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gdviz.cli.commands",
            "animate",
            "--run",
            str(tmp_path / "net.npz"),
            "--view",
            "dashboard",
            "--frames",
            "4",
            "--out",
            str(tmp_path / "net.gif"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    from PIL import Image

    with Image.open(tmp_path / "net.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (1280, 440)


def test_formulas_that_look_like_names_are_formulas():
    run = gdviz.train("x-y", init=(1, 1), steps=2)
    assert run.param_names == ("x", "y") and run.meta["expression"] == "x-y"
    with pytest.raises(GdvizError, match="unknown data 'synthetc'"):
        gdviz.train("synthetc")


def test_a_function_undefined_in_part_of_the_box_draws_nan_there():
    def f(p):  # a Cholesky factor exists only where every entry is positive
        return ((torch.linalg.cholesky(torch.diag(p)).diagonal() - 0.1) ** 2).sum()

    run = gdviz.train(f, init=[1.0, 0.5], lr=0.02, steps=30, box=[(-0.5, 1.2), (-0.5, 1.2)])
    values = run.extras["surface_loss"]
    xs, ys = run.extras["surface_x"], run.extras["surface_y"]
    assert np.isnan(values[ys < 0][:, xs < 0]).all()
    assert np.isfinite(values[ys > 0][:, xs > 0]).all()
    gdviz.animate(run, view="contour", frames=3).last_frame()


def test_networks_with_index_inputs_or_several_outputs_still_give_their_landscape():
    torch.manual_seed(0)
    x = torch.randint(0, 10, (60, 2))
    y = (x.sum(1) > 9).long()
    net = torch.nn.Sequential(torch.nn.Embedding(10, 3), torch.nn.Flatten(), torch.nn.Linear(6, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    rec = gdviz.Recorder(net)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        rec.record(loss)
        opt.step()
    run = rec.to_run(x=x, y=y, model=net, loss=torch.nn.functional.cross_entropy)
    assert "plane_loss" in run.extras and "region" not in run.extras  # indices: no input plane

    class TwoHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(2, 2)

        def forward(self, inputs):
            out = self.body(inputs)
            return out, out.abs()

    model = TwoHeads()
    xs = torch.randn(30, 2)
    ys = (xs[:, 0] > 0).long()
    rec = gdviz.Recorder(model)
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(xs)[0], ys)
        loss.backward()
        rec.record(loss)
        model.zero_grad()
    with pytest.warns(UserWarning, match="fit view will not show this network"):
        run = rec.to_run(
            x=xs, y=ys, model=model, loss=lambda o, t: torch.nn.functional.cross_entropy(o[0], t)
        )
    assert "plane_loss" not in run.extras or np.isfinite(run.extras["plane_loss"]).any()
    with pytest.raises(GdvizError, match="gives a tuple, not a tensor"):
        gdviz.train((xs.numpy(), ys.numpy()), model=TwoHeads(), loss="cross_entropy", steps=2)


def test_to_run_checks_its_box_seed_and_plane():
    rec, model, x, y, loss_fn = own_loop(steps=3)
    for bad, named in (
        ({"box": [(0, 1)]}, "box needs 2"),
        ({"box": "ab"}, "box must be"),
        ({"box": [(1, 0), (0, 1)]}, "lo < hi"),
        ({"box": [(0, float("nan")), (0, 1)]}, "finite"),
        ({"seed": -1}, "seed"),
        ({"seed": "a"}, "seed"),
    ):
        with pytest.raises(GdvizError, match=named):
            rec.to_run(x=x, y=y, model=model, loss=loss_fn, **bad)


def test_a_batch_norm_networks_plane_says_it_used_the_final_statistics():
    torch.manual_seed(0)
    x, y = torch.randn(64, 2), torch.randn(64)
    for norm, said in ((True, True), (False, False)):
        layers = [torch.nn.Linear(2, 6), torch.nn.BatchNorm1d(6) if norm else torch.nn.Identity()]
        net = torch.nn.Sequential(*layers, torch.nn.Tanh(), torch.nn.Linear(6, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = gdviz.train((x.numpy(), y.numpy()), model=net, steps=5)
        title = gdviz.animate(run, view="contour", frames=2).views[0].ax_.get_title()
        assert ("batch norm: final statistics" in title) is said
        assert (run.training.batch_norm == "final running statistics") is said


@pytest.mark.slow
def test_a_plane_of_a_layer_torch_cannot_batch_is_quiet():
    # torch loops inside vmap where it has no batching rule, and warns at every call.
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(4, 2, 8, batch_first=True, dropout=0.0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.t, self.o = layer, torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.o(self.t(x)[:, -1])

    from stand_ins import record_network

    net, x, y = Net(), torch.randn(8, 3, 4), torch.randn(8)
    rec = record_network(net, x, y, 2, lr=0.0)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run = rec.to_run(x=x, y=y, model=net, loss=lambda o, t: ((o[:, 0] - t) ** 2).mean())
    assert run.landscape is not None
    assert not [w for w in said if "batching rule" in str(w.message)]
