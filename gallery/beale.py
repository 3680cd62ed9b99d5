"""Beale's function

Beale's function has a flat plateau, steep walls and a narrow minimum at (3, 0.5); its loss spans
several decades, so the contour levels are log-spaced. Compare how RMSprop and Adam, which scale
each step by the gradient's recent size, cross the plateau that stalls plain gradient descent.
"""

import gdviz

runs = [gdviz.train("beale", optimizer=o) for o in ("gd", "rmsprop", "adam")]
gdviz.animate(runs, view="contour").save("beale.gif")
