"""The page shows what the animation shows: at a snapshot set on the page's slider, the picture
on its canvas in headless Chromium (what saving or reading the canvas gets) against
matplotlib's own frame of the same step, pixel by pixel. Antialiasing differs, so the whole
picture is held to a small share of differing pixels, and the pixels that a legend, an
arrowhead or an off-view triangle gives matplotlib's frame are held to be the page's too."""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
import pytest
from PIL import Image
from stand_ins import open_page

import gdviz

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOLERANCE = 48  # a pixel differs where a channel differs by more
WHOLE = 0.001  # at most this share of the picture's pixels differ (the caption left out)
NOTE = 0.006  # as much where a note's text is on the picture (the browser's text rasteriser)
PART = 0.2  # at most this share of the pixels an artist gives matplotlib's frame differ


def page_at(driver, step: int) -> np.ndarray:
    """The page's picture, RGB, with its slider moved (as a person moves it) to the snapshot
    of training step ``step``."""
    url = driver.execute_script(
        """
        const root = document.querySelector('[data-gdviz=player]');
        const $ = (name) => root.querySelector('[data-gdviz="' + name + '"]');
        const steps = root.gdviz.data.runs[0].step;
        let j = 0;
        while (j + 1 < steps.length && steps[j + 1] <= arguments[0]) j++;
        const slider = $('slider');
        slider.value = j;
        slider.dispatchEvent(new Event('input'));
        return $('canvas').toDataURL('image/png');
        """,
        step,
    )
    png = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def frame(anim, step: int, *, without=()) -> np.ndarray:
    """Matplotlib's frame of ``step``, drawn whole, RGB (``without`` those artists)."""
    for artist in without:  # left undrawn (moving one to the step may show it again)
        artist.draw = lambda renderer: None
    try:
        return anim.picture(step)
    finally:
        for artist in without:
            del artist.draw


def differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.abs(a.astype(int) - b.astype(int)) > TOLERANCE).any(axis=-1)


def caption_box(anim, shape) -> np.ndarray:
    """Where the caption lies (the page writes it as text below the picture, not on it)."""
    anim.fig.canvas.draw()
    box = anim.caption_.get_window_extent()
    height = anim.fig.bbox.height
    mask = np.zeros(shape[:2], bool)
    top, bottom = int(height - box.y1) - 2, int(np.ceil(height - box.y0)) + 2
    mask[max(top, 0) : bottom, max(int(box.x0) - 2, 0) : int(np.ceil(box.x1)) + 2] = True
    return mask


def compare(driver, anim, path, step: int, parts: dict) -> dict:
    """The share of the picture's pixels that differ (the caption left out), and for each of
    ``parts`` (a name: the artists) the share of the pixels they give matplotlib's frame that
    the page's picture gets wrong, with how many such pixels there are."""
    open_page(driver, path)
    page = page_at(driver, step)
    ref = frame(anim, step)
    assert page.shape == ref.shape
    keep = ~caption_box(anim, ref.shape)
    wrong = differs(page, ref)
    out = {"whole": float(wrong[keep].mean())}
    for name, artists in parts.items():
        theirs = differs(ref, frame(anim, step, without=artists)) & keep
        out[name] = (float(wrong[theirs].mean()) if theirs.any() else 1.0, int(theirs.sum()))
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    return out


def check(found: dict, least: int = 20, whole: float = WHOLE) -> None:
    assert found["whole"] <= whole, found
    for name, value in found.items():
        if name != "whole":
            share, count = value
            assert count >= least and share <= PART, (name, found)


def test_a_classifiers_page_shows_its_regions_and_their_legend(tmp_path, driver):
    run = gdviz.train("moons", steps=120)
    anim = gdviz.animate(run, view="fit")
    path = anim.save(tmp_path / "moons.html")
    view = anim.views[0]
    for step in (0, 100):
        check(compare(driver, anim, path, step, {"legend": view.over_}))


def test_a_legend_outside_the_axes_shows_on_the_page(tmp_path, driver):
    run = gdviz.train("moons", steps=60)
    anim = gdviz.animate(run, view="dashboard")
    fit = anim.views[0]
    (legend,) = fit.over_
    axes, box = fit.ax_.get_window_extent(), legend.get_window_extent()
    assert box.x0 > axes.x1  # on the right of its axes, where no corner is free
    path = anim.save(tmp_path / "dashboard.html")
    check(compare(driver, anim, path, 50, {"legend": [legend]}), whole=NOTE)


def test_a_short_steps_arrow_keeps_its_head_on_the_page(tmp_path, driver):
    run = gdviz.train("rosenbrock", steps=200, lr=1e-3)
    anim = gdviz.animate(run, view="contour")
    path = anim.save(tmp_path / "contour.html")
    view = anim.views[0]
    (arrow,) = view.arrow_
    for step in (150, 190):
        anim.show(step)
        tail, tip = arrow.get_transform().transform(arrow._posA_posB)
        assert np.hypot(*(tip - tail)) < 1  # shorter than a pixel: all but its head
        # The arrow under the current point: its pixels are those left showing round it.
        check(compare(driver, anim, path, step, {"arrow": [arrow]}), least=6)


def test_a_runaway_lines_triangle_and_the_legend_show_on_the_page(tmp_path, driver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the runaway and the slow run say so
        runs = gdviz.sweep("synthetic", lr=[0.05, 0.5, 1.05], steps=40)
    anim = gdviz.animate(runs, view="fit")
    path = anim.save(tmp_path / "sweep.html")
    view = anim.views[0]
    anim.show(30)
    shown = [m for m in view.off_ if m.get_visible() and len(m.get_xdata())]
    assert shown  # the runaway's line has left the plot
    check(compare(driver, anim, path, 30, {"triangle": shown, "legend": view.over_}))


def test_long_short_and_cut_arrows_of_the_internals_show_on_the_page(tmp_path, driver):
    run = gdviz.train("synthetic", optimizer="momentum", steps=40)
    anim = gdviz.animate(run, view="contour", show="internals")
    path = anim.save(tmp_path / "internals.html")
    view = anim.views[0]
    arrows = [*view.arrow_, *(a for inner in view.inner_ for a in inner.values())]
    for step in (1, 30):
        check(compare(driver, anim, path, step, {"arrows": arrows}))
