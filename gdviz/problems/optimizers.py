"""The optimisers gdviz knows by name (torch-free, so the CLI can list them without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OptimizerSpec:
    """A name for `torch.optim.<cls>` with fixed options, or ``cls=None`` for the hand-written step."""

    name: str
    cls: str | None
    options: dict[str, Any] = field(default_factory=dict)
    # Learning rate relative to plain gradient descent's, for races with no --lr: momentum 0.9
    # multiplies the effective step by ten, so it gets a tenth; adaptive methods take steps
    # of about lr in parameter units whatever the gradient, so they get a fixed rate instead.
    gd_factor: float | None = 1.0
    fixed_lr: float | None = None
    state: int = 0  # arrays of its state recorded per snapshot (torch's per-parameter entries)


OPTIMIZERS = {
    o.name: o
    for o in (
        OptimizerSpec("gd", None),
        OptimizerSpec("sgd", "SGD"),
        OptimizerSpec("momentum", "SGD", {"momentum": 0.9}, gd_factor=0.1, state=1),
        OptimizerSpec(
            "nesterov", "SGD", {"momentum": 0.9, "nesterov": True}, gd_factor=0.1, state=1
        ),
        OptimizerSpec("adagrad", "Adagrad", gd_factor=None, fixed_lr=0.5, state=2),
        OptimizerSpec("rmsprop", "RMSprop", gd_factor=None, fixed_lr=0.01, state=2),
        OptimizerSpec("adam", "Adam", gd_factor=None, fixed_lr=0.1, state=3),
        OptimizerSpec("adamw", "AdamW", gd_factor=None, fixed_lr=0.1, state=3),
        # torch's Muon for the weight matrices, paired with AdamW for the rest (biases, vectors)
        # at the rates torch's documentation pairs them at: Muon 0.02, AdamW 3e-4 (`MUON_ADAMW`).
        OptimizerSpec("muon", "Muon", gd_factor=None, fixed_lr=0.02, state=4),
    )
}
MUON_ADAMW = {"lr": 3e-4 / 0.02, "weight_decay": 0.01}  # AdamW's rate per Muon's, and decay


def default_lr(optimizer: str, gd_lr: float) -> float:
    """The learning rate ``optimizer`` gets on a problem where plain gradient descent uses ``gd_lr``."""
    spec = OPTIMIZERS[optimizer]
    # Rounded to three digits, so a tenth of 0.05 reads 0.005 and not 0.005000000000000001.
    return spec.fixed_lr if spec.gd_factor is None else float(f"{spec.gd_factor * gd_lr:.3g}")
