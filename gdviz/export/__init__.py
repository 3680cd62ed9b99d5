"""Export: animations into files, the format chosen by the suffix, written whole or not at all.

Every format has one writer behind one small protocol (`Writer`: open, ``append`` each frame,
``close``). Frames stream from the renderer to the writer as they are made, so memory does not
grow with the number of frames.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from gdviz.errors import GdvizError
from gdviz.export.gif import GifWriter
from gdviz.export.html import HtmlWriter, html_fragment
from gdviz.export.mp4 import Mp4Writer, ffmpeg_exe
from gdviz.export.png import PngWriter
from gdviz.export.stream import Progress, render
from gdviz.export.vector import PdfWriter, SvgWriter, draw_vector
from gdviz.export.writer import Writer
from gdviz.system.files import atomic_path, check_writable, interrupts_kept

log = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "GifWriter",
    "HtmlWriter",
    "Mp4Writer",
    "PdfWriter",
    "PngWriter",
    "Progress",
    "SvgWriter",
    "Writer",
    "check_target",
    "html_fragment",
    "save",
]

FORMATS: dict[str, type[Writer]] = {
    w.suffix: w for w in (GifWriter, Mp4Writer, HtmlWriter, PngWriter, SvgWriter, PdfWriter)
}


def check_target(path: str | os.PathLike) -> Path:
    """Check, before any work, that ``path`` can be written: a known suffix, its encoder, its folder.

    Raises
    ------
    GdvizError
        One line naming the problem: an unknown suffix (listing the formats), a missing
        encoder (saying what to install), a folder that is missing or not writable.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(f"{s} ({w.description})" for s, w in FORMATS.items())
        what = f"unknown format {suffix!r}" if suffix else "no suffix to tell the format"
        raise GdvizError(f"cannot write {path}: {what}; use one of {known}")
    if suffix in (".mp4", ".html"):  # a page the browser cannot draw embeds an MP4
        ffmpeg_exe()
    return check_writable(path)


def save(
    animation, path: str | os.PathLike, *, progress: bool | None = None, frame: int | None = None
) -> Path:
    """Write ``animation`` to ``path`` in the format its suffix names.

    Parameters
    ----------
    animation : gdviz.animation.animation.Animation
        Anything with ``frames()`` (fresh (height, width, 3) uint8 RGB arrays), ``n_frames``,
        ``fps`` and ``last_frame()``.
    path : str or path-like
        ``.gif`` (loops forever), ``.mp4`` (H.264), ``.html`` (an interactive page, see
        `gdviz.export.page`), or one still: ``.png``, ``.svg`` or ``.pdf`` (vector graphics,
        text as text).
    progress : bool or None
        A progress bar on stderr; None shows it only when stderr is a terminal.
    frame : int, optional
        For a still: the training step it shows (default: the last frame).

    Returns
    -------
    Path
        ``path``, written whole: the frames go to a temporary file beside it, renamed onto it
        only on success. On an error or Ctrl-C neither the target nor the temporary file is left.

    Examples
    --------
    >>> save(gdviz.animate(run), "fit.gif")
    PosixPath('fit.gif')
    """
    path = check_target(path)
    suffix = path.suffix.lower()
    writer = FORMATS[suffix]
    if frame is not None and not writer.final_frame_only:
        raise GdvizError(
            f"frame= picks the still of a .png, .svg or .pdf; a {suffix} holds every frame"
        )
    if frame is not None and hasattr(animation, "show"):
        animation.show(frame)  # checked before a byte is written
    try:
        with interrupts_kept():
            _write(animation, path, writer, progress, frame)
    except OSError as exc:  # a full disk, a file system gone read-only: name the file
        raise GdvizError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _write(animation, path: Path, writer: type[Writer], progress: bool | None, frame) -> None:
    with atomic_path(path) as tmp:
        try:
            _write_into(tmp, animation, path, writer, progress, frame)
        except GdvizError as exc:  # a writer names the file it writes: the temporary one,
            raise GdvizError(str(exc).replace(str(tmp), str(path))) from None  # gone now


def _write_into(
    tmp: Path, animation, path: Path, writer: type[Writer], progress, frame=None
) -> None:
    """Write ``animation`` into ``tmp``, which becomes ``path`` once whole."""
    vector = getattr(writer, "vector", None)
    if vector is not None and hasattr(animation, "show"):  # an animation's figure, as vectors
        draw_vector(animation, tmp, vector, frame)
        return
    note = None  # why a page is a video
    if writer is HtmlWriter and hasattr(animation, "views"):
        from gdviz.export.page import Unsupported, page

        try:
            text = page(animation, title=path.stem)
        except Unsupported as why:  # filmed instead: the page says why
            log.info("%s: a video page: %s", path.name, why)
            note = f"Shown as a video: {why}."
        else:
            tmp.write_text(text, encoding="utf-8")
            return
    if writer.final_frame_only:
        if frame is None:
            picture = animation.last_frame()
        else:
            picture = animation.picture(frame)
        size = (picture.shape[1], picture.shape[0])
        with writer(tmp, fps=animation.fps, size=size) as still:
            still.append(picture)
        return
    # The still figure is drawn once for the writer's look at the last frame and every frame.
    held = getattr(animation, "camera_held", contextlib.nullcontext)
    with (
        held() if not writer.turns else contextlib.nullcontext(),
        getattr(animation, "prepared", contextlib.nullcontext)(),
    ):
        options = writer.options(animation, path)
        if note is not None:
            options["note"] = note
        options["durations"] = getattr(animation, "durations", None)
        render(
            animation,
            lambda size: writer(tmp, fps=animation.fps, size=size, **options),
            label=f"writing {path.name}",
            progress=progress,
        )
