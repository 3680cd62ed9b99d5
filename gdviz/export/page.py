"""The interactive page: every snapshot on one slider, drawn in the browser, in one file.

Matplotlib draws what does not move once (axes, contours, data, legends) into a PNG. Each moving
artist becomes a track: its geometry at every snapshot in figure pixels, taken from the artist
itself after the view's own ``update`` (so through each panel's data-to-pixel transform, log
axes and planes included), and packed by kind:

- ``prefix``: a path or curve that grows (the visited points, the loss so far): its points once,
  how many show at each snapshot, and the current end point;
- ``points``: a few points a snapshot (a current point, a fitted straight line's two ends);
- ``curve``: a fitted curve of many points, kept at evenly spread snapshots (the page shows the
  latest kept one at or before the slider's);
- ``arrow``: the two ends of an arrow and whether it is dashed;
- ``text``: a note's text;
- ``image`` and ``segments``: a classifier's decision regions and boundaries, each distinct
  picture and set of lines once, with which one each snapshot shows; ``dots``: the data over
  them.

A small script (`gdviz.export.player`) draws them over the PNG on a canvas. Runs of more than
`LIMIT` snapshots get `LIMIT` of them, spread evenly with the first and the last, and the page
says so. The 3-D view's camera is held where the animation's turn ends (the page says so), and
its lines are projected through that camera as matplotlib projects them. A moving artist of
any other kind raises `Unsupported`: the page writer then embeds the video instead, and says
why.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import re
import zlib

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text
from mpl_toolkits.mplot3d import proj3d
from mpl_toolkits.mplot3d.art3d import Line3D
from PIL import Image

from gdviz.views.base import per_run
from gdviz.views.tracks import Arrows, Curves, Marks, Notes, Prefix

LIMIT = 100_000  # snapshots on the slider at most
SMALL = 4  # points a snapshot stored whole
CURVE_BUDGET = 150_000  # points of fitted curves stored, over all their kept snapshots
SAMPLES = 40  # snapshots looked at to tell a track's kind
PIXEL = 16  # coordinates are kept to 1/16 of a pixel


class Unsupported(Exception):
    """The view moves something the page cannot draw from numbers."""


def slider_steps(runs) -> tuple[np.ndarray, bool]:
    """The snapshots on the slider, and whether they were thinned."""
    length = max(len(r.loss) for r in runs)
    if length <= LIMIT:
        return np.arange(length), False
    return np.unique(np.linspace(0, length - 1, LIMIT).round().astype(np.int64)), True


def collect(animation) -> dict:
    """Everything the player needs, as a JSON-ready dict (arrays packed, see `_pack`)."""
    animation.check_whole("saved as a page of every snapshot")
    turning = [v for v in animation.views if getattr(v, "turning", False)]
    for view in turning:  # the page holds a 3-D camera still, at its end position
        view.turning = False
    try:
        return _collect(animation)
    finally:
        for view in turning:
            view.turning = True
        animation.update(animation.n_frames - 1)  # the figure as it was (the last frame)


def _collect(animation) -> dict:
    fig, views, runs = animation.fig, animation.views, animation.runs
    if any(v.full_redraw for v in views):
        raise Unsupported("the view's every frame is a new picture")
    height = fig.bbox.height
    steps, thinned = slider_steps(runs)
    tracks, stepped, moved = [], [], []  # the views that can only move step by step, and
    for view in views:  # their tracks
        owners = _owners(view)
        known = view.tracks(steps)  # every snapshot at once, from the runs' arrays
        if known is None:
            moved.append(view)
        for artist in view.moving_:
            track = next((t for kind, t in TRACKS if isinstance(artist, kind)), None)
            if track is None:
                raise Unsupported(
                    f"the {view.name} view moves a {type(artist).__name__}, which only "
                    "matplotlib draws"
                )
            made = track(artist, owners.get(id(artist)), height)
            tracks.append(made)
            if known is None:
                stepped.append(made)
            else:
                made.take(known[artist], steps)
    if stepped:
        _step(moved, stepped, steps)
    background, overlay = _pictures(animation, [t.artist for t in tracks])
    still = any(hasattr(v, "turning") for v in views)
    return {
        "still_camera": still,
        "width": round(fig.bbox.width),
        "height": round(height),
        "background": background,
        "overlay": overlay,
        "thinned": bool(thinned),
        "snapshots": int(max(len(r.loss) for r in runs)),
        "seconds": float(animation.n_frames / animation.fps),
        "runs": [_run_readout(r, steps) for r in runs],
        "tracks": [t.pack() for t in tracks],
    }


def _step(views, tracks, steps) -> None:
    """Move ``views`` to every one of ``steps``, each of ``tracks`` recording its artist."""
    sample = np.unique(np.linspace(0, len(steps) - 1, min(SAMPLES, len(steps))).astype(int))
    for j in sample:  # tell each track's kind from a spread of snapshots
        for view in views:
            view.update(int(steps[j]))
        for track in tracks:
            track.look()
    for track in tracks:
        track.decide(len(steps))
    for j, step in enumerate(steps):
        for view in views:
            view.update(int(step))
        for track in tracks:
            track.record(j)


def _owners(view) -> dict[int, int]:
    """Which run each of a view's per-run artists belongs to (its lists indexed by run)."""
    owners = {}
    for _, items in per_run(view):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                owners.update({id(a): i for a in item.values()})
            elif item is not None:
                owners[id(item)] = i
    return owners


