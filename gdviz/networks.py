"""The networks gdviz builds itself, and the losses it applies to a network's outputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from gdviz.errors import GdvizError

HIDDEN = (16, 16)


def mlp(inputs: int, outputs: int, *, hidden: Sequence[int] = HIDDEN, seed: int = 0):
    """A multilayer perceptron with tanh between its layers, initialised from ``seed``.

    Its parameters are named ``hidden1.weight``, ..., ``out.bias``.
    """
    try:
        widths = [int(h) for h in hidden]
    except (TypeError, ValueError):
        raise GdvizError(f"hidden must be layer widths like (16, 16), not {hidden!r}") from None
    if not widths or min(widths) < 1 or max(widths) > 4096:
        raise GdvizError(f"hidden must be one or more widths from 1 to 4096, not {hidden!r}")
    layers: OrderedDict[str, torch.nn.Module] = OrderedDict()
    width = inputs
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, h in enumerate(widths, 1):
            layers[f"hidden{i}"] = torch.nn.Linear(width, h)
            layers[f"tanh{i}"] = torch.nn.Tanh()
            width = h
        layers["out"] = torch.nn.Linear(width, outputs)
    return torch.nn.Sequential(layers)


def _fitted(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One output per target, shaped like the targets: (n, 1) outputs for (n,) targets."""
    if out.numel() != y.numel():
        raise GdvizError(
            f"the model gives outputs of shape {tuple(out.shape)} for {tuple(y.shape)} "
            "targets: it should give one number per target"
        )
    return out.reshape(y.shape)


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if out.ndim != 2 or out.shape[0] != y.shape[0]:
        raise GdvizError(
            f"cross_entropy needs one score per class for each point, shape ({y.shape[0]}, "
            f"classes); the model gives {tuple(out.shape)}"
        )
    return F.cross_entropy(out, y)


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": lambda out, y: F.mse_loss(_fitted(out, y), y),
    "rmse": lambda out, y: F.mse_loss(_fitted(out, y), y).sqrt(),
    "mae": lambda out, y: F.l1_loss(_fitted(out, y), y),
    "bce": lambda out, y: F.binary_cross_entropy_with_logits(_fitted(out, y), y),
    "cross_entropy": _cross_entropy,
}
