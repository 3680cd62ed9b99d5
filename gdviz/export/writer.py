"""The one small protocol every format's writer follows: open, append frames, close."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class Writer:
    """Streams frames into one file: ``Writer(path, fps=..., size=(width, height))``.

    ``append`` takes each (height, width, 3) uint8 RGB frame as it is made and keeps no more
    of it than the format needs; ``close`` finishes the file; ``abort`` stops at once and
    releases what the writer holds (the caller removes the file). As a context manager it
    closes on success and aborts on any exception, Ctrl-C included.
    """

    suffix: str = ""
    description: str = ""
    final_frame_only = False  # True: the format shows one still, so only the last frame is sent
    turns = True  # False: a 3-D camera holds still where its turn ends (`Animation.camera_held`)

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float,
        size: tuple[int, int],
        durations: Sequence[float] | None = None,
    ):
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.durations = None if durations is None else [float(d) for d in durations]
        self.n_frames = 0

    def ends(self, index: int) -> tuple[float, float]:
        """When frame ``index`` starts and ends, in seconds: ``durations`` (the first frame
        held, the last held longer) where given, else 1/fps each."""
        if self.durations is None or index >= len(self.durations):
            return index / self.fps, (index + 1) / self.fps
        start = sum(self.durations[:index])
        return start, start + self.durations[index]

    @classmethod
    def options(cls, animation, target: Path) -> dict:
        """Extra keyword arguments `gdviz.export.save` passes when writing ``animation``."""
        return {}

    def append(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop without finishing the file; the default has nothing to release."""

    def _check(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        width, height = self.size
        if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {self.n_frames} is {frame.dtype} {frame.shape}, "
                f"expected uint8 {(height, width, 3)}"
            )
        self.n_frames += 1
        return frame

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
