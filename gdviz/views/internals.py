"""What an optimiser does inside one update, as vectors from the point it leaves.

Each is read from what the run recorded (`Run.grads`, `Run.state` as `torch.optim` kept it,
`Run.lr`), never from a re-implementation of the optimiser:

- the gradient step ``-lr g``: where plain gradient descent would go;
- the velocity ``-lr v``, with ``v`` torch's ``momentum_buffer`` after the update: the step
  heavy-ball momentum takes (Nesterov adds ``-lr g`` looking ahead);
- Adam's step before its per-coordinate scaling, ``-lr m̂`` (``m̂ = exp_avg / (1 - β₁ᵗ)``), and
  after it, ``-lr m̂ / (√v̂ + ε)`` (``v̂ = exp_avg_sq / (1 - β₂ᵗ)``): the step Adam takes, less
  any weight decay.

The state after the update that leaves snapshot ``k`` is the one recorded at snapshot ``k + 1``,
so each vector exists where the next snapshot is the next step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch

from gdviz.errors import GdvizError
from gdviz.run.record import Run
from gdviz.views.base import learning_rates

SHOWN_OF_BOX = 0.1  # a typical step, scaled up, is this share of the box's diagonal
LONGEST_OF_BOX = 0.22  # arrows longer than this share of the diagonal are cut to it, dashed


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    color: str
    edge: str  # the outline that keeps it visible on the contours
    width: float  # where arrows coincide (a velocity that is the step taken), the thinner
    zorder: float  # ones lie on top, so each still shows


KINDS = (
    # Orange, not red: red darkens to the velocity's black under protanopia.
    Kind("gradient", "gradient step −lr·g", "#FF7F00", "white", 1.2, 5.6),
    Kind("velocity", "velocity −lr·v (momentum)", "#111111", "white", 2.0, 5.4),
    Kind("adam_raw", "Adam before scaling −lr·m̂", "#F0027F", "white", 1.2, 5.5),
    Kind("adam_scaled", "Adam after scaling −lr·m̂/(√v̂+ε)", "#FFFFFF", "#111111", 2.0, 5.3),
)
STEP_WIDTH = 3.4  # the step taken, in the run's colour, under them all


def vectors(run: Run) -> dict[str, np.ndarray]:
    """Each kind of vector the run's records allow, shaped like ``run.params``: row ``k`` is
    the vector at snapshot ``k`` (NaN where it cannot be known: the last snapshot, a gap)."""
    lr = learning_rates(run)
    if lr is None:
        raise GdvizError(
            f"run {run.label!r} does not say its learning rate: record it with "
            "Recorder(..., optimizer=opt) to draw its internals"
        )
    lr = lr[:, None]
    shape = run.params.shape
    out = {"gradient": -lr * run.grads}
    # The state after the update that leaves snapshot k: recorded at k + 1, if that is step + 1.
    follows = np.zeros(len(run.loss), dtype=bool)
    steps = run.step_at(slice(None))
    follows[:-1] = np.diff(steps) == 1

    def after(name: str) -> np.ndarray:
        value = np.full(shape, np.nan)
        value[:-1] = np.asarray(run.state[name], dtype=np.float64)[1:]
        value[~follows] = np.nan
        return value

    state = run.state
    if "momentum_buffer" in state:
        out["velocity"] = -lr * after("momentum_buffer")
    settings = run.training.torch_optimizer
    settings = settings if isinstance(settings, dict) else {}
    betas, eps = settings.get("betas"), settings.get("eps", 1e-8)
    if (
        {"exp_avg", "exp_avg_sq", "step"} <= set(state)
        and isinstance(betas, list)
        and len(betas) == 2
        and all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas)
        and isinstance(eps, (int, float))
    ):
        t = after("step")
        with np.errstate(all="ignore"):
            m_hat = after("exp_avg") / (1 - betas[0] ** t)
            square = "max_exp_avg_sq" if settings.get("amsgrad") is True else "exp_avg_sq"
            if square not in state:
                square = "exp_avg_sq"
            v_hat = after(square) / (1 - betas[1] ** t)
            out["adam_raw"] = -lr * m_hat
            out["adam_scaled"] = -lr * m_hat / (np.sqrt(v_hat) + eps)
    return out


def scale_for(steps: np.ndarray, box) -> float:
    """One factor for every arrow of a run: its typical step taken (the 75th percentile of
    their lengths), times the factor, is `SHOWN_OF_BOX` of the box's diagonal. A round number
    (1, 2 or 5 times a power of ten), and never below 1: arrows are only ever drawn larger
    than life, and then the legend says by how much."""
    diagonal = float(np.hypot(box[0][1] - box[0][0], box[1][1] - box[1][0]))
    lengths = np.hypot(*np.asarray(steps, dtype=float).reshape(-1, 2).T)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not len(lengths) or diagonal <= 0:
        return 1.0
    want = SHOWN_OF_BOX * diagonal / float(np.percentile(lengths, 75))
    if want <= 1:
        return 1.0
    power = 10 ** np.floor(np.log10(want))
    return float(max(m * power for m in (1, 2, 5) if m * power <= want))


def clipped(vector: np.ndarray, longest: float) -> tuple[np.ndarray, bool]:
    """The vector, cut to ``longest`` if it is longer; and whether it was cut."""
    length = float(np.hypot(*vector))
    if length > longest:
        return vector * (longest / length), True
    return vector, False


# -- drawing ---------------------------------------------------------------------------------------


def draw(ax: Axes, vectors, arrows, steps, *, own, runs: int) -> None:
    """For the contour view: an arrow per run for each kind of vector its records allow
    (``vectors``, per run, from `vectors`), kept in ``arrows`` (per run, a dict by kind), and a
    legend entry per kind; the runs' own arrows (``steps``) become "the step taken", drawn
    wide under the vectors it is made of, in ``own`` colour on the legend."""
    kinds = [k for k in KINDS if any(k.name in v for v in vectors)]
    for arrow in steps:
        arrow.set_linewidth(STEP_WIDTH)
        arrow.set_zorder(5.0)
    label = "step taken" + (" (run's colour)" if runs > 1 else "")
    ax.plot([], [], color=own, lw=STEP_WIDTH, label=label)
    for kind in kinds:
        edge = [patheffects.withStroke(linewidth=3.4, foreground=kind.edge)]
        ax.plot([], [], color=kind.color, lw=kind.width + 0.6, label=kind.label, path_effects=edge)
        for held, made in zip(vectors, arrows):
            if kind.name not in held:
                continue
            arrow = FancyArrowPatch(
                (0, 0),
                (0, 0),
                arrowstyle="-|>",
                mutation_scale=12,
                color=kind.color,
                lw=kind.width,
                zorder=kind.zorder,
                shrinkA=0,
                shrinkB=0,
                path_effects=edge,
            )
            ax.add_patch(arrow)
            made[kind.name] = arrow


def aim(arrow, longest: float, start, vector, scale: float) -> None:
    """An arrow from ``start`` along ``vector`` times ``scale``, cut (and dashed) where longer
    than ``longest`` (`LONGEST_OF_BOX` of the box); hidden where unknown."""
    if not (np.isfinite(start).all() and np.isfinite(vector).all()):
        arrow.set_visible(False)
        return
    shown, cut = clipped(scale * np.asarray(vector), longest)
    arrow.set_visible(bool(np.hypot(*shown) > 0))
    arrow.set_positions(tuple(start), tuple(start + shown))
    arrow.set_linestyle((0, (3, 2)) if cut else "-")
