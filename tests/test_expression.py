"""Formulas typed by users: parsed (never eval'd), evaluated like Python would, errors that name the token."""

from __future__ import annotations

import builtins
import json
import math
import operator

import numpy as np
import pytest
import torch

from gdviz import GdvizError
from gdviz.problems.expression import MAX_DEPTH, MAX_LENGTH, Expression

# Each formula with Python's own value at (x, y) = (1.3, -0.7): an independent reference.
X, Y = 1.3, -0.7
CASES = [
    "x**2 + 10*y**2",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "-x**2",
    "(-x)**2",
    "2**-x",
    "x**y**2",
    "(x**y)**2",
    "x - y - 1",
    "x - (y - 1)",
    "x / y / 2",
    "x / (y / 2)",
    "x * -y",
    "--x",
    "+x - -y",
    "sin(x) * cos(y) + tan(x/4)",
    "exp(-(x**2 + y**2)) + log(x) + sqrt(x)",
    "abs(y) + tanh(y)",
    "2*pi*x + e**y",
    "1e-3*x + .5*y + 2.",
    "1.5E+2 * x",
    "  x  +  y  ",
    "((((x))))",
    "x",
    # functions of constants alone: folded once, and applied, not dropped
    "sin(0.5)*x + exp(1)*y + sqrt(4) - log(2)",
    "cos(pi)*x**2 + tanh(0.3)*y + abs(-2)",
    "x * tan(0.25) + y * sqrt(2*2)",
]
PY = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "pi": math.pi,
    "e": math.e,
}


@pytest.mark.parametrize("text", CASES)
def test_value_equals_pythons_own(text):
    f = Expression(text)
    expected = eval(text, {"__builtins__": {}}, {**PY, "x": X, "y": Y})  # the test's reference
    args = [X, Y][: len(f.variables)] if f.variables != ("y",) else [Y]
    assert f(args) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text", CASES)
def test_numpy_grids_and_torch_tensors_agree(text):
    f = Expression(text)
    rng = np.random.default_rng(0)
    grid = rng.uniform(0.5, 1.5, (len(f.variables), 3, 4))
    values = np.asarray(f(grid), dtype=float) * np.ones((3, 4))
    for i, j in np.ndindex(3, 4):
        point = [float(v) for v in grid[:, i, j]]
        assert values[i, j] == pytest.approx(f(point), rel=1e-12)
    theta = torch.tensor(grid[:, 0, 0], dtype=torch.float64, requires_grad=True)
    out = f(theta)
    assert float(out.detach()) == pytest.approx(values[0, 0], rel=1e-12)
    if out.requires_grad:  # autograd sees every operation
        out.backward()
        assert theta.grad is not None


def test_gradient_through_a_formula_matches_the_analytic_one():
    f = Expression("(1 - x)**2 + 100*(y - x**2)**2")
    theta = torch.tensor([-1.5, 1.5], dtype=torch.float64, requires_grad=True)
    f(theta).backward()
    x, y = -1.5, 1.5
    expected = [-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)]
    np.testing.assert_allclose(theta.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "variables", "pretty"),
    [
        ("x**2 + 10*y**2", ("x", "y"), "x² + 10·y²"),
        ("y**2 - y", ("y",), "y² − y"),
        ("x**4 - 3*x**2 + x", ("x",), "x⁴ − 3·x² + x"),
        ("(1-x)**2", ("x",), "(1 − x)²"),
        ("(-x)**2 - -y", ("x", "y"), "(−x)² − −y"),
        ("x - (y - 1)", ("x", "y"), "x − (y − 1)"),
        ("(x - y) - 1", ("x", "y"), "x − y − 1"),
        ("2*pi*x", ("x",), "2·π·x"),
        ("abs(x) + sqrt(y)", ("x", "y"), "|x| + sqrt(y)"),
        ("2**-x", ("x",), "2^(−x)"),
        ("x*(y*2)", ("x", "y"), "x·y·2"),  # a product in a product needs no brackets
        ("x+(y+2)", ("x", "y"), "x + y + 2"),
    ],
)
def test_variables_and_the_formula_written_for_people(text, variables, pretty):
    f = Expression(text)
    assert f.variables == variables
    assert f.pretty == pretty


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("x^2 + y", "'^' at position 2"),
        ("x + foo(y)", "unknown name 'foo' at position 5"),
        ("__import__('os').system('true')", "unknown name '__import__'"),
        ("x.real", "'.' at position 2"),
        ("x + $y", "'$' at position 5"),
        ("x +", "ends too early, after '+'"),
        ("2x + y", "'x' at position 2 follows '2'"),
        ("(x + y", "'(' at position 1 is never closed"),
        ("x + y)", "unexpected ')' at position 6"),
        ("x ** * y", "unexpected '*' at position 6"),
        ("sin x", "'sin' at position 1 needs (...)"),
        ("max(x, y)", "unknown name 'max'"),
        ("x = 2", "'=' at position 3"),
        ("x + 1/0", "divides by zero at position 6"),
        ("x + 1/(2 - 2)", "divides by zero"),
        ("3 + 4", "neither x nor y"),
        ("", "empty"),
        ("   ", "empty"),
        ("x if y else 1", "unknown name 'if'"),
        ("x; y", "';' at position 2"),
    ],
)
def test_bad_formula_is_one_line_quoting_it_and_naming_the_token(text, named):
    with pytest.raises(GdvizError) as info:
        Expression(text)
    message = str(info.value)
    assert named in message
    assert message.startswith(f"formula {text!r}")
    assert "\n" not in message


