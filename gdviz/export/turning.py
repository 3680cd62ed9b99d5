"""The 3-D page that turns: what the page needs to draw the surface view itself at any angle.

Matplotlib draws the surface once, at the angle where the animation's turn ends; the page shows
that picture until the surface is dragged. From then on the page's script (``turning.js``) draws
a coarse mesh of the surface (`SIDE` points a side, each quad coloured as matplotlib colours it,
painted back to front), the box's far panes and edges, the axis names and tick labels, and the
paths, all projected through a camera built as matplotlib's ``Axes3D.get_proj`` builds it, with
the drag's elevation and azimuth. The figure's still parts (title, caption, legend) come from
two pictures drawn here without the 3-D axes' own contents.
"""

from __future__ import annotations

import numpy as np
from mpl_toolkits.mplot3d.art3d import Line3D

from gdviz.export.encoding import canvas_map, pack_array, stills
from gdviz.views.surface3d import lowest

SIDE = 40  # mesh points a side in the page: enough to read the shape, cheap to sort while dragging


def can_turn(view) -> bool:
    """Whether the page can draw ``view`` at any angle: a surface view whose moving parts are
    all lines (paths and points; a plane's named models are labels it cannot turn)."""
    return hasattr(view, "turning") and all(isinstance(a, Line3D) for a in view.moving_)


def page_data(animation, view, hidden: list) -> dict:
    """The camera, the mesh, the box's labels and the still pictures without the 3-D contents."""
    fig, ax = animation.fig, view.ax_
    height = fig.bbox.height
    xs, ys, zs = lowest(view.xs, view.ys, view.zs, SIDE)
    finite = np.isfinite(zs)
    zs = np.where(finite, zs, np.nanmax(np.where(finite, zs, -np.inf)))  # as the view draws it
    zs = np.clip(zs, *ax.get_zlim())
    quads = (zs[:-1, :-1] + zs[1:, :-1] + zs[:-1, 1:] + zs[1:, 1:]) / 4
    surface = view.surface_
    colours = surface.cmap(surface.norm(quads))[..., :3]
    rows, clip = canvas_map(ax, height)
    bare, over = _pictures(animation, view, hidden)
    return {
        "camera": {
            "limits": [float(v) for v in ax._get_scaled_limits()],
            "aspect": [float(v) for v in ax._box_aspect],
            "dist": float(ax._dist),
            "focal": float(ax._focal_length),
            "elev": float(ax.elev),
            "azim": float(ax.azim),
            "roll": float(ax.roll),
        },
        "map": rows,
        "clip": clip,
        "xs": pack_array(xs.astype(np.float64)),
        "ys": pack_array(ys.astype(np.float64)),
        "zs": pack_array(zs.astype(np.float64)),
        "colours": pack_array(np.round(colours * 255).astype(np.uint8)),
        "axes": [_axis(ax, axis) for axis in (ax.xaxis, ax.yaxis, ax.zaxis)],
        "font": float(ax.xaxis.label.get_fontsize() * fig.dpi / 72),
        "height": {
            "log": bool(view.log),
            "soft": float(view.soft),
            "floor": float(view.floor),
            "lift": float(view.lift),
        },
        "minima": view.minima.tolist() if len(view.minima) else [],
        "background": bare,
        "overlay": over,
    }


def _axis(ax, axis) -> dict:
    """An axis's name and its tick labels where matplotlib put them (within the limits)."""
    lo, hi = sorted(axis.get_view_interval())
    ticks = []
    for value, label in zip(axis.get_ticklocs(), axis.get_ticklabels()):
        if lo - 1e-9 * (hi - lo) <= value <= hi + 1e-9 * (hi - lo) and label.get_text():
            ticks.append([float(value), label.get_text()])
    return {"name": axis.get_label_text(), "ticks": ticks}


def _pictures(animation, view, hidden) -> tuple[str, str | None]:
    """The figure without the 3-D axes' contents (surface, panes, ticks, stars, paths, legend),
    and the legend alone on a clear canvas (None where there is none)."""
    ax = view.ax_
    legend = ax.get_legend()
    inside = [*ax.collections, *ax.lines, *ax.texts, *hidden, animation.caption_]
    over = [] if legend is None else [legend]
    return stills(animation.fig, [*inside, *over], over, bare=[ax])
