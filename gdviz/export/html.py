"""HTML: one self-contained page, the animation embedded as a base64 MP4 ``<video>``.

`html_fragment` makes the same markup for a notebook.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from gdviz.export.mp4 import Mp4Writer
from gdviz.export.stream import render
from gdviz.export.writer import Writer
from gdviz.system.files import clean_leftovers, temporary_file

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
<body style="margin: 0; display: flex; flex-direction: column; align-items: center">
{body}
{note}
</body>
</html>
"""


class VideoMarkup:
    """Frames into an MP4 in a temporary file, then into a ``<video>`` tag."""

    def __init__(self, *, fps: float, size: tuple[int, int], durations=None):
        self.size = size
        # Named for this process, so the next run removes it if this one is killed first.
        folder = Path(tempfile.gettempdir())
        clean_leftovers(folder, "gdviz.pid*.mp4")
        # Made inside `render`'s deferral of interrupts (see temporary_file): an interrupt comes
        # once the markup is held, and its abort removes the video.
        self._video = temporary_file(folder, f"gdviz.pid{os.getpid()}.", ".mp4")
        try:
            self._writer = Mp4Writer(self._video, fps=fps, size=size, durations=durations)
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


def markup(*, fps: float, size: tuple[int, int], durations=None) -> VideoMarkup:
    """The builder for embedded markup: a video (ffmpeg comes with imageio-ffmpeg)."""
    return VideoMarkup(fps=fps, size=size, durations=durations)


def html_fragment(animation, *, progress: bool | None = False) -> str:
    """The animation as HTML to embed in a page or a notebook.

    Parameters
    ----------
    animation : gdviz.animation.animation.Animation
        Anything with ``frames()``, ``n_frames`` and ``fps``.
    progress : bool or None
        Show a progress bar on stderr (None: only when stderr is a terminal).

    Returns
    -------
    str
        A ``<video controls autoplay loop muted>`` holding the MP4 as base64.

    Examples
    --------
    >>> from IPython.display import HTML
    >>> HTML(html_fragment(gdviz.animate(run)))
    """
    sink = render(
        animation,
        lambda size: markup(
            fps=animation.fps, size=size, durations=getattr(animation, "durations", None)
        ),
        label="rendering",
        progress=progress,
    )
    return sink.html


class HtmlWriter(Writer):
    """A self-contained web page playing the animation (see `html_fragment`)."""

    suffix = ".html"
    description = "interactive web page: a slider over every snapshot"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float,
        size: tuple[int, int],
        title: str = "",
        durations=None,
        note: str = "",
    ):
        super().__init__(path, fps=fps, size=size, durations=durations)
        self.title = title or "gdviz animation"
        self.note = note
        self._builder = markup(fps=fps, size=size, durations=durations)

    @classmethod
    def options(cls, animation, target) -> dict:
        return {"title": Path(target).stem}

    def append(self, frame: np.ndarray) -> None:
        self._builder.append(self._check(frame))

    def close(self) -> None:
        self._builder.close()
        note = f'<p style="color: #666">{html.escape(self.note)}</p>' if self.note else ""
        page = DOCUMENT.format(title=html.escape(self.title), body=self._builder.html, note=note)
        self.path.write_text(page, encoding="utf-8")

    def abort(self) -> None:
        self._builder.abort()
