"""What the views cannot compute without torch, computed once at training time and stored in
the runs: the loss landscape (`gdviz.training.landscape`) and a network's predictions over its
inputs (`gdviz.training.predictions`). One path for `train`, `sweep` and `Recorder.to_run`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gdviz.errors import GdvizError, first_line, warn
from gdviz.run.plane import Plane
from gdviz.run.record import Run
from gdviz.training import landscape, predictions
from gdviz.training.landscape import Evaluator, FlatModule
from gdviz.training.predictions import task_of


@dataclass(frozen=True, eq=False)
class Network:
    """A network whose runs get predictions: how to run it on a flat parameter vector
    (``forward``), how to read its outputs (``how``, `predictions.task_of`), the shape of one
    input, and the maps between the data's units and the network's (standardised data)."""

    forward: FlatModule
    how: str
    input_shape: tuple[int, ...]
    on_plane: Callable[[Plane], Evaluator] | None = None  # a faster plane, where it exists
    inputs_of: Callable[[np.ndarray], np.ndarray] | None = None
    outputs_of: Callable[[torch.Tensor], torch.Tensor] | None = None
    numeric_inputs: bool = True  # False: indices (an embedding's), no grid between them


def store(
    runs: Sequence[Run],
    loss_at: Callable[[torch.Tensor], torch.Tensor],
    *,
    size: int,
    plane: str,
    box,
    seed: int,
    network: Network | None = None,
) -> None:
    """Store one shared loss landscape in ``runs`` (drawn together), from ``loss_at`` (the loss
    of a flat parameter vector, over ``size`` examples), and each run's predictions where the
    loss is a ``network``'s (evaluated in eval mode, the network left as it was)."""
    if network is None:
        evaluate = Evaluator(loss_at, size=size)
        landscape.attach(runs, evaluate, plane=plane, box=box, seed=seed)
        return
    forward = network.forward
    evaluate = Evaluator(loss_at, dtype=forward.dtype, device=forward.device, size=size)
    with forward.evaluating():
        landscape.attach(
            runs,
            evaluate,
            plane=plane,
            shapes=forward.shapes,
            box=box,
            seed=seed,
            on_plane=network.on_plane,
        )
    if _keeps_statistics(forward.module):
        for run in runs:  # said on the picture: every point used the statistics of the end
            run.meta["batch_norm"] = "final running statistics"
    for run in runs:
        predictions.attach(
            run,
            forward,
            how=network.how,
            input_shape=network.input_shape,
            inputs_of=network.inputs_of,
            outputs_of=network.outputs_of,
            numeric_inputs=network.numeric_inputs,
        )


def _keeps_statistics(module: torch.nn.Module) -> bool:
    """Whether the network normalises with running statistics (batch norm): in eval mode, as
    the landscape is computed, those of the end of training serve at every point."""
    return any(
        getattr(m, "track_running_stats", False) and getattr(m, "running_mean", None) is not None
        for m in module.modules()
    )


def describe_module(run, forward, x, y, loss, loss_fn, *, plane, box, seed) -> None:
    """Store a recorded network's landscape and predictions in ``run`` (`Recorder.to_run`),
    after checking that the model takes ``x`` and that the loss (``loss_fn``, named ``loss``)
    gives one number, and warning where it differs from the one recorded."""
    task, how = task_of(loss)
    if task == "multiclass" and y.is_floating_point() and y.ndim == 1:
        y = y.long()  # class labels given as floats
    x = x.to(forward.dtype) if x.is_floating_point() else x

    def loss_at(flat):
        value = loss_fn(forward(flat, x), y)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise GdvizError(
                f"the loss must give one number, but it gives {shape} "
                "(a loss with reduction='none'?)"
            )
        return value.reshape(())

    final = torch.as_tensor(run.params[-1], dtype=forward.dtype, device=forward.device)
    errors = (RuntimeError, ValueError, IndexError, TypeError)
    with forward.evaluating(), torch.no_grad():
        try:
            out = forward(final, x)
        except errors as exc:
            raise GdvizError(
                f"the model cannot take x (shape {tuple(x.shape)}): {first_line(exc)}"
            ) from None
        try:
            value = float(loss_at(final))
        except GdvizError:
            raise
        except errors as exc:
            raise GdvizError(
                f"the loss cannot be computed from the model's output (shape "
                f"{tuple(out.shape)}) and y (shape {tuple(y.shape)}): {first_line(exc)}"
            ) from None
    recorded = run.loss[-1]
    if not np.isclose(value, recorded, rtol=1e-3, atol=1e-6 * max(1.0, abs(recorded))):
        warn(
            f"the loss computed from model, loss, x and y at the last snapshot ({value:.6g}) "
            f"differs from the loss recorded there ({recorded:.6g}): the landscape shows the "
            "former (dropout or batch norm in training mode, or other data or loss?)",
            UserWarning,
        )
    if task != "regression":
        labels = run.y
        run.meta.update(task=task, classes=max(2, int(np.nanmax(labels)) + 1))
    network = Network(
        forward=forward,
        how=how,
        input_shape=tuple(x.shape[1:]),
        on_plane=landscape.first_layer_shortcut(forward, loss_fn, x, y),
        numeric_inputs=x.is_floating_point(),
    )
    store([run], loss_at, size=len(x), plane=plane, box=box, seed=seed, network=network)
