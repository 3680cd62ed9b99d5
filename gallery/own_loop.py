"""Recording your own loop

gdviz does not need to own the training loop. This is the "screen time" tutorial's RMSE loop,
written by hand with in-place updates under torch.no_grad(); a Recorder copies the parameters,
gradients and loss at each step, and to_run() turns the recording into a Run that every view
can draw, here the path down the RMSE surface.
"""

import numpy as np
import torch

import gdviz

rng = np.random.default_rng(7)
screen = rng.uniform(0, 8, 60)
sleep = 9.5 - 0.45 * screen + rng.normal(0, 0.6, 60)
x, y = torch.from_numpy(screen), torch.from_numpy(sleep)

m = torch.zeros(1, dtype=torch.float64, requires_grad=True)
b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
rec = gdviz.Recorder({"m": m, "b": b})
for _i in range(3000):
    loss = torch.sqrt(torch.mean((m * x + b - y) ** 2))
    loss.backward()
    rec.record(loss)
    with torch.no_grad():
        m -= 0.02 * m.grad
        b -= 0.02 * b.grad
    m.grad = None
    b.grad = None

run = rec.to_run(
    x=x,
    y=y,
    model="line",
    loss="rmse",
    source="screen time",
    x_label="screen time (h)",
    y_label="sleep (h)",
)
gdviz.animate(run, view="dashboard", size=(960, 400)).save("own_loop.gif")
