"""SVG and PDF: one frame as vector graphics, its text as text, for papers and slides."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from gdviz.export.writer import Writer


class SvgWriter(Writer):
    """The final frame (or the step asked for) as an SVG: paths, and text a reader can select.

    An animation is drawn from its figure (`draw_vector`); frames from anything else (the
    protocol every writer follows) can only be laid in as the picture they are."""

    suffix = ".svg"
    description = "the final frame as vector graphics"
    final_frame_only = True
    vector = "svg"
    _last: np.ndarray | None = None

    def append(self, frame: np.ndarray) -> None:
        self._last = self._check(frame)

    def close(self) -> None:
        if self._last is None:
            raise ValueError(f"a {self.suffix} needs a frame")
        width, height = self.size
        fig = Figure(figsize=(width / 100, height / 100), dpi=100)
        fig.figimage(self._last, resize=False)
        fig.savefig(self.path, format=self.vector, dpi=100)
        self._last = None

    def abort(self) -> None:
        self._last = None


class PdfWriter(SvgWriter):
    """The final frame (or the step asked for) as a PDF, fonts embedded as TrueType."""

    suffix = ".pdf"
    vector = "pdf"


def draw_vector(animation, path, fmt: str, step: int | None) -> None:
    """Write ``animation``'s frame at training ``step`` (None: its last frame) to ``path`` as
    ``fmt``. The caption, drawn from cached glyphs in a raster frame, is set as text here."""
    animation.show(step)
    fig, caption = animation.fig, animation.caption_
    text = fig.text(
        caption.x,
        caption.y,
        caption.get_text(),
        ha="center",
        va="baseline",
        fontsize=caption.fontsize,
        color=caption.color,
        parse_math=False,
    )
    caption.set_visible(False)
    try:
        # text as <text> in SVG and as TrueType in PDF: selectable, searchable, editable
        with mpl.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
            fig.savefig(path, format=fmt, dpi=fig.dpi)
    finally:
        text.remove()
        caption.set_visible(True)
