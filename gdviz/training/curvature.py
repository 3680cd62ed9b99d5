"""Sharpness: the largest eigenvalue of the loss's Hessian, the curvature gradient descent feels.

Gradient descent with rate ``lr`` is stable on a quadratic only while its sharpness stays below
``2 / lr``; Cohen et al. (2021, "Gradient descent on neural networks typically occurs at the edge
of stability") found that training drives the sharpness up to that line and holds it there.

Up to `EXACT` parameters the Hessian is built whole (one backward pass per parameter, through
the graph of the gradient) and its eigenvalues are exact. Beyond, the largest eigenvalue is found
by Lanczos iteration on Hessian-vector products (each one backward pass), started from the
previous snapshot's top eigenvector, so a run costs a few products per snapshot once it settles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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

    def __call__(self) -> float:
        flat = self._gradient()
        if not flat.requires_grad:  # the loss is linear (or constant) in the parameters
            return 0.0
        if self.size <= EXACT:
            return float(torch.linalg.eigvalsh(self.hessian(flat))[-1])
        return self._lanczos(flat)

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

    def _lanczos(self, flat_grad: torch.Tensor) -> float:
        """The largest eigenvalue by Lanczos iteration (with full reorthogonalisation), until
        its residual bound is below `TOLERANCE` of it; far fewer products than power iteration
        when the top eigenvalues lie close, and the top one even where a larger negative one
        dominates in size (a saddle)."""
        if self._vector is None:
            generator = torch.Generator().manual_seed(0)
            self._vector = torch.randn(self.size, generator=generator, dtype=torch.float64)
        top, self._vector = lanczos(lambda v: self._product(flat_grad, v), self._vector)
        return top


def lanczos(product: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor):
    """The largest eigenvalue of the symmetric operator ``product`` and its vector."""
    size = len(start)
    basis = [start / start.norm()]
    alphas: list[float] = []
    betas: list[float] = []
    top, vector = 0.0, basis[0]
    for k in range(min(size, ITERATIONS)):
        w = product(basis[k])
        alphas.append(float(w @ basis[k]))
        for b in basis:  # full reorthogonalisation: a few hundred vectors at most
            w = w - (w @ b) * b
        beta = float(w.norm())
        t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        if betas:
            off = torch.tensor(betas, dtype=torch.float64)
            t = t + torch.diag(off, 1) + torch.diag(off, -1)
        values, vectors = torch.linalg.eigh(t)
        top = float(values[-1])
        vector = torch.stack(basis, dim=1) @ vectors[:, -1]
        # |beta * last component of the Ritz vector| is the residual ||H v - top v||.
        if beta * abs(float(vectors[-1, -1])) <= TOLERANCE * max(abs(top), 1e-12) or beta == 0:
            break
        betas.append(beta)
        basis.append(w / beta)
    return top, vector


def _flat_or_zeros(t: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return torch.zeros(like.numel(), dtype=like.dtype) if t is None else t.reshape(-1)
