"""The views: each draws runs onto an Axes once and moves only what changes from frame to frame.

No view imports torch: views read a `Run`'s numpy arrays and nothing else. Importing this package
loads no matplotlib: `gdviz.views.names` is plain data (the command line reads it), and the
views load when first named here.
"""

from __future__ import annotations

from gdviz.system.lazy import lazy

_LAZY = {
    "NAMES": "gdviz.views.names",
    "SHOWN": "gdviz.views.names",
    "VIEWS": "gdviz.views.registry",
    "build": "gdviz.views.registry",
    "check_show": "gdviz.views.registry",
    "View": "gdviz.views.base",
    "ContourView": "gdviz.views.contour",
    "FitView": "gdviz.views.fit",
    "LineView": "gdviz.views.line",
    "LossView": "gdviz.views.loss",
    "SurfaceView": "gdviz.views.surface3d",
}
__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy(__name__, _LAZY)
