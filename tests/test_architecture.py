"""The layers: one way down, no pyplot in the library, no torch below training."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gdviz"

# Each module's layer; a module may import only from its own layer or lower ones.
LAYERS = {
    "errors": 0,
    "files": 0,
    "run": 0,
    "data": 0,
    "formulas": 0,
    "functions": 0,
    "optimizers": 0,
    "frames": 0,
    "plane": 0,
    "expression": 0,
    "progress": 0,
    "schedules": 0,
    "scaling": 0,
    "convergence": 0,
    "runfile": 0,
    "sizes": 0,
    "exits": 0,
    "training": 1,
    "recorder": 1,
    "landscape": 1,
    "curvature": 1,
    "live": 1,
    "predictions": 1,
    "networks": 1,
    "races": 1,
    "views": 2,
    "animation": 3,
    "overlay": 3,
    "export": 3,
    "notebook": 3,
    "gallery": 3,
    "cli": 4,
    "options": 4,
    "launch": 5,
}
TORCH_FREE = {
    "errors",
    "files",
    "run",
    "data",
    "formulas",
    "functions",
    "optimizers",
    "plane",
    "frames",
    "expression",
    "progress",
    "schedules",
    "scaling",
    "convergence",
    "runfile",
    "sizes",
    "exits",
    "live",
    "views",
    "animation",
    "overlay",
    "export",
    "notebook",
    "gallery",
}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts == ("__init__",):
            continue
        yield path, parts[0]


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_module_has_a_layer():
    assert {top for _, top in modules()} <= set(LAYERS)


@pytest.mark.parametrize(("path", "top"), list(modules()), ids=lambda v: getattr(v, "name", v))
def test_imports_go_one_way_down(path, top):
    for name in imported(path):
        assert name != "matplotlib.pyplot" and not name.startswith("matplotlib.pyplot"), path.name
        if name.startswith("gdviz."):
            target = name.split(".")[1]
            assert LAYERS[target] <= LAYERS[top], f"{path.relative_to(PACKAGE)} imports {name}"
        if top in TORCH_FREE:
            assert name.split(".")[0] != "torch", f"{path.relative_to(PACKAGE)} imports torch"


def test_rendering_a_saved_run_loads_neither_torch_nor_pyplot(tmp_path):
    import gdviz

    gdviz.train("synthetic", steps=3).save(tmp_path / "r.npz")
    code = (
        "import sys, gdviz\n"
        f"anim = gdviz.animate(gdviz.load({str(tmp_path / 'r.npz')!r}), view='fit')\n"
        "anim.last_frame()\n"
        "import gdviz.views, gdviz.export, gdviz.notebook\n"
        "print([m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_names_what_the_views_can_show():
    from gdviz.options import SHOWN
    from gdviz.views import SHOWN as DRAWN

    assert SHOWN == DRAWN
