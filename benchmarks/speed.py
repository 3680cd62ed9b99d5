"""The main command's speed against its floors, side by side in one run: the README's speed table.

Every figure is a ratio of two commands measured in the same run, each a fresh process, run in
turn (A B A B ...) so that a busy machine slows both alike; the median of the pairs' ratios is
printed. The comparisons, with their targets (issue 17):

1. ``gdviz animate`` writing a 100-frame GIF of the synthetic run (fit, then contour) against the
   tutorial way (the same figure through ``FuncAnimation`` + ``PillowWriter``,
   ``benchmarks/export.py``'s child), whole process, wall time: at least 5x.
2. ``gdviz animate --dataset synthetic`` against ``python -c "import torch, matplotlib.pyplot"``,
   CPU time: at most 1.3x.
3. ``gdviz animate --run FILE`` (no torch) against ``python -c "import numpy, matplotlib.pyplot,
   PIL.Image"``, CPU time: at most 1.5x.
4. The ``.html`` page of a 100,000-snapshot run against a 200-frame GIF of the same run, whole
   process: at most 2x (fit and dashboard).
5. Peak memory of a 1000-frame GIF against a 100-frame one (``ru_maxrss`` of the process): at
   most 1.25x (fit and contour).

    python benchmarks/speed.py              # 3 pairs each, about four minutes
    python benchmarks/speed.py --readme     # and write the table into README.md
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GDVIZ = (
    [str(BIN / "gdviz")] if (BIN / "gdviz").exists() else [sys.executable, "-m", "gdviz.cli.launch"]
)
BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"


def measure(command: list[str], folder: Path) -> dict:
    """Run ``command`` in ``folder``: its wall time, CPU time and peak memory (its own process,
    from the kernel's accounting of it)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{err}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss * 1024,
    }


def paired(a: list[str], b: list[str], folder: Path, rounds: int) -> tuple[list, list]:
    """``a`` and ``b`` in turn, ``rounds`` times each, after one warm-up of each."""
    measure(a, folder), measure(b, folder)
    first, second = [], []
    for _ in range(rounds):
        first.append(measure(a, folder))
        second.append(measure(b, folder))
    return first, second


def ratio(a: list[dict], b: list[dict], key: str) -> float:
    return statistics.median(x[key] / y[key] for x, y in zip(a, b))


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


RUNS = """
import warnings
import gdviz
warnings.simplefilter("ignore")
gdviz.train("synthetic").save("synthetic.npz")
gdviz.train("synthetic", steps=1_000, lr=0.05).save("thousand.npz")
gdviz.train("synthetic", steps=100_000, lr=0.01).save("long.npz")
"""


def make_runs(folder: Path) -> None:
    """The run files: the synthetic run (101 snapshots), one of 1,000 and one of 100,000. Made
    in a process of their own: Linux keeps a process's peak memory across fork and exec, so
    this one stays small for the peaks of the processes it starts to be their own."""
    measure([sys.executable, "-c", RUNS], folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs for each ratio")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    options = parser.parse_args()
    python = sys.executable
    rows = []  # (what, A, B, ratio, target, ok)

    def row(what, a, b, value, target, ok, unit="s"):
        rows.append((what, a, b, value, target, ok, unit))
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {value:.2f}x ({target})", file=sys.stderr)

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_runs(folder)
        export = [python, str(ROOT / "benchmarks" / "export.py"), "--child"]
        for view in ("fit", "contour"):
            spec = (
                f'{{"way": "tutorial", "view": "{view}", "frames": 100, '
                f'"out": "{folder / "t.gif"}", "tree": false}}'
            )
            ours = [*GDVIZ, "animate", "--dataset", "synthetic", "--steps", "100", "--frames"]
            ours += ["100", "--view", view, "-q", "--out", "g.gif"]
            tutorial, gdviz = paired([*export, spec], ours, folder, options.rounds)
            value = ratio(tutorial, gdviz, "wall")
            row(
                f"100-frame GIF, {view} view, whole process: the tutorial way against gdviz",
                median(tutorial, "wall"),
                median(gdviz, "wall"),
                value,
                "at least 5x",
                value >= 5,
            )
        main_job = [*GDVIZ, "animate", "--dataset", "synthetic", "-q", "--out", "s.gif"]
        floor = [python, "-c", "import torch, matplotlib.pyplot"]
        gdviz, imports = paired(main_job, floor, folder, max(options.rounds, 5))
        value = ratio(gdviz, imports, "cpu")
        row(
            "`gdviz animate --dataset synthetic` against importing torch and matplotlib, CPU",
            median(gdviz, "cpu"),
            median(imports, "cpu"),
            value,
            "at most 1.3x",
            value <= 1.3,
        )
        again = [*GDVIZ, "animate", "--run", "synthetic.npz", "-q", "--out", "r.gif"]
        floor = [python, "-c", "import numpy, matplotlib.pyplot, PIL.Image"]
        gdviz, imports = paired(again, floor, folder, max(options.rounds, 5))
        for key, what in (("cpu", "CPU"), ("wall", "wall")):
            value = ratio(gdviz, imports, key)
            row(
                f"`gdviz animate --run` (101 frames) against importing numpy, matplotlib and "
                f"Pillow, {what}",
                median(gdviz, key),
                median(imports, key),
                value,
                "at most 1.5x",
                value <= 1.5,
            )
        for view in ("fit", "dashboard"):
            base = [*GDVIZ, "animate", "--run", "long.npz", "--view", view, "-q", "--out"]
            page, gif = paired([*base, "p.html"], [*base, "p.gif"], folder, options.rounds)
            value = ratio(page, gif, "wall")
            row(
                f"100,000-snapshot run, {view} view: the page against a 200-frame GIF",
                median(page, "wall"),
                median(gif, "wall"),
                value,
                "at most 2x",
                value <= 2,
            )
        for view in ("fit", "contour"):
            base = [*GDVIZ, "animate", "--run", "thousand.npz", "--view", view, "-q", "--out"]
            many, few = paired(
                [*base, "m.gif", "--frames", "1000"],
                [*base, "f.gif", "--frames", "100"],
                folder,
                options.rounds,
            )
            value = ratio(many, few, "peak")
            row(
                f"peak memory, {view} view: a 1000-frame GIF against a 100-frame one",
                median(many, "peak") / 1e6,
                median(few, "peak") / 1e6,
                value,
                "at most 1.25x",
                value <= 1.25,
                unit="MB",
            )

    from importlib.metadata import version

    machine = (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, torch {version('torch')}, "
        f"matplotlib {version('matplotlib')}"
    )
    lines = [
        BEGIN,
        f"Measured by `python benchmarks/speed.py --readme` on {datetime.date.today()} "
        f"({machine}); each ratio is the median of {options.rounds} or more pairs of fresh "
        "processes run in turn, so a busy machine slows both sides alike.",
        "",
        "| what | A | B | A / B | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for what, a, b, value, target, ok, unit in rows:
        lines.append(
            f"| {what} | {a:.2f} {unit} | {b:.2f} {unit} | {value:.2f}x | {target}"
            f"{'' if ok else ' (not met)'} |"
        )
    lines.append(END)
    table = "\n".join(lines)
    print(table)
    if options.readme:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        if BEGIN not in text:
            raise SystemExit(f"README.md has no {BEGIN} ... {END} block to replace")
        pattern = re.escape(BEGIN) + ".*?" + re.escape(END)
        readme.write_text(re.sub(pattern, lambda _: table, text, flags=re.S), encoding="utf-8")
        print("README.md: speed table written", file=sys.stderr)
    return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