def test_nothing_is_handed_to_eval_or_exec(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", refuse)
    assert Expression("sin(x) + y**2")([0.0, 3.0]) == 9.0


def test_hostile_sizes_fail_fast_and_quote_briefly():
    huge = "x+" * 5_000_000 + "x"
    with pytest.raises(GdvizError, match=f"at most {MAX_LENGTH}") as info:
        Expression(huge)
    assert len(str(info.value)) < 200
    deep = "(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(GdvizError, match="nests more than"):
        Expression(deep)
    minus = "-" * (MAX_DEPTH + 5) + "x"
    with pytest.raises(GdvizError, match="nests more than"):
        Expression(minus)
    powers = "x" + "**x" * (MAX_DEPTH + 5)
    with pytest.raises(GdvizError, match="nests more than"):
        Expression(powers)


def test_values_that_overflow_or_leave_the_domain_are_not_errors_but_nan_or_inf():
    f = Expression("log(x) + exp(y)")
    with np.errstate(all="raise"):  # the formula silences numpy's warnings itself
        values = f(np.array([[-1.0, 1.0], [0.0, 1000.0]]))
    assert np.isnan(values[0]) and np.isinf(values[1])


def test_brackets_up_to_the_depth_limit_parse_and_one_more_is_refused():
    deep = MAX_DEPTH - 1  # brackets: with the formula itself, MAX_DEPTH levels
    assert Expression("(" * deep + "x" + ")" * deep)([2.0]) == 2.0
    with pytest.raises(GdvizError, match="nest"):
        Expression("(" * (deep + 1) + "x" + ")" * (deep + 1))


def _evaluate(tree, p):
    """A tree (`Expression.tree`) evaluated by a reader of its own, in Python floats."""
    op, *args = tree
    if op == "num":
        return float(args[0])
    if op == "var":
        return p[args[0]]
    values = [_evaluate(a, p) for a in args]
    if op == "neg":
        return -values[0]
    if op in BINARY:
        return BINARY[op](*values)
    return abs(values[0]) if op == "abs" else getattr(math, op)(values[0])


BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
BINARY["**"] = operator.pow


@pytest.mark.parametrize(
    "text",
    [
        "(x-1)**2 + 3*(y+2)**2 + sin(x*y)",
        "exp(x/3) + log(1 + y**2) - sqrt(x**2 + 1) * tanh(x - y) / (2 + cos(y))",
        "-x**2 + abs(y - pi) + tan(y/8) + 2**x + (y**2 + 1)**(x/10) + e**(-x) + 3/(x**2 + 2)",
        "y**3 - y",
    ],
)
def test_the_tree_is_the_formula_as_data(text):
    f = Expression(text)
    tree = f.tree()
    json.loads(json.dumps(tree))  # JSON as it is
    rng = np.random.default_rng(0)
    for p in rng.uniform(0.1, 1.5, (20, len(f.variables))):
        assert _evaluate(tree, list(p)) == pytest.approx(f(list(p)), rel=1e-12)
    assert Expression("log(0)*x").tree() == ["*", ["num", "-inf"], ["var", 0]]


def test_each_named_function_is_its_formula_operation_for_operation():
    # The page re-runs a named function through its formula: value and gradient in torch's
    # float32 must be those of the function the trainer minimises, bit for bit.
    from gdviz.problems.functions import FUNCTIONS as NAMED

    torch.manual_seed(0)
    for fn in NAMED.values():
        formula = Expression(fn.expression)
        assert formula.variables == fn.variables
        for _ in range(50):
            a = (torch.randn(2) * 2).requires_grad_(True)
            b = a.detach().clone().requires_grad_(True)
            fa, fb = fn.f(a), formula(b)
            fa.backward()
            fb.backward()
            assert fa.item() == fb.item() and torch.equal(a.grad, b.grad), fn.name
