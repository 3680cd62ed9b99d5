"""Names a package lends from its modules, each imported when first asked for (PEP 562); and
importing with Python's cycle collector paused (`collector_paused`)."""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
from collections.abc import Callable, Iterator


def lazy(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for ``names`` (name -> the module that
    holds it): a name's module loads on first use, and the name is then kept in the package."""
    space = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            space[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted([*space, *names])

    return __getattr__, __dir__


PROGRAM = False  # set by the gdviz program (`gdviz.cli.launch.run`), whose process is its own


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Within: Python's cycle collector off, for importing. Importing torch and matplotlib makes
    some 200,000 objects that live as long as the process and no garbage, yet the collector
    walks them again and again as they are made (0.24 s of CPU for the main command here, 0.03
    s paused: a tenth of its time). After: what exists is frozen (`gc.freeze`: kept out of every later collection,
    which then walks only what the work makes), and the collector runs again. In the ``gdviz``
    program only (`PROGRAM`): frozen objects are never collected, which a process that ends
    with its command can afford, and a caller's own process (a test runner calling the command
    line in-process) cannot."""
    if not PROGRAM:
        yield
        return
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()
