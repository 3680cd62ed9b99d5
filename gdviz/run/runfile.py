"""Reading run files, which anyone may have written: every entry checked before it is read.

A run file is a zip of ``.npy`` entries and a JSON header (`Run.save`). Before anything large is
read, each entry's own header is read (its dtype and shape, a few bytes) and checked against the
file (an entry claiming more data than it holds is corrupt), against the run (one loss per
snapshot, one name per parameter) and against the memory free. Entries drawing does not need
(the gradients, the stored landscapes, the optimiser's state) are read on first use; entries gdviz does not know are
never read. Every problem is one `GdvizError` naming the file and the entry.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import numpy as np

from gdviz.errors import GdvizError, GdvizTypeError
from gdviz.run.line import Interpolation, is_line
from gdviz.run.meta import TEXT
from gdviz.run.meta import check as check_meta
from gdviz.run.record import FORMAT, FORMAT_VERSION, Run
from gdviz.system.files import available_memory

HEADER_BYTES = 1_000_000  # a header is names and settings: a megabyte is far more than enough
DEPTH = 32  # nesting of the header's JSON
EXTRA_BYTES = 512_000_000  # one stored landscape or prediction: far above what gdviz writes
ARRAYS = ("params", "grads", "loss", "x", "y", "lr", "step", "full_loss", "sharpness")
NUMERIC = "fiub"  # float, int, unsigned, bool: never objects (no pickle), strings or voids


class Entry:
    """One ``.npy`` entry of the zip, described by its header alone."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str):
        self.archive, self.info, self.where = archive, info, where
        self.name = info.filename[: -len(".npy")]
        with archive.open(info) as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(
                        fh, max_header_size=10_000
                    )
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(
                        fh, max_header_size=10_000
                    )
                else:
                    raise ValueError(f"npy format {version[0]}.{version[1]}")
            except (
                ValueError,
                SyntaxError,
                EOFError,
                zlib.error,
                zipfile.BadZipFile,
                NotImplementedError,
            ) as exc:
                raise self.fail(f"has no readable array header ({_short(exc)})") from None
            offset = fh.tell()
        # text only in the header, and in the names of many parameters
        kinds = "U" if self.name in ("header", "param_names") else NUMERIC
        if dtype.hasobject or dtype.kind not in kinds:
            raise self.fail(f"holds {dtype}, not {'text' if kinds == 'U' else 'numbers'}")
        self.shape, self.dtype = tuple(int(n) for n in shape), dtype
        self.nbytes = math.prod(self.shape) * dtype.itemsize
        if offset + self.nbytes != info.file_size:
            raise self.fail(
                f"claims {self.nbytes:,} bytes of data and holds {info.file_size - offset:,}"
            )

    def fail(self, why: str) -> GdvizError:
        return GdvizError(f"{self.where}: entry {self.name!r} {why}")

    def read(self) -> np.ndarray:
        try:
            with self.archive.open(self.info) as fh:
                return np.lib.format.read_array(fh, allow_pickle=False)
        except (
            OSError,
            ValueError,
            EOFError,
            zlib.error,
            zipfile.BadZipFile,
            NotImplementedError,
        ) as exc:
            raise self.fail(f"cannot be read ({_short(exc)})") from None


class LazyEntries(MutableMapping):
    """A run's extras: each read from the file on first use (a view that needs none reads none)."""

    def __init__(self, entries: dict[str, Entry], dtype=None):
        self._entries = entries
        self._read: dict[str, np.ndarray] = {}
        self._dtype = dtype  # what each is read as (float64 for state a big run kept as float32)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._read:
            if key not in self._entries:
                raise KeyError(key)
            value = self._entries[key].read()
            self._read[key] = (
                value if self._dtype is None else value.astype(self._dtype, copy=False)
            )
        return self._read[key]

    def __setitem__(self, key: str, value) -> None:
        self._entries.pop(key, None)
        self._read[key] = np.asarray(value)

    def __delitem__(self, key: str) -> None:
        found = self._entries.pop(key, None) is not None
        found = self._read.pop(key, None) is not None or found
        if not found:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from self._read
        yield from (k for k in self._entries if k not in self._read)

    def __len__(self) -> int:
        return len(set(self._read) | set(self._entries))


