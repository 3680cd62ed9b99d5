"""The edge of stability: a network's sharpness climbs to 2/lr and stays there

Cohen et al. (2021) found that full-batch gradient descent on a neural network drives the
sharpness (the largest eigenvalue of the loss's Hessian) up to 2/lr, the value past which it
would diverge on a quadratic, and then holds it there while the loss keeps falling, unevenly.
The moons network at lr 1: the sharpness, recorded at every step, starts at 1.76, rises past
the dashed line at 2 while the loss stumbles, and then settles on the line, above and below it
in turn at every step.
"""

import gdviz

run = gdviz.train("moons", optimizer="gd", lr=1.0, steps=600, curvature=True)
gdviz.animate(run, view="loss").save("sharpness_rises.gif")
