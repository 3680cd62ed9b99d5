"""Muon (torch.optim.Muon for the weight matrices, AdamW for the rest) against a hand-written
loop, its internals against torch's own Newton-Schulz, and targets of several columns."""

from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch.optim._muon import _zeropower_via_newtonschulz

import gdviz
from gdviz import GdvizError


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = np.tanh(x @ rng.standard_normal((3, 2)))
    return x, y


def network():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 2, bias=False), torch.nn.Tanh(), torch.nn.Linear(2, 2)
    )


def by_hand(net, x, y, steps, lr=0.02):
    """torch's documented pairing, written out: Muon for 2-D parameters, AdamW (3e-4 at Muon's
    0.02, weight decay 0.01) for the rest; the parameters, loss and Muon's inputs each step."""
    x_t, y_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    params = list(net.parameters())
    muon = torch.optim.Muon([p for p in params if p.ndim == 2], lr=lr)
    adamw = torch.optim.AdamW(
        [p for p in params if p.ndim != 2], lr=lr * 3e-4 / 0.02, weight_decay=0.01
    )
    first = params[0]
    path, losses, mixed, buffers = [], [], [], []
    for _ in range(steps):
        muon.zero_grad()
        adamw.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x_t), y_t)
        loss.backward()
        path.append(torch.cat([p.detach().reshape(-1) for p in params]).clone())
        losses.append(loss.item())
        muon.step()
        adamw.step()
        buffer = muon.state[first]["momentum_buffer"]
        buffers.append(buffer.clone())
        mixed.append(first.grad.lerp(buffer, 0.95))  # Nesterov: what Newton-Schulz is given
    return torch.stack(path).numpy(), np.array(losses), mixed, buffers


def test_a_muon_run_is_the_hand_written_muon_and_adamw_loop_step_for_step():
    x, y = data()
    net = network()
    run = gdviz.train((x, y), model=net, optimizer="muon", steps=30)
    path, losses, _, buffers = by_hand(copy.deepcopy(net), x, y, 30)
    np.testing.assert_allclose(run.params[:30], path, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run.loss[:30], losses, rtol=1e-6)
    recorded = run.state["momentum_buffer"][1:31, :6]  # the first layer's 2x3 weight
    np.testing.assert_allclose(recorded, torch.stack(buffers).reshape(30, 6), rtol=1e-6)
    assert np.all(run.state["exp_avg"][:, :6] == 0)  # AdamW keeps no state for a matrix
    settings = run.meta["torch_optimizer"]
    assert settings["class"] == "Muon" and settings["paired"][0]["class"] == "AdamW"
    assert settings["paired"][0]["lr"] == pytest.approx(3e-4)


def test_the_matrix_view_shows_torchs_own_newton_schulz_step_and_its_singular_values():
    from gdviz.views.matrix import MatrixView

    x, y = data()
    net = network()
    run = gdviz.train((x, y), model=net, optimizer="muon", steps=12)
    _, _, mixed, _ = by_hand(copy.deepcopy(net), x, y, 12)
    view = MatrixView(run).plot(step=5)
    assert view.matrix == "0.weight" and view.shape == (2, 3)
    for k in range(12):
        step = _zeropower_via_newtonschulz(mixed[k], (3.4445, -4.775, 2.0315), 5, 1e-7)
        np.testing.assert_allclose(view.mixed[k], mixed[k].numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(view.step[k], step.float().numpy(), atol=2e-3)
        singular = np.linalg.svd(step.float().numpy(), compute_uv=False)
        np.testing.assert_allclose(view.sigma_out[k], singular, atol=3e-3)
    np.testing.assert_array_equal(view.image_[1].get_array(), view.step[5])
    assert [t.get_text() for t in view.cells_[1]] == [f"{v:.2f}" for v in view.step[5].ravel()]
    plt.close(view.figure_)


def test_muon_where_there_is_no_matrix_and_the_matrix_view_of_another_optimiser_are_refused():
    with pytest.raises(GdvizError, match="Muon steps weight matrices") as caught:
        gdviz.train("rosenbrock", optimizer="muon", steps=3)
    assert "\n" not in str(caught.value)
    run = gdviz.train("moons", hidden=(3,), optimizer="adam", steps=3)
    with pytest.raises(GdvizError, match="draws Muon's internals"):
        gdviz.animate(run, view="matrix")


def test_a_loop_with_muon_and_adamw_is_recorded_with_the_state_of_each():
    x, y = data()
    net = network()
    params = list(net.parameters())
    muon = torch.optim.Muon([p for p in params if p.ndim == 2], lr=0.02)
    adamw = torch.optim.AdamW([p for p in params if p.ndim != 2], lr=1e-3)
    rec = gdviz.Recorder(net, optimizer=[muon, adamw])
    x_t, y_t = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    for _ in range(5):
        muon.zero_grad()
        adamw.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x_t), y_t)
        loss.backward()
        rec.record(loss)
        muon.step()
        adamw.step()
    rec.record(torch.nn.functional.mse_loss(net(x_t), y_t))  # the state the fifth step left
    run = rec.to_run()
    bias = slice(10, 12)  # the 2x3 and 2x2 weights, then the last layer's bias
    np.testing.assert_allclose(run.state["exp_avg"][-1, bias], adamw.state[params[2]]["exp_avg"].numpy(),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(run.state["momentum_buffer"][-1, :6],
                               muon.state[params[0]]["momentum_buffer"].reshape(-1).numpy())  # fmt: skip
    assert np.all(run.state["momentum_buffer"][:, bias] == 0)  # Muon does not step the bias
    np.testing.assert_allclose(run.lr, 0.02)  # the first optimiser's rate
    with pytest.raises(GdvizError, match="optimizer is an empty list"):
        gdviz.Recorder(net, optimizer=[])


def test_a_network_fits_targets_of_several_columns_to_their_least_squares():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 3))
    y = x @ rng.standard_normal((3, 2)) + [0.5, -1.0] + 0.1 * rng.standard_normal((80, 2))
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    start = torch.nn.functional.mse_loss(
        net(torch.as_tensor(x, dtype=torch.float32)), torch.as_tensor(y, dtype=torch.float32)
    )
    run = gdviz.train((x, y), model=net, optimizer="gd", lr=0.3, steps=400)
    design = np.column_stack([x, np.ones(80)])
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert run.y.shape == (80, 2)
    assert run.loss[0] == pytest.approx(float(start), rel=1e-6)
    assert run.loss[-1] == pytest.approx(np.mean((design @ solution - y) ** 2), rel=1e-4)
    np.testing.assert_allclose(run.params[-1, :6], solution[:3].T.ravel(), atol=1e-4)
    np.testing.assert_allclose(run.params[-1, 6:], solution[3], atol=1e-4)
    with pytest.raises(GdvizError, match="draws one target column"):
        gdviz.animate(run, view="fit")
    with pytest.raises(GdvizError, match=r"y \(n,\), got"):
        gdviz.train((x, y), model="mlp", steps=2)
