"""Just below and just above 2/L: the sharpness decides

Gradient descent on a quadratic is stable only while its learning rate stays below 2/L, with L
the sharpness, the largest eigenvalue of the loss's Hessian. For a line fitted by least squares
L is fixed (2.03 here, so 2/L is 0.985). Two runs, at 0.9 and 1.05: the loss panel shows each
run's sharpness (solid) beside its 2/lr (dashed). Where 2/lr is above the sharpness the run
zigzags across the valley and settles; where it is below, each zigzag is wider than the last.
Recorded with `train(..., curvature=True)` (`--show curvature`).
"""

import gdviz

runs = gdviz.sweep("synthetic", lr=[0.9, 1.05], steps=40, curvature=True)
gdviz.animate(runs, view="dashboard").save("edge_of_stability.gif")
