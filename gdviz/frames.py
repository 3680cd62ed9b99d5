"""Which snapshots become frames: all of a short run, a well-spread choice of a long one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run import Run

DEFAULT_FRAMES = 200


def pick_steps(runs: Sequence[Run], frames: int | None = None) -> np.ndarray:
    """The snapshot index shown in each frame, increasing, always the first and the last.

    A run of up to ``frames`` (default 200) snapshots shows every one. A longer run shows
    ``frames`` snapshots spread evenly in a blend of time and motion (how far parameters and
    loss moved, each scaled to its range), so the quick start of a long run keeps its frames
    while a slow tail still moves on screen.
    """
    length = max(len(r.loss) for r in runs)
    if frames is None:
        frames = DEFAULT_FRAMES
    elif isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 2:
        raise GdvizError(f"frames must be a whole number of at least 2, not {frames!r}")
    if length <= frames:
        return np.arange(length)

    motion = np.zeros(length)
    for run in runs:
        motion[1 : len(run.loss)] += _motion(run)
    progress = 0.5 * np.linspace(0.0, 1.0, length)
    if motion.sum() > 0:
        progress += 0.5 * np.cumsum(motion) / motion.sum()
    # The snapshot where progress first reaches each of `frames` evenly spaced targets.
    steps = np.unique(np.searchsorted(progress, np.linspace(0.0, 1.0, frames)))
    steps = np.union1d(steps.clip(0, length - 1), [0, length - 1])
    return _fill(steps, frames)


def _motion(run: Run) -> np.ndarray:
    """How far each update moved the run, every parameter and the loss scaled to its range."""
    values = np.column_stack([run.params, np.log1p(run.loss - run.loss.min())])
    span = np.ptp(values, axis=0)
    span[span == 0] = 1.0
    return np.sqrt((np.diff(values / span, axis=0) ** 2).sum(axis=1))


def _fill(steps: np.ndarray, frames: int) -> np.ndarray:
    # Rounding can merge targets; split the widest gaps until there are `frames` steps.
    steps = list(steps)
    while len(steps) < frames:
        gaps = np.diff(steps)
        i = int(np.argmax(gaps))
        steps.insert(i + 1, steps[i] + gaps[i] // 2)
    return np.asarray(steps)
