"""What `train` minimises, resolved once from its data and `Options` into a frozen `Objective`:
the parameters, the loss as a function of them, the data, and what the views will need.

What can be minimised: a preset's fit (the tutorials' data), data of the user's own (one input
column or several, values or class labels) under a built-in model, gdviz's ``mlp`` or any
``torch.nn.Module``; a named test function, a formula in x and y, or any Python callable of a
parameter vector. The loop that trains it is `gdviz.training.train.Session`.
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from gdviz.errors import GdvizError, finite_numbers, first_line, one_of, whole
from gdviz.problems.data import PRESETS, as_xy, class_codes
from gdviz.problems.formulas import LOSS_NAMES, LOSSES, MODELS, model_of, mse_hessian
from gdviz.problems.functions import FUNCTIONS, formula
from gdviz.problems.optimizers import OPTIMIZERS
from gdviz.run.meta import Problem
from gdviz.run.plane import check_box
from gdviz.run.scaling import Scaling
from gdviz.training import predictions
from gdviz.training.curvature import Sharpness
from gdviz.training.landscape import FlatModule, first_layer_shortcut
from gdviz.training.networks import HIDDEN, mlp
from gdviz.training.networks import LOSSES as NETWORK_LOSSES
from gdviz.training.options import Options
from gdviz.training.store import Network

DATA_STEPS = 200  # steps for user data, which carries no setup of its own
NETWORK_MODELS = ("mlp",)


@dataclass(frozen=True, eq=False)
class Objective:
    """One problem, ready to train.

    ``loss(idx)`` computes the loss from the current parameters (on the rows ``idx`` of the
    data, all of them for None), a fresh graph each call. ``tensors`` (with ``names``) is what
    the recorder records. ``gd_lr`` is gradient descent's default rate and ``own_lr`` the rate
    the problem itself names for the optimiser (a preset's, a test function's), if any.
    ``loss_at`` is the loss of a flat parameter vector where the views cannot compute it with
    numpy (a network, a callable), with ``network`` what its predictions need.
    """

    problem: Problem
    optimizer: str
    steps: int
    params: list[torch.Tensor]
    tensors: Any  # a list of tensors, or a dict of them by name (a module's)
    names: tuple[str, ...] | None
    loss: Callable[..., torch.Tensor]
    gd_lr: float
    own_lr: float | None = None
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    module: torch.nn.Module | None = None
    loss_at: Callable[[torch.Tensor], torch.Tensor] | None = None
    loss_size: int = 1
    network: Network | None = None
    scaling: Scaling | None = None
    to_raw: Any = None  # a built-in model's map from standardised parameters to the data's

    @property
    def n(self) -> int:
        return 0 if self.x is None else len(self.x)

    def full_loss(self) -> torch.Tensor:
        """The loss on all the data, as the views see it (a network in eval mode)."""
        with evaluating(self.module):
            return self.loss()


def resolve(data, options: Options) -> Objective:
    """The `Objective` of ``data`` (anything `gdviz.train` takes) under ``options``, checked:
    a loss that cannot be computed at the start is said now, before any training."""
    o = options
    if isinstance(data, str) and data in PRESETS:
        found = _preset(data, o)
    elif isinstance(data, str) or (callable(data) and not isinstance(data, torch.nn.Module)):
        if o.model is not None or o.loss is not None or o.hidden is not None:
            raise GdvizError("a function to minimise takes no model, loss or hidden layers")
        if o.standardize:
            raise GdvizError("standardize rescales data; a function to minimise has none")
        found = _function(data, o)
    else:
        try:
            x, y = data
        except (TypeError, ValueError):
            raise GdvizError(
                "data must be a preset name, a formula, an (x, y) pair or a callable"
            ) from None
        about = {"source": "data", "kind": "data"}
        named = class_codes(y)
        if named is not None:  # class labels by name: a classifier, its names on the legend
            y, about["class_names"] = named
        # A network of the user's own may predict several targets at once: y of (n, k).
        x, y = as_xy(x, y, several=isinstance(o.model, torch.nn.Module) and named is None)
        optimizer = one_of("gd" if o.optimizer is None else o.optimizer, OPTIMIZERS, "optimizer")
        steps = whole_steps(DATA_STEPS if o.steps is None else o.steps)
        loss = ("mse" if named is None else "cross_entropy") if o.loss is None else o.loss
        if named is not None and predictions.task_of(loss)[0] == "regression":
            shown = ", ".join(named[1][:3]) + (", ..." if len(named[1]) > 3 else "")
            raise GdvizError(
                f"y holds class names ({shown}), and {loss!r} is a loss for numbers: use "
                "loss='cross_entropy' (or 'bce' for two classes)"
            )
        if o.model is not None:
            model = o.model
        else:  # a regression is a line (w·x + b) on any number of columns; classes, an mlp
            classes = x.ndim == 2 or named is not None
            model = "mlp" if classes and predictions.task_of(loss)[0] != "regression" else "line"
        found = _data(x, y, model, loss, o.init, o, about, optimizer, steps)
    if o.names is not None and found.problem.kind != "function":
        raise GdvizError("names are for a function's parameters; a model names its own")
    if o.box is not None:
        count = sum(p.numel() for p in found.params) if found.names is None else len(found.names)
        box = check_box(o.box, min(count, 2))
        found = replace(found, problem=replace(found.problem, box=tuple(box)))
    return found


def whole_steps(steps) -> int:
    return whole(steps, "steps", minimum=1)


# -- the three kinds of problem --------------------------------------------------------------------


def _preset(name: str, o: Options) -> Objective:
    """A preset's fit, with its setup as defaults; its rates where they hold."""
    preset = PRESETS[name]
    x, y = preset.data(o.seed)
    about = {
        "source": preset.name,
        "kind": "data",
        "title": preset.title,
        "x_label": preset.x_label,
        "y_label": preset.y_label,
    }
    if preset.columns:
        about["columns"] = list(preset.columns)
    optimizer = one_of(
        preset.optimizer if o.optimizer is None else o.optimizer, OPTIMIZERS, "optimizer"
    )
    steps = whole_steps(preset.steps if o.steps is None else o.steps)
    init = o.init
    if init is None and (o.model is None or o.model == preset.model):
        init = preset.init
    model = preset.model if o.model is None else o.model
    loss = preset.loss if o.loss is None else o.loss
    found = _data(x, y, model, loss, init, o, about, optimizer, steps)
    gd_lr = preset.lr if preset.optimizer == "gd" else preset.gd_lr
    own_lr = preset.lr if optimizer == preset.optimizer else None
    if o.standardize and found.module is None:
        # The preset's rates were tuned for its raw data; the standardised data has its own
        # curvature. An adaptive optimiser's rate is in parameter units and stays.
        gd_lr = found.gd_lr
        own_lr = own_lr if OPTIMIZERS[optimizer].gd_factor is None else None
    return replace(found, gd_lr=gd_lr, own_lr=own_lr)


