"""Export speed, memory and size: gdviz's writers against the tutorial way, side by side.

The tutorial way is matplotlib's own: ``FuncAnimation`` + ``anim.save(writer=PillowWriter)``,
drawing every frame in full and quantising each with its own palette. The gdviz way is
``Animation.save``: blitting, one palette, frames streamed to the encoder. Both draw the same
frames (the same figure from ``gdviz.animate``) of the synthetic run: 100 frames, 640x480,
20 fps. Every measurement is a fresh process; the ways alternate so that a busy machine slows
both alike. Medians are printed.

    python benchmarks/export.py                # 3 rounds, about three minutes
    python benchmarks/export.py --repeat 5

Targets (issue 4): whole process >= 4x faster than the tutorial way for 100-frame GIFs of each
view; render + encode >= 15x; peak memory at 1000 frames within 1.25x of 100 frames; a 100-frame
640x480 GIF under 2 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FPS = 20
FRAMES = 100
ROOT = Path(__file__).resolve().parents[1]


# -- one measurement, in its own process -------------------------------------------------------


class Timed:
    """An animation whose render time is counted apart from the encoder's."""

    def __init__(self, animation):
        self.animation = animation
        self.render = 0.0

    def __getattr__(self, name):
        return getattr(self.animation, name)

    def frames(self):
        frames = self.animation.frames()
        while True:
            start = time.perf_counter()
            try:
                frame = next(frames)
            except StopIteration:
                return
            finally:
                self.render += time.perf_counter() - start
            yield frame

    def last_frame(self):
        start = time.perf_counter()
        try:
            return self.animation.last_frame()
        finally:
            self.render += time.perf_counter() - start


class TreeMemory:
    """Peak resident memory of this process and its children together (ffmpeg, the GIF encoder).

    Sampled every few milliseconds: a child's own ru_maxrss would count the parent's pages it
    shared between fork and exec.
    """

    def __init__(self, every: float = 0.005):
        import threading

        import psutil

        self.peak = 0
        self._me = psutil.Process()
        self._done = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._done.is_set():
            total = self._me.memory_info().rss
            for child in self._me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._done.wait(self._every)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def measure(way: str, view: str, frames: int, out: str, tree: bool = False) -> dict:
    """Train, animate and save one way; the times of each stage, peak memory, file size.

    Peak memory is the main process's, or with ``tree`` that of the main process and its
    children together (sampled, which costs time: kept out of the timed runs).
    """
    import resource

    import gdviz
    from gdviz.export import save

    sampler = TreeMemory() if tree else None
    run = gdviz.train("synthetic", steps=frames)
    anim = gdviz.animate(run, view=view, frames=frames, fps=FPS)
    if way == "tutorial":
        from matplotlib.animation import PillowWriter

        class TimedPillowWriter(PillowWriter):
            encode = 0.0

            def finish(self):
                start = time.perf_counter()
                super().finish()
                self.encode = time.perf_counter() - start

        writer = TimedPillowWriter(fps=FPS)
        start = time.perf_counter()
        anim.anim.save(out, writer=writer)
        total = time.perf_counter() - start
        render, encode = total - writer.encode, writer.encode
    else:
        timed = Timed(anim)
        start = time.perf_counter()
        save(timed, out, progress=False)
        total = time.perf_counter() - start
        render, encode = timed.render, total - timed.render
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if sampler is not None:
        sampler.stop()
        peak = max(peak, sampler.peak)
    return {
        "render": render,
        "encode": encode,
        "save": total,
        "peak": peak,
        "bytes": os.path.getsize(out),
    }


def in_a_process(
    way: str, view: str, frames: int, suffix: str, folder: Path, *, tree: bool = False
) -> dict:
    """`measure` in a fresh Python; adds the whole process's wall time."""
    out = folder / f"{way}-{view}-{frames}{suffix}"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    args = json.dumps({"way": way, "view": view, "frames": frames, "out": str(out), "tree": tree})
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", args], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{way} {view} {frames} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["whole"] = wall
    out.unlink()
    return result


