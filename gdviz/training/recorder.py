"""`Recorder`: copies parameters, gradients and loss out of any training loop into a `Run`."""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from gdviz.errors import GdvizError, flag, one_of, warn, whole
from gdviz.problems.formulas import LOSSES, MODELS
from gdviz.run.plane import KINDS as PLANES
from gdviz.run.plane import check_box
from gdviz.run.record import Run
from gdviz.system.files import available_memory
from gdviz.training.landscape import FlatModule
from gdviz.training.landscape.knobs import Knobs
from gdviz.training.landscape.mean import chosen_loss
from gdviz.training.networks import element_names, loss_name
from gdviz.training.rows import Rows
from gdviz.training.store import describe_module


class Recorder:
    """Records a snapshot of parameters, gradients and loss each time `record` is called.

    Parameters
    ----------
    params : dict of str to Tensor, torch.nn.Module, or list of Tensor
        The tensors to watch. A dict names them; a module's parameters keep their own names;
        a list is named ``p0, p1, ...`` unless ``names`` says otherwise.
    names : sequence of str, optional
        One name per recorded number, overriding the derived names.
    every : int
        Keep the parameters and gradients of every ``every``-th call (and of the last); the
        loss of every call is kept in ``run.full_loss``, and ``run.step`` says which step each
        snapshot is. For long runs of models with many parameters.
    dtype : {"float64", "float32"}
        What parameters and gradients are kept as while recording: float32 halves the memory.
    optimizer : torch.optim.Optimizer or a list of them, optional
        The optimiser that updates the tensors (or those that share them out: Muon and
        AdamW). Each snapshot then also copies the state it keeps per parameter, under torch's own names (``momentum_buffer``, ``exp_avg``,
        ``exp_avg_sq``, ``step``, ...), into ``run.state``: the state as the loop holds it when
        `record` is called, left by the updates before (zero before the first), so the state
        the update after snapshot ``t`` made is ``run.state[name][t + 1]``. Its learning rate at
        each snapshot goes into ``run.lr``, and its settings into ``run.meta["torch_optimizer"]``.
    live : bool
        Show the run as it trains (`gdviz.notebook.live`): in a notebook, the loss curve (and the path of
        two recorded numbers) in one output area updated in place a few times a second, which
        `to_run` ends with the finished animation; in a terminal, a line with the step and the
        loss. Drawing is rationed to 5% of the loop's time.

    Examples
    --------
    >>> rec = gdviz.Recorder({"m": m, "b": b})
    >>> for i in range(100):
    ...     loss = ((m * x + b - y) ** 2).mean()
    ...     loss.backward()
    ...     rec.record(loss)
    ...     with torch.no_grad():
    ...         m -= 0.1 * m.grad; b -= 0.1 * b.grad
    ...     m.grad = None; b.grad = None
    >>> run = rec.to_run(x=x, y=y, model="line")
    """

    def __init__(
        self,
        params,
        *,
        names: Sequence[str] | None = None,
        every: int = 1,
        dtype: str = "float64",
        optimizer: torch.optim.Optimizer | None = None,
        live: bool = False,
    ):
        self._module = params if isinstance(params, torch.nn.Module) else None
        if isinstance(params, torch.nn.Module):
            named = list(params.named_parameters())
        elif isinstance(params, Mapping):
            named = list(params.items())
        elif isinstance(params, torch.Tensor):
            named = [("p0", params)]
        elif isinstance(params, (list, tuple)):
            named = [(f"p{i}", t) for i, t in enumerate(params)]
        else:
            raise GdvizError(
                "a Recorder watches tensors: a dict of them by name, a torch.nn.Module or a "
                f"list, not {type(params).__name__}"
            )
        if not named:
            raise GdvizError("a Recorder needs at least one tensor to watch")
        for name, t in named:
            _check_tensor(name, t)
        if sum(t.numel() for _, t in named) == 0:
            raise GdvizError("a Recorder needs at least one number to watch: the tensors are empty")
        every = whole(every, "every", minimum=1)
        kept_as = _dtype(dtype)
        self._tensors = [t for _, t in named]
        # Where each of a module's tensors lives, to follow one the loop replaces (a new
        # Parameter assigned to the layer) instead of recording the stale one.
        self._homes = None
        if self._module is not None:
            self._homes = [_home(self._module, name) for name, _ in named]
        derived = [n for name, t in named for n in element_names(name, t)]
        if names is not None and len(names) != len(derived):
            raise GdvizError(f"{len(names)} names given for {len(derived)} recorded numbers")
        self.param_names = tuple(names) if names is not None else tuple(derived)
        self.every = int(every)
        self.dtype = kept_as
        self._scalars = all(t.numel() == 1 for t in self._tensors)
        offsets = np.cumsum([0] + [t.numel() for t in self._tensors])
        self._slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(offsets)]
        self._rows = Rows(len(self.param_names), self.dtype, self.every)
        self._optimizer = None
        self._paired: list = []  # optimisers that share the parameters with the first
        live = flag(live, "live")
        self._live = None
        # A framework's callback records each step before its loss is known, and fills it in
        # later: it shows the live view then (`_tick`), not at the record, where the loss is nan.
        self._loss_later = False
        if live:
            from gdviz.notebook.live import Live

            shown = Live(self.param_names)
            self._live = shown if shown.active else None
        # Room to start with, grown by doubling: about 64M numbers at most (lazily mapped).
        self._rows.reserve(min(1024, max(16, 2**26 // max(len(self.param_names), 1))))
        if optimizer is not None:
            self.watch(optimizer)

    def watch(self, optimizer) -> None:
        """Copy ``optimizer``'s per-parameter state and learning rate at each snapshot from now.

        A list of optimisers that share the parameters out (Muon for the weight matrices and
        AdamW for the rest, as torch documents Muon) is watched as one: each parameter's state
        from the optimiser that updates it, the rate from the first, and the others' settings
        in ``run.meta["torch_optimizer"]["paired"]``."""
        several = isinstance(optimizer, (list, tuple))
        optimizers = list(optimizer) if several else [optimizer]
        for opt in optimizers:
            if not isinstance(opt, torch.optim.Optimizer):
                raise GdvizError(
                    f"optimizer must be a torch.optim optimiser (or a list of them), not "
                    f"{type(opt).__name__}"
                )
        if not optimizers:
            raise GdvizError("optimizer is an empty list: give the loop's torch.optim optimiser")
        updated = {id(p) for o in optimizers for group in o.param_groups for p in group["params"]}
        if not any(id(t) in updated for t in self._tensors):
            raise GdvizError(
                f"the {' and '.join(type(o).__name__ for o in optimizers)} optimiser updates "
                "none of the recorded tensors: pass it the same ones (e.g. model.parameters() "
                "of the recorded model)"
            )
        if self._rows.n:
            raise GdvizError(
                "watch the optimiser before the first record, so every snapshot has its state"
            )
        self._optimizer = optimizers[0]
        self._paired = optimizers[1:]
        self._rows.keep_rates()

    @property
    def itemsize(self) -> int:
        """Bytes a recorded number takes."""
        return self.dtype.itemsize

    def reserve(
        self, steps: int, *, state: int | None = None, copied: bool = False, cure: str = ""
    ) -> None:
        """Make room for ``steps`` calls of `record` (the buffers also grow on their own),
        refusing up front, with the size, a recording that will not fit in memory: the
        buffers of parameters, gradients and ``state`` arrays of the optimiser's (default:
        Adam's three where an optimiser is watched), the run's float64 copy of them where
        ``copied``, and the loss of every call. ``cure`` says what to do, in the caller's
        words."""
        steps = whole(steps, "steps", minimum=1)
        if state is None:
            state = 3 if self._optimizer is not None else 0
        cure = cure or "keep every k-th snapshot (Recorder(every=k)), or dtype='float32'"
        rows = -(-steps // self.every) + 1
        width = len(self.param_names)
        each = self.itemsize + (8 if copied else 0)
        need = rows * width * (2 + state) * each + steps * 8
        free = available_memory()
        if free is not None and need > 0.8 * free:
            raise GdvizError(
                f"recording {steps:,} steps of {width:,} numbers needs about "
                f"{need / 1e9:.1f} GB, and {free / 1e9:.1f} GB of memory is free: {cure}"
            )
        self._rows.reserve(steps)

    def _record_state(self, row: int) -> None:
        """Copy the optimiser's per-parameter state into ``row``: each tensor of a parameter's
        size, and each single number (such as ``step``) spread over the parameter's columns."""
        opt, rows = self._optimizer, self._rows
        rows.rates[row] = _rate(opt)
        for t, s in zip(self._tensors, self._slices):
            entry = opt.state.get(t)
            for other in self._paired:  # the optimiser of the pair that updates t
                entry = entry or other.state.get(t)
            if not entry:
                continue
            for name, value in entry.items():
                if not isinstance(value, torch.Tensor):
                    continue
                if value.numel() != 1 and value.numel() != s.stop - s.start:
                    continue  # a state of another shape (none of torch's own has one)
                rows.state_of(name)[row, s] = _flat(value)

    def _follow(self) -> None:
        """Watch the tensor each of the module's places holds now: a layer given a new
        Parameter of the same shape is followed; one of another shape is refused."""
        for i, (layer, leaf) in enumerate(self._homes):
            now = getattr(layer, leaf)
            if now is self._tensors[i]:
                continue
            if not isinstance(now, torch.Tensor) or now.shape != self._tensors[i].shape:
                raise GdvizError(
                    f"the model's {leaf!r} was replaced by a {type(now).__name__} of another "
                    "shape while recording: a Recorder records tensors of fixed sizes"
                )
            _check_tensor(leaf, now)
            self._tensors[i] = now

    def __len__(self) -> int:
        return self._rows.n

    def record(self, loss) -> float:
        """Copy the current parameters, their ``.grad`` and ``loss``; return the loss as a float."""
        if self._homes is not None:
            self._follow()
        rows = self._rows
        i = rows.n
        row = rows.next_row()
        value = loss.item() if isinstance(loss, torch.Tensor) else float(loss)
        rows.loss[i] = value
        if self._scalars:  # the tutorials' m and b: a float each, no tensor copied at all
            rows.params[row] = [t.item() for t in self._tensors]
            rows.grads[row] = [0.0 if t.grad is None else t.grad.item() for t in self._tensors]
        else:
            prow, grow = rows.params[row], rows.grads[row]
            for t, s in zip(self._tensors, self._slices):
                prow[s] = _flat(t)
                if t.grad is None:
                    grow[s] = 0.0
                else:
                    grow[s] = _flat(t.grad)
        if self._optimizer is not None:
            self._record_state(row)
        rows.steps[row] = i
        if i % self.every == 0:
            rows.kept = row + 1
        rows.n = i + 1
        if not self._loss_later:
            self._tick()
        return value

    def _tick(self) -> None:
        """The live view, if it is time, of the snapshots so far (their losses known)."""
        live, rows = self._live, self._rows
        if live is not None and time.perf_counter() >= live.next:
            two = rows.params[: rows.kept] if rows.width == 2 else None
            live.tick(rows.n, rows.loss, two)

    def to_run(
        self,
        *,
        x=None,
        y=None,
        data=None,
        model=None,
        loss=None,
        plane="pca",
        box=None,
        resolution=41,
        distance=None,
        normalization="filter",
        bn="eval",
        samples=None,
        cache=None,
        seed=0,
        **meta,
    ) -> Run:
        """The recording as a `Run`.

        Told the data (``x``, ``y``, or ``data``), the model and the loss, the fit and contour
        views work too:

        - a built-in model (``"line"``, ``"proportional"``, ``"quadratic"``) and loss
          (``"mse"``, ``"rmse"``, ``"mae"``, ``"bce"``), with ``x`` and ``y``: the views compute
          the rest;
        - the ``torch.nn.Module`` that was recorded and any ``loss`` callable, called as
          ``loss(model(inputs), targets)`` (e.g. ``torch.nn.CrossEntropyLoss()``), with the data
          as ``x`` and ``y`` tensors or as ``data``: a ``DataLoader`` or any re-iterable of
          ``(inputs, targets)`` batches (the loss at a point is then the mean over every
          example, batch losses weighted by batch size);
        - the module and data whose batches are mappings of tensors (a Hugging Face
          ``DataLoader`` of ``{"input_ids", "attention_mask", "labels"}``), without ``loss``:
          each batch goes to the model as keyword arguments and its loss is the model's own
          (``model(**batch).loss``), averaged over batches weighted by their examples (the
          first dimension of their tensors); with ``loss``, ``loss(model(**inputs), labels)``.

        The loss over a ``plane`` of parameter space (``"pca"``, ``"random"``, ``"endpoints"``,
        ``"hessian"``; for one or two recorded numbers, over a ``box`` around the path) and, for
        data held as ``x`` of one or two columns, the network's predictions over its inputs are
        computed here, once, on the model's device, and stored in the run (``run.landscape``),
        so that every view draws them later, after `Run.save` and `gdviz.load`, without torch.
        The module is left as it was.

        The plane's settings, as for `gdviz.landscape`: ``resolution`` points a side;
        ``distance`` the half width in units of the directions (None: the region around the
        path); ``normalization`` of random directions (``"filter"``, ``"layer"``, ``"model"``,
        None); ``bn`` (``"eval"``: batch norm with its running statistics, those of the end of
        training at every point; ``"train"``: each batch's own statistics); ``samples=N``: a
        seeded subsample of N examples, with the standard error of each point's loss stored;
        ``cache``: a ``.npz`` file keeping finished points, so that a killed evaluation resumes.
        Inside a ``torch.distributed`` process group the points are shared out among the
        processes, and each returns the whole run.

        Extra keywords go into ``run.meta``. A recording whose loss or parameters stopped being
        finite is cut before the first such snapshot, with ``diverged_at`` set and a warning.
        """
        network = model is not None and not isinstance(model, str)
        one_of(plane, PLANES, "plane")
        knobs = Knobs.check(resolution, distance, normalization, bn, samples, seed)
        if network:
            if ((x is None or y is None) and data is None) or (loss is None and data is None):
                raise GdvizError(
                    "to draw a network's loss landscape, to_run needs the data (data=loader, "
                    "or x and y) and loss as well as the model"
                )
            tensors = {}
            if data is not None and (x is not None or y is not None):
                raise GdvizError("pass the data once: data= or x= and y=, not both")
            if data is None:
                tensors = dict(x=_tensor(x, "x"), y=_tensor(y, "y"))
                if len(tensors["x"]) != len(tensors["y"]):
                    raise GdvizError(
                        f"x and y differ in length: {len(tensors['x'])} and {len(tensors['y'])}"
                    )
            forward = FlatModule(model, self._tensors)
            batches = knobs.batches(data, forward, loss=loss, **tensors)
            loss_fn = chosen_loss(loss, batches)
            if box is not None:
                box = check_box(box, min(len(self.param_names), 2))
            elif knobs.distance is not None and len(self.param_names) > 2:
                box = [(-knobs.distance, knobs.distance)] * 2
            meta.update(model="module", formula=type(model).__name__, loss=loss_name(loss))
        elif data is not None:
            raise GdvizError(
                "data= is for a network (model=module); a built-in model takes x= and y="
            )
        elif model is not None:
            if model not in MODELS:
                raise GdvizError(
                    f"unknown model {model!r}: name a built-in one ({', '.join(MODELS)}) "
                    "or pass the torch.nn.Module itself"
                )
            meta["model"] = model
        if not network and loss is not None:
            if not isinstance(loss, str) or loss not in LOSSES:
                raise GdvizError(
                    f"with a built-in model the loss is one of {', '.join(LOSSES)}, not "
                    f"{loss!r}; a loss callable needs the model itself (model=module)"
                )
            meta["loss"] = loss
        run = self.snapshot_run(x=x if data is None else None, y=y if data is None else None,
                                meta=meta)  # fmt: skip
        if network:
            describe_module(
                run, forward, batches, loss, loss_fn, knobs=knobs, plane=plane, box=box, cache=cache
            )
        if self._live is not None:
            self._live.finish(run)
        return run

    def snapshot_run(self, *, x=None, y=None, meta=None) -> Run:
        """The recording as a `Run` and nothing more (no landscape): what `to_run` starts from."""
        kept = self._rows
        n = kept.n
        if n == 0:
            raise GdvizError("nothing was recorded: call record(loss) in the loop first")
        rows = kept.last_row() + 1  # the kept calls, and the last one if it was not kept
        params, grads, state = kept.lend(rows)
        steps = kept.steps[:rows].copy()
        full = kept.loss[:n].copy()
        losses = full[steps]
        rates = kept.rates[:rows].copy() if kept.rates is not None else None
        # The first step whose loss, or whose kept parameters, are not finite.
        bad_loss = ~np.isfinite(full)
        bad_rows = ~np.isfinite(params).all(axis=1)
        candidates = []
        if bad_loss.any():
            candidates.append(int(np.argmax(bad_loss)))
        if bad_rows.any():
            candidates.append(int(steps[np.argmax(bad_rows)]))
        diverged_at = min(candidates) if candidates else None
        if diverged_at is not None:
            if diverged_at == 0:
                raise GdvizError("the loss is not finite at the start: nothing to animate")
            keep = steps < diverged_at
            params, grads, losses, steps = params[keep], grads[keep], losses[keep], steps[keep]
            state = {k: v[keep] for k, v in state.items()}
            rates = None if rates is None else rates[keep]
            full = full[:diverged_at]
            warn(f"diverged at step {diverged_at}", RuntimeWarning)
        meta = dict(meta or {})
        if self._optimizer is not None:
            settings = _settings(self._optimizer)
            if self._paired:
                settings["paired"] = [_settings(o) for o in self._paired]
            meta.setdefault("torch_optimizer", settings)
            if rates is not None and np.isnan(rates).all():
                rates = None  # no rate, or one per parameter group: none is true of all
                groups = self._optimizer.param_groups
                if len({_number(g.get("lr")) for g in groups}) > 1:
                    warn(
                        f"the {type(self._optimizer).__name__} optimiser's {len(groups)} "
                        "parameter groups differ in learning rate: run.lr holds none, and "
                        "what needs one rate (the internals' vectors, the edge of stability) "
                        "is left out",
                        UserWarning,
                    )
        try:
            json.dumps(meta)
        except (TypeError, ValueError) as exc:
            raise GdvizError(
                f"the run's metadata cannot be saved as JSON (numbers, text, lists and dicts "
                f"of them): {exc}"
            ) from None
        return Run(
            params=params,
            grads=grads,
            loss=losses,
            param_names=self.param_names,
            x=None if x is None else _numpy(x),
            y=None if y is None else _targets(_numpy(y)),
            diverged_at=diverged_at,
            meta=meta,
            step=steps,
            full_loss=full if self.every > 1 else None,
            lr=rates,
            state=state,
        )


def _targets(y: np.ndarray) -> np.ndarray:
    """Targets one a row: (n,), or (n, k) for several columns (a column of one: (n,))."""
    if y.ndim == 0:
        return y.reshape(-1)
    y = y.reshape(len(y), -1)
    return y[:, 0] if y.shape[1] == 1 else y


def _rate(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate in force: nan where the optimiser has none, or where its parameter
    groups differ in it (no one rate is true of every parameter)."""
    rates = {_number(group.get("lr")) for group in optimizer.param_groups}
    return rates.pop() if len(rates) == 1 else math.nan


def _number(value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _settings(optimizer: torch.optim.Optimizer) -> dict:
    """The optimiser's class and the settings that are numbers (JSON), those of every group
    alike: a setting its parameter groups differ in has no one value, and is left out."""
    settings: dict = {"class": type(optimizer).__name__}
    groups = optimizer.param_groups
    if len(groups) > 1:
        settings["groups"] = len(groups)
    for key, value in groups[0].items():
        if isinstance(value, bool) or value is None or key == "params":
            continue
        if any(not _same(g.get(key), value) for g in groups[1:]):
            continue
        if isinstance(value, (int, float)):
            settings[key] = float(value)
        elif isinstance(value, (tuple, list)) and all(isinstance(v, (int, float)) for v in value):
            settings[key] = [float(v) for v in value]
        elif isinstance(value, torch.Tensor) and value.numel() == 1:  # a tensor lr
            settings[key] = float(value.item())
        elif isinstance(value, str):  # a named choice (Muon's adjust_lr_fn)
            settings[key] = value
    for key in ("nesterov", "amsgrad", "centered", "maximize"):
        flags = {g.get(key) for g in groups}
        if len(flags) == 1 and isinstance(groups[0].get(key), bool):
            settings[key] = groups[0][key]
    return settings


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, torch.Tensor) else bool(torch.equal(a, b))
    except (TypeError, RuntimeError, ValueError):
        return a is b


def _check_tensor(name: str, t) -> None:
    """A tensor a Recorder can copy: dense, with values (not on the meta device)."""
    if not isinstance(t, torch.Tensor):
        raise GdvizError(f"a Recorder watches tensors; {name!r} is a {type(t).__name__}")
    if t.layout != torch.strided:
        raise GdvizError(f"{name!r} is a {t.layout} tensor: a Recorder copies dense ones")
    if t.device.type == "meta":
        raise GdvizError(f"{name!r} is on the meta device: it holds no values to record")


def _home(module: torch.nn.Module, name: str) -> tuple[torch.nn.Module, str]:
    """The layer holding the parameter ``name`` (``"0.weight"``) and its own name there."""
    path, _, leaf = name.rpartition(".")
    return (module.get_submodule(path) if path else module), leaf


def _dtype(dtype) -> np.dtype:
    """float64 or float32, named as a string, a numpy or a torch type."""
    name = str(dtype).removeprefix("torch.")
    try:
        kind = np.dtype(name if isinstance(dtype, torch.dtype) else dtype)
    except TypeError:
        kind = None
    if kind not in (np.dtype("float64"), np.dtype("float32")):
        raise GdvizError(f"dtype must be 'float64' or 'float32', not {dtype!r}"[:200])
    return kind


def _tensor(a, what: str):
    if a is None:
        return None
    if isinstance(a, torch.Tensor):
        t = a.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=torch.get_default_dtype())
        except (TypeError, ValueError):
            raise GdvizError(f"{what} must be numbers or a tensor") from None
    if t.ndim == 0:
        raise GdvizError(f"{what} must have one entry per data point, not a single number")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise GdvizError(f"{what} holds values that are not finite (nan or inf)")
    return t


def _flat(t: torch.Tensor):
    """The tensor's values as a float or a flat numpy array, copied off any device."""
    if t.numel() == 1:
        return t.item()  # the common scalar parameter: ten times cheaper than a tensor copy
    t = t.detach().cpu()
    try:
        return t.numpy().reshape(-1)
    except TypeError:  # a dtype numpy lacks, such as bfloat16
        return t.double().numpy().reshape(-1)


def _numpy(a) -> np.ndarray:
    """Data as float64 numpy, in its own shape ((n,), (n, d), images (n, c, h, w), ...)."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise GdvizError("data must be numbers or tensors") from None
