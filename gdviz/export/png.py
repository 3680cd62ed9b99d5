"""PNG: the final frame, lossless."""

from __future__ import annotations

import numpy as np
from PIL import Image

from gdviz.export.writer import Writer


class PngWriter(Writer):
    """One still: the last frame appended, written losslessly on close."""

    suffix = ".png"
    description = "the final frame as an image"
    final_frame_only = True

    _last: np.ndarray | None = None

    def append(self, frame: np.ndarray) -> None:
        self._last = self._check(frame)

    def close(self) -> None:
        if self._last is None:
            raise ValueError("a PNG needs a frame")
        Image.fromarray(self._last).save(self.path, format="PNG", optimize=False)
        self._last = None

    def abort(self) -> None:
        self._last = None
