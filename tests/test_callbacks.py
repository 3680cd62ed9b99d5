"""Recording inside frameworks (CONTRACT section 10): a PyTorch Lightning fit with gradient
accumulation and clipping, recorded step for step and checked against the updates it made."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz

lightning = pytest.importorskip("lightning")

X = torch.randn(96, 3, generator=torch.Generator().manual_seed(0))
Y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3


class Module(lightning.LightningModule):
    def __init__(self, optimizer="sgd", lr=0.05):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        self.kind, self.lr = optimizer, lr

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self(x).squeeze(1), y)

    def configure_optimizers(self):
        if self.kind == "adam":
            return torch.optim.Adam(self.parameters(), lr=self.lr)
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def fit(module, *, accumulate=2, clip=None, epochs=2, **options):
    rec = gdviz.callbacks.Lightning(**options)
    trainer = lightning.Trainer(
        max_epochs=epochs, accumulate_grad_batches=accumulate, gradient_clip_val=clip,
        callbacks=[rec], logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu", devices=1,
    )  # fmt: skip
    loader = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and logging
        trainer.fit(module, loader)
    return rec, loader


def test_each_optimizer_step_is_a_snapshot_whose_update_is_minus_lr_times_its_gradient():
    module = Module()
    rec, loader = fit(module, accumulate=2)
    run = rec.to_run()
    assert len(run.loss) == 2 * (96 // 8) // 2  # 12 batches an epoch, a step every 2
    updates = np.diff(run.params, axis=0)
    np.testing.assert_allclose(updates, -0.05 * run.grads[:-1], rtol=1e-5, atol=1e-7)
    final = torch.nn.utils.parameters_to_vector(module.parameters()).detach().double().numpy()
    np.testing.assert_allclose(final, run.params[-1] - 0.05 * run.grads[-1], rtol=1e-5, atol=1e-7)
    # each step's loss: the mean of its two micro-batches at the step's starting parameters
    batches = list(loader) * 2
    probe = Module()
    for t in (0, 5, 11):
        torch.nn.utils.vector_to_parameters(torch.tensor(run.params[t], dtype=torch.float32),
                                            probe.parameters())  # fmt: skip
        with torch.no_grad():
            parts = [float(probe.training_step(b, 0)) for b in batches[2 * t : 2 * t + 2]]
        assert run.loss[t] == pytest.approx(np.mean(parts), rel=1e-5)
    assert run.meta["torch_optimizer"]["class"] == "SGD"
    np.testing.assert_allclose(run.lr, 0.05)


def test_the_optimizer_s_state_is_torch_s_own():
    module = Module("adam", lr=0.01)
    rec, _ = fit(module, accumulate=1, epochs=1)
    run = rec.to_run()
    replay = torch.nn.Parameter(torch.tensor(run.params[0], dtype=torch.float64))
    adam = torch.optim.Adam([replay], lr=0.01)
    for t in range(len(run.loss) - 1):  # the recorded gradients, through torch's own Adam
        replay.grad = torch.tensor(run.grads[t])
        adam.step()
        state = adam.state[replay]
        np.testing.assert_allclose(run.state["exp_avg"][t + 1], state["exp_avg"], rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(run.state["exp_avg_sq"][t + 1], state["exp_avg_sq"], rtol=1e-4, atol=1e-12)
        np.testing.assert_allclose(run.params[t + 1], replay.detach(), rtol=1e-5, atol=1e-6)


def test_clipping_keeps_the_gradient_used_and_the_one_before_it():
    module = Module(lr=0.05)
    rec, _ = fit(module, accumulate=1, clip=0.1, epochs=1)
    run = rec.to_run()
    used = np.linalg.norm(run.grads, axis=1)
    before = np.linalg.norm(run.state["grad_before_clipping"], axis=1)
    assert (used <= 0.1 + 1e-6).all() and (before > 0.1).any()
    clipped = before > 0.1
    np.testing.assert_allclose(used[clipped], 0.1, rtol=1e-4)
    np.testing.assert_allclose(np.diff(run.params, axis=0), -0.05 * run.grads[:-1], rtol=1e-5, atol=1e-7)


def test_every_view_draws_a_recorded_fit(tmp_path):
    module = Module()
    rec, loader = fit(module, accumulate=2)
    run = rec.to_run(model=module, loss=lambda out, y: torch.nn.functional.mse_loss(out.squeeze(1), y),
                     data=loader, resolution=9)  # fmt: skip
    for view in ("contour", "loss", "surface", "dashboard"):
        gdviz.animate(run, view=view, frames=4).save(tmp_path / f"{view}.png")


def test_importing_gdviz_callbacks_imports_no_framework():
    code = (
        "import sys, gdviz, gdviz.callbacks; "
        "assert 'lightning' not in sys.modules and 'transformers' not in sys.modules; "
        "gdviz.callbacks.Lightning; assert 'lightning' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
