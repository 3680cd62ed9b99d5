"""What a network predicts over its input space, at chosen snapshots, for the fit view.

One input column: the fitted curve (or a classifier's probabilities) over the data's range.
Two: the same over a grid of the input plane, the decision regions of a classifier. Computed
with torch at training time and stored in the run (``run.extras``), as the fit view cannot run
the network. Long runs keep a budget of numbers, at snapshots spread like the animation's frames.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gdviz.errors import warn
from gdviz.run.frames import pick_steps
from gdviz.run.landscape import Predictions
from gdviz.run.plane import padded
from gdviz.run.record import Run
from gdviz.training.landscape import Evaluator, FlatModule

CURVE_POINTS = 200
REGION_SIDE = 64
BUDGET = 4_000_000  # numbers stored per run: 32 MB of float64, 16 MB as stored (float32)

TASKS = ("regression", "binary", "multiclass")


def task_of(loss) -> tuple[str, str]:
    """What a network's outputs mean under ``loss`` (a name or a callable): the task, and how
    to read the outputs.

    ``how`` turns raw outputs into what the fit view draws: ``"raw"`` (regression),
    ``"sigmoid"`` (one logit), ``"softmax"`` (one logit per class), ``"exp"`` (log-probabilities)
    or ``"probability"`` (already probabilities).
    """
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    name = name.lower().replace("_", "")
    if name in ("crossentropy", "crossentropyloss"):
        return "multiclass", "softmax"
    if name in ("nllloss", "nll"):
        return "multiclass", "exp"
    if name in ("bce", "bcewithlogitsloss", "binarycrossentropywithlogits"):
        return "binary", "sigmoid"
    if name in ("bceloss", "binarycrossentropy"):
        return "binary", "probability"
    return "regression", "raw"


def _reader(how: str):
    return {
        "raw": lambda o: o,
        "sigmoid": torch.sigmoid,
        "softmax": lambda o: torch.softmax(o, dim=-1),
        "exp": torch.exp,
        "probability": lambda o: o,
    }[how]


def attach(
    run: Run,
    forward: FlatModule,
    *,
    how: str,
    input_shape: tuple[int, ...] | None = None,
    inputs_of: Callable[[np.ndarray], np.ndarray] | None = None,
    outputs_of: Callable[[torch.Tensor], torch.Tensor] | None = None,
    numeric_inputs: bool = True,
) -> None:
    """Store the network's outputs over the input space in ``run.extras``.

    One input column: ``curve_x`` (G,), ``curve`` (S', G, C) and ``curve_step`` (S',). Two:
    ``region_x``, ``region_y`` (G,), ``region`` (S', G, G, C) and ``region_step``. ``C`` is one
    (a regression's value, a binary classifier's probability of class 1) or the number of
    classes. Inputs of more columns have no picture in input space: nothing is stored.
    ``input_shape`` is the shape of one input as the network takes it (default: as in ``run.x``).
    ``inputs_of`` and ``outputs_of`` translate between the data's units and the network's, for
    a network trained on standardised data. Inputs that are indices (``numeric_inputs=False``,
    an embedding's) have no grid between them: nothing is stored.
    """
    x = np.asarray(run.x, dtype=float)
    columns = 1 if x.ndim == 1 else int(np.prod(x.shape[1:]))
    if columns > 2 or len(x) == 0 or not numeric_inputs:
        return  # no picture in input space (or inputs that are indices, not coordinates)
    x = x.reshape(len(x), columns)
    side = CURVE_POINTS if columns == 1 else REGION_SIDE
    axes = [np.linspace(*padded(float(c.min()), float(c.max())), side) for c in x.T]
    grid = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, columns)
    shape = run.x.shape[1:] if input_shape is None else tuple(input_shape)
    fed = grid if inputs_of is None else inputs_of(grid)
    inputs = torch.as_tensor(fed, dtype=forward.dtype, device=forward.device)
    inputs = inputs.reshape(len(grid), *shape)
    read = _reader(how)

    def outputs(flat):
        out = read(forward(flat, inputs)).reshape(len(grid), -1)
        if outputs_of is not None:
            out = outputs_of(out)
        if how in ("sigmoid", "probability") or (how == "softmax" and out.shape[1] == 2):
            out = out[:, -1:]  # a binary classifier: the probability of class 1
        return out

    final = torch.as_tensor(run.params[-1], dtype=forward.dtype, device=forward.device)
    try:
        # In eval mode, as every evaluation here: in training mode a batch-norm layer would
        # move its running statistics (the user's own model's, and the values stored below).
        with forward.evaluating(), torch.no_grad():
            probe = outputs(final)
    except Exception as exc:  # a network whose outputs are not one tensor of numbers, say
        warn(
            f"the fit view will not show this network: its outputs over a grid of inputs cannot "
            f"be read ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})",
            UserWarning,
        )
        return
    per_step = probe.numel()
    steps = np.arange(len(run.params))
    if len(steps) * per_step > BUDGET:
        steps = pick_steps([run], max(2, BUDGET // per_step))
    with forward.evaluating():
        values = Evaluator(outputs, dtype=forward.dtype, size=len(grid))(run.params[steps])
    stored = [len(steps), *[len(a) for a in axes][::-1], values.shape[-1]]
    Predictions(
        kind="curve" if columns == 1 else "region",
        values=values.reshape(stored).astype(np.float32),
        step=steps,
        x=axes[0],
        y=axes[1] if columns == 2 else None,
    ).store(run.extras)
