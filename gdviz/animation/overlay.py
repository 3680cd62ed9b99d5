"""Still artists over moving ones (legends, stars), drawn once and laid over every frame.

Redrawing a legend costs more than everything that moves (its layout and its text, about 14 ms
a frame at 640x480). It does not change, but what shows through it does: a path passes under
its translucent box. Agg blends each pixel on its own, from the colour below it alone, so an
overlay pixel over an unchanged background pixel is the cached one; an overlay pixel that
covers whatever is below it (drawn over black and over white it comes out the same, and Agg's
blend is monotone in the colour below, channel by channel) is the cached one too. Only where a
moving artist passes under a part that lets it show through are the artists drawn again: every
frame is then the picture a full redraw gives, pixel for pixel.
"""

from __future__ import annotations

import numpy as np

MARGIN = 2  # pixels around what an artist touched, kept in its box
RGB = np.frombuffer(bytes((255, 255, 255, 0)), np.uint32)[0]  # a packed pixel's colour bits


class Layer:
    """One box of the figure and the still artists drawn in it (``artists`` in drawing order).

    Made over the cached ``background`` (restored when done); `lay` puts the artists over the
    frame in the canvas's buffer.
    """

    def __init__(
        self, fig, artists: list, box: tuple[int, int, int, int], background, touched=None
    ):
        self.fig, self.artists = fig, artists
        canvas = fig.canvas
        buffer = np.asarray(canvas.buffer_rgba())
        x0, y0, x1, y1 = box
        self.rows, self.cols = slice(y0, y1), slice(x0, x1)

        def drawn_on(fill) -> np.ndarray:
            buffer[self.rows, self.cols] = fill
            for artist in artists:
                fig.draw_artist(artist)
            return buffer[self.rows, self.cols].copy()

        if touched is None:  # the pixels the artists blend into at all
            touched = drawn_on((0, 0, 0, 0))[..., 3] > 0
        black = drawn_on((0, 0, 0, 255))
        white = drawn_on((255, 255, 255, 255))
        canvas.restore_region(background)
        # Pixels as one uint32 each (R, G, B, A in memory): a frame is compared and laid in one
        # operation per pixel, not one per channel; the colour is what is compared and laid,
        # the frame's own alpha is kept.
        self._pixels = buffer.view(np.uint32)[..., 0]
        self.below = _packed(buffer[self.rows, self.cols])
        for artist in artists:
            fig.draw_artist(artist)
        self.above = _packed(buffer[self.rows, self.cols]) & RGB
        canvas.restore_region(background)
        covers = touched & (black[..., :3] == white[..., :3]).all(axis=-1)  # whatever is below
        self.covered = covers
        self.covering = _packed(black)[covers] & RGB
        self.shows_through = touched & ~covers
        self.redrawn = 0  # frames on which the artists were drawn again

    def lay(self) -> None:
        """Lay the artists over the frame now in the canvas (its moving artists drawn)."""
        region = self._pixels[self.rows, self.cols]
        changed = ((region ^ self.below) & RGB) != 0
        if (changed & self.shows_through).any():
            for artist in self.artists:  # something moves under a translucent part
                self.fig.draw_artist(artist)
            self.redrawn += 1
            return
        out = np.where(changed, region, self.above | (region & ~RGB))
        out[self.covered] = self.covering | (out[self.covered] & ~RGB)
        region[...] = out


def _packed(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` pixels (..., 4) of uint8 as one uint32 each, copied."""
    return np.ascontiguousarray(rgba).view(np.uint32)[..., 0].copy()


class Overlay:
    """The still artists drawn over what moves, in boxes of their own (`Layer`)."""

    def __init__(self, fig, artists: list, background):
        self.layers: list[Layer] = []
        if not artists:
            return
        canvas = fig.canvas
        buffer = np.asarray(canvas.buffer_rgba())
        height, width = buffer.shape[:2]
        boxes, touched = [], {}
        for artist in artists:  # what each one touches, read from a clear canvas
            buffer[...] = 0
            fig.draw_artist(artist)
            rows = np.flatnonzero(buffer[..., 3].any(axis=1))
            if rows.size:
                cols = np.flatnonzero(buffer[rows[0] : rows[-1] + 1, :, 3].any(axis=0))
                box = [
                    max(int(cols[0]) - MARGIN, 0),
                    max(int(rows[0]) - MARGIN, 0),
                    min(int(cols[-1]) + 1 + MARGIN, width),
                    min(int(rows[-1]) + 1 + MARGIN, height),
                    [artist],
                ]
                boxes.append(box)
                touched[id(artist)] = buffer[box[1] : box[3], box[0] : box[2], 3] > 0
        canvas.restore_region(background)
        for box in _merged(boxes, artists):
            alone = touched[id(box[4][0])] if len(box[4]) == 1 else None  # no need to look again
            self.layers.append(Layer(fig, box[4], tuple(box[:4]), background, alone))

    @property
    def redrawn(self) -> int:
        return sum(layer.redrawn for layer in self.layers)

    def lay(self) -> None:
        for layer in self.layers:
            layer.lay()


def _merged(boxes: list, order: list) -> list:
    """Boxes that overlap become one, holding the artists of both in drawing order."""
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    artists = [x for x in order if x in a[4] or x in b[4]]
                    boxes[i] = [
                        min(a[0], b[0]),
                        min(a[1], b[1]),
                        max(a[2], b[2]),
                        max(a[3], b[3]),
                        artists,
                    ]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes
