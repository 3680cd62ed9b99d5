"""What the tests share: a real browser, the reference loops written with torch alone, and the
listing of a folder. Each is a fixture: no test module imports another."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from stand_ins import chrome


@pytest.fixture(scope="module")
def driver():
    """Debian's Chromium, headless, driven by Selenium (one for a module's tests)."""
    d = chrome()
    yield d
    d.quit()


@pytest.fixture
def browser():
    """A way to start a browser of one's own: ``browser()`` (quit it when done)."""
    return chrome


def _fit_line(rec, m, b, x, y, steps, lr=0.1):
    """A hand-written MSE loop that records through ``rec`` and keeps its own copies."""
    seen = []
    for _ in range(steps):
        loss = ((m * x + b - y) ** 2).mean()
        loss.backward()
        assert rec.record(loss) == loss.item()
        seen.append((m.item(), b.item(), m.grad.item(), b.grad.item(), loss.item()))
        with torch.no_grad():
            m -= lr * m.grad
            b -= lr * b.grad
        m.grad = None
        b.grad = None
    return np.array(seen)


@pytest.fixture(scope="session")
def fit_line():
    """The reference loop of a line fit that records as it goes (see `_fit_line`)."""
    return _fit_line


def _torch_loop(f, init, cls, lr, steps, **options):
    """A hand-written torch.optim loop minimising f: the (S, P) params and (S,) values."""
    theta = torch.tensor(init, dtype=torch.float32, requires_grad=True)
    opt = cls([theta], lr=lr, **options)
    params, values = [], []
    for t in range(steps + 1):
        opt.zero_grad()
        value = f(theta)
        value.backward()
        params.append(theta.detach().clone().numpy())
        values.append(value.item())
        if t < steps:
            opt.step()
    return np.array(params, dtype=np.float64), np.array(values)


@pytest.fixture(scope="session")
def torch_loop():
    """The reference: a plain torch.optim loop minimising ``f`` (see `_torch_loop`)."""
    return _torch_loop


@pytest.fixture(scope="session")
def listing():
    """The names in a folder, sorted: ``listing(folder)``, or those ending in ``suffix``."""

    def names(folder: Path, suffix: str = "") -> list[str]:
        return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(suffix))

    return names
