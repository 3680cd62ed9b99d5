"""How near its floor a landscape runs: `gdviz.landscape` against the same number of plain forward
passes over the same loader, in one process, and with the points shared by two (torchrun, gloo).

The floor is what no evaluator of the plane can beat without skipping work: one forward pass of
the model over every batch of the loader for each grid point (timed directly: ``model(x)`` under
``torch.no_grad`` in eval mode, batch after batch, the pass repeated). A plane costs its points
times that, and gdviz's target is at most 1.25x it (the issue's "near the floor"). Two networks:

- an MLP (two hidden layers of 64, 20 inputs, 4 classes; 5,000 examples in batches of 250);
- the small CNN of ``benchmarks/planes.py`` (612 parameters, 1,024 pictures of 8 x 8 in batches
  of 64).

Each line gives the plane's seconds, points a second, and the ratio to the floor. With
``--ranks``, the same plane is also evaluated by ``torchrun --standalone --nproc_per_node=2``
(one thread each) and its points a second printed beside one process's (two threads).

    python benchmarks/floor.py [--resolution 41] [--ranks]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def mlp_case():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5000, 20, generator=g)
    y = (x[:, :4] @ torch.randn(4, 4, generator=g)).argmax(1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 4),
    )  # fmt: skip
    return "MLP", net, DataLoader(TensorDataset(x, y), batch_size=250, shuffle=True)


def cnn_case():
    import planes

    loader = planes.data()
    return "CNN", planes.trained(loader, torch.nn.CrossEntropyLoss()), loader


CASES = {"mlp": mlp_case, "cnn": cnn_case}


def floor_seconds(net, loader, loss_fn, passes: int) -> float:
    """Seconds for one forward pass over the loader (with the loss), the median of ``passes``."""
    net.eval()
    times = []
    with torch.no_grad():
        for _ in range(passes):
            began = time.perf_counter()
            for x, y in loader:
                loss_fn(net(x), y)
            times.append(time.perf_counter() - began)
    return float(np.median(times))


def plane_seconds(net, loader, loss_fn, resolution: int) -> float:
    began = time.perf_counter()
    gdviz.landscape(net, loss=loss_fn, data=loader, resolution=resolution)
    return time.perf_counter() - began


def ranked(case: str, resolution: int, ranks: int) -> float:
    """Seconds for the plane under torchrun with ``ranks`` processes of one thread each."""
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, OMP_NUM_THREADS="1")
        torchrun = Path(sys.executable).parent / "torchrun"
        done = subprocess.run(
            [str(torchrun), "--standalone", f"--nproc_per_node={ranks}", __file__, "--worker",
             case, "--resolution", str(resolution), "--out", out],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        return float((Path(out) / "seconds").read_text())


def worker(case: str, resolution: int, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo")
    _, net, loader = CASES[case]()
    loss_fn = torch.nn.CrossEntropyLoss()
    dist.barrier()
    seconds = plane_seconds(net, loader, loss_fn, resolution)
    if dist.get_rank() == 0:
        Path(out, "seconds").write_text(str(seconds))
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=41)
    parser.add_argument("--ranks", action="store_true")
    parser.add_argument("--worker")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.resolution, args.out)
    points = args.resolution**2
    loss_fn = torch.nn.CrossEntropyLoss()
    print(f"{args.resolution} x {args.resolution} plane ({points} points), "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    for key, make in CASES.items():
        name, net, loader = make()
        one = floor_seconds(net, loader, loss_fn, passes=20)
        plane = min(plane_seconds(net, loader, loss_fn, args.resolution) for _ in range(2))
        floor = points * one
        print(f"  {name}: plane {plane:6.2f} s, {points / plane:7.1f} points/s; floor "
              f"{floor:6.2f} s ({one * 1e3:.2f} ms a pass); plane/floor {plane / floor:.2f}x "
              f"(target at most 1.25x)")  # fmt: skip
        if args.ranks:
            for ranks in (1, 2):
                seconds = ranked(key, args.resolution, ranks)
                print(f"    torchrun, {ranks} process{'es' if ranks > 1 else ''} of one thread: "
                      f"{seconds:6.2f} s, {points / seconds:7.1f} points/s")  # fmt: skip


if __name__ == "__main__":
    main()
