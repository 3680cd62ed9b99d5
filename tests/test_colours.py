"""Colours that stay apart under colour-blindness: the runs' colours from each other and from
the contour's viridis, the optimiser's arrows from each other, a sweep's last colour on white.

Dichromacy is simulated with the matrices of Machado, Oliveira and Fernandes (2009, severity 1)
on linear RGB, and differences are CIE76 distances in CIELAB (about 2.3: just noticeable).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib import colormaps, colors

import gdviz
from gdviz.views.base import COLORS, palette
from gdviz.views.internals import KINDS

PROTANOPIA = np.array(
    [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
)  # fmt: skip
DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)  # fmt: skip
SIGHTS = {"normal": np.eye(3), "protanopia": PROTANOPIA, "deuteranopia": DEUTERANOPIA}


def _linear(c):
    c = np.asarray(c, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _seen(rgb, sight: str) -> np.ndarray:
    """``rgb`` (sRGB in [0, 1], (..., 3)) as linear RGB seen with ``sight``."""
    return np.clip(_linear(rgb) @ SIGHTS[sight].T, 0, 1)


def _lab(linear) -> np.ndarray:
    xyz = (
        linear
        @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def _apart(a, b, sight: str) -> np.ndarray:
    return np.linalg.norm(_lab(_seen(a, sight)) - _lab(_seen(b, sight)), axis=-1)


def _rgb(c) -> np.ndarray:
    return np.array(colors.to_rgb(c))


@pytest.mark.parametrize("sight", list(SIGHTS))
def test_the_first_six_run_colours_stay_apart_and_off_viridis(sight):
    runs = [_rgb(c) for c in COLORS[:6]]
    for a, b in itertools.combinations(runs, 2):
        assert _apart(a, b, sight) > 15
    viridis = colormaps["viridis"](np.linspace(0, 1, 64))[:, :3]
    for c in runs:  # a path's colour never matches a level of the surface it crosses
        assert _apart(c, viridis, sight).min() > 9


@pytest.mark.parametrize("sight", list(SIGHTS))
def test_the_optimiser_arrows_stay_apart(sight):
    for a, b in itertools.combinations(KINDS, 2):
        assert _apart(_rgb(a.color), _rgb(b.color), sight) > 35, (a.name, b.name)
    # The gradient and the velocity lie along each other on a straight descent: further apart
    # (a red gradient darkens towards the velocity's black under protanopia: 49).
    kind = {k.name: k for k in KINDS}
    assert _apart(_rgb(kind["gradient"].color), _rgb(kind["velocity"].color), sight) > 60


def test_a_sweeps_last_colour_shows_on_white():
    runs = gdviz.sweep("synthetic", lr=[0.01, 0.05, 0.1, 0.2], steps=3)
    last = _rgb(palette(runs)[-1])
    lightness = _lab(_linear(last))[0]
    assert lightness < 72  # plasma's yellow end is 80 and more: faint on white


@pytest.mark.parametrize("sight", list(SIGHTS))
@pytest.mark.parametrize("count", [3, 4, 5, 6])
def test_a_sweeps_colours_stay_off_viridis_and_apart_in_order(sight, count):
    # A sweep's paths cross the contours: plasma's pinks (0.35-0.45) were within 1 of
    # viridis's blues under deuteranopia, and its orange (0.7) within 6 of the yellow-green.
    runs = gdviz.sweep("synthetic", lr=list(np.geomspace(0.01, 0.3, count)), steps=2)
    shades = [_rgb(c) for c in palette(runs)]
    viridis = colormaps["viridis"](np.linspace(0, 1, 64))[:, :3]
    for c in shades:
        assert _apart(c, viridis, sight).min() > 12
    for a, b in itertools.pairwise(shades):  # neighbours in rate, told apart
        assert _apart(a, b, sight) > 9
