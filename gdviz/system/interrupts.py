"""Interrupts that stay interrupts: Ctrl-C, SIGTERM and SIGHUP noted as they come, so that one a
library swallows is still seen, and held back where an exception must not pass (C++ below).

The command line installs the handler (`catch_signals`); the library defers around code that
must not be interrupted (`deferred`), which costs nothing where no handler was installed.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

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


def catch_signals() -> None:
    """Route Ctrl-C, SIGTERM and SIGHUP through KeyboardInterrupt, noting each."""
    _signalled.clear()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)


def signalled() -> bool:
    """Whether an interrupt came (its exception may have been swallowed or turned into another)."""
    return bool(_signalled)
