"""The loss of a network at many parameter vectors, each the mean over every example of the data:
batch losses weighted by batch size, so a `DataLoader` gives what the whole data at once gives.
Batches that are mappings (a Hugging Face batch) go to the model as keyword arguments, and the
model's own loss (`model_loss`: ``outputs.loss``) is each batch's, where no loss is given.

Points are taken a chunk at a time and each chunk makes one pass over the data, evaluated for the
whole chunk at once on each batch (`Evaluator`: vmapped over the points where that pays), so the
loader is read once per chunk rather than once per point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch.func import vmap

from gdviz.errors import GdvizError, first_line
from gdviz.system.progress import Progress
from gdviz.training.landscape import schedule
from gdviz.training.landscape.data import Batches, described, examples_in, numel, rows
from gdviz.training.landscape.evaluate import BAR_AFTER, Evaluator, FlatModule
from gdviz.training.networks import loss_callable

ACTIVATIONS = 2**23  # numbers the layers' outputs may hold for one chunk of points on a batch
ERRORS = (RuntimeError, ValueError, IndexError, TypeError)
LIFTED = 2**25  # numbers of the parameter vectors a chunk lifts at once (256 MB of float64)
SHARES = 8  # chunks a rank takes at least, on average: the queue evens out ranks' speeds


def model_loss(outputs, targets=None) -> torch.Tensor:
    """The loss a model computed itself: ``outputs.loss`` (or ``outputs["loss"]``), as a
    Hugging Face model returns it given ``labels``; ``targets`` are not used."""
    if isinstance(outputs, Mapping):
        value = outputs.get("loss")
    else:
        value = getattr(outputs, "loss", None)
    if value is None:
        raise GdvizError(
            f"the model returned no loss ({type(outputs).__name__} without .loss): give each "
            "mapping batch its labels, or pass loss= (called as loss(model(**inputs), labels))"
        )
    return value


def chosen_loss(loss, batches: Batches) -> Callable:
    """The loss to average: ``loss`` by name or callable, or, where it is None and the batches
    are mappings, the model's own (`model_loss`)."""
    if loss is not None:
        return loss_callable(loss)
    if batches.mappings():
        return model_loss
    raise GdvizError(
        "no loss: pass loss= for (inputs, targets) batches (the model's own loss is used only "
        "for batches that are mappings, such as a Hugging Face batch with labels)"
    )


