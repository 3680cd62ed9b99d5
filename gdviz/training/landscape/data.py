"""Data as users have it, for a loss over every example: ``(x, y)`` tensors, or a
`torch.utils.data.DataLoader` (or any re-iterable of ``(inputs, targets)`` batches), each batch
checked as it comes and moved to the model's device; and a seeded subsample of it
(``samples=N``) held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from gdviz.errors import GdvizError, whole
from gdviz.training.landscape.schedule import digest

SIGNED = 64  # examples a cache's digest of the data reads
SUBSAMPLE_BATCH = 256  # examples a batch of a subsample holds, where the data names no size


@dataclass
class Batches:
    """The data a loss is averaged over, re-iterable as ``(inputs, targets)`` tensor batches on
    ``device`` (floating inputs as ``dtype``).

    ``examples`` is the number of examples (known once a pass has ended: `count`); ``total``
    that of the data it was drawn from, where ``samples`` subsampled it (else equal).
    """

    source: Iterable
    device: torch.device
    dtype: torch.dtype
    examples: int | None = None
    total: int | None = None
    samples: int | None = None
    in_memory: bool = False  # one batch of tensors already (x, y)
    seed: int | None = None  # the subsample's

    @classmethod
    def of(cls, data, *, device, dtype, x=None, y=None) -> Batches:
        """``data`` (or ``x`` and ``y``) as batches: a `GdvizError` names what it cannot use."""
        if data is None:
            if x is None or y is None:
                raise GdvizError("no data: pass data=loader (or data=(x, y)), or x= and y=")
            data = (x, y)
        elif x is not None or y is not None:
            raise GdvizError("pass the data once: data= or x= and y=, not both")
        pair = _pair(data)
        if pair is not None:
            inputs, targets = pair
            n = len(inputs)
            found = cls([pair], torch.device(device), dtype, in_memory=True)
            found._check(pair, 0)
            found.examples = found.total = n
            return found
        if isinstance(data, (str, bytes, dict)) or not isinstance(data, Iterable):
            raise GdvizError(
                "data must be a DataLoader or another re-iterable of (inputs, targets) batches, "
                f"or (x, y) tensors, not {type(data).__name__}"
            )
        if iter(data) is data:
            raise GdvizError(
                f"data is a one-pass {type(data).__name__}: every grid point needs another pass "
                "over it, so give a DataLoader or a list of (inputs, targets) batches"
            )
        return cls(data, torch.device(device), dtype)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        seen = 0
        for i, batch in enumerate(self.source):
            inputs, targets = self._check(batch, i)
            seen += len(inputs)
            yield self._moved(inputs), targets.to(self.device, non_blocking=True)
        if seen == 0:
            raise GdvizError("the data is empty: its loader yields no examples")
        if self.examples is None:
            self.examples = self.total = seen
        elif seen != self.examples:
            raise GdvizError(
                f"the data gave {seen} examples on one pass and {self.examples} on another: "
                "a loss over all of it needs the same examples every pass"
            )

    def _moved(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self.device, non_blocking=True)
        return inputs.to(self.dtype) if inputs.is_floating_point() else inputs

    def _check(self, batch, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        pair = _pair(batch)
        where = "the data" if self.in_memory else f"batch {i} of the data"
        if pair is None:
            what = type(batch).__name__
            if isinstance(batch, (tuple, list)):
                what = f"a {what} of {len(batch)}"
            elif isinstance(batch, dict):
                what = f"a dict of {', '.join(map(str, list(batch)[:4]))}"
            raise GdvizError(
                f"{where} is {what}, not (inputs, targets): give a loader of (inputs, "
                "targets) pairs of tensors"
            )
        inputs, targets = pair
        if inputs.ndim == 0 or targets.ndim == 0:
            raise GdvizError(f"{where} holds a single number where it needs one row an example")
        if len(inputs) != len(targets):
            raise GdvizError(
                f"{where} has {len(inputs)} inputs and {len(targets)} targets: one target an input"
            )
        if len(inputs) == 0 and self.in_memory:
            raise GdvizError("the data is empty: x and y hold no examples")
        if self.examples is None:  # the values on the first pass (each pass is another 4%)
            for name, t in (("inputs", inputs), ("targets", targets)):
                if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                    raise GdvizError(f"{where} has {name} that are not finite (nan or inf)")
        return inputs, targets

    def count(self) -> int:
        """The number of examples: one pass over the data where it is not known yet."""
        if self.examples is None:
            for _ in self:
                pass
        return int(self.examples)

    def subsample(self, samples, seed: int) -> Batches:
        """A seeded subsample of ``samples`` examples, drawn without replacement and held in
        memory (on the device) as batches of the data's own batch size."""
        samples = whole(samples, "samples", minimum=1)
        total = self.count()
        if samples > total:
            raise GdvizError(
                f"samples={samples} is more than the data's {total} examples: give at most "
                f"{total}, or samples=None for all of them"
            )
        chosen = np.sort(np.random.default_rng(seed).choice(total, samples, replace=False))
        found = _from_dataset(self.source, chosen)  # a shuffling loader: the same examples
        inputs, targets, size = found if found is not None else _gather(self, chosen)
        inputs, targets = self._moved(inputs), targets.to(self.device)
        batches = [(inputs[i : i + size], targets[i : i + size]) for i in range(0, samples, size)]
        return Batches(
            batches,
            self.device,
            self.dtype,
            examples=samples,
            total=total,
            samples=samples,
            in_memory=len(batches) == 1,
            seed=seed,
        )

    def signature(self) -> str:
        """A digest of the data, for a cache: how many examples, and a few of them (from the
        dataset of a shuffling loader, which gives another first batch each pass)."""
        count = f"{self.count()}/{self.total}"
        found = _from_dataset(self.source, np.unique([0, self.examples // 2, self.examples - 1]))
        inputs, targets = found[:2] if found is not None else self.first()
        few = (t[:SIGNED].detach().to("cpu", torch.float64).numpy() for t in (inputs, targets))
        return digest(count, *few)

    def first(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The first batch (checked and moved)."""
        return next(iter(self))


def _pair(batch) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``batch`` as two tensors (arrays become tensors), or None when it is not a pair."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        return None
    out = []
    for part in batch:
        if isinstance(part, torch.Tensor):
            out.append(part.detach())
        elif isinstance(part, np.ndarray) and part.dtype.kind in "biuf":
            out.append(torch.as_tensor(part))
        else:
            return None
    return out[0], out[1]


def _from_dataset(loader, chosen: np.ndarray):
    """The examples ``chosen`` of a DataLoader that passes once over its whole map-style
    dataset (in order or shuffled), collated from the dataset itself, so that a shuffling
    loader gives the same subsample every time; None for any other data."""
    from torch.utils.data import DataLoader, RandomSampler, SequentialSampler

    if not isinstance(loader, DataLoader) or loader.batch_sampler is None:
        return None
    sampler = loader.sampler
    dataset = loader.dataset
    if not isinstance(sampler, (SequentialSampler, RandomSampler)) or not hasattr(
        dataset, "__getitem__"
    ):
        return None
    if isinstance(sampler, RandomSampler) and sampler.replacement:
        return None
    try:
        if len(sampler) != len(dataset):
            return None
        pair = _pair(loader.collate_fn([dataset[int(i)] for i in chosen]))
    except (TypeError, NotImplementedError):
        return None
    if pair is None:
        return None
    return pair[0], pair[1], loader.batch_size or SUBSAMPLE_BATCH


def _gather(batches: Batches, chosen: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The examples at positions ``chosen`` (sorted) of one pass over ``batches``, concatenated,
    and the size of the data's first batch."""
    inputs, targets, size, start = [], [], None, 0
    for x, y in batches:
        size = size or len(x)
        end = start + len(x)
        lo, hi = np.searchsorted(chosen, [start, end])
        if hi > lo:
            rows = torch.as_tensor(chosen[lo:hi] - start, device=x.device)
            inputs.append(x[rows])
            targets.append(y[rows])
        start = end
    if batches.in_memory:  # tensors were one batch, and their subsample stays one
        size = len(chosen)
    return torch.cat(inputs), torch.cat(targets), size
