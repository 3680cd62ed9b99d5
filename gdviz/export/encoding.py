"""How the page stores what it draws: arrays deflated into base64 (`pack_array`), pictures as
PNG data URLs (`png`; the still parts of a figure, `stills`), data coordinates as canvas pixels (`pixels`), colours and outlines as
CSS, and the distinct states of a track kept once (`Distinct`)."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib

import numpy as np
from PIL import Image

from gdviz.export.gif import packed

PIXEL = 16  # coordinates are kept to 1/16 of a pixel


def pack_array(a: np.ndarray) -> dict:
    """An array as deflated little-endian bytes in base64, with its type and shape."""
    a = np.ascontiguousarray(a)
    kind = {
        np.dtype(np.float32): "f4",
        np.dtype(np.float64): "f8",
        np.dtype(np.int32): "i4",
        np.dtype(np.uint8): "u1",
    }[a.dtype]
    data = zlib.compress(a.astype(a.dtype.newbyteorder("<")).tobytes(), 9)
    return {"type": kind, "shape": list(a.shape), "data": base64.b64encode(data).decode("ascii")}


def png(pixels: np.ndarray, flip: bool, alpha: bool = False) -> str:
    """An RGB(A) uint8 image as a PNG data URL (``flip``: row 0 at the bottom, as ``origin
    "lower"`` draws it; ``alpha``: keep its transparency)."""
    buffer = io.BytesIO()
    image = Image.fromarray((pixels[::-1] if flip else pixels)[..., : 4 if alpha else 3])
    if not alpha:
        image = _indexed(image)
    image.save(buffer, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _indexed(image: Image.Image) -> Image.Image:
    """An RGB image of at most 256 colours as the same colours by index (a palette PNG: a
    classifier's banded regions pack to a third), else the image as it was."""
    flat = packed(np.asarray(image))
    colours, index = np.unique(flat, return_inverse=True)
    if len(colours) > 256:
        return image
    out = Image.fromarray(index.reshape(flat.shape).astype(np.uint8))  # L; putpalette makes it P
    out.putpalette(
        np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], -1)
        .astype(np.uint8)
        .tobytes()
    )
    return out


def stills(fig, hidden, over, *, bare=()) -> tuple[str, str | None]:
    """PNG data URLs from one draw of ``fig``: the figure with the ``hidden`` artists (and the
    axis lines, ticks and labels of the ``bare`` axes) left out, and the ``over`` artists alone
    on a clear canvas (None where there are none). The figure is left as it was."""
    was = [(a, a.get_visible()) for a in hidden]
    axes_on = [(ax, ax.axison) for ax in bare]
    for artist, _ in was:
        artist.set_visible(False)
    for ax, _ in axes_on:
        ax.set_axis_off()
    try:
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba())
        background = png(pixels, flip=False)
    finally:
        for artist, visible in was:
            artist.set_visible(visible)
        for ax, on in axes_on:
            if on:
                ax.set_axis_on()
    if not over:
        return background, None
    pixels[...] = 0
    for artist in over:
        fig.draw_artist(artist)
    return background, png(pixels, flip=False, alpha=True)


def canvas_map(ax, height: float) -> tuple[list, list]:
    """How the page maps ``ax``'s coordinates after its scale onto the canvas (matplotlib's
    affine ``transLimits + transAxes``, y turned down for a figure ``height`` pixels high), as
    two rows of three numbers, and the axes' box on the canvas: left, top, width, height."""
    m = (ax.transLimits + ax.transAxes).get_matrix()
    x0, y0, x1, y1 = ax.bbox.extents
    rows = [
        [float(m[0, 0]), float(m[0, 1]), float(m[0, 2])],
        [float(-m[1, 0]), float(-m[1, 1]), float(height - m[1, 2])],
    ]
    return rows, [float(x0), float(height - y1), float(x1 - x0), float(y1 - y0)]


def to_pixels(artist, xy, height) -> np.ndarray:
    """Data coordinates to canvas pixels (y down), to 1/`PIXEL` of a pixel."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if not len(xy):
        return np.zeros((0, 2), np.float32)
    with np.errstate(all="ignore"):
        out = artist.get_transform().transform(xy)
        out[:, 1] = height - out[:, 1]
        out = np.round(out * PIXEL) / PIXEL
    out[~np.isfinite(out)] = np.nan
    return out.astype(np.float32)


def color(c) -> str:
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(c)
    return f"rgba({round(r * 255)},{round(g * 255)},{round(b * 255)},{a:.3f})"


def outline(artist, scale: float):
    """A path effect's stroke under the artist (`patheffects.withStroke`), or None."""
    for effect in artist.get_path_effects():
        gc = getattr(effect, "_gc", None)
        if gc and "linewidth" in gc:
            foreground = gc.get("foreground", "white")
            alpha = gc.get("alpha", 1.0)
            rgba = color(foreground)
            if alpha is not None and alpha != 1.0:
                rgba = rgba.rsplit(",", 1)[0] + f",{alpha:.3f})"
            return {"width": gc["linewidth"] * scale, "color": rgba}
    return None


class Distinct:
    """The states a track takes, each kept once (a picture, a set of lines, a text), and which
    one each snapshot shows."""

    def __init__(self, count: int):
        self.items: list = []
        self.seen: dict[bytes, int] = {}
        self.index = np.zeros(count, np.int32)

    def show(self, j: int, data: bytes, make) -> None:
        """Snapshot ``j`` shows the state whose bytes are ``data``; ``make()`` keeps a new one."""
        key = hashlib.blake2b(data, digest_size=16).digest()
        if key not in self.seen:
            self.seen[key] = len(self.items)
            self.items.append(make())
        self.index[j] = self.seen[key]
