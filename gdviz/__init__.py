"""gdviz: turn gradient descent into pictures that move.

Record, then render: `train` (or a `Recorder` in your own loop) makes a `Run` of numpy arrays;
`animate` turns runs into matplotlib animations saved as GIF, MP4, HTML or PNG.

Importing gdviz is cheap (not even numpy): torch loads only when training starts, matplotlib
only when drawing.
"""

from __future__ import annotations

from gdviz.errors import GdvizError
from gdviz.system.lazy import lazy

__version__ = "0.1.0"
__all__ = [
    "GdvizError",
    "Recorder",
    "Run",
    "animate",
    "callbacks",
    "interpolate",
    "landscape",
    "load",
    "sweep",
    "train",
]

_LAZY = {
    "Run": "gdviz.run.record",
    "load": "gdviz.run.record",
    "train": "gdviz.training.train",
    "sweep": "gdviz.training.races",
    "Recorder": "gdviz.training.recorder",
    "animate": "gdviz.animation.animation",
    "landscape": "gdviz.training.landscape.solutions",
    "interpolate": "gdviz.training.landscape.solutions",
}

_lent, __dir__ = lazy(__name__, _LAZY)


def __getattr__(name: str):
    if name == "callbacks":  # a package of its own (``import gdviz.callbacks``), loaded on use
        import importlib

        return importlib.import_module("gdviz.callbacks")
    return _lent(name)
