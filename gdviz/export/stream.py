"""Feeding an animation's frames to a writer as they are made, with a progress bar on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

import numpy as np

BAR_WIDTH = 24
REFRESH = 0.1  # seconds between redraws of the bar


class Sink(Protocol):
    """What frames are streamed into: a `Writer`, or a builder of embedded markup."""

    def append(self, frame: np.ndarray) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def render(
    animation, open_sink: Callable[[tuple[int, int]], Sink], *, label: str, progress: bool | None
) -> Sink:
    """Stream every frame of ``animation`` into ``open_sink(size)`` as it is made, then close it.

    The sink opens on the first frame, sized (width, height) from it. On any exception,
    Ctrl-C included, the sink is aborted and the exception goes on.
    """
    frames = iter(animation.frames())
    bar = Progress(label, animation.n_frames, enabled=progress)
    sink = None
    try:
        count = 0
        for frame in frames:
            if sink is None:
                sink = open_sink((frame.shape[1], frame.shape[0]))
            sink.append(frame)
            count += 1
            bar.update(count)
        if sink is None:
            raise ValueError("the animation has no frames")
        bar.update(count, total=count, note="finishing")  # the encoder may still be at work
        sink.close()
    except BaseException:
        if sink is not None:
            sink.abort()
        bar.close(ok=False)
        raise
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # let the renderer tidy up now, not whenever it is collected
    bar.close()
    return sink


class Progress:
    """``label [#####.....]  37/100 frames  0:02 left`` on one line of a terminal.

    ``enabled=None`` shows it only when ``file`` (stderr by default) is a terminal.
    """

    def __init__(
        self, label: str, total: int, *, enabled: bool | None = None, file: TextIO | None = None
    ):
        self.file = sys.stderr if file is None else file
        if enabled is None:
            isatty = getattr(self.file, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.label, self.total = label, max(int(total), 1)
        self.start = time.monotonic()
        self._shown = -1.0
        self._width = 0

    def update(self, done: int, *, total: int | None = None, note: str | None = None) -> None:
        if not self.enabled:
            return
        if total is not None:
            self.total = max(total, 1)
        now = time.monotonic()
        if note is None and done < self.total and now - self._shown < REFRESH:
            return
        self._shown = now
        filled = BAR_WIDTH * min(done, self.total) // self.total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        elapsed = now - self.start
        if note is not None:
            tail = note
        elif done and done < self.total:
            tail = f"{_clock(elapsed / done * (self.total - done))} left"
        else:
            tail = _clock(elapsed)
        self._write(f"{self.label} [{bar}] {done}/{self.total} frames  {tail}")

    def close(self, *, ok: bool = True) -> None:
        """End the line: with the time taken on success, as it stands otherwise."""
        if not self.enabled:
            return
        if ok:
            bar = "#" * BAR_WIDTH
            self._write(
                f"{self.label} [{bar}] {self.total}/{self.total} frames  "
                f"{_clock(time.monotonic() - self.start)}"
            )
        self.file.write("\n")
        self.file.flush()
        self.enabled = False

    def _write(self, text: str) -> None:
        pad = " " * max(self._width - len(text), 0)  # rub out the end of a longer previous line
        self._width = len(text)
        self.file.write(f"\r{text}{pad}")
        self.file.flush()


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
