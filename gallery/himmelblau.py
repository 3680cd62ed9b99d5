"""Himmelblau's four minima

Himmelblau's function has four equally deep minima. Which one gradient descent finds depends only
on where it starts: four runs from four nearby points end in different basins.
"""

import gdviz

starts = [(-0.27, -0.92), (0.5, 0.5), (-0.5, 0.5), (-0.5, -1.5)]
runs = [gdviz.train("himmelblau", init=s) for s in starts]
for run, s in zip(runs, starts):
    run.meta["label"] = f"start ({s[0]:g}, {s[1]:g})"
gdviz.animate(runs, view="contour").save("himmelblau.gif")
