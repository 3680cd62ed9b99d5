"""gdviz reproduces the numbers printed in the tutorials it grows from (../shared/seeds/).

Snapshot numbering: snapshot t is the state after t updates, with the loss and gradient evaluated
there. A tutorial printing at "epoch e" (counting from 1) the loss computed before the e-th update
and the gradient that update used is therefore showing ``run.loss[e - 1]`` and ``run.grads[e - 1]``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gdviz

# -- 003: Deep Learning with PyTorch, ch. 5 (thermometer) -------------------------------------

# The book's table: epoch, params.grad (printed to 4 decimals), loss (printed "%f", 6 decimals).
BOOK_TABLE = [
    (500, (-0.2252, 1.2748), 7.860116),
    (1000, (-0.0962, 0.5448), 3.828538),
    (1500, (-0.0411, 0.2328), 3.092191),
    (2000, (-0.0176, 0.0995), 2.957697),
    (2500, (-0.0075, 0.0425), 2.933134),
    (3000, (-0.0032, 0.0182), 2.928648),
    (3500, (-0.0014, 0.0078), 2.927830),
    (4000, (-0.0006, 0.0033), 2.927679),
    (4500, (-0.0003, 0.0014), 2.927652),
]
BOOK_LAST_GRAD = (-9.7513e-05, 6.1291e-04)  # epoch 5000, printed in scientific notation
BOOK_LAST_LOSS = 2.927647
BOOK_FINAL_PARAMS = (5.3671, -17.3012)

# The book's raw data, from the tutorial's text (not from gdviz).
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


@pytest.fixture(scope="module")
def thermometer():
    return gdviz.train("thermometer")


def test_thermometer_runs_the_books_setup(thermometer):
    # 5000 epochs from params (1, 0): 5001 snapshots, the first the book's initial params.
    assert thermometer.params.shape == (5001, 2)
    assert thermometer.param_names == ("m", "b")
    np.testing.assert_array_equal(thermometer.params[0], [1.0, 0.0])
    np.testing.assert_allclose(thermometer.y, T_C)
    np.testing.assert_allclose(thermometer.x, 0.1 * np.array(T_U), rtol=1e-6)


@pytest.mark.parametrize(("epoch", "grad", "loss"), BOOK_TABLE)
def test_thermometer_table(thermometer, epoch, grad, loss):
    # The book ran in float32; other hardware may sum in another order. Losses near 3 printed to
    # 6 decimals carry ~1e-6 relative precision, and float32 differences stay well below that
    # (at epoch 5000 our gradient differs from the book's by ~2e-7 absolute). Gradients are
    # printed to 4 decimals: allow half a unit of the last digit (5e-5), plus 5e-6 for float32.
    assert thermometer.loss[epoch - 1] == pytest.approx(loss, rel=1e-6)
    np.testing.assert_allclose(thermometer.grads[epoch - 1], grad, rtol=0, atol=5.5e-5)


def test_thermometer_last_epoch_and_final_params(thermometer):
    assert thermometer.loss[4999] == pytest.approx(BOOK_LAST_LOSS, rel=1e-6)
    # The last gradient (~1e-4) is mostly float32 cancellation between terms of size ~30, so
    # its digits depend on summation order: ~1% is what a different machine can guarantee.
    np.testing.assert_allclose(thermometer.grads[4999], BOOK_LAST_GRAD, rtol=1e-2)
    # Printed to 4 decimals: half a unit of the last digit, plus float32 slack.
    np.testing.assert_allclose(thermometer.params[-1], BOOK_FINAL_PARAMS, rtol=0, atol=6e-5)


def test_thermometer_first_gradient_on_unscaled_readings():
    # Before scaling, the book prints the gradient at params (1, 0) on t_u: [4517.2969, 82.6000].
    x = np.array(T_U, dtype=np.float32).astype(np.float64)
    run = gdviz.train((x, T_C), model="line", init=(1.0, 0.0), lr=1e-4, steps=1)
    np.testing.assert_allclose(run.grads[0], [4517.2969, 82.6000], rtol=1e-6)


# -- 002: one gradient step, four ways --------------------------------------------------------

THETA_0, X, Y, ALPHA = 1.0, 2.0, 3.0, 0.1


def four_ways() -> dict[str, tuple[float, float, float]]:
    """(E, dE/dθ, θ after one step), computed each way the tutorial does."""
    ways = {}

    # 1. Without PyTorch
    θ, x, y, α = THETA_0, X, Y, ALPHA
    fx_y = θ * x - y
    E = fx_y * fx_y
    θgrad = 2 * x * fx_y
    θ -= α * θgrad
    ways["by hand"] = (E, θgrad, θ)

    # 2. Using torch.autograd.backward()
    θ = torch.tensor([THETA_0], requires_grad=True)
    fx_y = θ * x - y
    E = fx_y * fx_y
    E.backward()
    with torch.no_grad():
        θ -= α * θ.grad
    ways["autograd"] = (E.item(), θ.grad.item(), θ.item())

    # 3. Additionally using a torch.optim.Optimizer
    θ = torch.tensor([THETA_0], requires_grad=True)
    optimizer = torch.optim.SGD([θ], α)
    fx_y = θ * x - y
    E = fx_y * fx_y
    optimizer.zero_grad()
    E.backward()
    optimizer.step()
    ways["torch.optim.SGD"] = (E.item(), θ.grad.item(), θ.item())

    # 4. Additionally using torch.nn.MSELoss
    x = torch.tensor([x])
    y = torch.tensor([y])
    θ = torch.tensor([THETA_0], requires_grad=True)
    optimizer = torch.optim.SGD([θ], α)
    loss = torch.nn.MSELoss()(θ * x, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    ways["torch.nn.MSELoss"] = (loss.item(), θ.grad.item(), θ.item())
    return ways


@pytest.mark.parametrize("way", ["by hand", "autograd", "torch.optim.SGD", "torch.nn.MSELoss"])
def test_single_point_step_equals_each_way(way):
    E, grad, theta = four_ways()[way]
    # The tutorial's printed values, first: E = 1, dE/dθ = -4, θ -> 1.4.
    assert (E, grad) == (1.0, -4.0)
    assert theta == pytest.approx(1.4, rel=2**-23)

    run = gdviz.train("single-point", steps=1)
    assert run.param_names == ("theta",)
    assert run.params.shape == (2, 1)
    assert run.params[0, 0] == THETA_0
    assert run.loss[0] == E
    assert run.grads[0, 0] == grad
    # gdviz trains in float32 like ways 2-4 (equal to the bit); way 1 is Python's float64.
    if way == "by hand":
        assert run.params[1, 0] == pytest.approx(theta, rel=2**-23)
    else:
        assert run.params[1, 0] == theta


# -- 001: fastai lesson2-sgd (synthetic) ------------------------------------------------------


def test_synthetic_reaches_the_noise_floor_near_3_and_2_5():
    run = gdviz.train("synthetic")
    assert run.params.shape == (101, 2)
    np.testing.assert_array_equal(run.params[0], [-1.0, 1.0])  # the tutorial's animated start
    # y = 3x + 2 + U(0, 1): the best line is 3x + 2.5 and the residual is the noise, whose
    # variance is 1/12. With n = 100 the sample variance has sd ~0.0075 and fitting two
    # parameters removes ~2/n of it, so 0.025 is three sd plus that bias.
    assert run.loss[-1] == pytest.approx(1 / 12, abs=0.025)
    # Standard errors of the least-squares slope and intercept: sqrt((1/12) / (n * 1/3)) = 0.05
    # and sqrt((1/12) / n) = 0.029; allow four of each.
    np.testing.assert_allclose(run.params[-1], [3.0, 2.5], atol=0.2)
    # Losses fall like the tutorial's printed ones (every 10 steps, monotone after the start).
    assert np.all(np.diff(run.loss[10::10]) < 0)


def test_synthetic_long_run_equals_least_squares():
    run = gdviz.train("synthetic", steps=1000)
    features = np.stack([run.x, np.ones_like(run.x)], axis=1)
    best, *_ = np.linalg.lstsq(features, run.y, rcond=None)
    # The slowest mode contracts by 1 - 0.1 * 2 * min eigenvalue (~1/3) per step: after 1000
    # steps the optimisation error is nil, and what remains is float32 rounding.
    np.testing.assert_allclose(run.params[-1], best, rtol=1e-5)
    mse = np.mean((features @ best - run.y) ** 2)
    assert run.loss[-1] == pytest.approx(mse, rel=1e-5)


# -- 000: the gradient-accumulation bug (zero_grad) -------------------------------------------


def line_mse_grad(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Analytic gradient of mean((m x + b - y)^2) at each row (m, b) of ``params``."""
    residual = params[:, :1] * x + params[:, 1:] - y
    return 2 * np.stack([(residual * x).mean(axis=1), residual.mean(axis=1)], axis=1)


