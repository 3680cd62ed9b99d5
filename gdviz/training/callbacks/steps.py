"""What both callbacks share: a `Recorder` fed once per optimizer step, from a hook on the
optimizer's own ``step`` (`torch.optim.Optimizer.register_step_pre_hook`).

That hook runs where the update is about to use the gradients, whatever the framework did before:
accumulated over micro-batches, unscaled under AMP, clipped. So each snapshot holds the
parameters the step started from and the gradient it used, with the optimiser's state and rate;
a step that AMP's scaler skips (gradients not finite) never calls ``step`` and records nothing.
Where clipping changed a gradient, the gradient before it is kept too (``run.state
["grad_before_clipping"]``). The step's loss is known to the framework later than its update:
it is amended into the snapshot when it arrives (`StepRecorder.loss`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gdviz.errors import GdvizError, warn
from gdviz.training.recorder import Recorder

CLIPPED = "grad_before_clipping"


class StepRecorder:
    """A `Recorder` of ``module``, a snapshot per step of ``optimizer``.

    `take` records the parameters the step starts from, the gradients as they stand and the
    optimiser's state (the loss to come, `loss`); the optimizer's post-step hook then compares
    the gradients the update used with those recorded: where clipping changed them, the
    snapshot keeps the ones used and the ones before in ``state["grad_before_clipping"]``. A
    step taken that the optimizer never made (AMP's scaler skips one whose gradients are not
    finite) is dropped.
    """

    def __init__(self, *, every: int = 1, dtype=None, live: bool = False):
        self.options = {"every": every, "dtype": dtype or "float64", "live": live}
        self.recorder: Recorder | None = None
        self.parts: list[float] = []  # the losses of the micro-batches of this step
        self.taken = False  # a snapshot was taken for the step under way
        self.stepped = False  # ... and the optimizer made the step
        self._before: np.ndarray | None = None  # the gradients at `take` (None: see `again`)
        self.missing: list[str] = []
        self._hooks: list = []
        self.sharded_grads = False

    def attach(
        self,
        module: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        pre: bool = False,
        sharded_grads: bool = False,
    ):
        """Record ``module`` as ``optimizer`` steps; ``pre``: take each snapshot in the
        optimizer's pre-step hook (a framework that steps without a closure, its gradients
        final by then); ``sharded_grads``: a step whose parameters hold no gradient at all
        (they live elsewhere: DeepSpeed, FSDP) records nan, and says so, rather than zero."""
        self.sharded_grads = sharded_grads
        if self.recorder is None:
            self.recorder = Recorder(module, optimizer=optimizer, **self.options)
            self.recorder._loss_later = True  # the live view waits for it: `loss`
        else:
            self.recorder._optimizer = optimizer  # a fit resumed with a new optimiser
        self.detach()
        if pre:
            self._hooks.append(optimizer.register_step_pre_hook(lambda *_: self.take()))
        self._hooks.append(optimizer.register_step_post_hook(lambda *_: self._stepped()))

    def detach(self) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def take(self) -> None:
        """Record the step about to be made: its starting parameters, gradients and state."""
        if self.taken and not self.stepped:
            self._drop()  # the last one taken was never made
        self.recorder.record(math.nan)  # the loss comes later: `loss`
        self._before = self._grads()
        self.taken, self.stepped = True, False
        rec, rows = self.recorder, self.recorder._rows
        if self.sharded_grads and all(t.grad is None for t in rec._tensors):
            rows.grads[rows.last_row()] = math.nan
            self._say(
                "the gradients are not on the model's parameters (sharded by DeepSpeed or FSDP?): "
                "run.grads holds nan there"
            )

    def again(self) -> None:
        """The step under way ran its closure again after `take` (L-BFGS evaluates it several
        times a step): the snapshot stays the first evaluation's, at the parameters the step
        started from, its gradient as computed there (no later one is compared with the update's)."""
        if self.taken and not self.stepped:
            self._before = None

    def _grads(self) -> np.ndarray:
        return np.concatenate(
            [
                np.zeros(t.numel()) if t.grad is None
                else t.grad.detach().to("cpu", torch.float64).numpy().reshape(-1)
                for t in self.recorder._tensors
            ]
        )  # fmt: skip

    def _stepped(self) -> None:
        if not self.taken:
            return
        self.stepped = True
        if self._before is None:  # evaluated again (`again`): the first evaluation stays
            return
        rows = self.recorder._rows
        row = rows.last_row()  # kept, or the run's last snapshot if it ends here
        used = self._grads()
        if CLIPPED not in rows.state and np.array_equal(used, self._before):
            return
        fresh = CLIPPED not in rows.state
        kept = rows.state_of(CLIPPED)
        if fresh:  # the earlier steps were not clipped: their gradients as they were
            kept[:row] = rows.grads[:row]
        kept[row] = self._before
        rows.grads[row] = used

    def _drop(self) -> None:
        self.recorder._rows.drop_last()
        self.taken = False

    def loss(self, value: float | None, *, last: bool) -> None:
        """One micro-batch's loss (None: the framework gave none); with ``last``, the step's
        micro-batches are done: their mean is the loss of the snapshot the step took."""
        if value is not None:
            self.parts.append(float(value))
        if not last:
            return
        if self.taken and not self.stepped:
            self._drop()  # skipped by the optimizer (AMP): no step, no snapshot
        elif self.taken:
            rows = self.recorder._rows
            if self.parts:
                rows.loss[rows.n - 1] = float(np.mean(self.parts))
                self.recorder._tick()
            else:
                self._say(
                    "the loss of a step never reached the callback: a run needs each step's "
                    "loss, so to_run will refuse"
                )
        self.parts, self.taken, self.stepped = [], False, False

    def _say(self, what: str) -> None:
        """Warn of ``what`` the framework hides, once."""
        if what not in self.missing:
            self.missing.append(what)
            warn(what, RuntimeWarning)

    def to_run(self, **kwargs):
        if self.recorder is None or len(self.recorder) == 0:
            raise GdvizError("nothing was recorded: train with the callback first")
        rec = self.recorder
        losses = rec._rows.loss[: rec._rows.n]
        if np.isnan(losses).all():
            raise GdvizError(
                "no step's loss reached the callback, so there is no run to draw: return the "
                "loss from training_step (Lightning) or let the model compute it (Transformers)"
            )
        unknown = int(np.isnan(losses).sum())
        if unknown:
            raise GdvizError(
                f"the loss of {unknown} of {len(losses)} steps never reached the callback: "
                "a run needs each step's loss"
            )
        return rec.to_run(**kwargs)
