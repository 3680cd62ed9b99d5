"""Escaping a saddle point

On f(x, y) = x² − y² the origin is flat but is no minimum. Starting almost exactly on the ridge,
plain gradient descent slides to the saddle and lingers there, because the push along y starts
tiny; momentum and Adam leave it much sooner. The loss falls without bound once a run escapes.
"""

import gdviz

runs = [gdviz.train("saddle", optimizer=o) for o in ("gd", "momentum", "adam")]
gdviz.animate(runs, view="dashboard", size=(960, 400)).save("saddle.gif")