@pytest.mark.parametrize("data", ["synthetic", "thermometer"])
def test_forgetting_zero_grad_accumulates_the_true_gradients(data):
    lr = 0.01
    run = gdviz.train(data, steps=30, lr=lr, zero_grad=False)
    true = line_mse_grad(run.params, run.x, run.y)
    # The gradient held at step t is the sum of the true gradients at snapshots 0..t.
    np.testing.assert_allclose(run.grads, np.cumsum(true, axis=0), rtol=1e-5, atol=1e-5)
    # ... and it is really different from the true one (the bug shows).
    assert not np.allclose(run.grads[1:], true[1:], rtol=0.1)
    # The updates use that accumulated gradient.
    np.testing.assert_allclose(run.params[1:], run.params[:-1] - lr * run.grads[:-1], rtol=1e-6)


@pytest.mark.parametrize("data", ["synthetic", "thermometer"])
def test_zero_grad_records_the_true_gradient(data):
    run = gdviz.train(data, steps=30)
    true = line_mse_grad(run.params, run.x, run.y)
    np.testing.assert_allclose(run.grads, true, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("zero_grad", [True, False])
def test_gd_update_is_params_minus_lr_times_recorded_grad(zero_grad):
    lr = 0.01
    run = gdviz.train("thermometer", steps=300, lr=lr, zero_grad=zero_grad)
    # p -= lr * p.grad in float32, rounded twice (the product, then the difference): exact.
    p, g = run.params.astype(np.float32), run.grads.astype(np.float32)
    np.testing.assert_array_equal(p, run.params)  # the snapshots are float32 values
    np.testing.assert_array_equal(p[1:], p[:-1] - np.float32(lr) * g[:-1])
