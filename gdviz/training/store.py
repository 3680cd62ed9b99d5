"""What the views cannot compute without torch, computed once at training time and stored in
the runs: the loss landscape (`gdviz.training.landscape`) and a network's predictions over its
inputs (`gdviz.training.predictions`). One path for `train`, `sweep` and `Recorder.to_run`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gdviz.errors import warn
from gdviz.run.plane import Plane
from gdviz.run.record import Run
from gdviz.training import landscape, predictions
from gdviz.training.landscape import Evaluator, FlatModule
from gdviz.training.landscape.data import Batches
from gdviz.training.landscape.mean import DataLoss
from gdviz.training.landscape.schedule import digest, group
from gdviz.training.landscape.solutions import state, work
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
    loss_at: Callable[[torch.Tensor], torch.Tensor] | DataLoss,
    *,
    size: int = 1,
    plane: str,
    box,
    seed: int,
    network: Network | None = None,
    resolution: int | None = None,
    normalization: str | None = "filter",
    bn: str = "eval",
    sampling: tuple[int | None, int | None] = (None, None),
    cache=None,
    weights: str = "",
) -> None:
    """Store one shared loss landscape in ``runs`` (drawn together), from ``loss_at`` (the loss
    of a flat parameter vector, over ``size`` examples, or a ready `DataLoss`), and each run's
    predictions where the loss is a ``network``'s (evaluated in eval mode, the network left as it
    was; its batch norm layers as ``bn`` says)."""
    if network is None:
        evaluate = Evaluator(loss_at, size=size)
        landscape.attach(runs, evaluate, plane=plane, box=box, seed=seed, resolution=resolution)
        return
    forward = network.forward
    evaluate = loss_at
    if not isinstance(loss_at, DataLoss):
        evaluate = Evaluator(loss_at, dtype=forward.dtype, device=forward.device, size=size)
    with forward.evaluating(bn):
        landscape.attach(
            runs,
            evaluate,
            plane=plane,
            shapes=forward.shapes,
            box=box,
            seed=seed,
            on_plane=network.on_plane,
            resolution=resolution,
            normalization=normalization,
            sampling=sampling,
            cache=cache,
            weights=weights,
        )
    said = forward.statistics(bn, final=True)
    if said is not None:
        for run in runs:  # said on the picture: which statistics every point used
            run.meta["batch_norm"] = said
    for run in runs:
        if run.x is None:
            continue  # data from a loader: no picture in input space
        predictions.attach(
            run,
            forward,
            how=network.how,
            input_shape=network.input_shape,
            inputs_of=network.inputs_of,
            outputs_of=network.outputs_of,
            numeric_inputs=network.numeric_inputs,
        )


def describe_module(run, forward, batches, loss, loss_fn, *, knobs, plane, box, cache=None) -> None:
    """Store a recorded network's landscape and predictions in ``run`` (`Recorder.to_run`),
    after checking that the model takes the data (``batches``: `Batches`) and that the loss
    (``loss_fn``, named ``loss``) gives one number, and warning where, on data held whole, it
    differs from the one recorded. ``knobs`` (`Knobs`) hold the grid's settings."""
    task, how = task_of(loss)
    whole_data = batches.in_memory and batches.samples is None
    x, y = batches.first() if batches.in_memory else (None, None)
    if isinstance(x, dict):  # keyword inputs (a Hugging Face batch): no picture in input space,
        x, y = None, None  # and the loss recorded is a training batch's, not all of the data's
        whole_data = False
    if task == "multiclass" and y is not None and y.is_floating_point() and y.ndim == 1:
        y = y.long()  # class labels given as floats
        batches = Batches.of((x, y), device=forward.device, dtype=forward.dtype)
    loss_of = knobs.loss(forward, loss_fn, batches)
    value = loss_of.check(run.params[-1])
    recorded = run.loss[-1]
    if whole_data and not np.isclose(
        value, recorded, rtol=1e-3, atol=1e-6 * max(1.0, abs(recorded))
    ):
        warn(
            f"the loss computed from model, loss, x and y at the last snapshot ({value:.6g}) "
            f"differs from the loss recorded there ({recorded:.6g}): the landscape shows the "
            "former (dropout or batch norm in training mode, or other data or loss?)",
            UserWarning,
        )
    if task != "regression":
        if run.y is not None:
            classes = int(np.nanmax(run.y)) + 1
        else:
            classes = loss_of.outputs
        run.meta.update(task=task, classes=max(2, classes))
    shortcut = None  # not with a cache or several processes: those the evaluator keeps
    if x is not None and whole_data and knobs.bn == "eval" and cache is None and group() is None:
        shortcut = landscape.first_layer_shortcut(forward, loss_fn, x, y)
    network = Network(
        forward=forward,
        how=how,
        input_shape=tuple(x.shape[1:]) if x is not None else (),
        on_plane=shortcut,
        numeric_inputs=x is None or x.is_floating_point(),
    )
    store(
        [run],
        loss_of,
        plane=plane,
        box=box,
        seed=knobs.seed,
        network=network,
        resolution=knobs.resolution,
        normalization=knobs.normalization,
        bn=knobs.bn,
        sampling=(batches.samples, batches.total),
        cache=cache,
        weights=digest(run.params[-1], state(forward.module)),
    )
    run.meta["evaluation"] = work(loss_of)
