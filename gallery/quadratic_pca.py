"""Three parameters on a plane

A quadratic a·x² + b·x + c has three parameters, one too many for a contour plot. gdviz draws
the loss on the plane through the final parameters spanned by the path's two main directions
(Li et al., 2018); the caption gives how much of the path's variance the plane holds, and the
loss curve beside it shows the recorded loss, which the plane can only approximate.
"""

import numpy as np

import gdviz

rng = np.random.default_rng(1)
x = rng.uniform(-2, 2, 80)
y = 0.8 * x**2 - x + 0.5 + rng.normal(0, 0.3, 80)
run = gdviz.train((x, y), model="quadratic", optimizer="momentum", lr=0.01, steps=150)
gdviz.animate(run, view="dashboard", size=(960, 400)).save("quadratic_pca.gif")
