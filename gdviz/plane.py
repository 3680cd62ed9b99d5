"""The plane through a trajectory's end spanned by its two main directions (Li et al., 2018)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plane:
    """Coordinates in the plane ``origin + a * dirs[0] + b * dirs[1]``."""

    origin: np.ndarray  # (P,)
    dirs: np.ndarray  # (2, P), orthonormal
    explained: np.ndarray  # (2,), share of the path's variance along each direction

    def project(self, params: np.ndarray) -> np.ndarray:
        """Plane coordinates (..., 2) of parameter vectors (..., P)."""
        return (np.asarray(params) - self.origin) @ self.dirs.T

    def lift(self, coords: np.ndarray) -> np.ndarray:
        """Parameter vectors (..., P) of plane coordinates (..., 2)."""
        return self.origin + np.asarray(coords) @ self.dirs


def pca_plane(paths: list[np.ndarray]) -> Plane:
    """The plane through the first path's last point spanned by the top two principal directions.

    The directions are those of the offsets from that point, all paths stacked; a path with
    one direction of motion gets an arbitrary orthogonal second one (explaining nothing).
    """
    origin = np.asarray(paths[0][-1], dtype=float)
    offsets = np.concatenate([np.asarray(p, dtype=float) for p in paths]) - origin
    offsets = offsets[np.isfinite(offsets).all(axis=1)]
    centred = offsets - offsets.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=True)
    variance = s**2
    total = variance.sum()
    explained = np.zeros(2)
    if total > 0:
        explained[: min(2, len(variance))] = variance[:2] / total
    dirs = vt[:2]
    # A fixed sign (largest entry positive) keeps the picture from flipping between runs.
    dirs = dirs * np.sign(dirs[np.arange(2), np.abs(dirs).argmax(axis=1)])[:, None]
    return Plane(origin, dirs, explained)
