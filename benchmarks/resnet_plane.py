"""A published landscape's size: the 51 x 51 plane of a ResNet-20 on 10,000 CIFAR-shaped images,
one process, on a GPU where there is one (the CPU at a reduced size otherwise).

The reference tool (tomgoldstein/loss-landscape) takes 5.3 to 6.0 s a point for a CIFAR-10
ResNet on a GPU (its issue #26: about 60 minutes for a 51 x 51 plane on four). This script makes
the same shape of work from nothing (no download): 10,000 random 3 x 32 x 32 images with random
labels, a ResNet-20 (He et al. 2016: three stages of three basic blocks, 16, 32 and 64 channels,
about 270,000 parameters) at its random initialisation, in eval mode, loaded in batches of 500.
It prints the seconds a point, the points a second and the forward passes (images) a second,
beside one plain pass over the loader (the floor).

    python benchmarks/resnet_plane.py                       # CUDA where there is one
    python benchmarks/resnet_plane.py --device cpu --images 500 --resolution 7
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

import gdviz


class Block(torch.nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(outputs)
        self.conv2 = torch.nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(outputs)
        self.short = torch.nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.short = torch.nn.Sequential(
                torch.nn.Conv2d(inputs, outputs, 1, stride, bias=False),
                torch.nn.BatchNorm2d(outputs),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.short(x))


def resnet20(classes: int = 10) -> torch.nn.Module:
    layers = [
        torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False),
        torch.nn.BatchNorm2d(16),
        torch.nn.ReLU(),
    ]
    width = 16
    for outputs, stride in ((16, 1), (32, 2), (64, 2)):
        for k in range(3):
            layers.append(Block(width, outputs, stride if k == 0 else 1))
            width = outputs
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, classes)]
    return torch.nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    parser.add_argument("--images", type=int, default=10_000 if cuda else 500)
    parser.add_argument("--resolution", type=int, default=51 if cuda else 7)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.images, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (args.images,), generator=g)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch)
    torch.manual_seed(0)
    net = resnet20().to(args.device).eval()
    loss_fn = torch.nn.CrossEntropyLoss()
    params = sum(p.numel() for p in net.parameters())
    with torch.no_grad():  # the floor: one plain pass over the loader (after a warm-up)
        for _ in range(2):
            began = time.perf_counter()
            for xb, yb in loader:
                loss_fn(net(xb.to(args.device)), yb.to(args.device))
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            one = time.perf_counter() - began
    began = time.perf_counter()
    gdviz.landscape(net, loss=loss_fn, data=loader, resolution=args.resolution)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - began
    points = args.resolution**2
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"ResNet-20 ({params:,} parameters), {args.images:,} images, {args.resolution} x "
          f"{args.resolution} plane, on {name} ({torch.get_num_threads()} threads)")  # fmt: skip
    print(f"  {seconds:.1f} s: {seconds / points:.3f} s a point ({points / seconds:.2f} points/s; "
          f"the reference: 5.3 to 6.0 s a point on a GPU)")  # fmt: skip
    print(f"  {points * args.images / seconds:,.0f} forward passes (images) a second; one plain "
          f"pass over the loader {one:.2f} s, so the plane is {seconds / (points * one):.2f}x "
          "its floor")  # fmt: skip


if __name__ == "__main__":
    main()
