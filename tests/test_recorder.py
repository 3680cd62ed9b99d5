"""`gdviz.Recorder`: what it records from a user's loop, checked against copies taken by hand."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import gdviz
from gdviz import GdvizError
from gdviz.problems.data import PRESETS


@pytest.fixture
def xy():
    x = torch.linspace(-1.0, 1.0, 21)
    return x, 3.0 * x + 2.0


def test_dict_of_tensors(xy, fit_line):
    m = torch.tensor([0.0], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    rec = gdviz.Recorder({"m": m, "b": b})
    seen = fit_line(rec, m, b, *xy, steps=25)
    assert len(rec) == 25
    run = rec.to_run()
    assert run.param_names == ("m", "b")
    np.testing.assert_array_equal(run.params, seen[:, :2])
    np.testing.assert_array_equal(run.grads, seen[:, 2:4])
    np.testing.assert_array_equal(run.loss, seen[:, 4])
    assert run.diverged_at is None
    assert run.x is None and run.y is None


def test_module_parameters_keep_their_names():
    torch.manual_seed(0)
    module = torch.nn.Linear(2, 1)
    rec = gdviz.Recorder(module)
    assert rec.param_names == ("weight[0,0]", "weight[0,1]", "bias")
    inputs = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    target = torch.tensor([[1.0], [0.0], [2.0]])
    opt = torch.optim.SGD(module.parameters(), lr=0.05)
    expected = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(module(inputs), target)
        loss.backward()
        rec.record(loss)
        weight, bias = module.weight, module.bias
        expected.append([*weight.reshape(-1).tolist(), bias.item()])
        expected[-1] += [*weight.grad.reshape(-1).tolist(), bias.grad.item()]
        opt.step()
    run = rec.to_run()
    expected = np.array(expected)
    np.testing.assert_array_equal(run.params, expected[:, :3])
    np.testing.assert_array_equal(run.grads, expected[:, 3:])


def test_list_of_tensors_and_names():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor(5.0, requires_grad=True)
    assert gdviz.Recorder([a, c]).param_names == ("p0[0]", "p0[1]", "p1")
    rec = gdviz.Recorder([a, c], names=("u", "v", "w"))
    (a.sum() * c).backward()
    rec.record(a.sum() * c)
    run = rec.to_run()
    assert run.param_names == ("u", "v", "w")
    np.testing.assert_array_equal(run.params, [[1.0, 2.0, 5.0]])
    np.testing.assert_array_equal(run.grads, [[5.0, 5.0, 3.0]])  # d(c(a0+a1))/d(a0, a1, c)
    np.testing.assert_array_equal(run.loss, [15.0])


@pytest.mark.parametrize(
    ("params", "names", "named"),
    [
        ({}, None, "at least one"),
        ([], None, "at least one"),
        ({"m": 1.0}, None, "'m'"),
        ([torch.zeros(2)], ("a",), "1 names"),
    ],
)
def test_bad_recorder_arguments(params, names, named):
    with pytest.raises(GdvizError, match=named):
        gdviz.Recorder(params, names=names)


@pytest.mark.parametrize("shapes", [[(3,)], [(), (1,), (1, 1)], [(2,), ()]])
def test_grows_past_its_initial_capacity(shapes):
    # Three numbers, held in one tensor, in three one-number tensors, or in a mix.
    tensors = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    rec = gdviz.Recorder(tensors)
    assert len(rec.param_names) == 3
    n = 2500  # past 1024 and 2048: two doublings
    sizes = [t.numel() for t in tensors]
    for i in range(n):
        values = torch.tensor([i, -i, 0.5 * i]).split(sizes)
        grads = (torch.tensor([1.0, 2.0, 3.0]) * i).split(sizes)
        for t, v, g in zip(tensors, values, grads):
            with torch.no_grad():
                t.copy_(v.reshape(t.shape))
            t.grad = g.reshape(t.shape)
        rec.record(float(i) ** 0.5)
    run = rec.to_run()
    i = np.arange(n, dtype=float)
    np.testing.assert_array_equal(run.params, np.stack([i, -i, 0.5 * i], axis=1))
    np.testing.assert_array_equal(run.grads, np.outer(i, [1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(run.loss, i**0.5)


def test_records_copies_not_views():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    rec = gdviz.Recorder([w])
    w.grad = torch.tensor([0.5, 0.25])
    rec.record(torch.tensor(9.0))
    with torch.no_grad():
        w.mul_(10)
    w.grad.mul_(10)
    run = rec.to_run()
    np.testing.assert_array_equal(run.params, [[1.0, 2.0]])
    np.testing.assert_array_equal(run.grads, [[0.5, 0.25]])


def test_a_missing_grad_is_recorded_as_zero():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    rec = gdviz.Recorder([w])
    rec.record(1.0)  # before any backward(): .grad is None
    w.grad = torch.tensor([3.0, 4.0])
    rec.record(2.0)
    w.grad = None
    rec.record(3.0)
    np.testing.assert_array_equal(rec.to_run().grads, [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])


def test_to_run_takes_data_model_and_loss(xy, fit_line):
    x, y = xy
    m = torch.tensor([0.0], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    rec = gdviz.Recorder({"m": m, "b": b})
    fit_line(rec, m, b, x, y, steps=3)
    run = rec.to_run(x=x, y=y, model="line", loss="mse", title="mine")
    assert run.x.dtype == run.y.dtype == np.float64
    np.testing.assert_array_equal(run.x, x.numpy())
    np.testing.assert_array_equal(run.y, y.numpy())
    assert run.meta["model"] == "line"
    assert run.meta["loss"] == "mse"
    assert run.meta["title"] == "mine"
    # Numpy data is taken as is.
    run = rec.to_run(x=x.numpy().astype(np.float64), y=[1.0] * 21)
    np.testing.assert_array_equal(run.y, np.ones(21))


def test_to_run_with_nothing_recorded():
    rec = gdviz.Recorder([torch.zeros(1, requires_grad=True)])
    with pytest.raises(GdvizError, match="nothing was recorded"):
        rec.to_run()


def test_a_recording_that_diverges_is_cut_before_the_first_non_finite_snapshot():
    w = torch.tensor([1.0], requires_grad=True)
    rec = gdviz.Recorder([w])
    for value in (4.0, 2.0, float("inf"), 1.0):
        rec.record(value)
    with pytest.warns(RuntimeWarning, match="diverged at step 2"):
        run = rec.to_run()
    assert run.diverged_at == 2
    np.testing.assert_array_equal(run.loss, [4.0, 2.0])
    # A non-finite parameter counts too.
    rec = gdviz.Recorder([w])
    rec.record(4.0)
    with torch.no_grad():
        w.fill_(float("nan"))
    rec.record(3.0)
    with pytest.warns(RuntimeWarning, match="diverged at step 1"):
        assert rec.to_run().diverged_at == 1


@pytest.mark.slow
def test_the_screen_time_loop_equals_train_with_rmse():
    # Seed 000's final loop, word for word, on the synthetic preset's data (its own data set is
    # not published): RMSE, lr 0.02, 10,000 iterations, m and b from zero, grads set to None.
    screentime, sleep = PRESETS["synthetic"].data()
    # Initialize m and b
    m = torch.tensor([0], requires_grad=True, dtype=torch.float32)
    b = torch.tensor([0], requires_grad=True, dtype=torch.float32)
    # Convert sleep and screentime to tensors
    x = torch.from_numpy(screentime)
    y = torch.from_numpy(sleep)
    rec = gdviz.Recorder({"m": m, "b": b})
    # Run 10K iterations
    for _ in range(10_000):
        # Calculate yhat
        yhat = m * x + b
        # Calculate the loss
        loss = torch.sqrt(torch.mean((yhat - y) ** 2))
        # "Reverse mode differentiation"
        loss.backward()
        rec.record(loss)
        # Update m and b (gradient step)
        with torch.no_grad():
            m -= 0.02 * m.grad
            b -= 0.02 * b.grad
        # Zero out the gradients
        m.grad = None
        b.grad = None
    run = rec.to_run(x=x, y=y, model="line", loss="rmse")

    # 10,000 records are the snapshots before each update: steps = 9,999.
    ref = gdviz.train("synthetic", loss="rmse", lr=0.02, init=(0.0, 0.0), steps=9_999)
    assert run.params.shape == ref.params.shape == (10_000, 2)
    np.testing.assert_array_equal(run.params[0], [0.0, 0.0])
    # torch.from_numpy keeps the data float64, so the tutorial's loss is computed in float64
    # (float32 m, b promote) while gdviz computes in float32: they agree to float32 rounding.
    np.testing.assert_allclose(run.params, ref.params, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(run.loss, ref.loss, rtol=1e-6)
    np.testing.assert_allclose(run.grads, ref.grads, rtol=1e-5, atol=2e-6)
    # And the loop has converged to the least-squares line's neighbourhood (3, 2.5).
    np.testing.assert_allclose(run.params[-1], [3.0, 2.5], atol=0.2)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(), (2, 2)])
def test_other_dtypes_are_recorded_as_float64(dtype, shape):
    w = torch.full(shape, 1.5, dtype=dtype, requires_grad=True)
    w.grad = torch.full(shape, -0.25, dtype=dtype)
    rec = gdviz.Recorder([w])
    rec.record(torch.tensor(2.0, dtype=dtype))
    run = rec.to_run()
    n = w.numel()
    np.testing.assert_array_equal(run.params, np.full((1, n), 1.5))
    np.testing.assert_array_equal(run.grads, np.full((1, n), -0.25))
    np.testing.assert_array_equal(run.loss, [2.0])


def test_a_run_handed_out_is_a_copy_that_later_records_leave_alone():
    m = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    opt = torch.optim.Adam([m, b], lr=0.1)
    rec = gdviz.Recorder({"m": m, "b": b}, optimizer=opt, every=2)
    x, y = torch.linspace(0, 1, 10), torch.linspace(1, 3, 10)

    def step():
        opt.zero_grad()
        loss = ((m * x + b - y) ** 2).mean()
        loss.backward()
        rec.record(loss)
        opt.step()

    for _ in range(4):  # calls 0 and 2 kept, and call 3 as the last row: the next one's row
        step()
    first = rec.snapshot_run()
    kept = {
        name: np.array(getattr(first, name), copy=True)
        for name in ("params", "grads", "loss", "step", "lr", "full_loss")
    }
    state = {k: v.copy() for k, v in first.state.items()}
    for _ in range(40):  # writes the rows it handed out, and grows the buffers
        step()
    for name, before in kept.items():
        np.testing.assert_array_equal(getattr(first, name), before, err_msg=name)
    for name, before in state.items():
        np.testing.assert_array_equal(first.state[name], before, err_msg=name)


def test_to_run_leaves_each_layer_of_the_users_model_in_its_own_mode():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 4), torch.nn.Dropout(0.3), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1)
    )
    net[1].eval()  # modes of the user's own choosing, mixed
    x, y = torch.randn(20, 2), torch.randn(20)
    from stand_ins import record_network

    rec = record_network(net, x, y, 3, lr=0.0)  # recorded, the parameters left as they are
    modes = [m.training for m in net.modules()]
    stats = net[2].running_mean.clone()
    with pytest.warns(UserWarning):  # dropout: the landscape's loss differs from the recorded
        rec.to_run(x=x, y=y, model=net, loss=lambda out, t: ((out[:, 0] - t) ** 2).mean())
    assert [m.training for m in net.modules()] == modes == [True, True, False, True, True]
    assert torch.equal(net[2].running_mean, stats)  # evaluated, never trained


def _steps(rec, model, opt, x, count):
    for _ in range(count):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        rec.record(loss)
        opt.step()


def test_a_parameter_the_loop_replaces_is_followed_not_recorded_stale():
    lin = torch.nn.Linear(1, 1)
    rec = gdviz.Recorder(lin)
    x = torch.ones(4, 1)
    lin(x).sum().backward()
    rec.record(1.0)
    lin.weight = torch.nn.Parameter(torch.full((1, 1), 7.0))  # a new tensor, not an update
    lin.zero_grad()
    lin(x).sum().backward()
    rec.record(2.0)
    run = rec.to_run()
    assert run.params[1, 0] == 7.0 and run.grads[1, 0] == 4.0  # the new one, and its gradient
    lin.weight = torch.nn.Parameter(torch.zeros(2, 1))  # another shape: refused in one line
    with pytest.raises(GdvizError, match="replaced by a Parameter of another shape"):
        rec.record(3.0)


def test_parameter_groups_with_different_rates_give_no_false_single_rate():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    groups = [{"params": net[0].parameters(), "lr": 0.1}, {"params": net[1].parameters()}]
    opt = torch.optim.SGD(groups, lr=0.01, momentum=0.9)
    rec = gdviz.Recorder(net, optimizer=opt)
    _steps(rec, net, opt, torch.randn(5, 2), 3)
    with pytest.warns(UserWarning, match="2 parameter groups differ in learning rate"):
        run = rec.to_run()
    assert run.lr is None
    settings = run.meta["torch_optimizer"]
    assert "lr" not in settings and settings["momentum"] == 0.9 and settings["groups"] == 2
    from gdviz.views.loss import edge_of_stability

    assert edge_of_stability(run) is None  # no line at (2 + 2β) / lr for a rate no one has


def test_an_optimiser_without_a_learning_rate_records_none():
    class Halving(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data -= 0.5 * p.grad

    t = torch.ones(2, requires_grad=True)
    opt = Halving([t])
    rec = gdviz.Recorder([t], optimizer=opt)
    for _ in range(3):
        opt.zero_grad()
        loss = (t**2).sum()
        loss.backward()
        rec.record(loss)
        opt.step()
    run = rec.to_run()
    assert run.lr is None and run.params[:, 0].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("params", "said"),
    [
        (None, "a dict of them by name, a torch.nn.Module or a list, not NoneType"),
        (3.0, "not float"),
        ([torch.zeros(0)], "the tensors are empty"),
        ([torch.sparse_coo_tensor([[0]], [1.0], (3,))], "sparse_coo tensor"),
        ([torch.zeros(3, device="meta")], "on the meta device"),
    ],
)
def test_tensors_a_recorder_cannot_copy_are_one_line(params, said):
    with pytest.raises(GdvizError, match=re.escape(said)):
        gdviz.Recorder(params)


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32"), torch.float32])
def test_dtype_is_understood_however_it_is_named(dtype):
    rec = gdviz.Recorder([torch.ones(2)], dtype=dtype)
    rec.record(1.0)
    assert rec.itemsize == 4 and rec.to_run().params.dtype == np.float64


def test_a_bfloat16_model_records_its_values():
    net = torch.nn.Linear(2, 1).to(torch.bfloat16)
    rec = gdviz.Recorder(net)
    net(torch.ones(3, 2, dtype=torch.bfloat16)).sum().backward()
    rec.record(1.0)
    expected = [*net.weight.float().reshape(-1).tolist(), net.bias.float().item()]
    np.testing.assert_array_equal(rec.to_run().params[0], expected)


def test_metadata_that_is_not_json_is_said_before_anything_is_written(tmp_path):
    rec = gdviz.Recorder([torch.ones(2)])
    rec.record(1.0)
    with pytest.raises(GdvizError, match=r"cannot be saved as JSON"):
        rec.to_run(note=object())
    run = rec.to_run()
    run.meta["note"] = {1, 2}
    with pytest.raises(GdvizError, match="metadata is not JSON"):
        run.save(tmp_path / "r.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_recording_that_will_not_fit_is_refused_up_front_with_its_size(monkeypatch):
    import gdviz.training.recorder as recorder

    monkeypatch.setattr(recorder, "available_memory", lambda: 10**9)  # 1 GB free
    rec = gdviz.Recorder([torch.zeros(1000)])
    rec.reserve(1000)  # 16 MB: fine
    with pytest.raises(GdvizError, match=r"needs about 1.6 GB, and 1.0 GB of memory is free"):
        rec.reserve(100_000)


def _line_loop(rec, m, b, steps, *, lr=0.1, blow_up_at=None):
    x, y = torch.linspace(0, 1, 10), torch.linspace(1, 3, 10)
    for t in range(steps):
        loss = ((m * x + b - y) ** 2).mean()
        if t == blow_up_at:
            loss = loss * float("inf")
        loss.backward()
        rec.record(loss)
        with torch.no_grad():
            m -= lr * m.grad
            b -= lr * b.grad
        m.grad = b.grad = None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_run_taken_mid_loop_keeps_its_step_numbers_as_recording_goes_on(dtype):
    m, b = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    rec = gdviz.Recorder({"m": m, "b": b}, every=10, dtype=dtype)
    _line_loop(rec, m, b, 15)
    run = rec.snapshot_run()
    assert run.step.tolist() == [0, 10, 14]
    _line_loop(rec, m, b, 5)  # calls 15 to 19: the row of call 14 is written again
    assert run.step.tolist() == [0, 10, 14]


def test_a_recording_kept_every_k_steps_says_the_step_it_diverged_at():
    # The same loop recorded at every step (where a row is a step) and every 4th: the same
    # step of divergence, and the every-4th run keeps what came before it.
    m, b = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    every, each = gdviz.Recorder({"m": m, "b": b}, every=4), gdviz.Recorder({"m": m, "b": b})

    class Both:
        def record(self, loss):
            each.record(loss)
            return every.record(loss)

    _line_loop(Both(), m, b, 60, lr=3.0)  # a rate that blows up: the parameters overflow
    with pytest.warns(RuntimeWarning, match="diverged at step"):
        truth, run = each.snapshot_run(), every.snapshot_run()
    assert truth.diverged_at is not None and truth.diverged_at > 8
    assert run.diverged_at == truth.diverged_at
    assert run.step[-1] < run.diverged_at <= run.step[-1] + 4 and np.isfinite(run.params).all()


def test_reserving_room_mid_loop_keeps_the_losses_recorded_so_far():
    m, b = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    rec = gdviz.Recorder({"m": m, "b": b})
    _line_loop(rec, m, b, 7)
    before = rec.snapshot_run().loss.copy()
    rec.reserve(100_000)
    _line_loop(rec, m, b, 3)
    np.testing.assert_array_equal(rec.snapshot_run().loss[:7], before)
