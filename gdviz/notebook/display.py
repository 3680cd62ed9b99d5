"""The notebook display: an animation shown inline, kept under matplotlib's embed limit."""

from __future__ import annotations

import logging

import matplotlib as mpl

from gdviz.export.html import html_fragment

log = logging.getLogger(__name__)

# Snapshots up to which a notebook shows the player: its making costs about half a millisecond
# a snapshot (every view moved to each), so past this the video (200 frames) is quicker to show.
PLAYER_SNAPSHOTS = 20_000

NOTE = (
    '<p style="font-family: sans-serif; font-size: 90%; color: #555">gdviz: all {full} frames '
    "would embed {size:.1f} MB, over matplotlib's <code>animation.embed_limit</code> of "
    "{limit:g} MB, so this shows {shown} of them (the first and the last included). Raise "
    '<code>matplotlib.rcParams["animation.embed_limit"]</code>, or save the animation to a '
    "file, to see every frame.</p>"
)


def notebook_html(animation) -> str:
    """The markup a notebook shows: the interactive player (`gdviz.export.page`) where it fits
    under matplotlib's ``animation.embed_limit``, else the embedded video, with fewer frames if
    it must be smaller.

    matplotlib itself drops the frames past its ``animation.embed_limit`` and warns in a log;
    here the whole run stays on screen, with frames chosen across all of it, and the output
    says that it was thinned and how to see everything.
    """
    limit_mb = float(mpl.rcParams["animation.embed_limit"])
    limit = limit_mb * 1024 * 1024
    runs = getattr(animation, "runs", ())
    if hasattr(animation, "views") and max(len(r.loss) for r in runs) <= PLAYER_SNAPSHOTS:
        from gdviz.export.page import Unsupported, player

        try:
            markup = player(animation)
        except Unsupported:
            pass
        else:
            if len(markup) <= limit:
                return markup
    markup = html_fragment(animation)
    if len(markup) <= limit:
        return markup
    full_size, shown = len(markup), animation
    while len(markup) > limit and shown.n_frames > 2:
        # Embedded size grows about linearly with frames: aim under the limit in one try.
        target = int(shown.n_frames * 0.9 * limit / len(markup))
        shown = animation.with_frames(max(2, min(target, shown.n_frames - 1)))
        markup = html_fragment(shown)
    if len(markup) > limit:
        return (
            '<p style="font-family: sans-serif; color: #b00020">gdviz: even two frames of this '
            f"animation exceed matplotlib's animation.embed_limit ({limit_mb:g} MB); save it to "
            "a file instead.</p>"
        )
    log.info(
        "thinned %d frames to %d to fit animation.embed_limit", animation.n_frames, shown.n_frames
    )
    note = NOTE.format(
        full=animation.n_frames, size=full_size / 2**20, limit=limit_mb, shown=shown.n_frames
    )
    return markup + "\n" + note


CONTROLS = 64  # pixels under the picture: the player's slider, buttons and readout


def marimo_output(animation):
    """The animation for marimo: its notebook markup (`notebook_html`) in an iframe as tall as
    the picture and the player's controls, where the player's script runs."""
    import marimo as mo

    height = round(animation.fig.bbox.height) + CONTROLS
    markup = notebook_html(animation)
    page = (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        f'<body style="margin:0">{markup}</body></html>'
    )
    return mo.iframe(page, height=f"{height}px")
