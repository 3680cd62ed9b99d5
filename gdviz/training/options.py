"""`Options`: what `gdviz.train` was asked for, one frozen object that `Session` and `sweep`
take whole (the keywords are declared once, here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gdviz.errors import flag, one_of, whole
from gdviz.run.plane import KINDS as PLANES


@dataclass(frozen=True, eq=False)
class Options:
    """`gdviz.train`'s keywords (see its docstring for each), checked where they need no data.

    ``optimizer_options`` holds the keywords `train` does not know, passed to the `torch.optim`
    optimiser (``betas=...``, ``weight_decay=...``).
    """

    model: Any = None
    loss: Any = None
    optimizer: str | None = None
    lr: Any = None
    steps: Any = None
    init: Any = None
    seed: int | None = None
    zero_grad: bool = True
    names: Any = None
    box: Any = None
    plane: str = "pca"
    hidden: Any = None
    standardize: bool = False
    batch_size: Any = None
    schedule: str | None = None
    every: int = 1
    curvature: bool = False
    optimizer_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.seed is not None:
            object.__setattr__(self, "seed", whole(self.seed, "seed", minimum=0))
        object.__setattr__(self, "zero_grad", flag(self.zero_grad, "zero_grad"))
        one_of(self.plane, PLANES, "plane")
        object.__setattr__(self, "standardize", bool(self.standardize))
        object.__setattr__(self, "every", whole(self.every, "every", minimum=1))
        object.__setattr__(self, "curvature", flag(self.curvature, "curvature"))
        object.__setattr__(self, "optimizer_options", dict(self.optimizer_options))

    @classmethod
    def of(cls, **keywords) -> Options:
        """Options from `train`'s keywords, those it does not know going to the optimiser."""
        known = {f.name for f in fields(cls)} - {"optimizer_options"}
        mine = {k: v for k, v in keywords.items() if k in known}
        rest = {k: v for k, v in keywords.items() if k not in known}
        return cls(**mine, optimizer_options=rest)

    def but(self, **changes) -> Options:
        """A copy with ``changes`` (checked again)."""
        return replace(self, **changes)