def read(path: str | os.PathLike) -> Run:
    """The run in the file at ``path``: see `gdviz.load`."""
    if not isinstance(path, (str, os.PathLike)):
        raise GdvizTypeError(f"a run file is a path, not {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise GdvizError(f"run file {path} does not exist")
    if not path.is_file():
        raise GdvizError(f"run file {path} is not a file")
    try:
        archive = zipfile.ZipFile(path)
        infos = [i for i in archive.infolist() if i.filename.endswith(".npy")]
        entries = {e.name: e for e in (Entry(archive, i, str(path)) for i in infos)}
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        zlib.error,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise GdvizError(f"{path} is not a gdviz run file ({_short(exc)})") from None
    if "header" not in entries or "params" not in entries:
        raise GdvizError(f"{path} is not a gdviz run file (no header or no params)")
    header = _header(entries["header"], str(path))
    params = entries["params"]
    if len(params.shape) != 2:
        raise params.fail(f"should be (snapshots, parameters), not shaped {params.shape}")
    snapshots, width = params.shape
    if snapshots < 1:
        raise params.fail("holds no snapshots")
    names = header["param_names"]
    if names is None:
        names = _names(entries.get("param_names"), width, str(path))
    if len(names) != width:
        raise GdvizError(f"{path}: {len(names)} parameter names for {width} parameters")
    expected = {
        "grads": (snapshots, width),
        "loss": (snapshots,),
        "lr": (snapshots,),
        "step": (snapshots,),
        "sharpness": (snapshots,),
    }
    expected.update({n: (snapshots, width) for n in entries if n.startswith("state.")})
    for name, shape in expected.items():
        if name in entries and entries[name].shape != shape:
            raise entries[name].fail(f"is shaped {entries[name].shape}, the run needs {shape}")
    if "grads" not in entries or "loss" not in entries:
        raise GdvizError(f"{path} is not a gdviz run file (no grads or no loss)")
    for name in ("x", "y"):
        if name in entries and len(entries[name].shape) == 0:
            raise entries[name].fail("is a single number, not one per data point")
    if "x" in entries and "y" in entries and entries["x"].shape[0] != entries["y"].shape[0]:
        raise GdvizError(
            f"{path}: x has {entries['x'].shape[0]} points and y {entries['y'].shape[0]}"
        )
    for entry in entries.values():
        if entry.name.startswith("extra.") and entry.nbytes > EXTRA_BYTES:
            raise entry.fail(f"holds {entry.nbytes / 1e9:.1f} GB; gdviz writes far less")
    eager = [entries[n] for n in ARRAYS if n in entries and n != "grads"]
    _fits_in_memory(sum(e.nbytes for e in eager) + entries["grads"].nbytes, str(path))
    arrays = {e.name: e.read() for e in eager}
    for name in ("params", "loss", "x", "y", "lr"):
        if name in arrays and not np.isfinite(arrays[name]).all():
            raise entries[name].fail("holds values that are not finite (nan or inf)")
    if "step" in arrays and (
        arrays["step"].dtype.kind not in "iu" or np.any(np.diff(arrays["step"]) <= 0)
    ):
        raise entries["step"].fail("should be increasing whole numbers")
    diverged = header["diverged_at"]
    if diverged is not None and diverged > int(arrays.get("step", [snapshots - 1])[-1]) + 1:
        raise GdvizError(f"{path}: diverged_at {diverged} is past the run's last step")
    grads = entries["grads"]
    meta = header["meta"]
    kind = Interpolation if isinstance(meta, dict) and is_line(meta) else Run
    try:
        return kind(
            params=arrays["params"],
            grads=grads.read,
            loss=arrays["loss"],
            param_names=tuple(names),
            x=arrays.get("x"),
            y=arrays.get("y"),
            diverged_at=header["diverged_at"],
            meta=header["meta"],
            extras=LazyEntries({k[6:]: v for k, v in entries.items() if k.startswith("extra.")}),
            state=LazyEntries(
                {k[6:]: v for k, v in entries.items() if k.startswith("state.")}, np.float64
            ),
            lr=arrays.get("lr"),
            step=arrays.get("step"),
            full_loss=arrays.get("full_loss"),
            sharpness=arrays.get("sharpness"),
        )
    except GdvizError as exc:
        raise GdvizError(f"{path} is not a valid gdviz run: {exc}") from None


def _header(entry: Entry, where: str) -> dict[str, Any]:
    if entry.dtype.kind != "U" or entry.shape != () or entry.nbytes > HEADER_BYTES:
        raise entry.fail("should be one JSON string of at most a megabyte")
    try:
        header = json.loads(str(entry.read()))
    except (ValueError, RecursionError) as exc:
        raise entry.fail(f"is not JSON ({_short(exc)})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise GdvizError(f"{where} is not a gdviz run file (its header is not gdviz's)")
    if _depth(header) > DEPTH:
        raise entry.fail(f"nests deeper than {DEPTH} levels")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise entry.fail(f"has no format version (got {str(version)[:20]!r})")
    if version > FORMAT_VERSION:
        raise GdvizError(
            f"{where} was written by a newer gdviz (run file format {version}; this gdviz "
            f"reads up to {FORMAT_VERSION}): upgrade gdviz to read it"
        )
    names = header.get("param_names")
    if names is None and version >= 2:
        pass  # in an entry of their own, read with the run
    elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise entry.fail("should name the parameters with a list of strings")
    elif any(len(n) > TEXT for n in names):
        raise entry.fail(f"has a parameter name longer than {TEXT} characters")
    meta = header.get("meta", {})
    if not isinstance(meta, dict):
        raise entry.fail(f"has meta that is a {type(meta).__name__}, not a mapping")
    wrong = check_meta(meta)
    if wrong is not None:
        raise entry.fail(wrong)
    diverged = header.get("diverged_at")
    if diverged is not None and (
        not isinstance(diverged, int) or isinstance(diverged, bool) or diverged < 0
    ):
        raise entry.fail(f"has diverged_at {str(diverged)[:20]!r}, not a step number")
    return {"param_names": names, "meta": meta, "diverged_at": diverged}


def _names(entry: Entry | None, width: int, where: str) -> list[str]:
    """The parameter names kept in an entry of their own (a run of many parameters)."""
    if entry is None:
        raise GdvizError(f"{where} names no parameters (no param_names in its header or entry)")
    if entry.shape != (width,):
        raise entry.fail(f"is shaped {entry.shape}, the run needs ({width},)")
    if entry.dtype.itemsize > 4 * TEXT:
        raise entry.fail(f"has a parameter name longer than {TEXT} characters")
    return [str(n) for n in entry.read()]


def _depth(value, level: int = 0) -> int:
    if level > DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _fits_in_memory(nbytes: int, where: str) -> None:
    free = available_memory()
    if free is not None and nbytes > 0.8 * free:
        raise GdvizError(
            f"{where} holds {nbytes / 1e9:.1f} GB of arrays, and {free / 1e9:.1f} GB of memory "
            "is free"
        )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
