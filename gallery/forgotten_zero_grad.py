"""The forgotten zero_grad

PyTorch adds each new gradient to the one already in .grad. Forget to clear it and every update
uses the sum of all gradients so far: the line overshoots, swings back and oscillates instead of
settling. Here the same RMSE fit runs with and without zeroing; the loss curves tell them apart
at once.
"""

import gdviz

kind = dict(loss="rmse", lr=0.02, steps=150, init=(0.0, 0.0))
right = gdviz.train("synthetic", **kind)
right.meta["label"] = "gradients zeroed"
wrong = gdviz.train("synthetic", zero_grad=False, **kind)
wrong.meta["label"] = "zero_grad forgotten"
gdviz.animate([right, wrong], view="dashboard", size=(960, 400)).save("forgotten_zero_grad.gif")
