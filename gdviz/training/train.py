"""`train`: gradient descent with PyTorch autograd, recorded snapshot by snapshot.

`train` takes its keywords as one `Options`; `gdviz.training.objective` resolves what is
minimised from them, and `Session` here trains it. Where the views cannot compute the loss
surface with numpy (a network, a callable), `gdviz.training.store` computes it once and stores
it in the run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from gdviz.errors import GdvizError, first_line, positive, warn, whole
from gdviz.problems import schedules
from gdviz.problems.optimizers import MUON_ADAMW, OPTIMIZERS, default_lr
from gdviz.run import convergence
from gdviz.run.meta import Training
from gdviz.run.record import Run
from gdviz.system import interrupts
from gdviz.system.progress import Progress
from gdviz.training.curvature import Sharpness, preconditioned, preconditioner
from gdviz.training.objective import resolve
from gdviz.training.options import Options
from gdviz.training.recorder import Recorder
from gdviz.training.store import store

PROGRESS_AFTER = 2.0  # seconds of training before a progress bar shows on a terminal


def train(
    data,
    *,
    model=None,
    loss=None,
    optimizer=None,
    lr=None,
    steps=None,
    init=None,
    seed=None,
    zero_grad=True,
    names=None,
    box=None,
    plane="pca",
    hidden=None,
    standardize=False,
    batch_size=None,
    schedule=None,
    every=1,
    curvature=False,
    **optimizer_options,
) -> Run:
    """Run gradient descent and record every step.

    Parameters
    ----------
    data : str, (x, y) or callable
        A preset (``"synthetic"``, ``"thermometer"``, ``"single-point"``, ``"moons"``), a 2-D
        test function (``"rosenbrock"``, ``"beale"``, ``"himmelblau"``, ``"saddle"``), a formula
        in x and y (``"x**2 + 10*y**2"``), an ``(x, y)`` pair of array-likes (``x`` of shape
        (n,) or (n, d); ``y`` values or class labels 0, 1, ...), or a Python callable taking a
        1-D float tensor of parameters and returning a scalar tensor. A preset or function
        brings its setup; explicit arguments win.
    model : {"line", "proportional", "quadratic", "mlp"} or torch.nn.Module
        What is fitted. ``"line"`` is ``m·x + b`` on one column and ``w·x + b`` (parameters
        ``w1, ..., wd, b``) on d columns: the default for a regression on any number of
        columns; a classifier on several columns defaults to ``"mlp"``, a small tanh network
        sized from the data (``hidden`` widths, default (16, 16)). A module is copied, so the
        one passed in is left untouched.
    loss : {"mse", "rmse", "mae", "bce", "cross_entropy"} or callable
        ``"bce"`` takes one logit per point and labels 0 and 1; ``"cross_entropy"`` one score
        per class and labels 0, 1, .... A callable is called as ``loss(model(x), y)`` and must
        return a scalar tensor.
    optimizer : str
        ``"gd"`` is the tutorials' hand-written ``p -= lr * p.grad``; ``"sgd"``, ``"momentum"``,
        ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ``"adamw"`` are `torch.optim`'s.
    lr : float
        The learning rate. By default the preset's, else ``1 / L`` with ``L`` the largest
        curvature at the start (scaled for the optimiser).
    steps : int
        Number of updates; the run holds ``steps + 1`` snapshots.
    init : sequence of float
        Starting parameters (default: the preset's or function's, else zeros; a module keeps
        its own). Required for a formula or a callable.
    seed : int
        Seeds torch and the generated data, for reproducible runs.
    zero_grad : bool
        ``False`` reproduces the classic bug: gradients accumulate across steps.
    names : sequence of str
        Parameter names for a callable (default ``p0, p1, ...``).
    box : sequence of (lo, hi)
        The region of the contour view for a function: one pair per parameter (two at most;
        for three or more, plane coordinates). Default: around the path.
    plane : {"pca", "random", "endpoints", "hessian"}
        The plane through parameter space drawn for three or more parameters; ``"hessian"``:
        spanned by the unit eigenvectors of the loss's Hessian at the final parameters with
        the two largest eigenvalues (``run.landscape.curvatures``).
    hidden : sequence of int
        Layer widths of ``model="mlp"``.
    standardize : bool
        Train on z-scored inputs (and, for a regression, targets), the remedy for columns whose
        scales differ by orders of magnitude. The run still reads in the data's own units: a
        built-in model's parameters, the fitted curve and the loss are converted back.
    batch_size : int
        Minibatch SGD: each update uses the gradient of the next ``batch_size`` points of a
        seeded shuffle (a new one each epoch; the last batch of an epoch may be smaller). Each
        snapshot records the full-data loss and the minibatch gradient the update used.
    schedule : str
        The learning rate's schedule, by `torch.optim.lr_scheduler`: ``"step:N:G"`` (times G
        every N steps), ``"exponential:G"`` (times G every step) or ``"cosine"`` (to zero over
        the run). ``run.lr`` holds the rate in force at each snapshot.
    every : int
        Keep every ``every``-th snapshot (and the last); the loss of every step stays in
        ``run.full_loss``. For long runs of big models.
    curvature : bool
        Record the sharpness, the largest eigenvalue of the full-data loss's Hessian, at each
        kept snapshot in ``run.sharpness`` (exact up to 100 parameters, by Lanczos iteration on
        Hessian-vector products beyond; in standard units with ``standardize``: the curvature
        the optimiser sees). The loss view draws it beside ``2 / lr``, the edge of stability.
        For adam, adamw, rmsprop and adagrad it is the *preconditioned* sharpness, the largest
        eigenvalue of ``P⁻¹H`` with ``P`` the preconditioner of the step taken from that
        snapshot (`gdviz.training.curvature.preconditioner`), beside its own line (Adam's
        ``(2 + 2β1) / ((1 − β1)·lr)``); ``run.meta["sharpness"]`` says which.
        Costs one backward pass per parameter (up to 100) or per Lanczos step, per snapshot.
    **optimizer_options
        Passed to the `torch.optim` optimiser (``betas=(0.9, 0.99)``, ``weight_decay=...``).

    Returns
    -------
    Run
        If the loss stops being finite, the run ends before it, ``run.diverged_at`` is set and
        a `RuntimeWarning` is issued. A run that ends far from converged, or whose loss grew by
        orders of magnitude, issues a `UserWarning` saying so and what to try.

    Examples
    --------
    >>> run = gdviz.train("synthetic")
    >>> run.params[-1]            # close to (3, 2.5)
    >>> run = gdviz.train((x, y), model="quadratic", optimizer="adam", lr=0.05, steps=500)
    >>> run = gdviz.train("x**2 + 10*y**2", init=(3, 1), optimizer="momentum")
    >>> run = gdviz.train(lambda p: (p**4).sum(), init=[1.0, -2.0, 0.5])
    >>> run = gdviz.train("moons", steps=300)      # an mlp classifier, cross-entropy, adam
    """
    session = Session(
        data,
        Options(
            model=model,
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            steps=steps,
            init=init,
            seed=seed,
            zero_grad=zero_grad,
            names=names,
            box=box,
            plane=plane,
            hidden=hidden,
            standardize=standardize,
            batch_size=batch_size,
            schedule=schedule,
            every=every,
            curvature=curvature,
            optimizer_options=optimizer_options,
        ),
    )
    run = session.run()
    if run.diverged_at is not None:
        warn(f"diverged at step {run.diverged_at}", RuntimeWarning)
    note = convergence.note(run)
    if note is not None:
        warn(note, UserWarning)
    session.describe([run])
    return run


class Session:
    """One training: an `Objective` (what is minimised, resolved once from `train`'s data and
    `Options`) and the loop that minimises it.

    `run` trains and records; `describe` then stores what the views cannot compute without
    torch (the loss landscape and a network's predictions) in the runs, which may be several
    runs of sessions on the same problem drawn together (a race), sharing one landscape.
    """

    def __init__(self, data, options: Options):
        self.options = o = options
        if o.seed is not None:
            torch.manual_seed(o.seed)
        self.objective = found = resolve(data, o)
        self.recorder = Recorder(found.tensors, names=found.names, every=o.every)
        lr = o.lr
        if lr is None and found.own_lr is not None:
            lr = found.own_lr
        elif lr is None:
            gd_lr = found.gd_lr
            lr = gd_lr if found.optimizer in ("gd", "sgd") else default_lr(found.optimizer, gd_lr)
        self.lr = positive(lr, "lr")
        self.batch_size, self.batches = self._batches(o.batch_size)
        self.step, self.clear, self.rate, opt = _stepper(
            found.optimizer, self.lr, found.params, o.optimizer_options, o.schedule, found.steps
        )
        self.optimizer = opt
        if OPTIMIZERS[found.optimizer].cls is not None:
            self.recorder.watch(opt)  # its state at each snapshot, into run.state
        self._check_memory()

    def run(self) -> Run:
        """Train, recording a snapshot before each update and after the last.

        Each snapshot holds the full-data loss; with minibatches, the gradient recorded is the
        minibatch's, the one the update uses.
        """
        found, o, rec = self.objective, self.options, self.recorder
        steps = found.steps
        rates = np.empty(steps + 1)
        sharpness = np.full(steps + 1, np.nan) if o.curvature else None
        hessian = Sharpness(found.full_loss, found.params) if o.curvature else None
        # An adaptive optimiser's own curvature: of P⁻¹H, P its preconditioner at that step.
        adaptive = o.curvature and self.optimizer is not None and preconditioned(self.optimizer)
        with Progress("training", steps, unit="steps", delay=PROGRESS_AFTER) as bar:
            for t in range(steps + 1):
                if o.zero_grad or t == 0:
                    self.clear()
                batch = None if self.batches is None else next(self.batches)
                try:
                    value = found.loss(batch)
                    value.backward()
                except GdvizError:
                    raise
                except Exception as exc:  # the user's own function failed mid-way
                    raise GdvizError(
                        f"training stopped at step {t}: {type(exc).__name__}: {first_line(exc)}"
                    ) from None
                if batch is not None:  # the full data's loss, deterministic (eval mode)
                    with torch.no_grad():
                        value = found.full_loss()
                rates[t] = self.rate()
                if not math.isfinite(rec.record(value)):
                    break
                if hessian is not None and (t % o.every == 0 or t == steps):
                    scale = preconditioner(self.optimizer, found.params) if adaptive else None
                    sharpness[t] = hessian(scale)
                if t < steps:
                    self.step()
                bar.update(t)
        training = Training(
            optimizer=found.optimizer,
            lr=self.lr,
            steps=steps,
            seed=o.seed,
            zero_grad=o.zero_grad,
            options=_jsonable(o.optimizer_options),
            batch_size=self.batch_size,
            schedule=o.schedule,
            sharpness=None if not o.curvature else "preconditioned" if adaptive else "hessian",
            # the plane a model of three or more parameters is drawn on (a network's landscape
            # says it again when stored; a built-in model's is drawn from this)
            plane=o.plane
            if o.plane != "pca" and sum(p.numel() for p in found.params) > 2
            else None,
        )
        meta = {**found.problem.to_meta(), **training.to_meta()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # said by the caller, at its line
            run = rec.snapshot_run(x=found.x, y=found.y, meta=meta)
        run.lr = rates[run.step]
        if sharpness is not None:
            run.sharpness = sharpness[run.step]
        if found.scaling is not None:
            found.scaling.to_data_units(run, found.to_raw)
        return run

    def _batches(self, batch_size) -> tuple[int | None, Iterator[torch.Tensor] | None]:
        """The batch size and minibatches of row indices: a seeded shuffle each epoch, cut in
        order (None and None: every update sees all the data)."""
        if batch_size is None:
            return None, None
        size = whole(batch_size, "batch_size", minimum=1)
        n = self.objective.n
        if self.objective.x is None:
            raise GdvizError("batch_size needs data to draw batches from; a function has none")
        size = min(size, n)
        seed = self.options.seed
        generator = torch.Generator().manual_seed(0 if seed is None else seed)

        def batches():
            while True:
                order = torch.randperm(n, generator=generator)
                yield from order.split(size)

        return size, batches()

    def _check_memory(self) -> None:
        """Refuse, before training, a recording that would not fit in memory (the buffers,
        made at their full size now, the run's copy of them, the loss of every step)."""
        self.recorder.reserve(
            self.objective.steps + 1,
            state=OPTIMIZERS[self.objective.optimizer].state,
            copied=True,
            cure="keep every k-th snapshot (every=k), or train fewer steps",
        )

    def describe(self, runs: Sequence[Run]) -> None:
        """Store in ``runs`` what the views need and cannot compute without torch: one shared
        loss landscape, and each run's network predictions over the input space."""
        found = self.objective
        if found.loss_at is None:
            return  # a built-in model or a formula: the views compute the surface with numpy
        store(
            runs,
            found.loss_at,
            size=found.loss_size,
            plane=self.options.plane,
            box=found.problem.box,
            seed=self.options.seed or 0,
            network=found.network,
        )


# -- the optimiser ---------------------------------------------------------------------------------


def _jsonable(options: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _stepper(
    optimizer: str, lr: float, params, options, schedule: str | None, steps: int
) -> tuple[Callable, Callable, Callable[[], float], torch.optim.Optimizer | list | None]:
    """The update, the gradient reset, the rate in force and the `torch.optim` optimiser (None
    for an unscheduled ``gd``; a list for ``muon``, Muon and AdamW), for ``optimizer`` on
    ``params``.

    A ``schedule`` steps a `torch.optim.lr_scheduler` after each update; the hand-written
    ``gd`` then reads its rate from an SGD optimiser that only holds it. Without a schedule it
    makes none: torch.optim loads torch._dynamo (seconds) at its first optimiser.
    """
    spec = OPTIMIZERS[optimizer]
    if spec.cls is None:
        if options:
            raise GdvizError(f"optimizer 'gd' takes no options, got {', '.join(options)}")
        holder = None if schedule is None else _optimiser(torch.optim.SGD, params, lr=lr)

        def update():
            rate = lr if holder is None else holder.param_groups[0]["lr"]
            with torch.no_grad():
                for p in params:
                    p -= rate * p.grad

        def clear():
            for p in params:
                p.grad = None

        opt = holder
        each = [] if holder is None else [holder]
    else:
        try:
            if optimizer == "muon":
                opt = _muon(params, lr, {**spec.options, **options})
            else:
                cls = getattr(torch.optim, spec.cls)
                opt = _optimiser(cls, params, lr=lr, **{**spec.options, **options})
        except (TypeError, ValueError) as exc:
            raise GdvizError(f"optimizer {optimizer!r}: {exc}") from None
        each = opt if isinstance(opt, list) else [opt]

        # Looked up at each call: a scheduler wraps opt.step to see that it ran.
        def update():
            for o in each:
                o.step()

        def clear():
            for o in each:
                o.zero_grad()

    if schedule is None:
        return update, clear, lambda: lr, opt
    schedulers = [_scheduler(schedule, o, steps) for o in each]

    def step():
        update()
        for scheduler in schedulers:
            if spec.cls is None:  # the holder never steps, and torch would say so every step
                with warnings.catch_warnings():
                    warnings.filterwarnings(
                        "ignore", "Detected call of `lr_scheduler.step", UserWarning
                    )
                    scheduler.step()
            else:
                scheduler.step()

    return step, clear, lambda: each[0].param_groups[0]["lr"], opt


def _muon(params, lr: float, options: dict) -> list[torch.optim.Optimizer]:
    """torch's Muon for the weight matrices (2-D parameters) and, where there are others
    (biases), AdamW for them, as torch's documentation pairs them: AdamW at `MUON_ADAMW` of
    Muon's rate with weight decay 0.01. ``options`` go to Muon."""
    matrices = [p for p in params if p.ndim == 2]
    rest = [p for p in params if p.ndim != 2]
    if not matrices:
        shapes = ", ".join(str(tuple(p.shape)) for p in params[:4])
        raise GdvizError(
            f"Muon steps weight matrices, and this problem's parameters are not matrices "
            f"({shapes}): use a network (model='mlp' or a torch.nn.Module), or adamw"
        )
    out = [_optimiser(torch.optim.Muon, matrices, lr=lr, **options)]
    if rest:
        paired = {**MUON_ADAMW, "lr": lr * MUON_ADAMW["lr"]}
        out.append(_optimiser(torch.optim.AdamW, rest, **paired))
    return out


def _optimiser(cls, params, **options) -> torch.optim.Optimizer:
    """A `torch.optim` optimiser, made while interrupts wait: the first one imports
    torch._dynamo, C++ that aborts the process if an exception passes through it
    (`gdviz.system.interrupts.deferred`)."""
    with interrupts.deferred():
        return cls(params, **options)


def _scheduler(schedule: str | None, opt, steps: int):
    """The `torch.optim.lr_scheduler` a schedule names (see `gdviz.problems.schedules`), or None."""
    if schedule is None:
        return None
    kind, args = schedules.parse(schedule)
    lr_scheduler = torch.optim.lr_scheduler
    if kind == "step":
        return lr_scheduler.StepLR(opt, step_size=int(args[0]), gamma=args[1])
    if kind == "exponential":
        return lr_scheduler.ExponentialLR(opt, gamma=args[0])
    return lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
