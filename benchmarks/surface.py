"""What a frame of the 3-D surface view costs, against the contour view of the same run.

The surface view cannot blit: its camera turns, so every frame is drawn whole (a mesh of up to
100 x 100 quadrilaterals sorted by depth). The contour view draws its background once and
redraws only the path. Both render the same runs at 640x480; the views alternate each round so
a busy machine slows both alike, and medians of the per-frame render times are printed with
their ratio. Encoding is left out: it is the same for both.

    python benchmarks/surface.py              # 3 rounds, about a minute
    python benchmarks/surface.py --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import gdviz

FRAMES = 60
CASES = {
    "rosenbrock (2 parameters)": lambda: gdviz.train("rosenbrock"),
    "moons MLP (plane)": lambda: gdviz.train("moons", steps=200),
}


def per_frame(run, view: str) -> float:
    """Seconds per frame, rendering only (the figure built beforehand)."""
    anim = gdviz.animate(run, view=view, frames=FRAMES)
    start = time.perf_counter()
    for _ in anim.frames():
        pass
    seconds = (time.perf_counter() - start) / anim.n_frames
    import matplotlib.pyplot as plt

    plt.close(anim.fig)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{FRAMES} frames at 640x480, median of {args.repeat} rounds")
    print(f"{'run':28} {'contour ms/frame':>17} {'surface ms/frame':>17} {'ratio':>7}")
    for name, make in CASES.items():
        run = make()
        times = {"contour": [], "surface": []}
        for _ in range(args.repeat):
            for view in times:
                times[view].append(per_frame(run, view))
        flat, lifted = (statistics.median(times[v]) for v in ("contour", "surface"))
        print(f"{name:28} {1e3 * flat:17.1f} {1e3 * lifted:17.1f} {lifted / flat:6.1f}x")


if __name__ == "__main__":
    main()
