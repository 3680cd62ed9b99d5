"""Real columns: the same fit, raw and standardised

Alcohol against proline for 178 wines (the UCI wine data). Proline runs in the hundreds to
thousands, so the slope's gradient is a million times the intercept's: any rate small enough
for the slope leaves the intercept crawling, and after 200 steps plain gradient descent is
still far from the least-squares line (gdviz says so, and suggests the cure). Standardising
the columns (standardize=True, or --standardize) makes both directions alike; the same 200
steps land on the least-squares line, and gdviz draws it back in the data's own units.
"""

from pathlib import Path

import numpy as np

import gdviz

table = np.loadtxt(Path(__file__).parent / "data" / "wine.csv", delimiter=",", skiprows=1)
proline, alcohol = table[:, 0], table[:, 1]

raw = gdviz.train((proline, alcohol))  # warns: not converged, try standardize=True
standardized = gdviz.train((proline, alcohol), standardize=True)
raw.meta["label"] = f"raw columns (lr {raw.meta['lr']:.0e})"
standardized.meta["label"] = "standardised (lr 0.5)"
for run in (raw, standardized):
    run.meta.update(source="wine", x_label="proline (mg/L)", y_label="alcohol (% vol)")
gdviz.animate([raw, standardized], view="dashboard").save("standardize.gif")
