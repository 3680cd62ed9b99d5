"""Sharpness: the largest eigenvalue of the loss's Hessian, the curvature gradient descent feels.

Gradient descent with rate ``lr`` is stable on a quadratic only while its sharpness stays below
``2 / lr``; Cohen et al. (2021, "Gradient descent on neural networks typically occurs at the edge
of stability") found that training drives the sharpness up to that line and holds it there.

Up to `EXACT` parameters the Hessian is built whole (one backward pass per parameter, through
the graph of the gradient) and its eigenvalues are exact. Beyond, the largest eigenvalue is found
by Lanczos iteration on Hessian-vector products (each one backward pass), started from the
previous snapshot's top eigenvector, so a run costs a few products per snapshot once it settles.

An adaptive optimiser steps by ``lr · P⁻¹ m`` with ``P`` a diagonal preconditioner of its own
(`preconditioner`); what it feels is the *preconditioned* sharpness, the largest eigenvalue of
``P⁻¹H``, which Cohen et al. (2022, "Adaptive gradient methods at the edge of stability") found
held at ``(2 + 2β1) / ((1 − β1)·lr)`` by Adam. ``P⁻¹H`` has the eigenvalues of the symmetric
``D H D``, ``D = P^(-1/2)``: the same exact and Lanczos paths compute it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

EXACT = 100  # parameters up to which the whole Hessian is built
ITERATIONS = 300  # Lanczos steps at most per snapshot (Hessian-vector products)
TOLERANCE = 1e-6  # residual, relative to the eigenvalue, at which it stops


class Sharpness:
    """The largest Hessian eigenvalue of ``objective()`` with respect to ``params``, on call.

    ``objective`` recomputes the loss from the current values of ``params`` (a fresh graph).
    """

    def __init__(self, objective: Callable[[], torch.Tensor], params: Sequence[torch.Tensor]):
        self.objective = objective
        self.params = list(params)
        self.size = sum(p.numel() for p in self.params)
        self._vector: torch.Tensor | None = None  # the last eigenvector, to start from
        self._batched = True  # the exact Hessian's rows by vmap, until an operation refuses

    def __call__(self, scale: Preconditioned | None = None) -> float:
        """The top eigenvalue of the Hessian or, with ``scale``, of ``P⁻¹(H + decay·I)``."""
        flat = self._gradient()
        if not flat.requires_grad and scale is None:  # linear (or constant) in the parameters
            return 0.0
        if self.size <= EXACT:
            if flat.requires_grad:
                h = self.hessian(flat)  # float64
            else:  # linear in the parameters: only the preconditioned decay curves
                h = torch.zeros(self.size, self.size, dtype=torch.float64)
            if scale is not None:
                h = h + scale.decay * torch.eye(self.size, dtype=h.dtype)
                h = scale.root[:, None] * h * scale.root[None, :]
            return float(torch.linalg.eigvalsh(h)[-1])
        return self._lanczos(flat, scale)

    def curvature(self) -> float:
        """The largest eigenvalue in size, |λ|: the curvature that bounds gradient descent's
        stable rate, where a negative eigenvalue (a saddle, a hilltop) may outweigh the top
        one. Exact up to `EXACT` parameters, else by Lanczos iteration from both ends."""
        flat = self._gradient()
        if not flat.requires_grad:
            return 0.0
        if self.size <= EXACT:
            return float(torch.linalg.eigvalsh(self.hessian(flat)).abs().max())
        top = self._lanczos(flat)
        generator = torch.Generator().manual_seed(1)
        start = torch.randn(self.size, generator=generator, dtype=torch.float64)
        bottom, _ = lanczos(lambda v: -self._product(flat, v), start)
        return max(abs(top), abs(bottom))

    def _gradient(self) -> torch.Tensor:
        """The flat gradient of ``objective()``, with its graph (to differentiate again)."""
        value = self.objective()
        grads = torch.autograd.grad(value, self.params, create_graph=True, allow_unused=True)
        return torch.cat([_flat_or_zeros(g, p) for g, p in zip(grads, self.params)])

    def hessian(self, flat_grad: torch.Tensor) -> torch.Tensor:
        """The whole Hessian, symmetrised, in float64: every row in one batched backward pass
        (``is_grads_batched``, vmap over the rows), or row by row where vmap cannot go."""
        if self._batched:
            eye = torch.eye(self.size, dtype=flat_grad.dtype, device=flat_grad.device)
            try:
                blocks = torch.autograd.grad(
                    flat_grad,
                    self.params,
                    grad_outputs=eye,
                    retain_graph=True,
                    allow_unused=True,
                    is_grads_batched=True,
                )
            except RuntimeError:  # an operation without a batching rule
                self._batched = False
            else:
                h = torch.cat(
                    [
                        torch.zeros(self.size, p.numel()) if b is None else b.reshape(self.size, -1)
                        for b, p in zip(blocks, self.params)
                    ],
                    dim=1,
                ).double()
                return (h + h.T) / 2
        rows = []
        for i in range(self.size):
            row = torch.autograd.grad(
                flat_grad[i], self.params, retain_graph=True, allow_unused=True
            )
            rows.append(torch.cat([_flat_or_zeros(r, p) for r, p in zip(row, self.params)]))
        h = torch.stack(rows).double()
        return (h + h.T) / 2

    def _product(self, flat_grad: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        hv = torch.autograd.grad(
            flat_grad,
            self.params,
            grad_outputs=v.to(flat_grad.dtype),
            retain_graph=True,
            allow_unused=True,
        )
        return torch.cat([_flat_or_zeros(h, p) for h, p in zip(hv, self.params)]).double()

    def _lanczos(self, flat_grad: torch.Tensor, scale: Preconditioned | None = None) -> float:
        """The largest eigenvalue by Lanczos iteration (with full reorthogonalisation), until
        its residual bound is below `TOLERANCE` of it; far fewer products than power iteration
        when the top eigenvalues lie close, and the top one even where a larger negative one
        dominates in size (a saddle)."""
        if self._vector is None:
            generator = torch.Generator().manual_seed(0)
            self._vector = torch.randn(self.size, generator=generator, dtype=torch.float64)
        if scale is None:
            product = lambda v: self._product(flat_grad, v)  # noqa: E731
        else:

            def product(v):
                w = scale.root * v
                hw = self._product(flat_grad, w) if flat_grad.requires_grad else 0 * w
                return scale.root * (hw + scale.decay * w)

        top, self._vector = lanczos(product, self._vector)
        return top


# -- the preconditioner ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Preconditioned:
    """What an adaptive step divides by: ``root = P^(-1/2)``, flat over the parameters (zero
    where a parameter has no gradient and does not move), and the weight decay an optimiser
    adds to the gradient (``decay · θ``: its Hessian is ``H + decay · I``)."""

    root: torch.Tensor
    decay: float


PRECONDITIONED = (
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
)  # torch.optim classes `preconditioner` knows


def preconditioned(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer`` divides its step by a preconditioner `preconditioner` knows."""
    return type(optimizer).__name__ in PRECONDITIONED


