"""Learning rate: too small, about right, too large

Three runs of the synthetic fit. At 0.02 the line barely moves in 40 steps; at 0.5 it lands in a
few; at 1.05 each step overshoots further than the last, so the line swings ever wider and the
loss grows. Gradient descent on this loss is stable only below 2 / (its largest curvature), which
is 1.0 for this data: just past it, the run diverges.
"""

import gdviz

runs = [gdviz.train("synthetic", lr=lr, steps=40) for lr in (0.02, 0.5, 1.05)]
gdviz.animate(runs, view="fit").save("learning_rates.gif")
