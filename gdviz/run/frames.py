"""Which snapshots become frames: all of a short run, a well-spread choice of a long one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run.record import Run

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

    # progress = half the share of time passed + half the share of motion made, rising from 0
    # to 1. Two passes over the runs a chunk of snapshots at a time (the total motion, then the
    # targets each chunk reaches), so a long run's frames cost no array of its length.
    scales = [_scales(r) for r in runs]
    total = sum(float(_motion(runs, scales, a, b).sum()) for a, b in _chunks(length))
    targets = np.linspace(0.0, 1.0, frames)
    found = np.full(frames, length - 1)
    done, made = 0, 0.0  # targets placed; motion made before the chunk
    for a, b in _chunks(length):
        motion = _motion(runs, scales, a, b)
        progress = np.cumsum(motion)
        progress += made
        made = float(progress[-1]) if len(progress) else made
        progress *= 0.5 / total if total > 0 else 0.0
        progress += 0.5 * np.arange(a, b) / max(length - 1, 1)
        # The snapshot where progress first reaches each target: those this chunk reaches.
        reached = done + int(np.searchsorted(targets[done:], progress[-1], side="right"))
        found[done:reached] = a + np.searchsorted(progress, targets[done:reached])
        done = reached
    steps = np.unique(found.clip(0, length - 1))
    steps = np.union1d(steps, [0, length - 1])
    return _fill(steps, frames)


CHUNK = 65_536  # snapshots at a time: a long run's motion costs no more memory than this


def _chunks(length: int):
    for a in range(0, length, CHUNK):
        yield a, min(a + CHUNK, length)


def _motion(runs: Sequence[Run], scales, a: int, b: int) -> np.ndarray:
    """How far the runs moved into each snapshot from ``a`` to ``b`` (0 into the first), every
    parameter and the loss scaled to its range, summed over the runs."""
    motion = np.zeros(b - a)
    for run, (lowest, span) in zip(runs, scales):
        first, last = max(a - 1, 0), min(b, len(run.loss))
        if last - first < 2:
            continue
        values = np.column_stack([run.params[first:last], np.log1p(run.loss[first:last] - lowest)])
        step = np.sqrt((np.diff(values / span, axis=0) ** 2).sum(axis=1))
        # step[i] is the move into snapshot first + 1 + i.
        motion[first + 1 - a : last - a] += step
    return motion


def _scales(run: Run):
    """The loss's lowest value, and the span of each column (parameters, then the log loss)."""
    lowest = np.nanmin(run.loss)
    lo = np.append(np.nanmin(run.params, axis=0), 0.0)
    top = np.append(np.nanmax(run.params, axis=0), np.log1p(np.nanmax(run.loss) - lowest))
    span = top - lo
    span[~(span > 0)] = 1.0
    return lowest, span


def _fill(steps: np.ndarray, frames: int) -> np.ndarray:
    # Rounding can merge targets; split the widest gaps until there are `frames` steps.
    steps = list(steps)
    while len(steps) < frames:
        gaps = np.diff(steps)
        i = int(np.argmax(gaps))
        steps.insert(i + 1, steps[i] + gaps[i] // 2)
    return np.asarray(steps)
