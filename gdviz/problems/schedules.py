"""Learning-rate schedules by name: ``step:N:G``, ``exponential:G``, ``cosine``.

Parsed here, without torch, so the command line checks a schedule before anything loads; the
trainer makes the `torch.optim.lr_scheduler` it names.
"""

from __future__ import annotations

import math

from gdviz.errors import GdvizError

FORMS = ("step:N:G", "exponential:G", "cosine")


def parse(text: str) -> tuple[str, tuple[float, ...]]:
    """``(kind, arguments)`` of a schedule, or a `GdvizError` naming what is wrong."""
    parts = [p.strip() for p in str(text).split(":")]
    kind, args = parts[0], parts[1:]
    expected = {"step": 2, "exponential": 1, "cosine": 0}
    if kind not in expected:
        raise GdvizError(f"unknown schedule {text!r}: use {', '.join(FORMS)}")
    if len(args) != expected[kind]:
        form = next(f for f in FORMS if f.startswith(kind))
        raise GdvizError(f"schedule {text!r} should read {form}")
    try:
        values = tuple(float(a) for a in args)
    except ValueError:
        raise GdvizError(f"schedule {text!r}: {', '.join(args)} must be numbers") from None
    if kind == "step" and not (
        math.isfinite(values[0]) and 1 <= values[0] <= 1e9 and values[0] == int(values[0])
    ):
        raise GdvizError(f"schedule {text!r}: N, the steps between changes, must be a whole number")
    gamma = values[-1] if values else 1.0
    if not (math.isfinite(gamma) and gamma > 0):
        raise GdvizError(f"schedule {text!r}: the factor G must be a positive number")
    return kind, values
