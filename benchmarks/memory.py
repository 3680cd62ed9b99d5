"""Rendering memory against run length: the same views of runs of 1,000 and 1,000,000 snapshots.

Each run is a gradient-descent-like path of the synthetic line fit (params, gradients and MSE
computed in numpy, so a million snapshots take seconds to make, not minutes to train), saved
as a run file. Each view of each run is rendered to a 200-frame GIF by ``gdviz animate --run``
in a fresh process, whose peak resident memory is read from the kernel (``ru_maxrss``). Prints
the peaks and their ratio; target: a million snapshots within 1.25x of a thousand.

    python benchmarks/memory.py [--long 1000000] [--short 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from gdviz import Run
from gdviz.problems.data import PRESETS

TARGET = 1.25
VIEWS = ("fit", "contour", "loss", "dashboard", "surface")

PEAK = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
if proc.returncode:
    sys.exit(proc.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def line_run(snapshots: int) -> Run:
    """Gradient descent on the synthetic fit with a small rate: ``snapshots`` steps of it."""
    x, y = PRESETS["synthetic"].data(None)
    a = np.column_stack([x, np.ones_like(x)])
    gram, cross = 2 * a.T @ a / len(x), 2 * a.T @ y / len(x)
    lr = 20.0 / snapshots  # the whole run to travel about as far, whatever its length
    params = np.empty((snapshots, 2))
    p = np.array([-1.0, 1.0])
    for i in range(snapshots):  # in blocks would be quicker; a million steps take seconds
        params[i] = p
        p = p - lr * (gram @ p - cross)
    grads = params @ gram.T - cross
    # The MSE as a quadratic form: no (S, n) array of residuals.
    loss = 0.5 * np.einsum("si,ij,sj->s", params, gram, params) - params @ cross + y @ y / len(y)
    meta = {
        "model": "line",
        "loss": "mse",
        "source": "synthetic",
        "kind": "data",
        "optimizer": "gd",
        "lr": lr,
    }
    return Run(params, grads, loss, ("m", "b"), x=x, y=y, meta=meta)


def peak_mb(run_file: Path, view: str, out: Path) -> float:
    command = [
        sys.executable,
        "-m",
        "gdviz.cli.commands",
        "animate",
        "--run",
        str(run_file),
        "--view",
        view,
        "--out",
        str(out),
        "-q",
    ]
    result = subprocess.run(
        [sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=1_000_000)
    parser.add_argument("--short", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        files = {}
        for n in (args.short, args.long):
            files[n] = folder / f"run{n}.npz"
            line_run(n).save(files[n])
        print(
            f"peak resident memory rendering 200-frame GIFs, {args.short:,} and {args.long:,} snapshots"
        )
        print(f"{'view':<10} {args.short:>10,} {args.long:>12,}   ratio")
        ok = True
        for view in VIEWS:
            short = peak_mb(files[args.short], view, folder / "a.gif")
            long = peak_mb(files[args.long], view, folder / "b.gif")
            ok &= long / short <= TARGET
            print(f"{view:<10} {short:>8.0f} MB {long:>10.0f} MB   {long / short:.2f}")
        print("PASS" if ok else f"FAIL: target {TARGET}x")


if __name__ == "__main__":
    main()
