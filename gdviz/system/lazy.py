"""Names a package lends from its modules, each imported when first asked for (PEP 562)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


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
