"""Inside the update: how momentum and Adam choose their step

Momentum and Adam race down a long, narrow bowl, f = x²/20 + y², twenty times steeper across
than along. At each point the arrows show what the optimiser did inside the update, read from
the state `torch.optim` kept (never re-implemented): the gradient step −lr·g in red, where plain
gradient descent would go; momentum's velocity −lr·v in black, the gradients of past steps
piling up along the valley floor; Adam's step before its per-coordinate scaling (pink), still
pointing down the steep side, and after it (white), turned towards the minimum because each
coordinate is divided by the size of its own recent gradients. The thick arrow under them, in
the run's colour, is the step taken. Small arrows are drawn larger, by the factor in the legend.
"""

import gdviz

runs = gdviz.sweep(
    "x**2/20 + y**2", optimizer=["momentum", "adam"], lr=0.05, init=(-4.5, 1.5), steps=60
)
gdviz.animate(runs, view="contour", show=["internals"]).save("optimizer_internals.gif")
