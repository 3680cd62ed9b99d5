"""Typed, read-only views of a run's metadata: what was minimised (`Problem`) and how it was
trained (`Training`).

The run file keeps the metadata as one JSON object (``run.meta``), as it always has: old files
load and new files are unchanged. These types say which keys exist and what they hold; the
trainer and the recorder build them and write them with ``to_meta``, the views read them as
``run.problem`` and ``run.training``. Keys a user adds of their own (``to_run(**meta)``) stay in
``run.meta`` only.
"""

from __future__ import annotations

import math
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
    class_names: tuple[str, ...] | None = None  # where the labels were given by name
    box: tuple[tuple[float, float], ...] | None = None  # the picture's region, given to train

    def __post_init__(self):
        # As tuples where they are lists (a file's JSON); anything else, a file from someone
        # else, stays as it is, for the reader to refuse in its own words.
        if isinstance(self.columns, list):
            object.__setattr__(self, "columns", tuple(self.columns))
        if isinstance(self.class_names, list):
            object.__setattr__(self, "class_names", tuple(self.class_names))
        if isinstance(self.box, list) and all(isinstance(b, (list, tuple)) for b in self.box):
            object.__setattr__(self, "box", tuple(tuple(b) for b in self.box))

    of = classmethod(_of)  # ``Problem.of(run.meta)``

    def to_meta(self) -> dict[str, Any]:
        out = _to_meta(self)
        if isinstance(self.box, tuple):
            out["box"] = [list(b) for b in self.box]
        return out

    @property
    def is_function(self) -> bool:
        return self.kind == "function"

    @property
    def function(self):
        """The `TestFunction` minimised: a named one, or a formula parsed again from its text;
        None for a fit to data or a Python callable (which only the trainer can evaluate)."""
        if not self.is_function:
            return None
        from gdviz.problems.functions import FUNCTIONS, formula  # parsed only when drawn

        if self.expression is not None:
            return formula(self.expression)
        return FUNCTIONS.get(self.source)


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
    # "final running statistics": a batch-norm network's landscape, every point evaluated with
    # the statistics the training ended with
    batch_norm: str | None = None
    # what run.sharpness holds: "hessian" (the Hessian's top eigenvalue) or "preconditioned"
    # (λ1(P⁻¹H), P the adaptive optimiser's preconditioner at that step)
    sharpness: str | None = None

    of = classmethod(_of)  # ``Training.of(run.meta)``

    def to_meta(self) -> dict[str, Any]:
        # train's runs say that no seed was given (null); a recording says nothing of one
        return _to_meta(self, keep=("seed",) if self.steps is not None else ())


# -- what a file from someone else may hold -----------------------------------------------------

TEXT = 1_000  # characters a name or a label may have
_TEXT = (
    "source", "kind", "title", "x_label", "y_label", "expression", "model", "formula", "loss",
    "task", "optimizer", "schedule", "plane", "label", "batch_norm", "sharpness",
)  # fmt: skip
_WHOLE = ("classes", "steps", "seed", "batch_size")
_MAPPING = ("standardized", "options", "torch_optimizer")


def _real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check(meta: Mapping[str, Any]) -> str | None:
    """What is wrong with ``meta`` for the keys `Problem` and `Training` read, as a phrase
    (``"has lr 'fast', not a number"``), or None. Keys of the user's own are not looked at,
    nor the settings inside ``torch_optimizer`` (the internals view uses those it can)."""

    def bad(key, expected):
        return f"has {key} {str(meta[key])[:40]!r}, not {expected}"

    for key in _TEXT:
        if key in meta and (not isinstance(meta[key], str) or len(meta[key]) > TEXT):
            return f"has a {key} that is not a string of at most {TEXT} characters"
    for key in _WHOLE:
        value = meta.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return bad(key, "a whole number")
    for key in _MAPPING:
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            return bad(key, "a mapping")
    if meta.get("lr") is not None and not (_real(meta["lr"]) and meta["lr"] > 0):
        return bad("lr", "a positive number")
    if meta.get("zero_grad") is not None and not isinstance(meta["zero_grad"], bool):
        return bad("zero_grad", "true or false")
    for key in ("columns", "class_names"):
        names = meta.get(key)
        if names is not None and not (
            isinstance(names, list) and all(isinstance(c, str) and len(c) <= TEXT for c in names)
        ):
            return bad(key, "a list of names")
    box = meta.get("box")
    if box is not None and not (
        isinstance(box, list)
        and box
        and all(
            isinstance(b, list) and len(b) == 2 and all(map(_real, b)) and b[0] < b[1] for b in box
        )
    ):
        return bad("box", "(lo, hi) pairs of numbers")
    return None
