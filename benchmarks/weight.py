"""GIF weight of every view, at the default size and in slide style, and contact sheets to look at.

For each case (a run or a race, drawn by each view that can draw it) a 100-frame GIF is written
at 640x480 (1280x440 for the dashboard and the matrix view) and with ``style="slide"``
(1920x1080); the table gives megabytes per 100 frames (the goal: at most 2). With ``--sheets
DIR`` the last frames are also laid out on contact sheets, as seen with normal colour vision and
with protanopia and deuteranopia (the matrices of Machado, Oliveira and Fernandes, 2009), to be
looked at for collisions and colours that merge.

    python benchmarks/weight.py                     # the table, about five minutes here
    python benchmarks/weight.py --sheets sheets/    # and the contact sheets
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import gdviz

GOAL_MB = 2.0
SIGHTS = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}


def cases() -> list[tuple[str, object, tuple[str, ...], dict]]:
    """(name, runs, views, animate options): the views each case is drawn with."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic = gdviz.train("synthetic")
        sweep = gdviz.sweep("synthetic", lr=[0.05, 0.2, 0.5, 0.9, 1.05], steps=60)
        moons = gdviz.train("moons", steps=300)
        race = gdviz.sweep("himmelblau", optimizer=["adam", "momentum"])
        rosenbrock = gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"])
        momentum = gdviz.train("synthetic", optimizer="momentum", steps=60)
        edge = gdviz.train("moons", steps=200, lr=0.5, optimizer="gd", curvature=True)
    return [
        ("synthetic", synthetic, ("fit", "contour", "loss", "dashboard", "surface"), {}),
        ("learning-rate sweep", sweep, ("fit", "contour", "loss"), {}),
        ("moons", moons, ("fit", "contour", "loss", "dashboard"), {}),
        ("himmelblau race", race, ("contour", "surface"), {}),
        ("rosenbrock race", rosenbrock, ("contour", "loss"), {}),
        ("internals", momentum, ("contour",), {"show": ("internals",)}),
        ("sharpness", edge, ("loss",), {"show": ("curvature",)}),
    ]


def seen(image: Image.Image, sight: str) -> Image.Image:
    """``image`` as seen with ``sight`` (sRGB in and out, the matrix applied to linear RGB)."""
    rgb = np.asarray(image.convert("RGB"), dtype=float) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    out = np.clip(linear @ SIGHTS[sight].T, 0, 1)
    out = np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)
    return Image.fromarray((out * 255 + 0.5).astype(np.uint8))


def sheet(stills: list[tuple[str, Path]], sight: str, width: int = 640) -> Image.Image:
    """The stills side by side, three a row, each ``width`` wide with its name above it."""
    tiles = []
    for name, path in stills:
        image = seen(Image.open(path), sight)
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        tile = Image.new("RGB", (width, image.height + 22), "white")
        tile.paste(image, (0, 22))
        ImageDraw.Draw(tile).text((6, 4), name, fill="black")
        tiles.append(tile)
    rows = [tiles[i : i + 3] for i in range(0, len(tiles), 3)]
    heights = [max(t.height for t in row) for row in rows]
    out = Image.new("RGB", (3 * width, sum(heights)), "white")
    y = 0
    for row, height in zip(rows, heights):
        for k, tile in enumerate(row):
            out.paste(tile, (k * width, y))
        y += height
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=Path, help="write contact sheets (PNG) into this folder")
    options = parser.parse_args()
    rows, stills = [], {None: [], "slide": []}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for case, runs, views, extra in cases():
            for view in views:
                for style in (None, "slide"):
                    anim = gdviz.animate(runs, view=view, frames=100, style=style, **extra)
                    tag = f"{case}-{view}-{style or 'default'}".replace(" ", "_")
                    gif = anim.save(folder / f"{tag}.gif", progress=False)
                    mb = gif.stat().st_size / 1e6 * 100 / anim.n_frames
                    if options.sheets is not None:
                        stills[style].append(
                            (f"{case}, {view}", anim.save(folder / f"{tag}.png", progress=False))
                        )
                    anim.fig.clf()
                    rows.append((case, view, style or "default", mb))
                    print(
                        f"{case:22s} {view:10s} {style or 'default':8s} {mb:6.2f} MB / 100 frames"
                    )
        if options.sheets is not None:
            options.sheets.mkdir(parents=True, exist_ok=True)
            for style, shots in stills.items():
                for sight in SIGHTS:
                    path = options.sheets / f"sheet-{style or 'default'}-{sight}.png"
                    sheet(shots, sight).save(path)
                    print(f"wrote {path}")
    print()
    print("| case | view | 640x480 | slide |")
    print("| --- | --- | --- | --- |")
    table = {}
    for case, view, style, mb in rows:
        table.setdefault((case, view), {})[style] = mb
    for (case, view), sizes in table.items():
        cells = [
            f"{sizes[s]:.2f}" + ("" if sizes[s] <= GOAL_MB else " (over)")
            for s in ("default", "slide")
        ]
        print(f"| {case} | {view} | {' | '.join(cells)} |")
    heaviest = max(mb for *_, mb in rows)
    print(f"\nheaviest: {heaviest:.2f} MB per 100 frames (goal at most {GOAL_MB})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
