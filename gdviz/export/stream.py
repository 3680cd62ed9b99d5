"""Feeding an animation's frames to a writer as they are made, with a progress bar on stderr."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np

from gdviz.system import interrupts
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
                # Opened whole before an interrupt is raised: the sink is then held, and
                # aborted below (a writer may have made a file or started ffmpeg).
                with interrupts.deferred():
                    sink = open_sink((frame.shape[1], frame.shape[0]))
                    if getattr(sink, "behind", False):
                        sink = Behind(sink)
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
    return sink.sink if isinstance(sink, Behind) else sink


class Behind:
    """A sink fed from a thread of its own, a few frames behind the drawing: its encoder (a GIF's
    quantising and LZW, in Pillow's C, which lets the other thread run) works on one core while
    matplotlib draws the next frames on another. Frames reach the sink in order, from one
    thread; an error there is raised in the drawing thread at the next frame or at ``close``.
    The frames must not change once handed over (`Animation.frames` yields fresh arrays)."""

    DEPTH = 3  # frames drawn ahead at most: a few frames' memory, however long the animation

    def __init__(self, sink: Sink):
        self.sink = sink
        self._frames: queue.Queue = queue.Queue(self.DEPTH)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="gdviz-encoder", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            frame = self._frames.get()
            if frame is None or self._stop.is_set():
                return
            try:
                self.sink.append(frame)
            except BaseException as exc:  # handed to the drawing thread
                self._error = exc
                self._stop.set()
                return

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def append(self, frame: np.ndarray) -> None:
        self._put(frame)

    def _put(self, item) -> None:
        self._raise()
        while True:  # waits for room, but never on an encoder that has stopped
            try:
                self._frames.put(item, timeout=0.1)
                return
            except queue.Full:
                self._raise()
                if not self._thread.is_alive():
                    raise RuntimeError("the encoder thread stopped") from None

    def close(self) -> None:
        self._put(None)
        self._thread.join()
        self._raise()
        self.sink.close()

    def abort(self) -> None:
        self._stop.set()
        while True:  # make room for the end mark: frames not yet encoded are dropped
            try:
                self._frames.put_nowait(None)
                break
            except queue.Full:
                try:
                    self._frames.get_nowait()
                except queue.Empty:
                    pass
        self._thread.join()
        self.sink.abort()
