"""Evaluating a loss at many parameter vectors: `Evaluator` (batched over the vectors with
`torch.func.vmap`, or one at a time where vmap cannot batch the function or loses), `FlatModule`
(a network's forward pass as a function of a flat parameter vector), and
`first_layer_shortcut` (a plane's first-layer products done once).
"""

from __future__ import annotations

import contextlib
import itertools
import time
import warnings
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch.func import functional_call, vmap
from torch.nn.modules.batchnorm import _BatchNorm

from gdviz.errors import GdvizError
from gdviz.run.plane import Plane
from gdviz.system.progress import Progress

BATCH_ELEMENTS = 32_000  # about how many numbers one vmapped call handles per data column
BAR_AFTER = 0.5  # seconds: longer evaluations show a progress bar on a terminal
SHORTCUT_INPUTS = 8  # inputs a first linear layer needs for `first_layer_shortcut` to pay


class Evaluator:
    """A function of one flat parameter vector, evaluated on many vectors in batches.

    Parameters
    ----------
    single : callable
        Takes a 1-D tensor of the parameters, returns a tensor (a scalar for a loss).
    dtype, device
        What the parameter vectors are converted to.
    size : int
        How many numbers one call works through (the data points): sets the batch size.
    batch : int, optional
        Vectors a vmapped call takes, where the caller knows better than ``size`` says.

    `chunk` evaluates one batch of vectors, passing ``single`` any further arguments unbatched
    (a batch of data, for `DataLoss`).
    """

    def __init__(
        self,
        single: Callable[[torch.Tensor], torch.Tensor],
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str = "cpu",
        size: int = 1,
        batch: int | None = None,
    ):
        self.single = single
        self.dtype = dtype or torch.get_default_dtype()
        self.device = device
        if batch is None:
            batch = BATCH_ELEMENTS // max(size, 1)
        self.batch = int(np.clip(batch, 1, 256))
        # "vmap" or "loop" once chosen: vmap wins where calls are small (overheads batched
        # away) and can lose where each call is large work on big arrays (measured in
        # benchmarks/landscape.py), so the first batches time both ways.
        self.mode: str | None = None
        self._vmap_seconds = 0.0

    def __call__(
        self,
        points: np.ndarray,
        *,
        lift: Callable[[np.ndarray], np.ndarray] | None = None,
        label: str | None = None,
    ) -> np.ndarray:
        """The function at each of ``points`` (N, P), or at ``lift(points)`` lifted a batch at a
        time (plane coordinates to parameters, so N full vectors never sit in memory at once).
        Returns float64, shape (N, ...). ``label`` names a progress bar shown on a terminal
        when the work takes long."""
        points = np.asarray(points, dtype=float)
        total = len(points)
        out = None
        bar = Progress(
            label or "", total, unit="points", delay=BAR_AFTER, enabled=None if label else False
        )
        with bar, torch.no_grad():
            for start in range(0, total, self.batch):
                chunk = points[start : start + self.batch]
                if lift is not None:
                    chunk = lift(chunk)
                values = self.chunk(torch.as_tensor(chunk, dtype=self.dtype, device=self.device))
                if out is None:
                    out = np.empty((total, *values.shape[1:]))
                out[start : start + len(chunk)] = values
                bar.update(start + len(chunk))
        return np.empty((0,)) if out is None else out

    def measured(self, points, *, lift=None, label=None, section=None):
        """The function at ``points`` and no standard error (None), as `DataLoss.measured`
        gives them: a function of no data has nothing to sample or to keep (``section``)."""
        return self(points, lift=lift, label=label), None

    def hessian_product(self, point: np.ndarray) -> Callable[[torch.Tensor], torch.Tensor]:
        """Products of the function's Hessian at ``point`` with float64 vectors (one backward
        pass each, through the graph of its gradient, made once)."""
        theta = torch.as_tensor(point, dtype=self.dtype, device=self.device).requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.single(theta).reshape(()), theta, create_graph=True)

        def product(v: torch.Tensor) -> torch.Tensor:
            if not grad.requires_grad:  # linear in the parameters: no curvature
                return torch.zeros_like(v, dtype=torch.float64)
            with torch.enable_grad():
                (hv,) = torch.autograd.grad(
                    grad, theta, v.to(grad), retain_graph=True, allow_unused=True
                )
            return torch.zeros_like(v) if hv is None else hv.detach().double().cpu()

        return product

    def chunk(self, chunk: torch.Tensor, *args) -> np.ndarray:
        """``single`` at each row of ``chunk`` (with ``args``), as float64 numpy."""
        if self.mode == "loop":
            return self._loop(chunk, args)
        if self.mode == "vmap":
            return self._vmap(chunk, args)
        began = time.perf_counter()
        if self.mode is None:  # first: try vmap, and time it
            try:
                out = self._vmap(chunk, args)
            except Exception:  # vmap cannot batch this function; errors of its own recur below
                self.mode = "loop"
                return self._loop(chunk, args)
            self._vmap_seconds = (time.perf_counter() - began) / len(chunk)
            self.mode = "timing"
            return out
        out = self._loop(chunk, args)  # second: time one call at a time, then keep the faster
        loop_seconds = (time.perf_counter() - began) / len(chunk)
        self.mode = "vmap" if self._vmap_seconds <= loop_seconds else "loop"
        return out

    def _vmap(self, chunk: torch.Tensor, args: tuple) -> np.ndarray:
        # Where torch has no batching rule for an operation it loops inside vmap and says so
        # at every call (a transformer layer: once a batch); the timing below decides, quietly.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*batching rule", category=UserWarning)
            dims = (0,) + (None,) * len(args)
            return _numpy(vmap(self.single, in_dims=dims)(chunk, *args))

    def _loop(self, chunk: torch.Tensor, args: tuple) -> np.ndarray:
        out = []
        for p in chunk:
            try:
                out.append(_numpy(self.single(p, *args)))
            except GdvizError:
                raise
            except Exception:  # undefined there (a log of a negative, a failed factorisation)
                out.append(None)
        shape = next((o.shape for o in out if o is not None), ())
        return np.stack([np.full(shape, np.nan) if o is None else o for o in out])


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float64).cpu().numpy()


