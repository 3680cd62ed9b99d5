"""HTML: one self-contained page, the animation embedded as a base64 MP4 ``<video>``.

Without ffmpeg the frames are embedded as PNGs in matplotlib's own JavaScript player (jshtml).
`html_fragment` makes the same markup for a notebook.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from gdviz.export.mp4 import Mp4Writer, has_ffmpeg
from gdviz.export.stream import render
from gdviz.export.writer import Writer

log = logging.getLogger(__name__)

VIDEO_TAG = """<video width="{width}" height="{height}" controls autoplay loop muted playsinline \
style="max-width: 100%; height: auto">
  <source type="video/mp4" src="data:video/mp4;base64,{data}">
  Your browser does not support the video tag.
</video>"""

DOCUMENT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body style="margin: 0; display: flex; justify-content: center">
{body}
</body>
</html>
"""


class VideoMarkup:
    """Frames into an MP4 in a temporary file, then into a ``<video>`` tag."""

    def __init__(self, *, fps: float, size: tuple[int, int]):
        self.size = size
        fd, name = tempfile.mkstemp(prefix="gdviz-", suffix=".mp4")
        os.close(fd)
        self._video = Path(name)
        try:
            self._writer = Mp4Writer(self._video, fps=fps, size=size)
        except BaseException:
            self._video.unlink(missing_ok=True)
            raise

    def append(self, frame: np.ndarray) -> None:
        self._writer.append(frame)

    def close(self) -> None:
        try:
            self._writer.close()
            data = base64.b64encode(self._video.read_bytes()).decode("ascii")
        finally:
            self._video.unlink(missing_ok=True)
        width, height = self.size
        self.html = VIDEO_TAG.format(width=width, height=height, data=data)

    def abort(self) -> None:
        self._writer.abort()
        self._video.unlink(missing_ok=True)


class JsMarkup:
    """Frames as base64 PNGs in matplotlib's JavaScript player, for when there is no ffmpeg.

    The encoded frames wait in an anonymous temporary file, not in memory.
    """

    def __init__(self, *, fps: float, size: tuple[int, int]):
        self.fps, self.size = fps, size
        self._frames = tempfile.TemporaryFile("w+", encoding="ascii")
        self._count = 0

    def append(self, frame: np.ndarray) -> None:
        png = io.BytesIO()
        Image.fromarray(frame).save(png, format="PNG")
        data = base64.b64encode(png.getvalue()).decode("ascii")
        self._frames.write(f'  frames[{self._count}] = "data:image/png;base64,{data}"\n')
        self._count += 1

    def close(self) -> None:
        from matplotlib._animation_data import DISPLAY_TEMPLATE, JS_INCLUDE, STYLE_INCLUDE

        with self._frames:
            self._frames.seek(0)
            frames = self._frames.read()
        player = DISPLAY_TEMPLATE.format(
            id=uuid.uuid4().hex,
            Nframes=self._count,
            fill_frames="\n" + frames,
            interval=max(int(1000 / self.fps), 1),
            once_checked="",
            loop_checked="checked",
            reflect_checked="",
        )
        self.html = JS_INCLUDE + STYLE_INCLUDE + player

    def abort(self) -> None:
        self._frames.close()


def markup(*, fps: float, size: tuple[int, int]) -> VideoMarkup | JsMarkup:
    """The builder for embedded markup: a video where ffmpeg is at hand, else jshtml."""
    if has_ffmpeg():
        return VideoMarkup(fps=fps, size=size)
    log.info("no ffmpeg (pip install imageio-ffmpeg): embedding PNG frames as jshtml")
    return JsMarkup(fps=fps, size=size)


def html_fragment(animation, *, progress: bool | None = False) -> str:
    """The animation as HTML to embed in a page or a notebook.

    Parameters
    ----------
    animation : gdviz.animation.Animation
        Anything with ``frames()``, ``n_frames`` and ``fps``.
    progress : bool or None
        Show a progress bar on stderr (None: only when stderr is a terminal).

    Returns
    -------
    str
        A ``<video controls autoplay loop muted>`` holding the MP4 as base64, or matplotlib's
        jshtml player when ffmpeg is not installed.

    Examples
    --------
    >>> from IPython.display import HTML
    >>> HTML(html_fragment(gdviz.animate(run)))
    """
    sink = render(
        animation,
        lambda size: markup(fps=animation.fps, size=size),
        label="rendering",
        progress=progress,
    )
    return sink.html


class HtmlWriter(Writer):
    """A self-contained web page playing the animation (see `html_fragment`)."""

    suffix = ".html"
    description = "web page with the video embedded"

    def __init__(
        self, path: str | os.PathLike, *, fps: float, size: tuple[int, int], title: str = ""
    ):
        super().__init__(path, fps=fps, size=size)
        self.title = title or "gdviz animation"
        self._builder = markup(fps=fps, size=size)

    @classmethod
    def options(cls, animation, target) -> dict:
        return {"title": Path(target).stem}

    def append(self, frame: np.ndarray) -> None:
        self._builder.append(self._check(frame))

    def close(self) -> None:
        self._builder.close()
        page = DOCUMENT.format(title=html.escape(self.title), body=self._builder.html)
        self.path.write_text(page, encoding="utf-8")

    def abort(self) -> None:
        self._builder.abort()