def _function(data, o: Options) -> Objective:
    """A test function, a formula or a callable; for a named function, the rate its classic
    picture uses for this optimiser."""
    optimizer = one_of("gd" if o.optimizer is None else o.optimizer, OPTIMIZERS, "optimizer")
    init = o.init
    if isinstance(data, str):
        fn = _named_function(data)
        f, variables = fn.f, fn.variables
        about = {"source": fn.name, "kind": "function", "title": fn.formula}
        if fn.name == "formula":
            about["expression"] = fn.source
        if init is None and fn.init is None:
            raise GdvizError(f"formula {data!r} needs a start: init=(x, y)")
        init = fn.init if init is None else init
        default_steps, classic_lr = fn.steps, fn.rate(optimizer)
    else:
        f, variables = data, None
        label = getattr(data, "__name__", type(data).__name__)
        about = {"source": "function", "kind": "function"}
        about["title"] = "f" if label == "<lambda>" else label
        if init is None:
            raise GdvizError("a function to minimise needs a start: init=[...]")
        default_steps, classic_lr = DATA_STEPS, None
    values = finite_numbers(init, "init")
    loss_at = None
    if variables is None:
        variables = _names(o.names, len(values))
        loss_at = lambda theta: scalar(f(theta))  # noqa: E731
        shown = ", ".join(variables) if len(variables) <= 4 else "p"
        about["title"] += f"({shown})"
    elif len(values) != len(variables):
        count = f"{len(variables)} parameter{'s' if len(variables) > 1 else ''}"
        raise GdvizError(
            f"init has {len(values)} values; the function has {count} ({', '.join(variables)})"
        )
    steps = whole_steps(default_steps if o.steps is None else o.steps)
    theta = torch.tensor(values, dtype=torch.get_default_dtype(), requires_grad=True)
    found = Objective(
        problem=Problem(**about),
        optimizer=optimizer,
        steps=steps,
        params=[theta],
        tensors=[theta],
        names=tuple(variables),
        loss=lambda idx=None: f(theta),
        gd_lr=0.0,
        loss_at=loss_at,
    )
    check_start(found, variables, values)
    if classic_lr is not None:
        return replace(found, gd_lr=classic_lr, own_lr=classic_lr)
    return replace(found, gd_lr=curvature_lr_of(f, values))


