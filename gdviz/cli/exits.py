"""How a command ends: its exit status and one line saying why (what an interrupt left on disk).

Exit statuses: 0 success, 1 failure at run time, 2 usage error (click's), 130 interrupted.
"""

from __future__ import annotations

import re

from gdviz.errors import GdvizError
from gdviz.system.files import Outputs


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


def failure(exc: Exception) -> str:
    """One line saying what went wrong."""
    if isinstance(exc, GdvizError):
        return f"gdviz: error: {spelled(str(exc))}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"gdviz: error: {exc.strerror or exc}{where}"
    # a bug: still one line, the traceback on request
    return (
        f"gdviz: internal error: {type(exc).__name__}: {exc} (set GDVIZ_DEBUG=1 for the traceback)"
    )


def spelled(message: str) -> str:
    """A library message in the command line's own words: ``view='contour' or 'loss'`` reads
    ``--view contour or loss``; ``show=['curvature']`` reads ``--show curvature``;
    ``optimizer='muon'`` reads ``--optimizer muon`` (and ``model=``, ``plane=``)."""
    message = re.sub(
        r"view='(\w+)'((?:,? or '\w+'|, '\w+')*)",
        lambda m: "--view " + m.group(1) + m.group(2).replace("'", ""),
        message,
    )
    message = re.sub(r"\b(optimizer|model|plane)='(\w+)'", r"--\1 \2", message)
    return re.sub(r"show=\[?'(\w+)'\]?", r"--show \1", message)