def _run_readout(run, steps) -> dict:
    k = np.minimum(steps, len(run.loss) - 1)
    return {
        "label": run.label,
        "step": _pack(np.asarray(run.step_at(k), dtype=np.int32)),
        "loss": _pack(run.loss[k].astype(np.float64)),
    }


def _pictures(animation, hidden) -> tuple[str, str | None]:
    """PNG data URLs of what stays still, from one draw of the figure: the figure without its
    moving artists, what lies over them and the caption (which the page writes), and what lies
    over them (legends, stars) alone on a clear canvas, or None where nothing does."""
    fig, over = animation.fig, animation.over
    was = [(a, a.get_visible()) for a in [*hidden, *over, animation.caption_]]
    for artist, _ in was:
        artist.set_visible(False)
    try:
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())
        background = _png(pixels, flip=False)
    finally:
        for artist, visible in was:
            artist.set_visible(visible)
    if not over:
        return background, None
    pixels[...] = 0
    for artist in over:
        fig.draw_artist(artist)
    return background, _png(pixels, flip=False, alpha=True)


# -- tracks -------------------------------------------------------------------------------------


def _pack(a: np.ndarray) -> dict:
    """An array as deflated little-endian bytes in base64, with its type and shape."""
    a = np.ascontiguousarray(a)
    kind = {
        np.dtype(np.float32): "f4",
        np.dtype(np.float64): "f8",
        np.dtype(np.int32): "i4",
        np.dtype(np.uint8): "u1",
    }[a.dtype]
    data = zlib.compress(a.astype(a.dtype.newbyteorder("<")).tobytes(), 9)
    return {"type": kind, "shape": list(a.shape), "data": base64.b64encode(data).decode("ascii")}


