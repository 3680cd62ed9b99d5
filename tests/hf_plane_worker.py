"""A tiny BERT's plane over dict batches under ``torchrun`` (one process group, gloo), for
tests/test_transformers_plane.py.

    torchrun --nproc_per_node=2 hf_plane_worker.py OUT

Writes ``OUT/rank{r}.npz`` with the grid this process returned and the points it evaluated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hf_stand_ins import loader, tiny_bert

import gdviz


def main() -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    run = gdviz.landscape(tiny_bert(), data=loader(), resolution=5)
    np.savez(
        Path(sys.argv[1]) / f"rank{dist.get_rank()}.npz",
        grid=run.landscape.loss,
        done=run.meta["evaluation"]["evaluated"],
    )
    dist.destroy_process_group()
    sys.stdout.flush()  # leave without the interpreter's teardown, as plane_worker.py does
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
