"""The memory a plane of a big model's path takes beyond the path itself: the PCA plane of a
100-snapshot path of 10 million parameters, projected, against the size of one parameter vector.

The path (8 GB of float64, as a `Run` holds it) is made first; the peak resident memory is then
reset (``/proc/self/clear_refs``) and read again (``VmHWM``) after each step, so each figure is
what that step added at its peak. The thin SVD of the whole path, gdviz's way for small paths,
would copy it about three times; the Gram route (``gdviz.run.plane._gram_pca``) reads it a block
of columns at a time.

    python benchmarks/plane_memory.py [--params 10000000] [--snapshots 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdviz.run import plane


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status("VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--snapshots", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    p, s = args.params, args.snapshots
    path = np.empty((s, p))
    path[0] = rng.standard_normal(p)
    drift = rng.standard_normal(p)
    for i in range(1, s):  # a walk that drifts: one main direction, and noise across
        path[i] = path[i - 1] + 0.05 * drift + 0.01 * rng.standard_normal(p)
    del drift
    vector = 8 * p
    print(f"path: {s} x {p:,} float64 = {path.nbytes / 2**30:.1f} GiB; one vector "
          f"{vector / 2**20:.0f} MiB")  # fmt: skip
    for name, step in [
        ("PCA plane", lambda: plane.pca_plane([path])),
        ("random plane", lambda: plane.random_plane([path], seed=0)),
    ]:
        before = _reset_peak()
        began = time.perf_counter()
        found = step()
        coords = found.project(path)
        seconds = time.perf_counter() - began
        extra = _status("VmHWM") - before
        print(f"  {name} and the path projected: {seconds:5.1f} s, peak {extra / 2**20:6.0f} MiB "
              f"beyond the path = {extra / vector:.1f} parameter vectors "
              f"(explains {found.explained.sum():.1%}; {coords.shape})")  # fmt: skip
        del found, coords


if __name__ == "__main__":
    main()
