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
from pathlib import Path

import nbclient
import nbformat

TARGET = 1.10

# Seed 000's loop is benchmarks/recording.py's, run inside the kernel.
SETUP = """
import json, sys
sys.path.insert(0, {here!r})
from recording import Fit, make_data

x, y = make_data()


def loop(steps, how):
    fit = Fit(x, y, record=how != "bare", live=how == "live")
    fit.advance(steps)
    return fit.seconds, fit.rec._live.updates if how == "live" else 0
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
    here = str(Path(__file__).resolve().parent)
    nb.cells.append(nbformat.v4.new_code_cell(SETUP.format(here=here)))
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