def _named_function(data: str):
    if data in FUNCTIONS:
        return FUNCTIONS[data]
    try:
        return formula(data)
    except GdvizError:
        if not re.fullmatch(r"[A-Za-z_][\w-]*", data):
            raise  # a formula with a mistake: its own message names it
        choices = ", ".join([*PRESETS, *FUNCTIONS])
        raise GdvizError(
            f"unknown data {data!r}: use one of {choices}, a formula in x and y, or an (x, y) pair"
        ) from None


def _names(names, count: int) -> tuple[str, ...]:
    """A callable's parameter names: ``names`` checked, else ``p0, p1, ...``."""
    if names is None:
        return tuple(f"p{i}" for i in range(count))
    if isinstance(names, str) or not all(isinstance(n, str) for n in _iterable(names)):
        raise GdvizError(f"names must be a list of strings, not {names!r}"[:200])
    names = tuple(names)
    if len(names) != count or len(set(names)) != count:
        raise GdvizError(f"names must be {count} different names, one per init value")
    return names


def _data(x, y, model, loss, init, o: Options, about: dict, optimizer: str, steps: int):
    """A model fitted to ``x``, ``y``: a built-in one or a network."""
    columns = 1 if x.ndim == 1 else x.shape[1]
    if not (isinstance(loss, str) or callable(loss)):
        raise GdvizError(f"loss must be a name or a callable, not {type(loss).__name__}")
    if isinstance(loss, str):
        one_of(loss, LOSS_NAMES, "loss")
        _check_labels(loss, y)
    if o.hidden is not None and model != "mlp":
        raise GdvizError("hidden sets the layers of model='mlp' only")
    task = predictions.task_of(loss)[0]
    builtin = isinstance(model, str) and model in MODELS
    if builtin:
        model_of(model, columns)  # refuses a one-column model on more
    scaling = None
    if o.standardize:
        scaling = Scaling.of(x, y, task, loss, centred=model != "proportional")
        about["standardized"] = scaling.jsonable()
    about["loss"] = (
        loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    )
    if task != "regression":
        about.update(task=task, classes=max(2, int(y.max()) + 1))
    fit = (x, y) if scaling is None else (scaling.inputs(x), scaling.targets(y))
    dtype = torch.get_default_dtype()
    y_t = torch.as_tensor(fit[1], dtype=torch.long if task == "multiclass" else dtype)
    x_t = torch.as_tensor(fit[0], dtype=dtype)
    common = {"optimizer": optimizer, "steps": steps, "y": y, "scaling": scaling}
    if builtin:
        gd_lr = _curvature_lr(model, np.asarray(fit[0]), loss)
        return _builtin(x, x_t, y_t, model, loss, init, about, dict(common, gd_lr=gd_lr))
    return _network(x, x_t, y_t, model, loss, init, o, about, common)


