"""The optimiser's own state in a run, checked against what a plain torch loop leaves."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image
from stand_ins import mlp_loss

import gdviz
from gdviz import GdvizError

# torch.optim optimisers as gdviz names them, with the settings gdviz gives them.
OPTIMISERS = {
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adagrad": (torch.optim.Adagrad, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
}
STATE_NAMES = {
    "momentum": {"momentum_buffer"},
    "nesterov": {"momentum_buffer"},
    "rmsprop": {"step", "square_avg"},
    "adagrad": {"step", "sum"},
    "adam": {"step", "exp_avg", "exp_avg_sq"},
    "adamw": {"step", "exp_avg", "exp_avg_sq"},
}


def problem():
    """A small network on fixed data: two parameter tensors of different shapes."""
    torch.manual_seed(3)
    x = torch.randn(40, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3 * torch.randn(40)
    net = torch.nn.Linear(3, 1)
    return net, x, y


def plain_loop(cls, options, steps, lr=0.05, record=None):
    """A torch loop, with a deep copy of the optimiser's state taken after every update."""
    net, x, y = problem()
    opt = cls(net.parameters(), lr=lr, **options)
    rec = None if record is None else record(net, opt)
    after = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((net(x).squeeze(1) - y) ** 2).mean()
        loss.backward()
        if rec is not None:
            rec.record(loss)
        opt.step()
        after.append([copy.deepcopy(dict(opt.state[p])) for p in net.parameters()])
    return net, after, rec


def flat_state(net, state_after, name):
    """One row of the run's layout from a copy of torch's state: weight's entries, then bias."""
    row = []
    for p, state in zip(net.parameters(), state_after):
        value = state[name]
        row.extend(np.broadcast_to(value.numpy(), p.shape).reshape(-1).tolist())
    return row


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_recorder_copies_the_state_torch_leaves_after_each_update(name):
    cls, options = OPTIMISERS[name]
    steps = 12
    _, reference, _ = plain_loop(cls, options, steps)
    net, _, rec = plain_loop(
        cls, options, steps, record=lambda n, o: gdviz.Recorder(n, optimizer=o)
    )
    run = rec.to_run()
    assert set(run.state) == STATE_NAMES[name]
    for key, values in run.state.items():
        assert values.shape == (steps, 4)
        # Snapshot 0 comes before any update: torch has not made (or has zeroed) the state.
        np.testing.assert_array_equal(values[0], 0.0)
        for t in range(1, steps):
            np.testing.assert_array_equal(
                values[t], flat_state(net, reference[t - 1], key), err_msg=f"{key} at {t}"
            )
    assert run.meta["torch_optimizer"]["class"] == cls.__name__
    np.testing.assert_array_equal(run.lr, 0.05)


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_train_records_the_state_of_torch_optim(name):
    """train's run against a plain torch loop on the same data, model and loss."""
    cls, options = OPTIMISERS[name]
    run = gdviz.train("synthetic", optimizer=name, lr=0.01, steps=15)
    x, y = torch.as_tensor(run.x, dtype=torch.float32), torch.as_tensor(run.y, dtype=torch.float32)
    m = torch.tensor(float(run.params[0, 0]), requires_grad=True)
    b = torch.tensor(float(run.params[0, 1]), requires_grad=True)
    opt = cls([m, b], lr=0.01, **options)
    assert set(run.state) == STATE_NAMES[name]
    for t in range(1, 16):
        opt.zero_grad()
        ((m * x + b - y) ** 2).mean().backward()
        opt.step()
        for key, values in run.state.items():
            expected = [opt.state[m][key].item(), opt.state[b][key].item()]
            np.testing.assert_allclose(values[t], expected, rtol=1e-6, err_msg=f"{key} at {t}")


def test_gradient_descent_keeps_no_state():
    assert gdviz.train("synthetic", steps=3).state == {}


def test_state_survives_save_and_load(tmp_path):
    run = gdviz.train("rosenbrock", optimizer="adam", steps=20)
    back = gdviz.load(run.save(tmp_path / "adam.npz"))
    assert set(back.state) == {"step", "exp_avg", "exp_avg_sq"}
    for key in run.state:
        np.testing.assert_array_equal(back.state[key], run.state[key])
    assert back.meta["torch_optimizer"] == run.meta["torch_optimizer"]


