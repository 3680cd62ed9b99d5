"""Your own network, from your own loop: the loss landscape of a classifier

Your data, your network, your loop: points inside a circle against a ring around it, and a
two-layer ReLU network trained by SGD with momentum and nn.CrossEntropyLoss in a plain PyTorch
loop, while a Recorder copies its parameters at each step. Told the model, the loss and the
data, to_run() evaluates the loss over the plane of the path's two main directions (batched,
once) and stores it with the network's predictions, so the saved run draws anywhere, without
torch. Left: the decision regions closing around the disc; middle: the path on that plane, with
the recorded loss beside the plane's; right: the loss.
"""

import numpy as np
import torch

import gdviz

rng = np.random.default_rng(0)
angle = rng.uniform(0, 2 * np.pi, 300)
radius = np.where(np.arange(300) < 150, rng.uniform(0, 0.9, 300), rng.uniform(1.3, 2.0, 300))
points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
x = torch.tensor(points + rng.normal(0, 0.1, (300, 2)), dtype=torch.float32)
y = torch.tensor(np.arange(300) >= 150).long()  # 0: the disc, 1: the ring

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = torch.nn.CrossEntropyLoss()

rec = gdviz.Recorder(model)
for _step in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    rec.record(loss)
    optimizer.step()

run = rec.to_run(x=x, y=y, model=model, loss=loss_fn, source="your network")
gdviz.animate(run, view="dashboard").save("own_network.gif")
