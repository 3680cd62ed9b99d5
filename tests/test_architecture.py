"""The layers: one way down, no pyplot in the library, no torch below training."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gdviz"

# The packages, lowest first: a module imports only from its own package or lower ones.
LAYERS = {
    "errors": 0,
    "system": 1,  # files written whole, free memory, progress, interrupts
    "problems": 2,  # data, models and losses, test functions, formulas, optimisers, schedules
    "run": 3,  # Run and its file, frames, planes, convergence, scaling
    "training": 4,  # the only one that imports torch
    "callbacks": 4.5,  # the frameworks' callbacks, lent by name from training/callbacks
    "views": 5,
    "animation": 6,
    "export": 7,
    "notebook": 8,
    "cli": 9,
}
# The few calls up the layers, each lazy (inside a function) and declared here by name.
UPWARD = {
    ("training/recorder.py", "gdviz.notebook.live"),  # Recorder(live=True) shows its loop
    ("animation/animation.py", "gdviz.export"),  # Animation.save
    ("animation/animation.py", "gdviz.notebook.display"),  # Animation._repr_html_
}
TORCH = {"training"}
TRAINS = {"training", "cli"}  # what may import the training layer: drawing never trains


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts == ("__init__",):
            continue
        yield path, parts[0]


def imported(path: Path) -> list[tuple[str, bool]]:
    """Every module ``path`` imports, and whether at its top level (when it is imported)."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # a module of a package is named whole
                name = f"{node.module}.{alias.name}"
                module = name.startswith("gdviz.") and _is_module(name)
                names.append((name if module else node.module, id(node) in top))
    return names


def _is_module(name: str) -> bool:
    where = PACKAGE.joinpath(*name.split(".")[1:])
    return where.with_suffix(".py").exists() or (where / "__init__.py").exists()


def test_every_module_is_in_a_layer_and_gdviz_shows_them():
    assert {top for _, top in modules()} <= set(LAYERS)
    beside = {p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", "."))}
    assert beside == {"errors.py", *(name for name in LAYERS if name != "errors")}


@pytest.mark.parametrize(("path", "top"), list(modules()), ids=lambda v: getattr(v, "name", v))
def test_imports_go_one_way_down(path, top):
    where = path.relative_to(PACKAGE).as_posix()
    for name, at_top in imported(path):
        assert not name.startswith("matplotlib.pyplot"), where
        assert not name.startswith(("torch._", "matplotlib._")), f"{where} imports {name}"
        assert name != "gdviz", f"{where} imports gdviz itself: import what it needs by name"
        if name.startswith("gdviz."):
            target = name.split(".")[1]
            if LAYERS[target] > LAYERS[top]:
                declared = any(
                    where == w and (name == n or name.startswith(n + ".")) for w, n in UPWARD
                )
                assert declared and not at_top, f"{where} imports {name}, a layer above"
            if target == "training":
                assert top in TRAINS, f"{where} imports {name}: only the command line trains"
        if top not in TORCH:
            assert name.split(".")[0] != "torch", f"{where} imports torch"


def test_the_declared_ways_up_are_still_there():
    # A declaration that no longer matches an import hides nothing, but it says something false.
    for where, name in UPWARD:
        assert any(n == name or n.startswith(name + ".") for n, _ in imported(PACKAGE / where))


def test_the_import_graph_has_no_cycle_at_import_time():
    graph = {}
    for path, _ in modules():
        module = "gdviz." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        graph[module] = {
            n for n, top in imported(path) if top and n.startswith("gdviz.") and n != module
        }  # (a package importing its own modules names itself)
    seen, done = set(), set()

    def visit(module, trail):
        if module in done or module not in graph:
            return
        assert module not in seen, " -> ".join([*trail, module])
        seen.add(module)
        for target in graph[module]:
            visit(target, [*trail, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_importing_gdviz_and_its_help_load_neither_torch_nor_matplotlib():
    code = (
        "import sys, gdviz\n"
        "from gdviz.cli import launch\n"
        "sys.argv = ['gdviz', 'animate', '--help']\n"
        "try:\n"
        "    launch.main()\n"
        "finally:\n"
        "    print([m for m in ('torch', 'matplotlib') if m in sys.modules], file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Usage" in out.stdout and out.stderr.strip().endswith("[]"), out.stderr


def test_rendering_a_saved_run_loads_neither_torch_nor_pyplot(tmp_path):
    import gdviz

    gdviz.train("synthetic", steps=3).save(tmp_path / "r.npz")
    code = (
        "import sys, gdviz\n"
        f"anim = gdviz.animate(gdviz.load({str(tmp_path / 'r.npz')!r}), view='fit')\n"
        "anim.last_frame()\n"
        "import gdviz.views, gdviz.export, gdviz.notebook.display\n"
        "print([m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_and_the_views_read_one_table_of_names():
    from gdviz.cli import commands, options
    from gdviz.views import names, registry

    assert options.SHOWN is names.SHOWN and registry.NAMES is names.NAMES
    view = next(p for p in commands.animate.params if p.name == "view")
    assert tuple(view.type.choices) == names.NAMES
    assert [names.drawn_on(s) for s in ((), ("internals",), ("curvature",))] == [
        None,
        "contour",
        "loss",
    ]
    assert names.drawn_on(("curvature", "internals")) == "dashboard"
