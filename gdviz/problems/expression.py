"""Formulas in x and y that users type, parsed into a small tree of whitelisted operations.

A formula is data, not code: it is tokenised and parsed by the recursive descent below, never
handed to Python's ``eval``. The tree evaluates on torch tensors (the trainer: autograd sees every
operation) and on numpy grids (the contour view) alike, like `gdviz.problems.formulas`.

Grammar, with Python's precedence (``-x**2`` is ``-(x**2)``, ``**`` binds to the right)::

    sum     = product (("+" | "-") product)*
    product = unary (("*" | "/") unary)*
    unary   = ("+" | "-") unary | power
    power   = atom ("**" unary)?
    atom    = NUMBER | NAME | FUNCTION "(" sum ")" | "(" sum ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdviz.errors import GdvizError
from gdviz.problems.formulas import elementwise

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh")
MAX_LENGTH = 500  # characters: a formula is a line typed by a person
MAX_DEPTH = 60  # nesting: keeps the recursive parser far from Python's recursion limit

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/()]))"
)
_HINTS = {
    "^": "use ** for powers",
    "=": "give the expression only, without '='",
    ",": "functions take one argument",
    "[": "use ( ) for grouping",
    "]": "use ( ) for grouping",
}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    at: int  # position in the formula, from 0


def _tokens(text: str) -> list[Token]:
    """The tokens of ``text``; a character no token starts with becomes a "bad" token, so the
    parser reports the first problem in reading order."""
    tokens, i = [], 0
    while text[i:].strip():
        m = _TOKEN.match(text, i)
        if m is None or m.lastgroup is None:
            j = i + len(text[i:]) - len(text[i:].lstrip())
            tokens.append(Token("bad", text[j], j))
            i = j + 1
        else:
            tokens.append(Token(m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
            i = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- the tree -------------------------------------------------------------------------------------
# Each node is a callable of the parameters ``p`` (p[0] is x, p[1] is y when both are used) and
# a string for people. Constant subtrees are folded to Python floats at parse time.


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


@dataclass(frozen=True)
class Node:
    evaluate: Callable[[Any], Any]
    text: str  # the node written for people: x², 10·y, sin(x)
    precedence: int  # how tightly its top operation binds (5: an atom)
    constant: float | None = None
    tree: tuple = ()  # the node as data (`Expression.tree`): ("num", v), ("x",), (op, a, b), ...


def _wrap(node: Node, level: int, *, equal_ok: bool) -> str:
    """``node``'s text as an operand of an operation binding at ``level``, bracketed if needed."""
    tight = node.precedence > level or (node.precedence == level and equal_ok)
    return node.text if tight else f"({node.text})"


_SUPERSCRIPTS = {"2": "²", "3": "³", "4": "⁴"}


def _binary(op: str, a: Node, b: Node) -> Node:
    level = _PRECEDENCE[op]
    if op == "**":
        sup = _SUPERSCRIPTS.get(b.text) if b.constant is not None else None
        base = _wrap(a, level, equal_ok=False)
        text = f"{base}{sup}" if sup else f"{base}^{_wrap(b, level, equal_ok=True)}"
    else:
        # Left to right: a - (b - c) keeps its brackets, (a - b) - c needs none.
        sign = {"*": "·", "/": "/", "+": " + ", "-": " − "}[op]
        right = _wrap(b, level, equal_ok=op in "+*")
        text = f"{_wrap(a, level, equal_ok=True)}{sign}{right}"
    fn = _BINARY[op]
    if a.constant is not None and b.constant is not None:
        value = _fold(fn, a.constant, b.constant)
        return Node(lambda p, v=value: v, text, level, value, ("num", value))
    ea, eb = a.evaluate, b.evaluate
    return Node(lambda p: fn(ea(p), eb(p)), text, level, tree=(op, a.tree, b.tree))


