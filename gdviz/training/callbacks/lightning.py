"""`Lightning`: records a PyTorch Lightning fit, one snapshot per optimizer step.

    trainer = lightning.Trainer(callbacks=[rec := gdviz.callbacks.Lightning()], ...)
    trainer.fit(model, loader)
    run = rec.to_run(model=model, loss=loss_fn, data=loader)

Where each number comes from: the parameters, the gradient and the optimiser's state from
``on_before_optimizer_step``, which Lightning calls once the step's closure has run (the
gradients accumulated and, under AMP, unscaled) and before it clips them; the gradient the update
used from the optimizer's post-step hook, where clipping changed it (`steps.StepRecorder`); the
loss from ``on_train_batch_end``, whose ``outputs["loss"]`` is each micro-batch's loss divided by
``accumulate_grad_batches``: the step's loss is their mean.
"""

from __future__ import annotations

try:  # the unified package, or the older standalone one
    from lightning.pytorch import Callback
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        from pytorch_lightning import Callback
    except ImportError:
        from gdviz.errors import GdvizError

        raise GdvizError(
            "gdviz.callbacks.Lightning needs PyTorch Lightning: pip install 'gdviz[lightning]'"
        ) from None

import torch

from gdviz.errors import warn
from gdviz.training.callbacks.steps import StepRecorder


class Lightning(Callback):
    """Record a Lightning fit as `gdviz.Recorder` records a loop: one snapshot per optimizer
    step (``every``, ``dtype`` and ``live`` as for `Recorder`); `to_run` takes what
    `Recorder.to_run` takes. The first optimizer is recorded where a module has several."""

    def __init__(self, *, every: int = 1, dtype=None, live: bool = False):
        super().__init__()
        self.steps = StepRecorder(every=every, dtype=dtype, live=live)

    def on_fit_start(self, trainer, pl_module) -> None:
        optimizers = trainer.optimizers
        if not optimizers:
            warn("the Lightning module has no optimizer: nothing to record", RuntimeWarning)
            return
        if len(optimizers) > 1:
            warn(
                f"the module has {len(optimizers)} optimizers: gdviz records the first",
                RuntimeWarning,
            )
        optimizer = optimizers[0]
        optimizer = getattr(optimizer, "optimizer", optimizer)  # a LightningOptimizer's own
        self.steps.attach(pl_module, optimizer)

    def on_fit_end(self, trainer, pl_module) -> None:
        self.steps.detach()

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        # After the closure (forward and backward, inside optimizer.step), accumulation and
        # AMP's unscaling; before clipping and the update.
        self.steps.take()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        value = None
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            value = float(loss.detach()) * trainer.accumulate_grad_batches  # undo Lightning's /k
        self.steps.loss(value, last=self.steps.taken)

    def to_run(self, **kwargs):
        """The recording as a `Run`: see `gdviz.Recorder.to_run`."""
        return self.steps.to_run(**kwargs)

    def __len__(self) -> int:
        return 0 if self.steps.recorder is None else len(self.steps.recorder)
