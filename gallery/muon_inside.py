"""Inside Muon: the momentum it orthogonalises and the step it takes, on a 2x3 weight matrix

Muon (torch.optim.Muon) steps each weight matrix by the orthogonalised momentum: a few
Newton–Schulz iterations push every singular value of the momentum towards one, so the step
keeps the momentum's directions and forgets their sizes. A network of a 2x3 and a 2x2 weight
matrix fits two targets of three columns, Muon stepping the matrices and AdamW the bias, as
torch documents them. On the left the matrix Muon is given at each step, in the middle the step
it takes (read from the recorded parameters), and on the right the singular values: the
momentum's second one wanders near zero while the step's stays near 0.7, and the first near 1.
"""

import numpy as np
import torch

import gdviz

rng = np.random.default_rng(0)
x = rng.standard_normal((64, 3))
y = np.tanh(x @ rng.standard_normal((3, 2)))  # two target columns
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.Tanh(), torch.nn.Linear(2, 2))
run = gdviz.train((x, y), model=net, optimizer="muon", steps=120)
gdviz.animate(run, view="matrix").save("muon_inside.gif")
