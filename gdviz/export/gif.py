"""GIF: one palette for the whole animation, each frame cropped to what changed, streamed to disk.

Pillow's own animated-GIF save (and imageio's) holds every frame until the end; this writer keeps
only the previous frame, so memory stays flat however long the animation. Frames are quantised
to a palette fitted once (no dithering, which costs time and speckles flat fills), with the
plot's most common colours (the white background, fills, line colours) kept exact. A frame
whose colours the palette cannot show (something new appeared) gets a fresh palette, written
as a local colour table from then on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence

import numpy as np
from PIL import GifImagePlugin, Image, ImageChops

from gdviz.export.writer import Writer

log = logging.getLogger(__name__)

EXACT_COLOURS = 96  # the most common colours of the plot, kept exact in the palette:
# a colour bar of 30 levels and a fill of as many bands, the lines and text over them
EXACT_SHARE = 1e-4  # ... if each covers at least this share of the pixels
MISFIT_LEVEL = 32  # a pixel misfits when a channel is off by more than this after quantising
MISFIT_PIXELS = 24  # more misfits than this since the palette was fitted: fit a new one
CLEAR = 255  # the palette index kept for transparent pixels ("as in the frame before")


class GifWriter(Writer):
    """Animated GIF that loops forever; frame delays in hundredths of a second from ``fps``.

    ``palette_frames`` are frames (the last one, say) whose colours the palette must cover
    besides the first frame's.
    """

    suffix = ".gif"
    description = "animated GIF"
    # A turning camera changes every pixel of every frame, which GIF stores whole: 12 MB per
    # 100 frames of a 3-D view at slide size, against 0.56 MB with the camera held (MP4 turns it).
    turns = False
    behind = True  # encoded in a thread of its own while the next frames are drawn (`stream`)

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float,
        size: tuple[int, int],
        palette_frames: Iterable[np.ndarray] = (),
        durations: Sequence[float] | None = None,
    ):
        super().__init__(path, fps=fps, size=size, durations=durations)
        self._palette_frames = [np.asarray(f) for f in palette_frames]
        self._palette: Image.Image | None = None
        self._colours: np.ndarray | None = None  # the palette's entries, packed (`_fit`)
        self._local_palette = False
        self._misfits = 0  # pixels shown badly since the palette was fitted
        self._previous: np.ndarray | None = None
        # What the GIF shows at each pixel so far, as packed RGB: a pixel whose new colour
        # quantises to what is shown stays transparent (an antialiased edge that moved a little).
        self._shown: np.ndarray | None = None
        self._file = open(self.path, "wb")  # closed by close() or abort()
        if self.fps > 50:
            log.warning("GIF players show at most 50 frames a second; %g fps will play slower", fps)

    @classmethod
    def options(cls, animation, target) -> dict:
        # The last frame holds every colour a growing path or a moving line brings in.
        return {"palette_frames": [animation.last_frame()]}

    def append(self, frame: np.ndarray) -> None:
        index = self.n_frames
        frame = self._check(frame)
        if self._previous is None:
            self._fit(frame)
            screen = Image.new("P", self.size)
            screen.putpalette(self._palette.getpalette())
            header, _ = GifImagePlugin.getheader(screen, info={"loop": 0})
            self._file.write(b"".join(header))
            box, unchanged = (0, 0, *self.size), None
        else:
            # An unchanged frame still gets written (one pixel) so the frame count is exact.
            box = changed_box(self._previous, frame) or (0, 0, 1, 1)
            unchanged = ~changed_pixels(self._previous, frame, box)
        image = self._quantise(frame, box, unchanged, index)
        data = GifImagePlugin.getdata(
            image,
            offset=box[:2],
            duration=10 * self._delay(index),
            disposal=1,  # keep what is outside the crop
            include_color_table=self._local_palette,
            **({} if unchanged is None else {"transparency": CLEAR}),
        )
        self._file.write(b"".join(data))
        self._previous = frame

    def _quantise(self, frame, box, unchanged, index) -> Image.Image:
        """The crop in palette colours, pixels that did not change made transparent."""
        left, top, right, bottom = box
        crop = Image.fromarray(frame[top:bottom, left:right])
        image = crop.quantize(palette=self._palette, dither=Image.Dither.NONE)
        if unchanged is None:
            self._shown = self._colours[np.asarray(image)]
            return image
        mask = Image.fromarray(~unchanged)
        self._misfits += misfits(crop, image, mask)
        if self._misfits > MISFIT_PIXELS:
            log.debug("frame %d has colours outside the palette: fitting a new one", index)
            self._fit(frame)
            self._local_palette = True
            self._misfits = 0
            image = crop.quantize(palette=self._palette, dither=Image.Dither.NONE)
        # Unchanged pixels show the frame before: one index repeated, which LZW packs to little.
        # So do pixels that changed but whose palette colour is the one shown already.
        indices = np.asarray(image).copy()
        shown = self._shown[top:bottom, left:right]
        new = self._colours[indices]
        unchanged = unchanged | (new == shown)
        shown[...] = np.where(unchanged, shown, new)
        indices[unchanged] = CLEAR
        image = Image.fromarray(indices)  # mode L; putpalette makes it P
        image.putpalette(self._palette.getpalette())
        return image

    def _fit(self, frame: np.ndarray) -> None:
        """A palette for ``frame`` and the frames given (`fit_palette`), and its entries packed."""
        self._palette = fit_palette([frame, *self._palette_frames])
        self._colours = packed(np.asarray(self._palette.getpalette(), np.uint8).reshape(-1, 3))

    def close(self) -> None:
        if self._previous is None:
            self._file.close()
            raise ValueError("a GIF needs at least one frame")
        self._file.write(b";")
        self._file.close()
        self._previous = self._shown = None

    def abort(self) -> None:
        self._file.close()
        self._previous = self._shown = None

    def _delay(self, index: int) -> int:
        # Hundredths of a second, spread so that the total stays exact (30 fps: 3, 4, 3, 3, 4, ...).
        start, end = self.ends(index)
        return max(round(100 * end) - round(100 * start), 2)  # browsers slow down anything shorter


def fit_palette(frames: list[np.ndarray]) -> Image.Image:
    """A palette image of 255 colours (and the transparent index) for ``frames``.

    Their most common colours are kept exact; the rest are fitted to cover them all.
    """
    sample = np.concatenate([f for f in frames if f.shape[1] == frames[0].shape[1]])
    fitted = Image.fromarray(sample).quantize(
        CLEAR, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE
    )
    palette = np.zeros((256, 3), dtype=np.int32)
    colours_fitted = np.array(fitted.getpalette(), dtype=np.int32).reshape(-1, 3)[:CLEAR]
    palette[: len(colours_fitted)] = colours_fitted
    palette[len(colours_fitted) :] = colours_fitted[0]  # unused entries, never nearest alone
    every = packed(sample)
    colours, counts = np.unique(every, return_counts=True)
    order = np.argsort(counts)[::-1][:EXACT_COLOURS]
    pinned: list[int] = []
    for colour, count in zip(colours[order], counts[order]):
        if count < EXACT_SHARE * every.size:
            break
        rgb = np.array([colour >> 16, (colour >> 8) & 255, colour & 255], dtype=np.int32)
        if any(_takes(palette[i], rgb) or _takes(rgb, palette[i]) for i in pinned):
            continue  # too close to a more common exact colour to be told apart
        distance = np.abs(palette - rgb).sum(axis=1)
        distance[pinned] = np.iinfo(np.int32).max
        distance[CLEAR] = np.iinfo(np.int32).max
        nearest = int(np.argmin(distance))
        pinned.append(nearest)
        palette[_takes(palette, rgb)] = rgb
        palette[nearest] = rgb
    palette[CLEAR] = palette[0]  # transparent; as a tie with entry 0, never chosen for a colour
    result = Image.new("P", (1, 1))
    result.putpalette(palette.astype(np.uint8).tobytes())
    return result


def packed(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 colours as one uint32 each (0xRRGGBB)."""
    out = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8)
    return out | rgb[..., 2]


