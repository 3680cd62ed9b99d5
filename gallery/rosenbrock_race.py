"""An optimiser race on the Rosenbrock valley

Rosenbrock's banana-shaped valley is easy to find and hard to follow to its minimum at (1, 1).
Plain gradient descent, momentum and Adam start from the same point, each with the learning
rate the classic pictures use; watch momentum overshoot the bend and Adam take even-sized steps.
"""

import gdviz

runs = [gdviz.train("rosenbrock", optimizer=o) for o in ("gd", "momentum", "adam")]
gdviz.animate(runs, view="contour").save("rosenbrock_race.gif")
