"""A plane through parameter space, in words and marks on the picture: its title and axes, which
batch-norm statistics it was evaluated with, how many examples its loss averages (and how far a
subsample's may be from all of them), and the trained models it was drawn through or around."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes

from gdviz.run.landscape import Landscape, of_models
from gdviz.run.plane import Plane
from gdviz.run.record import Run
from gdviz.views.base import color, number

NORMALIZED = {
    "filter": "filter-normalised",
    "layer": "layer-normalised",
    "model": "model-normalised",
    "none": "unnormalised",
}
AXES = {
    "pca": ("direction 1", "direction 2"),
    "random": ("random direction 1", "random direction 2"),
    "endpoints": ("towards the start", "across"),
    "hessian": ("Hessian eigenvector 1", "Hessian eigenvector 2"),
}
STATISTICS = {
    "final running statistics": "batch norm: final statistics",
    "running statistics": "batch norm: running statistics",
    "batch statistics": "batch norm: each batch's statistics",
}
OUTLINE = [patheffects.withStroke(linewidth=3, foreground="white", alpha=0.85)]


def pathless(runs: Sequence[Run]) -> bool:
    """Whether ``runs`` are models on a plane (`gdviz.landscape`) rather than recorded paths."""
    return all(of_models(r.meta) for r in runs)


def title(plane: Plane, stored: Landscape | None, runs: Sequence[Run]) -> str:
    """Two lines: what the plane is, and through what, in which units and statistics."""
    first = runs[0]
    count = f"{len(first.param_names):,}"
    kind = plane.kind
    if kind == "through":
        head, where = "loss on the plane through three models", f"{count} parameters each"
    else:
        if kind == "random":
            how = NORMALIZED.get(getattr(stored, "normalization", None) or "filter", "")
            head = f"loss on a random plane ({how} directions)"
        elif kind == "endpoints":
            head = "loss on the plane through the start, the end and the farthest point"
        elif kind == "hessian":
            head = "loss on the plane of the Hessian's top two eigenvectors"
        else:
            paths = "paths'" if len(runs) > 1 else "path's"
            head = f"loss on the plane of the {paths} two main directions"
        where = (
            f"around the model's {count} parameters"
            if pathless(runs)
            else (f"through the final {count} parameters")
        )
    notes = []
    if first.problem.standardized is not None and first.problem.model in ("mlp", "module"):
        notes.append("in standardised units")
    statistics = first.training.batch_norm
    if statistics:
        said = STATISTICS.get(statistics, f"batch norm: {statistics}")
        if kind == "through" and statistics == "running statistics":
            said = "batch norm: running statistics, mixed"
        notes.append(said)
    return f"{head}\n{where}" + "".join(f", {n}" for n in notes)


def axis_labels(
    plane: Plane, stored: Landscape | None, runs: Sequence[Run], *, short: bool = False
) -> tuple[str, str]:
    """The axes' labels: each direction's share of the paths' variance where there are paths
    (``short``: as whole percents, for the 3-D view's cramped axes)."""
    if plane.kind == "through" and stored is not None and stored.mark_names is not None:
        a, b, c = stored.mark_names
        return f"from {a} towards {b}", f"across, towards {c}"
    first, second = AXES.get(plane.kind, AXES["pca"])
    if plane.curvatures is not None:  # the curvature along each, which is what they are for
        first = f"{first}, λ = {number(plane.curvatures[0])}"
        second = f"{second}, λ = {number(plane.curvatures[1])}"
    if pathless(runs):
        return first, second
    share = plane.explained
    paths = "paths'" if len(runs) > 1 else "path's"
    if short:
        return f"{first} ({share[0]:.0%})", f"{second} ({share[1]:.0%})"
    return f"{first} ({share[0]:.1%} of the {paths} variance)", f"{second} ({share[1]:.1%})"


def marks(ax: Axes, stored: Landscape | None) -> list:
    """The models the plane was drawn through or around, each a dot named beside it."""
    if stored is None or stored.marks is None:
        return []
    drawn = []
    for j, ((x, y), name) in enumerate(zip(stored.marks, stored.mark_names)):
        (dot,) = ax.plot(x, y, "o", ms=9, color=color(j), mec="white", mew=1.6, zorder=6)
        text = ax.annotate(
            name,
            (x, y),
            xytext=(7, 6),
            textcoords="offset points",
            fontsize="small",
            color="#111111",
            path_effects=OUTLINE,
            zorder=7,
        )
        drawn += [dot, text]
    return drawn


def spread(stored: Landscape, xy) -> float | None:
    """The standard error of the loss at the grid point nearest ``xy`` (None: all the data)."""
    if stored.stderr is None:
        return None
    i = int(np.argmin(np.abs(np.asarray(stored.a) - xy[0])))
    j = int(np.argmin(np.abs(np.asarray(stored.b) - xy[1])))
    return float(np.asarray(stored.stderr)[j, i])


def examples(stored: Landscape | None) -> str | None:
    """How many examples the plane's loss averages: None where nothing says (a built-in
    problem's data, every point of it)."""
    if stored is None or stored.examples is None:
        return None
    if stored.samples is None or stored.samples >= stored.examples:
        return f"loss over all {stored.examples:,} examples"
    return (
        f"loss over a seeded {stored.samples:,} of {stored.examples:,} examples, "
        "± one standard error"
    )


def mark_note(stored: Landscape | None) -> str:
    """Each marked model's loss (± its standard error where the data was subsampled), and over
    how many examples."""
    lines = []
    if stored is not None and stored.marks is not None:
        losses = stored.mark_loss if stored.mark_loss is not None else [np.nan] * len(stored.marks)
        for name, xy, loss in zip(stored.mark_names, stored.marks, losses):
            se = spread(stored, xy)
            lines.append(f"{name}: loss {number(loss)}" + ("" if se is None else f" ± {se:.2g}"))
    said = examples(stored)
    if said:
        lines.append(said)
    return "\n".join(lines)
