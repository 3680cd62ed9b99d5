"""`Recorder`: copies parameters, gradients and loss out of any training loop into a `Run`."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from gdviz.errors import GdvizError
from gdviz.run import Run


def _names(name: str, tensor: torch.Tensor) -> list[str]:
    if tensor.numel() == 1:
        return [name]
    return [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*tensor.shape)]


class Recorder:
    """Records a snapshot of parameters, gradients and loss each time `record` is called.

    Parameters
    ----------
    params : dict of str to Tensor, torch.nn.Module, or list of Tensor
        The tensors to watch. A dict names them; a module's parameters keep their own names;
        a list is named ``p0, p1, ...`` unless ``names`` says otherwise.
    names : sequence of str, optional
        One name per recorded number, overriding the derived names.

    Examples
    --------
    >>> rec = gdviz.Recorder({"m": m, "b": b})
    >>> for i in range(100):
    ...     loss = ((m * x + b - y) ** 2).mean()
    ...     loss.backward()
    ...     rec.record(loss)
    ...     with torch.no_grad():
    ...         m -= 0.1 * m.grad; b -= 0.1 * b.grad
    ...     m.grad = None; b.grad = None
    >>> run = rec.to_run(x=x, y=y, model="line")
    """

    def __init__(self, params, *, names: Sequence[str] | None = None):
        if isinstance(params, torch.nn.Module):
            named = list(params.named_parameters())
        elif isinstance(params, Mapping):
            named = list(params.items())
        elif isinstance(params, torch.Tensor):
            named = [("p0", params)]
        else:
            named = [(f"p{i}", t) for i, t in enumerate(params)]
        if not named:
            raise GdvizError("a Recorder needs at least one tensor to watch")
        for name, t in named:
            if not isinstance(t, torch.Tensor):
                raise GdvizError(f"a Recorder watches tensors; {name!r} is a {type(t).__name__}")
        self._tensors = [t for _, t in named]
        derived = [n for name, t in named for n in _names(name, t)]
        if names is not None and len(names) != len(derived):
            raise GdvizError(f"{len(names)} names given for {len(derived)} recorded numbers")
        self.param_names = tuple(names) if names is not None else tuple(derived)
        self._scalars = all(t.numel() == 1 for t in self._tensors)
        self._n = 0
        self._grow(1024)

    def _grow(self, capacity: int) -> None:
        # Preallocated float64 buffers, doubled when full: one copy per tensor per step and no
        # per-step Python lists (measured: lists of clones cost about twice as much). They are
        # numpy arrays because indexing and assigning into a torch tensor costs microseconds a
        # call, as much as a whole small training step (benchmarks/recording.py).
        width = len(self.param_names)
        params = np.empty((capacity, width))
        grads = np.zeros((capacity, width))
        loss = np.empty(capacity)
        if self._n:
            params[: self._n] = self._params[: self._n]
            grads[: self._n] = self._grads[: self._n]
            loss[: self._n] = self._loss[: self._n]
        self._params, self._grads, self._loss = params, grads, loss
        offsets = np.cumsum([0] + [t.numel() for t in self._tensors])
        self._slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(offsets)]

    def __len__(self) -> int:
        return self._n

    def record(self, loss) -> float:
        """Copy the current parameters, their ``.grad`` and ``loss``; return the loss as a float."""
        i = self._n
        if i == len(self._loss):
            self._grow(2 * i)
        value = loss.item() if isinstance(loss, torch.Tensor) else float(loss)
        self._loss[i] = value
        if self._scalars:  # the tutorials' m and b: a float each, no tensor copied at all
            self._params[i] = [t.item() for t in self._tensors]
            self._grads[i] = [0.0 if t.grad is None else t.grad.item() for t in self._tensors]
        else:
            prow, grow = self._params[i], self._grads[i]
            for t, s in zip(self._tensors, self._slices):
                prow[s] = _flat(t)
                if t.grad is not None:
                    grow[s] = _flat(t.grad)
        self._n = i + 1
        return value

    def to_run(self, *, x=None, y=None, model=None, loss=None, **meta) -> Run:
        """The recording as a `Run`.

        Told the data (``x``, ``y``), the model (``"line"``, ``"proportional"``, ``"quadratic"``)
        and the loss (``"mse"``, ``"rmse"``, ``"mae"``), the fit and contour views work too.
        Extra keywords go into ``run.meta``. A recording whose loss or parameters stopped being
        finite is cut before the first such snapshot, with ``diverged_at`` set and a warning.
        """
        n = self._n
        if n == 0:
            raise GdvizError("nothing was recorded: call record(loss) in the loop first")
        params = self._params[:n].copy()
        grads = self._grads[:n].copy()
        losses = self._loss[:n].copy()
        bad = ~(np.isfinite(losses) & np.isfinite(params).all(axis=1))
        diverged_at = int(np.argmax(bad)) if bad.any() else None
        if diverged_at is not None:
            if diverged_at == 0:
                raise GdvizError("the loss is not finite at the start: nothing to animate")
            params, grads, losses = params[:diverged_at], grads[:diverged_at], losses[:diverged_at]
            warnings.warn(f"diverged at step {diverged_at}", RuntimeWarning, stacklevel=2)
        if model is not None:
            meta["model"] = model
        if loss is not None:
            meta["loss"] = loss
        return Run(
            params=params,
            grads=grads,
            loss=losses,
            param_names=self.param_names,
            x=None if x is None else _numpy(x),
            y=None if y is None else _numpy(y),
            diverged_at=diverged_at,
            meta=meta,
        )


def _flat(t: torch.Tensor):
    """The tensor's values as a float or a flat numpy array, copied off any device."""
    if t.numel() == 1:
        return t.item()  # the common scalar parameter: ten times cheaper than a tensor copy
    t = t.detach().cpu()
    try:
        return t.numpy().reshape(-1)
    except TypeError:  # a dtype numpy lacks, such as bfloat16
        return t.double().numpy().reshape(-1)


def _numpy(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64).reshape(-1)
