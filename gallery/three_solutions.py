"""Three solutions on one plane, and the line between two: a CNN from a DataLoader

A small convolutional network with batch norm and dropout, trained three times from three seeds on
8 x 8 pictures of four shapes served by a DataLoader. gdviz.landscape(through=...) draws the plane
through the three trained models (Garipov et al. 2018), each evaluated with its own batch-norm
statistics and the points between with the same mix of theirs; gdviz.interpolate draws the loss
along the straight line between the first two (Goodfellow et al. 2015), in eval mode and, dashed,
with each batch's own statistics, with the barrier: how far the loss rises above the chord between
them. The losses are over all 1,024 examples, batch by batch.
"""

import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz

g = torch.Generator().manual_seed(0)
shape = torch.randint(0, 4, (1024,), generator=g)
images = 1.2 * torch.randn(1024, 1, 8, 8, generator=g)
images[shape == 0, 0, 3:5, :] += 1  # a row
images[shape == 1, 0, :, 3:5] += 1  # a column
images[shape == 2, 0] += torch.eye(8)  # a diagonal
images[shape == 3, 0, 2:6, 2:6] += 1  # a square
loader = DataLoader(TensorDataset(images, shape), batch_size=64, shuffle=True)
loss_fn = torch.nn.CrossEntropyLoss()


def trained(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(0.2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 16, 4),
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _epoch in range(4):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(net(x), y).backward()
            optimizer.step()
    return net


nets = {f"seed {seed}": trained(seed) for seed in (0, 1, 2)}
first, second, _ = nets.values()
plane = gdviz.landscape(first, loss=loss_fn, data=loader, through=nets, resolution=41)
gdviz.animate(plane).save("three_solutions.png")
line = gdviz.interpolate(first, second, loss=loss_fn, data=loader, names=("seed 0", "seed 1"))
gdviz.animate(line).save("three_solutions_line.gif")
print(line)
