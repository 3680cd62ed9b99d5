"""`gdviz.train` against references: torch.optim loops written here, numpy formulas, the contract."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import gdviz
from gdviz import GdvizError

F32_EPS = float(np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def data():
    """Noisy points around y = 3x + 2, made here so no reference depends on gdviz's presets."""
    rng = np.random.default_rng(12345)
    x = rng.uniform(-1.0, 1.0, 40)
    return x, 3.0 * x + 2.0 + rng.normal(0.0, 0.3, 40)


# -- optimisers -------------------------------------------------------------------------------


def test_gd_equals_sgd_step_for_step(data):
    lr, steps = 0.1, 100
    gd = gdviz.train(data, optimizer="gd", lr=lr, steps=steps, init=(-1.0, 1.0))
    sgd = gdviz.train(data, optimizer="sgd", lr=lr, steps=steps, init=(-1.0, 1.0))
    assert gd.params.shape == sgd.params.shape == (steps + 1, 2)
    # Each SGD step is p - lr * g up to one float32 rounding (torch fuses the product and the
    # difference; the tutorials' hand-written update rounds both).
    p, g = sgd.params[:-1], sgd.grads[:-1]
    expected = p - lr * g
    np.testing.assert_allclose(sgd.params[1:], expected, rtol=0, atol=F32_EPS * np.abs(p).max())
    # Same start, same first loss and gradient, and trajectories a few roundings apart.
    assert gd.loss[0] == sgd.loss[0]
    np.testing.assert_array_equal(gd.grads[0], sgd.grads[0])
    np.testing.assert_allclose(gd.params, sgd.params, rtol=4 * F32_EPS, atol=4 * F32_EPS)
    np.testing.assert_allclose(gd.loss, sgd.loss, rtol=1e-5)


def line_mse(x, y):
    """The MSE of m*x + b as a function of theta = (m, b), in float32 as gdviz trains."""
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    return lambda theta: ((theta[0] * x + theta[1] - y) ** 2).mean()


OPTIM_CASES = [
    ("sgd", torch.optim.SGD, {}, {}),
    ("momentum", torch.optim.SGD, {}, {"momentum": 0.9}),
    ("nesterov", torch.optim.SGD, {}, {"momentum": 0.9, "nesterov": True}),
    ("adagrad", torch.optim.Adagrad, {}, {}),
    ("rmsprop", torch.optim.RMSprop, {}, {}),
    ("adam", torch.optim.Adam, {}, {}),
    ("adamw", torch.optim.AdamW, {}, {}),
    # Options reach the optimiser.
    ("adam", torch.optim.Adam, {"betas": (0.5, 0.8)}, {"betas": (0.5, 0.8)}),
    ("adam", torch.optim.Adam, {"amsgrad": True}, {"amsgrad": True}),
    ("adamw", torch.optim.AdamW, {"weight_decay": 0.5}, {"weight_decay": 0.5}),
    ("rmsprop", torch.optim.RMSprop, {"alpha": 0.9}, {"alpha": 0.9}),
    ("sgd", torch.optim.SGD, {"momentum": 0.5}, {"momentum": 0.5}),
]


@pytest.mark.parametrize(("name", "cls", "options", "ref_options"), OPTIM_CASES)
def test_optimizer_equals_a_plain_torch_optim_loop(
    data, name, cls, options, ref_options, torch_loop
):
    lr, steps, init = 0.05, 150, (-1.0, 1.0)
    run = gdviz.train(data, optimizer=name, lr=lr, steps=steps, init=init, **options)
    params, losses = torch_loop(line_mse(*data), list(init), cls, lr, steps, **ref_options)
    # Same float32 arithmetic in the same order: equal to the last bit or two. (Tight enough to
    # tell Adam's eps 1e-8 from 1e-6, which moves these params by ~1e-6.)
    np.testing.assert_allclose(run.params, params, rtol=2 * F32_EPS, atol=F32_EPS)
    np.testing.assert_allclose(run.loss, losses, rtol=2 * F32_EPS, atol=F32_EPS)