def _builtin(x, x_t, y_t, model, loss, init, about, common) -> Objective:
    if loss == "cross_entropy":
        raise GdvizError(
            "cross_entropy needs one score per class: use model='mlp' or a network "
            "(for two classes, loss='bce' with a built-in model is logistic regression)"
        )
    columns = 1 if x.ndim == 1 else x.shape[1]
    if columns == 1:
        x, x_t = x.reshape(-1), x_t.reshape(-1)
    spec = model_of(model, columns)
    values = [0.0] * len(spec.param_names) if init is None else init
    values = _init(values, len(spec.param_names), ", ".join(spec.param_names))
    scaling, to_raw = common["scaling"], None
    if scaling is not None:
        to_raw = scaling.parameter_map(spec)
        if init is not None:  # given in the data's units: the same line, rescaled
            values = to_raw.inverse(values).tolist()
    theta = torch.tensor(values, dtype=torch.get_default_dtype(), requires_grad=True)
    loss_of = LOSSES[loss] if isinstance(loss, str) else loss
    loss_at, size = None, 1
    if not isinstance(loss, str):  # the views cannot evaluate a callable loss
        if scaling is not None:
            raise GdvizError("standardize works with a named loss, not a callable")
        loss_at = lambda th: scalar(loss_of(spec.predict(th, x_t), y_t))  # noqa: E731
        size = len(x)
    about.update(model=model, formula=spec.formula)
    found = Objective(
        problem=Problem(**about),
        params=[theta],
        tensors=[theta],
        names=spec.param_names,
        loss=lambda idx=None: loss_of(spec.predict(theta, _rows(x_t, idx)), _rows(y_t, idx)),
        x=x,
        loss_at=loss_at,
        loss_size=size,
        to_raw=to_raw,
        **common,
    )
    check_start(found, spec.param_names, values)
    return found


def _network(x, x_t, y_t, model, loss, init, o: Options, about, common) -> Objective:
    columns = 1 if x.ndim == 1 else x.shape[1]
    dtype = torch.get_default_dtype()
    if isinstance(model, str) and model in NETWORK_MODELS:
        outputs = int(common["y"].max()) + 1 if loss == "cross_entropy" else 1
        hidden = HIDDEN if o.hidden is None else o.hidden
        module = mlp(columns, outputs, hidden=hidden, seed=0 if o.seed is None else o.seed)
        widths = [m.out_features for m in module if isinstance(m, torch.nn.Linear)]
        about.update(model="mlp", formula=f"an MLP {columns}→{'→'.join(map(str, widths))}")
    elif isinstance(model, torch.nn.Module):
        module = copy.deepcopy(model).to(dtype)
        about.update(model="module", formula=type(model).__name__)
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
    params = [p for _, p in named]
    if init is not None:
        values = _init(init, sum(p.numel() for p in params), "the module's")
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(torch.tensor(values, dtype=dtype), params)
    forward = FlatModule(module, params)
    inputs = x_t if x.ndim == 2 else x_t[:, None]
    loss_of = NETWORK_LOSSES[loss] if isinstance(loss, str) else loss
    scaling = common["scaling"]
    scale = 1.0 if scaling is None else scaling.loss_scale
    how = predictions.task_of(loss)[1]
    network = Network(
        forward=forward,
        on_plane=first_layer_shortcut(forward, lambda out, t: loss_of(out, t) * scale, inputs, y_t),
        how=how,
        input_shape=tuple(inputs.shape[1:]),
        inputs_of=None if scaling is None else scaling.inputs,
        outputs_of=None if scaling is None or how != "raw" else scaling.untarget,
    )
    linear = scaling is not None and _is_line(module, named, columns, loss)
    if linear:  # a lone linear layer on standardised data: a line, read in the data's units
        about.update(model="line", formula=f"{type(model).__name__}: w·x + b")
    found = Objective(
        problem=Problem(**about),
        params=params,
        tensors=dict(named),
        names=None,
        loss=lambda idx=None: loss_of(module(_rows(inputs, idx)), _rows(y_t, idx)),
        gd_lr=0.01,
        x=x,
        module=module,
        # the views compute a line's loss themselves, in the data's units
        loss_at=None
        if linear
        else lambda flat: scalar(loss_of(forward(flat, inputs), y_t)) * scale,
        loss_size=len(x),
        network=None if linear else network,
        to_raw=scaling.parameter_map(model_of("line", columns)) if linear else None,
        **common,
    )
    check_start(found, None, None)
    return found


