"""Landscapes of trained models, with or without a recorded path: `landscape` (the surface
around a model, Li et al. 2018; the plane through three, Garipov et al. 2018; several recorded
runs on one shared plane) and `interpolate` (the loss on the straight line between two, Goodfellow
et al. 2015), each over data as users have it (`Batches`) and evaluated by `DataLoss`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from gdviz.errors import GdvizError, one_of, warn, whole
from gdviz.run.landscape import MODELS, Landscape
from gdviz.run.line import Interpolation
from gdviz.run.plane import KINDS, random_plane, through_plane
from gdviz.run.record import Run
from gdviz.training.landscape.data import Batches
from gdviz.training.landscape.evaluate import FlatModule
from gdviz.training.landscape.grid import attach, axis, curvature_plane, named
from gdviz.training.landscape.knobs import Knobs
from gdviz.training.landscape.mean import DataLoss, chosen_loss
from gdviz.training.landscape.schedule import digest, group
from gdviz.training.networks import element_names, loss_name

MAX_POINTS = 100_001  # points along an interpolation
THROUGH_REACH = (
    1.5  # the through-plane's half width, in the farthest model's offsets from the centre
)


# -- the surface around models ----------------------------------------------------------------


def landscape(
    model,
    *,
    loss=None,
    data,
    plane: str | None = None,
    through=None,
    runs: Sequence[Run] | None = None,
    resolution: int = 41,
    distance: float | None = 1.0,
    normalization: str | None = "filter",
    bn: str = "eval",
    samples: int | None = None,
    cache=None,
    seed: int = 0,
):
    """The loss landscape of a trained ``model`` (Li et al. 2018), without a recorded path.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network (with ``through``: any of its architecture, which evaluates them).
    loss : callable or str, optional
        Called as ``loss(model(inputs), targets)``, a mean over the batch
        (``torch.nn.CrossEntropyLoss()``), or a name (``"mse"``, ``"cross_entropy"``, ...).
        For mapping batches it is called as ``loss(model(**inputs), labels)``, ``labels``
        taken out of each batch; left out, each batch's loss is the model's own
        (``model(**batch).loss``, a Hugging Face model given ``labels``).
    data : DataLoader, re-iterable of (inputs, targets) batches or of mappings, or (x, y)
        The loss at a point is the mean over every example, batch losses weighted by batch
        size (a mapping's: the first dimension of its tensors), under ``torch.no_grad`` on
        the model's device, dropout off. A batch may be a mapping of tensors (a dict, a
        Hugging Face ``BatchEncoding``) given to the model as keyword arguments. A model's
        own loss that is a mean over tokens is weighed by examples all the same.
    plane : {"random", "hessian", "pca", "endpoints"}, optional
        ``"random"`` (the default): two seeded random directions around the model, scaled by
        ``normalization``, the model at the centre; ``"hessian"``: the unit eigenvectors of the
        loss's Hessian there with the two largest eigenvalues (exact up to 100 parameters,
        Lanczos beyond; ``run.landscape.curvatures`` holds the eigenvalues). With ``runs``,
        the plane of their paths (default ``"pca"``; ``"hessian"`` at the first's end).
    through : list or dict of three torch.nn.Module, optional
        The plane through three trained models of one architecture (Garipov et al. 2018): the
        first at (0, 0), the second at (1, 0), the third across, distances true; each marked
        and named (a dict's keys, else "model 1", ...), each with its own batch-norm statistics.
    runs : list of Run, optional
        Paths recorded from models of this architecture (``Recorder(model)``): returned as
        copies sharing one plane, each with the loss along its own shadow on it.
    resolution : int
        Grid points a side (41; 51 reproduces Li et al.'s plots; odd holds the model itself).
    distance : float
        Half the grid's width in units of the directions (1.0: Li et al.'s [-1, 1]); with
        ``through``, the margin around the three (1.0: they fill the middle two thirds); with
        ``runs``, the grid spans their paths instead.
    normalization : {"filter", "layer", "model", None}
        How random directions are scaled to the weights: each filter (Li et al.; biases and
        norm layers get none), each layer, the whole model, or not at all.
    bn : {"eval", "train"}
        Batch norm with its running statistics, or with each batch's own.
    samples : int, optional
        Average each point over a seeded subsample of this many examples, with its standard
        error stored (``run.landscape.stderr``) and shown: a fast preview.
    cache : str or path, optional
        A ``.npz`` file that keeps every finished point as it finishes: started again after a
        kill, the evaluation computes only the missing points. A cache made for other weights,
        directions, data, grid, loss or settings is refused, naming what differs.
    seed : int
        Seeds the random directions and the subsample.

    Returns
    -------
    Run, or a list of Run with ``runs``
        ``run.landscape`` holds the grid (`gdviz.run.landscape.Landscape`); `gdviz.animate`
        draws it with the contour view (``view="surface"``: in 3-D), the models marked.
    """
    knobs = Knobs.check(resolution, distance, normalization, bn, samples, seed)
    module = _module(model, "model")
    if through is not None and runs is not None:
        raise GdvizError("give through= (three models) or runs= (recorded paths), not both")
    if runs is not None:
        return _around_runs(module, loss, data, runs, plane or "pca", knobs, cache)
    plane = plane or "random"
    if plane not in ("random", "hessian") and through is None:
        if plane in KINDS:
            raise GdvizError(
                f"plane={plane!r} needs paths to choose it: pass runs=[...] recorded from this "
                "model, or use plane='random' or 'hessian' (or through=[a, b, c])"
            )
        one_of(plane, ("random", "hessian"), "plane")
    others = _three(through, module) if through is not None else None
    # Each model carries its own running statistics where they are used (bn="eval"), so the
    # plane through three evaluates each with its own, and the points between with a mix.
    tensors = _tensors(module, buffers=others is not None and knobs.bn == "eval")
    width = sum(t.numel() for t in module.parameters())
    forward = FlatModule(module, tensors)
    batches = knobs.batches(data, forward, loss=loss)
    loss_of = knobs.loss(forward, chosen_loss(loss, batches), batches)
    shapes = [tuple(t.shape) for t in module.parameters()]
    if others is None:
        origin = _vector(tensors)
        loss_of.check(origin)
        if plane == "hessian":
            flat = curvature_plane(loss_of, [origin[None]], seed=knobs.seed)
        else:
            flat = random_plane([origin[None]], shapes=shapes, seed=knobs.seed,
                                normalization=knobs.normalization)  # fmt: skip
        half = knobs.distance or 1.0
        box = [(-half, half)] * 2
        marks, names = np.zeros((1, 2)), (type(module).__name__,)
    else:
        names = tuple(others)
        vectors = np.stack(
            [_vector(_same_tensors(module, m, n, tensors)) for n, m in others.items()]
        )
        loss_of.check(vectors[0])
        flat, marks = through_plane(vectors, width=width)
        box = _through_box(marks, knobs.distance or 1.0)
    a, b = (axis(lo, hi, knobs.resolution) for lo, hi in box)
    grid = np.stack(np.meshgrid(a, b), axis=-1).reshape(-1, 2)
    weights = [module] if others is None else list(others.values())
    loss_of.use_cache(cache, weights=state(*weights), plane=digest(flat.origin, flat.dirs))
    values, stderr = loss_of.measured(
        grid, lift=flat.lift, label="loss on the plane", section="grid"
    )
    if others is None and knobs.resolution % 2:  # the model itself is the grid's centre
        at_marks = values[grid.shape[0] // 2 : grid.shape[0] // 2 + 1]
    else:
        at_marks, _ = loss_of.measured(marks, lift=flat.lift, section="marks")
    found = Landscape(
        kind=flat.kind,
        origin=flat.origin[:width],
        directions=flat.dirs[:, :width],
        a=a,
        b=b,
        loss=values.reshape(len(b), len(a)),
        explained=np.zeros(2),
        samples=batches.samples,
        stderr=None if stderr is None else stderr.reshape(len(b), len(a)),
        examples=batches.total,
        marks=marks,
        mark_names=names,
        mark_loss=at_marks,
        normalization=named(knobs.normalization) if flat.kind == "random" else None,
        curvatures=flat.curvatures,
    )
    meta = {
        "source": MODELS,
        "model": "module",
        "formula": type(module).__name__,
        "loss": loss_name(loss),
        "label": names[0],
        "seed": knobs.seed,
        "evaluation": work(loss_of),
    }
    statistics = forward.statistics(knobs.bn)
    if statistics is not None:
        meta["batch_norm"] = statistics
    run = Run(
        params=flat.origin[None, :width],
        grads=np.full((1, width), np.nan),
        loss=at_marks[:1],
        param_names=_param_names(module),
        meta=meta,
    )
    found.store(run.extras, run.meta)
    return run


def _around_runs(module, loss, data, runs, plane, knobs: Knobs, cache) -> list[Run]:
    """Copies of ``runs`` (each recorded from ``module``'s architecture) on one shared plane, each
    with the loss along its own path's shadow beside its recorded loss."""
    one_of(plane, KINDS, "plane")
    if isinstance(runs, Run) or not isinstance(runs, Sequence) or not runs:
        raise GdvizError("runs must be a list of recorded runs of this model")
    names = _param_names(module)
    for i, run in enumerate(runs, 1):
        if not isinstance(run, Run):
            raise GdvizError(f"runs[{i - 1}] is a {type(run).__name__}, not a gdviz Run")
        if run.param_names != names:
            raise GdvizError(
                f"run {i} ({run.label}) recorded {len(run.param_names)} numbers that are not the "
                f"model's {len(names)} parameters: record each with Recorder(model) of this "
                "architecture"
            )
    tensors = list(module.parameters())
    forward = FlatModule(module, tensors)
    batches = knobs.batches(data, forward, loss=loss)
    loss_of = knobs.loss(forward, chosen_loss(loss, batches), batches)
    copies = [_copy(r) for r in runs]
    loss_of.check(copies[0].params[-1])
    with forward.evaluating(knobs.bn):
        attach(  # over the paths' own region (on a random plane, ±1 at least)
            copies,
            loss_of,
            plane=plane,
            shapes=[tuple(t.shape) for t in tensors],
            box=None,
            seed=knobs.seed,
            resolution=knobs.resolution,
            normalization=knobs.normalization,
            sampling=(batches.samples, batches.total),
            cache=cache,
            weights=state(module),
        )
    statistics = forward.statistics(knobs.bn, final=True)
    for run in copies:
        run.meta.setdefault("model", "module")
        run.meta.setdefault("formula", type(module).__name__)
        run.meta.setdefault("loss", loss_name(loss))
        run.meta["evaluation"] = work(loss_of)
        if statistics is not None:
            run.meta["batch_norm"] = statistics
    return copies


def _through_box(marks: np.ndarray, distance: float) -> list[tuple[float, float]]:
    """A square around the three models: centred on them, its half width ``distance`` times
    `THROUGH_REACH` times the farthest one's offset from the centre (so at 1.0 they sit in its
    middle two thirds)."""
    centre = (marks.min(axis=0) + marks.max(axis=0)) / 2
    half = distance * THROUGH_REACH * float(np.abs(marks - centre).max())
    return [(c - half, c + half) for c in centre]


# -- the line between two models ----------------------------------------------------------------


def interpolate(
    a,
    b,
    *,
    loss=None,
    data,
    points: int = 51,
    bn: str = "eval",
    samples: int | None = None,
    cache=None,
    seed: int = 0,
    names: tuple[str, str] | None = None,
) -> Interpolation:
    """The loss along the straight line ``(1 − α)·a + α·b`` between two trained models of one
    architecture (Goodfellow et al. 2015), for α from −0.5 to 1.5.

    ``loss``, ``data`` (mapping batches and the model's own loss too), ``bn``, ``samples``,
    ``cache`` and ``seed`` are as for `landscape`;
    ``points`` is
    the number of evenly spaced α, to which 0 and 1 (the models themselves) are added. In eval
    mode the running statistics of batch norm mix as the weights do. Returns an
    `Interpolation` (a `Run` of one parameter, α): ``alpha``, ``loss``, ``barrier`` (the largest
    rise of the loss above the chord between the two models, on [0, 1]) and, for a network with
    batch norm, ``other``: the loss in the other mode where it differs. `gdviz.animate` draws a
    point moving along the curve.
    """
    knobs = Knobs.check(3, None, None, bn, samples, seed)
    points = whole(points, "points", minimum=3)
    if points > MAX_POINTS:
        raise GdvizError(f"points must be at most {MAX_POINTS}, not {points}")
    first, second = _module(a, "a"), _module(b, "b")
    names = _two_names(names, first, second)
    alpha = np.union1d(np.linspace(-0.5, 1.5, points), [0.0, 1.0])

    evaluated: dict[str, dict[str, int]] = {}
    both = state(first, second) if cache is not None else ""  # the line, in either mode

    def along(mode: str, batches: Batches | None) -> tuple[np.ndarray, Batches]:
        tensors = _tensors(first, buffers=mode == "eval")
        forward = FlatModule(first, tensors)
        if batches is None:
            batches = knobs.batches(data, forward, loss=loss)
        start = _vector(tensors)
        end = _vector(_same_tensors(first, second, names[1], tensors))
        loss_of = DataLoss(forward, chosen_loss(loss, batches), batches, bn=mode, spread=False)
        loss_of.check(start)

        def lift(coords):
            return start + coords[:, :1] * (end - start)

        loss_of.use_cache(cache, weights=both, plane=both, bn=knobs.bn)
        values, _ = loss_of.measured(
            alpha[:, None], lift=lift, label="loss along the line", section=f"line {mode}"
        )
        evaluated.update(loss_of.work)
        return values, batches

    values, batches = along(knobs.bn, None)
    finite = np.isfinite(values)
    if not finite.all():  # the ends are finite: `DataLoss.check` saw to that
        warn(
            f"the loss is not finite at {int((~finite).sum())} of the {len(alpha)} points "
            f"along the line (from α = {alpha[~finite][0]:g}): they are left out",
            RuntimeWarning,
        )
    other = None
    if any(isinstance(m, _BatchNorm) for m in first.modules()):
        other_mode = "train" if knobs.bn == "eval" else "eval"
        second_values, _ = along(other_mode, batches)
        if not np.allclose(second_values, values, rtol=1e-5, atol=1e-8, equal_nan=True):
            other = second_values
    if other is not None:
        finite &= np.isfinite(other)
    return Interpolation.make(
        alpha[finite],
        values[finite],
        names=names,
        other=None if other is None else other[finite],
        mode=knobs.bn,
        meta={
            "model": "module",
            "formula": type(first).__name__,
            "loss": loss_name(loss),
            "label": f"{names[0]} to {names[1]}",
            "interpolation_samples": batches.samples,
            "interpolation_examples": batches.total,
            "evaluation": summed(evaluated),
        },
    )


# -- models as flat vectors ---------------------------------------------------------------------


def _module(model, what: str) -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module):
        raise GdvizError(f"{what} must be a torch.nn.Module, not {type(model).__name__}")
    if not any(True for _ in model.parameters()):
        raise GdvizError(f"{what} ({type(model).__name__}) has no parameters: no landscape")
    return model


def _tensors(module: torch.nn.Module, *, buffers: bool) -> list[torch.Tensor]:
    """The module's parameters in the order of ``parameters()``, then, with ``buffers``, its
    floating-point buffers (batch norm's running statistics)."""
    out = list(module.parameters())
    if buffers:
        out += [t for _, t in module.named_buffers() if t.is_floating_point()]
    return out


def _vector(tensors: Sequence[torch.Tensor]) -> np.ndarray:
    return np.concatenate(
        [t.detach().to("cpu", torch.float64).numpy().reshape(-1) for t in tensors]
    )


def _same_tensors(
    template: torch.nn.Module, other: torch.nn.Module, name: str, tensors: Sequence[torch.Tensor]
) -> list[torch.Tensor]:
    """``other``'s tensors matching ``tensors`` of ``template`` by name and shape: a
    `GdvizError` names the first that differs (models of another architecture)."""
    if other is template:
        return list(tensors)
    if not isinstance(other, torch.nn.Module):
        raise GdvizError(f"{name} must be a torch.nn.Module, not {type(other).__name__}")
    mine = dict(template.named_parameters(remove_duplicate=False))
    mine.update(template.named_buffers())
    keys = {id(t): k for k, t in mine.items()}
    theirs = dict(other.named_parameters(remove_duplicate=False))
    theirs.update(other.named_buffers())
    out = []
    for t in tensors:
        key = keys[id(t)]
        found = theirs.get(key)
        if found is None:
            raise GdvizError(
                f"{name} is not of the model's architecture: it has no {key!r} "
                f"({type(other).__name__} and {type(template).__name__})"
            )
        if found.shape != t.shape:
            raise GdvizError(
                f"{name} is not of the model's architecture: its {key!r} is "
                f"{tuple(found.shape)}, the model's {tuple(t.shape)}"
            )
        out.append(found)
    if sum(1 for _ in other.parameters()) != sum(1 for _ in template.parameters()):
        raise GdvizError(f"{name} is not of the model's architecture: it has other parameters")
    return out


def _three(through, template: torch.nn.Module) -> dict[str, torch.nn.Module]:
    if isinstance(through, Mapping):
        items = [(str(k), v) for k, v in through.items()]
    elif isinstance(through, (list, tuple)):
        items = [(f"model {i}", m) for i, m in enumerate(through, 1)]
    else:
        raise GdvizError(
            f"through must be three models (a list, or a dict by name), not {type(through).__name__}"
        )
    if len(items) != 3:
        raise GdvizError(f"through needs three models, not {len(items)}")
    if len({n for n, _ in items}) != 3:
        raise GdvizError("the three models of through= need three different names")
    for name, m in items:
        _same_tensors(template, m, name, _tensors(template, buffers=True))
    return dict(items)


def _two_names(names, a, b) -> tuple[str, str]:
    if names is None:
        return ("a", "b")
    if isinstance(names, str) or len(names) != 2:
        raise GdvizError(f"names must be two names, for a and b, not {names!r}"[:200])
    return (str(names[0]), str(names[1]))


def _param_names(module: torch.nn.Module) -> tuple[str, ...]:
    """The names of the numbers of ``module.parameters()``, as `Recorder(module)` gives them."""
    return tuple(n for name, t in module.named_parameters() for n in element_names(name, t))


def state(*modules: torch.nn.Module) -> str:
    """A digest of the models' parameters and floating buffers, for a cache."""
    return digest(*(_vector(_tensors(m, buffers=True)) for m in modules))


def work(loss_of: DataLoss) -> dict[str, int]:
    """What this process evaluated: for `run.meta["evaluation"]`."""
    return summed(loss_of.work)


def summed(work: dict[str, dict[str, int]]) -> dict[str, int]:
    where = group()
    out = {"ranks": 1 if where is None else where[1], "rank": 0 if where is None else where[0]}
    out["evaluated"] = sum(w["evaluated"] for w in work.values())
    out["cached"] = sum(w["cached"] for w in work.values())
    return out


def _copy(run: Run) -> Run:
    """``run`` with its own meta and extras, without any landscape it held."""
    extras = {k: run.extras[k] for k in run.extras if not k.startswith(("plane_", "surface_"))}
    meta = {k: v for k, v in run.meta.items() if not k.startswith("plane")}
    return dataclasses.replace(run, meta=meta, extras=extras)
