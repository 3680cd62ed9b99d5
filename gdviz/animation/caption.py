"""`Caption`: one line of text that changes every frame, drawn from cached glyphs.

Once the static figure is cached, text is the costly artist: matplotlib rasterises every glyph
of a `Text` on every draw (about 4-5 ms for a 60-character caption, more than all the rest of a
frame). A caption reuses few characters (digits, a handful of letters), so this artist renders
each character once with matplotlib's own text renderer and pastes the cached coverage masks,
which costs a fraction of a millisecond. It is a normal artist: full redraws, blitting and
`FuncAnimation` all draw the same pixels.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colors
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

_REFERENCE = "H"  # a letter without kerning pairs, to measure each character's advance


SEPARATOR = "   ·   "


class Caption(Artist):
    """One line of text, centred with its baseline at (x, y) in figure coordinates.

    Given the texts of every frame (`set_samples`), its parts (between `SEPARATOR`) sit in
    fixed slots as wide as each part ever gets, the whole centred once: a number that grows a
    digit moves nothing else, and the caption does not slide from frame to frame.
    """

    def __init__(self, x: float, y: float, *, fontsize: float = 10.5, color="#222222"):
        super().__init__()
        self.x, self.y = x, y
        self._prop = FontProperties(size=fontsize)
        self._rgb = np.array(colors.to_rgb(color)) * 255
        self._text = ""
        self._glyphs: dict[str, tuple[np.ndarray, float]] = {}
        self._dpi: float | None = None
        self._samples: list[str] = []
        self._slots: list[float] | None = None

    @property
    def fontsize(self) -> float:
        return self._prop.get_size_in_points()

    @property
    def color(self) -> tuple[float, float, float]:
        return tuple(float(c) for c in self._rgb / 255)

    def set_samples(self, texts) -> None:
        """The texts the caption will show, to size its slots."""
        self._samples = [str(t) for t in texts]
        self._slots = None
        self.stale = True

    def _advance(self, text: str) -> float:
        return sum(self._glyph(c)[1] for c in text)

    def _layout(self, text: str) -> tuple[list[tuple[str, float]], float]:
        """(chunk, pen position) for each part of ``text`` and each separator, and the width of
        the line: each part in its slot, as wide as that part ever is among the samples."""
        parts = text.split(SEPARATOR)
        if self._slots is None and self._samples:
            widths: list[float] = []
            for sample in self._samples:
                for k, part in enumerate(sample.split(SEPARATOR)):
                    if k == len(widths):
                        widths.append(0.0)
                    widths[k] = max(widths[k], self._advance(part))
            self._slots = widths
        slots = self._slots or []
        gap = self._advance(SEPARATOR)
        chunks, pen = [], 0.0
        for k, part in enumerate(parts):
            if k:
                chunks.append((SEPARATOR, pen))
                pen += gap
            chunks.append((part, pen))
            pen += max(slots[k] if k < len(slots) else 0.0, self._advance(part))
        widest = sum(slots) + gap * max(len(slots) - 1, 0)
        return chunks, max(pen, widest)  # fewer parts than some frame: keep the line's place

    def set_text(self, text: str) -> None:
        self._text = str(text)
        self.stale = True

    def get_text(self) -> str:
        return self._text

    def _glyph(self, char: str) -> tuple[np.ndarray, float]:
        """The coverage mask of ``char`` (top row first, baseline ``_ascent`` rows down) and its advance."""
        if char not in self._glyphs:
            r = self._renderer
            gc = r.new_gc()
            r.clear()
            # Agg's draw_text takes the baseline as a row counted from the top.
            r.draw_text(gc, self._pad, self._ascent, char, self._prop, 0)
            gc.restore()
            mask = np.asarray(r.buffer_rgba())[:, :, 3].copy()

            def width(s):
                return r.get_text_width_height_descent(s, self._prop, ismath=False)[0]

            advance = width(_REFERENCE + char + _REFERENCE) - width(_REFERENCE * 2)
            self._glyphs[char] = (mask, advance)
        return self._glyphs[char]

    def _prepare(self, dpi: float) -> None:
        if self._dpi == dpi:
            return
        px = self._prop.get_size_in_points() * dpi / 72
        self._ascent = int(np.ceil(px * 1.15)) + 1
        self._descent = int(np.ceil(px * 0.35)) + 1
        self._height = self._ascent + self._descent
        self._pad = int(np.ceil(px * 0.3))
        self._width = int(np.ceil(px * 2)) + 2 * self._pad
        self._renderer = RendererAgg(self._width, self._height, dpi)
        self._glyphs.clear()
        self._slots = None
        self._dpi = dpi

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self._text:
            return
        self._prepare(renderer.dpi)
        chunks, line = self._layout(self._text)
        room = 0.97 * self.figure.bbox.width
        if line > room:  # too wide for the figure: a smaller font, once, for every frame
            self._prop.set_size(self._prop.get_size_in_points() * room / line)
            self._dpi = None
            self._prepare(renderer.dpi)
            chunks, line = self._layout(self._text)
        total = int(np.ceil(line)) + self._width
        coverage = np.zeros((self._height, total), dtype=np.uint8)
        for chunk, pen in chunks:
            for char in chunk:
                mask, advance = self._glyph(char)
                x = round(pen)
                view = coverage[:, x : x + self._width]
                np.maximum(view, mask[:, : view.shape[1]], out=view)
                pen += advance
        image = np.empty((self._height, total, 4), dtype=np.uint8)
        image[..., :3] = self._rgb
        image[..., 3] = coverage
        fig_w, fig_h = self.figure.bbox.width, self.figure.bbox.height
        left = round(self.x * fig_w - line / 2 - self._pad)
        bottom = round(self.y * fig_h - self._descent)
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.figure.bbox)
        renderer.draw_image(gc, left, bottom, image[::-1])  # draw_image wants the bottom row first
        gc.restore()

    def get_window_extent(self, renderer=None):
        from matplotlib.transforms import Bbox

        fig = self.figure
        h = self._prop.get_size_in_points() * fig.dpi / 72 * 1.6
        return Bbox.from_bounds(0, self.y * fig.bbox.height, fig.bbox.width, h)
