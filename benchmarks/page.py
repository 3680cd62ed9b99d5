"""The interactive page: its size, the time to write it, and how fast it redraws in Chromium.

Writes two dashboard pages: a 10,000-step thermometer run (target: under 1.5 MB) and a
100,000-step synthetic run (every snapshot on the slider). Opens the long one in Debian's
Chromium, headless, and times the redraw of 300 random snapshots (`window.gdviz.show`, which
draws every panel and the readout), and the same number of redraws of one snapshot that draw
nothing new, measured in the same run as a baseline. Prints sizes, times, and the redraw's
median and 95th percentile against the 16 ms of a frame at 60 Hz.

    python benchmarks/page.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from stand_ins import chrome

import gdviz

FRAME_MS = 16.0
TARGET_BYTES = 1_500_000

TIMING = """
const picks = arguments[0];
const times = [];
for (const j of picks) {
  const t = performance.now();
  window.gdviz.show(j);
  times.push(performance.now() - t);
}
return times;
"""


def write(run, path: Path) -> float:
    start = time.perf_counter()
    gdviz.animate(run, view="dashboard").save(path)
    return time.perf_counter() - start


def main() -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        short = gdviz.train("thermometer", steps=10_000)
        seconds = write(short, folder / "short.html")
        size = (folder / "short.html").stat().st_size
        print(
            f"10,000-step thermometer dashboard: {size / 1e6:.2f} MB (target < 1.5 MB), "
            f"written in {seconds:.1f} s"
        )
        long = gdviz.train("synthetic", steps=100_000, lr=0.01)
        seconds = write(long, folder / "long.html")
        size = (folder / "long.html").stat().st_size
        print(f"100,000-step synthetic dashboard: {size / 1e6:.2f} MB, written in {seconds:.1f} s")
        driver = chrome()
        try:
            driver.get((folder / "long.html").as_uri())
            while not driver.execute_script("return !!(window.gdviz && window.gdviz.ready)"):
                time.sleep(0.05)
            count = driver.execute_script("return window.gdviz.count")
            import random

            rng = random.Random(0)
            picks = [rng.randrange(count) for _ in range(300)]
            driver.execute_script(TIMING, picks[:20])  # warm up
            redraw = driver.execute_script(TIMING, picks)
            same = driver.execute_script(TIMING, [count // 2] * 300)
        finally:
            driver.quit()
    redraw.sort()
    median = statistics.median(redraw)
    p95 = redraw[int(0.95 * len(redraw))]
    print(f"slider positions: {count:,}")
    print(
        f"redraw of a random snapshot: median {median:.2f} ms, 95th percentile {p95:.2f} ms, "
        f"max {redraw[-1]:.2f} ms"
    )
    print(f"baseline, redraw of one snapshot again: median {statistics.median(same):.2f} ms")
    print(
        f"median / one frame at 60 Hz ({FRAME_MS:.0f} ms): {median / FRAME_MS:.2f}; "
        f"95th percentile: {p95 / FRAME_MS:.2f} (target < 1)"
    )


if __name__ == "__main__":
    main()
