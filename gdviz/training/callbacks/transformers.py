"""`Transformers`: records a Hugging Face `Trainer` fit, one snapshot per optimizer step.

    rec = gdviz.callbacks.Transformers()
    Trainer(model=model, args=args, train_dataset=data, callbacks=[rec]).train()
    run = rec.to_run()
    run = rec.to_run(model=model, plane="pca")  # with the loss over the plane of the path

Where each number comes from: the parameters, the gradient and the optimiser's state from the
torch optimizer's pre-step hook, which runs once the gradients are accumulated and, under AMP,
unscaled, and after the Trainer clipped them (it clips before any callback sees them: the
gradients before clipping are not recorded, and a warning says so when ``max_grad_norm`` is set);
the loss from a forward hook on the model, each training micro-batch's ``outputs.loss``: the
step's loss is their mean (`on_pre_optimizer_step` gets no loss). Where the gradients are not on
the parameters (sharded by DeepSpeed or FSDP), the snapshot's gradient is nan, and a warning says
so.

The loss plane (`to_run` with ``model=``) averages the model's own loss (``outputs.loss``) over
the dict batches of ``data``, or, without ``data``, of the loader the Trainer trained on: its
shuffled passes hold the same examples each time, so their mean is the same.
"""

from __future__ import annotations

try:
    from transformers import TrainerCallback
except ImportError:  # pragma: no cover - depends on what is installed
    from gdviz.errors import GdvizError

    raise GdvizError(
        "gdviz.callbacks.Transformers needs transformers: pip install 'gdviz[transformers]'"
    ) from None

import torch

from gdviz.errors import GdvizError, warn
from gdviz.training.callbacks.steps import StepRecorder


class Transformers(TrainerCallback):
    """Record a `transformers.Trainer` fit as `gdviz.Recorder` records a loop: one snapshot per
    optimizer step (``every``, ``dtype`` and ``live`` as for `Recorder`); `to_run` takes what
    `Recorder.to_run` takes."""

    def __init__(self, *, every: int = 1, dtype=None, live: bool = False):
        self.steps = StepRecorder(every=every, dtype=dtype, live=live)
        self._hook = None
        self._loader = None  # the Trainer's train_dataloader: to_run's data where none is given
        self._args = None

    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        self._loader, self._args = kwargs.get("train_dataloader"), args
        inner = getattr(optimizer, "optimizer", optimizer)  # accelerate's wrapper's own
        if model is None or not isinstance(inner, torch.optim.Optimizer):
            warn("the Trainer gave no model or optimizer: nothing to record", RuntimeWarning)
            return
        self.steps.attach(model, inner, pre=True, sharded_grads=True)
        if self._hook is not None:
            self._hook.remove()
        self._hook = model.register_forward_hook(self._forward)
        if getattr(args, "max_grad_norm", 0):
            warn(
                f"the Trainer clips gradients (max_grad_norm={args.max_grad_norm:g}) before any "
                "callback sees them: run.grads are the gradients the updates used, and those "
                "before clipping are not recorded",
                RuntimeWarning,
            )

    def _forward(self, module, inputs, output) -> None:
        if not module.training:
            return  # an evaluation's forward pass, not a training step's
        loss = output.get("loss") if hasattr(output, "get") else getattr(output, "loss", None)
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            self.steps.loss(float(loss.detach()), last=False)

    def on_step_end(self, args, state, control, **kwargs):
        self.steps.loss(None, last=True)

    def on_train_end(self, args, state, control, **kwargs):
        self.steps.detach()
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def to_run(self, **kwargs):
        """The recording as a `Run`: see `gdviz.Recorder.to_run`.

        With ``model=`` (the model trained), the loss over the ``plane`` is the mean over every
        example of ``data`` (dict batches, a Hugging Face ``DataLoader``), each batch's loss the
        model's own (``model(**batch).loss``) where no ``loss=`` is given, batches weighted by
        their examples. Without ``data`` (nor ``x``, ``y``), the data is the loader the Trainer
        trained on, where one pass over it holds every example once (one process, no
        ``dataloader_drop_last``, a dataset of known length); else it must be given.
        """
        if kwargs.get("model") is not None and all(
            kwargs.get(k) is None for k in ("data", "x", "y")
        ):
            kwargs["data"] = self._trained_on()
        return self.steps.to_run(**kwargs)

    def _trained_on(self):
        """The Trainer's own loader, where a pass over it is a pass over every example."""
        loader, args = self._loader, self._args
        if loader is None:
            raise GdvizError(
                "no data: the Trainer gave the callback no train_dataloader, so pass data="
            )
        if getattr(args, "world_size", 1) > 1:
            raise GdvizError(
                f"no data: the Trainer's loader gives each of its {args.world_size} processes a "
                "share of the examples, so pass data= (all of them)"
            )
        if getattr(args, "dataloader_drop_last", False):
            raise GdvizError(
                "no data: the Trainer's loader drops a last incomplete batch "
                "(dataloader_drop_last), so a shuffled pass misses other examples each time: "
                "pass data="
            )
        dataset = getattr(loader, "dataset", None)
        if isinstance(dataset, torch.utils.data.IterableDataset) or not hasattr(dataset, "__len__"):
            raise GdvizError(
                "no data: the Trainer trained on an iterable dataset, whose passes may not "
                "end or hold the same examples: pass data="
            )
        return loader

    def __len__(self) -> int:
        return 0 if self.steps.recorder is None else len(self.steps.recorder)
