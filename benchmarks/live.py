"""What the live view costs: seed 000's 10,000-step loop recorded with and without ``live=True``,
inside a real Jupyter kernel (the live view draws only in a notebook).

A notebook is run by nbclient. In it, each repetition runs the loop three ways, in an order that
rotates: bare, recorded (`Recorder`), recorded live (`Recorder(..., live=True)`). Only the loop is
timed: the finished animation that `to_run` shows afterwards is not part of it. Prints the
medians, the number of live updates, and the ratios. Target: live adds at most 10% to the
recorded loop (ratio <= 1.10).

    python benchmarks/live.py [--steps 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import tempfile

import nbclient
import nbformat

TARGET = 1.10

SETUP = """
import json, statistics, time
import numpy as np
import torch
import gdviz

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.uniform(-1.0, 1.0, 100)).float()
y = 3.0 * x + 2.0 + torch.from_numpy(rng.uniform(0.0, 1.0, 100)).float()


def loop(steps, how):
    m = torch.tensor([0.0], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    rec = None if how == "bare" else gdviz.Recorder({"m": m, "b": b}, live=how == "live")
    start = time.perf_counter()
    for _ in range(steps):
        loss = torch.sqrt(torch.mean((m * x + b - y) ** 2))
        loss.backward()
        if rec is not None:
            rec.record(loss)
        with torch.no_grad():
            m -= 0.02 * m.grad
            b -= 0.02 * b.grad
        m.grad = None
        b.grad = None
    seconds = time.perf_counter() - start
    updates = rec._live.updates if how == "live" else 0
    return seconds, updates
"""

MEASURE = """
loop(1000, "recorded")  # warm up torch and the recorder
ways = ["bare", "recorded", "live"]
times = {{w: [] for w in ways}}
updates = []
for r in range({repeats}):
    for way in ways[r % 3:] + ways[: r % 3]:
        seconds, n = loop({steps}, way)
        times[way].append(seconds)
        if way == "live":
            updates.append(n)
print(json.dumps({{"times": times, "updates": updates}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(SETUP))
    nb.cells.append(
        nbformat.v4.new_code_cell(MEASURE.format(steps=args.steps, repeats=args.repeats))
    )
    with tempfile.TemporaryDirectory() as folder:
        nbclient.NotebookClient(
            nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": folder}}
        ).execute()
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs if o.output_type == "stream")
    result = json.loads(text.strip().splitlines()[-1])
    times = {way: sorted(values) for way, values in result["times"].items()}
    median = {way: values[len(values) // 2] for way, values in times.items()}
    print(f"seed 000's loop, {args.steps:,} steps, median of {args.repeats}, in a Jupyter kernel")
    for way in ("bare", "recorded", "live"):
        print(f"  {way:9} {median[way]:.3f} s  ({median[way] / args.steps * 1e6:.1f} us a step)")
    print(f"  live updates per loop: {result['updates']}")
    ratio = median["live"] / median["recorded"]
    print(f"live / recorded: {ratio:.3f}  (target <= {TARGET})")
    print(f"live / bare:     {median['live'] / median['bare']:.3f}")


if __name__ == "__main__":
    main()
