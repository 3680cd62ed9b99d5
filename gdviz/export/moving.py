"""The page's tracks: each moving artist's geometry at every snapshot on the slider, in figure
pixels (y down, to 1/`PIXEL` of a pixel), packed by kind for the player (`gdviz.export.page`
assembles them; `gdviz.export.player` draws them).

A track takes its geometry from the view's arrays (`take`, from ``view.tracks``) or records its
artist after each of the view's own ``update`` calls (`look`, `decide`, `record`); `pack` makes
it JSON-ready, arrays deflated (`pack_array`).
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib import font_manager
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import ArrowStyle, ConnectionStyle, FancyArrowPatch
from matplotlib.text import Text
from mpl_toolkits.mplot3d import proj3d
from mpl_toolkits.mplot3d.art3d import Line3D

from gdviz.export.encoding import Distinct, color, outline, pack_array, png, to_pixels
from gdviz.views.tracks import Arrows, Curves, Marks, Notes, Prefix

SMALL = 4  # points a snapshot stored whole
CURVE_BUDGET = 150_000  # points of fitted curves stored, over all their kept snapshots


class Unsupported(Exception):
    """The view moves something the page cannot draw from numbers."""


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
        if clip is not None:  # on whole pixels, each edge rounded as Agg rounds a clip box
            x0, y0, x1, y1 = clip.extents
            left, right = np.floor(x0 + 0.5), np.floor(x1 + 0.5)
            top, bottom = np.floor(self.height - y1 + 0.5), np.floor(self.height - y0 + 0.5)
            box = [float(left), float(top), float(right - left), float(bottom - top)]
        return {
            "run": self.run,
            "clip": box,
            "z": float(self.artist.get_zorder()),
            "visible": pack_array(self.visible),
        }


class LineTrack(Track):
    def xy(self) -> np.ndarray:
        """The line's points now, in canvas pixels."""
        return to_pixels(self.artist, self.artist.get_xydata(), self.height)

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
            points = to_pixels(self.artist, geometry.points[:shown], self.height)
            self.points = [points]
            self.count = geometry.count.astype(np.int32)
            self.tail = to_pixels(self.artist, geometry.tail, self.height)
            # A point joins the path once passed: at the snapshot after the one it was current.
            joins = np.searchsorted(self.count, np.arange(shown), side="right")
            self.point_step = list(np.maximum(joins - 1, 0))
        elif isinstance(geometry, Marks):
            self.kind = "points"
            data = geometry.data
            self.width = data.shape[1]
            flat = to_pixels(self.artist, data.reshape(-1, 2), self.height)
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
                xy = to_pixels(self.artist, geometry.at(int(steps[j])), self.height)[:width]
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
            color=color(a.get_color()),
            width=a.get_linewidth() * self.scale if a.get_linestyle() != "None" else 0,
            dash=[d * self.scale for d in dashes] if dashes else None,
            markers=self.markers,
            snap=[self._snap(m) for m in self.markers],
            join=[str(MarkerStyle(m).get_joinstyle()) for m in self.markers],
            marker=pack_array(self.marker),
            size=a.get_markersize() * self.scale,
            face=color(a.get_markerfacecolor()),
            edge=color(a.get_markeredgecolor()),
            edge_width=a.get_markeredgewidth() * self.scale,
            outline=outline(a, self.scale),
        )
        if self.kind == "prefix":
            points = np.concatenate(self.points) if self.points else np.zeros((0, 2), np.float32)
            out.update(
                points=pack_array(points),
                count=pack_array(self.count),
                tail=pack_array(self.tail),
                point_step=pack_array(np.asarray(self.point_step, np.int32)),
            )
        else:
            out.update(data=pack_array(self.data), count=pack_array(self.count))
            if self.kind == "curve":
                out["kept"] = pack_array(self.kept.astype(np.int32))
        return out

    def _snap(self, marker: str) -> float | None:
        """Where Agg puts ``marker``'s corners: on whole pixels plus this (half a pixel for an
        edge an odd number of pixels wide), for a marker as large as its snapping threshold;
        None where it is not snapped (it is then centred on a pixel's middle)."""
        a = self.artist
        threshold = MarkerStyle(marker).get_snap_threshold()
        if threshold is None or a.get_markersize() * self.scale < threshold:
            return None
        edge = a.get_markeredgewidth() * self.scale
        return 0.5 if int(np.floor(edge + 0.5)) % 2 else 0.0