def test_every_kth_snapshot_keeps_the_state_of_the_kept_steps():
    cls, options = OPTIMISERS["adam"]
    _, reference, _ = plain_loop(cls, options, 10)
    net, _, rec = plain_loop(
        cls, options, 10, record=lambda n, o: gdviz.Recorder(n, optimizer=o, every=3)
    )
    run = rec.to_run()
    np.testing.assert_array_equal(run.step, [0, 3, 6, 9])
    for row, step in enumerate(run.step[1:], start=1):
        np.testing.assert_array_equal(
            run.state["exp_avg"][row], flat_state(net, reference[step - 1], "exp_avg")
        )


def test_a_scheduled_rate_is_recorded_per_snapshot():
    net, x, y = problem()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    rec = gdviz.Recorder(net, optimizer=opt)
    for _ in range(6):
        opt.zero_grad()
        loss = ((net(x).squeeze(1) - y) ** 2).mean()
        loss.backward()
        rec.record(loss)
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(rec.to_run().lr, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_an_optimiser_of_other_tensors_is_refused():
    net, _, _ = problem()
    other = torch.nn.Linear(3, 1)
    with pytest.raises(GdvizError, match="updates none of the recorded tensors"):
        gdviz.Recorder(net, optimizer=torch.optim.Adam(other.parameters()))
    with pytest.raises(GdvizError, match=r"must be a torch\.optim optimiser"):
        gdviz.Recorder(net, optimizer="adam")


def test_a_run_file_whose_state_has_the_wrong_shape_is_refused(tmp_path):
    run = gdviz.train("rosenbrock", optimizer="momentum", steps=5)
    run.save(tmp_path / "ok.npz")
    import zipfile

    with (
        zipfile.ZipFile(tmp_path / "ok.npz") as src,
        zipfile.ZipFile(tmp_path / "bad.npz", "w") as dst,
    ):
        for info in src.infolist():
            if info.filename == "state.momentum_buffer.npy":
                import io

                buf = io.BytesIO()
                np.save(buf, np.zeros((3, 2)))
                dst.writestr(info.filename, buf.getvalue())
            else:
                dst.writestr(info, src.read(info))
    with pytest.raises(GdvizError, match=r"state.momentum_buffer.*shaped \(3, 2\).*\(6, 2\)"):
        gdviz.load(tmp_path / "bad.npz")


# -- sharpness ------------------------------------------------------------------------------------


def test_sharpness_of_a_line_under_mse_is_the_closed_form():
    """For m x + b under MSE the Hessian is 2 AᵀA / n with A = [x, 1], at every step."""
    run = gdviz.train("synthetic", steps=20, curvature=True)
    a = np.column_stack([run.x, np.ones_like(run.x)])
    top = np.linalg.eigvalsh(2 * a.T @ a / len(a))[-1]
    np.testing.assert_allclose(run.sharpness, top, rtol=1e-5)


def test_sharpness_of_a_quadratic_model_is_the_closed_form():
    x = np.linspace(-2, 3, 30)
    y = 0.5 * x**2 - x + 1
    run = gdviz.train((x, y), model="quadratic", lr=0.005, steps=10, curvature=True)
    a = np.column_stack([x**2, x, np.ones_like(x)])  # the model's parameters in gdviz's order
    assert run.param_names == ("a", "b", "c")
    top = np.linalg.eigvalsh(2 * a.T @ a / len(a))[-1]
    np.testing.assert_allclose(run.sharpness, top, rtol=1e-5)


def _hessian_top(fn, flat):
    h = torch.autograd.functional.hessian(
        fn, torch.as_tensor(flat, dtype=torch.float64), vectorize=True
    )  # vmap over the rows: the same matrix, 157 backward passes made one
    return np.linalg.eigvalsh(h.numpy())[-1]


@pytest.mark.parametrize("hidden", [(6,), (12, 8)])  # 31 parameters (exact), 157 (iterated)
def test_sharpness_of_a_network_against_torch_autograd_hessian(hidden):
    run = gdviz.train("moons", hidden=hidden, optimizer="gd", steps=30, seed=1, curvature=True)
    size = len(run.param_names)
    assert (size <= 100) == (hidden == (6,))
    x = torch.as_tensor(run.x, dtype=torch.float64)
    y = torch.as_tensor(run.y, dtype=torch.int64)
    loss = mlp_loss(x, y, [2, *hidden, 2])

    for t in (0, 15, 30):
        np.testing.assert_allclose(run.sharpness[t], _hessian_top(loss, run.params[t]), rtol=1e-3)
        np.testing.assert_allclose(
            float(loss(torch.as_tensor(run.params[t]))), run.loss[t], rtol=1e-4
        )


@pytest.mark.parametrize("size", [40, 140])  # the exact path and power iteration
def test_sharpness_is_the_largest_eigenvalue_not_the_largest_in_size(size):
    """A saddle whose most negative curvature (-5) outweighs its largest (2): the top is 2."""
    a = torch.linspace(-5.0, 2.0, size, dtype=torch.float64)
    run = gdviz.train(
        lambda p: 0.5 * (a * p**2).sum(), init=[0.1] * size, lr=0.01, steps=3, curvature=True
    )
    np.testing.assert_allclose(run.sharpness, 2.0, rtol=1e-4)


def test_sharpness_survives_save_and_load_and_follows_every(tmp_path):
    run = gdviz.train("rosenbrock", steps=9, every=4, curvature=True)
    assert run.step.tolist() == [0, 4, 8, 9]
    back = gdviz.load(run.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.sharpness, run.sharpness)
    for row, (x, y) in enumerate(run.params):  # Rosenbrock's Hessian in closed form
        h = np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200]])
        np.testing.assert_allclose(run.sharpness[row], np.linalg.eigvalsh(h)[-1], rtol=1e-4)


