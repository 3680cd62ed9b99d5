"""The recorder's storage: preallocated rows of parameters, gradients, the optimiser's state
and rates, and the loss of every call, grown by doubling.

They are numpy arrays because indexing and assigning into a torch tensor costs microseconds a
call, as much as a whole small training step (``benchmarks/recording.py``); preallocated and
doubled when full, one copy per tensor per step and no per-step Python lists (lists of clones
cost about twice as much, measured).
"""

from __future__ import annotations

import numpy as np

from gdviz.errors import GdvizError


class Rows:
    """Rows for ``width`` recorded numbers kept as ``dtype``, one row per kept call.

    Every call writes the row after the kept ones (``kept``), and the calls that are kept (each
    ``every``-th) move on: so the latest call is always at hand, kept or not, for the run's last
    snapshot. ``loss`` holds the loss of every call (``n`` of them).
    """

    def __init__(self, width: int, dtype: np.dtype, every: int):
        self.width, self.dtype, self.every = width, dtype, every
        self.n = 0  # calls of record: training steps
        self.kept = 0  # snapshots kept: rows of the buffers
        self.params = np.empty((0, width), dtype)
        self.grads = np.empty((0, width), dtype)
        self.steps = np.empty(0, dtype=np.int64)
        self.loss = np.empty(0)
        self.state: dict[str, np.ndarray] = {}  # torch's name -> (rows, width), made when seen
        self.rates: np.ndarray | None = None  # the rate at each row, once an optimiser is known
        self.lent = False  # the buffers belong to a run handed out: the next call copies them

    def keep_rates(self) -> None:
        self.rates = np.full(len(self.params), np.nan)

    def reserve(self, steps: int) -> None:
        """Make room for ``steps`` calls (the buffers also grow on their own)."""
        rows = -(-steps // self.every) + 1  # the kept snapshots, and the last one
        if rows > len(self.params):
            self.grow(rows)
        if steps > len(self.loss):
            loss = np.empty(steps)
            loss[: self.n] = self.loss[: self.n]
            self.loss = loss

    def grow(self, capacity: int) -> None:
        """Rows for ``capacity`` kept calls, what was written kept."""
        try:
            params = np.empty((capacity, self.width), self.dtype)
            grads = np.zeros((capacity, self.width), self.dtype)
            steps = np.empty(capacity, dtype=np.int64)
        except MemoryError:
            need = 2 * capacity * self.width * self.dtype.itemsize
            raise GdvizError(
                f"recording {capacity:,} snapshots of {self.width:,} numbers needs "
                f"{need / 1e9:.1f} GB of memory, more than is free: keep every k-th snapshot "
                "(Recorder(every=k)) or use dtype='float32'"
            ) from None
        rows = min(self.kept + 1, len(self.params))  # the kept ones, and the latest call
        params[:rows] = self.params[:rows]
        grads[:rows] = self.grads[:rows]
        steps[:rows] = self.steps[:rows]
        self.params, self.grads, self.steps = params, grads, steps
        for name, old in self.state.items():
            self.state[name] = self._state_buffer(capacity)
            self.state[name][:rows] = old[:rows]
        if self.rates is not None:
            rates = np.full(capacity, np.nan)
            rates[:rows] = self.rates[:rows]
            self.rates = rates

    def lend(self, rows: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """The first ``rows`` rows of parameters, gradients and state as float64, for a run.
        Kept as float64 they are the buffers themselves, no copy (a million parameters over
        200 steps is gigabytes an array): the run owns them, and the next call to `next_row`
        copies them into buffers of the recorder's own. Kept as float32, they are converted."""
        if self.dtype == np.float64:
            self.lent = True
            state = {k: v[:rows] for k, v in self.state.items()}
            return self.params[:rows], self.grads[:rows], state
        state = {k: v[:rows].astype(np.float64) for k, v in self.state.items()}
        return self.params[:rows].astype(np.float64), self.grads[:rows].astype(np.float64), state

    def next_row(self) -> int:
        """The row the next call writes, and room after it; the loss's room for that call."""
        if self.lent:  # recording goes on after a run was handed out: buffers of its own
            self.lent = False
            self.grow(len(self.params))
        i = self.n
        if i == len(self.loss):
            grown = np.empty(2 * i)
            grown[:i] = self.loss
            self.loss = grown
        if self.kept + 1 >= len(self.params):
            self.grow(2 * len(self.params))
        return self.kept

    def last_row(self) -> int:
        """The row the latest call wrote: the last kept one if it was kept, else the one after."""
        return self.kept - 1 if (self.n - 1) % self.every == 0 else self.kept

    def drop_last(self) -> None:
        """Forget the latest call, as if it had not been made."""
        if (self.n - 1) % self.every == 0:
            self.kept -= 1
        self.n -= 1

    def state_of(self, name: str) -> np.ndarray:
        """The rows of the optimiser's state ``name``, made (zero) when first seen."""
        buffer = self.state.get(name)
        if buffer is None:
            buffer = self.state[name] = self._state_buffer(len(self.params))
        return buffer

    def _state_buffer(self, capacity: int) -> np.ndarray:
        try:
            return np.zeros((capacity, self.width), self.dtype)
        except MemoryError:
            raise GdvizError(
                f"recording the optimiser's state for {capacity:,} snapshots of "
                f"{self.width:,} numbers needs more memory than is free: keep every "
                "k-th snapshot (Recorder(every=k))"
            ) from None
