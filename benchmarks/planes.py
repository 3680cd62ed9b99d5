"""What a landscape of a CNN fed by a DataLoader costs: `gdviz.landscape` against the loop a user
(or the reference tool, tomgoldstein/loss-landscape) writes, point by point.

The network of the gallery's ``three_solutions``: a small CNN with batch norm and dropout (612
parameters), 1,024 pictures of 8 x 8 served by a DataLoader in batches of 64. A 41 x 41 random
filter-normalised plane around the trained model, three ways, alternating repetition by repetition
so a change in the machine's speed hits all of them:

- the loop: for each grid point, ``vector_to_parameters`` into the model, then a pass over the
  loader in eval mode, the batch losses weighted by batch size;
- ``gdviz.landscape(model, loss=, data=loader)``: the same numbers (the largest difference is
  printed), the points vmapped a chunk at a time, one pass over the loader per chunk;
- ``gdviz.landscape(..., samples=128)``: a seeded subsample of 128 examples, with the standard
  error of each point's loss (its value at the model is printed beside the full data's).

    python benchmarks/planes.py [--repeats 3] [--resolution 41]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz


def data():
    g = torch.Generator().manual_seed(0)
    shape = torch.randint(0, 4, (1024,), generator=g)
    images = 1.2 * torch.randn(1024, 1, 8, 8, generator=g)
    images[shape == 0, 0, 3:5, :] += 1
    images[shape == 1, 0, :, 3:5] += 1
    images[shape == 2, 0] += torch.eye(8)
    images[shape == 3, 0, 2:6, 2:6] += 1
    return DataLoader(TensorDataset(images, shape), batch_size=64, shuffle=True)


def trained(loader, loss_fn):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(0.2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 16, 4),
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(4):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
    return net


def loop(net, loss_fn, loader, found) -> np.ndarray:
    """The plane point by point, as a hand-written loop does it."""
    params = list(net.parameters())
    keep = torch.nn.utils.parameters_to_vector(params).detach().clone()
    out = np.empty((len(found.b), len(found.a)))
    net.eval()
    with torch.no_grad():
        for j, b in enumerate(found.b):
            for i, a in enumerate(found.a):
                point = found.origin + a * found.directions[0] + b * found.directions[1]
                torch.nn.utils.vector_to_parameters(
                    torch.as_tensor(point, dtype=torch.float32), params
                )
                total = sum(float(loss_fn(net(x), y)) * len(x) for x, y in loader)
                out[j, i] = total / len(loader.dataset)
        torch.nn.utils.vector_to_parameters(keep, params)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=41)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    loader, loss_fn = data(), torch.nn.CrossEntropyLoss()
    net = trained(loader, loss_fn)
    times: dict[str, list[float]] = {"loop": [], "gdviz": [], "samples": []}
    worst = 0.0
    for _ in range(args.repeats):
        began = time.perf_counter()
        run = gdviz.landscape(net, loss=loss_fn, data=loader, resolution=args.resolution)
        times["gdviz"].append(time.perf_counter() - began)
        began = time.perf_counter()
        sub = gdviz.landscape(net, loss=loss_fn, data=loader, resolution=args.resolution,
                              samples=128)  # fmt: skip
        times["samples"].append(time.perf_counter() - began)
        began = time.perf_counter()
        reference = loop(net, loss_fn, loader, run.landscape)
        times["loop"].append(time.perf_counter() - began)
        worst = max(worst, float(np.max(np.abs(reference - run.landscape.loss) / reference)))
    loop_s = statistics.median(times["loop"])
    side = args.resolution
    print(f"{side} x {side} plane of a {sum(p.numel() for p in net.parameters())}-parameter CNN, "
          f"1,024 examples in batches of 64, {torch.get_num_threads()} threads")  # fmt: skip
    for name in ("loop", "gdviz", "samples"):
        s = statistics.median(times[name])
        print(f"  {name:8s} {s:7.2f} s   {loop_s / s:5.2f}x the loop's speed")
    centre = side // 2
    found = sub.landscape
    print(f"  largest relative difference, gdviz against the loop: {worst:.1e}")
    print(
        f"  at the model: all data {run.landscape.loss[centre, centre]:.4f}; 128 samples "
        f"{found.loss[centre, centre]:.4f} ± {found.stderr[centre, centre]:.4f}"
    )


if __name__ == "__main__":
    main()
