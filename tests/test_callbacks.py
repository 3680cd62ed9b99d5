"""Recording inside frameworks (CONTRACT section 10): a PyTorch Lightning fit with gradient
accumulation and clipping, recorded step for step and checked against the updates it made."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from stand_ins import Terminal
from torch.utils.data import DataLoader, TensorDataset

import gdviz
from gdviz.notebook import live

lightning = pytest.importorskip("lightning")
pytestmark = pytest.mark.slow  # the frameworks take seconds to import and start

X = torch.randn(96, 3, generator=torch.Generator().manual_seed(0))
Y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3


class Module(lightning.LightningModule):
    def __init__(self, optimizer="sgd", lr=0.05):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
        )
        self.kind, self.lr = optimizer, lr

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self(x).squeeze(1), y)

    def configure_optimizers(self):
        if self.kind == "adam":
            return torch.optim.Adam(self.parameters(), lr=self.lr)
        if self.kind == "lbfgs":
            return torch.optim.LBFGS(self.parameters(), lr=self.lr, max_iter=5)
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def fit(module, *, accumulate=2, clip=None, epochs=2, **options):
    rec = gdviz.callbacks.Lightning(**options)
    trainer = lightning.Trainer(
        max_epochs=epochs, accumulate_grad_batches=accumulate, gradient_clip_val=clip,
        callbacks=[rec], logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu", devices=1,
    )  # fmt: skip
    loader = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=False)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")  # Lightning's advice on workers and logging, and gdviz's
        trainer.fit(module, loader)
    rec.said = [str(w.message) for w in said if issubclass(w.category, RuntimeWarning)]
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
    assert not any("optimizers" in w for w in rec.said)  # one optimizer: nothing to say


def test_an_optimizer_that_runs_the_closure_again_is_recorded_once_a_step():
    # L-BFGS runs Lightning's closure several times a step (on_before_optimizer_step each
    # time): a step is one snapshot, the closure's last evaluation, whose loss Lightning reports.
    module = Module("lbfgs", lr=0.5)
    rec, loader = fit(module, accumulate=1, epochs=1)
    run = rec.to_run()
    assert len(run.loss) == 96 // 8
    probe = Module()
    for t, batch in enumerate(loader):
        theta = torch.tensor(run.params[t], dtype=torch.float32)
        torch.nn.utils.vector_to_parameters(theta, probe.parameters())
        probe.zero_grad()
        loss = probe.training_step(batch, 0)
        loss.backward()
        assert run.loss[t] == pytest.approx(float(loss), rel=1e-5)
        grad = torch.cat([p.grad.reshape(-1) for p in probe.parameters()]).double().numpy()
        np.testing.assert_allclose(run.grads[t], grad, rtol=1e-4, atol=1e-7)


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
        np.testing.assert_allclose(
            run.state["exp_avg"][t + 1], state["exp_avg"], rtol=1e-5, atol=1e-9
        )
        np.testing.assert_allclose(
            run.state["exp_avg_sq"][t + 1], state["exp_avg_sq"], rtol=1e-4, atol=1e-12
        )
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
    np.testing.assert_allclose(
        np.diff(run.params, axis=0), -0.05 * run.grads[:-1], rtol=1e-5, atol=1e-7
    )


def test_every_view_draws_a_recorded_fit(tmp_path):
    module = Module()
    rec, loader = fit(module, accumulate=2)
    run = rec.to_run(model=module, loss=lambda out, y: torch.nn.functional.mse_loss(out.squeeze(1), y),
                     data=loader, resolution=9)  # fmt: skip
    for view in ("contour", "loss", "surface", "dashboard"):
        gdviz.animate(run, view=view, frames=4).save(tmp_path / f"{view}.png")


def test_importing_gdviz_callbacks_imports_no_framework():
    before = "import sys, gdviz, gdviz.callbacks; "
    before += "assert 'lightning' not in sys.modules and 'transformers' not in sys.modules; "
    before += "assert 'skorch' not in sys.modules; "
    for name, module in (
        ("Lightning", "lightning"),
        ("Transformers", "transformers"),
        ("Skorch", "skorch"),
    ):
        code = before + f"gdviz.callbacks.{name}; assert {module!r} in sys.modules"
        subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


# -- Hugging Face Trainer ---------------------------------------------------------------------------


class Tokens(torch.utils.data.Dataset):
    """Random token sequences, labelled by whether token 7 occurs in them."""

    def __init__(self, n=64, length=12):
        g = torch.Generator().manual_seed(1)
        self.ids = torch.randint(0, 50, (n, length), generator=g)
        self.labels = (self.ids == 7).any(dim=1).long()

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones_like(self.ids[i]),
            "labels": self.labels[i],
        }


def tiny_bert():
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=16, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(config)  # built from a config: no download


def hf_fit(tmp_path, *, optim="sgd", clip=0.0, accumulate=2, **options):
    transformers = pytest.importorskip("transformers")
    model = tiny_bert()
    rec = gdviz.callbacks.Transformers(**options)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=4,
        gradient_accumulation_steps=accumulate, num_train_epochs=1, learning_rate=0.05,
        optim=optim, lr_scheduler_type="constant", weight_decay=0.0, max_grad_norm=clip,
        report_to=[], save_strategy="no", logging_strategy="steps", logging_steps=1,
        use_cpu=True, seed=0, disable_tqdm=True, eval_strategy="steps", eval_steps=3,
    )  # fmt: skip

    class InOrder(transformers.Trainer):  # micro-batches in the data's order, to recompute
        def _get_train_sampler(self, *args, **kwargs):
            return torch.utils.data.SequentialSampler(self.train_dataset)

    trainer = InOrder(  # evaluated every 3 steps: those forward passes are not a step's
        model=model, args=args, train_dataset=Tokens(), eval_dataset=Tokens(8), callbacks=[rec]
    )
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        trainer.train()
    trainer.said = [str(w.message) for w in said]
    return rec, model, trainer


def test_a_trainer_fit_of_a_tiny_bert_is_recorded_step_for_step(tmp_path):
    rec, model, trainer = hf_fit(tmp_path)
    assert not any("clips gradients" in w for w in trainer.said)  # max_grad_norm=0: it does not
    run = rec.to_run()
    assert len(run.loss) == 64 // 4 // 2  # 16 micro-batches, a step every 2
    np.testing.assert_allclose(
        np.diff(run.params, axis=0), -0.05 * run.grads[:-1], rtol=1e-4, atol=1e-7
    )
    final = torch.nn.utils.parameters_to_vector(model.parameters()).detach().double().numpy()
    np.testing.assert_allclose(final, run.params[-1] - 0.05 * run.grads[-1], rtol=1e-4, atol=1e-7)
    # each step's loss: the mean of its two micro-batches' at the step's starting parameters
    data, probe = Tokens(), tiny_bert()
    for t in (0, 3, 7):
        torch.nn.utils.vector_to_parameters(torch.tensor(run.params[t], dtype=torch.float32),
                                            probe.parameters())  # fmt: skip
        with torch.no_grad():
            parts = [
                float(probe(**{k: v[8 * t + 4 * m : 8 * t + 4 * m + 4] for k, v in
                               {"input_ids": data.ids, "labels": data.labels,
                                "attention_mask": torch.ones_like(data.ids)}.items()}).loss)
                for m in (0, 1)
            ]  # fmt: skip
        assert run.loss[t] == pytest.approx(np.mean(parts), rel=1e-5)
    gdviz.animate(run, view="loss", frames=4).save(tmp_path / "loss.png")


def test_a_trainer_s_adam_state_is_torch_s_own_and_clipping_is_said(tmp_path):
    rec, _, trainer = hf_fit(tmp_path, optim="adamw_torch", clip=1.0, accumulate=1)
    assert any("clips gradients (max_grad_norm=1)" in w for w in trainer.said)
    run = rec.to_run()
    assert (np.linalg.norm(run.grads, axis=1) <= 1.0 + 1e-5).all()  # the clipped ones, used
    replay = torch.nn.Parameter(torch.tensor(run.params[0], dtype=torch.float64))
    adam = torch.optim.AdamW([replay], lr=0.05, weight_decay=0.0)
    for t in range(len(run.loss) - 1):
        replay.grad = torch.tensor(run.grads[t])
        adam.step()
        np.testing.assert_allclose(run.state["exp_avg"][t + 1], adam.state[replay]["exp_avg"],
                                   rtol=1e-4, atol=1e-9)  # fmt: skip
        np.testing.assert_allclose(run.params[t + 1], replay.detach(), rtol=1e-4, atol=1e-6)


def test_kept_every_k_steps_the_last_snapshot_holds_the_gradient_its_update_used():
    module = Module(lr=0.05)
    rec, _ = fit(module, accumulate=1, clip=0.1, epochs=1, every=5)  # 12 steps: 0, 5, 10, 11
    run = rec.to_run()
    assert list(run.step) == [0, 5, 10, 11]
    assert (np.linalg.norm(run.grads, axis=1) <= 0.1 + 1e-6).all()
    final = torch.nn.utils.parameters_to_vector(module.parameters()).detach().double().numpy()
    np.testing.assert_allclose(final, run.params[-1] - 0.05 * run.grads[-1], rtol=1e-5, atol=1e-7)


def watch_live(monkeypatch) -> list[tuple[int, float]]:
    """Every update of the live view, as (steps so far, the loss it shows), in a terminal that
    updates at every record."""
    shown = []
    monkeypatch.setattr(sys, "stderr", Terminal())  # where the live line shows
    monkeypatch.setattr(live, "TERMINAL_RATE", 1e9)
    monkeypatch.setattr(live, "RATE", 1e9)
    monkeypatch.setattr(live.Live, "tick", lambda self, n, loss, _: shown.append((n, loss[n - 1])))
    return shown


def test_live_inside_lightning_shows_each_step_s_own_loss(monkeypatch):
    # The callback records a step before its loss is known (the loss of its accumulated
    # micro-batches comes later): the live view showed nan at every step.
    shown = watch_live(monkeypatch)
    rec, _ = fit(Module(), live=True)
    run = rec.to_run()
    assert [n for n, _ in shown] == list(range(1, len(run.loss) + 1))
    np.testing.assert_array_equal([v for _, v in shown], run.loss)


def test_live_inside_a_trainer_shows_each_step_s_own_loss(tmp_path, monkeypatch):
    shown = watch_live(monkeypatch)
    rec, _, _ = hf_fit(tmp_path, live=True)
    run = rec.to_run()
    assert [n for n, _ in shown] == list(range(1, len(run.loss) + 1))
    np.testing.assert_array_equal([v for _, v in shown], run.loss)


# -- skorch ------------------------------------------------------------------------------------------


def skorch_fit(*, optimizer=torch.optim.SGD, lr=0.05, clip=None, epochs=2, split=None, **options):
    skorch = pytest.importorskip("skorch")
    rec = gdviz.callbacks.Skorch(**options)
    callbacks = [rec]
    if clip is not None:  # after the recorder: the snapshot holds the gradient before clipping
        callbacks.append(skorch.callbacks.GradientNormClipping(gradient_clip_value=clip))
    torch.manual_seed(0)
    net = skorch.NeuralNetRegressor(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)),
        optimizer=optimizer, lr=lr, max_epochs=epochs, batch_size=8, train_split=split,
        iterator_train__shuffle=False, callbacks=callbacks, verbose=0,
    )  # fmt: skip
    net.fit(X.numpy(), Y.numpy()[:, None])
    return rec, net


def test_a_skorch_fit_is_recorded_step_for_step(tmp_path):
    rec, net = skorch_fit()
    run = rec.to_run()
    assert len(run.loss) == 2 * 96 // 8  # a step a batch
    np.testing.assert_allclose(
        np.diff(run.params, axis=0), -0.05 * run.grads[:-1], rtol=1e-5, atol=1e-7
    )
    final = torch.nn.utils.parameters_to_vector(net.module_.parameters()).detach().double()
    np.testing.assert_allclose(final, run.params[-1] - 0.05 * run.grads[-1], rtol=1e-5, atol=1e-7)
    # each step's loss: its batch's mean squared error at the step's starting parameters
    probe = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    for t in (0, 7, 23):
        torch.nn.utils.vector_to_parameters(torch.tensor(run.params[t], dtype=torch.float32),
                                            probe.parameters())  # fmt: skip
        k = t % 12
        with torch.no_grad():
            want = torch.nn.functional.mse_loss(
                probe(X[8 * k : 8 * k + 8]), Y[8 * k : 8 * k + 8, None]
            )
        assert run.loss[t] == pytest.approx(float(want), rel=1e-5)
    # skorch's own record of each batch's loss
    said = [b["train_loss"] for epoch in net.history for b in epoch["batches"]]
    np.testing.assert_allclose(run.loss, said, rtol=1e-6)
    planed = rec.to_run(model=net.module_, loss=torch.nn.functional.mse_loss,
                        data=(X, Y[:, None]), resolution=9)  # fmt: skip
    for view in ("contour", "dashboard"):
        gdviz.animate(planed, view=view, frames=4).save(tmp_path / f"{view}.png")


def test_a_skorch_fit_keeps_torch_s_adam_state_and_the_gradient_before_clipping():
    rec, _ = skorch_fit(optimizer=torch.optim.Adam, lr=0.01, clip=0.1, epochs=1)
    run = rec.to_run()
    replay = torch.nn.Parameter(torch.tensor(run.params[0], dtype=torch.float64))
    adam = torch.optim.Adam([replay], lr=0.01)
    for t in range(len(run.loss) - 1):  # the gradients the updates used, through torch's Adam
        replay.grad = torch.tensor(run.grads[t])
        adam.step()
        np.testing.assert_allclose(
            run.state["exp_avg"][t + 1], adam.state[replay]["exp_avg"], rtol=1e-5, atol=1e-9
        )
        np.testing.assert_allclose(run.params[t + 1], replay.detach(), rtol=1e-5, atol=1e-6)
    used = np.linalg.norm(run.grads, axis=1)
    before = np.linalg.norm(run.state["grad_before_clipping"], axis=1)
    assert (used <= 0.1 + 1e-6).all() and (before > 0.1).any()


def test_live_inside_skorch_shows_each_step_s_own_loss(monkeypatch):
    shown = watch_live(monkeypatch)
    rec, _ = skorch_fit(live=True)
    run = rec.to_run()
    assert [n for n, _ in shown] == list(range(1, len(run.loss) + 1))
    np.testing.assert_array_equal([v for _, v in shown], run.loss)


def test_a_skorch_fit_with_a_validation_split_records_its_training_steps_alone():
    # Validation batches end too (on_batch_end with training=False): their losses are no step's.
    skorch = pytest.importorskip("skorch")
    rec, net = skorch_fit(split=skorch.dataset.ValidSplit(4, stratified=False))
    run = rec.to_run()
    assert len(run.loss) == 2 * (96 * 3 // 4) // 8  # 72 examples to train on, 9 steps an epoch
    said = [b["train_loss"] for epoch in net.history for b in epoch["batches"] if "train_loss" in b]
    assert len(said) == len(run.loss) and "valid_loss" in net.history[-1]
    np.testing.assert_allclose(run.loss, said, rtol=1e-6)


def test_a_skorch_step_that_runs_the_closure_again_is_its_first_evaluation():
    # L-BFGS runs skorch's closure several times a step (on_grad_computed each time) and skorch
    # reports the first evaluation's loss: the snapshot is that evaluation, at the parameters
    # the step started from, with the gradient there (it was the last evaluation's).
    rec, net = skorch_fit(optimizer=torch.optim.LBFGS, lr=0.5, epochs=1)
    run = rec.to_run()
    assert len(run.loss) == 96 // 8
    said = [b["train_loss"] for epoch in net.history for b in epoch["batches"]]
    np.testing.assert_allclose(run.loss, said, rtol=1e-6)
    torch.manual_seed(0)
    probe = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    start = torch.nn.utils.parameters_to_vector(probe.parameters()).detach().double().numpy()
    np.testing.assert_allclose(run.params[0], start, rtol=1e-6)  # the net's own initialisation
    for t in range(len(run.loss)):
        theta = torch.tensor(run.params[t], dtype=torch.float32)
        torch.nn.utils.vector_to_parameters(theta, probe.parameters())
        probe.zero_grad()
        loss = torch.nn.functional.mse_loss(probe(X[8 * t : 8 * t + 8]), Y[8 * t : 8 * t + 8, None])
        loss.backward()
        assert run.loss[t] == pytest.approx(float(loss), rel=1e-5)
        grad = torch.cat([p.grad.reshape(-1) for p in probe.parameters()]).double().numpy()
        np.testing.assert_allclose(run.grads[t], grad, rtol=1e-4, atol=1e-7)


def test_no_callback_shows_a_live_view_unless_asked(monkeypatch):
    shown = watch_live(monkeypatch)
    fit(Module(), epochs=1)
    skorch_fit(epochs=1)
    assert shown == []


def test_a_trainer_whose_gradients_are_not_on_the_model_records_nan_and_says_so():
    # As under DeepSpeed or FSDP: the optimizer steps from gradients held elsewhere, and the
    # model's parameters hold none. Driven by hand as the Trainer calls the callback.
    pytest.importorskip("transformers")

    class Model(torch.nn.Module):  # a Hugging Face model's output: a loss among its fields
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x):
            return {"loss": ((self.lin(x)[:, 0] - Y) ** 2).mean()}

    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = gdviz.callbacks.Transformers()
    args = type("Args", (), {"max_grad_norm": 0.0, "world_size": 1})()
    rec.on_train_begin(args, None, None, model=model, optimizer=opt)
    losses = []
    with pytest.warns(RuntimeWarning, match="sharded by DeepSpeed or FSDP"):
        for _ in range(3):
            losses.append(float(model(X)["loss"].detach()))
            opt.step()  # no gradient on the parameters: they stay where they are
            rec.on_step_end(args, None, None)
    rec.on_train_end(args, None, None)
    run = rec.to_run()
    assert run.grads.shape == (3, 4) and np.isnan(run.grads).all()
    np.testing.assert_allclose(run.loss, losses, rtol=1e-6)
