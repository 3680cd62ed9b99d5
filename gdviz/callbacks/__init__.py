"""`gdviz.callbacks`: record a training framework's fit as `gdviz.Recorder` records a loop.

- `Lightning`: a ``lightning.pytorch.Callback`` (``pip install 'gdviz[lightning]'``);
- `Transformers`: a ``transformers.TrainerCallback`` (``pip install 'gdviz[transformers]'``);
- `Skorch`: a ``skorch.callbacks.Callback`` (``pip install 'gdviz[skorch]'``).

Importing this package imports neither framework: each loads when its callback is first named.
The callbacks live in `gdviz.training.callbacks`, beside the `Recorder` they feed.
"""

from __future__ import annotations

from gdviz.system.lazy import lazy

_LAZY = {
    "Lightning": "gdviz.training.callbacks.lightning",
    "Transformers": "gdviz.training.callbacks.transformers",
    "Skorch": "gdviz.training.callbacks.skorch",
}
__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy(__name__, _LAZY)