# -- networks as functions of the flat parameter vector -------------------------------------------


class FlatModule:
    """A module's forward pass as a function of the flat vector of the recorded tensors.

    The recorded tensors must be parameters (or buffers) of the module; the module's other
    parameters keep their values. The module itself is never changed.
    """

    def __init__(self, module: torch.nn.Module, tensors: Sequence[torch.Tensor]):
        if not isinstance(module, torch.nn.Module):
            raise GdvizError(f"model must be a torch.nn.Module, not {type(module).__name__}")
        owned = {
            id(t): name
            for name, t in itertools.chain(
                module.named_parameters(remove_duplicate=False), module.named_buffers()
            )
        }
        missing = [i for i, t in enumerate(tensors) if id(t) not in owned]
        if missing:
            raise GdvizError(
                f"{len(missing)} of the {len(tensors)} recorded tensors are not parameters of "
                f"the model {type(module).__name__}: record the model itself (Recorder(model))"
            )
        self.module = module
        self.keys = [owned[id(t)] for t in tensors]
        self._variances = [k for k in self.keys if k.rsplit(".", 1)[-1] == "running_var"]
        self.shapes = [tuple(t.shape) for t in tensors]
        self.sizes = [t.numel() for t in tensors]
        first = tensors[0]
        self.dtype = first.dtype if first.is_floating_point() else torch.get_default_dtype()
        self.device = first.device

    def params(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        chunks = flat.split(self.sizes)
        out = {k: c.view(s) for k, c, s in zip(self.keys, chunks, self.shapes)}
        for k in self._variances:  # a mix of running variances, extrapolated, may fall below 0
            out[k] = out[k].clamp(min=0)
        return out

    def __call__(self, flat: torch.Tensor, inputs):
        """The module's output on ``inputs`` at ``flat``: a tensor, or a dict of tensors passed
        as keyword arguments (a Hugging Face batch)."""
        if isinstance(inputs, dict):
            return functional_call(self.module, self.params(flat), (), inputs)
        return functional_call(self.module, self.params(flat), (inputs,))

    def statistics(self, bn: str, *, final: bool = False) -> str | None:
        """What the network's batch norm normalised with under ``bn``, as the picture says it:
        each batch's own, or the running statistics (``final``: those the training ended
        with, at every point of a path's plane); None for a network that keeps none."""
        keeps = any(
            getattr(m, "track_running_stats", False)
            and getattr(m, "running_mean", None) is not None
            for m in self.module.modules()
        )
        if not keeps:
            return None
        if bn == "train":
            return "batch statistics"
        return "final running statistics" if final else "running statistics"

    @contextlib.contextmanager
    def evaluating(self, bn: str = "eval") -> Iterator[None]:
        """Eval mode while the landscape is computed (no dropout noise), restored after. With
        ``bn="train"`` batch norm layers normalise with each batch's own statistics instead of
        their running ones, and leave those untouched."""
        modes = [(m, m.training) for m in self.module.modules()]
        norms = [m for m in self.module.modules() if isinstance(m, _BatchNorm)]
        tracking = [(m, m.track_running_stats) for m in norms]
        self.module.eval()
        if bn == "train":
            for m in norms:
                m.train()
                m.track_running_stats = False  # batch statistics, and no update of the running
        try:
            yield
        finally:
            for m, mode in modes:
                m.train(mode)
            for m, track in tracking:
                m.track_running_stats = track


def first_layer_shortcut(
    forward: FlatModule,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
) -> Callable[[Plane], Evaluator] | None:
    """For a network that starts with a linear layer (after layers without parameters, such
    as Flatten), the loss over a plane, computed with that layer's products done once.

    On the plane ``θ = θ₀ + a·d₁ + b·d₂`` the first layer's output is affine in (a, b):
    ``x Wᵀ + c = (x W₀ᵀ + c₀) + a (x D₁ᵀ + e₁) + b (x D₂ᵀ + e₂)``. Three products with the data
    replace one per grid point; the rest of the network runs per point, batched. Exact up to
    rounding. Returns None when the network does not start that way, or when its first layer
    has so few inputs that the products cost less than combining three of them.
    """
    module = forward.module
    if not isinstance(module, torch.nn.Sequential) or x.ndim < 2:
        return None
    lead = 0
    while lead < len(module) and _no_state(module[lead]):
        lead += 1
    if lead >= len(module) - 1 or type(module[lead]) is not torch.nn.Linear:
        return None
    if module[lead].in_features < SHORTCUT_INPUTS:
        return None  # two multiply-adds an output in place of a few: nothing gained
    names = list(module._modules)
    first = names[lead]
    keys = {f"{first}.weight", f"{first}.bias"} & set(forward.keys)
    if f"{first}.weight" not in keys:
        return None
    offsets = dict(zip(forward.keys, np.cumsum([0, *forward.sizes])[:-1].tolist()))
    sizes = dict(zip(forward.keys, forward.sizes))
    layer = module[lead]
    rest = module[lead + 1 :]  # a Sequential slice keeps the layers' names
    rest_keys = [k for k in forward.keys if k not in keys]
    with torch.no_grad():
        inputs = module[:lead](x) if lead else x
        inputs = inputs.to(forward.dtype)

    def factory(plane: Plane) -> Evaluator:
        basis = torch.as_tensor(
            np.stack([plane.origin, *plane.dirs]), dtype=forward.dtype, device=forward.device
        )  # (3, P): the origin and the two directions

        def part(key: str) -> torch.Tensor:
            start = offsets[key]
            return basis[:, start : start + sizes[key]]

        with torch.no_grad():
            weights = part(f"{first}.weight").reshape(3, *layer.weight.shape)
            z = torch.einsum("...i,kji->k...j", inputs, weights)  # (3, n, out)
            if f"{first}.bias" in keys:
                z = z + part(f"{first}.bias")[:, None, :]
            elif layer.bias is not None:
                z[0] = z[0] + layer.bias.detach()
        rest_basis = {k: part(k) for k in rest_keys}
        shapes = dict(zip(forward.keys, forward.shapes))
        base, slopes = z[0], z[1:].reshape(2, -1)  # one product per batch: (B, 2) @ (2, n·out)

        def single(ab: torch.Tensor) -> torch.Tensor:
            hidden = base + (ab @ slopes).view(base.shape)
            params = {
                k: (b[0] + ab[0] * b[1] + ab[1] * b[2]).view(shapes[k])
                for k, b in rest_basis.items()
            }
            out = functional_call(rest, params, (hidden,))
            return loss_fn(out, y).reshape(())

        return Evaluator(single, dtype=forward.dtype, device=forward.device, size=len(x))

    return factory


def _no_state(m: torch.nn.Module) -> bool:
    """A layer with nothing to learn or keep, and no randomness in eval mode (Flatten, ...)."""
    return not any(True for _ in m.parameters()) and not any(True for _ in m.buffers())