def preconditioner(optimizer: torch.optim.Optimizer, params) -> Preconditioned | None:
    """The preconditioner ``P`` of the step ``optimizer`` is about to take from the gradients
    the parameters hold now, as torch.optim's own update computes it from its state (the state
    that step leaves is the run's next snapshot's): the update is ``lr · P⁻¹ m`` with ``m``
    the optimiser's momentum (its gradient where it has none).

    - Adam, AdamW: ``P = (1 − β1ᵗ) · (√(v / (1 − β2ᵗ)) + ε)``, ``v`` the second moment after
      this step's gradient (its running maximum with ``amsgrad``), ``t`` the step's count;
    - RMSprop: ``P = √v + ε`` (``√(v − ḡ²) + ε`` centred);
    - Adagrad: ``P = (√Σg² + ε) · lr / lr_t``, ``lr_t`` its decayed rate.

    None for any other optimiser. Weight decay that Adam (not AdamW), RMSprop and Adagrad add
    to the gradient is returned as ``decay``; AdamW's, applied to the weights apart, is not a
    curvature and is left out."""
    kind = type(optimizer).__name__
    if kind not in PRECONDITIONED:
        return None
    wanted = {id(p) for p in params}
    roots, decays = {}, set()
    for group in optimizer.param_groups:
        decay = float(group.get("weight_decay", 0.0) or 0.0)
        decays.add(0.0 if kind == "AdamW" else decay)
        for p in group["params"]:
            if id(p) not in wanted:
                continue
            if p.grad is None:
                roots[id(p)] = torch.zeros(p.numel(), dtype=torch.float64)
                continue
            with torch.no_grad():
                pre = _diagonal(kind, group, optimizer.state.get(p, {}), p, decay)
            roots[id(p)] = pre.reshape(-1).double().rsqrt()
    if len(decays) > 1:
        raise ValueError("parameter groups with different weight decays")
    root = torch.cat(
        [roots.get(id(p), torch.zeros(p.numel(), dtype=torch.float64)) for p in params]
    )
    return Preconditioned(root, decays.pop() if decays else 0.0)


