"""The few private attributes of matplotlib and torch that gdviz reads, where no public call gives
what they hold: each pinned here, so the version that changes one fails this test, which names
where gdviz reads it, before it fails a picture."""

from __future__ import annotations

import torch
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch


def test_a_lines_dash_pattern_in_points_scaled_by_its_width():
    # gdviz/export/moving.py, LineTrack.pack: the page draws the same dashes.
    line = Line2D([0, 1], [0, 1], ls=(0, (6, 3)), lw=2)
    offset, dashes = line._dash_pattern
    assert offset == 0 and list(dashes) == [12, 6]
    solid = Line2D([0, 1], [0, 1], ls="-")
    assert solid._dash_pattern[1] is None


def test_an_arrows_two_ends_as_set():
    # gdviz/export/moving.py, ArrowTrack.record: FancyArrowPatch has set_positions, no getter.
    arrow = FancyArrowPatch((0, 1), (2, 3))
    arrow.set_positions((4, 5), (6, 7))
    assert [tuple(p) for p in arrow._posA_posB] == [(4, 5), (6, 7)]


def test_a_stroke_effect_keeps_its_width_colour_and_alpha():
    # gdviz/export/encoding.py, outline: the page draws the white outline under a path.
    effect = patheffects.withStroke(linewidth=3.2, foreground="white", alpha=0.7)
    assert effect._gc == {"linewidth": 3.2, "foreground": "white", "alpha": 0.7}


def test_a_sequentials_modules_by_name_in_order_duplicates_included():
    # gdviz/training/landscape.py, first_layer_shortcut: names index the layers, and a layer
    # used twice keeps both names (named_children() would give it once).
    shared = torch.nn.Tanh()
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), shared, torch.nn.Linear(3, 3), shared)
    assert list(module._modules) == ["0", "1", "2", "3"]
    assert [name for name, _ in module.named_children()] == ["0", "1", "2"]
