"""`Skorch`: records a skorch fit, one snapshot per optimizer step.

    net = skorch.NeuralNetRegressor(module, callbacks=[rec := gdviz.callbacks.Skorch()], ...)
    net.fit(X, y)
    run = rec.to_run(model=net.module_, loss=loss_fn, data=(X, y))

Where each number comes from: skorch steps its optimizer with a closure that runs the forward and
backward passes, then calls ``on_grad_computed`` before the update (the gradients final, the
parameters still those the step starts from): the snapshot is taken there, with torch.optim's
state; the gradient the update used from the optimizer's post-step hook, where a clipping
callback changed it (`steps.StepRecorder`); the loss from ``on_batch_end``, the loss of the
training batch at the step's starting parameters. An optimizer that runs the closure several times
a step (L-BFGS) is recorded at its first evaluation: the step's starting parameters, the gradient
there and the loss skorch reports (that evaluation's); a clipping callback's change to it is not
recorded then.
"""

from __future__ import annotations

try:
    from skorch.callbacks import Callback
except ImportError:  # pragma: no cover - depends on what is installed
    from gdviz.errors import GdvizError

    raise GdvizError("gdviz.callbacks.Skorch needs skorch: pip install 'gdviz[skorch]'") from None

import torch

from gdviz.training.callbacks.steps import StepRecorder


class Skorch(Callback):
    """Record a skorch fit as `gdviz.Recorder` records a loop: one snapshot per optimizer step
    (``every``, ``dtype`` and ``live`` as for `Recorder`); `to_run` takes what
    `Recorder.to_run` takes. The net's ``module_`` and ``optimizer_`` are recorded."""

    def __init__(self, *, every: int = 1, dtype=None, live: bool = False):
        self.every, self.dtype, self.live = every, dtype, live  # skorch's get_params reads these
        self.steps = StepRecorder(every=every, dtype=dtype, live=live)

    def on_train_begin(self, net, X=None, y=None, **kwargs) -> None:
        self.steps.attach(net.module_, net.optimizer_)

    def on_train_end(self, net, X=None, y=None, **kwargs) -> None:
        self.steps.detach()

    def on_grad_computed(self, net, named_parameters, X=None, y=None, training=False, **kwargs):
        if not training:
            return
        if self.steps.taken and not self.steps.stepped:  # the closure again, in the same step
            self.steps.again()
        else:  # inside the step's closure: the gradients final, before the update
            self.steps.take()

    def on_batch_end(self, net, batch=None, training=None, **kwargs) -> None:
        if not training:
            return
        loss = kwargs.get("loss")
        value = None
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            value = float(loss.detach())
        self.steps.loss(value, last=self.steps.taken)

    def to_run(self, **kwargs):
        """The recording as a `Run`: see `gdviz.Recorder.to_run`."""
        return self.steps.to_run(**kwargs)

    def __len__(self) -> int:
        return 0 if self.steps.recorder is None else len(self.steps.recorder)
