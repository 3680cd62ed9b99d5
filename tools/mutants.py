"""Mutation testing: small deliberate bugs put into gdviz one at a time; do the tests notice?

For each module named, every place where an operator, a comparison, a number or a boolean
could plausibly be wrong is found by walking the module's syntax tree; a seeded sample of
those places is mutated one at a time (``+`` for ``-``, ``<`` for ``<=``, ``0`` for ``1``,
``and`` for ``or``, ``True`` for ``False``, a ``not`` dropped), the module written back, and
the tests that cover it run with ``-x``. A mutant is killed when the tests fail. The module is
always restored. Prints each survivor and the share killed.

    python tools/mutants.py [--per-module 12] [--seed 0] [MODULE ...]
"""

from __future__ import annotations

import argparse
import ast
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]

# The modules, and the tests that should catch a bug in each.
TARGETS = {
    "gdviz/run/frames.py": ["tests/test_caught.py", "tests/test_views.py"],
    "gdviz/run/plane.py": ["tests/test_own_problem.py", "tests/test_views.py"],
    "gdviz/problems/expression.py": ["tests/test_expression.py"],
    "gdviz/run/convergence.py": ["tests/test_real_training.py"],
    "gdviz/run/scaling.py": ["tests/test_real_training.py"],
    "gdviz/problems/formulas.py": ["tests/test_train.py", "tests/test_views.py"],
    "gdviz/problems/optimizers.py": ["tests/test_train.py", "tests/test_caught.py"],
    "gdviz/problems/data.py": ["tests/test_data.py", "tests/test_own_problem.py"],
    "gdviz/run/runfile.py": ["tests/test_run_file.py", "tests/test_hostile.py"],
    "gdviz/system/files.py": ["tests/test_export.py", "tests/test_cli.py"],
    "gdviz/problems/schedules.py": ["tests/test_real_training.py"],
    "gdviz/views/surface.py": ["tests/test_views.py"],
    "gdviz/training/curvature.py": ["tests/test_internals.py"],
    "gdviz/views/internals.py": ["tests/test_internals.py"],
    "gdviz/export/page.py": ["tests/test_page.py"],
    "gdviz/notebook/live.py": ["tests/test_live.py"],
    # Wave 3: the network's plane, the framework callbacks, and the pictures without collisions.
    "gdviz/training/landscape/evaluate.py": ["tests/test_landscapes.py", "tests/test_private.py"],
    "gdviz/training/landscape/grid.py": ["tests/test_landscapes.py", "tests/test_own_problem.py"],
    "gdviz/training/landscape/mean.py": ["tests/test_landscapes.py", "tests/test_hostile.py"],
    "gdviz/training/landscape/schedule.py": ["tests/test_beyond_one_process.py"],
    "gdviz/training/landscape/solutions.py": ["tests/test_landscapes.py"],
    "gdviz/training/landscape/data.py": ["tests/test_landscapes.py"],
    "gdviz/training/callbacks/steps.py": ["tests/test_steps.py", "tests/test_callbacks.py"],
    "gdviz/training/callbacks/lightning.py": ["tests/test_callbacks.py"],
    "gdviz/training/callbacks/transformers.py": ["tests/test_callbacks.py"],
    "gdviz/training/callbacks/skorch.py": ["tests/test_callbacks.py"],
    "gdviz/views/legends.py": ["tests/test_legends.py"],
    "gdviz/views/ticks.py": ["tests/test_ticks.py"],
    "gdviz/views/tracks.py": ["tests/test_tracks.py"],
    "gdviz/views/surface3d.py": ["tests/test_surface3d.py"],
    "gdviz/export/vector.py": ["tests/test_vector.py", "tests/test_export.py"],
    "gdviz/export/gif.py": ["tests/test_export.py", "tests/test_weight.py"],
    "gdviz/animation/overlay.py": ["tests/test_fast.py"],
}

SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.And: ast.Or,
    ast.Or: ast.And,
}


def sites(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every (node, what) that a mutation can change, skipping docstrings."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
            found.append((node, "op"))
        elif isinstance(node, ast.BoolOp) and type(node.op) in SWAPS:
            found.append((node, "op"))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPS:
            found.append((node, "compare"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((node, "not"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            found.append((node, "constant"))
    return found


def mutate(node: ast.AST, what: str) -> str:
    """Change ``node`` in place; say how."""
    if what == "op":
        old = type(node.op)
        node.op = SWAPS[old]()
        return f"{old.__name__} -> {type(node.op).__name__}"
    if what == "compare":
        old = type(node.ops[0])
        node.ops[0] = SWAPS[old]()
        return f"{old.__name__} -> {type(node.ops[0]).__name__}"
    if what == "not":
        node.op = ast.UAdd()  # `not x` becomes `+x`: truthiness flips back
        return "not dropped"
    value = node.value
    if isinstance(value, bool):
        node.value = not value
    elif value == 0:
        node.value = type(value)(1)
    elif value == 1:
        node.value = type(value)(0)
    else:
        node.value = value * 2
    return f"{value!r} -> {node.value!r}"


class Restored(ast.NodeTransformer):
    """Finishes the "not dropped" mutation: the marker ``+x`` left by `mutate` becomes ``x``."""

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.UAdd) and not isinstance(node.operand, ast.Constant):
            return node.operand
        return node


def run_tests(tests: list[str]) -> bool:
    try:
        done = subprocess.run([*PYTEST, *tests], cwd=ROOT, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        return False  # a hang counts as caught: the tests did not pass
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TARGETS))
    parser.add_argument("--per-module", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    killed = total = 0
    started = time.monotonic()
    for module in args.modules:
        path = ROOT / module
        original = path.read_text()
        count = len(sites(ast.parse(original)))
        chosen = sorted(rng.sample(range(count), min(args.per_module, count)))
        module_killed = 0
        for index in chosen:
            tree = ast.parse(original)
            node, what = sites(tree)[index]
            how = mutate(node, what)
            line = getattr(node, "lineno", "?")
            try:
                path.write_text(ast.unparse(Restored().visit(tree)))
                caught = not run_tests(TARGETS[module])
            finally:
                path.write_text(original)
            module_killed += caught
            if not caught:
                print(f"  survived: {module}:{line} {how}", flush=True)
        killed += module_killed
        total += len(chosen)
        print(f"{module}: {module_killed} of {len(chosen)} killed ({count} sites)", flush=True)
    print(
        f"killed {killed} of {total} mutants ({killed / max(total, 1):.0%}) in "
        f"{(time.monotonic() - started) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
