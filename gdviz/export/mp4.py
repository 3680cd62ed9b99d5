"""MP4: H.264 through the ffmpeg that imageio-ffmpeg bundles, frames piped in as they come."""

from __future__ import annotations

import logging
import os

import numpy as np

from gdviz.errors import GdvizError
from gdviz.export.writer import Writer

log = logging.getLogger(__name__)

INSTALL = "pip install imageio-ffmpeg"
CRF = 20  # x264 quality: 0 lossless, 23 its default, lower is better; plots need it sharp


class _Abort(BaseException):
    """Thrown into imageio-ffmpeg's frame generator: it then kills ffmpeg instead of waiting."""


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


def has_ffmpeg() -> bool:
    try:
        ffmpeg_exe()
    except GdvizError:
        return False
    return True


class Mp4Writer(Writer):
    """H.264 video (yuv420p, so every player shows it), padded with white to even dimensions."""

    suffix = ".mp4"
    description = "H.264 video"

    def __init__(self, path: str | os.PathLike, *, fps: float, size: tuple[int, int]):
        super().__init__(path, fps=fps, size=size)
        ffmpeg_exe()
        import imageio_ffmpeg

        self._encoder = imageio_ffmpeg.write_frames(
            str(self.path),
            self.size,
            fps=self.fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,  # set by -crf below
            macro_block_size=1,  # no rescaling: the pad filter below makes the size even
            ffmpeg_log_level="error",
            output_params=[
                *("-crf", str(CRF)),
                *("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white"),
                *("-movflags", "+faststart"),  # playable while it loads, in a browser
                *("-f", "mp4"),  # the path is a temporary name without the suffix
            ],
        )
        self._encoder.send(None)

    def append(self, frame: np.ndarray) -> None:
        frame = self._check(frame)
        try:
            self._encoder.send(np.ascontiguousarray(frame))
        except OSError as error:
            raise GdvizError(f"ffmpeg stopped while writing {self.path}: {error}") from None

    def close(self) -> None:
        if self.n_frames == 0:
            self.abort()
            raise ValueError("an MP4 needs at least one frame")
        self._encoder.close()  # ffmpeg finishes the file and exits
        if self.path.stat().st_size == 0:  # imageio-ffmpeg does not check ffmpeg's exit status
            raise GdvizError(f"ffmpeg wrote nothing to {self.path} (see its message above)")

    def abort(self) -> None:
        try:
            self._encoder.throw(_Abort)
        except (_Abort, StopIteration, RuntimeError):
            pass
