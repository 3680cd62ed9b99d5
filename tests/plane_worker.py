"""A plane evaluated in a process of its own, for tests/test_beyond_one_process.py: under
``torchrun`` (one process group, gloo), or alone and killed midway (a cache to resume from).

    python plane_worker.py OUT [--cache FILE] [--group] [--resolution N]

Writes ``OUT/rank{r}.npz`` with the grid, the interpolation and the recorded path's plane as
this process returned them, and what it evaluated itself. ``GDVIZ_SLOW`` (seconds) makes every
call of the loss sleep, so that a test can kill it midway.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from landscape_stand_ins import LOSS, cnn, loader, trained

import gdviz


def loss(out, target):
    """The tests' cross-entropy; slow where GDVIZ_SLOW says."""
    time.sleep(float(os.environ.get("GDVIZ_SLOW", "0")))
    return LOSS(out, target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--cache")
    parser.add_argument("--group", action="store_true")
    parser.add_argument("--resolution", type=int, default=15)
    parser.add_argument("--only-plane", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rank = 0
    if args.group:
        import torch.distributed as dist

        dist.init_process_group("gloo")
        rank = dist.get_rank()
    net = cnn(0)
    run = gdviz.landscape(
        net, loss=loss, data=loader(), resolution=args.resolution, cache=args.cache
    )
    found = {"grid": run.landscape.loss, "grid_done": run.meta["evaluation"]["evaluated"],
             "grid_cached": run.meta["evaluation"]["cached"]}  # fmt: skip
    if not args.only_plane:
        line = gdviz.interpolate(net, cnn(1), loss=loss, data=loader(), points=21)
        found.update(line=line.loss, line_done=line.meta["evaluation"]["evaluated"])
        model, rec = trained(3, epochs=1, record=True)
        recorded = rec.to_run(model=model, loss=loss, data=loader(), resolution=9)
        found.update(
            path_grid=recorded.landscape.loss,
            path_loss=recorded.landscape.path_loss,
            path_done=recorded.meta["evaluation"]["evaluated"],
        )
    np.savez(Path(args.out) / f"rank{rank}.npz", **found)
    if args.group:
        dist.destroy_process_group()
        # Every result is on disk. Past this point, interpreter teardown under torchrun aborted
        # ("terminate called without an active exception", SIGABRT in both ranks) in about one
        # run in four, after the work was done (seen with the session-start code too); leave
        # without that teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
