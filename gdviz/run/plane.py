"""Planes through parameter space, for drawing a path of three or more parameters in two.

Three ways to choose the plane, all through the final parameters of the (first) run:

- ``"pca"``: spanned by the path's two main directions (Li et al., 2018, section 7);
- ``"random"``: two seeded Gaussian directions, filter-normalised (Li et al., 2018, section 4):
  each filter of the direction is scaled to the norm of the same filter of the parameters;
- ``"endpoints"``: through the first and final parameters and the path's point farthest from
  the line between them, so those three points lie on the plane exactly;
- ``"hessian"``: spanned by the two eigenvectors of the loss's Hessian at the final parameters
  with the largest eigenvalues (unit-norm): the directions of the sharpest curvature, which
  decide stability (GradVis; PyHessian), where PCA shows where the path went. Training finds
  them with torch (`gdviz.training.curvature.top_eigenpairs`) and builds the plane with
  `hessian_plane`; a loss known only as numpy gets its Hessian by central differences.

Whatever the plane, ``explained`` says how much of the path's variance it holds: a path that
mostly leaves the plane is drawn by its shadow, and the picture says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gdviz.errors import GdvizError

KINDS = ("pca", "random", "endpoints", "hessian")
THROUGH = "through"  # the plane through three models (`through_plane`), not one a path chooses
NORMALIZATIONS = ("filter", "layer", "model", None)


@dataclass(frozen=True)
class Plane:
    """Coordinates in the plane ``origin + a * dirs[0] + b * dirs[1]``.

    ``dirs`` need not be orthonormal (random directions are not): `project` finds the
    coordinates of the nearest point of the plane.
    """

    origin: np.ndarray  # (P,)
    dirs: np.ndarray  # (2, P), linearly independent
    explained: np.ndarray  # (2,), share of the path's variance along each direction
    kind: str = "pca"
    curvatures: np.ndarray | None = None  # a Hessian plane's two eigenvalues, in order
    _pinv: np.ndarray | None = field(init=False, repr=False, compare=False)
    _gram_inv: np.ndarray | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # The pseudo-inverse of two independent directions, Dᵀ (D Dᵀ)⁻¹: the SVD numpy's pinv
        # takes copies a matrix of millions of parameters several times over.
        dirs = np.asarray(self.dirs, dtype=float)
        gram = dirs @ dirs.T
        pinv = np.linalg.pinv(dirs) if np.linalg.cond(gram) > 1e12 else None
        object.__setattr__(self, "_pinv", pinv)
        object.__setattr__(self, "_gram_inv", None if pinv is not None else np.linalg.inv(gram))

    def _coords(self, offsets: np.ndarray) -> np.ndarray:
        """Plane coordinates of offsets from the origin: Dᵀ(D Dᵀ)⁻¹ applied as (x D ᵀ)(D Dᵀ)⁻¹,
        which keeps no (P, 2) matrix beside the directions."""
        if self._pinv is not None:
            return offsets @ self._pinv
        return (offsets @ np.asarray(self.dirs, dtype=float).T) @ self._gram_inv

    def project(self, params: np.ndarray) -> np.ndarray:
        """Plane coordinates (..., 2) of parameter vectors (..., P): of the nearest plane point.
        A long path of many parameters is projected a few rows at a time (no copy of it)."""
        params = np.asarray(params)
        if params.ndim < 2:
            return self._coords(params.astype(float) - self.origin)
        flat = params.reshape(-1, params.shape[-1])
        out = np.empty((len(flat), 2))
        step = max(1, BLOCK // max(flat.shape[1], 1))
        for start in range(0, len(flat), step):
            out[start : start + step] = self._coords(flat[start : start + step] - self.origin)
        return out.reshape(*params.shape[:-1], 2)

    def lift(self, coords: np.ndarray) -> np.ndarray:
        """Parameter vectors (..., P) of plane coordinates (..., 2)."""
        return self.origin + np.asarray(coords, dtype=float) @ self.dirs


def make_plane(
    kind: str,
    paths: Sequence[np.ndarray],
    *,
    shapes: Sequence[tuple[int, ...]] | None = None,
    seed: int = 0,
    normalization: str | None = "filter",
    loss=None,
) -> Plane:
    """The plane of ``kind`` for ``paths`` (each (S, P)), through the first path's end.

    ``shapes`` are the shapes of the tensors the flat parameter vector is made of, in order
    (default: one vector); the random plane scales its directions to them by
    ``normalization`` (`normalized`). The Hessian plane needs ``loss``, a numpy function of
    parameters (P, ...) to values (...).
    """
    if kind == "pca":
        return pca_plane(paths)
    if kind == "random":
        return random_plane(paths, shapes=shapes, seed=seed, normalization=normalization)
    if kind == "endpoints":
        return endpoints_plane(paths)
    if kind == "hessian" and loss is not None:
        origin = np.array(paths[0][-1], dtype=float)
        values, vectors = numeric_hessian(loss, origin)
        return hessian_plane(origin, vectors, values, paths)
    if kind == "hessian":
        raise GdvizError("the Hessian plane needs the loss itself: train with plane='hessian'")
    raise GdvizError(f"unknown plane {kind!r}: use one of {', '.join(KINDS)}")


SAMPLE = 5000  # snapshots a long path is thinned to (evenly) for its principal directions
BLOCK = 2**22  # numbers (32 MB of float64) a block of a path's columns or rows holds
WHOLE = 2**25  # numbers of the snapshots up to which a path is copied whole for its SVD
CHUNK = 65_536  # snapshots looked at a time where a whole path is scanned


def _offsets(paths: Sequence[np.ndarray], origin: np.ndarray) -> np.ndarray:
    rows = []
    for p in paths:
        p = np.asarray(p, dtype=float)
        if len(p) > SAMPLE:
            p = p[np.unique(np.linspace(0, len(p) - 1, SAMPLE).round().astype(int))]
        rows.append(p)
    offsets = np.concatenate(rows) - origin
    return offsets[np.isfinite(offsets).all(axis=1)]


def _rows(paths: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each path with the snapshots its principal directions use: evenly thinned to `SAMPLE`,
    those with every parameter finite (read a block of rows at a time: no copy of the path)."""
    out = []
    for p in paths:
        index = np.arange(len(p))
        if len(p) > SAMPLE:
            index = np.unique(np.linspace(0, len(p) - 1, SAMPLE).round().astype(int))
        step = max(1, BLOCK // max(p.shape[1], 1))
        finite = np.concatenate(
            [np.isfinite(p[index[i : i + step]]).all(axis=1) for i in range(0, len(index), step)]
        )
        out.append((p, index[finite]))
    return out


def _blocks(rows, origin: np.ndarray, mean: np.ndarray | None = None):
    """Blocks of columns of the stacked offsets (rows less ``origin``, and less ``mean`` where
    given): (columns, (S, b) float64), a few megabytes each."""
    count = sum(len(i) for _, i in rows)
    step = max(1, BLOCK // max(count, 1))
    for start in range(0, len(origin), step):
        cols = slice(start, start + step)
        block = np.concatenate([np.asarray(p[i, cols], dtype=float) for p, i in rows])
        block -= origin[cols]
        if mean is not None:
            block -= mean[cols]
        yield cols, block


def _mean(rows, origin: np.ndarray) -> np.ndarray:
    mean = np.zeros_like(origin)
    for cols, block in _blocks(rows, origin):
        mean[cols] = block.mean(axis=0) if len(block) else 0.0
    return mean


def _gram_pca(paths: Sequence[np.ndarray], origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The variances and the top two principal directions of the offsets, from their Gram
    matrix (S x S) built a block of columns at a time: the path of a model of millions of
    parameters is never copied whole, and nothing is P x P."""
    rows = _rows(paths)
    mean = _mean(rows, origin)
    count = sum(len(i) for _, i in rows)
    gram = np.zeros((count, count))
    for _, block in _blocks(rows, origin, mean):
        gram += block @ block.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    keep = [k for k in range(min(2, count)) if values[k] > 1e-24 * max(values[0], 1e-300)]
    dirs = np.zeros((len(keep), len(origin)))
    for cols, block in _blocks(rows, origin, mean):
        for k in keep:
            dirs[k, cols] = vectors[:, k] @ block / np.sqrt(values[k])
    return values, dirs


def _axis(size: int, k: int) -> np.ndarray:
    """The unit vector along axis ``k`` (np.eye(size)[k] without the size x size matrix)."""
    out = np.zeros(size)
    out[k] = 1.0
    return out


def _orthonormal(dirs: np.ndarray) -> np.ndarray:
    """Two directions made orthonormal in order (Gram-Schmidt), as columns (P, 2)."""
    first = np.asarray(dirs[0], dtype=float)
    first = first / np.linalg.norm(first)
    second = np.asarray(dirs[1], dtype=float) - (dirs[1] @ first) * first
    return np.column_stack([first, second / np.linalg.norm(second)])


def _orthogonal(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to the unit vector ``u``: the axis least along it, made so."""
    e = _axis(len(u), int(np.argmin(np.abs(u))))
    e = e - (e @ u) * u
    return e / np.linalg.norm(e)


def explained_by(dirs: np.ndarray, paths: Sequence[np.ndarray], origin: np.ndarray) -> np.ndarray:
    """The share of the paths' variance along each of ``dirs``, orthonormalised in order."""
    basis = _orthonormal(dirs)  # (P, 2), Gram-Schmidt in order
    if sum(min(len(p), SAMPLE) for p in paths) * len(origin) > WHOLE:  # a block at a time
        rows = _rows(paths)
        along, total = 0.0, 0.0
        for cols, block in _blocks(rows, origin, _mean(rows, origin)):
            along = along + block @ basis[cols]
            total += float((block**2).sum())
        return np.zeros(2) if total <= 0 else (np.asarray(along) ** 2).sum(axis=0) / total
    centred = _offsets(paths, origin)
    centred = centred - centred.mean(axis=0)
    total = float((centred**2).sum())
    if total <= 0:
        return np.zeros(2)
    return ((centred @ basis) ** 2).sum(axis=0) / total


def _signed(dirs: np.ndarray) -> np.ndarray:
    """``dirs`` (the caller's own, flipped in place: no copy of millions of parameters) with a
    fixed sign, the largest entry positive, which keeps the picture from flipping between runs."""
    for k in range(len(dirs)):
        if dirs[k, np.abs(dirs[k]).argmax()] < 0:
            dirs[k] *= -1
    return dirs


def pca_plane(paths: Sequence[np.ndarray]) -> Plane:
    """The plane through the first path's last point spanned by the top two principal directions.

    The directions are those of the offsets from that point, all paths stacked; a path with
    one direction of motion gets an arbitrary orthogonal second one (explaining nothing).
    """
    origin = np.array(paths[0][-1], dtype=float)
    if sum(min(len(p), SAMPLE) for p in paths) * len(origin) > WHOLE:
        variance, dirs = _gram_pca(paths, origin)
    else:
        offsets = _offsets(paths, origin)
        centred = offsets - offsets.mean(axis=0)
        # The thin SVD: the full one of a (S, P) path builds a P x P matrix (730 MB and 6 s
        # for 10,000 parameters) to keep two of its rows.
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        variance, dirs = s**2, vt[:2]
    total = variance.sum()
    explained = np.zeros(2)
    if total > 0:
        explained[: min(2, len(variance))] = variance[:2] / total
    if len(dirs) < 2:  # a single snapshot: no second direction to find
        first = dirs[0] if len(dirs) else _axis(len(origin), 0)
        dirs = np.stack([first, _orthogonal(first)])
    return Plane(origin, _signed(dirs), explained, "pca")


def filter_normalized(
    direction: np.ndarray, weights: np.ndarray, shapes: Sequence[tuple[int, ...]] | None
) -> np.ndarray:
    """``direction`` with each filter scaled to the norm of the same filter of ``weights``.

    A filter is one slice along the first axis of a tensor of two or more dimensions (a row of
    a linear layer's weight, an output channel of a convolution). As in Li et al.'s code
    (``ignore='biasbn'``), tensors of one dimension (biases, norm layers) get no direction at
    all; when no tensor has two dimensions (a function of a flat vector) each tensor is one
    filter instead. A filter whose weights are all zero keeps a unit norm.
    """
    return normalized(direction, weights, shapes, "filter")


def normalized(
    direction: np.ndarray,
    weights: np.ndarray,
    shapes: Sequence[tuple[int, ...]] | None,
    how: str | None = "filter",
) -> np.ndarray:
    """``direction`` scaled to the size of ``weights`` (a flat vector of tensors of ``shapes``):

    - ``"filter"``: each filter to the norm of the same filter of the weights (Li et al. 2018,
      section 4; see `filter_normalized`);
    - ``"layer"``: each tensor to the norm of the same tensor of the weights;
    - ``"model"``: the whole direction to the norm of all the weights;
    - None: as drawn.

    With ``"filter"`` and ``"layer"``, as in Li et al.'s code, tensors of one dimension (biases,
    norm layers) get no direction where the model has tensors of two or more.
    """
    direction = np.asarray(direction, dtype=float)
    if how is None:
        return direction.copy()
    if how == "model":
        return direction * _norm(weights) / (np.linalg.norm(direction) + 1e-10)
    shapes = [tuple(s) for s in (shapes or [(len(weights),)])]
    if sum(int(np.prod(s)) for s in shapes) != len(weights):
        raise GdvizError("the tensor shapes do not add up to the number of parameters")
    has_filters = any(len(s) >= 2 for s in shapes)
    out = np.zeros_like(direction, dtype=float)
    start = 0
    for shape in shapes:
        size = int(np.prod(shape))
        d = direction[start : start + size]
        w = weights[start : start + size]
        if len(shape) >= 2 or not has_filters:
            rows = shape[0] if len(shape) >= 2 and how == "filter" else 1
            d, w = d.reshape(rows, -1), w.reshape(rows, -1)
            w_norm = np.linalg.norm(w, axis=1, keepdims=True)
            w_norm[w_norm == 0] = 1.0
            d_norm = np.linalg.norm(d, axis=1, keepdims=True)
            out[start : start + size] = (d * w_norm / (d_norm + 1e-10)).reshape(-1)
        start += size
    return out


def _norm(v: np.ndarray) -> float:
    n = float(np.linalg.norm(v))
    return n if n > 0 else 1.0


def random_plane(
    paths: Sequence[np.ndarray],
    *,
    shapes: Sequence[tuple[int, ...]] | None = None,
    seed: int = 0,
    normalization: str | None = "filter",
) -> Plane:
    """Two seeded Gaussian directions through the first path's end, scaled there by
    ``normalization`` (`normalized`: filter-wise by default)."""
    origin = np.asarray(paths[0][-1], dtype=float)
    rng = np.random.default_rng(seed)
    dirs = np.empty((2, len(origin)))
    for k in range(2):
        dirs[k] = normalized(rng.standard_normal(len(origin)), origin, shapes, normalization)
    if np.linalg.matrix_rank(dirs) < 2:
        raise GdvizError(
            "a random plane needs two independent directions, and this model has none to "
            "normalise (only biases?): use plane='pca' or normalization='model'"
        )
    return Plane(origin, dirs, explained_by(dirs, paths, origin), "random")


def through_plane(points: np.ndarray, width: int | None = None) -> tuple[Plane, np.ndarray]:
    """The plane through three points (3, N) and their coordinates on it (3, 2).

    As Garipov et al. (2018) draw it: the origin is the first point, the first axis runs to
    the second (at (1, 0)), the second axis is the third's offset orthogonal to that, scaled to
    the same length, so distances on the picture are true. Lengths and angles are measured on
    the first ``width`` entries (the parameters); entries past them (batch norm's running
    statistics) follow the same combination of the three, so each point carries its own.
    """
    points = np.asarray(points, dtype=float)
    g = slice(0, width)
    a, b, c = points
    u, v = b - a, c - a
    uu = float(u[g] @ u[g])
    if not uu > 0:
        raise GdvizError("the first two models of through= are the same point: no plane")
    along = float(v[g] @ u[g]) / uu
    w = v - along * u
    ww = float(w[g] @ w[g])
    if not ww > 1e-20 * uu:
        raise GdvizError("the three models of through= lie on one line: no plane through them")
    up = np.sqrt(ww / uu)
    dirs = np.stack([u, w / up])
    plane = Plane(a, dirs, np.zeros(2), THROUGH)
    return plane, np.array([[0.0, 0.0], [1.0, 0.0], [along, up]])


def endpoints_plane(paths: Sequence[np.ndarray]) -> Plane:
    """The plane through the first path's first and last points and its point farthest from
    the line between them; axes in parameter units, the first along the line."""
    path = np.asarray(paths[0], dtype=float)
    path = path[np.isfinite(path).all(axis=1)]
    origin, first = path[-1], path[0]
    line = first - origin
    if not np.linalg.norm(line) > 0:
        raise GdvizError("the run ends where it started: no endpoints plane (use plane='pca')")
    u = line / np.linalg.norm(line)
    off = path - origin
    across = off - np.outer(off @ u, u)
    far = across[np.argmax(np.linalg.norm(across, axis=1))]
    if np.linalg.norm(far) <= 1e-12 * np.linalg.norm(line):
        v = _orthogonal(u)  # a straight path: any second direction shows it
    else:
        v = far / np.linalg.norm(far)
    dirs = np.stack([u, v])
    return Plane(origin, dirs, explained_by(dirs, paths, origin), "endpoints")


def loss_limit(runs) -> float:
    """The loss past which a diverging path leaves the picture: enough to see the first
    overshoots across the bowl, not so much that the bowl shrinks to a dot."""
    start = max(float(r.loss[0]) for r in runs)
    if start > 0:
        return 50 * start + 1e-12
    # A loss below zero at the start (a function's, x**2 + y**2 - 10): 50 times would be
    # further below it, and only the start would pass; as far above it instead, at least
    # the run's own span.
    losses = np.concatenate([np.asarray(r.loss, dtype=float) for r in runs])
    span = float(np.ptp(losses[np.isfinite(losses)])) if np.isfinite(losses).any() else 0.0
    return start + 49 * max(abs(start), span, 1e-12)


def hessian_plane(
    origin: np.ndarray, vectors: np.ndarray, values: np.ndarray, paths: Sequence[np.ndarray]
) -> Plane:
    """The plane through ``origin`` spanned by the unit eigenvectors ``vectors`` (2, P) of the
    Hessian there with eigenvalues ``values`` (descending), each signed with its largest entry
    positive; ``explained`` is the paths' variance along each."""
    dirs = np.array(vectors, dtype=float)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    dirs = _signed(dirs)
    explained = explained_by(dirs, paths, origin)
    return Plane(origin, dirs, explained, "hessian", np.asarray(values, dtype=float))


def numeric_hessian(loss, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two largest eigenvalues (descending) and unit eigenvectors (2, P) of the Hessian of
    ``loss`` (numpy, parameters (P, n) to values (n,)) at ``origin`` (`central_hessian`)."""
    hessian = central_hessian(loss, origin)
    if not np.isfinite(hessian).all():
        raise GdvizError("the loss is not finite around the final parameters: no Hessian plane")
    values, vectors = np.linalg.eigh(hessian)
    return values[::-1][:2], vectors[:, ::-1][:, :2].T


def central_hessian(loss, origin: np.ndarray) -> np.ndarray:
    """The Hessian of ``loss`` (numpy, parameters (P, n) to values (n,)) at ``origin``, by
    central differences of step 1e-4 of each coordinate's size (at least 1e-4), all points in
    one call; NaN where the loss is not finite around it."""
    origin = np.asarray(origin, dtype=float)
    size = len(origin)
    h = 1e-4 * np.maximum(np.abs(origin), 1.0)
    eye = np.eye(size) * h
    i, j = np.triu_indices(size, 1)
    points = [origin[None], origin + eye, origin - eye]
    points += [origin + eye[i] + eye[j], origin + eye[i] - eye[j]]
    points += [origin - eye[i] + eye[j], origin - eye[i] - eye[j]]
    with np.errstate(all="ignore"):
        f = np.asarray(loss(np.concatenate(points).T), dtype=float)
    pairs = len(i)
    centre, plus, minus = f[0], f[1 : 1 + size], f[1 + size : 1 + 2 * size]
    at = 1 + 2 * size
    pp, pm, mp, mm = (f[at + k * pairs : at + (k + 1) * pairs] for k in range(4))
    with np.errstate(all="ignore"):
        hessian = np.diag((plus - 2 * centre + minus) / h**2)
        hessian[i, j] = hessian[j, i] = (pp - pm - mp + mm) / (4 * h[i] * h[j])
    return hessian


def reach(paths: Sequence[np.ndarray], origin: np.ndarray) -> float:
    """How far the paths got from ``origin`` (their finite points; 1 where they never left it):
    the half-width a plane of unit directions needs to show the curvature at the scale of the
    training."""
    far = 0.0
    for p in paths:
        step = max(1, BLOCK // max(p.shape[1], 1))
        for start in range(0, len(p), step):
            d = np.linalg.norm(np.asarray(p[start : start + step], dtype=float) - origin, axis=1)
            d = d[np.isfinite(d)]
            far = max(far, float(d.max()) if len(d) else 0.0)
    return far if far > 0 else 1.0


RANDOM_BOX = np.array([[-1.0, -1.0], [1.0, 1.0]])  # Li et al. draw a random plane over [-1, 1]


def region(
    paths: Sequence[np.ndarray], runs, *, extra: np.ndarray | None = None, kind: str | None = None
) -> list[tuple[float, float]]:
    """The picture's region: the union of each run's `box_around` its path (``paths``, in the
    picture's coordinates), holding the ``extra`` points and, on a random plane, [-1, 1] in each
    direction; on a Hessian plane (unit directions, through the first run's end), as far in
    each direction as the runs' parameters got from that end (`reach`)."""
    extra = np.empty((0, len(paths[0][0]))) if extra is None else np.asarray(extra, dtype=float)
    if kind == "random":
        extra = np.concatenate([extra.reshape(-1, 2), RANDOM_BOX])
    if kind == "hessian":  # unit directions: the box holds how far the training went
        far = reach([r.params for r in runs], np.asarray(runs[0].params[-1], dtype=float))
        extra = np.concatenate([extra.reshape(-1, 2), [[-far, -far], [far, far]]])
    limit = loss_limit(runs)
    boxes = [box_around(p, r.loss, extra, limit) for p, r in zip(paths, runs)]
    whole = _union(boxes)
    settled = [b for b, r in zip(boxes, runs) if not runs_away(r)]
    if not settled or len(settled) == len(boxes):
        return whole
    # A run that runs away must not squash the others into a strip: the view reaches as far
    # again as their own box on each side at most; beyond, its triangle on the edge shows
    # which way it went.
    own = _union(settled)
    return [(max(lo, a - (b - a)), min(hi, b + (b - a))) for (lo, hi), (a, b) in zip(whole, own)]


def _union(boxes: list) -> list[tuple[float, float]]:
    return [
        (min(b[i][0] for b in boxes), max(b[i][1] for b in boxes)) for i in range(len(boxes[0]))
    ]


def runs_away(run) -> bool:
    """Whether ``run`` diverged or ended with a higher loss than it started with."""
    loss = np.asarray(run.loss, dtype=float)
    return run.diverged_at is not None or not np.isfinite(loss[-1]) or loss[-1] > loss[0]


def box_around(
    points: np.ndarray, losses: np.ndarray, extra: np.ndarray, limit: float, pad: float = 0.15
) -> list[tuple[float, float]]:
    """Bounds (lo, hi) per coordinate holding the points whose loss stays under ``limit`` (the
    start always) and the ``extra`` points, widened by ``pad`` of the width on each side.

    A diverging path leaves the box once its loss passes ``limit``, so the box shows the first
    overshoots instead of shrinking the bowl to a dot.
    """
    points = np.asarray(points, dtype=float)
    losses = np.asarray(losses)
    lo = np.full(points.shape[1], np.inf)
    hi = np.full(points.shape[1], -np.inf)
    for start in range(0, len(points), CHUNK):  # no copy of a long path
        block = points[start : start + CHUNK]
        keep = np.isfinite(block).all(axis=1) & (losses[start : start + CHUNK] <= limit)
        if start == 0:
            keep[0] = True
        if keep.any():
            lo = np.minimum(lo, block[keep].min(axis=0))
            hi = np.maximum(hi, block[keep].max(axis=0))
    if len(extra):
        lo = np.minimum(lo, np.min(extra, axis=0))
        hi = np.maximum(hi, np.max(extra, axis=0))
    return [padded(float(a), float(b), pad) for a, b in zip(lo, hi)]


def padded(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
    """The interval [lo, hi] widened by ``pad`` of its width on each side (never empty)."""
    width = hi - lo
    if not np.isfinite(width) or width <= 0:
        width = max(abs(lo), 1.0)
    return lo - pad * width, hi + pad * width


def check_box(box, dims: int) -> list[tuple[float, float]]:
    """``box`` as ``dims`` finite (lo, hi) pairs with lo < hi, or a `GdvizError` naming it."""
    try:
        pairs = [tuple(float(v) for v in pair) for pair in box]
    except (TypeError, ValueError):
        raise GdvizError(f"box must be (lo, hi) pairs, not {box!r}"[:200]) from None
    if len(pairs) != dims or any(len(p) != 2 for p in pairs):
        raise GdvizError(
            f"box needs {dims} (lo, hi) pair{'s' if dims > 1 else ''}, not {box!r}"[:200]
        )
    for lo, hi in pairs:
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise GdvizError(f"box sides must be finite with lo < hi, not ({lo:g}, {hi:g})")
    return pairs
