"""A user's own model at scale: a network of about a million parameters recorded with Adam.

Each dtype runs in a fresh process (Linux: peak resident memory from the kernel, ``VmHWM``,
started again before ``to_run``):

- the training step bare, with ``Recorder(optimizer=opt).record(loss)``, and with a hand-written
  loop copying the same five rows (values, gradients, Adam's three) into preallocated numpy
  arrays: the least a recording can cost, as its bytes must be written into fresh memory (steps
  taken in turns of blocks, so a change in the machine's speed hits all three alike): the
  overhead ratio against the bare step and against the hand-written copy;
- ``to_run`` (the snapshot: no plane asked for): its time, and the peak against the recorder's
  buffers, which it hands over instead of copying;
- ``run.save`` and ``gdviz.load``: time and file size (big arrays are written plain, and as
  float32 where float32 holds them exactly);

each for ``dtype="float64"`` and ``"float32"``. The baseline is the same process without the
measured call (the bare loop, the hand-written copy; the buffers' own size), never a timed assertion in a test.

    python benchmarks/scale.py [--steps 50] [--width 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, os, sys, time, warnings
import torch
import gdviz
warnings.simplefilter("ignore")
steps, width, dtype, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Tanh(), torch.nn.Linear(width, 1))
x, y = torch.randn(256, width), torch.randn(256)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
rec = gdviz.Recorder(net, optimizer=opt, dtype=dtype)
import numpy as np
columns = sum(p.numel() for p in net.parameters())
hand = np.empty((5, steps, columns), dtype)  # the same rows, kept by a hand-written loop
row = 0
def by_hand():  # what the recording costs at the least: its bytes written into fresh memory
    global row
    start = 0
    for p in net.parameters():
        part, start = slice(start, start + p.numel()), start + p.numel()
        hand[0, row, part] = p.detach().numpy().ravel()
        hand[1, row, part] = p.grad.numpy().ravel()
        state = opt.state[p]
        if state:
            hand[2, row, part] = state["exp_avg"].numpy().ravel()
            hand[3, row, part] = state["exp_avg_sq"].numpy().ravel()
            hand[4, row, part] = float(state["step"])
    row += 1
def step(how):
    opt.zero_grad()
    loss = ((net(x)[:, 0] - y) ** 2).mean()
    loss.backward()
    if how == "record":
        rec.record(loss)
    elif how == "hand":
        by_hand()
    opt.step()
spent = {"bare": 0.0, "record": 0.0, "hand": 0.0}
block = 5
order = ("bare", "record", "hand")
for start in range(0, steps, block):  # take turns in blocks: a busy machine slows all alike
    turn = start // block % 3
    for how in order[turn:] + order[:turn]:
        began = time.perf_counter()
        for _ in range(min(block, steps - start)):  # steps in all, whatever the remainder
            step(how)
        spent[how] += time.perf_counter() - began
del hand
def peak():  # the kernel's peak resident memory of this process, in bytes
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM"))
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak so far was the hand-written rows': start it again from now
before = peak()
began = time.perf_counter(); run = rec.to_run(); to_run = time.perf_counter() - began
after = peak()
began = time.perf_counter(); run.save(path); save = time.perf_counter() - began
size = os.path.getsize(path)
del run, rec
began = time.perf_counter(); back = gdviz.load(path); back.grads; back.state["exp_avg"]
load = time.perf_counter() - began
print(json.dumps({"params": sum(p.numel() for p in net.parameters()), "bare": spent["bare"] / steps,
                  "record": spent["record"] / steps, "hand": spent["hand"] / steps,
                  "to_run": to_run, "rss_before": before, "rss_after": after, "save": save, "size": size, "load": load}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    print(f"Linear({args.width}, {args.width}), tanh, Linear({args.width}, 1); Adam; "
          f"{args.steps} steps recorded")  # fmt: skip
    for dtype in ("float64", "float32"):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.steps), str(args.width), dtype,
                 f"{folder}/run.npz"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        m = json.loads(out.stdout.strip().splitlines()[-1])
        kept = 5 * args.steps * m["params"] * (8 if dtype == "float64" else 4)  # 5 arrays a row
        print(f"\n{dtype}: {m['params']:,} parameters")
        print(f"  step bare {m['bare'] * 1e3:.0f} ms, with record() {m['record'] * 1e3:.0f} ms: "
              f"overhead ratio {m['record'] / m['bare']:.2f}")  # fmt: skip
        print(f"  the same rows copied by a hand-written loop into fresh numpy arrays: "
              f"{m['hand'] * 1e3:.0f} ms; record() against it {m['record'] / m['hand']:.2f}x")  # fmt: skip
        print(f"  recorded rows (params, grads, 3 state arrays): {kept / 1e9:.2f} GB")
        print(f"  to_run {m['to_run']:.2f} s; peak {m['rss_before'] / 1e9:.2f} GB before, "
              f"{m['rss_after'] / 1e9:.2f} GB after (x{m['rss_after'] / m['rss_before']:.2f})")  # fmt: skip
        print(f"  save {m['save']:.1f} s, {m['size'] / 1e9:.2f} GB; load (all arrays) "
              f"{m['load']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
