"""Every view over every kind of run; artists checked against the recording."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import gdviz
from gdviz.problems.formulas import MODELS
from gdviz.run.plane import pca_plane
from gdviz.views import ContourView, FitView, LossView
from gdviz.views.surface import grid, levels, loss_function, minima
from gdviz.views.terrain import Terrain


def _quadratic_run():
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, 60)
    y = 0.8 * x**2 - x + 0.5 + rng.normal(0, 0.3, 60)
    return gdviz.train((x, y), model="quadratic", optimizer="momentum", lr=0.01, steps=40)


def _module_run():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    return gdviz.train("synthetic", model=net, optimizer="adam", lr=0.05, steps=30)


def _recorded_run(fit_line):
    x = torch.linspace(0, 4, 20)
    y = 2 * x - 1
    m = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    rec = gdviz.Recorder({"m": m, "b": b})
    fit_line(rec, m, b, x, y, steps=25, lr=0.02)
    return rec.to_run(x=x, y=y, model="line", loss="mse")


def _network_from_a_loop():
    torch.manual_seed(0)
    x = torch.linspace(-2, 2, 40)[:, None]
    y = torch.sin(2 * x[:, 0])
    net = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    from stand_ins import record_network

    rec = record_network(net, x, y, 40, opt=torch.optim.Adam(net.parameters(), lr=0.05))
    return rec.to_run(x=x, y=y, model=net, loss=lambda out, t: ((out[:, 0] - t) ** 2).mean())


def _four_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    return gdviz.train((x, (x[:, 0] > 0).astype(float)), model="mlp", loss="bce", steps=20)


def _diverged_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return gdviz.train("synthetic", lr=5.0)


KINDS = {
    "two params": lambda: gdviz.train("synthetic", steps=30),
    "one param": lambda: gdviz.train("single-point", steps=12),
    "three params": _quadratic_run,
    "module": _module_run,
    "function": lambda: gdviz.train("beale", optimizer="adam", steps=50),
    "race": lambda: [gdviz.train("rosenbrock", optimizer=o, steps=60) for o in ("gd", "adam")],
    "sweep": lambda: [gdviz.train("synthetic", lr=lr, steps=20) for lr in (0.05, 0.5)],
    "diverged": _diverged_run,
    "recorder": _recorded_run,
    "rmse": lambda: gdviz.train("thermometer", loss="rmse", steps=300),
    "mae": lambda: gdviz.train("synthetic", loss="mae", steps=30),
    "formula": lambda: gdviz.train("x**2 + 10*y**2", init=(3, 1), optimizer="momentum"),
    "formula of x": lambda: gdviz.train("x**4 - 3*x**2 + x", init=(2,), steps=40),
    "formula race": lambda: gdviz.sweep(
        "sin(x) + (y - 1)**2", init=(1, 3), optimizer=["gd", "adam"], steps=40
    ),
    "callable": lambda: gdviz.train(lambda p: (p**2 * torch.tensor([1.0, 9.0])).sum(), init=[2, 1]),
    "callable 5": lambda: gdviz.train(lambda p: (p**4).sum(), init=np.ones(5), steps=30),
    "moons": lambda: gdviz.train("moons", steps=40),
    "moons race": lambda: gdviz.sweep("moons", optimizer=["adam", "sgd"], steps=30),
    "random plane": lambda: gdviz.train("moons", steps=30, plane="random"),
    "endpoints plane": lambda: gdviz.train("moons", steps=30, plane="endpoints"),
    "logistic": lambda: gdviz.train(
        (np.linspace(-2, 2, 30), (np.linspace(-2, 2, 30) > 0.3).astype(float)), loss="bce"
    ),
    "network from a loop": _network_from_a_loop,
    "four columns": _four_columns,
}


@pytest.fixture(scope="module")
def runs(fit_line):
    # The recorded run is made by the shared reference loop (a fixture of conftest).
    return {
        name: make(fit_line) if make is _recorded_run else make() for name, make in KINDS.items()
    }


@pytest.mark.parametrize("view", ["fit", "contour", "loss", "surface", "dashboard"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.slow
def test_every_view_draws_every_kind_of_run(runs, kind, view):
    run = runs[kind]
    first = run[0] if isinstance(run, list) else run
    if view == "surface" and first.params.shape[1] == 1:
        with pytest.raises(gdviz.GdvizError, match="two parameters or more"):
            gdviz.animate(run, view=view)
        return
    if view == "fit" and first.x is None:
        with pytest.raises(gdviz.GdvizError, match="fit view needs data"):
            gdviz.animate(run, view=view)
        return
    if view == "fit" and first.x.ndim == 2 and first.x.shape[1] > 2:
        with pytest.raises(gdviz.GdvizError, match="one or two input columns"):
            gdviz.animate(run, view=view)
        return
    anim = gdviz.animate(run, view=view, frames=6, size=(800, 500) if view != "dashboard" else None)
    frames = list(anim.frames())
    assert len(frames) == anim.n_frames == 6
    width, height = (800, 500) if view != "dashboard" else (1280, 440)
    assert frames[0].shape == (height, width, 3) and frames[0].dtype == np.uint8
    # Something above the caption moved (the caption alone always changes).
    caption_rows = int(0.34 * anim.fig.dpi) + 2
    assert not np.array_equal(frames[0][:-caption_rows], frames[-1][:-caption_rows])
    # Blitting draws exactly what a full redraw draws.
    assert np.array_equal(frames[-1], anim.last_frame())
    # The first frame shows step 0 and the last the run's last step, with their losses.
    last = max(r.steps for r in (run if isinstance(run, list) else [run]))
    for k, step in ((0, 0), (anim.n_frames - 1, last)):
        anim.update(k)
        text = anim.caption_.get_text()
        assert f"step {step} of {last}" in text
        if not isinstance(run, list):
            v = run.loss[step]
            assert f"loss {f'{v:,.0f}' if 1e3 <= abs(v) < 1e7 else f'{v:.4g}'}" in text


def test_contour_path_is_the_recorded_parameters(runs):
    run = runs["two params"]
    view = ContourView(run).plot(step=0)
    for step in (0, 7, run.steps):
        view.update(step)
        xs, ys = view.path_[0].get_data()
        np.testing.assert_array_equal(np.column_stack([xs, ys]), run.params[: step + 1])
        px, py = view.point_[0].get_data()
        assert (px[0], py[0]) == tuple(run.params[step])
    view.update(3)
    tail, head = view.arrow_[0]._posA_posB
    assert tuple(tail) == tuple(run.params[3]) and tuple(head) == tuple(run.params[4])
    view.update(run.steps)
    assert not view.arrow_[0].get_visible()  # no step after the last snapshot


def test_one_parameter_contour_rolls_along_the_loss_curve(runs):
    run = runs["one param"]
    view = ContourView(run).plot(step=5)
    xs, ys = view.path_[0].get_data()
    np.testing.assert_array_equal(xs, run.params[:6, 0])
    np.testing.assert_array_equal(ys, run.loss[:6])
    # the curve drawn is (θ·2 - 3)², minimum at θ = 1.5
    np.testing.assert_allclose(view.values, (view.xs * 2 - 3) ** 2, atol=1e-12)
    assert view.minima[0, 0] == pytest.approx(1.5)


def test_fit_line_and_loss_curve_follow_the_run(runs):
    run = runs["two params"]
    fit = FitView(run).plot(step=0)
    loss = LossView(run).plot(step=0)
    for step in (0, 12, run.steps):
        fit.update(step)
        loss.update(step)
        m, b = run.params[step]
        np.testing.assert_allclose(fit.line_[0].get_ydata(), m * fit.xs + b)
        xs, ys = loss.line_[0].get_data()
        np.testing.assert_array_equal(xs, np.arange(step + 1))
        np.testing.assert_array_equal(ys, run.loss[: step + 1])


def test_a_sweep_has_one_line_and_one_curve_per_run_with_a_legend(runs):
    sweep = runs["sweep"]
    fit = FitView(sweep).plot()
    loss = LossView(sweep).plot()
    assert len(fit.line_) == len(loss.line_) == 2
    labels = [t.get_text() for t in loss.ax_.get_legend().get_texts()]
    assert labels == ["gd, lr 0.05", "gd, lr 0.5", "least squares"]
    assert fit.line_[0].get_color() != fit.line_[1].get_color()


@pytest.mark.parametrize("loss", ["mse", "rmse", "mae"])
@pytest.mark.parametrize("model", ["line", "quadratic"])
def test_grid_values_equal_a_direct_computation(model, loss):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    run = gdviz.train((x, y), model=model, loss=loss, steps=2)
    f = loss_function(run)
    points = rng.normal(size=(5, len(MODELS[model].param_names)))
    for p in points:
        pred = MODELS[model].predict(p, x)
        direct = {
            "mse": np.mean((pred - y) ** 2),
            "rmse": np.sqrt(np.mean((pred - y) ** 2)),
            "mae": np.mean(np.abs(pred - y)),
        }[loss]
        assert f(p[:, None])[0] == pytest.approx(direct, rel=1e-10)
    if len(points[0]) == 2:
        xs, ys, values = grid(f, (-1, 1), (-2, 2), n=50)
        i, j = 17, 31
        pred = xs[j] * x + ys[i]
        direct = {
            "mse": np.mean((pred - y) ** 2),
            "rmse": np.sqrt(np.mean((pred - y) ** 2)),
            "mae": np.mean(np.abs(pred - y)),
        }[loss]
        assert values[i, j] == pytest.approx(direct, rel=1e-10)


def test_minimum_is_least_squares_and_known_function_minima():
    run = gdviz.train("thermometer", steps=2)
    a = np.column_stack([run.x, np.ones_like(run.x)])
    np.testing.assert_allclose(minima(run)[0], np.linalg.lstsq(a, run.y, rcond=None)[0])
    assert minima(gdviz.train("rosenbrock", steps=1)).tolist() == [[1.0, 1.0]]
    assert len(minima(gdviz.train("himmelblau", steps=1))) == 4
    f = loss_function(gdviz.train("himmelblau", steps=1))
    for m in minima(gdviz.train("himmelblau", steps=1)):
        assert f(m) == pytest.approx(0, abs=1e-9)


def test_levels_are_logarithmic_where_the_loss_spans_decades():
    run = gdviz.train("rosenbrock", steps=1)
    _, _, values = grid(loss_function(run), (-2, 2), (-1, 3))
    lv, log = levels(values)
    assert log and np.allclose(np.diff(np.log(lv)), np.log(lv[1] / lv[0]))
    lv, log = levels(np.linspace(1, 5, 100))
    assert not log


def test_pca_plane_recovers_a_known_plane():
    rng = np.random.default_rng(0)
    u = np.array([1.0, 2.0, 0.0, -1.0]) / np.sqrt(6)
    v = np.array([0.0, 1.0, 1.0, 2.0])
    v = v - (v @ u) * u
    v /= np.linalg.norm(v)
    end = np.array([0.5, -1.0, 2.0, 3.0])
    t = rng.normal(size=(80, 2)) * [3.0, 1.0]
    path = end + t @ np.stack([u, v])
    path[-1] = end
    plane = pca_plane([path])
    assert plane.explained.sum() == pytest.approx(1.0)
    assert plane.explained[0] > plane.explained[1] > 0
    np.testing.assert_allclose(plane.dirs @ plane.dirs.T, np.eye(2), atol=1e-12)
    # the same plane: projecting onto it leaves the path unchanged
    np.testing.assert_allclose(plane.lift(plane.project(path)), path, atol=1e-10)
    assert abs(plane.dirs[0] @ u) == pytest.approx(1.0, abs=0.02)


def test_three_parameter_contour_shows_variance_and_recorded_beside_plane_loss(runs):
    run = runs["three params"]
    view = ContourView(run).plot(step=10)
    assert "% of the path's variance" in view.ax_.get_xlabel()
    text = view.note_.get_text()
    assert f"recorded {run.loss[10]:.4g}" in text and "on the plane" in text
    # The path drawn is the recorded one on the plane of its two main directions through its
    # end, computed here from a singular value decomposition of the path.
    offsets = run.params - run.params[-1]
    _, _, vt = np.linalg.svd(offsets - offsets.mean(axis=0))
    expected = offsets[:11] @ vt[0]
    drawn = view.path_[0].get_data()[0]
    np.testing.assert_allclose(np.abs(drawn), np.abs(expected), rtol=1e-9, atol=1e-12)
    assert view.plane_.project(run.params[-1]) == pytest.approx([0.0, 0.0], abs=1e-12)


def test_views_draw_onto_a_users_axes_and_keep_their_artists(runs):
    fig = Figure()
    left, right = fig.subplots(1, 2)
    fit = FitView(runs["two params"]).plot(ax=left, step=4)
    contour = ContourView(runs["two params"]).plot(ax=right, step=4)
    assert fit.ax_ is left and contour.ax_ is right and fit.figure_ is fig
    assert fit.line_[0] in left.lines and contour.path_[0] in right.lines


def test_divergence_keeps_axes_finite_and_says_so(runs):
    run = runs["diverged"]
    anim = gdviz.animate(run, view="dashboard")
    anim.update(anim.n_frames - 1)
    assert f"diverged at step {run.diverged_at}" in anim.caption_.get_text()
    for view in anim.views:
        lo, hi = view.ax_.get_ylim()
        assert np.isfinite([lo, hi]).all()
    fit = anim.views[0]
    span = np.ptp(run.y)
    assert fit.ax_.get_ylim()[1] - fit.ax_.get_ylim()[0] < 5 * span  # the data stays readable


def test_anim_is_a_funcanimation_drawing_the_same_frames():
    from matplotlib.animation import FuncAnimation

    run = gdviz.train("single-point", steps=4)
    anim = gdviz.animate(run)
    assert isinstance(anim.anim, FuncAnimation) and anim.anim is anim.anim
    html = anim.anim.to_jshtml()
    assert html.count("data:image/png;base64") == anim.n_frames == 5
    anim.anim._func(3)  # what FuncAnimation calls for frame 3
    assert "step 3 of 4" in anim.caption_.get_text()


def _inside(bbox, display_points):
    return [bbox.contains(x, y) for x, y in display_points]


def test_race_legend_leaves_minima_and_paths_clear():
    # Himmelblau has a minimum in every corner: the legend must find another place.
    race = [gdviz.train("himmelblau", optimizer=o) for o in ("gd", "momentum", "rmsprop", "adam")]
    anim = gdviz.animate(race, view="contour")
    view = anim.views[0]
    anim.fig.canvas.draw()
    box = view.ax_.get_legend().get_window_extent()
    to_display = view.ax_.transData.transform
    assert not any(_inside(box, to_display(view.minima)))
    for xy in view.coords:
        assert not any(_inside(box, to_display(xy)))


def test_loss_axis_holds_the_last_marker_and_the_divergence_line(runs):
    run = runs["diverged"]
    view = LossView(run).plot()
    lo, hi = view.ax_.get_xlim()
    assert lo < 0 and hi > run.diverged_at > run.steps
    sweep = LossView(runs["sweep"]).plot()
    assert sweep.ax_.get_xlim()[1] > sweep.last_step


def test_a_diverging_contour_shows_its_first_overshoot(runs):
    run = runs["diverged"]  # lr 5: the first update lands far past the minimum
    view = ContourView(run).plot()
    (x0, x1), (y0, y1) = view.ax_.get_xlim(), view.ax_.get_ylim()
    for m, b in run.params[:2]:
        assert x0 < m < x1 and y0 < b < y1
    assert not (x0 < run.params[-1, 0] < x1 and y0 < run.params[-1, 1] < y1)
    assert x0 < view.minima[0, 0] < x1 and y0 < view.minima[0, 1] < y1


def test_no_log_level_rings_less_than_a_hundredth_of_the_grid():
    # Levels finer than the grid draw Rosenbrock's valley floor as dotted noise.
    run = gdviz.train("rosenbrock", steps=1)
    _, _, values = grid(loss_function(run), (-2, 2), (-1, 3))
    lv, log = levels(values)
    assert log and (values < lv[0]).mean() <= 0.011


def test_dashboard_keeps_one_row_when_wide_and_takes_two_when_narrow(runs):
    run = runs["two params"]
    wide = [v.ax_.get_position() for v in gdviz.animate(run, view="dashboard").views]
    assert len({round(p.y0, 3) for p in wide}) == 1
    fit, contour, loss = (
        v.ax_.get_position() for v in gdviz.animate(run, view="dashboard", size=(640, 480)).views
    )
    assert fit.y0 > loss.y1 and contour.y0 > loss.y1  # the loss curve runs along the bottom
    assert loss.width > fit.width + contour.width


def test_plane_note_names_its_run_and_the_legend_keeps_clear_of_it():
    race = [_quadratic_run(), _quadratic_run()]
    race[1].meta["label"] = "second"
    for view_name, index in (("contour", 0), ("dashboard", 1)):
        anim = gdviz.animate(race, view=view_name, frames=4)
        view = anim.views[index]
        anim.update(anim.n_frames - 1)
        assert view.note_.get_text().startswith(f"{race[0].label}: loss recorded")
        anim.fig.canvas.draw()
        legend = view.ax_.get_legend().get_window_extent()
        assert not legend.overlaps(view.note_.get_window_extent())


def test_surface_view_puts_the_path_on_the_surface_with_truthful_heights():
    run = gdviz.train("synthetic", steps=60)
    anim = gdviz.animate(run, view="surface", frames=12)
    view = anim.views[0]
    x, y = run.x, run.y

    def mse(m, b):  # the loss, computed here from the data
        return ((np.multiply.outer(m, x) + np.expand_dims(b, -1) - y) ** 2).mean(-1)

    lo, hi = view.ax_.get_zlim()
    for k, step in enumerate(anim.steps):
        anim.update(k)
        (px,), (py,), (pz,) = view.point_[0].get_data_3d()
        assert (px, py) == pytest.approx(tuple(run.params[step]))
        # on the drawn mesh: its height there, bilinearly interpolated
        i = np.searchsorted(view.xs, px) - 1
        j = np.searchsorted(view.ys, py) - 1
        tx = (px - view.xs[i]) / (view.xs[i + 1] - view.xs[i])
        ty = (py - view.ys[j]) / (view.ys[j + 1] - view.ys[j])
        z = view.zs[j : j + 2, i : i + 2]
        mesh = (1 - ty) * ((1 - tx) * z[0, 0] + tx * z[0, 1]) + ty * (
            (1 - tx) * z[1, 0] + tx * z[1, 1]
        )
        assert abs(pz - mesh) < 0.03 * (hi - lo)
    # each z tick's label is the loss at that height: find where the mesh is that high and
    # compute the loss there from the data
    grid_m, grid_b = np.meshgrid(view.xs, view.ys)
    true = mse(grid_m, grid_b)
    ticks = view.ax_.get_zticks()
    labels = [t.get_text() for t in view.ax_.get_zticklabels()]
    checked = 0
    for h, text in zip(ticks, labels):
        near = np.abs(view.zs - h) < 0.002 * (hi - lo)
        if not near.any():
            continue
        value = float(text.replace(",", ""))
        np.testing.assert_allclose(true[near], value, rtol=0.05, atol=0.02)
        checked += 1
    assert checked >= 2


def test_on_a_plane_the_3d_path_rides_at_the_loss_of_its_shadow():
    # Three parameters: the surface is a plane through them, and each point of the path sits at
    # the loss where its shadow on that plane lies (not the loss recorded off the plane).
    run = _quadratic_run()
    view = gdviz.animate(run, view="surface", frames=8).views[0]
    flat = Terrain.of([run])
    coords, heights = view.paths[0]
    shadow = flat.plane.origin + coords @ flat.plane.dirs  # (S, 3): a, b, c on the plane
    predicted = shadow[:, :1] * run.x**2 + shadow[:, 1:2] * run.x + shadow[:, 2:]
    loss = ((predicted - run.y) ** 2).mean(axis=1)  # computed here from the data
    evaluated = flat.path_loss[0][0]  # the snapshots whose shadow was evaluated
    kept = np.arange(len(run.loss)) if evaluated is None else evaluated
    np.testing.assert_allclose(heights[kept], view._height(loss[kept]), rtol=1e-6, atol=1e-9)
    assert not np.allclose(heights, view._height(run.loss))  # off the plane, it differs


def test_surface_view_camera_turns_and_ends_facing_the_last_point():
    run = gdviz.train("himmelblau", init=(0.5, -3.5), steps=100)  # ends at (3.58, -1.85)
    anim = gdviz.animate(run, view="surface", frames=8)
    ax = anim.views[0].ax_
    anim.update(0)
    start = ax.azim
    anim.update(anim.n_frames - 1)
    assert (ax.azim - start) % 360 == pytest.approx(60)
    end = run.params[-1]
    camera = np.array([np.cos(np.radians(ax.azim)), np.sin(np.radians(ax.azim))])
    # the box is x in (-5, 5), y in (-5, 5): the camera sits on the end point's side of it
    assert camera @ (end / np.linalg.norm(end)) > 0.7


def test_surface_mesh_keeps_a_valley_narrower_than_its_cells():
    from gdviz.views.surface3d import lowest

    xs = np.linspace(-1, 1, 200)
    ys = np.linspace(-1, 1, 200)
    gx, gy = np.meshgrid(xs, ys)
    values = 1 + np.abs(gy - 0.7 * gx) * 100  # a valley one fine cell wide, across the grid
    values[values > 1 + 100 * 0.006] = 50.0
    cx, cy, low = lowest(xs, ys, values, 50)
    assert low.shape == (50, 50) and (cx[0], cx[-1], cy[0], cy[-1]) == (-1, 1, -1, 1)
    for r in range(50):  # the lowest of each block, found here by brute force
        for c in range(50):
            assert low[r, c] == values[4 * r : 4 * r + 4, 4 * c : 4 * c + 4].min()
    # every coarse column the valley crosses still holds its floor
    assert ((low < 2).sum(axis=0) >= 1).sum() >= 49


def test_surface_view_refuses_flat_axes_and_one_parameter():
    from gdviz.views import SurfaceView

    view = SurfaceView(gdviz.train("synthetic", steps=5))
    fig = Figure()
    with pytest.raises(gdviz.GdvizError, match="3-D axes"):
        view.plot(fig.add_subplot())
    with pytest.raises(gdviz.GdvizError, match="two parameters or more"):
        SurfaceView(gdviz.train("single-point", steps=5))


def test_valley_floor_is_shaded_not_one_flat_band():
    run = gdviz.train("rosenbrock", steps=1)
    view = ContourView(run).plot(step=0)
    fill = np.asarray(view.contour_.levels)
    _, _, values = grid(loss_function(run), (-2, 2), (-1, 3))
    lines, _ = levels(values)
    floor = values[values < lines[0]]  # the valley floor, under the lowest line
    bands = np.unique(np.digitize(floor, fill))
    assert len(bands) >= 6
    assert np.allclose(np.diff(np.log(fill)), np.log(fill[1] / fill[0]))  # one ratio throughout
    assert fill[0] >= values.min() / (fill[1] / fill[0])  # no empty bands below the minimum


def test_surface_view_stars_the_known_minima_on_the_surface_and_names_plane_shares(runs):
    anim = gdviz.animate(gdviz.train("himmelblau", steps=50), view="surface", frames=3)
    view = anim.views[0]
    stars = [a for a in view.ax_.get_lines() if a.get_marker() == "*"]
    assert len(stars) == 2  # in sight, and faint behind the surface
    x, y, z = (np.concatenate(v) for v in zip(*(s.get_data_3d() for s in stars)))
    known = {(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)}
    assert {(round(a, 4), round(b, 4)) for a, b in zip(x, y)} == {
        (round(a, 4), round(b, 4)) for a, b in known
    }
    # at the surface's floor (f = 0 there), above the paths and points, in the legend
    assert np.allclose(z, view.ax_.get_zlim()[0] + view.lift, atol=0.02)
    assert stars[0].get_zorder() > max(a.get_zorder() for a in view.path_ + view.point_)
    legend = view.ax_.get_legend()
    assert "minima" in [t.get_text() for t in legend.get_texts()]
    assert legend.get_zorder() > stars[0].get_zorder()
    plane = gdviz.animate(runs["moons"], view="surface", frames=3).views[0]
    share = plane.plane.explained
    assert plane.ax_.get_xlabel() == f"direction 1 ({share[0]:.0%})"


# Lists that only may have the runs' length, and the colours (one per run, nothing to thin)
NOT_PER_RUN = {"runs", "moving_", "over_", "extent", "colors"}


@pytest.mark.slow
def test_every_per_run_list_of_a_view_is_declared_in_runwise():
    # A view's per-run lists are thinned for long runs (gdviz.animation.rows) and tell the page
    # whose each artist is: one a view's class leaves out of `runwise` would be missed. Three
    # runs, so that no list of another kind has the runs' length by chance.
    races = {
        "rosenbrock": gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"], steps=6),
        "synthetic": gdviz.sweep("synthetic", lr=[0.05, 0.1, 0.2], steps=6),
        "moons": gdviz.sweep("moons", lr=[0.01, 0.02, 0.05], steps=6),
    }
    seen = set()
    for name, view in [
        ("rosenbrock", "contour"),
        ("rosenbrock", "loss"),
        ("rosenbrock", "surface"),
        ("synthetic", "fit"),
        ("moons", "fit"),
        ("moons", "contour"),
    ]:
        anim = gdviz.animate(races[name], view=view, frames=2)
        views = list(anim.views)
        if view == "contour" and name == "rosenbrock":
            views.append(ContourView(races[name], internals=True).plot())
        for v in views:
            lists = {
                k
                for k, value in vars(v).items()
                if isinstance(value, list)
                and len(value) == 3
                and k not in NOT_PER_RUN
                # numbers and names (colours, arrow scales) have nothing to thin or to own
                and not all(isinstance(item, (str, float, int)) for item in value)
            }
            assert lists <= set(v.runwise), (name, view, lists - set(v.runwise))
            seen |= {(type(v).__name__, k) for k in lists}
    assert {
        ("ContourView", "path_loss"),
        ("ContourView", "inner"),
        ("FitView", "boundary_"),
    } <= seen


def test_the_step_axis_of_a_long_run_reads_in_thousands_and_an_exact_fit_keeps_the_axis():
    # 250000300000350000: six-digit step labels ran together on a narrow panel; and an exact
    # fit's least squares (rounding, ~1e-30) stretched a log axis over thirty decades.
    count = 401
    x = np.linspace(0, 1, 10)
    params = np.column_stack([np.linspace(0, 1, count), np.zeros(count)])
    run = gdviz.Run(params, np.zeros_like(params), 1 / (1 + np.arange(count)), ("m", "b"),
                    x=x, y=x, step=np.arange(count) * 1000,
                    meta={"model": "line", "loss": "mse", "optimizer": "gd", "lr": 0.1})  # fmt: skip
    anim = gdviz.animate(run, view="dashboard", frames=2)
    loss = next(v for v in anim.views if v.name == "loss")
    ticks = [t for t in loss.ax_.get_xticklabels() if t.get_text()]
    inside = [t for t in ticks if 0 <= t.get_position()[0] <= 400_000]
    assert [t.get_text() for t in inside][-1] == "400k" and len(inside) <= 7
    assert all(len(t.get_text()) <= 5 for t in inside)
    bottom, top = loss.ax_.get_ylim()
    assert top / bottom < 1e4  # the curve's own decades, not thirty


def test_a_pca_plane_keeps_its_sign_whichever_way_the_path_runs():
    # Each direction's largest entry is positive: the same path run backwards, or a mirrored
    # path, is drawn the same way round, not flipped between two pictures.
    from gdviz.run.plane import pca_plane

    t = np.linspace(0, 1, 50)[:, None]
    path = np.hstack([-3 * t, 0.2 * np.sin(6 * t), t])
    for p in (path, path[::-1] - path[-1] + path[0], -path):
        dirs = pca_plane([p]).dirs
        rows = np.arange(2)
        assert (dirs[rows, np.abs(dirs).argmax(axis=1)] > 0).all()


def test_a_function_below_zero_at_the_start_gets_a_picture_around_its_path():
    run = gdviz.train("x**2 + y**2 - 10", init=(2, 1))  # starts at -5, ends at (0, 0)
    (x0, x1), (y0, y1) = ContourView(run).extent
    assert np.isfinite([x0, x1, y0, y1]).all()
    assert x0 < 0 < 2 < x1 and y0 < 0 < 1 < y1  # the start, the end and the way between


def test_a_coordinate_that_never_moves_gets_a_box_of_some_width():
    run = gdviz.train("x**2 + y**2", init=(1, 0), steps=20)  # y stays 0 throughout
    (x0, x1), (y0, y1) = ContourView(run).extent
    assert y1 - y0 > 0.1 and y0 < 0 < y1
