"""MP4: H.264 through the ffmpeg that imageio-ffmpeg bundles, frames piped in as they come."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence

import numpy as np

from gdviz.errors import GdvizError
from gdviz.export.writer import Writer

log = logging.getLogger(__name__)

INSTALL = "pip install imageio-ffmpeg"
CRF = 20  # x264 quality: 0 lossless, 23 its default, lower is better; plots need it sharp


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg, or a GdvizError saying what to install."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise GdvizError(f"writing MP4 needs imageio-ffmpeg: {INSTALL}") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise GdvizError(
            f"writing MP4 needs ffmpeg, and none was found ({error}): {INSTALL}"
        ) from None


class Mp4Writer(Writer):
    """H.264 video (yuv420p, so every player shows it), padded with white to even dimensions.

    ffmpeg runs as a child that gdviz owns: in a session of its own (a Ctrl-C at the terminal
    reaches gdviz, which stops it), told by the kernel to die with gdviz (Linux), killed and
    reaped by `abort` before the caller removes the file, so no ffmpeg outlives gdviz or writes
    to a file that is gone. imageio-ffmpeg supplies the binary.
    """

    suffix = ".mp4"
    description = "H.264 video"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float,
        size: tuple[int, int],
        durations: Sequence[float] | None = None,
    ):
        super().__init__(path, fps=fps, size=size, durations=durations)
        width, height = self.size
        command = [
            ffmpeg_exe(),
            *("-y", "-loglevel", "error", "-hide_banner"),
            *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"),
            *("-framerate", f"{self.fps:.6g}", "-i", "pipe:0"),
            *("-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", str(CRF)),
            *("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white"),
            *("-movflags", "+faststart"),  # playable while it loads, in a browser
            *("-f", "mp4", str(self.path)),  # the path is a temporary name without the suffix
        ]
        self._errors = tempfile.TemporaryFile()
        # `render` opens a writer with interrupts deferred: an interrupt here comes once the
        # writer is held, and its abort stops ffmpeg before the file is removed.
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def append(self, frame: np.ndarray) -> None:
        # A video has one frame rate: a frame held longer is written again (the first for half
        # a second, the last for two), as many times as its duration spans, rounding carried.
        start, end = self.ends(self.n_frames)
        repeats = max(round(end * self.fps) - round(start * self.fps), 1)
        frame = self._check(frame)
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).tobytes() * repeats)
        except (BrokenPipeError, OSError):
            self._process.wait()
            raise GdvizError(f"ffmpeg stopped while writing {self.path}: {self._said()}") from None

    def close(self) -> None:
        if self.n_frames == 0:
            self.abort()
            raise ValueError("an MP4 needs at least one frame")
        try:
            self._process.stdin.close()  # ffmpeg finishes the file and exits
        except OSError:
            pass
        code = self._process.wait()
        if code != 0:
            raise GdvizError(f"ffmpeg could not write {self.path}: {self._said()}")
        self._errors.close()

    def abort(self) -> None:
        """Kill ffmpeg and wait for it: after this it writes nothing more, anywhere."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        self._errors.close()

    def __del__(self):
        # A writer dropped without close or abort (an exception before the first frame) must
        # not leave ffmpeg waiting on its pipe.
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def _said(self) -> str:
        """ffmpeg's last line of complaint (it may run to many)."""
        self._errors.seek(0)
        lines = [ln.strip() for ln in self._errors.read().decode(errors="replace").splitlines()]
        lines = [ln for ln in lines if ln]
        return lines[-1] if lines else f"exit status {self._process.returncode}"


def _prctl():
    # Resolved here, in gdviz's own process: the child only calls it, importing nothing.
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _prctl()


def _die_with_parent() -> None:
    """In the child, before ffmpeg starts: ask Linux to kill it when gdviz dies (SIGKILL too).
    Elsewhere the pipe closing still ends ffmpeg."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
