"""A formula of your own: an optimiser race on a tilted, rippled bowl

Any formula in x and y can be minimised: type it as you would in Python, and gdviz parses it
(never evaluating it as code), trains on it with PyTorch autograd and draws the contours from
the same formula. Here gradient descent, momentum and Adam race across a bowl ten times steeper
in y than in x, with a ripple that makes two basins: gradient descent and Adam settle in the
nearer, shallower one, while momentum's swing carries it over into the deeper one. On the
command line:
gdviz animate --function "x**2 + 10*y**2 + 2*sin(3*x)" --init 3,1 --optimizer gd,momentum,adam
"""

import gdviz

runs = gdviz.sweep(
    "x**2 + 10*y**2 + 2*sin(3*x)", init=(3, 1), optimizer=["gd", "momentum", "adam"], steps=150
)
gdviz.animate(runs, view="dashboard", size=(1100, 420)).save("own_formula.gif")