class DataLoss:
    """The mean loss of ``forward`` (a `FlatModule`) over ``batches``, under ``loss_fn`` (called
    as ``loss_fn(outputs, targets)``, a mean over the batch), at flat parameter vectors.

    Mapping batches go to the model as keyword arguments (``model(**inputs)``) and, under
    `model_loss`, each batch's loss is the model's own: the mean is then over batches weighted
    by their examples (a loss that is a mean over tokens is weighed by examples, not tokens).

    ``bn`` is ``"eval"`` (running statistics) or ``"train"`` (each batch's own statistics);
    dropout is off either way, and nothing is computed with gradients. ``spread=True`` also
    finds each point's per-example losses' spread, for the standard error of a subsample.
    Call `check` at a first point before evaluating: it names in one line what the model or
    loss cannot do with the data, and sizes the chunks.
    """

    def __init__(
        self,
        forward: FlatModule,
        loss_fn: Callable,
        batches: Batches,
        *,
        bn: str = "eval",
        spread: bool = False,
    ):
        self.forward = forward
        self.loss_fn = loss_fn
        self.batches = batches
        self.bn = bn
        self.spread = spread
        self.each: Callable | None = None  # per-example losses of (point, inputs, targets)
        self.outputs = 1  # the model's outputs an example (a classifier's classes)
        self.cache: schedule.Cache | None = None
        self.work: dict[str, dict[str, int]] = {}  # points evaluated here, and from the cache
        self.evaluator: Evaluator | None = None

    # -- checks and sizes, once ---------------------------------------------------------------

    def check(self, point: np.ndarray) -> float:
        """The loss at ``point`` on the first batch, after checking that the model takes the
        data, that the loss gives one finite number, and that batch losses averaged by batch
        size give the loss of all examples at once (a mean, not a sum). Sizes the chunks."""
        flat = torch.as_tensor(point, dtype=self.forward.dtype, device=self.forward.device)
        inputs, targets = self.batches.first()
        keyed = isinstance(inputs, dict)
        said = "x" if self.batches.in_memory and not keyed else "the data's inputs"
        with self.forward.evaluating(self.bn), torch.no_grad():
            counted = _Counter(self.forward.module)
            try:
                with counted:
                    out = self.forward(flat, inputs)
            except ERRORS as exc:
                raise GdvizError(
                    f"the model cannot take {said} ({described(inputs)}): {first_line(exc)}"
                ) from None
            if isinstance(out, torch.Tensor):
                self.outputs = int(out.shape[-1]) if out.ndim >= 2 else 1
            try:
                value = self._one(out, targets)
            except GdvizError:
                if self.loss_fn is not model_loss:
                    raise
                raise GdvizError(
                    f"the model returned no loss on the data's first batch (a mapping of "
                    f"{', '.join(list(inputs)[:4])}) and no loss= was given: give each batch its "
                    "labels, or pass loss= (called as loss(model(**inputs), labels))"
                ) from None
            if not np.isfinite(value):
                raise GdvizError(
                    f"the loss is not a number ({value}) at the model's own parameters on the "
                    "first batch: nothing to draw around it"
                )
            if keyed and self.loss_fn is not model_loss and examples_in(inputs) >= 2:
                self._check_mean_keyed(flat, inputs, targets, value)
            elif not keyed and len(out) >= 2 and not self.batches.in_memory:
                self._check_mean(out, targets, value)
            if self.spread and keyed:
                self.each = _per_example_keyed(self._single, flat, inputs, targets, value)
            elif self.spread:
                each = _per_example(self.loss_fn, out, targets, value)
                self.each = lambda p, x, y: each(self.forward(p, x), y)
        per_point = max(counted.numbers, numel(inputs), 1)
        self.evaluator = Evaluator(
            self._single_spread if self.spread else self._single,
            dtype=self.forward.dtype,
            device=self.forward.device,
            batch=ACTIVATIONS // per_point,
        )
        return value

    def _one(self, out, targets: torch.Tensor | None) -> float:
        try:
            value = self.loss_fn(out, targets)
        except GdvizError:
            raise
        except ERRORS as exc:
            said = "y" if self.batches.in_memory else "the targets"
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            told = "" if targets is None else f" and {said} (shape {tuple(targets.shape)})"
            raise GdvizError(
                f"the loss cannot be computed from the model's output (shape {shape}){told}: "
                f"{first_line(exc)}"
            ) from None
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise GdvizError(
                f"the loss must give one number, but it gives {shape} "
                "(a loss with reduction='none'?)"
            )
        return float(value)

    def _check_mean(self, out, targets, whole: float) -> None:
        half = len(out) // 2
        parts = (out[:half], targets[:half]), (out[half:], targets[half:])
        weighted = sum(self._one(o, t) * len(o) for o, t in parts) / len(out)
        if not np.isclose(weighted, whole, rtol=1e-4, atol=1e-7 * max(1.0, abs(whole))):
            raise GdvizError(
                "the loss is not a mean over the batch's examples (reduction='sum'?): the loss "
                "over a loader averages batch losses by batch size, which needs "
                "reduction='mean'"
            )

    def _check_mean_keyed(self, flat, inputs: dict, targets, whole: float) -> None:
        """`_check_mean` for a mapping batch under a loss of the caller's: the model run on
        each half of the batch (its output need not be one tensor to split)."""
        half = examples_in(inputs) // 2
        parts = [slice(0, half), slice(half, None)]
        weighted = sum(
            float(self._single(flat, rows(inputs, p), None if targets is None else targets[p]))
            * len(range(examples_in(inputs))[p])
            for p in parts
        ) / examples_in(inputs)
        if not np.isclose(weighted, whole, rtol=1e-4, atol=1e-7 * max(1.0, abs(whole))):
            raise GdvizError(
                "the loss is not a mean over the batch's examples (reduction='sum'?): the loss "
                "over a loader averages batch losses by batch size, which needs "
                "reduction='mean'"
            )

    # -- the function of one point and one batch ----------------------------------------------

    def _single(self, flat: torch.Tensor, inputs, targets):
        return self.loss_fn(self.forward(flat, inputs), targets).reshape(())

    def _single_spread(self, flat: torch.Tensor, inputs, targets):
        each = self.each(flat, inputs, targets)
        return torch.stack([each.sum(), (each * each).sum()])

    # -- evaluation ---------------------------------------------------------------------------

    def __call__(self, points, *, lift=None, label=None) -> np.ndarray:
        """The mean loss at each of ``points`` (N, P), or at ``lift(points)``."""
        return self.measured(points, lift=lift, label=label)[0]

    def measured(
        self, points, *, lift=None, label=None, section: str | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The mean loss at each point and, with ``spread``, its standard error as an estimate
        of the loss over the data the examples were drawn from (None without).

        Inside a process group of several processes the points are shared out among them
        (`schedule.Queue`) and each returns all of them; with a cache (`use_cache`), the
        points of ``section`` found there are not evaluated again, and those finished are
        written to it as they finish."""
        if self.evaluator is None:
            raise RuntimeError("DataLoss.check first")
        points = np.asarray(points, dtype=float)
        total, width = len(points), 2 if self.spread else 1
        cache = self.cache if section is not None else None
        name = section or label or "points"
        if cache is not None:
            known, sums = cache.known(section, schedule.digest(points), total, width)
        else:
            known, sums = np.zeros(total, dtype=bool), np.zeros((total, width))
        missing = np.flatnonzero(~known)
        size = self.evaluator.batch
        where = schedule.group()
        # Chunks enough for the progress bar to move, the cache to keep work as it goes, and
        # every rank of several to take a few: each a pass over the data, so no more.
        ranks = 1 if where is None else where[1]
        size = max(1, min(size, -(-len(missing) // (SHARES * ranks))))
        size = min(size, max(1, LIFTED // max(sum(self.forward.sizes), 1)))  # vectors in memory
        chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
        queue = schedule.Queue(len(chunks), name, where)
        if queue.where is not None:  # every rank the same points of the same plane
            ends = points[[0, -1]] if total else points
            schedule.agree(schedule.digest(points, lift(ends) if lift is not None else ends))
        shown = label is not None and (queue.where is None or queue.where[0] == 0)
        cached = f" ({total - len(missing)} from the cache)" if total > len(missing) else ""
        bar = Progress(
            (label or "") + cached,
            max(len(missing), 1),
            unit="points",
            delay=BAR_AFTER,
            enabled=None if shown else False,
            rate=True,
        )
        mine = []
        with bar, self.forward.evaluating(self.bn), torch.no_grad():
            for c in queue:
                index = chunks[c]
                chunk = points[index]
                if lift is not None:
                    chunk = lift(chunk)
                chunk = torch.as_tensor(chunk, dtype=self.forward.dtype, device=self.forward.device)
                part = np.zeros((len(index), width))
                for inputs, targets in self.batches:
                    values = self.evaluator.chunk(chunk, inputs, targets)
                    if self.spread:
                        part += values
                    else:
                        part[:, 0] += values * examples_in(inputs)
                sums[index] = part
                mine.append(index)
                if cache is not None:
                    cache.keep(section, index, part)
                bar.update(queue.finished(len(index)))
        mine = np.concatenate(mine) if mine else np.zeros(0, dtype=np.int64)
        if queue.where is not None:
            sums = queue.gather(mine, sums[mine], sums)
        if cache is not None:
            cache.complete(section, sums)
        self.work[name] = {"evaluated": len(mine), "cached": total - len(missing)}
        n = self.batches.examples
        mean = sums[:, 0] / n
        if not self.spread:
            return mean, None
        return mean, _stderr(mean, sums[:, 1] / n, n, self.batches.total)

    def hessian_product(self, point: np.ndarray) -> Callable[[torch.Tensor], torch.Tensor]:
        """Products of the mean loss's Hessian at ``point`` with float64 vectors: one pass over
        the data each, every batch's Hessian-vector product weighted by its examples (the
        graph of one batch at a time in memory)."""
        theta = torch.as_tensor(point, dtype=self.forward.dtype, device=self.forward.device)
        theta.requires_grad_(True)

        def product(v: torch.Tensor) -> torch.Tensor:
            v = v.to(dtype=theta.dtype, device=theta.device)
            total = torch.zeros(len(v), dtype=torch.float64)
            with self.forward.evaluating(self.bn), torch.enable_grad():
                for inputs, targets in self.batches:
                    value = self._single(theta, inputs, targets) * examples_in(inputs)
                    (grad,) = torch.autograd.grad(value, theta, create_graph=True)
                    if not grad.requires_grad:
                        continue
                    try:
                        (hv,) = torch.autograd.grad(grad @ v, theta, allow_unused=True)
                    except RuntimeError as exc:  # an operation without a second derivative
                        raise GdvizError(
                            "plane='hessian' needs the loss's second derivatives, and torch "
                            f"has none for a part of this model ({first_line(exc)[:120]}): use "
                            "another plane, or for a Hugging Face model attn_implementation="
                            "'eager'"
                        ) from None
                    if hv is not None:
                        total += hv.detach().double().cpu()
            return total / self.batches.examples  # known once a pass has ended

        return product

    def use_cache(self, path, *, weights: str, plane: str, bn: str | None = None) -> None:
        """Keep finished points in ``path`` (None: nowhere), for inputs told by digests of the
        model's ``weights`` and of the ``plane`` (its origin and directions), with the data, the
        loss and the settings this evaluator holds."""
        if path is None:
            return
        self.cache = schedule.Cache(
            path,
            {
                "weights": weights,
                "directions": plane,
                "data": self.batches.signature(),
                "loss": describe(self.loss_fn),
                "bn": bn or self.bn,
                "samples": f"{self.batches.samples}/{self.batches.seed}",
            },
        )


def _stderr(mean, mean_square, n: int, total: int) -> np.ndarray:
    """The standard error of a mean of ``n`` examples drawn without replacement from ``total``:
    the examples' spread, with the finite-population correction (zero when all are drawn)."""
    variance = np.maximum(mean_square - mean**2, 0.0) * n / max(n - 1, 1)
    return np.sqrt(variance / n * (1 - n / total))


