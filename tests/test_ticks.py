"""Tick labels that never collide: at slide size, no two labels of one axis overlap (the
renderer's boxes say), colour bars included, and a crowded axis keeps at least two labels."""

from __future__ import annotations

import numpy as np
import pytest
from boxes import overlapping_labels, tick_label_boxes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, LogLocator, MaxNLocator

import gdviz
from gdviz.views.ticks import Inside, untangle


@pytest.mark.parametrize(
    ("source", "view"),
    [
        (("x**2 + 10*y**2", (3.0, 1.0)), "contour"),  # log levels: 1e-4 pinned beside 1e-3
        (("x**2 + 10*y**2", (3.0, 1.0)), "dashboard"),
        (("1 + x**4 + y**4", (1.5, 1.2)), "contour"),
        (("synthetic", None), "dashboard"),  # 0.01 over 0.1, 10 over 100 on its colour bar
        (("synthetic", None), "loss"),
    ],
)
def test_no_two_tick_labels_of_an_axis_overlap_on_a_slide(source, view):
    name, init = source
    run = gdviz.train(name, steps=60, **({} if init is None else {"init": init, "lr": 0.05}))
    anim = gdviz.animate(run, view=view, style="slide", frames=2)
    anim.fig.canvas.draw()
    assert overlapping_labels(anim.fig) == []
    bars = [i for i, ax in enumerate(anim.fig.axes) if ax.get_label() == "<colorbar>"]
    for i in bars:  # a colour bar still reads: three labels or more
        assert len(tick_label_boxes(anim.fig)[(i, "y")]) >= 3


def _crowded() -> Figure:
    """A slide-sized figure: a linear axis asked for 40 ticks, a log axis within a decade
    (minor labels 3×10⁰, 4×10⁰, ... at a slide's text size) and one that is fine."""
    fig = Figure(figsize=(1920 / 225, 1080 / 225), dpi=225)
    FigureCanvasAgg(fig)
    (left, right, fine), below = fig.subplots(2, 3)  # short axes, as a dashboard's
    for ax in below:
        ax.set_axis_off()
    left.plot(np.arange(100), np.arange(100))
    left.yaxis.set_major_locator(MaxNLocator(nbins=40))
    right.set_yscale("log")
    right.set_ylim(1.5, 9.9)
    fine.set_ylim(0, 1)
    for ax in (left, right, fine):
        ax.tick_params(axis="y", which="both", labelsize=24)
    fig.canvas.draw()
    return fig


def test_untangle_thins_a_crowded_axis_and_a_log_axis_within_a_decade():
    fig = _crowded()
    before = overlapping_labels(fig)
    assert {(i, name) for i, name, *_ in before} >= {(0, "y"), (1, "y")}
    fine = tick_label_boxes(fig)[(2, "y")]
    untangle(fig)
    assert overlapping_labels(fig) == []
    boxes = tick_label_boxes(fig)
    assert len(boxes[(0, "y")]) >= 3 and len(boxes[(1, "y")]) >= 2
    assert boxes[(2, "y")] == fine  # an axis whose labels did not overlap is left alone
    assert isinstance(fig.axes[1].yaxis.get_major_locator(), LogLocator)


def test_an_axis_with_room_for_two_labels_keeps_two():
    # A short axis at a slide's text size: three labels overlap, two (its ends) fit.
    fig = Figure(figsize=(1920 / 225, 1080 / 225), dpi=225)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2, 0.3, 0.5, 0.09))  # about 97 pixels high, labels about 75
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=10))
    ax.tick_params(axis="y", labelsize=24)
    fig.canvas.draw()
    assert overlapping_labels(fig)
    untangle(fig)
    assert overlapping_labels(fig) == []
    assert len(tick_label_boxes(fig)[(0, "y")]) == 2


def test_a_colour_bar_keeps_the_ticks_on_its_levels_ends_and_none_beyond():
    # Ticks exactly at the ends, and one a rounding error past each (0.1 * 3 is not 0.3).
    ticks = Inside(FixedLocator([-0.1, 0.0, 0.1, 0.2, 0.1 * 3, 0.4]), 0.0, 0.3)
    np.testing.assert_array_equal(ticks.tick_values(-1.0, 1.0), [0.0, 0.1, 0.2, 0.1 * 3])
    low = Inside(FixedLocator([0.3 - 0.1 * 3, 0.5, 1.0]), 1e-17, 1.0)  # 0.3 - 0.1*3 < 0
    np.testing.assert_array_equal(low.tick_values(2.0, -2.0), [0.3 - 0.1 * 3, 0.5, 1.0])


@pytest.mark.parametrize(("shared", "thinned"), [(0.75, True), (0.25, False)])
def test_labels_sharing_under_half_a_pixel_are_left_and_more_are_thinned(shared, thinned):
    # Two labels, a major and a minor one, placed so that their boxes share `shared` pixels
    # side by side: three quarters of a pixel is a collision (the minor labels go), a quarter
    # is the antialiased edge two neighbouring labels may share.
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.2, 0.8, 0.7))
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_locator(FixedLocator([0.3]))
    ax.xaxis.set_major_formatter(FixedFormatter(["8888"]))
    ax.xaxis.set_minor_locator(FixedLocator([0.9]))
    ax.xaxis.set_minor_formatter(FixedFormatter(["8888"]))
    fig.canvas.draw()
    (_, (x0, _, x1, _)), _ = tick_label_boxes(fig)[(0, "x")]
    width = ax.get_window_extent().width  # pixels over the data's unit
    ax.xaxis.set_minor_locator(FixedLocator([0.3 + (x1 - x0 - shared) / width]))
    fig.canvas.draw()
    (_, a), (_, b) = tick_label_boxes(fig)[(0, "x")]
    assert min(a[2], b[2]) - max(a[0], b[0]) == pytest.approx(shared, abs=0.01)
    untangle(fig)
    assert len(tick_label_boxes(fig)[(0, "x")]) == (1 if thinned else 2)