def _fold(fn, a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        return float(fn(np.float64(a), np.float64(b)))


class Expression:
    """A parsed formula in ``x`` and ``y``: call it on parameters ``p`` (``p[0]``, ``p[1]``).

    ``variables`` are the names it uses, in the order x, y: they are the parameters it is
    minimised over. Works on Python floats, numpy arrays (grids shaped ``(2, ...)``) and torch
    tensors.

    Examples
    --------
    >>> f = Expression("x**2 + 10*y**2")
    >>> f.variables, f.pretty
    (('x', 'y'), 'x² + 10·y²')
    >>> f([1.0, 2.0])
    41.0
    """

    def __init__(self, text: str):
        self.text = str(text)
        if len(self.text) > MAX_LENGTH:
            raise self._fail(f"it is {len(self.text)} characters long; at most {MAX_LENGTH}")
        self._tokens = _tokens(self.text)
        self._i = 0
        self._depth = 0
        self._used: set[str] = set()
        self.variables: tuple[str, ...] = ()
        node = self._sum()
        if self._peek().kind != "end":
            raise self._unexpected(self._peek())
        self.variables = tuple(v for v in VARIABLES if v in self._used)
        self._slots = {v: i for i, v in enumerate(self.variables)}
        if not self.variables:
            raise self._fail("it uses neither x nor y, so there is nothing to minimise")
        self._node = node
        self.pretty = node.text

    def __call__(self, p):
        return self._node.evaluate(p)

    def tree(self) -> list:
        """The parsed formula as JSON-ready nested lists, for code that evaluates it elsewhere
        (the page's re-runs, `gdviz.export.rerun`): ``["num", v]`` a constant (folded, as the
        tensor code sees it; ``"inf"``, ``"-inf"``, ``"nan"`` as text), ``["var", i]``
        parameter ``p[i]``, ``[op, a, b]`` for ``+ - * / **``, ``["neg", a]``, ``[f, a]`` for
        each of `FUNCTIONS`. Operands are in the order Python evaluates them.

        >>> Expression("2*x - sin(y)").tree()
        ['-', ['*', ['num', 2.0], ['var', 0]], ['sin', ['var', 1]]]
        """

        def data(node: tuple) -> list:
            if node[0] == "num":
                v = float(node[1])
                return ["num", v if math.isfinite(v) else str(v)]
            if node[0] in VARIABLES:
                return ["var", self._slots[node[0]]]
            return [node[0], *(data(n) for n in node[1:])]

        return data(self._node.tree)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    # -- errors ---------------------------------------------------------------------------------

    def _fail(self, why: str) -> GdvizError:
        quoted = self.text if len(self.text) <= 80 else f"{self.text[:77]}..."
        return GdvizError(f"formula {quoted!r}: {why}")

    def _unexpected(self, token: Token) -> GdvizError:
        if token.kind == "bad":
            hint = _HINTS.get(token.text, "allowed: numbers, names, + - * / ** ( )")
            return self._fail(f"{token.text!r} at position {token.at + 1} is not allowed ({hint})")
        if token.kind == "end":
            last = self._tokens[self._i - 1].text if self._i else ""
            return self._fail(f"it ends too early, after {last!r}" if last else "it is empty")
        if token.kind == "name" and token.text not in (*VARIABLES, *CONSTANTS, *FUNCTIONS):
            return self._unknown(token)
        before = self._tokens[self._i - 1] if self._i else None
        if (
            before is not None
            and before.kind in ("number", "name")
            and token.kind
            in (
                "number",
                "name",
            )
        ):
            return self._fail(
                f"{token.text!r} at position {token.at + 1} follows {before.text!r} with no "
                f"operator (write {before.text}*{token.text})"
            )
        return self._fail(f"unexpected {token.text!r} at position {token.at + 1}")

    # -- the parser -----------------------------------------------------------------------------

    def _peek(self) -> Token:
        return self._tokens[self._i]

    def _take(self) -> Token:
        token = self._tokens[self._i]
        self._i += 1
        return token

    def _nested(self, parse: Callable[[], Node]) -> Node:
        """``parse()`` one level deeper: each bracket, sign and power nests, and a limit keeps
        the recursion far from Python's own."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._fail(f"it nests more than {MAX_DEPTH} levels deep")
        node = parse()
        self._depth -= 1
        return node

    def _sum(self) -> Node:
        return self._nested(self._terms)

    def _terms(self) -> Node:
        node = self._product()
        while self._peek().text in ("+", "-") and self._peek().kind == "op":
            op = self._take().text
            node = _binary(op, node, self._product())
        return node

    def _product(self) -> Node:
        node = self._unary()
        while self._peek().text in ("*", "/") and self._peek().kind == "op":
            token = self._take()
            right = self._unary()
            if token.text == "/" and right.constant == 0:
                raise self._fail(f"it divides by zero at position {token.at + 1}")
            node = _binary(token.text, node, right)
        return node

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind == "op" and token.text in ("+", "-"):
            self._take()
            inner = self._nested(self._unary)
            if token.text == "+":
                return inner
            text = f"−{inner.text if inner.precedence >= _PRECEDENCE['neg'] else f'({inner.text})'}"
            if inner.constant is not None:
                value = -inner.constant
                return Node(lambda p, v=value: v, text, _PRECEDENCE["neg"], value, ("num", value))
            ev = inner.evaluate
            return Node(lambda p: -ev(p), text, _PRECEDENCE["neg"], tree=("neg", inner.tree))
        return self._power()

    def _power(self) -> Node:
        base = self._atom()
        if self._peek().kind == "op" and self._peek().text == "**":
            self._take()
            return _binary("**", base, self._nested(self._unary))
        return base

    def _atom(self) -> Node:
        token = self._take()
        if token.kind == "number":
            value = float(token.text)
            text = token.text
            return Node(lambda p, v=value: v, text, 5, value, ("num", value))
        if token.kind == "name":
            return self._name(token)
        if token.kind == "op" and token.text == "(":
            inner = self._sum()
            self._close(token)
            return Node(inner.evaluate, inner.text, inner.precedence, inner.constant, inner.tree)
        self._i -= 1
        raise self._unexpected(token)

    def _close(self, opening: Token) -> None:
        token = self._peek()
        if token.kind == "op" and token.text == ")":
            self._take()
            return
        if token.kind == "end":
            raise self._fail(f"the '(' at position {opening.at + 1} is never closed")
        raise self._unexpected(token)

    def _name(self, token: Token) -> Node:
        name = token.text
        if name in VARIABLES:
            self._used.add(name)
            # x is p[0]; y is p[1] when x is used too, else p[0]: known once parsing ends.
            return Node(lambda p: p[self._slots[name]], name, 5, tree=(name,))
        if name in CONSTANTS:
            value = CONSTANTS[name]
            text = "π" if name == "pi" else "e"
            return Node(lambda p, v=value: v, text, 5, value, ("num", value))
        if name in FUNCTIONS:
            opening = self._peek()
            if not (opening.kind == "op" and opening.text == "("):
                raise self._fail(f"the function {name!r} at position {token.at + 1} needs (...)")
            self._take()
            inner = self._sum()
            self._close(opening)
            text = f"|{inner.text}|" if name == "abs" else f"{name}({inner.text})"
            if inner.constant is not None:
                value = elementwise(name, inner.constant)
                return Node(lambda p, v=value: v, text, 5, value, ("num", value))
            ev = inner.evaluate
            return Node(lambda p: elementwise(name, ev(p)), text, 5, tree=(name, inner.tree))
        raise self._unknown(token)

    def _unknown(self, token: Token) -> GdvizError:
        allowed = ", ".join([*VARIABLES, *CONSTANTS, *FUNCTIONS])
        return self._fail(
            f"unknown name {token.text!r} at position {token.at + 1} (allowed: {allowed})"
        )
