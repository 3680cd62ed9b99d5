"""The networks gdviz builds itself, and the losses it applies to a network's outputs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from gdviz.errors import GdvizError

HIDDEN = (16, 16)


def mlp(inputs: int, outputs: int, *, hidden: Sequence[int] = HIDDEN, seed: int = 0):
    """A multilayer perceptron with tanh between its layers, initialised from ``seed``.

    Its parameters are named ``hidden1.weight``, ..., ``out.bias``.
    """
    if isinstance(hidden, (str, bytes)) or not all(
        isinstance(h, (int, np.integer)) and not isinstance(h, bool) for h in _items(hidden)
    ):
        raise GdvizError(f"hidden must be whole layer widths like (16, 16), not {hidden!r}")
    widths = [int(h) for h in hidden]
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


def _items(value) -> list:
    try:
        return list(value)
    except TypeError:
        return [None]


def _fitted(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One output per target, shaped like the targets: (n, 1) outputs for (n,) targets."""
    _tensor(out)
    if out.numel() != y.numel():
        raise GdvizError(
            f"the model gives outputs of shape {tuple(out.shape)} for {tuple(y.shape)} "
            "targets: it should give one number per target"
        )
    return out.reshape(y.shape)


def _tensor(out) -> None:
    if not isinstance(out, torch.Tensor):
        raise GdvizError(
            f"the model gives a {type(out).__name__}, not a tensor: for a model with several "
            "outputs, pass a loss callable that takes them (loss=lambda out, y: ...)"
        )


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    _tensor(out)
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


def loss_callable(loss) -> Callable:
    """A loss given by name (one of `LOSSES`) or as a callable, as the callable."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise GdvizError(f"unknown loss {loss!r}: use one of {', '.join(LOSSES)}")
        return LOSSES[loss]
    if not callable(loss):
        raise GdvizError(f"loss must be a callable or a name, not {type(loss).__name__}")
    return loss


def loss_name(loss) -> str:
    """The loss's name for pictures and the run file (None: the model's own)."""
    if loss is None:
        return "model's own"
    if isinstance(loss, str):
        return loss
    return getattr(loss, "__name__", type(loss).__name__)


def element_names(name: str, tensor: torch.Tensor) -> list[str]:
    """One name for each number of the tensor called ``name``: ``w[0,1]``, or ``name`` alone."""
    if tensor.numel() == 1:
        return [name]
    return [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*tensor.shape)]
