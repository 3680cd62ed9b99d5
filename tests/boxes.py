"""Where a drawn figure's tick labels lie, read back from the renderer (helpers, not tests)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def tick_label_boxes(fig: Figure) -> dict:
    """Per axis of every axes (colour bars included), the window boxes of the tick labels the
    last draw showed: ``{(axes index, "x" or "y"): [(text, (x0, y0, x1, y1)), ...]}``."""
    renderer = fig.canvas.get_renderer()
    out = {}
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if not axis.get_visible():
                continue
            found = []
            # The ticks the axis draws: those of its locators inside the view, as Axis.draw
            # picks them (a colour bar's extensions widen it past the axis' limits).
            for tick in axis._update_ticks():
                if not tick.get_visible():
                    continue
                for label in (tick.label1, tick.label2):
                    if label.get_visible() and label.get_text().strip():
                        box = label.get_window_extent(renderer)
                        found.append((label.get_text(), tuple(box.extents)))
            out[(i, name)] = found
    return out


def overlapping_labels(fig: Figure, slack: float = 0.5) -> list:
    """Pairs of tick labels of one axis whose boxes intersect (by more than ``slack`` pixels
    each way), as ``(axes index, axis, first text, second text)``."""
    pairs = []
    for (i, name), found in tick_label_boxes(fig).items():
        for a in range(len(found)):
            for b in range(a + 1, len(found)):
                (ta, ba), (tb, bb) = found[a], found[b]
                if ba == bb and ta == tb:
                    continue  # one label drawn twice (a major tick on a minor one)
                dx = min(ba[2], bb[2]) - max(ba[0], bb[0])
                dy = min(ba[3], bb[3]) - max(ba[1], bb[1])
                if dx > slack and dy > slack:
                    pairs.append((i, name, ta, tb))
    return pairs


def label_count(fig: Figure) -> int:
    """How many tick labels the figure shows, over all its axes."""
    return int(np.sum([len(v) for v in tick_label_boxes(fig).values()]))
