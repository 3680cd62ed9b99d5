"""Adam's own edge of stability: the preconditioned sharpness climbs to 38/lr and stays there

Adam divides each step by a preconditioner P of its own, so the curvature it feels is not the
Hessian's but that of P⁻¹H. Cohen et al. (2022) found that full-batch Adam drives this
preconditioned sharpness up to (2 + 2β1) / ((1 − β1)·lr), 38/lr at β1 = 0.9, the value past
which it would diverge on a quadratic with P held still, and holds it there. The paper's
first figure in miniature: a 321-parameter tanh network fitting a wiggly curve, Adam at lr
0.01. The preconditioned sharpness (purple) rises to the dashed line at 3800 by step 800;
from then on it hovers there, and each time it crosses the line the loss spikes and falls on.
"""

import numpy as np
import torch

import gdviz

torch.manual_seed(0)
x = np.linspace(-2, 2, 64)
y = np.sin(3 * x) + 0.3 * np.cos(5 * x)
net = torch.nn.Sequential(
    torch.nn.Linear(1, 16),
    torch.nn.Tanh(),
    torch.nn.Linear(16, 16),
    torch.nn.Tanh(),
    torch.nn.Linear(16, 1),
)
run = gdviz.train((x, y), model=net, optimizer="adam", lr=0.01, steps=1500, curvature=True, every=5)
gdviz.animate(run, view="loss").save("adam_edge_of_stability.gif")