def _png(pixels: np.ndarray, flip: bool, alpha: bool = False) -> str:
    """An RGB(A) uint8 image as a PNG data URL (``flip``: row 0 at the bottom, as ``origin
    "lower"`` draws it; ``alpha``: keep its transparency)."""
    buffer = io.BytesIO()
    Image.fromarray((pixels[::-1] if flip else pixels)[..., : 4 if alpha else 3]).save(
        buffer, format="png", optimize=True
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pixels(artist, xy, height) -> np.ndarray:
    """Data coordinates to canvas pixels (y down), to 1/`PIXEL` of a pixel."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if not len(xy):
        return np.zeros((0, 2), np.float32)
    with np.errstate(all="ignore"):
        out = artist.get_transform().transform(xy)
        out[:, 1] = height - out[:, 1]
        out = np.round(out * PIXEL) / PIXEL
    out[~np.isfinite(out)] = np.nan
    return out.astype(np.float32)


def _color(c) -> str:
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(c)
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.3f})"


def _outline(artist, scale: float):
    """A path effect's stroke under the artist (`patheffects.withStroke`), or None."""
    for effect in artist.get_path_effects():
        gc = getattr(effect, "_gc", None)
        if gc and "linewidth" in gc:
            color = gc.get("foreground", "white")
            alpha = gc.get("alpha", 1.0)
            rgba = _color(color)
            if alpha is not None and alpha != 1.0:
                rgba = rgba.rsplit(",", 1)[0] + f",{alpha:.3f})"
            return {"width": gc["linewidth"] * scale, "color": rgba}
    return None


class Distinct:
    """The states a track takes, each kept once (a picture, a set of lines, a text), and which
    one each snapshot shows."""

    def __init__(self, count: int):
        self.items: list = []
        self.seen: dict[bytes, int] = {}
        self.index = np.zeros(count, np.int32)

    def show(self, j: int, data: bytes, make) -> None:
        """Snapshot ``j`` shows the state whose bytes are ``data``; ``make()`` keeps a new one."""
        key = hashlib.blake2b(data, digest_size=16).digest()
        if key not in self.seen:
            self.seen[key] = len(self.items)
            self.items.append(make())
        self.index[j] = self.seen[key]


class Track:
    def __init__(self, artist, run, height):
        self.artist, self.run, self.height = artist, run, height
        self.scale = artist.figure.dpi / 72.0  # points to pixels
        self.samples = []

    def look(self):
        pass

    def decide(self, count: int):
        self.visible = np.zeros(count, np.uint8)

    def take(self, geometry, steps: np.ndarray) -> None:
        """Record what ``geometry`` (from the view's ``tracks``) says the artist shows at
        every one of ``steps``, instead of recording it step by step."""
        raise Unsupported(f"no geometry for a {type(self.artist).__name__} from a view's arrays")

    def base(self) -> dict:
        clip = self.artist.get_clip_box() if self.artist.get_clip_on() else None
        box = None
        if clip is not None:
            x0, y0, x1, y1 = clip.extents
            box = [x0, self.height - y1, x1 - x0, y1 - y0]
        return {
            "run": self.run,
            "clip": box,
            "z": float(self.artist.get_zorder()),
            "visible": _pack(self.visible),
        }


class LineTrack(Track):
    def xy(self) -> np.ndarray:
        """The line's points now, in canvas pixels."""
        return _pixels(self.artist, self.artist.get_xydata(), self.height)

    def look(self):
        self.samples.append(self.xy())

    def decide(self, count: int):
        super().decide(count)
        lengths = [len(s) for s in self.samples]
        firsts_same = all(
            len(s) == 0 or len(self.samples[-1]) == 0 or np.array_equal(s[:1], self.samples[-1][:1])
            for s in self.samples
        )
        growing = all(b >= a for a, b in itertools.pairwise(lengths)) and max(lengths) > SMALL
        if growing and firsts_same and self._prefixes():
            self.kind = "prefix"
            self.points: list[np.ndarray] = []
            self.known = 0  # points of the path gathered so far
            self.count = np.zeros(count, np.int32)
            self.tail = np.full((count, 2), np.nan, np.float32)
            self.point_step = []
        elif max(lengths) <= SMALL or self._straight():
            self.kind = "points"
            self.width = max(max(lengths), 1) if max(lengths) <= SMALL else 2
            self.data = np.full((count, self.width, 2), np.nan, np.float32)
            self.count = np.zeros(count, np.int32)
        else:
            self.kind = "curve"
            width = max(lengths)
            keep = max(2, min(count, CURVE_BUDGET // max(width, 1)))
            self.kept = np.unique(np.linspace(0, count - 1, keep).round().astype(int))
            self.width = width
            self.data = np.full((len(self.kept), width, 2), np.nan, np.float32)
            self.count = np.zeros(len(self.kept), np.int32)
        self.markers = []
        self.marker = np.zeros(count, np.uint8)
        self.samples = []

    def take(self, geometry, steps: np.ndarray) -> None:
        count = len(steps)
        self.visible = np.ones(count, np.uint8)
        self.markers = [str(self.artist.get_marker())]
        self.marker = np.zeros(count, np.uint8)
        if isinstance(geometry, Prefix):
            self.kind = "prefix"
            shown = int(geometry.count.max(initial=0))
            points = _pixels(self.artist, geometry.points[:shown], self.height)
            self.points = [points]
            self.count = geometry.count.astype(np.int32)
            self.tail = _pixels(self.artist, geometry.tail, self.height)
            # A point joins the path once passed: at the snapshot after the one it was current.
            joins = np.searchsorted(self.count, np.arange(shown), side="right")
            self.point_step = list(np.maximum(joins - 1, 0))
        elif isinstance(geometry, Marks):
            self.kind = "points"
            data = geometry.data
            self.width = data.shape[1]
            flat = _pixels(self.artist, data.reshape(-1, 2), self.height)
            self.data = flat.reshape(count, self.width, 2)
            self.count = np.full(count, self.width, np.int32)
            # The markers shown, in the order they first show (as recorded step by step).
            used, first = np.unique(geometry.marker, return_index=True)
            order = used[np.argsort(first)]
            self.markers = [geometry.markers[i] for i in order]
            renumber = np.zeros(len(geometry.markers), np.uint8)
            renumber[order] = np.arange(len(order))
            self.marker = renumber[geometry.marker]
        elif isinstance(geometry, Curves):
            self.kind = "curve"
            first = geometry.at(int(steps[0]))
            self.width = width = len(first)
            keep = max(2, min(count, CURVE_BUDGET // max(width, 1)))
            self.kept = np.unique(np.linspace(0, count - 1, keep).round().astype(int))
            self.data = np.full((len(self.kept), width, 2), np.nan, np.float32)
            self.count = np.zeros(len(self.kept), np.int32)
            for i, j in enumerate(self.kept):
                xy = _pixels(self.artist, geometry.at(int(steps[j])), self.height)[:width]
                self.data[i, : len(xy)] = xy
                self.count[i] = len(xy)
        else:
            super().take(geometry, steps)

    def _prefixes(self) -> bool:
        """Each sample, but its last point, starts the longest one."""
        longest = self.samples[-1]
        return all(
            np.array_equal(s[:-1], longest[: len(s) - 1], equal_nan=True) for s in self.samples
        )

    def _straight(self) -> bool:
        """Every sample lies on the segment between its ends (a fitted line): store the ends."""
        for s in self.samples:
            s = s[np.isfinite(s).all(axis=1)]
            if len(s) < 3:
                continue
            a, b = s[0].astype(float), s[-1].astype(float)
            d = b - a
            n = np.hypot(*d)
            if n == 0:
                return False
            off = np.abs((s[:, 0] - a[0]) * d[1] - (s[:, 1] - a[1]) * d[0]) / n
            if off.max() > 0.25:
                return False
        return True

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        marker = str(a.get_marker())
        if marker not in self.markers:
            self.markers.append(marker)
        self.marker[j] = self.markers.index(marker)
        xy = self.xy()
        if self.kind == "prefix":
            body = xy[:-1]
            if len(body) > self.known:
                self.points.append(body[self.known :])
                # Points join the path once passed: the latest was the current point at the
                # snapshot before (with a thinned slider, the rest lie between the two).
                self.point_step.extend([max(j - 1, 0)] * (len(body) - self.known))
                self.known = len(body)
            self.count[j] = len(body)
            if len(xy):
                self.tail[j] = xy[-1]
        elif self.kind == "points":
            if len(xy) > self.width:
                xy = xy[[0, -1]]
            self.data[j, : len(xy)] = xy
            self.count[j] = len(xy)
        else:
            i = np.searchsorted(self.kept, j)
            if i < len(self.kept) and self.kept[i] == j:
                xy = xy[: self.width]
                self.data[i, : len(xy)] = xy
                self.count[i] = len(xy)

    def pack(self) -> dict:
        a = self.artist
        out = self.base()
        dashes = a._dash_pattern[1] if a.get_linestyle() not in ("-", "None", "") else None
        out.update(
            type="line",
            kind=self.kind,
            color=_color(a.get_color()),
            width=a.get_linewidth() * self.scale if a.get_linestyle() != "None" else 0,
            dash=[d * self.scale for d in dashes] if dashes else None,
            markers=self.markers,
            marker=_pack(self.marker),
            size=a.get_markersize() * self.scale,
            face=_color(a.get_markerfacecolor()),
            edge=_color(a.get_markeredgecolor()),
            edge_width=a.get_markeredgewidth() * self.scale,
            outline=_outline(a, self.scale),
        )
        if self.kind == "prefix":
            points = np.concatenate(self.points) if self.points else np.zeros((0, 2), np.float32)
            out.update(
                points=_pack(points),
                count=_pack(self.count),
                tail=_pack(self.tail),
                point_step=_pack(np.asarray(self.point_step, np.int32)),
            )
        else:
            out.update(data=_pack(self.data), count=_pack(self.count))
            if self.kind == "curve":
                out["kept"] = _pack(self.kept.astype(np.int32))
        return out


class Line3DTrack(LineTrack):
    """A line on 3-D axes: its 3-D points projected as matplotlib projects them when it draws
    (the camera held still, so one projection serves every snapshot)."""

    def xy(self) -> np.ndarray:
        a = self.artist
        if not hasattr(self, "projection"):
            self.projection = a.axes.get_proj()
        xs, ys, zs = (np.asarray(v, dtype=float) for v in a.get_data_3d())
        if not len(xs):
            return np.zeros((0, 2), np.float32)
        px, py, _ = proj3d.proj_transform(xs, ys, zs, self.projection)
        return _pixels(a, np.column_stack([px, py]), self.height)


class ArrowTrack(Track):
    def decide(self, count: int):
        super().decide(count)
        self.ends = np.full((count, 4), np.nan, np.float32)
        self.dashed = np.zeros(count, np.uint8)

    def take(self, geometry, steps: np.ndarray) -> None:
        if not isinstance(geometry, Arrows):
            super().take(geometry, steps)
        count = len(steps)
        self.visible = geometry.visible.astype(np.uint8)
        ends = _pixels(self.artist, geometry.ends.reshape(-1, 2), self.height)
        self.ends = ends.reshape(count, 4)
        self.dashed = np.zeros(count, np.uint8)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        posA, posB = a._posA_posB
        self.ends[j] = _pixels(a, [posA, posB], self.height).reshape(-1)
        self.dashed[j] = a.get_linestyle() not in ("-", "solid")

    def pack(self) -> dict:
        a = self.artist
        out = self.base()
        scale = self.scale
        mutation = a.get_mutation_scale() * scale
        out.update(
            type="arrow",
            color=_color(a.get_edgecolor()),
            width=a.get_linewidth() * scale,
            head=[0.4 * mutation, 0.2 * mutation],
            ends=_pack(self.ends),
            dashed=_pack(self.dashed),
            outline=_outline(a, scale),
        )
        return out


class TextTrack(Track):
    def decide(self, count: int):
        super().decide(count)
        self.texts = Distinct(count)

    def take(self, geometry, steps: np.ndarray) -> None:
        if not isinstance(geometry, Notes):
            super().take(geometry, steps)
        self.visible = np.full(len(steps), self.artist.get_visible(), np.uint8)
        self.texts = Distinct(len(steps))
        for j, text in enumerate(geometry.texts):
            self.texts.show(j, text.encode("utf-8"), lambda text=text: text)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        text = a.get_text()
        self.texts.show(j, text.encode("utf-8"), lambda: text)

    def pack(self) -> dict:
        a = self.artist
        out = self.base()
        x, y = a.get_transform().transform(a.get_position())
        box = a.get_bbox_patch()
        out.update(
            type="text",
            at=[float(x), float(self.height - y)],
            size=a.get_fontsize() * self.scale,
            color=_color(a.get_color()),
            ha=a.get_horizontalalignment(),
            va=a.get_verticalalignment(),
            box=_color(box.get_facecolor()) if box is not None else None,
            texts=self.texts.items,
            index=_pack(self.texts.index),
        )
        return out


class ImageTrack(Track):
    """An image that changes (a classifier's decision regions): each distinct picture once, as a
    PNG, and which one each snapshot shows."""

    def decide(self, count: int):
        super().decide(count)
        self.pictures = Distinct(count)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        rgb = np.asarray(a.get_array(), dtype=float)
        pixels = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
        shape = np.asarray(pixels.shape, np.int64).tobytes()
        self.pictures.show(j, shape + pixels.tobytes(), lambda: _png(pixels, a.origin == "lower"))

    def pack(self) -> dict:
        a = self.artist
        x0, x1, y0, y1 = a.get_extent()
        (px0, py0), (px1, py1) = a.axes.transData.transform([(x0, y0), (x1, y1)])
        py0, py1 = self.height - py0, self.height - py1
        out = self.base()
        out.update(
            type="image",
            box=[
                float(min(px0, px1)),
                float(min(py0, py1)),
                float(abs(px1 - px0)),
                float(abs(py1 - py0)),
            ],
            smooth=a.get_interpolation() not in ("nearest", "none"),
            alpha=1.0 if a.get_alpha() is None else float(a.get_alpha()),
            pictures=self.pictures.items,
            index=_pack(self.pictures.index),
        )
        return out


class SegmentsTrack(Track):
    """Lines that change shape (decision boundaries): each distinct set once, and which one
    each snapshot shows."""

    def decide(self, count: int):
        super().decide(count)
        self.sets = Distinct(count)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        pieces = []
        for segment in a.get_segments():
            pieces.append(_pixels(a, segment, self.height))
            pieces.append(np.full((1, 2), np.nan, np.float32))  # lift the pen
        xy = np.concatenate(pieces) if pieces else np.zeros((0, 2), np.float32)
        self.sets.show(j, xy.tobytes(), lambda: xy)

    def pack(self) -> dict:
        a = self.artist
        out = self.base()
        sets = self.sets.items
        starts = np.cumsum([0] + [len(s) for s in sets]).astype(np.int32)
        points = np.concatenate(sets) if sets else np.zeros((0, 2), np.float32)
        out.update(
            type="segments",
            color=_color(a.get_colors()[0]),
            width=float(a.get_linewidths()[0]) * self.scale,
            points=_pack(points),
            starts=_pack(starts),
            index=_pack(self.sets.index),
        )
        return out


class DotsTrack(Track):
    """Scattered dots drawn over what moves (the data over the decision regions)."""

    def record(self, j: int):
        self.visible[j] = self.artist.get_visible()

    def pack(self) -> dict:
        a = self.artist
        offsets = a.get_offset_transform().transform(a.get_offsets())
        offsets[:, 1] = self.height - offsets[:, 1]
        n = len(offsets)
        sizes = np.broadcast_to(np.asarray(a.get_sizes(), float), (n,))
        faces = np.broadcast_to(a.get_facecolors(), (n, 4))
        edges = a.get_edgecolors()
        widths = np.asarray(a.get_linewidths(), float)
        out = self.base()
        out.update(
            type="dots",
            xy=_pack(offsets.astype(np.float32)),
            radius=_pack((np.sqrt(sizes) / 2 * self.scale).astype(np.float32)),
            faces=_pack(np.round(np.asarray(faces) * 255).astype(np.uint8)),
            edge=_color(edges[0]) if len(edges) else None,
            edge_width=float(widths[0]) * self.scale if len(widths) else 0.0,
        )
        return out


# Each kind of moving artist the page draws, and its track (a 3-D line before the 2-D lines
# it is a kind of).
TRACKS = (
    (Line3D, Line3DTrack),
    (Line2D, LineTrack),
    (FancyArrowPatch, ArrowTrack),
    (AxesImage, ImageTrack),
    (LineCollection, SegmentsTrack),
    (PathCollection, DotsTrack),
    (Text, TextTrack),
)


def page(animation, title: str) -> str:
    """The whole page as text."""
    from gdviz.export.player import TEMPLATE

    parts = {"@TITLE@": html.escape(title), "@PLAYER@": player(animation)}
    return re.sub("@(TITLE|PLAYER)@", lambda m: parts[m.group(0)], TEMPLATE)


def player(animation) -> str:
    """The player alone (markup, style, script and data), for a page or a notebook."""
    from gdviz.export.player import PLAYER, SCRIPT, STYLE

    data = collect(animation)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    parts = {
        "@NOTE@": html.escape(_note(data)),
        "@STYLE@": STYLE,
        "@SCRIPT@": SCRIPT,
        "@DATA@": payload,
    }
    # One pass: nothing a label or the data holds is read as a placeholder.
    return re.sub("@(NOTE|STYLE|SCRIPT|DATA)@", lambda m: parts[m.group(0)], PLAYER)


def _note(data: dict) -> str:
    notes = []
    if data["thinned"]:
        notes.append(
            f"The run has {data['snapshots']:,} snapshots; the slider holds {LIMIT:,} of them, "
            "spread evenly from the first to the last."
        )
    if data["still_camera"]:
        notes.append("The camera stays where the animation's turn ends.")
    return " ".join(notes)
