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

The tracks are `gdviz.export.moving`'s; a small script (`gdviz.export.player`) draws them over the PNG on a canvas. Runs of more than
`LIMIT` snapshots get `LIMIT` of them, spread evenly with the first and the last, and the page
says so. The 3-D view's camera starts where the animation's turn ends, its lines projected
through that camera as matplotlib projects them; dragging turns it (`gdviz.export.turning`:
the page then draws the surface itself). A moving artist of any other kind raises
`Unsupported`: the page writer then embeds the video instead, and says why.

A page of a two-parameter formula also starts runs of its own where the contour or the surface
is clicked, computed in the browser as gdviz.train computes them (`gdviz.export.rerun`); any
other page says that re-running needs Python.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np

from gdviz.export import rerun, turning
from gdviz.export.encoding import pack_array, png, stills
from gdviz.export.moving import TRACKS, Unsupported
from gdviz.views.base import per_run

LIMIT = 100_000  # snapshots on the slider at most
SAMPLES = 40  # snapshots looked at to tell a track's kind

__all__ = ["TRACKS", "Unsupported", "collect", "page", "player", "slider_steps"]


def slider_steps(runs) -> tuple[np.ndarray, bool]:
    """The snapshots on the slider, and whether they were thinned."""
    length = max(len(r.loss) for r in runs)
    if length <= LIMIT:
        return np.arange(length), False
    return np.unique(np.linspace(0, length - 1, LIMIT).round().astype(np.int64)), True


def collect(animation) -> dict:
    """Everything the player needs, as a JSON-ready dict (arrays packed, see `_pack`)."""
    animation.check_whole("saved as a page of every snapshot")
    try:
        with animation.camera_held():  # the page holds a 3-D camera still, at its end position
            return _collect(animation)
    finally:
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
    turns = [v for v in views if turning.can_turn(v)]
    turn = turning.page_data(animation, turns[0], [t.artist for t in tracks]) if turns else None
    again, why_not = rerun.page_data(runs, views, height)
    return {
        "still_camera": still,
        "turn": turn,
        "rerun": again,
        "why_no_rerun": why_not,
        "scale": float(fig.dpi / 72),  # pixels a point
        "first_optimizer": runs[0].training.optimizer,
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
        "step": pack_array(np.asarray(run.step_at(k), dtype=np.int32)),
        "loss": pack_array(run.loss[k].astype(np.float64)),
    }


def _pictures(animation, hidden) -> tuple[str, str | None]:
    """PNG data URLs of what stays still, from one draw of the figure: the figure without its
    moving artists, what lies over them and the caption (which the page writes), and what lies
    over them (legends, stars) alone on a clear canvas, or None where nothing does."""
    over = animation.over
    return stills(animation.fig, [*hidden, *over, animation.caption_], over)


def page(animation, title: str) -> str:
    """The whole page as text."""
    from gdviz.export.player import TEMPLATE

    parts = {"@TITLE@": html.escape(title), "@PLAYER@": player(animation)}
    return re.sub("@(TITLE|PLAYER)@", lambda m: parts[m.group(0)], TEMPLATE)


def player(animation) -> str:
    """The player alone (markup, style, script and data), for a page or a notebook."""
    from gdviz.export.player import PLAYER, SCRIPT, STYLE

    data = collect(animation)
    # Inside a script block the HTML parser still reads "</script", "<!--" and "<script" (in
    # a label, say): as JSON escapes, the markup characters are plain text to it.
    payload = json.dumps(data, separators=(",", ":"))
    for char in "<>&":
        payload = payload.replace(char, f"\\u{ord(char):04x}")
    parts = {
        "@NOTE@": html.escape(_note(data)),
        "@STYLE@": STYLE,
        "@SCRIPT@": SCRIPT,
        "@DATA@": payload,
        "@STILL@": png(animation.last_frame(), flip=False),  # for a viewer that runs no script
    }
    # One pass: nothing a label or the data holds is read as a placeholder.
    return re.sub("@(NOTE|STYLE|SCRIPT|DATA|STILL)@", lambda m: parts[m.group(0)], PLAYER)


def _note(data: dict) -> str:
    notes = []
    if data["thinned"]:
        notes.append(
            f"The run has {data['snapshots']:,} snapshots; the slider holds {LIMIT:,} of them, "
            "spread evenly from the first to the last."
        )
    if data["turn"] is not None:
        notes.append(
            "The camera stays where the animation's turn ends until you drag the surface to "
            "turn it (the page then draws the surface as a coarser mesh)."
        )
    elif data["still_camera"]:
        notes.append("The camera stays where the animation's turn ends.")
    if data["why_no_rerun"]:
        notes.append(data["why_no_rerun"])
    return " ".join(notes)
