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
        _add_motion(run, motion)
    # progress = half the share of time passed + half the share of motion made, computed in
    # place: a long run's frames cost one array of its length, not four.
    total = motion.sum()
    progress = np.cumsum(motion, out=motion)
    progress *= 0.5 / total if total > 0 else 0.0
    for start in range(0, length, CHUNK):
        end = min(start + CHUNK, length)
        progress[start:end] += 0.5 * np.arange(start, end) / max(length - 1, 1)
    # The snapshot where progress first reaches each of `frames` evenly spaced targets.
    steps = np.unique(np.searchsorted(progress, np.linspace(0.0, 1.0, frames)))
    steps = np.union1d(steps.clip(0, length - 1), [0, length - 1])
    return _fill(steps, frames)


CHUNK = 65_536  # snapshots at a time: a long run's motion costs no more memory than this


def _add_motion(run: Run, motion: np.ndarray) -> None:
    """Add to ``motion[1:]`` how far each update moved the run, every parameter and the loss
    scaled to its range, a chunk of snapshots at a time."""
    lowest = np.nanmin(run.loss)
    lo = np.append(np.nanmin(run.params, axis=0), 0.0)
    span = np.append(np.nanmax(run.params, axis=0), np.log1p(np.nanmax(run.loss) - lowest)) - lo
    span[~(span > 0)] = 1.0
    for start in range(0, len(run.loss) - 1, CHUNK):
        end = min(start + CHUNK + 1, len(run.loss))
        values = np.column_stack([run.params[start:end], np.log1p(run.loss[start:end] - lowest)])
        step = np.diff(values / span, axis=0)
        motion[start + 1 : end] += np.sqrt((step**2).sum(axis=1))


def _fill(steps: np.ndarray, frames: int) -> np.ndarray:
    # Rounding can merge targets; split the widest gaps until there are `frames` steps.
    steps = list(steps)
    while len(steps) < frames:
        gaps = np.diff(steps)
        i = int(np.argmax(gaps))
        steps.insert(i + 1, steps[i] + gaps[i] // 2)
    return np.asarray(steps)
