"""A user's own model at scale: a network of about a million parameters recorded with Adam.

Each measure runs in a fresh process (peak resident memory from the kernel, ``ru_maxrss``):

- the training step bare and with ``Recorder(optimizer=opt).record(loss)`` (steps interleaved in
  blocks, so a change in the machine's speed hits both alike): the overhead ratio;
- ``to_run`` (the snapshot: no plane asked for): its time, and the peak against the recorder's
  buffers, which it hands over instead of copying;
- ``run.save`` and ``gdviz.load``: time and file size (big arrays are written plain, and as
  float32 where float32 holds them exactly);

each for ``dtype="float64"`` and ``"float32"``. The baseline is the same process without the
measured call (the bare loop; the buffers' own size), never a timed assertion in a test.

    python benchmarks/scale.py [--steps 50] [--width 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, os, resource, sys, time, warnings
import torch
import gdviz
warnings.simplefilter("ignore")
steps, width, dtype, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Tanh(), torch.nn.Linear(width, 1))
x, y = torch.randn(256, width), torch.randn(256)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
rec = gdviz.Recorder(net, optimizer=opt, dtype=dtype)
def step(record):
    opt.zero_grad()
    loss = ((net(x)[:, 0] - y) ** 2).mean()
    loss.backward()
    if record:
        rec.record(loss)
    opt.step()
bare = taken = 0.0
block = 5
for start in range(0, steps, block):  # alternate blocks: a busy machine slows both alike
    for record in ((False, True) if start // block % 2 else (True, False)):
        began = time.perf_counter()
        for _ in range(block):
            step(record)
        spent = time.perf_counter() - began
        bare, taken = (bare + spent, taken) if not record else (bare, taken + spent)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter(); run = rec.to_run(); to_run = time.perf_counter() - began
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter(); run.save(path); save = time.perf_counter() - began
size = os.path.getsize(path)
del run, rec
began = time.perf_counter(); back = gdviz.load(path); back.grads; back.state["exp_avg"]
load = time.perf_counter() - began
print(json.dumps({"params": sum(p.numel() for p in net.parameters()), "bare": bare / steps,
                  "record": taken / steps, "to_run": to_run, "rss_before": before * 1024,
                  "rss_after": after * 1024, "save": save, "size": size, "load": load}))
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
        print(f"  recorded rows (params, grads, 3 state arrays): {kept / 1e9:.2f} GB")
        print(f"  to_run {m['to_run']:.2f} s; peak {m['rss_before'] / 1e9:.2f} GB before, "
              f"{m['rss_after'] / 1e9:.2f} GB after (x{m['rss_after'] / m['rss_before']:.2f})")  # fmt: skip
        print(f"  save {m['save']:.1f} s, {m['size'] / 1e9:.2f} GB; load (all arrays) "
              f"{m['load']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
