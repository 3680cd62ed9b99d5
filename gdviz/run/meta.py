"""Typed, read-only views of a run's metadata: what was minimised (`Problem`) and how it was
trained (`Training`).

The run file keeps the metadata as one JSON object (``run.meta``), as it always has: old files
load and new files are unchanged. These types say which keys exist and what they hold; the
trainer and the recorder build them and write them with ``to_meta``, the views read them as
``run.problem`` and ``run.training``. Keys a user adds of their own (``to_run(**meta)``) stay in
``run.meta`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


def _of(cls, meta: Mapping[str, Any]):
    return cls(**{f.name: meta.get(f.name, f.default) for f in fields(cls)})


def _to_meta(obj, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields that are set (and those in ``keep``), in declaration order, as JSON values."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is not None or f.name in keep:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


@dataclass(frozen=True)
class Problem:
    """What was minimised: the data or function, the model and the loss.

    ``kind`` is ``"data"`` (a model fitted to data), ``"function"`` (a formula, a test function
    or a callable) or None (a loop of the user's own, told nothing). ``source`` names the preset,
    function, file or ``"data"``; ``model`` is a built-in name, ``"mlp"`` or ``"module"``, with
    ``formula`` its description; ``task`` and ``classes`` are set for classifiers only.
    """

    source: str | None = None
    kind: str | None = None
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    columns: tuple[str, ...] | None = None
    expression: str | None = None  # a formula's own text, to parse again when drawn
    standardized: dict | None = None  # the scaling the network was trained under
    model: str | None = None
    formula: str | None = None
    loss: str | None = None
    task: str | None = None
    classes: int | None = None
    box: tuple[tuple[float, float], ...] | None = None  # the picture's region, given to train

    def __post_init__(self):
        if self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.box is not None:
            object.__setattr__(self, "box", tuple(tuple(b) for b in self.box))

    of = classmethod(_of)  # ``Problem.of(run.meta)``

    def to_meta(self) -> dict[str, Any]:
        out = _to_meta(self)
        if self.box is not None:
            out["box"] = [list(b) for b in self.box]
        return out

    @property
    def is_function(self) -> bool:
        return self.kind == "function"


@dataclass(frozen=True)
class Training:
    """How it was trained: the optimiser and its settings.

    ``optimizer`` is gdviz's name (``"gd"``, ``"adam"``, ...) and ``options`` the keywords
    passed to it; ``torch_optimizer`` is what a recording told of a `torch.optim` optimiser
    (its class and ``defaults``); ``plane`` names the plane a landscape of three or more
    parameters was drawn on; ``label`` names the run in a race.
    """

    optimizer: str | None = None
    lr: float | None = None
    steps: int | None = None
    seed: int | None = None
    zero_grad: bool | None = None
    options: dict | None = None
    batch_size: int | None = None
    schedule: str | None = None
    torch_optimizer: dict | None = None
    plane: str | None = None
    label: str | None = None

    of = classmethod(_of)  # ``Training.of(run.meta)``

    def to_meta(self) -> dict[str, Any]:
        # train's runs say that no seed was given (null); a recording says nothing of one
        return _to_meta(self, keep=("seed",) if self.steps is not None else ())