def _diagonal(kind: str, group: dict, state: dict, p: torch.Tensor, decay: float) -> torch.Tensor:
    """The diagonal of ``P`` for parameter ``p`` (see `preconditioner`), in float64."""
    grad = p.grad.double()
    if group.get("maximize", False):
        grad = -grad
    if decay and kind != "AdamW":
        grad = grad + decay * p.detach().double()
    step = float(state["step"]) + 1 if "step" in state else 1.0
    if kind in ("Adam", "AdamW"):
        beta1, beta2 = (float(b) for b in group["betas"])
        previous = state.get("exp_avg_sq")
        v = grad * grad * (1 - beta2)
        if previous is not None:
            v = v + beta2 * previous.double()
        if group.get("amsgrad", False) and state.get("max_exp_avg_sq") is not None:
            v = torch.maximum(v, state["max_exp_avg_sq"].double())
        denominator = (v / (1 - beta2**step)).sqrt() + group["eps"]
        return (1 - beta1**step) * denominator
    if kind == "RMSprop":
        alpha = float(group["alpha"])
        previous = state.get("square_avg")
        v = grad * grad * (1 - alpha) + (0 if previous is None else alpha * previous.double())
        if group.get("centered", False):
            mean = state.get("grad_avg")
            mean = grad * (1 - alpha) + (0 if mean is None else alpha * mean.double())
            v = v - mean * mean
        return v.sqrt() + group["eps"]
    total = state.get("sum")  # Adagrad: its accumulator exists from the optimiser's making
    total = grad * grad + (group["initial_accumulator_value"] if total is None else total.double())
    decayed = 1 / (1 + (step - 1) * group["lr_decay"])  # lr_t / lr
    return (total.sqrt() + group["eps"]) / decayed


def lanczos(product: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor):
    """The largest eigenvalue of the symmetric operator ``product`` and its vector."""
    values, vectors = lanczos_top(product, start, 1)
    return float(values[-1]), vectors[:, -1]


def lanczos_top(product: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor, k: int):
    """The ``k`` largest eigenvalues of the symmetric operator ``product``, in ascending order,
    and their unit vectors as columns (size, k): Lanczos iteration with full
    reorthogonalisation, until each of the ``k`` Ritz pairs' residual is below `TOLERANCE` of
    the largest eigenvalue in size (or the space is exhausted)."""
    size = len(start)
    basis = [start / start.norm()]
    alphas: list[float] = []
    betas: list[float] = []
    values, vectors = torch.zeros(1, dtype=torch.float64), basis[0][:, None]
    for j in range(min(size, ITERATIONS)):
        w = product(basis[j])
        alphas.append(float(w @ basis[j]))
        for b in basis:  # full reorthogonalisation: a few hundred vectors at most
            w = w - (w @ b) * b
        beta = float(w.norm())
        t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        if betas:
            off = torch.tensor(betas, dtype=torch.float64)
            t = t + torch.diag(off, 1) + torch.diag(off, -1)
        ritz, small = torch.linalg.eigh(t)
        top = min(k, len(alphas))
        values = ritz[-top:]
        vectors = torch.stack(basis, dim=1) @ small[:, -top:]
        # |beta * last component of a Ritz vector| is its residual ||H v - λ v||.
        scale = max(float(ritz.abs().max()), 1e-12)
        residuals = beta * small[-1, -top:].abs()
        if beta == 0 or (top == k and bool((residuals <= TOLERANCE * scale).all())):
            break
        betas.append(beta)
        basis.append(w / beta)
    return values, vectors


def top_eigenpairs(
    product: Callable[[torch.Tensor], torch.Tensor], size: int, k: int = 2, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenvalues (descending) of a symmetric operator of ``size``, given by
    its products with float64 vectors, and their unit eigenvectors as rows (k, size): exact
    from the whole matrix up to `EXACT` (``size`` products), by `lanczos_top` beyond."""
    if size <= EXACT:
        eye = torch.eye(size, dtype=torch.float64)
        h = torch.stack([product(eye[i]) for i in range(size)])
        values, vectors = torch.linalg.eigh((h + h.T) / 2)
        values, vectors = values[-k:], vectors[:, -k:]
    else:
        generator = torch.Generator().manual_seed(seed)
        start = torch.randn(size, generator=generator, dtype=torch.float64)
        values, vectors = lanczos_top(product, start, k)
    order = torch.argsort(values, descending=True)
    return values[order].numpy(), vectors[:, order].T.numpy()


def _flat_or_zeros(t: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return torch.zeros(like.numel(), dtype=like.dtype) if t is None else t.reshape(-1)
