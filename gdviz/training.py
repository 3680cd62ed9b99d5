"""`train`: gradient descent with PyTorch autograd, recorded snapshot by snapshot.

What can be minimised: a preset's fit (the tutorials' data), data of the user's own (one input
column or several, values or class labels) under a built-in model, gdviz's ``mlp`` or any
``torch.nn.Module``; a named test function, a formula in x and y, or any Python callable of a
parameter vector. Where the views cannot compute the loss surface with numpy (a network, a
callable), `gdviz.landscape` computes it once here and stores it in the run.
"""

from __future__ import annotations

import copy
import math
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from gdviz import landscape, predictions
from gdviz.data import PRESETS, as_xy
from gdviz.errors import GdvizError
from gdviz.formulas import LOSS_NAMES, LOSSES, MODELS, features
from gdviz.functions import FUNCTIONS, formula
from gdviz.networks import HIDDEN, mlp
from gdviz.networks import LOSSES as NETWORK_LOSSES
from gdviz.optimizers import OPTIMIZERS, default_lr
from gdviz.plane import KINDS as PLANES
from gdviz.recorder import Recorder
from gdviz.run import Run

DATA_STEPS = 200  # steps for user data, which carries no setup of its own
NETWORK_MODELS = ("mlp",)


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
    **optimizer_options
        Passed to the `torch.optim` optimiser (``betas=(0.9, 0.99)``, ``weight_decay=...``).

    Returns
    -------
    Run
        If the loss stops being finite, the run ends before it, ``run.diverged_at`` is set and
        a `RuntimeWarning` is issued.

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
        **optimizer_options,
    )
    run = session.run()
    if run.diverged_at is not None:
        warnings.warn(f"diverged at step {run.diverged_at}", RuntimeWarning, stacklevel=2)
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
        **options,
    ):
        if seed is not None:
            seed = _integer(seed, "seed", minimum=0)
            torch.manual_seed(seed)
        self.seed = seed
        self.zero_grad = bool(zero_grad)
        self.options = options
        if plane not in PLANES:
            raise GdvizError(f"unknown plane {plane!r}: use one of {', '.join(PLANES)}")
        self.plane = plane
        self.meta: dict[str, Any] = {}
        self.module: torch.nn.Module | None = None
        self.forward: landscape.FlatModule | None = None
        self.x = self.y = None
        self.shapes: list[tuple[int, ...]] | None = None
        # What the views cannot evaluate with numpy, as a function of the flat parameters.
        self.loss_at: Callable[[torch.Tensor], torch.Tensor] | None = None
        self.loss_size = 1

        own_lr = None  # a preset's rate for its own optimiser
        if isinstance(data, str) and data in PRESETS:
            gd_lr, own_lr = self._preset(data, model, loss, optimizer, steps, init, hidden)
        elif isinstance(data, str) or (callable(data) and not isinstance(data, torch.nn.Module)):
            if model is not None or loss is not None or hidden is not None:
                raise GdvizError("a function to minimise takes no model, loss or hidden layers")
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
            _check_choice(optimizer, OPTIMIZERS, "optimizer")
            self.optimizer = optimizer
            self.steps = _integer(DATA_STEPS if steps is None else steps, "steps", minimum=1)
            model = ("line" if x.ndim == 1 else "mlp") if model is None else model
            gd_lr = self._data(x, y, model, "mse" if loss is None else loss, init, hidden)
        if names is not None and self.meta.get("kind") != "function":
            raise GdvizError("names are for a function's parameters; a model names its own")
        if box is not None:
            self.box = _box(box, min(len(self.recorder.param_names), 2))
            self.meta["box"] = [list(b) for b in self.box]
        else:
            self.box = None
        if lr is None and own_lr is not None:
            lr = own_lr
        elif lr is None:
            lr = gd_lr if self.optimizer in ("gd", "sgd") else default_lr(self.optimizer, gd_lr)
        self.lr = _positive(lr, "lr")
        self.step, self.clear = _stepper(self.optimizer, self.lr, self.params, self.options)

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
        _check_choice(optimizer, OPTIMIZERS, "optimizer")
        self.optimizer = optimizer
        self.steps = _integer(preset.steps if steps is None else steps, "steps", minimum=1)
        if init is None and (model is None or model == preset.model):
            init = preset.init
        model = preset.model if model is None else model
        self._data(x, y, model, preset.loss if loss is None else loss, init, hidden)
        gd_lr = preset.lr if preset.optimizer == "gd" else preset.gd_lr
        return gd_lr, preset.lr if optimizer == preset.optimizer else None

    def _function(self, data, optimizer, steps, init, names):
        """Set up a function to minimise; returns gradient descent's rate and, for a named
        function, the rate its classic picture uses for this optimiser."""
        optimizer = "gd" if optimizer is None else optimizer
        _check_choice(optimizer, OPTIMIZERS, "optimizer")
        self.optimizer = optimizer
        if isinstance(data, str):
            if data in FUNCTIONS:
                fn = FUNCTIONS[data]
            elif re.fullmatch(r"[A-Za-z_][\w-]*", data) and data not in ("x", "y"):
                choices = ", ".join([*PRESETS, *FUNCTIONS])
                raise GdvizError(
                    f"unknown data {data!r}: use one of {choices}, a formula in x and y, "
                    "or an (x, y) pair"
                )
            else:
                fn = formula(data)
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
        values = _floats(init, "init")
        if variables is None:
            if names is None:
                variables = tuple(f"p{i}" for i in range(len(values)))
            else:
                variables = tuple(str(n) for n in names)
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
        self.steps = _integer(default_steps if steps is None else steps, "steps", minimum=1)
        dtype = torch.get_default_dtype()
        theta = torch.tensor(values, dtype=dtype, requires_grad=True)
        self.params = [theta]
        self.recorder = Recorder([theta], names=variables)
        self.objective = lambda: f(theta)
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
            _check_choice(loss, LOSS_NAMES, "loss")
            _check_labels(loss, y)
        if hidden is not None and model != "mlp":
            raise GdvizError("hidden sets the layers of model='mlp' only")
        dtype = torch.get_default_dtype()
        task = predictions.task_of(loss)[0]
        y_t = torch.as_tensor(y, dtype=torch.long if task == "multiclass" else dtype)
        x_t = torch.as_tensor(x, dtype=dtype)

        if isinstance(model, str) and model in MODELS:
            if columns != 1:
                raise GdvizError(
                    f"model {model!r} takes one input column; x has {columns}: use model='mlp' "
                    "or a torch.nn.Module"
                )
            if loss == "cross_entropy":
                raise GdvizError(
                    "cross_entropy needs one score per class: use model='mlp' or a network "
                    "(for two classes, loss='bce' with a built-in model is logistic regression)"
                )
            x = x.reshape(-1)
            self.x, x_t = x, x_t.reshape(-1)
            spec = MODELS[model]
            values = [0.0] * len(spec.param_names) if init is None else init
            values = _init(values, len(spec.param_names), ", ".join(spec.param_names))
            theta = torch.tensor(values, dtype=dtype, requires_grad=True)
            self.params = [theta]
            self.recorder = Recorder([theta], names=spec.param_names)
            loss_of = LOSSES[loss] if isinstance(loss, str) else loss
            self.objective = lambda: loss_of(spec.predict(theta, x_t), y_t)
            if not isinstance(loss, str):  # the views cannot evaluate a callable loss
                self.loss_at = lambda th: _scalar(loss_of(spec.predict(th, x_t), y_t))
                self.loss_size = len(x)
            self.meta.update(model=model, formula=spec.formula)
            self._set_loss_meta(loss)
            self._check_start(spec.param_names, values)
            return _curvature_lr(model, x, loss)

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
            _check_choice(model, (*MODELS, *NETWORK_MODELS), "model")
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
        self.recorder = Recorder(dict(named))
        self.forward = landscape.FlatModule(module, self.params)
        self.shapes = self.forward.shapes
        inputs = x_t if x.ndim == 2 else x_t[:, None]
        loss_of = NETWORK_LOSSES[loss] if isinstance(loss, str) else loss
        self.objective = lambda: loss_of(module(inputs), y_t)
        self.loss_at = lambda flat: _scalar(loss_of(self.forward(flat, inputs), y_t))
        self.loss_size = len(x)
        self.inputs = inputs
        self.on_plane = landscape.first_layer_shortcut(self.forward, loss_of, inputs, y_t)
        self.how = predictions.task_of(loss)[1]
        self._set_loss_meta(loss)
        self._check_start(None, None)
        return 0.01

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
        try:
            value = self.objective()
        except GdvizError:
            raise
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            what = "the function" if self.meta["kind"] == "function" else "the loss"
            raise GdvizError(
                f"{what} cannot be computed at the start: {_first_line(exc)}"
            ) from None
        if not isinstance(value, torch.Tensor):
            raise GdvizError(f"the function must return a torch tensor, not {type(value).__name__}")
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
        """Train, recording a snapshot before each update and after the last."""
        rec = self.recorder
        for t in range(self.steps + 1):
            if self.zero_grad or t == 0:
                self.clear()
            value = self.objective()
            value.backward()
            if not math.isfinite(rec.record(value)):
                break
            if t < self.steps:
                self.step()
        meta = dict(
            self.meta,
            optimizer=self.optimizer,
            lr=self.lr,
            steps=self.steps,
            seed=self.seed,
            zero_grad=self.zero_grad,
            options=_jsonable(self.options),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # said by the caller, at its line
            return rec.snapshot_run(x=self.x, y=self.y, meta=meta)

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
        for run in runs:
            predictions.attach(run, self.forward, how=self.how, input_shape=shape)


# -- checking arguments ---------------------------------------------------------------------------


def _curvature_lr(model: str, x: np.ndarray, loss: str = "mse") -> float:
    # The MSE of a linear-in-parameters model has the constant Hessian 2 AᵀA / n (A: features);
    # gradient descent is stable below 2 / L and quickest near 1 / L, L its largest eigenvalue.
    # Binary cross-entropy's Hessian is AᵀSA / n, S = p (1 - p) at most 1/4 (at the start).
    a = features(model, x)
    top = np.linalg.eigvalsh(2 * a.T @ a / len(x))[-1]
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


def _check_choice(value, choices, what: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise GdvizError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")


def _positive(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GdvizError(f"{what} must be a number, not {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise GdvizError(f"{what} must be a positive number, not {value!r}")
    return number


def _integer(value, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise GdvizError(f"{what} must be a whole number, not {value!r}")
    if value < minimum:
        raise GdvizError(f"{what} must be at least {minimum}, not {value}")
    return int(value)


def _floats(values, what: str) -> list[float]:
    try:
        out = [float(v) for v in np.asarray(values, dtype=float).reshape(-1)]
    except (TypeError, ValueError):
        raise GdvizError(f"{what} must be numbers, not {values!r}") from None
    if not out:
        raise GdvizError(f"{what} is empty")
    if not all(math.isfinite(v) for v in out):
        raise GdvizError(f"{what} must be finite numbers, not {values!r}")
    return out


def _init(init, n: int, what: str) -> list[float]:
    values = _floats(init, "init")
    if len(values) != n:
        raise GdvizError(f"init has {len(values)} values; the model has {n} parameters ({what})")
    return values


def _box(box, dims: int) -> list[tuple[float, float]]:
    try:
        pairs = [tuple(float(v) for v in pair) for pair in box]
    except (TypeError, ValueError):
        raise GdvizError(f"box must be (lo, hi) pairs, not {box!r}") from None
    if len(pairs) != dims or any(len(p) != 2 for p in pairs):
        raise GdvizError(f"box needs {dims} (lo, hi) pair{'s' if dims > 1 else ''}, not {box!r}")
    for lo, hi in pairs:
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise GdvizError(f"box sides must be finite with lo < hi, not ({lo:g}, {hi:g})")
    return pairs


def _jsonable(options: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _stepper(optimizer: str, lr: float, params, options) -> tuple[Callable, Callable]:
    spec = OPTIMIZERS[optimizer]
    if spec.cls is None:
        if options:
            raise GdvizError(f"optimizer 'gd' takes no options, got {', '.join(options)}")

        def step():
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad

        def clear():
            for p in params:
                p.grad = None

        return step, clear

    try:
        opt = getattr(torch.optim, spec.cls)(params, lr=lr, **{**spec.options, **options})
    except (TypeError, ValueError) as exc:
        raise GdvizError(f"optimizer {optimizer!r}: {exc}") from None
    return opt.step, opt.zero_grad
