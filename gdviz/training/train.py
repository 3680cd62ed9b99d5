"""`train`: gradient descent with PyTorch autograd, recorded snapshot by snapshot.

What can be minimised: a preset's fit (the tutorials' data), data of the user's own (one input
column or several, values or class labels) under a built-in model, gdviz's ``mlp`` or any
``torch.nn.Module``; a named test function, a formula in x and y, or any Python callable of a
parameter vector. Where the views cannot compute the loss surface with numpy (a network, a
callable), `gdviz.training.landscape` computes it once here and stores it in the run.
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from gdviz.errors import (
    GdvizError,
    finite_numbers,
    flag,
    one_of,
    positive,
    whole,
)
from gdviz.problems import schedules
from gdviz.problems.data import PRESETS, as_xy
from gdviz.problems.formulas import LOSS_NAMES, LOSSES, MODELS, mse_hessian
from gdviz.problems.functions import FUNCTIONS, formula
from gdviz.problems.optimizers import OPTIMIZERS, default_lr
from gdviz.run import convergence
from gdviz.run.plane import KINDS as PLANES
from gdviz.run.plane import check_box
from gdviz.run.record import Run
from gdviz.run.scaling import Scaling
from gdviz.system import interrupts
from gdviz.system.files import available_memory
from gdviz.system.progress import Progress
from gdviz.training import landscape, predictions
from gdviz.training.curvature import Sharpness
from gdviz.training.networks import HIDDEN, mlp
from gdviz.training.networks import LOSSES as NETWORK_LOSSES
from gdviz.training.recorder import Recorder

DATA_STEPS = 200  # steps for user data, which carries no setup of its own
NETWORK_MODELS = ("mlp",)
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
        What is fitted. ``"mlp"`` is a small tanh network sized from the data (``hidden``
        widths, default (16, 16)). A module is copied, so the one passed in is left untouched.
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
    plane : {"pca", "random", "endpoints"}
        The plane through parameter space drawn for three or more parameters.
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
        kept snapshot in ``run.sharpness`` (exact up to 100 parameters, by power iteration on
        Hessian-vector products beyond; in standard units with ``standardize``: the curvature
        the optimiser sees). The loss view draws it beside ``2 / lr``, the edge of stability.
        Costs one backward pass per parameter (up to 100) or per power iteration, per snapshot.
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
        **optimizer_options,
    )
    run = session.run()
    if run.diverged_at is not None:
        warnings.warn(f"diverged at step {run.diverged_at}", RuntimeWarning, stacklevel=2)
    note = convergence.note(run)
    if note is not None:
        warnings.warn(note, UserWarning, stacklevel=2)
    session.describe([run])
    return run


class Session:
    """One training, resolved from `train`'s arguments: what to minimise, from where, and how.

    `run` trains and records; `describe` then stores what the views cannot compute without
    torch (the loss landscape and a network's predictions) in the runs, which may be several
    runs of sessions on the same problem drawn together (a race), sharing one landscape.
    """

    def __init__(
        self,
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
        **options,
    ):
        if seed is not None:
            seed = whole(seed, "seed", minimum=0)
            torch.manual_seed(seed)
        self.seed = seed
        self.zero_grad = flag(zero_grad, "zero_grad")
        self.options = options
        if plane not in PLANES:
            raise GdvizError(f"unknown plane {plane!r}: use one of {', '.join(PLANES)}")
        self.plane = plane
        self.meta: dict[str, Any] = {}
        self.module: torch.nn.Module | None = None
        self.forward: landscape.FlatModule | None = None
        self.x = self.y = None
        self.shapes: list[tuple[int, ...]] | None = None
        self.standardize = bool(standardize)
        self.scaling: Scaling | None = None
        self.every = whole(every, "every", minimum=1)
        self.curvature = flag(curvature, "curvature")
        # What the views cannot evaluate with numpy, as a function of the flat parameters.
        self.loss_at: Callable[[torch.Tensor], torch.Tensor] | None = None
        self.loss_size = 1

        own_lr = None  # a preset's rate for its own optimiser
        if isinstance(data, str) and data in PRESETS:
            gd_lr, own_lr = self._preset(data, model, loss, optimizer, steps, init, hidden)
        elif isinstance(data, str) or (callable(data) and not isinstance(data, torch.nn.Module)):
            if model is not None or loss is not None or hidden is not None:
                raise GdvizError("a function to minimise takes no model, loss or hidden layers")
            if self.standardize:
                raise GdvizError("standardize rescales data; a function to minimise has none")
            gd_lr, own_lr = self._function(data, optimizer, steps, init, names)
        else:
            try:
                x, y = data
            except (TypeError, ValueError):
                raise GdvizError(
                    "data must be a preset name, a formula, an (x, y) pair or a callable"
                ) from None
            x, y = as_xy(x, y)
            self.meta.update(source="data", kind="data")
            optimizer = "gd" if optimizer is None else optimizer
            one_of(optimizer, OPTIMIZERS, "optimizer")
            self.optimizer = optimizer
            self.steps = whole(DATA_STEPS if steps is None else steps, "steps", minimum=1)
            model = ("line" if x.ndim == 1 else "mlp") if model is None else model
            gd_lr = self._data(x, y, model, "mse" if loss is None else loss, init, hidden)
        if names is not None and self.meta.get("kind") != "function":
            raise GdvizError("names are for a function's parameters; a model names its own")
        if box is not None:
            self.box = check_box(box, min(len(self.recorder.param_names), 2))
            self.meta["box"] = [list(b) for b in self.box]
        else:
            self.box = None
        if lr is None and own_lr is not None:
            lr = own_lr
        elif lr is None:
            lr = gd_lr if self.optimizer in ("gd", "sgd") else default_lr(self.optimizer, gd_lr)
        self.lr = positive(lr, "lr")
        self.batches = self._batches(batch_size)
        self.step, self.clear, self.rate, opt = _stepper(
            self.optimizer, self.lr, self.params, self.options, schedule, self.steps
        )
        if OPTIMIZERS[self.optimizer].cls is not None:
            self.recorder.watch(opt)  # its state at each snapshot, into run.state
        if schedule is not None:
            self.meta["schedule"] = schedule
        self._check_memory()

    # -- what is minimised --------------------------------------------------------------------

    def _preset(self, name, model, loss, optimizer, steps, init, hidden):
        """Set up a preset; returns gradient descent's rate and the rate for this optimiser if
        the preset names one (its own optimiser's)."""
        preset = PRESETS[name]
        x, y = preset.data(self.seed)
        self.meta.update(
            source=preset.name,
            kind="data",
            title=preset.title,
            x_label=preset.x_label,
            y_label=preset.y_label,
        )
        if preset.columns:
            self.meta["columns"] = list(preset.columns)
        optimizer = preset.optimizer if optimizer is None else optimizer
        one_of(optimizer, OPTIMIZERS, "optimizer")
        self.optimizer = optimizer
        self.steps = whole(preset.steps if steps is None else steps, "steps", minimum=1)
        if init is None and (model is None or model == preset.model):
            init = preset.init
        model = preset.model if model is None else model
        fitted_lr = self._data(x, y, model, preset.loss if loss is None else loss, init, hidden)
        gd_lr = preset.lr if preset.optimizer == "gd" else preset.gd_lr
        own_lr = preset.lr if optimizer == preset.optimizer else None
        if self.standardize and self.module is None:
            # The preset's rates were tuned for its raw data; the standardised data has its own
            # curvature. An adaptive optimiser's rate is in parameter units and stays.
            gd_lr = fitted_lr
            own_lr = own_lr if OPTIMIZERS[optimizer].gd_factor is None else None
        return gd_lr, own_lr

    def _function(self, data, optimizer, steps, init, names):
        """Set up a function to minimise; returns gradient descent's rate and, for a named
        function, the rate its classic picture uses for this optimiser."""
        optimizer = "gd" if optimizer is None else optimizer
        one_of(optimizer, OPTIMIZERS, "optimizer")
        self.optimizer = optimizer
        if isinstance(data, str):
            if data in FUNCTIONS:
                fn = FUNCTIONS[data]
            else:
                try:
                    fn = formula(data)
                except GdvizError:
                    if not re.fullmatch(r"[A-Za-z_][\w-]*", data):
                        raise  # a formula with a mistake: its own message names it
                    choices = ", ".join([*PRESETS, *FUNCTIONS])
                    raise GdvizError(
                        f"unknown data {data!r}: use one of {choices}, a formula in x and y, "
                        "or an (x, y) pair"
                    ) from None
            f, variables = fn.f, fn.variables
            self.meta.update(source=fn.name, kind="function", title=fn.formula)
            if fn.name == "formula":
                self.meta["expression"] = fn.source
            if init is None and fn.init is None:
                raise GdvizError(f"formula {data!r} needs a start: init=(x, y)")
            init = fn.init if init is None else init
            default_steps = fn.steps
            classic_lr = fn.rate(optimizer)
        else:
            f, variables = data, None
            label = getattr(data, "__name__", type(data).__name__)
            self.meta.update(source="function", kind="function")
            self.meta["title"] = "f" if label == "<lambda>" else label
            if init is None:
                raise GdvizError("a function to minimise needs a start: init=[...]")
            default_steps = DATA_STEPS
            classic_lr = None
        values = finite_numbers(init, "init")
        if variables is None:
            if names is None:
                variables = tuple(f"p{i}" for i in range(len(values)))
            else:
                if isinstance(names, str) or not all(isinstance(n, str) for n in _iterable(names)):
                    raise GdvizError(f"names must be a list of strings, not {names!r}"[:200])
                variables = tuple(names)
                if len(variables) != len(values) or len(set(variables)) != len(variables):
                    raise GdvizError(
                        f"names must be {len(values)} different names, one per init value"
                    )
            self.loss_at = lambda theta: _scalar(f(theta))
            shown = ", ".join(variables) if len(variables) <= 4 else "p"
            self.meta["title"] += f"({shown})"
        elif len(values) != len(variables):
            count = f"{len(variables)} parameter{'s' if len(variables) > 1 else ''}"
            raise GdvizError(
                f"init has {len(values)} values; the function has {count} ({', '.join(variables)})"
            )
        self.steps = whole(default_steps if steps is None else steps, "steps", minimum=1)
        dtype = torch.get_default_dtype()
        theta = torch.tensor(values, dtype=dtype, requires_grad=True)
        self.params = [theta]
        self.recorder = self._recorder([theta], names=variables)
        self.objective = lambda idx=None: f(theta)
        self._check_start(variables, values)
        if classic_lr is not None:
            return classic_lr, classic_lr
        return _curvature_lr_of(f, values), None

    def _data(self, x, y, model, loss, init, hidden) -> float:
        self.x, self.y = x, y
        columns = 1 if x.ndim == 1 else x.shape[1]
        if not (isinstance(loss, str) or callable(loss)):
            raise GdvizError(f"loss must be a name or a callable, not {type(loss).__name__}")
        if isinstance(loss, str):
            one_of(loss, LOSS_NAMES, "loss")
            _check_labels(loss, y)
        if hidden is not None and model != "mlp":
            raise GdvizError("hidden sets the layers of model='mlp' only")
        dtype = torch.get_default_dtype()
        task = predictions.task_of(loss)[0]
        builtin = isinstance(model, str) and model in MODELS
        if builtin and columns != 1:
            raise GdvizError(
                f"model {model!r} takes one input column; x has {columns}: use model='mlp' "
                "or a torch.nn.Module"
            )
        if self.standardize:
            self.scaling = Scaling.of(x, y, task, loss, centred=model != "proportional")
            x_fit, y_fit = self.scaling.inputs(x), self.scaling.targets(y)
            self.meta["standardized"] = self.scaling.jsonable()
        else:
            x_fit, y_fit = x, y
        y_t = torch.as_tensor(y_fit, dtype=torch.long if task == "multiclass" else dtype)
        x_t = torch.as_tensor(x_fit, dtype=dtype)
        self.n = len(x)

        if builtin:
            if loss == "cross_entropy":
                raise GdvizError(
                    "cross_entropy needs one score per class: use model='mlp' or a network "
                    "(for two classes, loss='bce' with a built-in model is logistic regression)"
                )
            self.x, x_t = x.reshape(-1), x_t.reshape(-1)
            spec = MODELS[model]
            values = [0.0] * len(spec.param_names) if init is None else init
            values = _init(values, len(spec.param_names), ", ".join(spec.param_names))
            if self.scaling is not None:
                self.to_raw = self.scaling.parameter_map(model)
                if init is not None:  # given in the data's units: the same line, rescaled
                    values = self.to_raw.inverse(values).tolist()
            theta = torch.tensor(values, dtype=dtype, requires_grad=True)
            self.params = [theta]
            self.recorder = self._recorder([theta], names=spec.param_names)
            loss_of = LOSSES[loss] if isinstance(loss, str) else loss
            self.objective = lambda idx=None: loss_of(
                spec.predict(theta, _rows(x_t, idx)), _rows(y_t, idx)
            )
            if not isinstance(loss, str):  # the views cannot evaluate a callable loss
                if self.scaling is not None:
                    raise GdvizError("standardize works with a named loss, not a callable")
                self.loss_at = lambda th: _scalar(loss_of(spec.predict(th, x_t), y_t))
                self.loss_size = len(x)
            self.meta.update(model=model, formula=spec.formula)
            self._set_loss_meta(loss)
            self._check_start(spec.param_names, values)
            return _curvature_lr(model, np.asarray(x_fit).reshape(-1), loss)

        if isinstance(model, str) and model in NETWORK_MODELS:
            outputs = int(y.max()) + 1 if loss == "cross_entropy" else 1
            module = mlp(
                columns,
                outputs,
                hidden=HIDDEN if hidden is None else hidden,
                seed=0 if self.seed is None else self.seed,
            )
            self.meta.update(model="mlp", formula=_describe_mlp(module, columns, outputs))
        elif isinstance(model, torch.nn.Module):
            module = copy.deepcopy(model).to(dtype)
            self.meta.update(model="module", formula=type(model).__name__)
        elif isinstance(model, str):
            one_of(model, (*MODELS, *NETWORK_MODELS), "model")
        else:
            raise GdvizError(
                f"model must be a name ({', '.join([*MODELS, *NETWORK_MODELS])}) or a "
                f"torch.nn.Module, not {type(model).__name__} {model!r}"
            )
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise GdvizError(f"the model {type(module).__name__} has no trainable parameters")
        self.params = [p for _, p in named]
        if init is not None:
            values = _init(init, sum(p.numel() for p in self.params), "the module's")
            with torch.no_grad():
                torch.nn.utils.vector_to_parameters(torch.tensor(values, dtype=dtype), self.params)
        self.module = module
        self.recorder = self._recorder(dict(named))
        self.forward = landscape.FlatModule(module, self.params)
        self.shapes = self.forward.shapes
        inputs = x_t if x.ndim == 2 else x_t[:, None]
        loss_of = NETWORK_LOSSES[loss] if isinstance(loss, str) else loss
        self.objective = lambda idx=None: loss_of(module(_rows(inputs, idx)), _rows(y_t, idx))
        scale = 1.0 if self.scaling is None else self.scaling.loss_scale
        self.loss_at = lambda flat: _scalar(loss_of(self.forward(flat, inputs), y_t)) * scale
        self.loss_size = len(x)
        self.inputs = inputs
        shortcut = landscape.first_layer_shortcut(
            self.forward, lambda out, t: loss_of(out, t) * scale, inputs, y_t
        )
        self.on_plane = shortcut
        self.how = predictions.task_of(loss)[1]
        self._set_loss_meta(loss)
        self._check_start(None, None)
        return 0.01

    def _recorder(self, tensors, names=None) -> Recorder:
        return Recorder(tensors, names=names, every=self.every)

    def _set_loss_meta(self, loss) -> None:
        if isinstance(loss, str):
            self.meta["loss"] = loss
        else:
            self.meta["loss"] = getattr(loss, "__name__", type(loss).__name__)
        task = predictions.task_of(loss)[0]
        if task != "regression":
            self.meta.update(task=task, classes=max(2, int(self.y.max()) + 1))

    def _check_start(self, names, values) -> None:
        """Evaluate the objective once: a loss that cannot be computed or is not one finite
        number is said now, in one line, before any training."""
        what = "the function" if self.meta["kind"] == "function" else "the loss"
        try:
            with _evaluating(self.module):  # no dropout noise, no batch-norm statistics moved
                value = self.objective()
        except GdvizError:
            raise
        except Exception as exc:  # the user's own code: whatever it raises, said in one line
            raise GdvizError(
                f"{what} cannot be computed at the start: {type(exc).__name__}: {_first_line(exc)}"
            ) from None
        if not isinstance(value, torch.Tensor):
            raise GdvizError(f"{what} must give a torch tensor, not a {type(value).__name__}")
        if not (value.is_floating_point() and value.requires_grad):
            raise GdvizError(
                f"{what} must be a real number computed from the parameters with torch "
                f"operations (it gives a {value.dtype} tensor"
                + (")" if value.requires_grad else " that does not depend on them)")
            )
        if value.numel() != 1:
            raise GdvizError(
                f"the loss must be one number, but it is a tensor of shape {tuple(value.shape)} "
                "(a loss with reduction='none'?)"
            )
        if not math.isfinite(value.item()):
            where = ""
            if names is not None:
                where = " (" + ", ".join(f"{n} = {v:g}" for n, v in zip(names, values)) + ")"
            what = "the function" if self.meta["kind"] == "function" else "the loss"
            raise GdvizError(f"{what} is not finite at the start{where}: {value.item()}")
        for p in self.params:
            p.grad = None

    # -- training -----------------------------------------------------------------------------

    def run(self) -> Run:
        """Train, recording a snapshot before each update and after the last.

        Each snapshot holds the full-data loss; with minibatches, the gradient recorded is the
        minibatch's, the one the update uses.
        """
        rec = self.recorder
        rates = np.empty(self.steps + 1)
        sharpness = np.full(self.steps + 1, np.nan) if self.curvature else None
        hessian = Sharpness(self._full_objective, self.params) if self.curvature else None
        with Progress("training", self.steps, unit="steps", delay=PROGRESS_AFTER) as bar:
            for t in range(self.steps + 1):
                if self.zero_grad or t == 0:
                    self.clear()
                batch = None if self.batches is None else next(self.batches)
                try:
                    value = self.objective(batch)
                    value.backward()
                except GdvizError:
                    raise
                except Exception as exc:  # the user's own function failed mid-way
                    raise GdvizError(
                        f"training stopped at step {t}: {type(exc).__name__}: {_first_line(exc)}"
                    ) from None
                if batch is not None:  # the full data's loss, deterministic (eval mode)
                    with torch.no_grad(), _evaluating(self.module):
                        value = self.objective()
                rates[t] = self.rate()
                if not math.isfinite(rec.record(value)):
                    break
                if hessian is not None and (t % self.every == 0 or t == self.steps):
                    sharpness[t] = hessian()
                if t < self.steps:
                    self.step()
                bar.update(t)
        meta = dict(
            self.meta,
            optimizer=self.optimizer,
            lr=self.lr,
            steps=self.steps,
            seed=self.seed,
            zero_grad=self.zero_grad,
            options=_jsonable(self.options),
        )
        if self.batches is not None:
            meta["batch_size"] = self.batch_size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # said by the caller, at its line
            run = rec.snapshot_run(x=self.x, y=self.y, meta=meta)
        run.lr = rates[run.step]
        if sharpness is not None:
            run.sharpness = sharpness[run.step]
        if self.scaling is not None:
            self.scaling.to_data_units(run, getattr(self, "to_raw", None))
        return run

    def _full_objective(self) -> torch.Tensor:
        """The loss on all the data, as `describe` and the views see it (eval mode)."""
        with _evaluating(self.module):
            return self.objective()

    def _batches(self, batch_size) -> Iterator[torch.Tensor] | None:
        """Minibatches of row indices: a seeded shuffle each epoch, cut in order."""
        if batch_size is None:
            return None
        size = whole(batch_size, "batch_size", minimum=1)
        if self.x is None:
            raise GdvizError("batch_size needs data to draw batches from; a function has none")
        self.batch_size = size = min(size, self.n)
        generator = torch.Generator().manual_seed(0 if self.seed is None else self.seed)

        def batches():
            while True:
                order = torch.randperm(self.n, generator=generator)
                yield from order.split(size)

        return batches()

    def _check_memory(self) -> None:
        """Refuse, before training, a recording that would not fit in memory."""
        width = len(self.recorder.param_names)
        rows = self.steps // self.every + 2
        # The recorder's buffers (made at their full size now, not doubled as they fill) of
        # parameters, gradients and the optimiser's state, the run's float64 copy made from
        # them at the end, and the loss of every step.
        arrays = 2 + OPTIMIZERS[self.optimizer].state
        need = rows * width * arrays * (self.recorder.itemsize + 8) + (self.steps + 1) * 8
        free = available_memory()
        if free is not None and need > 0.8 * free:
            raise GdvizError(
                f"recording {self.steps + 1:,} snapshots of {width:,} parameters needs "
                f"{_bytes(need)}, and {_bytes(free)} of memory is free: keep every k-th "
                "snapshot (every=k), or train fewer steps"
            )
        self.recorder.reserve(self.steps + 1)

    def describe(self, runs: Sequence[Run]) -> None:
        """Store in ``runs`` what the views need and cannot compute without torch: one shared
        loss landscape, and each run's network predictions over the input space."""
        if self.loss_at is None:
            return  # a built-in model or a formula: the views compute the surface with numpy
        evaluate = landscape.Evaluator(self.loss_at, size=self.loss_size)
        if self.forward is None:
            landscape.attach(runs, evaluate, plane=self.plane, box=self.box, seed=self.seed or 0)
            return
        with self.forward.evaluating():
            landscape.attach(
                runs,
                evaluate,
                plane=self.plane,
                shapes=self.shapes,
                box=self.box,
                seed=self.seed or 0,
                on_plane=self.on_plane,
            )
        shape = tuple(self.inputs.shape[1:])
        scaling = self.scaling
        for run in runs:
            predictions.attach(
                run,
                self.forward,
                how=self.how,
                input_shape=shape,
                inputs_of=None if scaling is None else scaling.inputs,
                outputs_of=None if scaling is None or self.how != "raw" else scaling.untarget,
            )


# -- checking arguments ---------------------------------------------------------------------------


@contextlib.contextmanager
def _evaluating(module: torch.nn.Module | None):
    """A network in eval mode for the block (a no-op for anything else), as it was after."""
    if module is None:
        yield
        return
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.train(mode)


def _rows(t: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
    return t if idx is None else t[idx]


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _curvature_lr(model: str, x: np.ndarray, loss: str = "mse") -> float:
    # The MSE of a linear-in-parameters model has the constant Hessian 2 AᵀA / n (A: features);
    # gradient descent is stable below 2 / L and quickest near 1 / L, L its largest eigenvalue.
    # Binary cross-entropy's Hessian is AᵀSA / n, S = p (1 - p) at most 1/4 (at the start).
    top = np.linalg.eigvalsh(mse_hessian(model, x))[-1]
    if loss == "bce":
        top /= 8
    return float(f"{1 / top:.1g}") if top > 0 else 0.1


def _curvature_lr_of(f: Callable, values: list[float]) -> float:
    """``1 / L`` for a function, ``L`` the largest curvature (|Hessian eigenvalue|) at the start:
    exact for up to 100 parameters, else by power iteration on Hessian-vector products."""
    theta = torch.tensor(values, dtype=torch.get_default_dtype())
    try:
        if len(values) <= 100:
            hessian = torch.autograd.functional.hessian(lambda p: _scalar(f(p)), theta)
            top = float(torch.linalg.eigvalsh(hessian).abs().max())
        else:
            v = torch.randn_like(theta)
            top = 0.0
            for _ in range(30):
                v = v / v.norm()
                _, hv = torch.autograd.functional.hvp(lambda p: _scalar(f(p)), theta, v)
                top = float(hv.norm())
                v = hv
    except (RuntimeError, ValueError, TypeError):
        top = float("nan")
    return float(f"{1 / top:.1g}") if math.isfinite(top) and top > 1e-12 else 0.01


def _describe_mlp(module: torch.nn.Module, inputs: int, outputs: int) -> str:
    widths = [m.out_features for m in module if isinstance(m, torch.nn.Linear)]
    return f"an MLP {inputs}→{'→'.join(map(str, widths))}"


def _scalar(value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise GdvizError(f"the function must return a torch tensor, not {type(value).__name__}")
    return value.reshape(())


def _iterable(value) -> list:
    try:
        return list(value)
    except TypeError:
        return [None]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check_labels(loss: str, y: np.ndarray) -> None:
    if loss == "cross_entropy" and not (np.all(y >= 0) and np.all(y == np.round(y))):
        bad = y[(y < 0) | (y != np.round(y))][0]
        raise GdvizError(f"cross_entropy needs class labels 0, 1, 2, ..., not {bad:g}")
    if loss == "cross_entropy" and y.max() > 10_000:
        raise GdvizError(f"cross_entropy: {int(y.max()) + 1} classes is too many to draw")
    if loss == "bce" and not np.all((y >= 0) & (y <= 1)):
        bad = y[(y < 0) | (y > 1)][0]
        raise GdvizError(f"bce needs labels 0 and 1 (or probabilities between), not {bad:g}")


def _init(init, n: int, what: str) -> list[float]:
    values = finite_numbers(init, "init")
    if len(values) != n:
        raise GdvizError(f"init has {len(values)} values; the model has {n} parameters ({what})")
    return values


def _jsonable(options: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _stepper(
    optimizer: str, lr: float, params, options, schedule: str | None, steps: int
) -> tuple[Callable, Callable, Callable[[], float], torch.optim.Optimizer | None]:
    """The update, the gradient reset, the rate in force and the `torch.optim` optimiser (None
    for an unscheduled ``gd``), for ``optimizer`` on ``params``.

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
    else:
        try:
            cls = getattr(torch.optim, spec.cls)
            opt = _optimiser(cls, params, lr=lr, **{**spec.options, **options})
        except (TypeError, ValueError) as exc:
            raise GdvizError(f"optimizer {optimizer!r}: {exc}") from None

        # Looked up at each call: a scheduler wraps opt.step to see that it ran.
        def update():
            opt.step()

        clear = opt.zero_grad
    scheduler = _scheduler(schedule, opt, steps)
    if scheduler is None:
        return update, clear, lambda: lr, opt

    def step():
        update()
        if spec.cls is None:  # the holder never steps, and torch would say so at every step
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", "Detected call of `lr_scheduler.step", UserWarning
                )
                scheduler.step()
        else:
            scheduler.step()

    return step, clear, lambda: opt.param_groups[0]["lr"], opt


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
