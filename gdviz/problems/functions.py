"""Functions to minimise: the classic 2-D test functions, with the start points and rates the
classic pictures use, and formulas of the user's own.

Like `gdviz.problems.formulas`, each function is plain arithmetic on ``p[0]`` and ``p[1]``, so it runs on
tensors (training) and on numpy grids (the contour view) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gdviz.errors import GdvizError
from gdviz.problems.data import PRESETS
from gdviz.problems.expression import Expression
from gdviz.problems.formulas import MODELS, model_of


@dataclass(frozen=True)
class TestFunction:
    """A 2-D function to minimise, with its known minima and a classic setup."""

    __test__ = False  # not a pytest class

    name: str
    f: Callable[[Any], Any]
    formula: str
    minima: tuple[tuple[float, ...], ...]
    init: tuple[float, ...] | None
    steps: int
    lr: dict[str, float] = field(default_factory=dict)
    source: str = ""
    extent: tuple[tuple[float, float], ...] | None = None  # the classic view
    variables: tuple[str, ...] = ("x", "y")
    saddles: tuple[tuple[float, ...], ...] = ()
    # ``f`` as a formula gdviz parses (`gdviz.problems.expression`), operation for operation,
    # so that code without torch (the page's re-runs) computes what the trainer computes
    expression: str | None = None

    def rate(self, optimizer: str) -> float | None:
        """The learning rate this function's classic picture uses for ``optimizer`` (None: no
        classic picture; the trainer chooses one from the curvature at the start)."""
        return self.lr.get(optimizer, self.lr.get("gd"))


FORMULA_STEPS = 200


def formula(text: str) -> TestFunction:
    """A function of the user's own, from a formula in x and y (see `gdviz.problems.expression`)."""
    expr = Expression(text)
    return TestFunction(
        "formula",
        expr,
        expr.pretty,
        minima=(),
        init=None,
        steps=FORMULA_STEPS,
        source=expr.text,
        variables=expr.variables,
        expression=expr.text,
    )


def _rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(p):
    return (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2


def _saddle(p):
    return p[0] ** 2 - p[1] ** 2


FUNCTIONS = {
    f.name: f
    for f in (
        TestFunction(
            "rosenbrock",
            _rosenbrock,
            "(1 − x)² + 100·(y − x²)²",
            minima=((1.0, 1.0),),
            init=(-1.5, 1.5),
            steps=2000,
            lr={
                "gd": 1e-3,
                "sgd": 1e-3,
                "momentum": 5e-4,
                "nesterov": 5e-4,
                "adagrad": 0.5,
                "rmsprop": 1e-2,
                "adam": 5e-2,
                "adamw": 5e-2,
            },
            source="Rosenbrock (1960)",
            extent=((-2.0, 2.0), (-1.0, 3.0)),
            expression="(1 - x)**2 + 100*(y - x**2)**2",
        ),
        TestFunction(
            "beale",
            _beale,
            "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            minima=((3.0, 0.5),),
            init=(1.0, 1.5),
            steps=1000,
            lr={
                "gd": 1e-2,
                "sgd": 1e-2,
                "momentum": 1e-3,
                "nesterov": 1e-3,
                "adagrad": 0.5,
                "rmsprop": 1e-2,
                "adam": 5e-2,
                "adamw": 5e-2,
            },
            source="Beale (1958)",
            extent=((-1.0, 4.5), (-1.5, 2.5)),
            expression="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        ),
        TestFunction(
            "himmelblau",
            _himmelblau,
            "(x² + y − 11)² + (x + y² − 7)²",
            minima=(
                (3.0, 2.0),
                (-2.805118, 3.131312),
                (-3.779310, -3.283186),
                (3.584428, -1.848126),
            ),
            init=(-0.27, -0.92),
            steps=300,
            lr={
                "gd": 1e-2,
                "sgd": 1e-2,
                "momentum": 2e-3,
                "nesterov": 2e-3,
                "adagrad": 1.0,
                "rmsprop": 5e-2,
                "adam": 1e-1,
                "adamw": 1e-1,
            },
            source="Himmelblau (1972)",
            extent=((-5.0, 5.0), (-5.0, 5.0)),
            expression="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        ),
        TestFunction(
            "saddle",
            _saddle,
            "x² − y²",
            minima=(),
            init=(-1.0, 1e-3),
            steps=100,
            lr={
                "gd": 0.05,
                "sgd": 0.05,
                "momentum": 0.01,
                "nesterov": 0.01,
                "adagrad": 0.2,
                "rmsprop": 0.01,
                "adam": 0.05,
                "adamw": 0.05,
            },
            source="the saddle point at the origin",
            saddles=((0.0, 0.0),),
            extent=((-1.5, 1.5), (-1.5, 1.5)),
            expression="x**2 - y**2",
        ),
    )
}


def catalogue() -> str:
    """The presets and the named functions, with their sources and setups, for people."""
    lines = ["Data sets (--dataset NAME):"]
    for p in PRESETS.values():
        init = "the network's own" if p.init is None else ",".join(f"{v:g}" for v in p.init)
        lines.append(f"  {p.name:<13} {p.title}  [{p.source}]")
        lines.append(
            f"  {'':<13} model {p.model}, loss {p.loss}, optimizer {p.optimizer}, "
            f"lr {p.lr:g}, steps {p.steps}, init {init}"
        )
    lines += ["", "Test functions (--function NAME), or a formula (--function EXPR --init X,Y):"]
    for f in FUNCTIONS.values():
        init = ",".join(f"{v:g}" for v in f.init)
        minima = "; ".join(f"({a:g}, {b:g})" for a, b in f.minima) or "none (unbounded below)"
        lines.append(f"  {f.name:<13} {f.formula}")
        lines.append(
            f"  {'':<13} start {init}, steps {f.steps}, lr {f.lr['gd']:g} (gd), minima {minima}"
        )
    return "\n".join(lines)


def parameter_names(
    function: str | None = None,
    *,
    dataset: str | None = None,
    model: str | None = None,
    columns: int = 1,
) -> tuple[str, ...] | None:
    """The parameters a problem will have, where they are known before training: a function's
    or formula's variables, a built-in model's names; None for a network (built later)."""
    if function is not None:
        return (
            FUNCTIONS[function].variables if function in FUNCTIONS else formula(function).variables
        )
    if model is None:
        model = PRESETS[dataset].model if dataset is not None else "line"
    if model not in MODELS or (columns > 1 and model != "line"):
        return None
    return model_of(model, columns).param_names


def function_of_text(text: str) -> TestFunction:
    """The named function, or the formula, ``text`` stands for; a `GdvizError` naming the bad
    token of a formula that does not parse."""
    if text in FUNCTIONS:
        return FUNCTIONS[text]
    try:
        return formula(text)
    except GdvizError as exc:
        raise GdvizError(f"{exc} (or name a function: {', '.join(FUNCTIONS)})") from None
