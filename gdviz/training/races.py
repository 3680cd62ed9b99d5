"""Races: several runs on one problem, one per optimiser and learning rate, drawn together."""

from __future__ import annotations

import itertools
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from gdviz.errors import GdvizError, warn
from gdviz.run import convergence
from gdviz.run.record import Run
from gdviz.training.options import Options
from gdviz.training.train import Session


def sweep(data, *, optimizer=None, lr=None, **train_options) -> list[Run]:
    """Train one run per combination of ``optimizer`` and ``lr``, for drawing together.

    Parameters
    ----------
    data
        Anything `gdviz.train` takes.
    optimizer : str or sequence of str
        The optimisers to race (default: the problem's own).
    lr : float or sequence of float
        The learning rates. Without them each optimiser gets its own default rate for the
        problem (momentum a tenth of gradient descent's, adaptive methods their usual rate),
        so the race is fair.
    **train_options
        Passed to `gdviz.train` for every run (``steps``, ``init``, ``seed``, ``model``, ...).
        Every run starts from the same parameters: a network is built (or copied) afresh for
        each from the same seed.

    Returns
    -------
    list of Run
        Named uniquely in ``run.meta["label"]`` (``"adam, lr 0.1"``; a repeated combination
        gets `` #2``), all sharing one loss landscape where one is computed.

    Examples
    --------
    >>> runs = gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"])
    >>> runs = gdviz.sweep("synthetic", lr=[0.01, 0.1, 0.5])
    >>> gdviz.animate(runs, view="contour").save("race.gif")
    """
    optimizers = _listed(optimizer, "optimizer")
    rates = _listed(lr, "lr")
    options = Options.of(**train_options)
    sessions, runs = [], []
    for name, rate in itertools.product(optimizers, rates):
        session = Session(data, options.but(optimizer=name, lr=rate))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            run = session.run()
        sessions.append(session)
        runs.append(run)
    for run, label in zip(runs, unique_labels(runs)):
        run.meta["label"] = label
        if run.diverged_at is not None:
            warn(f"{label}: diverged at step {run.diverged_at}", RuntimeWarning)
        elif (said := convergence.note(run)) is not None:
            warn(f"{label}: {said}", UserWarning)
    sessions[0].describe(runs)
    return runs


def unique_labels(runs: Sequence[Run]) -> list[str]:
    """The runs' labels, a repeated one numbered (``adam, lr 0.1 #2``)."""
    labels, seen = [], {}
    for run in runs:
        label = run.label
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return labels


def run_files(path: str | os.PathLike, runs: Sequence[Run]) -> list[Path]:
    """Where to save each of ``runs`` given one path: the path itself for one run, else one
    file per run beside it, named from its label (``race-adam-lr-0.1.npz``), never twice."""
    path = Path(path)
    if len(runs) == 1:
        return [path]
    names: list[Path] = []
    for label in unique_labels(runs):
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", label).strip("-") or "run"
        candidate, k = path.with_name(f"{path.stem}-{slug}{path.suffix}"), 2
        while candidate in names:
            candidate = path.with_name(f"{path.stem}-{slug}-{k}{path.suffix}")
            k += 1
        names.append(candidate)
    return names


def _listed(value, what: str) -> list:
    if value is None:
        return [None]
    if isinstance(value, (str, int, float)):
        return [value]
    try:
        items = list(value)
    except TypeError:
        raise GdvizError(f"{what} must be one value or a list of them, not {value!r}") from None
    if not items:
        raise GdvizError(f"{what} is an empty list")
    return items