# -- the comparison ----------------------------------------------------------------------------

WAYS = {
    "tutorial": "FuncAnimation + PillowWriter",
    "gdviz": "gdviz save",
}


def views() -> list[str]:
    from gdviz.views import VIEWS

    return [v for v in ("fit", "contour") if v in VIEWS]


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of alternating runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        spec = json.loads(options.child)
        print(json.dumps(measure(**spec)))
        return 0

    sys.path.insert(0, str(ROOT))
    names = views()
    print(
        f"gdviz export benchmark: synthetic run, {FRAMES} frames, 640x480, {FPS} fps, "
        f"{os.cpu_count()} cores, views {', '.join(names)}; medians of {options.repeat}"
    )
    print("missing views are skipped: the benchmark runs those gdviz.views.VIEWS has\n")
    results: dict[tuple[str, str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for round_ in range(options.repeat):
            for view in names:
                for way in WAYS:
                    r = in_a_process(way, view, FRAMES, ".gif", folder)
                    results.setdefault((way, view, ".gif"), []).append(r)
                r = in_a_process("gdviz", view, FRAMES, ".mp4", folder)
                results.setdefault(("gdviz", view, ".mp4"), []).append(r)
            print(f"  round {round_ + 1} of {options.repeat} done", file=sys.stderr)
        memory = {
            (view, n): in_a_process("gdviz", view, n, ".gif", folder, tree=True)["peak"]
            for view in names
            for n in (FRAMES, 10 * FRAMES)
        }

    header = (
        f"{'view':<8} {'way':<32} {'format':<6} {'whole s':>8} {'render s':>9} "
        f"{'encode s':>9} {'save s':>7} {'main MB':>8} {'size KB':>8}"
    )
    print(header)
    print("-" * len(header))
    for (way, view, suffix), rs in results.items():
        print(
            f"{view:<8} {WAYS[way]:<32} {suffix:<6} {median(rs, 'whole'):>8.2f} "
            f"{median(rs, 'render'):>9.3f} {median(rs, 'encode'):>9.3f} "
            f"{median(rs, 'save'):>7.3f} {median(rs, 'peak') / 1e6:>8.0f} "
            f"{median(rs, 'bytes') / 1e3:>8.0f}"
        )
    print("\n'encode' is the time save() spent beyond drawing frames. 'save' = render + encode.")
    print("'main MB': peak memory of the main process (an encoder's child process not counted).")

    checks = []
    print(f"\n{'view':<8} {'whole-process ratio':>20} {'in-process ratio':>17} {'GIF size MB':>12}")
    for view in names:
        tutorial = results[("tutorial", view, ".gif")]
        ours = results[("gdviz", view, ".gif")]
        whole = median(tutorial, "whole") / median(ours, "whole")
        inproc = median(tutorial, "save") / median(ours, "save")
        size = median(ours, "bytes") / 1e6
        print(f"{view:<8} {whole:>19.1f}x {inproc:>16.1f}x {size:>12.2f}")
        checks += [
            (f"{view}: whole process >= 4x", whole >= 4),
            (f"{view}: render + encode >= 15x", inproc >= 15),
            (f"{view}: 100-frame GIF < 2 MB", size < 2),
        ]
    print("\nPeak memory of the whole process tree (main process, GIF encoder, sampled):")
    print(f"{'view':<8} {'peak MB, 100 frames':>20} {'1000 frames':>12} {'ratio':>6}")
    for view in names:
        few, many = memory[(view, FRAMES)], memory[(view, 10 * FRAMES)]
        print(f"{view:<8} {few / 1e6:>20.0f} {many / 1e6:>12.0f} {many / few:>6.2f}")
        checks.append((f"{view}: peak memory at 1000 frames <= 1.25x of 100", many <= 1.25 * few))
    print()
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
