"""Feeding an animation's frames to a writer as they are made, with a progress bar on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from gdviz.system.progress import Progress


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
