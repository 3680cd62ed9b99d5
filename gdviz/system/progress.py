"""A progress bar on one line of a terminal or a notebook's output, for work that takes more
than a moment: tqdm's, in gdviz's words."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

BAR_WIDTH = 24
REFRESH = 0.1  # seconds between redraws of the bar


class Progress:
    """``label [#####.....]  37/100 frames  0:02 left`` on one line of a terminal (with
    ``rate``, ``12.5 frames/s`` before the time left), drawn by tqdm: its notebook widget in a
    notebook with ipywidgets, else a line that notebooks draw as a terminal does.

    ``enabled=None`` shows it only when ``file`` (stderr by default) is a terminal or a
    notebook kernel's output stream (Jupyter, VS Code and Colab draw ``\r`` as a terminal does);
    ``delay`` holds it back until the work has taken that many seconds (quick work shows
    nothing). As a context manager it ends the line on the way out, as it stands if an exception
    is raised.
    """

    quiet = False  # every bar off (the command line's -q): see `hushed`

    @classmethod
    @contextlib.contextmanager
    def hushed(cls, quiet: bool = True) -> Iterator[None]:
        """Within, every bar that would show by itself (``enabled=None``) stays off."""
        before = cls.quiet
        cls.quiet = before or quiet
        try:
            yield
        finally:
            cls.quiet = before

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
        kernel = type(self.file).__module__.startswith("ipykernel")
        if enabled is None:
            isatty = getattr(self.file, "isatty", None)
            enabled = (bool(isatty and isatty()) or kernel) and not Progress.quiet
        self.enabled = enabled
        self.label, self.total, self.unit = label, max(int(total), 1), unit
        self._bar = None
        if enabled:
            speed = "{rate_fmt}  " if rate else ""
            self._bar = _tqdm(kernel and file is None)(
                total=self.total,
                desc=label,
                unit=unit,
                file=self.file,
                delay=delay,
                mininterval=REFRESH,
                ascii=".#",
                bar_format=f"{{desc}} [{{bar:{BAR_WIDTH}}}] {{n}}/{{total}} {{unit}}  {speed}"
                "{remaining} left{postfix}",
            )

    def update(self, done: int, *, total: int | None = None, note: str | None = None) -> None:
        bar = self._bar
        if bar is None:
            return
        if total is not None:
            bar.total = self.total = max(total, 1)
        if note is not None:
            bar.set_postfix_str(note, refresh=False)
        bar.update(done - bar.n)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(ok=kind is None)

    def close(self, *, ok: bool = True) -> None:
        """End the line: with the time taken on success, as it stands otherwise."""
        bar, self._bar = self._bar, None
        self.enabled = False
        if bar is None:
            return
        if ok:
            bar.bar_format = (
                f"{{desc}} [{{bar:{BAR_WIDTH}}}] {{total}}/{{total}} {{unit}}  {{elapsed}}"
            )
            bar.n = bar.total
        bar.close()


def _tqdm(widget: bool):
    """tqdm's notebook widget where a notebook can show one (ipywidgets), else its text bar."""
    if widget:
        try:
            import ipywidgets  # noqa: F401  (the widget needs it; without it, text)
            from tqdm.auto import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm import tqdm

    return tqdm