def _takes(entry: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Whether Pillow would map ``colour`` to palette ``entry`` rather than to ``colour`` itself.

    Pillow maps a colour to the palette entry nearest the corner of its cell of 4x4x4 values
    (libImaging/Palette.c), not to the nearest entry: (255, 251, 249) takes pure white's pixels.
    """
    corner = colour & ~3
    return ((entry - corner) ** 2).sum(axis=-1) <= ((colour - corner) ** 2).sum()


def misfits(rgb: Image.Image, quantised: Image.Image, mask: Image.Image | None = None) -> int:
    """How many pixels of ``rgb`` (those in ``mask``) the palette of ``quantised`` shows badly."""
    histogram = ImageChops.difference(rgb, quantised.convert("RGB")).histogram(mask)
    return max(
        sum(histogram[band * 256 + MISFIT_LEVEL + 1 : (band + 1) * 256]) for band in range(3)
    )


def changed_pixels(before: np.ndarray, after: np.ndarray, box) -> np.ndarray:
    """Inside ``box``, which pixels differ: a (height, width) bool array."""
    left, top, right, bottom = box
    differ = before[top:bottom, left:right] != after[top:bottom, left:right]
    return differ[..., 0] | differ[..., 1] | differ[..., 2]  # faster than .any(axis=2)


def changed_box(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int] | None:
    """The (left, top, right, bottom) box around every pixel that differs, or None."""
    height = after.shape[0]
    # Rows of (width * 3) bytes: numpy reduces long contiguous axes far faster than an axis of 3.
    changed = before.reshape(height, -1) != after.reshape(height, -1)
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
    return int(cols[0]) // 3, int(rows[0]), int(cols[-1]) // 3 + 1, int(rows[-1]) + 1
