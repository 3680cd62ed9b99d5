"""Which points of a grid this process evaluates, and the finished ones kept on disk.

One process evaluates every point, a chunk at a time. Inside an initialised `torch.distributed`
process group of several processes (a script launched with ``torchrun``), the chunks are a queue
that every rank takes from, counted out by the group's own key-value store: a rank that finishes
early takes more, none waits on a static share. At the end every rank holds every value
(``all_gather_object``), so each returns the same complete result.

With a cache (``cache="plane.npz"``), each process writes the points it knows to a file of its
own, atomically, as they finish (one process: the file itself; rank r of several:
``plane.rank{r}.npz``, each whole once all ranks have gathered every point). Started again with the same inputs,
an evaluation computes only the points none of those files holds; a cache made for other inputs
is refused in one line naming what differs (`Fingerprint`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gdviz.errors import GdvizError, warn
from gdviz.system.files import atomic_path

FORMAT = "gdviz.cache"  # the header's name for the format
VERSION = 1
WRITE_EVERY = 1.0  # seconds between rewrites of a rank's file (and always at the end)
_SERIAL = itertools.count()  # evaluations started in this process: the same on every rank


def group() -> tuple[int, int] | None:
    """(rank, world size) inside an initialised process group of two processes or more."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def digest(*parts) -> str:
    """A short hash of arrays (their values as float64 bytes) and text."""
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, str):
            h.update(part.encode())
        else:
            h.update(np.ascontiguousarray(np.asarray(part, dtype=np.float64)).tobytes())
        h.update(b"|")
    return h.hexdigest()[:16]


# What each part of a fingerprint is called when it differs.
NAMES = {
    "weights": "weights",
    "directions": "directions",
    "data": "data",
    "loss": "loss",
    "bn": "batch-norm mode (bn)",
    "samples": "subsample (samples, seed)",
    "points": "points (resolution or extent)",
}


class Cache:
    """The finished points of the evaluations of one set of inputs (``fingerprint``: a dict of
    `digest` strings by `NAMES`), kept in ``path`` and, with several processes, per rank."""

    def __init__(self, path, fingerprint: dict[str, str]):
        self.path = Path(path)
        if self.path.suffix != ".npz":
            raise GdvizError(f"cache must name a .npz file, not {self.path.name!r}")
        if self.path.exists() and not self.path.is_file():
            raise GdvizError(f"cache {self.path} is not a file")
        self.fingerprint = dict(fingerprint)
        where = group()
        self.rank = 0 if where is None else where[0]
        self.several = where is not None
        self.sections: dict[str, dict] = {}  # name -> points, mask and values known here
        self.found: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}
        self._written = 0.0
        for file in self._files():
            self._read(file)

    # -- files --------------------------------------------------------------------------------

    def _own(self) -> Path:
        if not self.several:
            return self.path
        return self.path.with_name(f"{self.path.stem}.rank{self.rank}{self.path.suffix}")

    def _files(self) -> list[Path]:
        found = [self.path] if self.path.is_file() else []
        return found + sorted(self.path.parent.glob(f"{self.path.stem}.rank*{self.path.suffix}"))

    def _read(self, file: Path) -> None:
        try:
            with np.load(file, allow_pickle=False) as archive:
                header = json.loads(str(archive["header"]))
                if header.get("format") != FORMAT or header.get("version") != VERSION:
                    raise ValueError("not a gdviz cache of this version")
                arrays = {k: archive[k] for k in archive.files if k != "header"}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise GdvizError(
                f"cache {file} cannot be read ({str(exc)[:80] or type(exc).__name__}): "
                "remove it, or give another cache="
            ) from None
        theirs = header.get("fingerprint", {})
        differ = [
            NAMES[k]
            for k in NAMES
            if k in self.fingerprint and theirs.get(k) != self.fingerprint[k]
        ]
        if differ:
            raise GdvizError(
                f"cache {file} was made for other {', '.join(differ)}: remove it, or give "
                "another cache= to keep both"
            )
        for name, points in header.get("sections", {}).items():
            index = arrays.get(f"{name}.index")
            values = arrays.get(f"{name}.values")
            if index is None or values is None or len(index) != len(values):
                raise GdvizError(f"cache {file} is damaged (section {name!r}): remove it")
            old = self.found.get(name)
            if old is not None:
                if old[2] != points:
                    raise GdvizError(f"cache {file} disagrees with its other files: remove them")
                index, values = np.concatenate([old[0], index]), np.concatenate([old[1], values])
            self.found[name] = (index.astype(np.int64), values.astype(np.float64), points)

    # -- sections -----------------------------------------------------------------------------

    def known(self, name: str, points: str, total: int, width: int):
        """The points of section ``name`` (``points``: their digest) already finished: a mask
        (total,) and their values (total, width), nan where not known."""
        mask = np.zeros(total, dtype=bool)
        values = np.full((total, width), np.nan)
        found = self.found.get(name)
        if found is not None:
            index, stored, digest_ = found
            if digest_ != points:
                raise GdvizError(
                    f"cache {self.path} was made for other {NAMES['points']}: remove it, or "
                    "give another cache= to keep both"
                )
            if len(index) and (
                index.min() < 0 or index.max() >= total or stored.shape[1:] != (width,)
            ):
                raise GdvizError(f"cache {self.path} is damaged (section {name!r}): remove it")
            mask[index] = True
            values[index] = stored
        self.sections[name] = {"points": points, "mask": mask.copy(), "values": values.copy()}
        return mask, values

    def keep(self, name: str, index: np.ndarray, values: np.ndarray) -> None:
        """Record finished points; rewrite this process's file now and then (and whole at the
        end: `complete`)."""
        section = self.sections[name]
        section["mask"][index] = True
        section["values"][index] = values
        now = time.monotonic()
        if now - self._written >= WRITE_EVERY:
            self.write()
            self._written = now

    def complete(self, name: str, values: np.ndarray) -> None:
        """Every point of section ``name`` is known: kept whole in this process's file."""
        section = self.sections[name]
        section["mask"][:] = True
        section["values"][:] = values
        self.write()

    def write(self) -> None:
        """This process's file: every section it knows (found in the files, or finished)."""
        sections = {
            name: (points, index, values)
            for name, (index, values, points) in self.found.items()
            if name not in self.sections
        }
        for name, section in self.sections.items():
            index = np.flatnonzero(section["mask"])
            sections[name] = (section["points"], index, section["values"][index])
        header = {
            "format": FORMAT,
            "version": VERSION,
            "fingerprint": self.fingerprint,
            "sections": {name: points for name, (points, _, _) in sections.items()},
        }
        arrays = {}
        for name, (_, index, values) in sections.items():
            arrays[f"{name}.index"] = index
            arrays[f"{name}.values"] = values
        file = self._own()
        try:
            with atomic_path(file) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, header=np.array(json.dumps(header)), **arrays)
        except OSError as exc:
            raise GdvizError(f"cannot write the cache {file}: {exc.strerror or exc}") from None


class Queue:
    """The chunks (0 to ``count`` − 1) this process evaluates: all of them alone; inside a
    process group, those it takes from the queue every rank shares (the group's store counts
    them out), until none is left."""

    def __init__(self, count: int, name: str, where: tuple[int, int] | None):
        self.count = count
        self.where = where  # `group()`
        self.done_here = 0
        if self.where is not None:
            from torch.distributed import distributed_c10d

            self.store = distributed_c10d._get_default_store()
            self.key = f"gdviz/{next(_SERIAL)}/{name}"
        else:
            next(_SERIAL)
            _unshared()

    def __iter__(self) -> Iterator[int]:
        if self.where is None:
            yield from range(self.count)
            return
        while True:
            taken = self.store.add(f"{self.key}/next", 1) - 1
            if taken >= self.count:
                return
            yield taken

    def finished(self, points: int) -> int:
        """Points finished by every rank so far, counting ``points`` just finished here."""
        self.done_here += points
        if self.where is None:
            return self.done_here
        return int(self.store.add(f"{self.key}/done", points))

    def gather(self, index: np.ndarray, values: np.ndarray, into: np.ndarray) -> np.ndarray:
        """``into`` with every rank's finished ``index``/``values`` filled in (all ranks)."""
        if self.where is None:
            into[index] = values
            return into
        import torch.distributed as dist

        found: list = [None] * self.where[1]
        dist.all_gather_object(found, (index, values))
        for theirs_index, theirs_values in found:
            if len(theirs_index):
                into[theirs_index] = theirs_values
        return into


def agree(what: str) -> None:
    """Refuse, in one line, ranks whose ``what`` (a digest of what they evaluate) differs from
    rank 0's: every process of the group must evaluate the same plane of the same model."""
    where = group()
    if where is None:
        return
    import torch.distributed as dist

    found: list = [None] * where[1]
    dist.all_gather_object(found, what)
    odd = [r for r, theirs in enumerate(found) if theirs != found[0]]
    if odd:
        raise GdvizError(
            f"rank {odd[0]} evaluates other points than rank 0 (other weights, directions or "
            "data): every process must give the same model, data and settings"
        )


_WARNED = []


def _unshared() -> None:
    """Say once where torchrun started several processes and none initialised a group: each
    then evaluates every point itself."""
    try:
        ranks = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return
    if ranks > 1 and not _WARNED:
        _WARNED.append(True)
        warn(
            f"{ranks} processes were started (WORLD_SIZE) but this one is in no process group: "
            "it evaluates every point itself (call torch.distributed.init_process_group() "
            "first to share them out)",
            RuntimeWarning,
        )