def test_without_curvature_there_is_no_sharpness():
    assert gdviz.train("synthetic", steps=2).sharpness is None
    with pytest.raises(TypeError, match="curvature must be True or False"):
        gdviz.train("synthetic", steps=2, curvature="yes")


# -- the vectors inside an update, and their arrows -------------------------------------------


def test_each_optimisers_vectors_add_up_to_the_step_torch_took():
    """Independent check: the step taken is params[k + 1] - params[k], torch's own update."""
    from gdviz.views.internals import vectors

    for name in ("gd", "momentum", "nesterov", "adam"):
        run = gdviz.train("rosenbrock", optimizer=name, steps=25)
        v, taken = vectors(run), np.diff(run.params, axis=0)
        lr, g = run.lr[:-1, None], run.grads[:-1]
        if name == "gd":
            assert set(v) == {"gradient"}
            np.testing.assert_allclose(v["gradient"][:-1], taken, rtol=1e-4, atol=1e-6)
        elif name == "momentum":  # heavy ball: the velocity is the step
            assert set(v) == {"gradient", "velocity"}
            np.testing.assert_allclose(v["velocity"][:-1], taken, rtol=1e-4, atol=1e-6)
        elif name == "nesterov":  # Nesterov looks ahead: the gradient plus momentum's velocity
            np.testing.assert_allclose(
                -lr * g + 0.9 * v["velocity"][:-1], taken, rtol=1e-4, atol=1e-6
            )
        else:  # Adam's step after its scaling is the step it took (no weight decay)
            assert set(v) == {"gradient", "adam_raw", "adam_scaled"}
            np.testing.assert_allclose(v["adam_scaled"][:-1], taken, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(v["gradient"], -run.lr[:, None] * run.grads)
            # Before scaling: m̂ is the bias-corrected average of the gradients so far.
            beta = 0.9
            k = 10
            m = sum((1 - beta) * beta ** (k - j) * run.grads[j] for j in range(k + 1))
            np.testing.assert_allclose(
                v["adam_raw"][k], -run.lr[k] * m / (1 - beta ** (k + 1)), rtol=1e-4
            )
        assert np.isfinite(v["gradient"][-1]).all()  # the last snapshot has its gradient
        for key in set(v) - {"gradient"}:
            assert np.isnan(v[key][-1]).all()  # no update leaves the last snapshot


def _arrow_end(arrow):
    return np.asarray(arrow._posA_posB[1]) - np.asarray(arrow._posA_posB[0])


def test_the_contour_view_draws_each_vector_from_the_current_point():
    from gdviz.views import ContourView
    from gdviz.views.internals import LONGEST_OF_BOX

    run = gdviz.train("synthetic", optimizer="momentum", steps=60)
    view = ContourView(run, internals=True).plot(step=0)
    labels = view.ax_.get_legend().get_texts()
    assert [t.get_text() for t in labels][-3:] == [
        "step taken",
        "gradient step −lr·g",
        "velocity −lr·v (momentum)",
    ]
    scale = view.arrow_scale[0]
    assert scale > 1 and view.ax_.get_legend().get_title().get_text() == f"arrows ×{scale:g}"
    (x0, x1), (y0, y1) = view.ax_.get_xlim(), view.ax_.get_ylim()
    longest = LONGEST_OF_BOX * np.hypot(x1 - x0, y1 - y0)
    for k in (1, 12, 40):
        view.update(k)
        velocity, gradient = view.inner_[0]["velocity"], view.inner_[0]["gradient"]
        assert velocity.get_visible() and gradient.get_visible()
        assert tuple(velocity._posA_posB[0]) == tuple(run.params[k])
        expected = scale * (run.params[k + 1] - run.params[k])  # heavy ball: velocity = step
        if np.hypot(*expected) > longest:
            expected *= longest / np.hypot(*expected)
        np.testing.assert_allclose(_arrow_end(velocity), expected, rtol=1e-5)
        np.testing.assert_allclose(
            _arrow_end(gradient), -scale * run.lr[k] * run.grads[k], rtol=1e-5
        )
    view.update(run.steps)  # no update leaves the last snapshot
    assert not view.inner_[0]["velocity"].get_visible()


def test_an_animation_with_internals_blits_what_a_full_draw_draws():
    from gdviz.animation.animation import _rgb

    runs = gdviz.sweep("rosenbrock", optimizer=["momentum", "adam"], steps=80)
    anim = gdviz.animate(runs, view="contour", show=["internals"], frames=8)
    frames = list(anim.frames())
    assert len(frames) == 8
    anim.update(4)
    anim.fig.canvas.draw()
    assert np.array_equal(frames[4], _rgb(anim.fig.canvas))
    legend = [t.get_text() for t in anim.views[0].ax_.get_legend().get_texts()]
    assert "Adam after scaling −lr·m̂/(√v̂+ε)" in legend and "velocity −lr·v (momentum)" in legend
    assert any(t.startswith("momentum, lr") and "arrows ×" in t for t in legend)


def test_internals_and_curvature_are_refused_where_they_cannot_be_drawn(fit_line):
    run = gdviz.train("synthetic", steps=3)
    with pytest.raises(GdvizError, match="internals are drawn on the contour view"):
        gdviz.animate(run, view="fit", show=["internals"])
    with pytest.raises(GdvizError, match="recorded no sharpness: train it with curvature=True"):
        gdviz.animate(run, view="loss", show=["curvature"])
    with pytest.raises(GdvizError, match="cannot show 'everything'"):
        gdviz.animate(run, view="loss", show=["everything"])
    moons = gdviz.train("moons", hidden=(4,), steps=3)
    with pytest.raises(GdvizError, match="drawn for two parameters; this run has 22"):
        gdviz.animate(moons, view="contour", show="internals")
    m = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    x = torch.linspace(-1, 1, 20)
    loop = gdviz.Recorder({"m": m, "b": b})  # not told the optimiser: no rate, no state
    fit_line(loop, m, b, x, 2 * x, steps=3, lr=0.1)
    run = loop.to_run(x=x, y=2 * x, model="line", loss="mse")
    with pytest.raises(GdvizError, match="does not say its learning rate"):
        gdviz.animate(run, view="contour", show=["internals"])


def test_the_loss_view_draws_sharpness_and_the_edge_of_stability():
    from gdviz.views import LossView

    runs = gdviz.sweep("synthetic", lr=[0.9, 1.05], steps=20, curvature=True)
    view = LossView(runs).plot(step=10)
    twin = next(a for a in view.figure_.axes if a is not view.ax_)
    xs, ys = view.sharp_[0].get_data()
    np.testing.assert_array_equal(xs, np.arange(11))
    np.testing.assert_array_equal(ys, runs[0].sharpness[:11])
    assert [e.get_color() for e in view.edge_] == view.colors[:2]  # one per run, its colour
    np.testing.assert_allclose(view.edge_[0].get_ydata(), 2 / 0.9)
    np.testing.assert_allclose(view.edge_[1].get_ydata(), 2 / 1.05)
    legend = [t.get_text() for t in twin.get_legend().get_texts()]
    assert legend[-2:] == ["sharpness (run's colour)", "2 / lr (run's colour)"]
    assert twin.get_ylim()[1] >= 2 / 0.9  # the higher line stays in view
    momentum = gdviz.train("synthetic", optimizer="momentum", steps=5, curvature=True)
    view = LossView(momentum).plot()
    twin = next(a for a in view.figure_.axes if a is not view.ax_)
    (edge,) = [line for line in twin.get_lines() if line.get_label() == "(2 + 2β) / lr"]
    np.testing.assert_allclose(edge.get_ydata(), 3.8 / momentum.meta["lr"])
    adam = gdviz.train("synthetic", optimizer="adam", steps=5, curvature=True)
    view = LossView(adam).plot()  # Adam's own line, on its preconditioned sharpness
    twin = next(a for a in view.figure_.axes if a is not view.ax_)
    labels = [line.get_label() for line in twin.get_lines()]
    assert labels == [
        "preconditioned sharpness (top eigenvalue of P⁻¹H)",
        "38 / lr: (2 + 2β1) / ((1 − β1)·lr), β1 = 0.9",
    ]
    np.testing.assert_allclose(twin.get_lines()[1].get_ydata(), 38 / adam.meta["lr"])
    assert twin.get_ylabel() == "preconditioned sharpness λ1(P⁻¹H)"
    nesterov = gdviz.train("synthetic", optimizer="nesterov", steps=5, curvature=True)
    view = LossView(nesterov).plot()  # none known: said, not left to be looked for
    twin = next(a for a in view.figure_.axes if a is not view.ax_)
    legend = [t.get_text() for t in twin.get_legend().get_texts()]
    assert legend[-1] == "no edge of stability known for nesterov"
    assert [line.get_linestyle() for line in twin.get_lines()] == ["-", "None"]


def _preconditioner_from_state(name: str, state: dict, options: dict) -> np.ndarray:
    """P for the step after a snapshot, from the state that step left (torch's docs' formulas)."""
    if name in ("adam", "adamw"):
        b1, b2 = options.get("betas", (0.9, 0.999))
        t = state["step"]
        v = state["max_exp_avg_sq"] if options.get("amsgrad") else state["exp_avg_sq"]
        return (1 - b1**t) * (np.sqrt(v / (1 - b2**t)) + 1e-8)
    if name == "rmsprop":
        v = state["square_avg"]
        if options.get("centered"):
            v = v - state["grad_avg"] ** 2
        return np.sqrt(v) + 1e-8
    return np.sqrt(state["sum"]) + 1e-10


@pytest.mark.parametrize(
    "name, options",
    [
        ("adam", {}),
        ("adam", {"amsgrad": True, "weight_decay": 0.3, "betas": (0.8, 0.99)}),
        ("adamw", {"weight_decay": 0.3}),
        ("rmsprop", {"centered": True}),
        ("adagrad", {"weight_decay": 0.1}),
    ],
)
def test_the_preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h(name, options):
    # A diagonal quadratic: H = diag(2, 30) everywhere, so λ1(P⁻¹H) is known from P alone.
    run = gdviz.train(
        "x**2 + 15*y**2", init=(1.5, -0.7), optimizer=name, lr=0.05, steps=25, curvature=True,
        **options,
    )  # fmt: skip
    assert run.meta["sharpness"] == "preconditioned"
    decay = options.get("weight_decay", 0.0) if name != "adamw" else 0.0  # in the gradient
    h = np.diag([2.0, 30.0]) + decay * np.eye(2)
    for t in range(len(run.loss) - 1):
        state = {k: v[t + 1] for k, v in run.state.items()}
        p = _preconditioner_from_state(name, state, options)
        expected = np.linalg.eigvals(np.diag(1 / p) @ h).real.max()
        assert run.sharpness[t] == pytest.approx(expected, rel=1e-6)


def test_the_preconditioner_is_the_one_adams_step_divided_by_beyond_the_exact_hessian():
    # 121 parameters: past the exact Hessian, by Lanczos. Linear least squares: H = 2XᵀX/n.
    torch.manual_seed(0)
    x = torch.randn(200, 120, dtype=torch.float64)
    y = x @ torch.randn(120, dtype=torch.float64) + 0.1 * torch.randn(200, dtype=torch.float64)
    net = torch.nn.Linear(120, 1).double()
    torch.set_default_dtype(torch.float64)
    try:
        run = gdviz.train((x, y), model=net, optimizer="adam", lr=0.01, steps=6, curvature=True)
    finally:
        torch.set_default_dtype(torch.float32)
    design = np.column_stack([np.ones(200), x.numpy()])  # the bias first, as the Linear's
    h = 2 * design.T @ design / 200
    order = [*range(1, 121), 0]  # the run's columns: weight, then bias
    h = h[np.ix_(order, order)]
    for t in range(6):
        # What Adam divided by, read off the step it took: Δθ = −lr · m / P.
        moved = run.params[t + 1] - run.params[t]
        p = -0.01 * run.state["exp_avg"][t + 1] / moved
        root = 1 / np.sqrt(p)
        expected = np.linalg.eigvalsh(root[:, None] * h * root[None, :])[-1]
        assert run.sharpness[t] == pytest.approx(expected, rel=1e-4)


def test_a_runs_kind_of_sharpness_is_saved_with_it(tmp_path):
    run = gdviz.train("rosenbrock", optimizer="rmsprop", steps=4, curvature=True)
    run.save(tmp_path / "r.npz")
    assert gdviz.load(tmp_path / "r.npz").meta["sharpness"] == "preconditioned"
    gd = gdviz.train("rosenbrock", optimizer="gd", steps=4, curvature=True)
    assert gd.meta["sharpness"] == "hessian"


def test_the_command_line_records_and_draws_curvature_and_internals(tmp_path, capsys):
    from gdviz.cli.commands import main

    out = tmp_path / "both.png"
    saved = tmp_path / "run.npz"
    code = main(
        [
            "animate", "--dataset", "synthetic", "--optimizer", "adam", "--steps", "30",
            "--show", "internals,curvature", "--out", str(out), "--save-run", str(saved),
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    run = gdviz.load(saved)
    assert run.sharpness is not None and set(run.state) == {"step", "exp_avg", "exp_avg_sq"}
    with Image.open(out) as im:
        assert im.size == (1280, 440)  # no --view: internals and curvature make a dashboard
    code = main(
        ["animate", "--run", str(saved), "--show", "curvature", "--out", str(tmp_path / "l.png")]
    )
    assert code == 0
    code = main(["animate", "--dataset", "synthetic", "--show", "curvature", "--view", "contour"])
    assert code == 2
    assert "--show curvature draws on the loss view" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == [out, tmp_path / "l.png", saved]


def test_a_hostile_run_file_of_state_and_sharpness_still_draws(tmp_path):
    """Infinite state, a sharpness of nan and inf, settings of the wrong type: drawn where
    they can be, the rest left out, never a crash."""
    run = gdviz.train("rosenbrock", optimizer="adam", steps=12, curvature=True)
    run.state["exp_avg"] = np.full_like(run.params, np.inf)
    run.sharpness = np.where(np.arange(len(run.loss)) % 2, np.nan, np.inf)
    run.sharpness[3] = 50.0
    run.meta["torch_optimizer"] = {"class": "Adam", "betas": ["a", 2], "eps": "x"}
    back = gdviz.load(run.save(tmp_path / "hostile.npz"))
    view = gdviz.animate(back, view="contour", show=["internals"], frames=4).views[0]
    assert set(view.inner_[0]) == {"gradient"}  # Adam's vectors need betas it can use
    anim = gdviz.animate(back, view="dashboard", show=["internals", "curvature"], frames=4)
    assert len(list(anim.frames())) == 4


def test_the_arrows_scale_is_the_largest_round_factor_that_keeps_a_typical_step_small():
    from gdviz.views.internals import SHOWN_OF_BOX, scale_for

    box = [(0.0, 6.0), (0.0, 8.0)]  # a diagonal of 10
    for length, expected in ((0.01, 100.0), (0.003, 200.0), (0.04, 20.0), (0.15, 5.0), (2.0, 1.0)):
        steps = np.column_stack([np.full(50, length), np.zeros(50)])
        assert scale_for(steps, box) == expected, length
        assert expected * length <= SHOWN_OF_BOX * 10 or expected == 1.0


def test_the_exact_hessian_row_by_row_agrees_with_the_batched_one():
    from gdviz.training.curvature import Sharpness

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    x = torch.randn(30, 2)
    y = torch.randn(30)

    def objective():
        return ((net(x).squeeze(1) - y) ** 2).mean()

    batched = Sharpness(objective, list(net.parameters()))
    rows = Sharpness(objective, list(net.parameters()))
    rows._batched = False  # as where an operation has no vmap rule
    assert batched() == pytest.approx(rows(), rel=1e-6)
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).double()
    shapes = [p.shape for p in net.parameters()]

    def loss(v):
        parts, at = [], 0
        for shape in shapes:
            n = int(np.prod(shape))
            parts.append(v[at : at + n].reshape(shape))
            at += n
        w1, b1, w2, b2 = parts
        out = torch.tanh(x.double() @ w1.T + b1) @ w2.T + b2
        return ((out.squeeze(1) - y.double()) ** 2).mean()

    top = np.linalg.eigvalsh(torch.autograd.functional.hessian(loss, flat).numpy())[-1]
    assert rows() == pytest.approx(top, rel=1e-4)


def test_adams_scaled_step_with_amsgrad_is_the_step_taken():
    # amsgrad divides by the running maximum of exp_avg_sq: the arrow after scaling must use it
    # (betas (0.9, 0.5): v falls quickly, so the maximum and the current one differ a lot).
    from gdviz.views.internals import vectors

    run = gdviz.train("rosenbrock", optimizer="adam", lr=0.01, steps=30, amsgrad=True,
                      betas=(0.9, 0.5))  # fmt: skip
    scaled = vectors(run)["adam_scaled"][:-1]
    taken = np.diff(run.params, axis=0)
    np.testing.assert_allclose(scaled, taken, rtol=1e-4, atol=1e-7)


def test_a_run_kept_every_k_steps_draws_no_state_arrows_from_a_later_step():
    # The state after the update leaving snapshot k is recorded at k + 1 only where that
    # snapshot is the next step; kept every 3rd, no snapshot is followed by its next step.
    from gdviz.views.internals import vectors

    run = gdviz.train("rosenbrock", optimizer="momentum", steps=30, every=3)
    velocity = vectors(run)["velocity"]
    assert np.isnan(velocity).all()
    every = gdviz.train("rosenbrock", optimizer="momentum", steps=30)
    assert np.isfinite(vectors(every)["velocity"][:-1]).all()


def test_the_default_rate_of_a_big_function_weighs_a_negative_curvature_too():
    # Over 100 parameters the largest |eigenvalue| comes from Lanczos run from both ends: near
    # a hilltop the most negative one is the larger, and sets the stable rate (about 1 / 16).
    n = 120
    scales = torch.linspace(0.5, 1.0, n)

    def f(p):
        return -8 * (p[0] ** 2) + (scales * p**2).sum()  # eigenvalues 2s and 2s - 16

    run = gdviz.train(f, init=np.full(n, 0.01), steps=1)
    assert run.meta["lr"] == pytest.approx(0.07, abs=0.01)  # 1 / 15, rounded to 1 digit
