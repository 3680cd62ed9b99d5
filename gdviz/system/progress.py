"""A progress bar on one line of a terminal or a notebook's output, for work that takes more
than a moment."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24
REFRESH = 0.1  # seconds between redraws of the bar


class Progress:
    """``label [#####.....]  37/100 frames  0:02 left`` on one line of a terminal (with
    ``rate``, ``12.5 frames/s`` before the time left).

    ``enabled=None`` shows it only when ``file`` (stderr by default) is a terminal or a
    notebook kernel's output stream (Jupyter, VS Code and Colab draw ``\r`` as a terminal does);
    ``delay``
    holds it back until the work has taken that many seconds (quick work shows nothing). As a
    context manager it ends the line on the way out, as it stands if an exception is raised.
    """

    def __init__(
        self,
        label: str,
        total: int,
        *,
        enabled: bool | None = None,
        file: TextIO | None = None,
        unit: str = "frames",
        delay: float = 0.0,
        rate: bool = False,
    ):
        self.file = sys.stderr if file is None else file
        if enabled is None:
            isatty = getattr(self.file, "isatty", None)
            kernel = type(self.file).__module__.startswith("ipykernel")
            enabled = bool(isatty and isatty()) or kernel
        self.enabled = enabled
        self.label, self.total, self.unit = label, max(int(total), 1), unit
        self.start = time.monotonic()
        self.delay = delay
        self.rate = rate  # say how many units a second
        self._shown = -1.0
        self._width = 0

    def update(self, done: int, *, total: int | None = None, note: str | None = None) -> None:
        if not self.enabled:
            return
        if total is not None:
            self.total = max(total, 1)
        now = time.monotonic()
        if note is None and done < self.total and now - self._shown < REFRESH:
            return
        if self._shown < 0 and now - self.start < self.delay:
            return  # not yet: quick work never shows a bar
        self._shown = now
        filled = BAR_WIDTH * min(done, self.total) // self.total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        elapsed = now - self.start
        if note is not None:
            tail = note
        elif done and done < self.total:
            tail = f"{_clock(elapsed / done * (self.total - done))} left"
        else:
            tail = _clock(elapsed)
        if self.rate and done and elapsed > 0:
            tail = f"{done / elapsed:.3g} {self.unit}/s  {tail}"
        self._write(f"{self.label} [{bar}] {done}/{self.total} {self.unit}  {tail}")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(ok=kind is None)

    def close(self, *, ok: bool = True) -> None:
        """End the line: with the time taken on success, as it stands otherwise."""
        if not self.enabled or self._shown < 0:
            self.enabled = False
            return
        if ok:
            bar = "#" * BAR_WIDTH
            self._write(
                f"{self.label} [{bar}] {self.total}/{self.total} {self.unit}  "
                f"{_clock(time.monotonic() - self.start)}"
            )
        self.file.write("\n")
        self.file.flush()
        self.enabled = False

    def _write(self, text: str) -> None:
        pad = " " * max(self._width - len(text), 0)  # rub out the end of a longer previous line
        self._width = len(text)
        self.file.write(f"\r{text}{pad}")
        self.file.flush()


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