def _per_example(loss_fn, out: torch.Tensor, targets: torch.Tensor, whole: float) -> Callable:
    """A function of (outputs, targets) giving each example's loss, checked to average to the
    batch's: the loss applied to each example alone, vmapped where it can be."""

    def vmapped(o, t):
        return vmap(lambda a, b: loss_fn(a[None], b[None]).reshape(()))(o, t)

    def looped(o, t):
        return torch.stack([loss_fn(o[i : i + 1], t[i : i + 1]).reshape(()) for i in range(len(o))])

    for each in (vmapped, looped):
        try:
            values = each(out, targets)
        except ERRORS:
            continue
        if np.isclose(float(values.mean()), whole, rtol=1e-4, atol=1e-7 * max(1.0, abs(whole))):
            return each
        break
    raise GdvizError(
        "samples= needs a loss that is a mean of one loss per example (the standard error "
        "comes from their spread), and this loss is not"
    )


def _per_example_keyed(single, flat, inputs: dict, targets, whole: float) -> Callable:
    """A function of (point, inputs, targets) giving each example's loss for mapping batches:
    the model run on each example alone, checked to average to the batch's loss."""

    def each(p, x, y):
        return torch.stack(
            [single(p, rows(x, slice(i, i + 1)), None if y is None else y[i : i + 1])
             for i in range(examples_in(x))]
        )  # fmt: skip

    try:
        values = each(flat, inputs, targets)
    except ERRORS:
        values = None
    if values is not None and np.isclose(
        float(values.mean()), whole, rtol=1e-4, atol=1e-7 * max(1.0, abs(whole))
    ):
        return each
    raise GdvizError(
        "samples= needs a loss that is a mean of one loss per example (the standard error "
        "comes from their spread), and this one is not (a mean over tokens?): leave samples out"
    )


def describe(loss_fn) -> str:
    """The loss, for a cache's fingerprint: its name and the settings of a loss module."""
    name = getattr(loss_fn, "__qualname__", type(loss_fn).__qualname__)
    if isinstance(loss_fn, torch.nn.Module):
        settings = {
            k: v
            for k, v in sorted(vars(loss_fn).items())
            if not k.startswith("_") and isinstance(v, (int, float, str, bool, type(None)))
        }
        name += repr(settings)
    return name


class _Counter:
    """Counts the numbers the leaf layers output in a forward pass (forward hooks), to size how
    many points one call evaluates at once."""

    def __init__(self, module: torch.nn.Module):
        self.module = module
        self.numbers = 0
        self._hooks = []

    def __enter__(self):
        for m in self.module.modules():
            if not any(True for _ in m.children()):
                self._hooks.append(m.register_forward_hook(self._count))
        return self

    def _count(self, _module, _inputs, output):
        if isinstance(output, torch.Tensor):
            self.numbers += output.numel()

    def __exit__(self, *exc):
        for h in self._hooks:
            h.remove()
