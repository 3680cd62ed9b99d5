"""Legends that hide nothing that matters, placed from the boxes they really take.

A view says what its legend must keep clear (`keep_clear`): the markers that must stay visible
(data points, starts, minima), the lines along which a current point moves (a path, a loss
curve: wherever the legend lies over them, the point vanishes under it for a while), and lines
best left uncrossed (a fitted line on its way). Where a legend goes can only be judged once the
figure is laid out: its text may have grown (a slide's floor), the axes shrunk (colour bars,
titles). `settle` then measures the legend at each place in the axes, takes the one that hides
nothing (crossing the fewest of the other lines), and puts it outside the axes, on the right,
when every place inside hides something. A note that changes with the step (`keep_note_clear`:
the loss on a plane) is placed first, the same way, in a corner of its axes, wrapped onto more
lines where it is wider than the axes or hides less so, and legends then keep clear of it too.
`gdviz.animate` settles every figure it makes (and so every file); a view drawn by ``View.plot``
onto axes of one's own keeps the estimate that `gdviz.views.base.legend_place` made before the
layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from gdviz.views.base import LEGEND_PLACES

MARKER_POINTS = 5.0  # how near (in points) a marker's centre may come to a legend's box
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}  # right of the axes, at the top
NOTE_CORNERS = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))  # axes fractions, in this order
NOTE_MARGIN = 0.02  # of the axes, between a note and its corner


@dataclass
class Clearance:
    """What a legend must keep clear, in the data coordinates of ``ax``."""

    ax: Axes
    points: np.ndarray  # (N, 2): markers that must stay visible
    lines: list[np.ndarray] = field(default_factory=list)  # (M, 2) each: never crossed
    soft: list[np.ndarray] = field(default_factory=list)  # (M, 2) each: crossed as little as may be


def keep_clear(legend: Legend, ax: Axes, *, points=(), lines=(), soft=()) -> Legend:
    """Mark ``legend`` to be placed by `settle`, clear of ``points`` and ``lines`` (data
    coordinates of ``ax``, which need not be the legend's own axes) and crossing the fewest of
    ``soft`` lines."""
    legend.gdviz_clear = _clearance(ax, points, lines, soft)
    return legend


def _clearance(ax: Axes, points, lines, soft) -> Clearance:
    points = [np.asarray(p, dtype=float).reshape(-1, 2) for p in _parts(points)]
    return Clearance(
        ax,
        np.concatenate(points) if points else np.empty((0, 2)),
        [np.asarray(line, dtype=float).reshape(-1, 2) for line in _parts(lines)],
        [np.asarray(line, dtype=float).reshape(-1, 2) for line in _parts(soft)],
    )


@dataclass
class NoteClearance:
    """What a note must keep clear (as a legend's `Clearance`), the texts it takes over the
    steps (its box is the widest of them) and how to wrap one onto more lines."""

    clear: Clearance
    texts: Sequence[str]
    wrap: Callable[[str], str]
    plain: str | None = None  # the text shown, unwrapped, when `settle` last placed the note


def keep_note_clear(
    note: Text,
    ax: Axes,
    texts: Sequence[str],
    wrap: Callable[[str], str],
    *,
    points=(),
    lines=(),
    soft=(),
) -> Text:
    """Mark ``note`` (text in ``ax``'s axes fractions) to be placed by `settle` in the corner of
    ``ax`` where, with the widest of ``texts``, it hides none of ``points`` and ``lines``
    (as for `keep_clear`, and ``soft``). ``note.gdviz_wrapped`` then says whether the texts the
    view sets on it should go through ``wrap`` (the view asks it)."""
    note.gdviz_note = NoteClearance(_clearance(ax, points, lines, soft), list(texts), wrap)
    note.gdviz_wrapped = False
    note.set_in_layout(False)  # the layout is made for the axes; the note then fits in them
    put_note(note, (0.0, 0.0))
    return note


def put_note(note: Text, corner: tuple[float, float]) -> None:
    """``note`` into ``corner`` of its axes (axes fractions, as `NOTE_CORNERS`)."""
    x, y = corner
    note.set_position(
        (NOTE_MARGIN + (1 - 2 * NOTE_MARGIN) * x, NOTE_MARGIN + (1 - 2 * NOTE_MARGIN) * y)
    )
    note.set_horizontalalignment("left" if x == 0 else "right")
    note.set_verticalalignment("bottom" if y == 0 else "top")


def _settle_note(note: Text, renderer) -> Bbox:
    """Place ``note`` (see `keep_note_clear`); its box, as wide as its widest text."""
    marked: NoteClearance = note.gdviz_note
    clear, ax = marked.clear, marked.clear.ax
    pad = MARKER_POINTS * ax.figure.dpi / 72
    points = _display(ax, clear.points)
    lines = [_display(ax, line) for line in clear.lines]
    soft = [_display(ax, line) for line in clear.soft]
    # What the note shows now, unwrapped (settled again, with no step shown in between, it may
    # be the wrapped text of the last settling).
    shown = marked.plain if note.gdviz_wrapped and marked.plain is not None else note.get_text()
    best = None
    for wrapped in (False, True):
        texts = [marked.wrap(t) if wrapped else t for t in marked.texts] or [shown]
        for corner in NOTE_CORNERS:
            put_note(note, corner)
            boxes = []
            for text in texts:
                note.set_text(text)
                boxes.append(note.get_window_extent(renderer))
            box = Bbox.union(boxes)
            wide = box.width > ax.bbox.width or box.height > ax.bbox.height
            hidden = int(_inside(points, box, pad).sum())  # a start or a minimum, first
            crossed = sum(_crossings(p, box) for p in lines)
            score = (wide, hidden, crossed, wrapped, sum(_crossings(p, box) for p in soft))
            if best is None or score < best[0]:
                best = (score, corner, wrapped, box)
    _, corner, wrapped, box = best
    put_note(note, corner)
    marked.plain, note.gdviz_wrapped = shown, wrapped
    note.set_text(marked.wrap(shown) if wrapped else shown)
    return box


def _parts(items) -> list:
    """One array, or a sequence of arrays, as a list of arrays."""
    if isinstance(items, np.ndarray):
        return [items]
    return list(items)


def settle(fig: Figure) -> bool:
    """Place every legend of ``fig`` marked by `keep_clear`, from its box at each place (the
    figure laid out, its text sized); True when one went outside its axes (lay out again)."""
    renderer = fig.canvas.get_renderer()
    outside = False
    notes = [
        (text.axes, _settle_note(text, renderer))
        for text in fig.findobj(lambda a: isinstance(a, Text) and hasattr(a, "gdviz_note"))
    ]
    for legend in legends(fig):
        clear: Clearance = legend.gdviz_clear
        pad = MARKER_POINTS * fig.dpi / 72
        points = _display(clear.ax, clear.points)
        lines = [_display(clear.ax, line) for line in clear.lines]
        soft = [_display(clear.ax, line) for line in clear.soft]
        best, best_score = None, None
        for place in LEGEND_PLACES:
            legend.set_loc(place)
            legend.set_bbox_to_anchor(None)
            box = legend.get_window_extent(renderer)
            hidden = _inside(points, box, pad).sum() + sum(_crossings(p, box) for p in lines)
            hidden += sum(ax is legend.axes and box.overlaps(note) for ax, note in notes)
            crossed = sum(_crossings(p, box) for p in soft)
            score = (int(hidden), int(crossed))
            if best_score is None or score < best_score:
                best, best_score = place, score
        if best_score[0] == 0:
            legend.set_loc(best)
        else:
            legend.set_loc(OUTSIDE["loc"])
            legend.set_bbox_to_anchor(OUTSIDE["bbox_to_anchor"], transform=legend.axes.transAxes)
            outside = True
    return outside


def legends(fig: Figure) -> list[Legend]:
    """The legends of ``fig`` that `keep_clear` marked."""
    found = [ax.get_legend() for ax in fig.axes]
    return [lg for lg in found if lg is not None and hasattr(lg, "gdviz_clear")]


def _display(ax: Axes, points: np.ndarray) -> np.ndarray:
    """``points`` in pixels, those that are not finite left out (a run that diverged)."""
    points = points[np.isfinite(points).all(axis=1)]
    if len(points):
        with np.errstate(invalid="ignore", divide="ignore"):
            points = ax.transData.transform(points)  # a log axis: nan below zero
    return points[np.isfinite(points).all(axis=1)]


def _inside(points: np.ndarray, box, pad: float) -> np.ndarray:
    x, y = points.T
    return (x > box.x0 - pad) & (x < box.x1 + pad) & (y > box.y0 - pad) & (y < box.y1 + pad)


def _crossings(line: np.ndarray, box) -> int:
    """How many segments of the polyline ``line`` (pixels) pass through ``box``: Liang-Barsky
    clipping of every segment at once."""
    if len(line) == 1:
        return int(_inside(line, box, 0.0).sum())
    if len(line) == 0:
        return 0
    p0, d = line[:-1], np.diff(line, axis=0)
    lo, hi = np.zeros(len(d)), np.ones(len(d))
    for axis, (low, high) in enumerate(((box.x0, box.x1), (box.y0, box.y1))):
        start, step = p0[:, axis], d[:, axis]
        flat = step == 0
        outside = flat & ((start < low) | (start > high))
        lo[outside], hi[outside] = 1.0, 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (low - start) / step, (high - start) / step
        enter, leave = np.minimum(t1, t2), np.maximum(t1, t2)
        lo = np.where(flat, lo, np.maximum(lo, enter))
        hi = np.where(flat, hi, np.minimum(hi, leave))
    return int((lo <= hi).sum())