class Line3DTrack(LineTrack):
    """A line on 3-D axes: its 3-D points projected as matplotlib projects them when it draws
    (the camera held still, so one projection serves every snapshot), and the 3-D points
    themselves, kept alike, for a page that turns the camera (`gdviz.export.turning`)."""

    def xy(self) -> np.ndarray:
        a = self.artist
        if not hasattr(self, "projection"):
            self.projection = a.axes.get_proj()
        xs, ys, zs = (np.asarray(v, dtype=float) for v in a.get_data_3d())
        self.xyz = np.column_stack([xs, ys, zs]).astype(np.float32)
        if not len(xs):
            return np.zeros((0, 2), np.float32)
        px, py, _ = proj3d.proj_transform(xs, ys, zs, self.projection)
        return to_pixels(a, np.column_stack([px, py]), self.height)

    def decide(self, count: int):
        super().decide(count)
        if self.kind == "prefix":
            self.points3: list[np.ndarray] = []
            self.tail3 = np.full((count, 3), np.nan, np.float32)
        else:
            self.data3 = np.full((*self.data.shape[:2], 3), np.nan, np.float32)

    def record(self, j: int):
        known = getattr(self, "known", 0)
        super().record(j)
        xyz = self.xyz
        if self.kind == "prefix":
            if len(xyz) - 1 > known:
                self.points3.append(xyz[known:-1])
            if len(xyz):
                self.tail3[j] = xyz[-1]
        elif self.kind == "points":
            if len(xyz) > self.width:
                xyz = xyz[[0, -1]]
            self.data3[j, : len(xyz)] = xyz
        else:
            i = np.searchsorted(self.kept, j)
            if i < len(self.kept) and self.kept[i] == j:
                xyz = xyz[: self.width]
                self.data3[i, : len(xyz)] = xyz

    def pack(self) -> dict:
        out = super().pack()
        if self.kind == "prefix":
            points = np.concatenate(self.points3) if self.points3 else np.zeros((0, 3), np.float32)
            out.update(points3=pack_array(points), tail3=pack_array(self.tail3))
        else:
            out["data3"] = pack_array(self.data3)
        return out


class ArrowTrack(Track):
    """A straight arrow drawn as matplotlib draws it (`ArrowStyle` ``-``, ``->``, ``-|>``): its
    head keeps its full size however short the arrow, pointing where the arrow points (kept
    at full precision, apart from the ends, for an arrow shorter than a pixel); an arrow of no
    length has no head."""

    STYLES = (ArrowStyle.Curve, ArrowStyle.CurveB, ArrowStyle.CurveFilledB)

    def __init__(self, artist, run, height):
        super().__init__(artist, run, height)
        style, joining = artist.get_arrowstyle(), artist.get_connectionstyle()
        straight = isinstance(joining, ConnectionStyle.Arc3) and joining.rad == 0
        if type(style) not in self.STYLES or not straight or artist.shrinkA or artist.shrinkB:
            raise Unsupported("an arrow other than a straight, unshrunk -, -> or -|>")

    def decide(self, count: int):
        super().decide(count)
        self.ends = np.full((count, 4), np.nan, np.float32)
        self.heading = np.full((count, 2), np.nan, np.float32)
        self.dashed = np.zeros(count, np.uint8)

    def take(self, geometry, steps: np.ndarray) -> None:
        if not isinstance(geometry, Arrows):
            super().take(geometry, steps)
        count = len(steps)
        self.visible = geometry.visible.astype(np.uint8)
        ends = to_pixels(self.artist, geometry.ends.reshape(-1, 2), self.height)
        self.ends = ends.reshape(count, 4)
        self.heading = self._heading(geometry.ends[:, 0], geometry.ends[:, 1])
        self.dashed = np.zeros(count, np.uint8)

    def _heading(self, starts, tips) -> np.ndarray:
        """The unit vectors from ``starts`` to ``tips`` (data) on the canvas (y down), NaN where
        an arrow has no length (or no ends)."""
        transform = self.artist.get_transform()
        with np.errstate(all="ignore"):
            d = transform.transform(np.reshape(tips, (-1, 2))) - transform.transform(
                np.reshape(starts, (-1, 2))
            )
            d[:, 1] = -d[:, 1]
            d /= np.hypot(d[:, 0], d[:, 1])[:, None]
        d[~np.isfinite(d).all(axis=1)] = np.nan
        return d.astype(np.float32)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        posA, posB = a._posA_posB
        self.ends[j] = to_pixels(a, [posA, posB], self.height).reshape(-1)
        self.heading[j] = self._heading([posA], [posB])[0]
        self.dashed[j] = a.get_linestyle() not in ("-", "solid")

    def pack(self) -> dict:
        a = self.artist
        out = self.base()
        scale = self.scale
        mutation = a.get_mutation_scale() * scale
        style = a.get_arrowstyle()
        headed = not isinstance(style, ArrowStyle.Curve)
        out.update(
            type="arrow",
            color=color(a.get_edgecolor()),
            fill=color(a.get_facecolor()) if isinstance(style, ArrowStyle.CurveFilledB) else None,
            width=a.get_linewidth() * scale,
            head=[style.head_length * mutation, style.head_width * mutation] if headed else None,
            ends=pack_array(self.ends),
            heading=pack_array(self.heading),
            dashed=pack_array(self.dashed),
            outline=outline(a, scale),
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
            font=font_manager.get_font(font_manager.findfont(a.get_fontproperties())).family_name,
            color=color(a.get_color()),
            ha=a.get_horizontalalignment(),
            va=a.get_verticalalignment(),
            box=color(box.get_facecolor()) if box is not None else None,
            pad=_pad(box) * a.get_fontsize() * self.scale if box is not None else 0.0,
            texts=self.texts.items,
            index=pack_array(self.texts.index),
        )
        return out


