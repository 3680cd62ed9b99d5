"""How a command ends: its exit status, one line saying why, and interrupts that stay interrupts.

Exit statuses: 0 success, 1 failure at run time, 2 usage error (click's), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

from gdviz.errors import GdvizError
from gdviz.files import Outputs

_signalled: list[int] = []  # the interrupts received, seen even if the exception is swallowed
_deferring: list[bool] = []  # non-empty inside `deferred`


def _interrupt(signum, frame):
    # Ctrl-C, SIGTERM and SIGHUP all end the program through one clean-up path: no half-written
    # file. Code in a library can swallow the exception (a C extension clearing every error),
    # so the signal is also noted, and checked before each file is written and at the end.
    _signalled.append(signum)
    if not _deferring:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within: an interrupt is noted, and raised only when the block ends. For code that must
    not be interrupted: importing torch runs C++ (pybind11) that aborts the whole process when a
    Python exception passes through it ("terminate called after throwing ..."), and so does
    torch.optim's first optimiser, which imports torch._dynamo.

    Only an interrupt noted inside the block is raised at its end: the library defers too, and
    one noted earlier (by the command line's handler) was raised when it came."""
    before = len(_signalled)
    _deferring.append(True)
    try:
        yield
    finally:
        _deferring.pop()
    if len(_signalled) > before:
        raise KeyboardInterrupt


def check_interrupted() -> None:
    """Raise KeyboardInterrupt if an interrupt came whose exception was swallowed."""
    if _signalled:
        raise KeyboardInterrupt


def interrupted(outputs: Outputs) -> str:
    """What an interrupt leaves, read from the disk."""
    written = outputs.written()
    if not written:
        return "gdviz: interrupted; nothing was written"
    missing = [p for p in outputs.paths if p not in written]
    done = ", ".join(str(p) for p in written[:3]) + (
        f" and {len(written) - 3} more" if len(written) > 3 else ""
    )
    if not missing:
        return f"gdviz: interrupted after writing {done} in full"
    return f"gdviz: interrupted after writing {done}; {', '.join(map(str, missing))} not written"


def catch_signals() -> None:
    """Route Ctrl-C, SIGTERM and SIGHUP through KeyboardInterrupt, noting each."""
    _signalled.clear()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)


def signalled() -> bool:
    """Whether an interrupt came (its exception may have been swallowed or turned into another)."""
    return bool(_signalled)


def failure(exc: Exception) -> str:
    """One line saying what went wrong."""
    if isinstance(exc, GdvizError):
        return f"gdviz: error: {exc}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"gdviz: error: {exc.strerror or exc}{where}"
    # a bug: still one line, the traceback on request
    return (
        f"gdviz: internal error: {type(exc).__name__}: {exc} (set GDVIZ_DEBUG=1 for the traceback)"
    )
