"""What the framework callbacks share (`gdviz.training.callbacks.steps.StepRecorder`), driven by
a hand-written loop that calls it as the frameworks do: the snapshot taken once the gradients are
final, clipping (or not) between it and the optimizer's step, the loss last. Each row is checked
against the loop's own copies of the parameters and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from gdviz.errors import GdvizError
from gdviz.training.callbacks.steps import CLIPPED, StepRecorder

X = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
Y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3


def flat(tensors) -> np.ndarray:
    return np.concatenate([t.detach().double().reshape(-1).numpy() for t in tensors])


def grads(module) -> np.ndarray:
    return np.concatenate(
        [
            np.zeros(p.numel()) if p.grad is None else p.grad.double().reshape(-1).numpy()
            for p in module.parameters()
        ]
    )


def fit(module, steps, *, clip_at=(), pre=False, sharded=False, lr=0.1):
    """A loop recorded through a `StepRecorder`; its own copies of each step's parameters, its
    gradient before clipping and the one the update used."""
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    rec = StepRecorder()
    rec.attach(module, optimizer, pre=pre, sharded_grads=sharded)
    seen = {"params": [], "before": [], "used": [], "loss": []}
    for t in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(module(X).squeeze(1), Y)
        loss.backward()
        seen["params"].append(flat(module.parameters()))
        if not pre:
            rec.take()  # as Lightning's on_before_optimizer_step, skorch's on_grad_computed
        seen["before"].append(grads(module))
        if t in clip_at:  # as Lightning's gradient_clip_val, skorch's GradientNormClipping
            torch.nn.utils.clip_grad_norm_(module.parameters(), 0.05)
        seen["used"].append(grads(module))
        optimizer.step()
        rec.loss(float(loss.detach()), last=True)
        seen["loss"].append(float(loss.detach()))
    rec.detach()
    return rec.to_run(), {k: np.array(v) for k, v in seen.items()}


def test_each_row_keeps_the_gradient_before_clipping_whether_or_not_its_step_was_clipped():
    # Steps 2 and 4 clipped, the others not: a step after the first clipped one kept no
    # gradient before clipping (zero) where it was not clipped itself.
    torch.manual_seed(0)
    run, seen = fit(torch.nn.Linear(3, 1), 6, clip_at=(2, 4))
    np.testing.assert_allclose(run.params, seen["params"], rtol=1e-6)
    np.testing.assert_allclose(run.grads, seen["used"], rtol=1e-6)
    np.testing.assert_allclose(run.state[CLIPPED], seen["before"], rtol=1e-6)
    np.testing.assert_allclose(run.loss, seen["loss"], rtol=1e-6)
    norms = np.linalg.norm(seen["before"], axis=1)
    assert (norms[[2, 4]] > 0.05).all()  # the clipped steps were clipped: the two differ there
    assert not np.allclose(run.grads[[2, 4]], run.state[CLIPPED][[2, 4]])


class Spare(torch.nn.Module):
    """A model with a head its loss never uses: that head's parameters get no gradient."""

    def __init__(self):
        super().__init__()
        self.used = torch.nn.Linear(3, 1)
        self.spare = torch.nn.Linear(3, 1)

    def forward(self, x):
        return self.used(x)


def test_a_parameter_without_a_gradient_is_zero_not_a_sharded_model():
    # With sharded_grads (Transformers: DeepSpeed or FSDP keep the gradients elsewhere), only a
    # step where no parameter holds a gradient is nan: one unused head is not sharding.
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing said
        run, seen = fit(Spare(), 4, pre=True, sharded=True)
    assert np.isfinite(run.grads).all()
    np.testing.assert_allclose(run.grads, seen["used"], rtol=1e-6)
    assert not run.grads[:, 4:].any() and run.grads[:, :4].any()  # the spare head's: zero


def test_one_step_is_a_run_and_none_is_one_line():
    torch.manual_seed(0)
    run, seen = fit(torch.nn.Linear(3, 1), 1)
    np.testing.assert_allclose(run.params, seen["params"][:1], rtol=1e-6)
    assert run.loss.tolist() == seen["loss"]
    with pytest.raises(GdvizError, match="nothing was recorded: train with the callback first"):
        StepRecorder().to_run()