def test_adam_is_not_sgd(data):
    # Guards the comparison above: the optimisers really differ on this problem.
    kw = dict(lr=0.05, steps=50, init=(-1.0, 1.0))
    adam = gdviz.train(data, optimizer="adam", **kw)
    sgd = gdviz.train(data, optimizer="sgd", **kw)
    assert np.abs(adam.params - sgd.params).max() > 0.1


# -- models and losses ------------------------------------------------------------------------

FEATURES = {
    "line": lambda x: np.stack([x, np.ones_like(x)], axis=1),
    "proportional": lambda x: x[:, None],
    "quadratic": lambda x: np.stack([x**2, x, np.ones_like(x)], axis=1),
}
NAMES = {"line": ("m", "b"), "proportional": ("theta",), "quadratic": ("a", "b", "c")}


def numpy_loss_and_grad(loss, features, params, y):
    """Loss and its gradient at each row of ``params`` for a linear-in-parameters model."""
    residual = params @ features.T - y  # (S, n)
    n = len(y)
    mse = np.mean(residual**2, axis=1)
    mse_grad = 2 * residual @ features / n
    if loss == "mse":
        return mse, mse_grad
    if loss == "rmse":
        rmse = np.sqrt(mse)
        return rmse, mse_grad / (2 * rmse[:, None])
    return np.mean(np.abs(residual), axis=1), np.sign(residual) @ features / n


