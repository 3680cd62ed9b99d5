"""The tour notebook runs under a real Jupyter kernel and every animation embeds its media."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parent.parent / "gallery" / "tour.ipynb"


def test_tour_notebook_runs_and_embeds_every_animation(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    animations = [c for c in nb.cells if c.cell_type == "code" and "gdviz.animate(" in c.source]
    assert len(animations) >= 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    for cell in animations:
        html = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        assert len(html) == 1, cell.source
        # The interactive player, or for the 3-D view (its camera moves) the video.
        player = 'data-gdviz="slider"' in html[0] and "<video" not in html[0]
        video = "<video" in html[0] and "data:video/mp4;base64," in html[0]
        assert player or ("surface" in cell.source and video), cell.source
        # no stray static figure under the animation
        assert not [o for o in cell.outputs if "image/png" in o.get("data", {})]


def test_over_the_embed_limit_frames_are_thinned_and_the_output_says_so(monkeypatch):
    import matplotlib as mpl

    import gdviz

    anim = gdviz.animate(gdviz.train("synthetic", steps=60))
    player = anim._repr_html_()  # under the limit: the interactive player
    assert 'data-gdviz="slider"' in player and "<video" not in player
    # Over the limit, the video with frames thinned to fit (and saying so).
    from gdviz.export.html import html_fragment

    full = html_fragment(anim)
    assert len(full) > len(player)  # for this run the player is the smaller one
    limit_mb = 0.95 * len(player) / 2**20
    monkeypatch.setitem(mpl.rcParams, "animation.embed_limit", limit_mb)
    thinned = anim._repr_html_()
    assert len(thinned) <= limit_mb * 2**20 + 2000  # the note itself is small
    assert "data:video/mp4;base64," in thinned
    assert "all 61 frames" in thinned and "animation.embed_limit" in thinned
    shown = int(thinned.split("so this shows ")[1].split(" ")[0])
    assert 2 <= shown < 61
