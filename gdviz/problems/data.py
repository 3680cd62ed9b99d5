"""The data: the tutorials' presets, generated or shipped in the package, and CSV files."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gdviz.errors import GdvizError, warn


@dataclass(frozen=True)
class Preset:
    """A tutorial's data set with the setup it was trained with."""

    name: str
    title: str
    source: str
    model: str
    loss: str
    optimizer: str
    lr: float
    steps: int
    init: tuple[float, ...] | None
    x_label: str = "x"
    y_label: str = "y"
    columns: tuple[str, ...] | None = None  # names of the input columns, for x of shape (n, d)
    gd_lr: float | None = None  # gradient descent's rate, where the preset's optimiser is not gd

    def data(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The preset's ``(x, y)``; ``seed`` changes generated data (None: the preset's own)."""
        return _MAKERS[self.name](seed)


def _synthetic(seed):
    # fastai lesson2-sgd: x ~ U(-1, 1), y = x @ (3, 2) + U(0, 1), n = 100
    rng = np.random.default_rng(0 if seed is None else seed)
    x = rng.uniform(-1.0, 1.0, 100)
    return x, 3.0 * x + 2.0 + rng.uniform(0.0, 1.0, 100)


# Deep Learning with PyTorch, ch. 5: Celsius readings and an unknown thermometer's. The book
# scales the readings by 0.1 in float32; doing the same keeps its printed table reproducible.
_T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
_T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def _thermometer(seed):
    x = np.float32(0.1) * np.array(_T_U, dtype=np.float32)
    return x.astype(np.float64), np.array(_T_C, dtype=np.float64)


def _single_point(seed):
    return np.array([2.0]), np.array([3.0])


def _moons(seed, n: int = 200, noise: float = 0.2):
    # Two interleaved half circles, as scikit-learn's make_moons draws them: the upper one
    # (class 0) centred at the origin, the lower one (class 1) shifted to (1, 0.5), with
    # Gaussian noise, shuffled. Generated, so nothing is downloaded.
    rng = np.random.default_rng(0 if seed is None else seed)
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    x = np.concatenate(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(outer), np.ones(inner)])
    order = rng.permutation(n)
    return x[order] + rng.normal(0.0, noise, (n, 2)), y[order]


_MAKERS = {
    "synthetic": _synthetic,
    "thermometer": _thermometer,
    "single-point": _single_point,
    "moons": _moons,
}

PRESETS = {
    p.name: p
    for p in (
        Preset(
            "synthetic",
            "y = 3x + 2 + noise",
            "fastai course-v3, lesson2-sgd",
            "line",
            "mse",
            "gd",
            0.1,
            100,
            (-1.0, 1.0),
        ),
        Preset(
            "thermometer",
            "Celsius from an unknown thermometer",
            "Deep Learning with PyTorch, ch. 5",
            "line",
            "mse",
            "gd",
            1e-2,
            5000,
            (1.0, 0.0),
            x_label="reading / 10 (unknown units)",
            y_label="temperature (°C)",
        ),
        Preset(
            "single-point",
            "one point, one parameter",
            "gradient computation four ways",
            "proportional",
            "mse",
            "gd",
            0.1,
            30,
            (1.0,),
        ),
        Preset(
            "moons",
            "two interleaved half-moons",
            "scikit-learn's make_moons, generated here",
            "mlp",
            "cross_entropy",
            "adam",
            0.01,
            300,
            None,
            x_label="x₁",
            y_label="x₂",
            columns=("x₁", "x₂"),
            gd_lr=0.5,
        ),
    )
}


def as_xy(x, y, *, several: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert user data to float arrays: ``x`` of shape (n,) or (n, d), ``y`` (n,),
    or (n, k) targets of several columns where ``several`` allows them (a network's)."""
    try:
        xa = np.asarray(_values(x), dtype=np.float64)
        ya = np.asarray(_values(y), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GdvizError(f"data must be numbers: {exc}") from None
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if xa.ndim not in (1, 2) or ya.ndim not in ((1, 2) if several else (1,)):
        allowed = "y (n,) or (n, targets)" if several else "y (n,)"
        raise GdvizError(
            f"x must have shape (n,) or (n, columns) and {allowed}, got {xa.shape} and {ya.shape}"
        )
    if len(xa) != len(ya):
        raise GdvizError(f"x and y differ in length: {len(xa)} and {len(ya)}")
    if len(xa) == 0:
        raise GdvizError("the data has no points")
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        raise GdvizError("the data holds values that are not finite (nan or inf)")
    return xa, ya


def _values(a):
    """A torch tensor's values, off any device and out of autograd (no torch import here)."""
    detach = getattr(a, "detach", None)
    return detach().cpu().numpy() if callable(detach) else a


MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}  # cells that mean "no value"


