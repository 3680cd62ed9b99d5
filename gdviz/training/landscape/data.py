"""Data as users have it, for a loss over every example: ``(x, y)`` tensors, or a
`torch.utils.data.DataLoader` (or any re-iterable of ``(inputs, targets)`` batches), each batch
checked as it comes and moved to the model's device; and a seeded subsample of it
(``samples=N``) held in memory.

A batch may also be a mapping of tensors (a Hugging Face batch: ``input_ids``,
``attention_mask``, ``labels``), one row an example in each: its inputs are then that mapping,
the model's keyword arguments, and its targets None (the model computes its own loss from the
labels) or, given ``labels="labels"``, the tensor taken out of it under that key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from gdviz.errors import GdvizError, whole
from gdviz.training.landscape.schedule import digest

SIGNED = 64  # examples a cache's digest of the data reads
SUBSAMPLE_BATCH = 256  # examples a batch of a subsample holds, where the data names no size
LABELS = "labels"  # where a mapping batch holds its targets for a loss= of the caller's

Inputs = torch.Tensor | dict[str, torch.Tensor]  # a batch's inputs: a tensor, or keyword tensors


@dataclass
class Batches:
    """The data a loss is averaged over, re-iterable as ``(inputs, targets)`` tensor batches on
    ``device`` (floating inputs as ``dtype``); for mapping batches, ``inputs`` is a dict of
    tensors and ``targets`` None, or the tensor under the key ``labels`` where that is given.

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
    labels: str | None = None  # the key of a mapping batch's targets (None: the model's own)
    keyed: bool | None = None  # mapping batches (known once one is read: `mappings`)

    @classmethod
    def of(cls, data, *, device, dtype, x=None, y=None, labels=None) -> Batches:
        """``data`` (or ``x`` and ``y``) as batches: a `GdvizError` names what it cannot use.
        ``labels``: the key of a mapping batch that holds its targets (None: the batch goes
        to the model whole, which computes its own loss)."""
        if data is None:
            if x is None or y is None:
                raise GdvizError("no data: pass data=loader (or data=(x, y)), or x= and y=")
            data = (x, y)
        elif x is not None or y is not None:
            raise GdvizError("pass the data once: data= or x= and y=, not both")
        if _pair(data) is not None or isinstance(data, Mapping):  # the whole data at once
            found = cls([data], torch.device(device), dtype, in_memory=True, labels=labels)
            inputs, _ = found._check(data, 0)
            found.examples = found.total = examples_in(inputs)
            return found
        if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
            raise GdvizError(
                "data must be a DataLoader or another re-iterable of (inputs, targets) batches "
                f"(or of mappings of tensors), or (x, y) tensors, not {type(data).__name__}"
            )
        if iter(data) is data:
            raise GdvizError(
                f"data is a one-pass {type(data).__name__}: every grid point needs another pass "
                "over it, so give a DataLoader or a list of (inputs, targets) batches"
            )
        return cls(data, torch.device(device), dtype, labels=labels)

    def __iter__(self) -> Iterator[tuple[Inputs, torch.Tensor | None]]:
        seen = 0
        for i, batch in enumerate(self.source):
            inputs, targets = self._check(batch, i)
            seen += examples_in(inputs)
            yield self._moved(inputs), self._moved_targets(targets)
        if seen == 0:
            raise GdvizError("the data is empty: its loader yields no examples")
        if self.examples is None:
            self.examples = self.total = seen
        elif seen != self.examples:
            raise GdvizError(
                f"the data gave {seen} examples on one pass and {self.examples} on another: "
                "a loss over all of it needs the same examples every pass"
            )

    def mappings(self) -> bool:
        """Whether the batches are mappings (the model's keyword arguments): the first batch
        is read where that is not known yet."""
        if self.keyed is None:
            self.first()
        return bool(self.keyed)

    def _moved(self, inputs: Inputs) -> Inputs:
        if isinstance(inputs, dict):
            return {k: self._moved(v) for k, v in inputs.items()}
        inputs = inputs.to(self.device, non_blocking=True)
        return inputs.to(self.dtype) if inputs.is_floating_point() else inputs

    def _moved_targets(self, targets: torch.Tensor | None) -> torch.Tensor | None:
        return None if targets is None else targets.to(self.device, non_blocking=True)

    def _check(self, batch, i: int) -> tuple[Inputs, torch.Tensor | None]:
        where = "the data" if self.in_memory else f"batch {i} of the data"
        keyed = isinstance(batch, Mapping)
        if self.keyed is not None and keyed != self.keyed:
            kinds = ("not a mapping", "a mapping")
            raise GdvizError(
                f"{where} is {kinds[keyed]} where the first batch was {kinds[self.keyed]}: "
                "give batches of one kind"
            )
        self.keyed = keyed
        if keyed:
            return self._check_mapping(batch, where)
        pair = _pair(batch)
        if pair is None:
            what = type(batch).__name__
            if isinstance(batch, (tuple, list)):
                what = f"a {what} of {len(batch)}"
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

    def _check_mapping(self, batch: Mapping, where: str) -> tuple[dict, torch.Tensor | None]:
        found = {}
        for key, value in batch.items():
            if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
                value = torch.as_tensor(value)
            if not isinstance(value, torch.Tensor):
                raise GdvizError(
                    f"{where} holds {str(key)[:40]!r} as a {type(value).__name__}, where a "
                    "mapping batch needs tensors, one row an example"
                )
            if value.ndim == 0:
                raise GdvizError(
                    f"{where} holds {str(key)[:40]!r} as a single number where it needs one row "
                    "an example"
                )
            found[str(key)] = value.detach()
        if not found:
            raise GdvizError(f"{where} is an empty mapping: it holds no tensors")
        lengths = {k: len(v) for k, v in found.items()}
        if len(set(lengths.values())) > 1:
            said = ", ".join(f"{k} {n}" for k, n in list(lengths.items())[:4])
            raise GdvizError(
                f"{where} holds tensors of different lengths ({said}): one row an example"
            )
        if len(next(iter(found.values()))) == 0 and self.in_memory:
            raise GdvizError("the data is empty: its tensors hold no examples")
        targets = None
        if self.labels is not None:
            if self.labels not in found:
                raise GdvizError(
                    f"{where} is a mapping of {', '.join(list(found)[:4])} without "
                    f"{self.labels!r}: with loss=, a mapping batch holds its targets under "
                    f"{self.labels!r} (or leave loss out, for the model's own)"
                )
            targets = found.pop(self.labels)
        if self.examples is None:  # the values on the first pass, as for pairs
            for key, t in found.items():
                if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                    raise GdvizError(f"{where} has {key} that are not finite (nan or inf)")
        return found, targets

    def _raw(self, inputs: Inputs, targets: torch.Tensor | None):
        """A checked batch as the data gives it, to be checked again: a pair, or a mapping
        holding its targets under ``labels`` again."""
        if not isinstance(inputs, dict):
            return inputs, targets
        return inputs if targets is None else {**inputs, self.labels: targets}

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
        if found is not None:
            collated, width = found
            pieces = [self._check(collated, 0)]
        else:
            pieces, width = _gather(self, chosen)
        pieces = [(self._moved(x), self._moved_targets(y)) for x, y in pieces]
        batches = [self._raw(x, y) for x, y in _batched(pieces, width)]
        return Batches(
            batches,
            self.device,
            self.dtype,
            examples=samples,
            total=total,
            samples=samples,
            in_memory=len(batches) == 1,
            seed=seed,
            labels=self.labels,
            keyed=self.keyed,
        )

    def signature(self) -> str:
        """A digest of the data, for a cache: how many examples, and a few of them (from the
        dataset of a shuffling loader, which gives another first batch each pass)."""
        count = f"{self.count()}/{self.total}"
        found = _from_dataset(self.source, np.unique([0, self.examples // 2, self.examples - 1]))
        inputs, targets = self._check(found[0], 0) if found is not None else self.first()
        named = inputs if isinstance(inputs, dict) else {"": inputs}
        if targets is not None:
            named = {**named, self.labels or "": targets}
        few = (t[:SIGNED].detach().to("cpu", torch.float64).numpy() for t in named.values())
        if not isinstance(inputs, dict):  # a pair's digest as it was, so its caches still serve
            return digest(count, *few)
        return digest(count, ",".join(named), *few)

    def first(self) -> tuple[Inputs, torch.Tensor | None]:
        """The first batch (checked and moved)."""
        return next(iter(self))


def examples_in(inputs: Inputs) -> int:
    """The examples a batch's inputs hold: the length of its tensor, or of a mapping's first."""
    if isinstance(inputs, dict):
        return len(next(iter(inputs.values())))
    return len(inputs)


def rows(inputs: Inputs, index) -> Inputs:
    """The examples ``index`` (a slice or index tensor) of a batch's inputs."""
    if isinstance(inputs, dict):
        return {k: v[index] for k, v in inputs.items()}
    return inputs[index]


def numel(inputs: Inputs) -> int:
    """The numbers a batch's inputs hold."""
    if isinstance(inputs, dict):
        return sum(v.numel() for v in inputs.values())
    return inputs.numel()


def described(inputs: Inputs) -> str:
    """A batch's inputs in words: their shape, or each tensor's of a mapping."""
    if isinstance(inputs, dict):
        return ", ".join(f"{k} {tuple(v.shape)}" for k, v in list(inputs.items())[:4])
    return f"shape {tuple(inputs.shape)}"


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
    dataset (in order or shuffled), collated from the dataset itself (one batch, unchecked),
    so that a shuffling loader gives the same subsample every time, with the loader's batch
    size; None for any other data."""
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
        batch = loader.collate_fn([dataset[int(i)] for i in chosen])
    except (TypeError, NotImplementedError):
        return None
    if _pair(batch) is None and not isinstance(batch, Mapping):
        return None
    return batch, loader.batch_size or SUBSAMPLE_BATCH


def _gather(batches: Batches, chosen: np.ndarray) -> tuple[list, int]:
    """The examples at positions ``chosen`` (sorted) of one pass over ``batches``, as a piece
    of each batch that holds any, and the size of the data's first batch."""
    pieces, width, start = [], None, 0
    for x, y in batches:
        n = examples_in(x)
        width = width or n
        lo, hi = np.searchsorted(chosen, [start, start + n])
        if hi > lo:
            device = y.device if y is not None else next(iter(x.values())).device
            index = torch.as_tensor(chosen[lo:hi] - start, device=device)
            pieces.append((rows(x, index), None if y is None else y[index]))
        start += n
    if batches.in_memory:  # tensors were one batch, and their subsample stays one
        width = len(chosen)
    return pieces, width


def _batched(pieces: list, width: int) -> list:
    """``pieces`` of batches joined into batches of ``width`` examples, where consecutive
    pieces hold tensors of the same shapes (a padded mapping batch's length may differ from
    the next's: those stay apart)."""
    out, run = [], []

    def flush():
        if not run:
            return
        x, y = _join([p[0] for p in run]), _join([p[1] for p in run])
        n = examples_in(x)
        out.extend(
            (rows(x, slice(i, i + width)), None if y is None else y[i : i + width])
            for i in range(0, n, width)
        )
        run.clear()

    for piece in pieces:
        if run and _shapes(run[0]) != _shapes(piece):
            flush()
        run.append(piece)
    flush()
    return out


def _join(parts: list):
    if parts[0] is None:
        return None
    if isinstance(parts[0], dict):
        return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
    return torch.cat(parts)


def _shapes(piece) -> list:
    """What must agree for two pieces of batches to be joined: keys, shapes past the first
    dimension, dtypes."""
    x, y = piece
    named = x if isinstance(x, dict) else {"": x}
    if y is not None:
        named = {**named, " targets": y}
    return [(k, tuple(v.shape[1:]), v.dtype) for k, v in named.items()]
