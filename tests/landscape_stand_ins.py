"""The networks and data the landscape tests and their child processes share (helpers, not
tests): noisy 8 x 8 pictures of four shapes, a small CNN with batch norm and dropout, a loader
of them, and a short SGD fit that a `Recorder` may watch."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz

LOSS = torch.nn.CrossEntropyLoss()


def images(n=300, seed=0):
    """Noisy 8x8 pictures of four shapes (a row, a column, a diagonal, a square)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = 1.2 * torch.randn(n, 1, 8, 8, generator=g)
    x[y == 0, 0, 3:5, :] += 1
    x[y == 1, 0, :, 3:5] += 1
    x[y == 2, 0] += torch.eye(8)
    x[y == 3, 0, 2:6, 2:6] += 1
    return x, y


def cnn(seed=0, *, dropout=0.2):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(dropout),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 16, 4),
    )


X, Y = images()


def loader(batch_size=37, shuffle=True):  # 37: the last batch is short
    return DataLoader(TensorDataset(X, Y), batch_size=batch_size, shuffle=shuffle)


def trained(seed=0, epochs=2, *, record=False, dropout=0.2):
    net = cnn(seed, dropout=dropout)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    rec = gdviz.Recorder(net, optimizer=opt) if record else None
    torch.manual_seed(seed)
    for _ in range(epochs):
        for xb, yb in loader():
            loss = LOSS(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            if rec is not None:
                rec.record(loss)
            opt.step()
    return (net, rec) if record else net