def read_csv(
    path: str | os.PathLike, x: str | Sequence[str], y: str
) -> tuple[np.ndarray, np.ndarray]:
    """Read input column(s) ``x`` and the column ``y`` of a CSV file with a header row, as
    floats: ``x`` of shape (n,) for one column name, (n, d) for a list of them. A ``y`` column of
    text (``setosa``, ``versicolor``, ...) is class labels: returned as an array of strings,
    which `gdviz.train` takes as classes with those names.

    The delimiter (``,`` ``;`` or tab) is found from the file; with ``;`` a decimal comma
    (``3,5``) reads as a number. Rows with an empty cell (or NA, NaN, null) in these columns
    are dropped, with a `UserWarning` saying how many and where. Every other problem (no such
    file or column, text in a number column, no rows left) is a `GdvizError` naming the file,
    line and column.
    """
    path = Path(path)
    names = [x] if isinstance(x, str) else list(x)
    if len(set(names)) != len(names) or y in names:
        raise GdvizError(f"CSV columns must differ: x {', '.join(names)} and y {y}")
    text = _text(path)
    delimiter = _delimiter(text)
    try:
        rows = [
            (n, r)
            for n, r in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), 1)
            if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise GdvizError(f"cannot read CSV file {path}: {exc}") from None
    if not rows:
        raise GdvizError(f"CSV file {path} is empty (a header row naming the columns is needed)")
    header = [h.strip() for h in rows[0][1]]
    columns = []
    for name in [*names, y]:
        if name not in header:
            shown = ", ".join(header) if len(", ".join(header)) < 200 else f"{len(header)} columns"
            raise GdvizError(f"CSV file {path} has no column {name!r} (it has: {shown})")
        columns.append(header.index(name))
    if len(rows) < 2:
        raise GdvizError(f"CSV file {path} has a header but no data rows")
    values, labels, dropped = [], [], []
    text_labels = _text_labels(rows[1:], columns[-1], delimiter)
    for line, row in rows[1:]:
        cells = [row[col].strip() if col < len(row) else "" for col in columns]
        if any(c.lower() in MISSING for c in cells):
            dropped.append(line)
            continue
        numbers = []
        if text_labels:
            labels.append(cells.pop())
        for name, cell in zip([*names, y], cells):
            where = f"CSV file {path}, line {line}, column {name!r}"
            try:
                number = float(_decimal(cell, delimiter))
            except ValueError:
                raise GdvizError(f"{where} holds {cell[:40]!r}, not a number") from None
            if not math.isfinite(number):
                raise GdvizError(f"{where} holds {cell[:40]!r}, not a finite number")
            numbers.append(number)
        values.append(numbers)
    if not values:
        raise GdvizError(
            f"CSV file {path}: every data row has an empty cell in {', '.join([*names, y])}"
        )
    if dropped:
        lines = ", ".join(map(str, dropped[:5])) + (", ..." if len(dropped) > 5 else "")
        warn(
            f"{path.name}: dropped {len(dropped)} of {len(rows) - 1} rows with an empty cell "
            f"(line{'s' if len(dropped) > 1 else ''} {lines})",
            UserWarning,
        )
    table = np.asarray(values)
    if text_labels:
        inputs = table[:, 0] if isinstance(x, str) else table
        return inputs, np.asarray(labels, dtype=str)
    inputs = table[:, 0] if isinstance(x, str) else table[:, :-1]
    return inputs, table[:, -1]


def _text_labels(rows, column: int, delimiter: str) -> bool:
    """Whether the target column holds class names: none of its cells (not missing) reads as a
    number. A column of numbers with a stray word is a typo, said as one by the caller."""
    seen = False
    for _, row in rows:
        cell = row[column].strip() if column < len(row) else ""
        if not cell or cell.lower() in MISSING:
            continue
        try:
            float(_decimal(cell, delimiter))
        except ValueError:
            seen = True
        else:
            return False
    return seen


def class_codes(y) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Class labels given by name (strings): their codes 0, 1, ... in the names' sorted order,
    and the names; None for labels or values that are numbers."""
    values = np.asarray(_values(y))
    if values.dtype.kind not in "USO" or values.ndim != 1:
        return None
    if values.dtype.kind == "O" and not all(isinstance(v, str) for v in values):
        return None
    names, codes = np.unique(values.astype(str), return_inverse=True)
    if len(names) > MAX_CLASSES:
        raise GdvizError(
            f"y holds {len(names):,} different names: as class labels that is too many to "
            f"draw (at most {MAX_CLASSES:,})"
        )
    return codes.astype(np.float64), tuple(str(n) for n in names)


MAX_CLASSES = 1_000


def csv_columns(path: str | os.PathLike) -> list[str]:
    """The column names in a CSV file's header row (reading no further than a sample)."""
    path = Path(path)
    sample = _text(path, limit=64 * 1024)
    lines = [ln for ln in sample.splitlines() if ln.strip()]
    if not lines:
        return []
    return [h.strip() for h in next(csv.reader([lines[0]], delimiter=_delimiter(sample)))]


def _text(path: Path, limit: int = -1) -> str:
    """A CSV file's text: UTF-8 (with or without a byte order mark), else Windows-1252, as
    spreadsheets in Western Europe save it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit)
    except FileNotFoundError:
        raise GdvizError(f"CSV file {path} does not exist") from None
    except OSError as exc:
        raise GdvizError(f"cannot read CSV file {path}: {exc.strerror or exc}") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            if limit > 0 and encoding == "utf-8-sig":  # a sample may end mid-character
                try:
                    return raw[:-3].decode(encoding) if len(raw) > 3 else raw.decode(encoding)
                except UnicodeDecodeError:
                    pass
    raise GdvizError(f"cannot read CSV file {path}: it is neither UTF-8 nor Windows-1252 text")


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of ``,`` ``;`` tab that splits its header row
    into the most columns and every other row alike (csv.Sniffer, where it can tell)."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        header = text.splitlines()[0] if text.strip() else ""
        return max(",;\t", key=header.count) if header else ","


def _decimal(cell: str, delimiter: str) -> str:
    # With ; between cells, a comma is the decimal mark (3,5 is three and a half).
    return cell.replace(",", ".") if delimiter == ";" else cell