def _pad(box) -> float:
    """The room round a text inside its box, in font sizes (a box style's ``pad``)."""
    return float(getattr(box.get_boxstyle(), "pad", 0.3))


class ImageTrack(Track):
    """An image that changes (a classifier's decision regions): each distinct picture once, as a
    PNG, and which one each snapshot shows."""

    def decide(self, count: int):
        super().decide(count)
        self.pictures = Distinct(count)

    def record(self, j: int):
        a = self.artist
        self.visible[j] = a.get_visible()
        pixels = np.asarray(a.get_array())
        if pixels.dtype != np.uint8:  # floats in [0, 1]
            pixels = np.clip(np.round(pixels.astype(float) * 255), 0, 255).astype(np.uint8)
        pixels = pixels[..., :3]  # an opaque picture: no alpha
        shape = np.asarray(pixels.shape, np.int64).tobytes()
        self.pictures.show(j, shape + pixels.tobytes(), lambda: png(pixels, a.origin == "lower"))

    def pack(self) -> dict:
        a = self.artist
        x0, x1, y0, y1 = a.get_extent()
        corners = a.axes.transData.transform([(x0, y0), (x1, y1)])
        (left, bottom), (right, top) = corners.min(axis=0), corners.max(axis=0)
        # Agg lays the resampled picture on whole pixels: from the pixel its left edge falls in,
        # as many as its size rounded up (so it covers the axes' frame it is drawn over).
        width, tall = np.ceil(right - left), np.ceil(top - bottom)
        out = self.base()
        out.update(
            type="image",
            box=[
                float(np.floor(left)),
                float(np.floor(self.height - (bottom + tall))),
                float(width),
                float(tall),
            ],
            smooth=a.get_interpolation() not in ("nearest", "none"),
            alpha=1.0 if a.get_alpha() is None else float(a.get_alpha()),
            pictures=self.pictures.items,
            index=pack_array(self.pictures.index),
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
            pieces.append(to_pixels(a, segment, self.height))
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
            color=color(a.get_colors()[0]),
            width=float(a.get_linewidths()[0]) * self.scale,
            points=pack_array(points),
            starts=pack_array(starts),
            index=pack_array(self.sets.index),
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
            xy=pack_array(offsets.astype(np.float32)),
            radius=pack_array((np.sqrt(sizes) / 2 * self.scale).astype(np.float32)),
            faces=pack_array(np.round(np.asarray(faces) * 255).astype(np.uint8)),
            edge=color(edges[0]) if len(edges) else None,
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
