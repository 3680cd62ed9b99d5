"""`Interpolation`: the loss along the straight line between two trained models (Goodfellow et
al. 2015), ``(1 − α)·a + α·b``, as a `Run` whose one "parameter" is α, so that it saves, loads
and animates as every run does (`gdviz.interpolate` makes one).
"""

from __future__ import annotations

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run.record import Run

SOURCE = "interpolation"  # run.meta["source"] of an interpolation


def barrier(alpha: np.ndarray, loss: np.ndarray) -> float:
    """The largest rise of ``loss`` above the chord between α = 0 and α = 1, over α in [0, 1]:
    ``max(loss(α) − ((1 − α)·loss(0) + α·loss(1)))``, at least 0 (Frankle et al. 2020)."""
    alpha, loss = np.asarray(alpha, dtype=float), np.asarray(loss, dtype=float)
    ends = [np.flatnonzero(alpha == v) for v in (0.0, 1.0)]
    if any(len(e) == 0 for e in ends):
        raise GdvizError("an interpolation needs α = 0 and α = 1 among its points")
    start, end = loss[ends[0][0]], loss[ends[1][0]]
    inside = (alpha >= 0) & (alpha <= 1)
    rise = loss[inside] - ((1 - alpha[inside]) * start + alpha[inside] * end)
    rise = rise[np.isfinite(rise)]
    return float(max(rise.max(initial=0.0), 0.0))


class Interpolation(Run):
    """The loss along ``(1 − α)·a + α·b``: ``alpha`` (K,) from −0.5 to 1.5 holding 0 and 1 (the
    models themselves), ``loss`` (K,), ``barrier`` (see `barrier`), and, for a network with
    batch norm, ``other``: the loss in the other batch-norm mode (``other_mode``), None where
    the modes agree. ``names`` name the two models. A `Run` of one parameter, α: `gdviz.animate`
    draws it as a point moving along the curve, and it saves and loads as a run does.
    """

    @classmethod
    def make(
        cls,
        alpha: np.ndarray,
        loss: np.ndarray,
        *,
        names: tuple[str, str] = ("a", "b"),
        other: np.ndarray | None = None,
        mode: str = "eval",
        meta: dict | None = None,
    ) -> Interpolation:
        alpha = np.asarray(alpha, dtype=float)
        loss = np.asarray(loss, dtype=float)
        meta = dict(meta or {})
        meta.update(
            source=SOURCE,
            barrier=barrier(alpha, loss),
            ends=list(names),
            mode=mode,
        )
        extras = {} if other is None else {"line_other": np.asarray(other, dtype=float)}
        return cls(
            params=alpha[:, None],
            grads=np.full((len(alpha), 1), np.nan),
            loss=loss,
            param_names=("α",),
            meta=meta,
            extras=extras,
        )

    def __post_init__(self):
        super().__post_init__()
        alpha = self.params[:, 0]
        if len(alpha) < 3 or not (np.isfinite(alpha).all() and (np.diff(alpha) > 0).all()):
            raise GdvizError("an interpolation's α must be finite and increasing")
        ends = self.meta.get("ends")
        if not (
            isinstance(ends, list) and len(ends) == 2 and all(isinstance(e, str) for e in ends)
        ):
            raise GdvizError("an interpolation needs the names of its two ends")
        other = self.extras.get("line_other")
        if other is not None and np.shape(other) != np.shape(self.loss):
            raise GdvizError("an interpolation's second curve needs one loss per α")
        self.meta["barrier"] = barrier(alpha, self.loss)  # recomputed: never taken on trust

    @property
    def alpha(self) -> np.ndarray:
        return self.params[:, 0]

    @property
    def barrier(self) -> float:
        return float(self.meta["barrier"])

    @property
    def names(self) -> tuple[str, str]:
        return tuple(self.meta["ends"])

    @property
    def mode(self) -> str:
        """The batch-norm mode of ``loss``: ``"eval"`` (running statistics) or ``"train"``."""
        return "train" if self.meta.get("mode") == "train" else "eval"

    @property
    def other(self) -> np.ndarray | None:
        return self.extras.get("line_other")

    @property
    def other_mode(self) -> str:
        return "eval" if self.mode == "train" else "train"

    def __repr__(self) -> str:
        a, b = self.names
        return (
            f"Interpolation({a!r} -> {b!r}, {len(self.alpha)} points, loss "
            f"{self.loss[self.alpha == 0][0]:.4g} -> {self.loss[self.alpha == 1][0]:.4g}, "
            f"barrier {self.barrier:.4g})"
        )


def is_line(meta: dict) -> bool:
    """Whether a run's ``meta`` is an interpolation's."""
    return meta.get("source") == SOURCE
