"""GIF encoding on a second core: `GifWriter` run in a child Python process, fed through a pipe.

Off unless ``GDVIZ_PROCESSES=1``: measured on two shared cores (benchmarks/export.py) it saved
10-15% of a 100-frame export on a quiet machine and cost 20% on a busy one, where the child's
start-up and encoding compete with the renderer. matplotlib and the encoder both hold the GIL,
so a thread gains nothing either. The child imports only numpy, Pillow and this package;
frames go through the pipe raw, and a full pipe blocks the renderer, so memory stays flat.

Protocol on the child's stdin: one JSON line (path, fps, size, number of palette frames), the
palette frames, the frames, then ``END``. Input that stops without ``END`` (the parent died)
leaves no file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gdviz.errors import GdvizError
from gdviz.export.gif import GifWriter
from gdviz.export.writer import Writer

END = b"END"
MIN_FRAMES = 24  # fewer frames than this: starting a process costs more than it saves


def pays(n_frames: int) -> bool:
    """Whether to encode ``n_frames`` in a second process: asked for, and with a core for it."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    asked = os.environ.get("GDVIZ_PROCESSES") == "1"
    return asked and cores >= 2 and n_frames >= MIN_FRAMES


class GifProcess(Writer):
    """The same file as `GifWriter` (same arguments), encoded by a child process."""

    suffix = ".gif"
    description = GifWriter.description
    options = GifWriter.options

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float,
        size: tuple[int, int],
        palette_frames: Iterable[np.ndarray] = (),
    ):
        super().__init__(path, fps=fps, size=size)
        palette_frames = [np.ascontiguousarray(f) for f in palette_frames]
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self._child = subprocess.Popen(
            [sys.executable, "-m", "gdviz.export.gif_process"],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        with contextlib.suppress(AttributeError, OSError):  # Linux: room for a whole frame
            import fcntl

            fcntl.fcntl(self._child.stdin.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        header = {
            "path": str(self.path),
            "fps": self.fps,
            "size": self.size,
            "palette_frames": len(palette_frames),
        }
        self._send(json.dumps(header).encode() + b"\n")
        for frame in palette_frames:
            self._send(memoryview(frame).cast("B"))

    def append(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(self._check(frame))
        self._send(memoryview(frame).cast("B"))

    def close(self) -> None:
        self._send(END)
        self._child.stdin.close()
        error = self._child.stderr.read().decode(errors="replace").strip()
        if self._child.wait() != 0:
            raise GdvizError(f"the GIF encoder failed: {error.splitlines()[-1] if error else '?'}")

    def abort(self) -> None:
        if self._child.poll() is None:
            self._child.kill()
        with contextlib.suppress(OSError):
            self._child.stdin.close()
        self._child.wait()
        self._child.stderr.close()

    def _send(self, data) -> None:
        try:
            self._child.stdin.write(data)
        except (BrokenPipeError, ValueError):
            self._child.wait()
            error = self._child.stderr.read().decode(errors="replace").strip()
            raise GdvizError(
                f"the GIF encoder stopped: {error.splitlines()[-1] if error else 'no message'}"
            ) from None


def _read_exactly(stream, buffer: bytearray) -> int:
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def main() -> int:
    """The child's side: read the header, then frames, into a `GifWriter`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    width, height = header["size"]
    shape = (height, width, 3)
    path = Path(header["path"])
    buffer = bytearray(width * height * 3)

    def read() -> np.ndarray | None:
        got = _read_exactly(stdin, buffer)
        if got == len(buffer):
            return np.frombuffer(buffer, dtype=np.uint8).reshape(shape).copy()
        if bytes(buffer[:got]) == END:
            return None
        raise EOFError("the frames stopped before the end")

    try:
        palette_frames = [read() for _ in range(header["palette_frames"])]
        writer = GifWriter(
            path, fps=header["fps"], size=(width, height), palette_frames=palette_frames
        )
        with writer:
            while (frame := read()) is not None:
                writer.append(frame)
    except BaseException as error:
        with contextlib.suppress(OSError):
            path.unlink()
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
