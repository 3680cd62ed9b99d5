"""The plane of the Hessian's top two eigenvectors at the final parameters, against closed forms
and torch's own Hessian."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from stand_ins import mlp_loss

import gdviz
from gdviz import GdvizError


class Bowl(torch.nn.Module):
    """Σ cᵢ pᵢ² whatever the inputs: its Hessian is diag(2c)."""

    def __init__(self, c: torch.Tensor):
        super().__init__()
        self.c = c
        self.p = torch.nn.Parameter(torch.linspace(0.3, 1.0, len(c)))

    def forward(self, x):
        return (self.c * self.p**2).sum().expand(len(x), 1) + 0 * x


def mean_output(out, _targets):
    return out.mean()


@pytest.mark.parametrize("size", [6, 150])  # the exact Hessian, and Lanczos
def test_the_hessian_plane_of_a_diagonal_bowl_spans_its_two_steepest_axes(size):
    c = torch.full((size,), 0.1)
    c[[0, 1, 2, 3, 4]] = torch.tensor([1.0, 7.0, 3.0, 0.5, 11.0])  # largest: axes 4, then 1
    data = (torch.zeros(8, 1), torch.zeros(8, 1))
    run = gdviz.landscape(Bowl(c), loss=mean_output, data=data, plane="hessian", resolution=5)
    found = run.landscape
    assert found.kind == "hessian"
    np.testing.assert_allclose(found.curvatures, [22.0, 14.0], rtol=1e-6)
    expected = np.zeros((2, size))
    expected[0, 4] = expected[1, 1] = 1.0
    np.testing.assert_allclose(np.abs(found.directions), expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(found.directions, axis=1), 1.0)


def test_a_built_in_models_hessian_plane_is_that_of_its_least_squares():
    run = gdviz.train("synthetic", model="quadratic", steps=40, plane="hessian")
    anim = gdviz.animate(run, view="contour", frames=2)
    plane = anim.views[0].plane_
    x = run.x
    design = np.column_stack([x**2, x, np.ones_like(x)])  # a·x² + b·x + c, mse
    values, vectors = np.linalg.eigh(2 * design.T @ design / len(x))
    np.testing.assert_allclose(plane.curvatures, values[::-1][:2], rtol=1e-5)
    np.testing.assert_allclose(np.abs(plane.dirs @ vectors[:, ::-1][:, :2]), np.eye(2), atol=1e-5)
    assert "Hessian eigenvector 1, λ = " in anim.views[0].ax_.get_xlabel()
    plt.close(anim.fig)


def test_a_networks_hessian_plane_holds_torchs_top_eigenvectors_and_survives_a_file(tmp_path):
    run = gdviz.train("moons", hidden=(6,), optimizer="gd", lr=0.5, steps=40, plane="hessian")
    x = torch.as_tensor(run.x, dtype=torch.float64)
    y = torch.as_tensor(run.y, dtype=torch.int64)
    final = torch.as_tensor(run.params[-1], dtype=torch.float64)
    h = torch.autograd.functional.hessian(mlp_loss(x, y, [2, 6, 2]), final).numpy()
    values, vectors = np.linalg.eigh(h)
    found = run.landscape
    np.testing.assert_allclose(found.curvatures, values[::-1][:2], rtol=1e-3)
    np.testing.assert_allclose(
        np.abs(found.directions @ vectors[:, ::-1][:, :2]), np.eye(2), atol=1e-3
    )
    np.testing.assert_allclose(found.origin, run.params[-1])
    # Unit directions: the box reaches as far as the path got from its end, in each direction.
    far = np.linalg.norm(run.params - run.params[-1], axis=1).max()
    assert all(lo <= -far and hi >= far for lo, hi in found.extent)
    run.save(tmp_path / "r.npz")
    back = gdviz.load(tmp_path / "r.npz").landscape
    assert back.kind == "hessian"
    np.testing.assert_array_equal(back.curvatures, found.curvatures)


def test_a_recorded_loop_over_a_loader_gets_the_hessian_plane_of_all_its_data():
    torch.manual_seed(0)
    x = torch.randn(96, 4)
    y = (x[:, 0] - x[:, 1] > 0).long()
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    rec = gdviz.Recorder(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(30):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        rec.record(loss)
        opt.step()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=20)
    run = rec.to_run(model=net, loss=loss_fn, data=loader, plane="hessian", resolution=5)
    final = torch.as_tensor(run.params[-1], dtype=torch.float64)

    def whole(flat):  # the same network by hand, over all 96 examples at once
        w1, b1, w2, b2 = flat.split([20, 5, 10, 2])
        hidden = torch.tanh(x.double() @ w1.reshape(5, 4).T + b1)
        return torch.nn.functional.cross_entropy(hidden @ w2.reshape(2, 5).T + b2, y)

    values, vectors = np.linalg.eigh(torch.autograd.functional.hessian(whole, final).numpy())
    np.testing.assert_allclose(run.landscape.curvatures, values[::-1][:2], rtol=1e-4)
    overlap = np.abs(run.landscape.directions @ vectors[:, ::-1][:, :2])
    np.testing.assert_allclose(overlap, np.eye(2), atol=1e-3)


def test_a_file_with_a_malformed_hessian_plane_is_refused_in_one_line(tmp_path):
    run = gdviz.train("moons", hidden=(3,), steps=5, plane="hessian")
    run.extras["plane_curvatures"] = np.array([1.0, np.nan])
    run.save(tmp_path / "bad.npz")
    with pytest.raises(GdvizError, match="curvatures of shape") as caught:
        _ = gdviz.load(tmp_path / "bad.npz").landscape
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("size", [60, 400])
def test_the_top_two_eigenpairs_of_an_operator_match_numpys_even_where_they_crowd(size):
    from gdviz.training.curvature import top_eigenpairs

    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((size, size)))
    # A negative end larger in size, a top far out (found first), and a second in a crowd.
    spectrum = np.linspace(-3.0, 1.0, size)
    spectrum[-2:] = [1.01, 5.0]
    h = torch.as_tensor((q * spectrum) @ q.T)
    values, vectors = top_eigenpairs(lambda v: h @ v, size)
    np.testing.assert_allclose(values, [5.0, 1.01], rtol=1e-6)
    np.testing.assert_allclose(np.abs(vectors @ q[:, [-1, -2]]), np.eye(2), atol=1e-4)
