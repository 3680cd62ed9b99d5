"""Typed, read-only views of what training stores in a run for the views: the loss landscape
(`Landscape`, ``run.landscape``) and a network's predictions over its inputs (`Predictions`,
``run.predictions``).

Both live in the run file as arrays named ``extra.*``, unchanged since the first wave; these
types are the one place that knows the names. Training builds them and calls ``store``; the
views read ``run.landscape`` and ``run.predictions``.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run.plane import Plane
from gdviz.system.files import atomic_path

NORMALIZED = ("filter", "layer", "model", "none")  # a random plane's, as the file names them
MODELS = "landscape"  # run.meta["source"] of `gdviz.landscape`'s runs: models, not paths
SURFACE = "surface"  # the kind of an exact surface over one or two parameters (not a plane)


@dataclass(frozen=True, eq=False)
class Landscape:
    """The loss over a grid: a plane through parameter space, or the parameters themselves.

    ``loss[j, i]`` is the loss at ``origin + a[i] * directions[0] + b[j] * directions[1]``.
    On a plane (three or more parameters) ``kind`` is the plane's name (``"pca"``,
    ``"random"``, ``"endpoints"``, ``"hessian"``), ``explained`` the share of the paths'
    variance along each direction, ``curvatures`` a Hessian plane's two eigenvalues, and ``path_loss`` the loss on the plane where this run's path projects, at the
    snapshots ``path_step``. For a model of one or two parameters the grid is over the
    parameters themselves: ``kind`` is ``"surface"``, ``origin`` zero and ``directions`` the
    identity; with one parameter ``b`` is None and ``loss`` has shape ``(len(a),)``.
    ``samples`` and ``stderr`` say how many examples each point's loss was averaged over and its
    standard error (shaped as ``loss``), where the data was subsampled (None: all of it), and
    ``examples`` how many the data holds. ``marks`` (k, 2) are named points of the plane
    (``mark_names``: the models a plane was drawn through or around) with their own losses
    (``mark_loss``, evaluated there, not read off the grid). Parameter vectors are in the order of
    ``model.parameters()``.
    """

    kind: str
    origin: np.ndarray
    directions: np.ndarray
    a: np.ndarray
    b: np.ndarray | None
    loss: np.ndarray
    explained: np.ndarray | None = None
    path_loss: np.ndarray | None = None
    path_step: np.ndarray | None = None
    samples: int | None = None
    stderr: np.ndarray | None = None
    examples: int | None = None
    marks: np.ndarray | None = None
    mark_names: tuple[str, ...] | None = None
    mark_loss: np.ndarray | None = None
    normalization: str | None = None  # how a random plane's directions were scaled
    curvatures: np.ndarray | None = None  # a Hessian plane's eigenvalues along its directions

    @property
    def plane(self) -> Plane | None:
        """The plane as coordinates to project onto and lift from; None for an exact surface."""
        if self.kind == SURFACE:
            return None
        explained = np.zeros(2) if self.explained is None else self.explained
        return Plane(self.origin, self.directions, explained, self.kind, self.curvatures)

    @property
    def extent(self) -> list[tuple[float, float]]:
        """(lo, hi) of each grid axis."""
        axes = [self.a] if self.b is None else [self.a, self.b]
        return [(float(g[0]), float(g[-1])) for g in axes]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the grid as columns ``a,b,loss`` (one row a point; ``a,loss`` for one
        parameter), atomically."""
        path = Path(path)
        if self.b is None:
            table, head = np.column_stack([self.a, self.loss]), "a,loss"
        else:
            aa, bb = np.meshgrid(self.a, self.b)
            table = np.column_stack([aa.ravel(), bb.ravel(), np.asarray(self.loss).ravel()])
            head = "a,b,loss"
        try:
            with atomic_path(path) as tmp:
                np.savetxt(tmp, table, delimiter=",", header=head, comments="", fmt="%.17g")
        except OSError as exc:
            raise GdvizError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def to_vtk(self, path: str | os.PathLike) -> Path:
        """Write the grid for ParaView and other VTK readers, atomically: a ``.vtu`` file (VTK's
        XML unstructured grid, as text) through meshio, whose points are ``(a, b, loss)`` (the
        surface itself; ``(a, loss, 0)`` along one parameter), joined by quads (line segments),
        with ``loss`` as point data to colour them by."""
        path = Path(path)
        if path.suffix.lower() != ".vtu":
            raise GdvizError(f"a VTK grid is written as .vtu, not {path.suffix or 'no suffix'}")
        try:
            import meshio
        except ImportError:
            raise GdvizError("writing VTK needs meshio: pip install 'gdviz[vtk]'") from None
        loss = np.asarray(self.loss, dtype=float)
        if self.b is None:
            points = np.column_stack([self.a, loss, np.zeros_like(loss)])
            k = np.arange(len(self.a) - 1)
            cells = [("line", np.column_stack([k, k + 1]))]
        else:
            aa, bb = np.meshgrid(self.a, self.b)  # row j, column i: loss[j, i]
            points = np.column_stack([aa.ravel(), bb.ravel(), loss.ravel()])
            cols = len(self.a)
            corner = (np.arange(len(self.b) - 1)[:, None] * cols + np.arange(cols - 1)).ravel()
            quads = np.column_stack([corner, corner + 1, corner + cols + 1, corner + cols])
            cells = [("quad", quads)]
        mesh = meshio.Mesh(points, cells, point_data={"loss": loss.ravel()})
        try:
            with atomic_path(path) as tmp:
                meshio.write(tmp, mesh, file_format="vtu", binary=False)
        except OSError as exc:
            raise GdvizError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    # -- the run file's names -----------------------------------------------------------------

    @classmethod
    def of(
        cls, extras: MutableMapping[str, Any], meta: dict, shape: tuple[int, int] | None = None
    ) -> Landscape | None:
        """The landscape stored in a run's ``extras`` (with its ``meta``), or None; checked
        against the run's ``shape`` (snapshots, parameters): a `GdvizError` names what is
        wrong with one that came malformed (a file from someone else)."""
        found = cls._read(extras, meta)
        if found is not None and shape is not None:
            wrong = found._wrong(*shape)
            if wrong is not None:
                raise GdvizError(f"the run's stored landscape {wrong}")
        return found

    @classmethod
    def _read(cls, extras, meta) -> Landscape | None:
        for key in _NEEDS:
            if key in extras and any(k not in extras for k in _NEEDS[key]):
                missing = next(k for k in _NEEDS[key] if k not in extras)
                raise GdvizError(f"the run's stored landscape lacks its {missing}")
        if "plane_loss" in extras:
            return cls(
                kind=meta.get("plane", "pca"),
                origin=extras["plane_origin"],
                directions=extras["plane_dirs"],
                a=extras["plane_a"],
                b=extras["plane_b"],
                loss=extras["plane_loss"],
                explained=extras["plane_explained"],
                path_loss=extras.get("plane_path_loss"),
                path_step=_or_none(extras, "plane_path_step"),
                samples=meta.get("plane_samples"),
                stderr=_or_none(extras, "plane_stderr"),
                examples=meta.get("plane_examples"),
                marks=_or_none(extras, "plane_marks"),
                mark_names=_names(meta.get("plane_marks")),
                mark_loss=_or_none(extras, "plane_mark_loss"),
                normalization=meta.get("plane_normalization"),
                curvatures=_or_none(extras, "plane_curvatures"),
            )
        if "surface_loss" in extras:
            b = _or_none(extras, "surface_y")
            dim = 1 if b is None else 2
            return cls(
                kind=SURFACE,
                origin=np.zeros(dim),
                directions=np.eye(dim),
                a=extras["surface_x"],
                b=b,
                loss=extras["surface_loss"],
            )
        return None

    def _wrong(self, snapshots: int, width: int) -> str | None:
        """What does not fit in this landscape, for a run of ``snapshots`` x ``width``."""
        axes = [("a", self.a)] + ([] if self.b is None else [("b", self.b)])
        for name, axis in axes:
            axis = np.asarray(axis)
            if axis.ndim != 1 or len(axis) < 2 or axis.dtype.kind not in "fi":
                return f"has an axis {name} of shape {axis.shape}, not a row of numbers"
            if not (np.isfinite(axis).all() and (np.diff(axis) > 0).all()):
                return f"has an axis {name} that is not finite and increasing"
        grid = tuple(len(axis) for _, axis in reversed(axes))
        loss = np.asarray(self.loss)
        if loss.shape != grid or loss.dtype.kind not in "fi":
            return f"has a loss of shape {loss.shape} for a grid of {grid}"
        if not np.isfinite(loss).any():
            return "holds no finite loss"
        dim = width if self.kind == SURFACE else 2
        if self.kind == SURFACE and len(axes) != width:
            return f"is over {len(axes)} parameters, and the run has {width}"
        if np.shape(self.origin) != (width if self.kind != SURFACE else dim,):
            return f"has an origin of shape {np.shape(self.origin)} for {width} parameters"
        if self.kind != SURFACE:
            if np.shape(self.directions) != (2, width):
                return f"has directions of shape {np.shape(self.directions)}, not (2, {width})"
            if not (np.isfinite(self.origin).all() and np.isfinite(self.directions).all()):
                return "has an origin or directions that are not finite"
            if np.linalg.matrix_rank(np.asarray(self.directions, dtype=float)) < 2:
                return "has directions that do not span a plane"
            if self.explained is not None and np.shape(self.explained) != (2,):
                return f"has explained of shape {np.shape(self.explained)}, not (2,)"
            curvatures = self.curvatures
            if curvatures is not None and (
                np.shape(curvatures) != (2,)
                or np.asarray(curvatures).dtype.kind not in "fi"
                or not np.isfinite(curvatures).all()
            ):
                return f"has curvatures of shape {np.shape(curvatures)}, not two numbers"
        if self.path_loss is not None:
            steps = np.asarray(self.path_step)
            if np.ndim(self.path_loss) != 1 or steps.shape != np.shape(self.path_loss):
                return "has path losses that do not match their steps"
            if steps.dtype.kind not in "iu" or not (
                len(steps) == 0 or (steps.min() >= 0 and steps.max() < snapshots)
            ):
                return f"has path steps that are not snapshots 0 to {snapshots - 1}"
            if (np.diff(steps) <= 0).any():
                return "has path steps that are not increasing"
        return self._wrong_sampling() or self._wrong_marks()

    def _wrong_sampling(self) -> str | None:
        if self.normalization is not None and self.normalization not in NORMALIZED:
            return f"has normalization {str(self.normalization)[:40]!r}"
        for name in ("samples", "examples"):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                return f"has {name} {str(value)[:40]!r}, not a whole number of examples"
        if self.samples is not None and self.examples is not None and self.samples > self.examples:
            return f"has {self.samples} samples of {self.examples} examples"
        if self.stderr is not None:
            stderr = np.asarray(self.stderr)
            if stderr.shape != np.shape(self.loss) or stderr.dtype.kind not in "fi":
                return f"has a standard error of shape {stderr.shape} for a loss of {np.shape(self.loss)}"
            if (stderr[np.isfinite(stderr)] < 0).any():
                return "has a negative standard error"
        return None

    def _wrong_marks(self) -> str | None:
        if self.marks is None:
            return None
        marks = np.asarray(self.marks)
        if marks.ndim != 2 or marks.shape[1] != 2 or marks.dtype.kind not in "fi":
            return f"has marks of shape {marks.shape}, not (k, 2)"
        if not np.isfinite(marks).all():
            return "has marks that are not finite"
        if self.mark_names is None or len(self.mark_names) != len(marks):
            return "has marks without one name each"
        if self.mark_loss is not None and np.shape(self.mark_loss) != (len(marks),):
            return "has mark losses that are not one a mark"
        return None

    def store(self, extras: MutableMapping[str, Any], meta: dict) -> None:
        """Write this landscape into a run's ``extras`` (and the plane's name into ``meta``)."""
        if self.kind == SURFACE:
            extras["surface_x"] = self.a
            extras["surface_loss"] = self.loss
            if self.b is not None:
                extras["surface_y"] = self.b
            return
        extras.update(
            plane_origin=self.origin,
            plane_dirs=self.directions,
            plane_explained=self.explained,
            plane_a=self.a,
            plane_b=self.b,
            plane_loss=self.loss,
        )
        if self.path_loss is not None:
            extras["plane_path_loss"] = self.path_loss
            extras["plane_path_step"] = self.path_step
        if self.stderr is not None:
            extras["plane_stderr"] = self.stderr
        if self.curvatures is not None:
            extras["plane_curvatures"] = self.curvatures
        if self.marks is not None:
            extras["plane_marks"] = self.marks
            meta["plane_marks"] = list(self.mark_names)
            if self.mark_loss is not None:
                extras["plane_mark_loss"] = self.mark_loss
        for name in ("samples", "examples"):
            if getattr(self, name) is not None:
                meta[f"plane_{name}"] = int(getattr(self, name))
        if self.normalization is not None:
            meta["plane_normalization"] = self.normalization
        meta["plane"] = self.kind

    def same_plane(self, other: Landscape) -> bool:
        """Whether ``other`` lies on the same plane (or the same parameters) as this one."""
        return (
            self.kind == other.kind
            and np.array_equal(self.origin, other.origin)
            and np.array_equal(self.directions, other.directions)
        )