@pytest.mark.parametrize("model", ["line", "proportional", "quadratic"])
@pytest.mark.parametrize("loss", ["mse", "rmse", "mae"])
def test_model_and_loss_match_numpy_formulas(data, model, loss):
    lr, steps = 0.05, 40
    run = gdviz.train(data, model=model, loss=loss, lr=lr, steps=steps)
    assert run.param_names == NAMES[model]
    assert run.params.shape == run.grads.shape == (steps + 1, len(NAMES[model]))
    np.testing.assert_array_equal(run.params[0], 0.0)  # user data: zeros
    features = FEATURES[model](run.x)
    expected_loss, expected_grad = numpy_loss_and_grad(loss, features, run.params, run.y)
    # float32 training: a few units of float32 eps relative to the terms summed.
    np.testing.assert_allclose(run.loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(run.grads, expected_grad, rtol=1e-4, atol=1e-5)
    assert run.loss[-1] < run.loss[0]


def test_run_has_steps_plus_one_snapshots(data):
    for steps in (1, 2, 17):
        run = gdviz.train(data, steps=steps, lr=0.1)
        assert run.params.shape == run.grads.shape == (steps + 1, 2)
        assert run.loss.shape == (steps + 1,)
        assert run.params.dtype == run.grads.dtype == run.loss.dtype == np.float64
        assert run.diverged_at is None


def test_linear_module_equals_the_line_model(data):
    torch.manual_seed(0)
    module = torch.nn.Linear(1, 1)
    w0, b0 = module.weight.item(), module.bias.item()
    run = gdviz.train(data, model=module, lr=0.1, steps=60)
    line = gdviz.train(data, model="line", lr=0.1, steps=60, init=(w0, b0))
    assert run.param_names == ("weight", "bias")
    np.testing.assert_array_equal(run.params[0], [w0, b0])  # a module keeps its own init
    np.testing.assert_allclose(run.params, line.params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run.loss, line.loss, rtol=1e-5)
    np.testing.assert_allclose(run.grads, line.grads, rtol=1e-4, atol=1e-5)
    # The module passed in is not trained.
    assert (module.weight.item(), module.bias.item()) == (w0, b0)
    # The fitted curve at every snapshot (one output each), for views that cannot run torch.
    grid, curves = run.extras["curve_x"], run.extras["curve"]
    assert curves.shape == (61, len(grid), 1)
    np.testing.assert_array_equal(run.extras["curve_step"], np.arange(61))
    np.testing.assert_allclose(
        curves[..., 0], run.params[:, :1] * grid + run.params[:, 1:], rtol=1e-5, atol=1e-5
    )


def test_small_network_loss_matches_a_numpy_forward_pass(data):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    run = gdviz.train(data, model=net, optimizer="adam", lr=0.05, steps=30)
    assert run.param_names == (
        *(f"0.weight[{i},0]" for i in range(4)),
        *(f"0.bias[{i}]" for i in range(4)),
        *(f"2.weight[0,{i}]" for i in range(4)),
        "2.bias",
    )
    x, y = run.x, run.y
    for p, loss in zip(run.params, run.loss):
        w1, b1, w2, b2 = p[:4], p[4:8], p[8:12], p[12]
        pred = np.tanh(np.outer(x, w1) + b1) @ w2 + b2
        assert loss == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
    assert run.loss[-1] < run.loss[0]


# -- presets: defaults, explicit arguments, init ----------------------------------------------


@pytest.mark.parametrize(
    ("preset", "names", "init", "lr", "steps"),
    [
        ("synthetic", ("m", "b"), (-1.0, 1.0), 0.1, 100),
        ("thermometer", ("m", "b"), (1.0, 0.0), 1e-2, 5000),
        ("single-point", ("theta",), (1.0,), 0.1, 30),
    ],
)
def test_preset_defaults(preset, names, init, lr, steps):
    run = gdviz.train(preset, steps=3) if steps > 1000 else gdviz.train(preset)
    assert run.param_names == names
    if steps <= 1000:
        assert run.params.shape == (steps + 1, len(names))
    np.testing.assert_array_equal(run.params[0], init)
    # Its model and MSE: the loss is the mean squared residual of the preset's model.
    features = FEATURES["line" if len(names) == 2 else "proportional"](run.x)
    expected, _ = numpy_loss_and_grad("mse", features, run.params, run.y)
    np.testing.assert_allclose(run.loss, expected, rtol=1e-5)
    # Its learning rate, through gd's update rule.
    np.testing.assert_allclose(run.params[1], run.params[0] - lr * run.grads[0], rtol=1e-6)


def test_explicit_arguments_win_over_the_preset():
    run = gdviz.train("synthetic", model="line", loss="mae", lr=0.03, steps=7, init=(0.5, -0.5))
    assert run.params.shape == (8, 2)
    np.testing.assert_array_equal(run.params[0], [0.5, -0.5])
    expected, expected_grad = numpy_loss_and_grad("mae", FEATURES["line"](run.x), run.params, run.y)
    np.testing.assert_allclose(run.loss, expected, rtol=1e-5)
    np.testing.assert_allclose(run.params[1], run.params[0] - 0.03 * expected_grad[0], rtol=1e-6)


@pytest.mark.parametrize(
    ("preset", "model", "n_params"),
    [
        ("thermometer", "quadratic", 3),
        ("synthetic", "proportional", 1),
        ("single-point", "line", 2),
    ],
)
def test_preset_init_belongs_to_its_own_model(preset, model, n_params):
    run = gdviz.train(preset, model=model, steps=2)
    np.testing.assert_array_equal(run.params[0], np.zeros(n_params))


def test_preset_model_named_explicitly_keeps_its_init():
    run = gdviz.train("thermometer", model="line", steps=2)
    np.testing.assert_array_equal(run.params[0], [1.0, 0.0])


def test_user_data_defaults_to_a_line_from_zero_by_mse(data):
    run = gdviz.train(data, steps=5)
    assert run.param_names == ("m", "b")
    np.testing.assert_array_equal(run.params[0], [0.0, 0.0])
    expected, _ = numpy_loss_and_grad("mse", FEATURES["line"](run.x), run.params, run.y)
    np.testing.assert_allclose(run.loss, expected, rtol=1e-5)


def test_seed_makes_runs_reproducible():
    a = gdviz.train("synthetic", seed=7, steps=20)
    b = gdviz.train("synthetic", seed=7, steps=20)
    assert a == b
    np.testing.assert_array_equal(a.x, b.x)
    c = gdviz.train("synthetic", seed=8, steps=20)
    assert not np.array_equal(a.x, c.x)
    assert not np.array_equal(a.y, c.y)
    assert not np.array_equal(a.loss, c.loss)


# -- divergence -------------------------------------------------------------------------------


def test_divergence_stops_at_the_first_non_finite_snapshot():
    # single-point with lr = 1: θ <- θ - (8θ - 12) = 12 - 7θ, the loss (2θ - 3)^2 grows ~49x a
    # step until it overflows float32. The reference recurrence runs in Python floats.
    lr, largest = 1.0, float(np.finfo(np.float32).max)
    theta, losses = 1.0, []
    while (2 * theta - 3) ** 2 <= largest:
        losses.append((2 * theta - 3) ** 2)
        theta -= lr * (8 * theta - 12)
    first_bad = len(losses)
    # The boundary is a factor 2 or more from any snapshot's loss: float32 rounding cannot move it.
    assert losses[-1] * 2 < largest < (2 * theta - 3) ** 2 / 2

    with pytest.warns(RuntimeWarning, match=f"diverged at step {first_bad}"):
        run = gdviz.train("single-point", lr=lr, steps=100)
    assert run.diverged_at == first_bad
    assert run.params.shape == (first_bad, 1)
    assert len(run.loss) == len(run.grads) == first_bad
    assert np.isfinite(run.params).all() and np.isfinite(run.loss).all()
    assert np.isfinite(run.grads).all()
    np.testing.assert_allclose(run.loss, losses, rtol=1e-5)


def test_no_warning_when_nothing_diverges():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = gdviz.train("single-point", lr=0.1, steps=100)
    assert run.diverged_at is None


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kwargs", "named"),
    [
        ("nosuchdata", {}, "nosuchdata"),
        ("synthetic", {"model": "cubic"}, "cubic"),
        ("synthetic", {"model": 42}, "int"),
        ("synthetic", {"loss": "huber"}, "huber"),
        ("synthetic", {"optimizer": "lbfgs"}, "lbfgs"),
        ("synthetic", {"lr": 0}, "lr"),
        ("synthetic", {"lr": -0.1}, "-0.1"),
        ("synthetic", {"lr": float("nan")}, "nan"),
        ("synthetic", {"lr": float("inf")}, "inf"),
        ("synthetic", {"lr": "fast"}, "fast"),
        ("synthetic", {"steps": 0}, "steps"),
        ("synthetic", {"steps": -5}, "-5"),
        ("synthetic", {"steps": 2.5}, "2.5"),
        ("synthetic", {"steps": "10"}, "steps"),
        ("synthetic", {"init": (1.0, 2.0, 3.0)}, "init"),
        ("synthetic", {"init": (1.0,)}, "init"),
        ("synthetic", {"init": ("a", "b")}, "init"),
        ("synthetic", {"optimizer": "adam", "betas": (0.9, 2.0)}, "2.0"),
        ("synthetic", {"optimizer": "adam", "nosuchoption": 1}, "nosuchoption"),
        ("synthetic", {"optimizer": "momentum", "momentum": -1.0}, "momentum"),
        ("synthetic", {"optimizer": "gd", "momentum": 0.9}, "momentum"),
        ("synthetic", {"seed": -1}, "seed"),
        (([1.0, 2.0], [1.0]), {}, "length"),
        (([1.0, float("nan")], [1.0, 2.0]), {}, "nan"),
        (("a", "b", "c"), {}, "data"),
    ],
)
def test_bad_input_is_a_one_line_gdviz_error_naming_it(data, kwargs, named):
    with pytest.raises(GdvizError) as info:
        gdviz.train(data, **{"steps": 3, **kwargs})
    message = str(info.value)
    assert named in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


# -- import cost ------------------------------------------------------------------------------


def test_import_gdviz_loads_neither_torch_nor_pyplot():
    code = (
        "import sys, gdviz\n"
        "heavy = [m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_public_names_survive_importing_every_submodule():
    # Python sets a package attribute for each submodule imported; a submodule named like a
    # public function replaces that function (gdviz.train then is a module, not callable).
    code = (
        "import importlib, pkgutil, gdviz\n"
        "for info in pkgutil.walk_packages(gdviz.__path__, 'gdviz.'):\n"
        "    importlib.import_module(info.name)\n"
        "bad = [n for n in ('train', 'Recorder', 'animate', 'load') if not callable(getattr(gdviz, n))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""
