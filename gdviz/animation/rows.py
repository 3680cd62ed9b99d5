"""Memory that follows frames: of a long run, only the snapshots the frames show.

A view of a run of a million snapshots draws 200 frames; each reads the current snapshot, the
next one (the arrow), and the path's even thinning (`trail`, at most `TRAIL` points). `keep_seen`
swaps every per-snapshot array an animation holds (in its runs and in its views) for `Rows`: those
snapshots alone, indexed as before by snapshot number. A read of a snapshot that was dropped
raises, so a view that needed more fails loudly rather than drawing something else.
"""

from __future__ import annotations

import copy

import numpy as np

from gdviz.views.base import TRAIL, at, per_run

RUN_ARRAYS = ("params", "loss")


class Rows:
    """Some rows of an array, read by their row numbers in the whole: ``rows[k]``,
    ``rows[[i, j, k]]``, ``rows[a:b]`` and ``rows[k, c]`` as on the array itself."""

    def __init__(self, array: np.ndarray, keep: np.ndarray):
        self.keep = np.asarray(keep, dtype=np.int64)
        self.values = np.ascontiguousarray(array[self.keep])
        self.shape = (len(array), *self.values.shape[1:])
        self.dtype = self.values.dtype
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def _positions(self, index):
        if isinstance(index, slice):
            index = np.arange(*index.indices(self.shape[0]))
        wanted = np.asarray(index)
        if wanted.dtype == bool:
            wanted = np.flatnonzero(wanted)
        scalar = wanted.ndim == 0
        wanted = np.atleast_1d(wanted).astype(np.int64)
        wanted = np.where(wanted < 0, wanted + self.shape[0], wanted)
        positions = np.searchsorted(self.keep, wanted)
        clipped = np.minimum(positions, len(self.keep) - 1)
        found = (positions < len(self.keep)) & (self.keep[clipped] == wanted)
        if not found.all():
            missing = wanted[~found][:3]
            raise IndexError(f"snapshots {missing.tolist()} were not kept for the frames")
        return positions[0] if scalar else positions

    def __getitem__(self, key):
        if isinstance(key, tuple):
            return self.values[(self._positions(key[0]), *key[1:])]
        return self.values[self._positions(key)]

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Rows hold only the snapshots the frames show; index them by snapshot")


def seen(run, steps: np.ndarray) -> np.ndarray:
    """The snapshots of ``run`` the frames at ``steps`` read: each frame's own and the next,
    and the even thinning its path is drawn with."""
    length = len(run.loss)
    stride = -(-length // TRAIL)
    frames = np.array([at(run, int(s)) for s in steps], dtype=np.int64)
    keep = np.concatenate(
        [np.arange(0, length, stride), frames, np.minimum(frames + 1, length - 1)]
    )
    return np.unique(keep)


def keep_seen(runs: list, views: list, steps: np.ndarray) -> list:
    """Copies of ``runs`` holding only what the frames at ``steps`` read, swapped into
    ``views`` too (the runs given are left whole); short runs are kept as they are."""
    kept = []
    for run in runs:
        if len(run.loss) <= TRAIL:
            kept.append(run)
            continue
        keep = seen(run, steps)
        thin = copy.copy(run)
        for name in RUN_ARRAYS:
            setattr(thin, name, Rows(getattr(run, name), keep))
        thin.__dict__.pop("_read_grads", None)  # drawing never reads the gradients
        thin.__dict__.pop("grads", None)
        kept.append((run, thin, keep))
    swaps = {id(item[0]): item for item in kept if isinstance(item, tuple)}
    for view in views:
        _swap(view, runs, swaps)
    return [item[1] if isinstance(item, tuple) else item for item in kept]


def _swap(view, runs, swaps) -> None:
    """Replace, in ``view``, each run with its thin copy and each array of one of its runs'
    length (per run, in lists indexed like the runs) with its kept rows."""
    view.runs = [swaps[id(r)][1] if id(r) in swaps else r for r in view.runs]
    for name, items in per_run(view):
        setattr(view, name, [_thin(item, run, swaps) for item, run in zip(items, runs)])


def _thin(item, run, swaps):
    if id(run) not in swaps:
        return item
    _, _, keep = swaps[id(run)]
    length = len(run.loss)
    if isinstance(item, np.ndarray) and item.ndim >= 1 and len(item) == length:
        return Rows(item, keep)
    if isinstance(item, tuple):
        return tuple(_thin(part, run, swaps) for part in item)
    if isinstance(item, dict):  # by kind (the internals' vectors, their arrows)
        return {k: _thin(v, run, swaps) for k, v in item.items()}
    if getattr(item, "run", None) is run:  # a helper of the view's that reads its run
        item.run = swaps[id(run)][1]
    return item
