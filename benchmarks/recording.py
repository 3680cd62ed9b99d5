"""What recording costs: seed 000's RMSE loop, bare and with `gdviz.Recorder.record(loss)`.

Each repetition fits m*x + b to 100 points like the synthetic preset for 10,000 steps twice, once
bare and once recording every step. The two fits advance in alternating blocks of 500 steps, so
a change in the machine's speed (other processes, clock) hits both alike; the order within each
pair of blocks alternates too. Prints the medians over repetitions and their ratio.
Target: recording adds at most 15% (ratio <= 1.15).

    python benchmarks/recording.py [--steps 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import gdviz

TARGET = 1.15
BLOCK = 500


def make_data(n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, n)
    y = 3.0 * x + 2.0 + rng.uniform(0.0, 1.0, n)
    return torch.from_numpy(x).float(), torch.from_numpy(y).float()


class Fit:
    """Seed 000's loop, advanced a block at a time; with ``record``, one `record` call a step
    (``live``: with the live view of `benchmarks/live.py`)."""

    def __init__(self, x, y, *, record: bool, live: bool = False):
        self.x, self.y = x, y
        self.m = torch.tensor([0.0], requires_grad=True)
        self.b = torch.tensor([0.0], requires_grad=True)
        self.rec = gdviz.Recorder({"m": self.m, "b": self.b}, live=live) if record else None
        self.seconds = 0.0

    def advance(self, steps: int) -> None:
        m, b, x, y, rec = self.m, self.b, self.x, self.y, self.rec
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
        self.seconds += time.perf_counter() - start


def repetition(x, y, steps: int) -> tuple[float, float]:
    """Seconds per step of the bare and the recording loop, run side by side."""
    bare, recorded = Fit(x, y, record=False), Fit(x, y, record=True)
    for i in range(0, steps, BLOCK):
        pair = (bare, recorded) if (i // BLOCK) % 2 == 0 else (recorded, bare)
        for fit in pair:
            fit.advance(min(BLOCK, steps - i))
    assert len(recorded.rec) == steps
    # Both fits took the same steps from the same start: recording did not change the fit.
    assert torch.equal(bare.m, recorded.m) and torch.equal(bare.b, recorded.b)
    return bare.seconds / steps, recorded.seconds / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    x, y = make_data()
    repetition(x, y, 2 * BLOCK)  # warm up torch and the recorder
    times = [repetition(x, y, args.steps) for _ in range(args.repeats)]
    b = statistics.median(t[0] for t in times)
    r = statistics.median(t[1] for t in times)
    ratio = r / b
    print(
        f"{args.steps} steps, {args.repeats} repetitions, blocks of {BLOCK} alternating; medians:"
    )
    print(f"  bare loop      {b * 1e6:7.1f} us/step")
    print(f"  with record()  {r * 1e6:7.1f} us/step  (record: {(r - b) * 1e6:+.1f} us/step)")
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"  overhead ratio {ratio:.3f}  ({verdict} the {TARGET:.2f} target)")
    spread = sorted(t[1] / t[0] for t in times)
    print(f"  ratio per repetition: {spread[0]:.3f} to {spread[-1]:.3f}")


if __name__ == "__main__":
    main()