@dataclass(frozen=True, eq=False)
class Predictions:
    """What a network predicted over its input space at some snapshots, for the fit view.

    One input column (``kind="curve"``): ``values`` (S', G, C) over the grid ``x`` (G,). Two
    (``"region"``): ``values`` (S', G, G, C) over ``x`` and ``y``, ``values[k, j, i]`` at
    ``(x[i], y[j])``. ``step`` (S',) names the snapshots; ``C`` is one (a regression's value, a
    binary classifier's probability of class 1) or the number of classes.
    """

    kind: str
    values: np.ndarray
    step: np.ndarray
    x: np.ndarray
    y: np.ndarray | None = None

    @classmethod
    def of(
        cls, extras: MutableMapping[str, Any], snapshots: int | None = None
    ) -> Predictions | None:
        """The predictions stored in a run's ``extras``, or None; checked against the run's
        number of ``snapshots``: a `GdvizError` names what is wrong with malformed ones."""
        found = cls._read(extras)
        if found is not None and snapshots is not None:
            wrong = found._wrong(snapshots)
            if wrong is not None:
                raise GdvizError(f"the run's stored predictions {wrong}")
        return found

    def _wrong(self, snapshots: int) -> str | None:
        axes = [self.x] + ([] if self.kind == "curve" else [self.y])
        for axis in axes:
            axis = np.asarray(axis)
            if axis.ndim != 1 or len(axis) < 2 or not np.isfinite(axis).all():
                return "have an axis that is not a finite row of numbers"
        grid = tuple(len(a) for a in reversed(axes))
        values, steps = np.asarray(self.values), np.asarray(self.step)
        if values.ndim != len(grid) + 2 or values.shape[1:-1] != grid:
            return f"have shape {values.shape} for a grid of {grid}"
        if steps.shape != (len(values),) or steps.dtype.kind not in "iu" or len(steps) == 0:
            return "do not name one snapshot each"
        if steps.min() < 0 or steps.max() >= snapshots or (np.diff(steps) <= 0).any():
            return f"name snapshots outside 0 to {snapshots - 1}, or out of order"
        return None

    @classmethod
    def _read(cls, extras) -> Predictions | None:
        for kind in ("curve", "region"):
            if kind in extras:
                for key in (f"{kind}_x", *(["region_y"] if kind == "region" else [])):
                    if key not in extras:
                        raise GdvizError(f"the run's stored predictions lack their {key}")
                values = extras[kind]
                if values.ndim == (2 if kind == "curve" else 3):  # stored without the C axis
                    values = values[..., None]
                step = _or_none(extras, f"{kind}_step")
                return cls(
                    kind=kind,
                    values=values,
                    step=np.arange(len(values)) if step is None else step,
                    x=extras[f"{kind}_x"],
                    y=_or_none(extras, "region_y") if kind == "region" else None,
                )
        return None

    def store(self, extras: MutableMapping[str, Any]) -> None:
        extras[self.kind] = self.values
        extras[f"{self.kind}_step"] = self.step
        extras[f"{self.kind}_x"] = self.x
        if self.kind == "region":
            extras["region_y"] = self.y


# What each stored landscape needs beside its loss.
_NEEDS = {
    "plane_loss": ("plane_origin", "plane_dirs", "plane_explained", "plane_a", "plane_b"),
    "surface_loss": ("surface_x",),
    "plane_path_loss": ("plane_path_step",),
}


def of_models(meta: dict) -> bool:
    """Whether a run's ``meta`` is a landscape around models (`gdviz.landscape`), no path."""
    return meta.get("source") == MODELS


def _names(value) -> tuple[str, ...] | None:
    """Mark names from a file's JSON: a list of text, else None (for `_wrong_marks` to refuse)."""
    if isinstance(value, list) and all(isinstance(v, str) and len(v) <= 1000 for v in value):
        return tuple(value)
    return None


def _or_none(extras, key: str):
    return extras[key] if key in extras else None
