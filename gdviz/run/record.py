"""A `Run`: one recorded optimisation, a snapshot per evaluation of the loss, as numpy arrays."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gdviz.errors import GdvizError
from gdviz.run.landscape import Landscape, Predictions
from gdviz.run.meta import Problem, Training
from gdviz.run.meta import check as check_meta
from gdviz.system.files import atomic_path

# A big run (a network's parameters over many steps) is written as it is: compressing gigabytes
# takes minutes for a third off. Big float64 arrays whose values are float32 (a float32 model,
# a recording kept as float32) are written as float32, which holds them exactly.
PLAIN_FROM = 256 * 2**20  # bytes of arrays
NARROW_FROM = 1_000_000  # elements of an array
FORMAT = "gdviz.run"  # the header's name for the format (a name in files, not a module's)
FORMAT_VERSION = 2  # 2: the names of many parameters in an entry of their own
NAMES_IN_HEADER = 10_000  # parameter names the header holds; more go to "param_names"


@dataclass(eq=False)
class Run:
    """One recorded optimisation.

    Parameters
    ----------
    params, grads : ndarray of shape (S, P)
        Parameter values at each snapshot, and the gradient held in ``.grad`` there (the one the
        update after it uses).
    loss : ndarray of shape (S,)
        The loss at each snapshot.
    param_names : tuple of str
        One name per parameter column, e.g. ``("m", "b")``.
    x, y : ndarray or None
        The data, for runs fitted to data.
    diverged_at : int or None
        The first snapshot whose loss or parameters were not finite; it is not recorded.
    meta : dict
        What re-rendering needs: ``model``, ``loss``, ``optimizer``, ``lr``, ``source`` and labels.
        JSON-serialisable.
    lr : ndarray of shape (S,) or None
        The learning rate in force at each snapshot: the one the update after it uses (constant
        unless a schedule changes it). None where unknown (a loop of the user's own).
    step : ndarray of shape (S,)
        The training step of each snapshot: ``arange(S)`` unless a recording kept only every
        k-th step.
    full_loss : ndarray or None
        The loss at every training step, where snapshots were kept only every k steps.
    extras : dict of str to ndarray
        Arrays computed at training time that views need and cannot compute without torch,
        such as the predictions of a ``torch.nn.Module`` (saved and loaded with the run).
    state : dict of str to ndarray of shape (S, P)
        The optimiser's own state at each snapshot, under torch's names (``momentum_buffer``,
        ``exp_avg``, ``exp_avg_sq``, ``step``, ...), as the loop held it when the snapshot was
        taken: left by the updates before it (zero before the first). Empty for plain gradient
        descent and for recordings not told the optimiser.
    sharpness : ndarray of shape (S,) or None
        The largest eigenvalue of the loss's Hessian at each snapshot (``train(...,
        curvature=True)``): beside ``2 / lr``, the edge of stability.

    ``problem``, ``training``, ``landscape`` and ``predictions`` are typed, read-only views of
    ``meta`` and ``extras`` (`gdviz.run.meta`, `gdviz.run.landscape`).

    Examples
    --------
    >>> run = gdviz.train("single-point", steps=1)
    >>> run.params[:, 0]
    array([1. , 1.4])
    """

    params: np.ndarray
    grads: np.ndarray
    loss: np.ndarray
    param_names: tuple[str, ...]
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    diverged_at: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    lr: np.ndarray | None = None
    step: np.ndarray | None = None
    full_loss: np.ndarray | None = None
    state: dict[str, np.ndarray] = field(default_factory=dict)
    sharpness: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.meta, dict):
            raise GdvizError(f"a run's meta must be a dict, not {type(self.meta).__name__}")
        wrong = check_meta(self.meta)
        if wrong is not None:
            raise GdvizError(f"a run's meta {wrong}")
        self.params = np.asarray(self.params, dtype=np.float64).reshape(len(self.params), -1)
        if callable(self.grads):  # read on first use: drawing never needs them (see `load`)
            self.__dict__["_read_grads"] = self.__dict__.pop("grads")
        else:
            self.grads = np.asarray(self.grads, dtype=np.float64).reshape(self.params.shape)
        self.loss = np.asarray(self.loss, dtype=np.float64).reshape(-1)
        self.param_names = tuple(str(n) for n in self.param_names)
        if self.x is not None:
            self.x = np.asarray(self.x, dtype=np.float64)
        if self.y is not None:
            self.y = np.asarray(self.y, dtype=np.float64)
        if isinstance(self.extras, dict):  # else read lazily from a file (gdviz.run.runfile)
            self.extras = {k: np.asarray(v) for k, v in self.extras.items()}
        if self.lr is not None:
            self.lr = np.asarray(self.lr, dtype=np.float64).reshape(-1)
        if self.step is None:  # every step: arange(S), made on first use
            del self.__dict__["step"]
        else:
            self.step = np.asarray(self.step, dtype=np.int64).reshape(-1)
        if self.full_loss is not None:
            self.full_loss = np.asarray(self.full_loss, dtype=np.float64).reshape(-1)
        if isinstance(self.state, dict):  # else read lazily from a file (gdviz.run.runfile)
            self.state = {str(k): np.asarray(v, dtype=np.float64) for k, v in self.state.items()}
            for name, value in self.state.items():
                if value.shape != self.params.shape:
                    raise GdvizError(
                        f"a run's state {name!r} needs one value per parameter and snapshot: "
                        f"{value.shape} for {self.params.shape}"
                    )
        if self.sharpness is not None:
            self.sharpness = np.asarray(self.sharpness, dtype=np.float64).reshape(-1)
        for name in ("lr", "step", "sharpness"):
            value = self.__dict__.get(name)
            if value is not None and len(value) != len(self.params):
                raise GdvizError(
                    f"a run needs one {name} per snapshot: {len(value)} for "
                    f"{len(self.params)} snapshots"
                )
        if len(self.loss) != len(self.params):
            raise GdvizError(
                f"a run needs one loss per snapshot: {len(self.loss)} losses "
                f"for {len(self.params)} snapshots"
            )
        if len(self.param_names) != self.params.shape[1]:
            raise GdvizError(
                f"a run needs one name per parameter: {len(self.param_names)} names "
                f"for {self.params.shape[1]} parameters"
            )

    def __getattr__(self, name: str):
        # Called only for attributes not set: the lazily made or read ones.
        if name == "step":
            self.step = np.arange(len(self.params))
            return self.step
        if name == "grads" and "_read_grads" in self.__dict__:
            grads = np.asarray(self.__dict__.pop("_read_grads")(), dtype=np.float64)
            if grads.shape != self.params.shape:
                raise GdvizError(
                    f"a run needs one gradient per parameter and snapshot: {grads.shape} for "
                    f"{self.params.shape}"
                )
            self.grads = grads
            return grads
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def step_at(self, index):
        """``step[index]``, without making the whole array for a run of every step."""
        if "step" in self.__dict__:
            return self.step[index]
        if isinstance(index, slice):
            return np.arange(*index.indices(len(self.loss)))
        return np.asarray(index) % len(self.loss) if np.ndim(index) else int(index) % len(self.loss)

    @property
    def steps(self) -> int:
        """The number of updates recorded (snapshots less one)."""
        return len(self.loss) - 1

    @property
    def problem(self) -> Problem:
        """What was minimised, read from ``meta`` (see `gdviz.run.meta.Problem`)."""
        return Problem.of(self.meta)

    @property
    def training(self) -> Training:
        """How it was trained, read from ``meta`` (see `gdviz.run.meta.Training`)."""
        return Training.of(self.meta)

    @property
    def landscape(self) -> Landscape | None:
        """The loss over a plane or over the parameters, computed at training time (see
        `gdviz.run.landscape.Landscape`); None where the run carries none (the views compute
        a built-in model's or a formula's surface themselves)."""
        return Landscape.of(self.extras, self.meta, self.params.shape)

    @property
    def predictions(self) -> Predictions | None:
        """A network's predictions over its input space at some snapshots; None for runs that
        carry none (a built-in model's are computed from its formula)."""
        return Predictions.of(self.extras, len(self.params))

    @property
    def label(self) -> str:
        """A short name for legends: the optimiser and its learning rate (at most 80 characters)."""
        if "label" in self.meta:
            text = str(self.meta["label"])
            return text if len(text) <= 80 else text[:79] + "…"
        opt, lr = self.meta.get("optimizer"), self.meta.get("lr")
        if opt is None:
            return "run"
        return f"{opt}, lr {lr:g}" if lr is not None else str(opt)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run):
            return NotImplemented

        def same(a, b):
            if a is None or b is None:
                return a is b
            return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)

        return (
            all(
                same(getattr(self, k), getattr(other, k))
                for k in (
                    "params",
                    "grads",
                    "loss",
                    "x",
                    "y",
                    "lr",
                    "step",
                    "full_loss",
                    "sharpness",
                )
            )
            and self.param_names == other.param_names
            and self.diverged_at == other.diverged_at
            and self.meta == other.meta
            and self.extras.keys() == other.extras.keys()
            and all(same(v, other.extras[k]) for k, v in self.extras.items())
            and self.state.keys() == other.state.keys()
            and all(same(v, other.state[k]) for k, v in self.state.items())
        )

    def __repr__(self) -> str:
        tail = f", diverged_at={self.diverged_at}" if self.diverged_at is not None else ""
        names = self.param_names if len(self.param_names) <= 6 else len(self.param_names)
        return (
            f"Run({self.label!r}, steps={self.steps}, params={names}, "
            f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}{tail})"
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the run to an ``.npz`` file (arrays plus JSON metadata; no pickle), atomically."""
        path = Path(path)
        many = len(self.param_names) > NAMES_IN_HEADER  # a network's million: not JSON text
        header = {
            "format": FORMAT,
            "version": 2 if many else 1,  # files a version-1 reader can read say 1
            "param_names": None if many else list(self.param_names),
            "diverged_at": self.diverged_at,
            "meta": self.meta,
        }
        arrays = {"params": self.params, "grads": self.grads, "loss": self.loss}
        if many:
            arrays["param_names"] = np.array(self.param_names, dtype=str)
        if "step" in self.__dict__:  # else every step: arange, not worth a file entry
            arrays["step"] = self.step
        for name in ("x", "y", "lr", "full_loss", "sharpness"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        arrays.update({f"extra.{k}": v for k, v in self.extras.items()})
        arrays.update({f"state.{k}": v for k, v in self.state.items()})
        arrays = {k: _narrowed(v) for k, v in arrays.items()}
        big = sum(np.asarray(v).nbytes for v in arrays.values()) > PLAIN_FROM
        try:
            text = json.dumps(header)
        except (TypeError, ValueError) as exc:  # said before a byte is written
            raise GdvizError(
                f"cannot save {path}: the run's metadata is not JSON (numbers, text, lists and "
                f"dicts of them): {exc}"
            ) from None
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                (np.savez if big else np.savez_compressed)(fh, header=np.array(text), **arrays)
        except OSError as exc:  # a full disk: name the file
            raise GdvizError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path


# The dataclass leaves ``step``'s default (None) on the class, where it would shadow the
# arange that `Run.__getattr__` makes on first use for a run of every step.
del Run.step


def _narrowed(a):
    """``a`` as float32 where it is a big float64 array that float32 holds exactly."""
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if a.dtype != np.float64 or a.size < NARROW_FROM:
        return a
    narrow = a.astype(np.float32)
    wide, kept = a.reshape(-1), narrow.reshape(-1)
    for start in range(0, a.size, NARROW_FROM):  # compared a block at a time: no float64 copy
        block = slice(start, start + NARROW_FROM)
        if not np.array_equal(kept[block].astype(np.float64), wide[block], equal_nan=True):
            return a
    return narrow


def load(path: str | os.PathLike) -> Run:
    """Read a run written by `Run.save`.

    Every entry of the file is checked (its type, shape and size, against the file, the run and
    the memory free) before it is read, and the gradients and stored landscapes are read only
    when used, so a hostile or corrupt file costs little. Raises `GdvizError` with one line
    naming the file (and the entry) when it is missing, corrupt or not a gdviz run, or was
    written by a newer gdviz.
    """
    from gdviz.run.runfile import read  # the checks live beside the format's details

    return read(path)