def _is_line(module: torch.nn.Module, named, columns: int, loss) -> bool:
    """Whether ``module`` is one linear layer of one output (weight, then bias) fitted by a
    named regression loss: ``w·x + b``, whose standardised parameters map to the data's."""
    layers = [m for m in module.modules() if m is not module or not list(m.children())]
    linear = [m for m in layers if isinstance(m, torch.nn.Linear)]
    shapes = [tuple(p.shape) for _, p in named]
    return (
        len(linear) == 1
        and all(isinstance(m, (torch.nn.Linear, torch.nn.Sequential)) for m in layers)
        and shapes == [(1, columns), (1,)]
        and loss in ("mse", "rmse", "mae")
    )


# -- checks ----------------------------------------------------------------------------------------


def check_start(found: Objective, names, values) -> None:
    """Evaluate the objective once: a loss that cannot be computed or is not one finite
    number is said now, in one line, before any training."""
    what = "the function" if found.problem.is_function else "the loss"
    try:
        with evaluating(found.module):  # no dropout noise, no batch-norm statistics moved
            value = found.loss()
    except GdvizError:
        raise
    except Exception as exc:  # the user's own code: whatever it raises, said in one line
        raise GdvizError(
            f"{what} cannot be computed at the start: {type(exc).__name__}: {first_line(exc)}"
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
        raise GdvizError(f"{what} is not finite at the start{where}: {value.item()}")
    for p in found.params:
        p.grad = None


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


# -- default rates ---------------------------------------------------------------------------------


def _curvature_lr(model: str, x: np.ndarray, loss: str = "mse") -> float:
    # The MSE of a linear-in-parameters model has the constant Hessian 2 AᵀA / n (A: features);
    # gradient descent is stable below 2 / L and quickest near 1 / L, L its largest eigenvalue.
    # Binary cross-entropy's Hessian is AᵀSA / n, S = p (1 - p) at most 1/4 (at the start).
    top = np.linalg.eigvalsh(mse_hessian(model, x))[-1]
    if loss == "bce":
        top /= 8
    return float(f"{1 / top:.1g}") if top > 0 else 0.1


def curvature_lr_of(f: Callable, values: list[float]) -> float:
    """``1 / L`` for a function, ``L`` its largest curvature (|Hessian eigenvalue|) at the
    start (`Sharpness.curvature`)."""
    theta = torch.tensor(values, dtype=torch.get_default_dtype(), requires_grad=True)
    try:
        top = Sharpness(lambda: scalar(f(theta)), [theta]).curvature()
    except (RuntimeError, ValueError, TypeError, GdvizError):
        top = float("nan")
    return float(f"{1 / top:.1g}") if math.isfinite(top) and top > 1e-12 else 0.01


# -- small helpers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def evaluating(module: torch.nn.Module | None):
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


def scalar(value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise GdvizError(f"the function must return a torch tensor, not {type(value).__name__}")
    return value.reshape(())


def _rows(t: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
    return t if idx is None else t[idx]


def _iterable(value) -> list:
    try:
        return list(value)
    except TypeError:
        return [None]
