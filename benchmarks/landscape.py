"""What a network's loss plane costs: gdviz's batched evaluation against the point-by-point loop.

For each network (about 10,000 parameters, 2,000 data points) a short Adam run is recorded, then
the loss on a 41x41 PCA plane through its end, and along its path, is computed two ways:

- the loop gdviz used before (``training._module_plane`` in 0.1): lift every grid point to a
  parameter vector, load it into the module with ``vector_to_parameters``, one forward pass each;
- ``gdviz.training.landscape.attach`` as ``Recorder.to_run`` calls it: ``vmap`` over ``functional_call``
  in batches, and, for a network that starts with a linear layer, that layer's products with
  the data done once for the whole plane (``first_layer_shortcut``).

The two alternate, repetition by repetition, so a change in the machine's speed hits both; the
medians are printed with their ratio and the largest difference between the two grids.
Target: the batched way at least 5x faster.

    python benchmarks/landscape.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import gdviz
from gdviz.run.plane import Plane, pca_plane
from gdviz.training import landscape

TARGET = 5.0
GRID = landscape.RESOLUTION[3]


def network(inputs: int, hidden: tuple[int, ...], outputs: int) -> torch.nn.Sequential:
    layers, width = [], inputs
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.Tanh()]
        width = h
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, outputs))


def case(name, inputs, hidden, outputs, n=2000, steps=100):
    """A network, its data and a recorded Adam run."""
    torch.manual_seed(0)
    model = network(inputs, hidden, outputs)
    x = torch.randn(n, inputs)
    if outputs > 1:
        y = torch.randint(0, outputs, (n,))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        y = torch.sin(x[:, :2].sum(1))
        loss_fn = lambda out, t: ((out[:, 0] - t) ** 2).mean()  # noqa: E731
    rec = gdviz.Recorder(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        rec.record(loss)
        opt.step()
    run = rec.snapshot_run(x=x, y=y)
    return name, model, x, y, loss_fn, run


def old_pca_plane(path: np.ndarray) -> Plane:
    """gdviz 0.1's PCA plane, as it was: a full SVD (a P x P matrix for two of its rows)."""
    origin = path[-1]
    centred = (path - origin) - (path - origin).mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=True)
    explained = (s**2)[:2] / (s**2).sum()
    dirs = vt[:2] * np.sign(vt[np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    return Plane(origin, dirs, explained)


def point_by_point(model, x, y, loss_fn, run, plane=None):
    """The loop of gdviz 0.1, as it was: returns the grid and the path's loss on the plane."""
    params = [p for p in model.parameters() if p.requires_grad]
    plane = old_pca_plane(run.params) if plane is None else plane
    coords = plane.project(run.params)
    (a0, a1), (b0, b1) = [
        (lo - 0.15 * (hi - lo or 1), hi + 0.15 * (hi - lo or 1))
        for lo, hi in zip(coords.min(axis=0), coords.max(axis=0))
    ]
    a, b = np.linspace(a0, a1, GRID), np.linspace(b0, b1, GRID)
    points = plane.lift(np.stack(np.meshgrid(a, b), axis=-1))
    kept = [p.detach().clone() for p in params]

    def loss_at(vector) -> float:
        torch.nn.utils.vector_to_parameters(torch.as_tensor(vector, dtype=torch.float32), params)
        return float(loss_fn(model(x), y))

    with torch.no_grad():
        values = np.array([[loss_at(p) for p in row] for row in points])
        along = np.array([loss_at(p) for p in plane.lift(coords)])
        for p, k in zip(params, kept):
            p.copy_(k)
    return values, along


def batched(model, x, y, loss_fn, run):
    """What `Recorder.to_run` does for the landscape: returns the grid and the path's loss."""
    params = [p for p in model.parameters() if p.requires_grad]
    forward = landscape.FlatModule(model, params)
    evaluate = landscape.Evaluator(lambda f: loss_fn(forward(f, x), y), size=len(x))
    copy = gdviz.Run(run.params, run.grads, run.loss, run.param_names)
    with forward.evaluating():
        landscape.attach(
            [copy],
            evaluate,
            shapes=forward.shapes,
            on_plane=landscape.first_layer_shortcut(forward, loss_fn, x, y),
        )
    return copy.extras["plane_loss"], copy.extras["plane_path_loss"]


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases = [
        case("784-12-10, cross-entropy (digit classifier)", 784, (12,), 10),
        case("784-12-1, squared error", 784, (12,), 1),
        case("2-96-96-1, squared error (two inputs)", 2, (96, 96), 1),
    ]
    print(
        f"{GRID}x{GRID} PCA plane and a 101-snapshot path, 2,000 points, medians of {args.repeats}"
    )
    print("whole: gdviz 0.1's _module_plane (full-SVD plane + loop) against landscape.attach")
    print("evaluation only: the same loop on gdviz's plane against landscape.attach's evaluation")
    head = f"{'network':<44} {'params':>6} {'0.1 s':>6} {'now s':>6} {'whole':>6}"
    print(f"{head} {'loop s':>7} {'evaluation':>10} {'max rel diff':>12}")
    for name, model, x, y, loss_fn, run in cases:
        times = {"old": [], "loop": [], "now": []}
        for _ in range(args.repeats):
            t_old, (grid_old, _) = timed(point_by_point, model, x, y, loss_fn, run)
            plane = pca_plane([run.params])
            t_loop, (grid_loop, path_loop) = timed(point_by_point, model, x, y, loss_fn, run, plane)
            t_now, (grid_now, path_now) = timed(batched, model, x, y, loss_fn, run)
            for key, t in (("old", t_old), ("loop", t_loop), ("now", t_now)):
                times[key].append(t)
        old, loop, now = (statistics.median(times[k]) for k in ("old", "loop", "now"))
        diff = max(
            np.abs(grid_now - grid_loop).max() / np.abs(grid_loop).max(),
            np.abs(path_now - path_loop).max() / np.abs(path_loop).max(),
        )
        verdict = "PASS" if old / now >= TARGET else "below target"
        print(
            f"{name:<44} {run.params.shape[1]:>6} {old:>6.2f} {now:>6.2f} {old / now:>5.1f}x "
            f"{loop:>7.2f} {loop / now:>9.1f}x {diff:>12.1e}  {verdict}"
        )


if __name__ == "__main__":
    main()
