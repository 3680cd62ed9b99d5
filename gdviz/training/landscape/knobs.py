"""The settings every landscape of a network shares (`Knobs`), checked once: how fine the grid,
how wide, how random directions are scaled, which statistics batch norm uses, and how many
examples each point's loss averages."""

from __future__ import annotations

import dataclasses
import math

from gdviz.errors import GdvizError, one_of, whole
from gdviz.run.plane import NORMALIZATIONS
from gdviz.training.landscape.data import LABELS, Batches
from gdviz.training.landscape.evaluate import FlatModule
from gdviz.training.landscape.mean import DataLoss

BN_MODES = ("eval", "train")
MAX_RESOLUTION = 1001  # points a side: a million evaluations of the loss over all the data


@dataclasses.dataclass(frozen=True)
class Knobs:
    """The settings every landscape shares, checked once: see `landscape`."""

    resolution: int
    distance: float | None
    normalization: str | None
    bn: str
    samples: int | None
    seed: int

    @classmethod
    def check(cls, resolution, distance, normalization, bn, samples, seed) -> Knobs:
        resolution = whole(resolution, "resolution", minimum=3)
        if resolution > MAX_RESOLUTION:
            raise GdvizError(f"resolution must be at most {MAX_RESOLUTION}, not {resolution}")
        if distance is not None:
            if isinstance(distance, bool) or not isinstance(distance, (int, float)):
                raise GdvizError(f"distance must be a positive number, not {distance!r}"[:200])
            if not (math.isfinite(distance) and distance > 0):
                raise GdvizError(f"distance must be a positive number, not {distance!r}")
            distance = float(distance)
        if normalization not in NORMALIZATIONS:
            raise GdvizError(
                f"unknown normalization {str(normalization)[:40]!r}: use 'filter', 'layer', "
                "'model' or None"
            )
        one_of(bn, BN_MODES, "bn")
        if samples is not None:
            samples = whole(samples, "samples", minimum=1)
        return cls(resolution, distance, normalization, bn, samples, whole(seed, "seed", minimum=0))

    def batches(self, data, forward: FlatModule, *, loss=None, **tensors) -> Batches:
        """The data for ``forward``'s device and dtype, subsampled where ``samples`` says;
        mapping batches hold their targets under ``"labels"`` where a ``loss`` is given (else
        the model computes its own)."""
        labels = None if loss is None else LABELS
        found = Batches.of(
            data, device=forward.device, dtype=forward.dtype, labels=labels, **tensors
        )
        if self.samples is not None:
            found = found.subsample(self.samples, self.seed)
        return found

    def loss(self, forward: FlatModule, loss_fn, batches: Batches) -> DataLoss:
        return DataLoss(forward, loss_fn, batches, bn=self.bn, spread=self.samples is not None)
