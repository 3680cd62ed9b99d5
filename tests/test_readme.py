"""The README's Python examples run as written and write what they say: each block that needs
nothing of the reader's own (a framework's Trainer, a DataLoader, a process group) runs, in
order, in one namespace, as a reader pasting them would; the one warning they give is the
one the README shows on purpose."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import imageio.v3 as iio
import pytest
from matplotlib.figure import Figure

README = Path(__file__).resolve().parent.parent / "README.md"
READERS_OWN = ("lightning", "transformers", "skorch", "loader", "torch.distributed")


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
def test_the_readmes_examples_run_and_write_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runnable = [b for b in blocks() if not any(name in b for name in READERS_OWN)]
    assert len(runnable) >= 7  # the blocks before the frameworks' section
    namespace: dict = {}
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        for block in runnable:
            exec(compile(block, str(README), "exec"), namespace)
    for fig in [v for v in namespace.values() if isinstance(v, Figure)]:
        fig.clf()
    messages = [str(w.message) for w in said if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and messages[0].startswith("gd, lr 1: the loss did not fall")
    written = {p.name for p in tmp_path.iterdir()}
    named = set(re.findall(r"\"([\w-]+\.(?:gif|mp4|pdf|png|npz))\"", "\n".join(runnable)))
    assert named <= written, f"said and not written: {sorted(named - written)}"
    for name in sorted(named):
        path = tmp_path / name
        if path.suffix in (".gif", ".mp4"):
            assert len(iio.imread(path, index=None)) > 10, name  # an animation, frames many
        elif path.suffix == ".pdf":
            assert path.read_bytes().startswith(b"%PDF"), name
        elif path.suffix == ".png":
            assert iio.imread(path).ndim == 3, name
