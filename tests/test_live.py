"""`Recorder(..., live=True)`: one output area updated in place under a real Jupyter kernel, a
line in a terminal, nothing elsewhere."""

from __future__ import annotations

import sys
import time

import nbclient
import nbformat
import numpy as np
import pytest
import torch
from stand_ins import Terminal

import gdviz
from gdviz.notebook import live
from gdviz.notebook.display import PLAYER_SNAPSHOTS

pytestmark = pytest.mark.slow

LOOP = """
import time, torch, gdviz
x = torch.linspace(-1, 1, 100)
y = 3 * x + 2
m = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([m, b], lr=0.01)
print("before the loop")
rec = gdviz.Recorder({"m": m, "b": b}, optimizer=opt, live=True)
start = time.perf_counter()
while True:  # a loop that trains for four seconds, or on a slow machine until it has updated twice
    seconds = time.perf_counter() - start
    if seconds > 4 and (rec._live.updates >= 2 or seconds > 120):
        break
    opt.zero_grad()
    loss = ((m * x + b - y) ** 2).mean()
    loss.backward()
    rec.record(loss)
    opt.step()
run = rec.to_run(x=x, y=y, model="line", loss="mse")
print("updates", rec._live.updates, "steps", len(rec), "seconds", seconds)
"""


class Counting(nbclient.NotebookClient):
    """Counts the kernel's messages by type as the cells run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def process_message(self, msg, cell, cell_index):
        self.seen.append(msg["msg_type"])
        return super().process_message(msg, cell, cell_index)


def in_kernel(code: str, folder) -> tuple[list, Counting]:
    """Run ``code`` as a notebook's one cell under a real kernel: its outputs, and the client
    that counted the kernel's messages. No error, and the area never wiped (`clear_output`)."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(code))
    client = Counting(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    assert "clear_output" not in client.seen  # never wiped: the print before the loop stays
    return outputs, client


def test_a_live_loop_updates_one_output_area_in_place_and_ends_with_the_animation(tmp_path):
    outputs, client = in_kernel(LOOP, tmp_path)
    text = "".join(o.text for o in outputs if o.output_type == "stream")
    assert text.startswith("before the loop\n")
    updates = int(text.split("updates ")[1].split()[0])
    seconds = float(text.split("seconds ")[1].split()[0])
    displays = [o for o in outputs if o.output_type == "display_data"]
    assert len(displays) == 1  # one area, whatever the number of updates
    # At most three times a second, and only as the loop pays for the drawing: a few updates,
    # each one message updating that area, and the last one the finished animation. (On a
    # loaded machine drawing is slower, so the loop runs on until the budget allows two.)
    assert 2 <= updates <= 3 * seconds + 1
    assert client.seen.count("display_data") == 1
    assert client.seen.count("update_display_data") == updates  # the first update displays
    final = displays[0].data
    # The finished animation: the video where the loop made more snapshots than a notebook's
    # player takes (gdviz.notebook.display.PLAYER_SNAPSHOTS), as four seconds of it do on a
    # quiet machine; the player where a loaded machine ran fewer steps in that time.
    html = final["text/html"]
    if int(text.split("steps ")[1].split()[0]) > PLAYER_SNAPSHOTS:
        assert "<video" in html and "data:video/mp4;base64," in html
    else:
        assert 'data-gdviz="player"' in html and "<video" not in html


LIGHTNING = """
import time, warnings, torch, lightning, gdviz
from torch.utils.data import DataLoader, TensorDataset
warnings.simplefilter("ignore")
x = torch.linspace(-1, 1, 64)
y = 3 * x + 2

class Line(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.line = torch.nn.Linear(1, 1)

    def training_step(self, batch, batch_idx):
        a, b = batch
        return ((self.line(a).squeeze(1) - b) ** 2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)

rec = gdviz.callbacks.Lightning(live=True)

class Enough(lightning.Callback):  # four seconds, or on a slow machine until two updates
    def on_train_batch_end(self, trainer, *args):
        seconds = time.perf_counter() - start
        if seconds > 4 and (rec.steps.recorder._live.updates >= 2 or seconds > 120):
            trainer.should_stop = True

trainer = lightning.Trainer(
    max_epochs=-1, callbacks=[rec, Enough()], logger=False, enable_checkpointing=False,
    enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1,
)
start = time.perf_counter()
trainer.fit(Line(), DataLoader(TensorDataset(x[:, None], y), batch_size=8))
run = rec.to_run()
print("updates", rec.steps.recorder._live.updates, "steps", len(run.loss))
"""


def test_live_inside_lightning_updates_one_output_area_in_place(tmp_path):
    pytest.importorskip("lightning")
    outputs, client = in_kernel(LIGHTNING, tmp_path)
    text = "".join(o.text for o in outputs if o.output_type == "stream")
    updates = int(text.split("updates ")[1].split()[0])
    assert updates >= 2
    assert [o.output_type for o in outputs].count("display_data") == 1  # one area
    assert client.seen.count("display_data") == 1
    assert client.seen.count("update_display_data") == updates
    html = next(o for o in outputs if o.output_type == "display_data").data["text/html"]
    assert "<video" in html or 'data-gdviz="player"' in html  # ends with the animation


def test_a_terminal_gets_one_line_rewritten_a_few_times_a_second():
    shown = live.Live(("m", "b"), file=Terminal())
    assert shown.terminal and not shown.notebook
    loss = np.linspace(10, 1, 100_000)
    start = time.perf_counter()
    steps = 0
    while time.perf_counter() - start < 1.2:
        steps = min(steps + 1, len(loss))
        if time.perf_counter() >= shown.next:
            shown.tick(steps, loss, None)
    text = shown.file.getvalue()
    lines = text.split("\r")[1:]
    assert 2 <= len(lines) <= 1.2 * live.TERMINAL_RATE + 1
    assert lines[-1].startswith(f"gdviz: step {shown_steps(lines[-1]):,}  loss ")
    assert "\n" not in text  # one line, rewritten in place


def shown_steps(line: str) -> int:
    return int(line.split("step ")[1].split()[0].replace(",", ""))


def test_live_outside_a_notebook_or_terminal_costs_nothing_and_changes_nothing():
    m = torch.zeros(1, requires_grad=True)
    rec = gdviz.Recorder({"m": m}, live=True)  # stderr is not a terminal under pytest
    assert rec._live is None
    for _ in range(3):
        loss = ((m - 1) ** 2).sum()
        loss.backward()
        rec.record(loss)
    np.testing.assert_array_equal(rec.to_run().loss, [1.0, 1.0, 1.0])


class Clock:
    """A stand-in for time.perf_counter that moves only when told."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def run_loop(shown, clock, seconds, step_time, draw_time, monkeypatch):
    def slow(*args, **kwargs):  # drawing that takes draw_time of the clock
        clock.now += draw_time

    monkeypatch.setattr(shown, "_line", slow)
    loss = np.ones(int(seconds / step_time) + 2)
    steps = 0
    while clock.now < seconds:
        clock.now += step_time
        steps += 1
        if clock.now >= shown.next:
            shown.tick(steps, loss, None)
    return steps


def test_drawing_never_takes_more_than_its_share_of_the_loop(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(live.time, "perf_counter", clock)
    shown = live.Live(("m", "b"), file=Terminal())
    run_loop(shown, clock, seconds=20.0, step_time=0.001, draw_time=0.05, monkeypatch=monkeypatch)
    # Slow drawing (50 ms) on a fast loop: the budget decides, about 6% of 20 s in 50 ms draws.
    assert shown.drawing <= live.BUDGET * clock.now + 0.05  # of the whole time, drawing included
    assert shown.updates >= 0.8 * live.BUDGET * 20.0 / 0.05


def test_quick_drawing_is_held_to_a_few_updates_a_second(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(live.time, "perf_counter", clock)
    shown = live.Live(("m", "b"), file=Terminal())
    run_loop(shown, clock, seconds=10.0, step_time=0.001, draw_time=1e-5, monkeypatch=monkeypatch)
    assert 0.9 * 10 * live.TERMINAL_RATE <= shown.updates <= 10 * live.TERMINAL_RATE + 1


def test_the_notebook_picture_is_the_loss_so_far_and_the_path(monkeypatch):
    monkeypatch.setattr(live, "_kernel", lambda: object())
    shown = live.Live(("m", "b"))
    monkeypatch.setattr(shown, "_show_png", lambda fig: None)
    loss = np.concatenate([np.geomspace(100.0, 0.5, 3000), np.full(7000, np.nan)])
    params = np.column_stack([np.linspace(0, 3, 3000), np.linspace(1, -2, 3000)])
    shown._draw(3000, loss, params)
    fig, curve, path, point = shown._figure
    xs, ys = curve.get_data()
    assert xs[0] == 0 and xs[-1] == 2999 and len(xs) <= live.POINTS
    np.testing.assert_array_equal(ys, loss[xs])  # the recorded loss, thinned evenly
    assert curve.axes.get_yscale() == "log"  # it spans more than a decade
    lo, hi = curve.axes.get_ylim()
    assert lo < 0.5 and hi > 100.0
    px, py = path.get_data()
    np.testing.assert_array_equal(np.column_stack([px, py])[[0, -1]], params[[0, -1]])
    assert tuple(np.ravel(point.get_data())) == (3.0, -2.0)
    (x0, x1), (y0, y1) = path.axes.get_xlim(), path.axes.get_ylim()
    assert x0 < 0 < 3 < x1 and y0 < -2 < 1 < y1
    assert "step 2,999" in curve.axes.get_title() and "0.5" in curve.axes.get_title()


def test_a_loss_that_reaches_zero_is_drawn_on_a_linear_scale(monkeypatch):
    # A fit that reaches zero loss exactly spans no decades: zero has no place on a log scale.
    monkeypatch.setattr(live, "_kernel", lambda: object())
    shown = live.Live(("m",))
    monkeypatch.setattr(shown, "_show_png", lambda fig: None)
    shown._draw(4, np.array([4.0, 1.0, 0.25, 0.0]), None)
    _, curve, _, _ = shown._figure
    assert curve.axes.get_yscale() == "linear"
    lo, hi = curve.axes.get_ylim()
    assert lo < 0.0 and hi > 4.0


def test_the_terminal_line_ends_with_the_last_step_and_loss(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(live.time, "perf_counter", clock)
    shown = live.Live(("m",), file=Terminal())
    clock.now = 1.0
    shown.tick(10, np.linspace(5, 1, 10), None)
    run = gdviz.Run(np.zeros((30, 1)), np.zeros((30, 1)), np.linspace(5, 0.125, 30), ("m",))
    shown.finish(run)
    text = shown.file.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert text.split("\r")[-1].startswith("gdviz: step 30  loss 0.125  ")


def test_kept_every_k_steps_the_terminal_line_ends_with_every_step_counted(monkeypatch):
    # Recorder(every=10) keeps a snapshot every tenth step and the last (4 of 31), and the loss
    # of every step: the last line counts the steps trained, 31.
    clock = Clock()
    monkeypatch.setattr(live.time, "perf_counter", clock)
    monkeypatch.setattr(sys, "stderr", Terminal())
    m = torch.zeros(1, requires_grad=True)
    rec = gdviz.Recorder({"m": m}, every=10, live=True)
    for _ in range(31):
        clock.now += 0.1
        loss = ((m - 1) ** 2).sum()
        loss.backward()
        rec.record(loss)
        with torch.no_grad():
            m -= 0.1 * m.grad
        m.grad = None
    last = float(loss.detach())
    run = rec.to_run()
    assert len(run.loss) == 4 and len(run.full_loss) == 31
    assert sys.stderr.getvalue().split("\r")[-1].startswith(f"gdviz: step 31  loss {last:.4g}  ")
