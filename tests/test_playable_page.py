"""The page's own runs and the 3-D page that turns, in a real browser: a run the page computes
from the formula is the run gdviz.train makes (torch, an independent path), a click starts one
where it lands and draws it, a drag turns the camera as matplotlib would turn it with the paths
on the surface, and a page of data says that re-running needs Python."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from stand_ins import open_page

import gdviz

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
# Two formulas (the second uses every function and both kinds of power) and a named function,
# each with a start and a rate per optimiser that keeps 40 steps away from any singularity.
PLAIN = "(x-1)**2 + 3*(y+2)**2 + sin(x*y)"
EVERY = (
    "exp(x/3) + log(1 + y**2) + sqrt(x**2 + 1) + tanh(x - y) + abs(y - 0.3) + 0.1*x**4"
    " + 2**(x/4) + (y**2 + 1)**(x/10) + cos(y)/(2 + tan(y/8)) + e**(-x)/pi"
)
RATES = {"gd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adam": 0.1, "rmsprop": 0.01}
PROBLEMS = {
    PLAIN: ((0.5, 0.5), {**RATES, "adagrad": 0.5}),
    EVERY: ((1.5, -1.2), {**RATES, "adagrad": 0.3}),
    "rosenbrock": (
        (-1.5, 1.5),
        {**RATES, "gd": 1e-3, "momentum": 5e-4, "nesterov": 5e-4, "adagrad": 0.5},
    ),
}
RTOL = 1e-6


def train(problem, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a run that ends far from converged says so
        return gdviz.train(problem, **options)


def rows_of(run) -> np.ndarray:
    return np.column_stack([run.params, run.loss])


def assert_same_run(page_rows, run, what):
    """The page's rows against gdviz.train's, to `RTOL` of each column's size (a parameter
    passing through zero is compared at the scale it moves on, not at its own)."""
    got, expected = np.asarray(page_rows, dtype=float), rows_of(run)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    scale = np.abs(expected).max(axis=0)
    worst = float((np.abs(got - expected) / scale).max())
    assert worst <= RTOL, f"{what}: the page's run differs from gdviz.train by {worst:.2g}"
    return worst


def click_at(driver, x, y):
    """A real click at canvas pixel (x, y) (Selenium's offsets are from the element's middle)."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("css selector", "[data-gdviz=canvas]")
    ActionChains(driver).move_to_element_with_offset(
        canvas, round(x - canvas.size["width"] / 2), round(y - canvas.size["height"] / 2)
    ).click().perform()


def canvas_pixels(driver) -> np.ndarray:
    data = driver.execute_script(
        "const c = document.querySelector('[data-gdviz=canvas]');"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);"
    )
    width = driver.execute_script("return document.querySelector('[data-gdviz=canvas]').width")
    return np.asarray(data, dtype=np.uint8).reshape(-1, width, 4)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A contour page of each problem, made once: {problem: path}."""
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for i, (problem, (start, rates)) in enumerate(PROBLEMS.items()):
        run = train(problem, init=start, optimizer="gd", lr=rates["gd"], steps=40)
        out[problem] = gdviz.animate(run, view="contour").save(folder / f"problem{i}.html")
    return out


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_a_run_the_page_computes_is_the_run_gdviz_train_makes(driver, pages, problem, optimizer):
    start, rates = PROBLEMS[problem]
    if driver.current_url != pages[problem].as_uri():
        open_page(driver, pages[problem])
    lr = rates[optimizer]
    rows = driver.execute_script(
        "return document.querySelector('[data-gdviz=player]').gdviz.rerun(arguments[0])",
        {"start": list(start), "optimizer": optimizer, "lr": lr, "steps": 40},
    )
    assert len(rows) == 41
    run = train(problem, init=start, optimizer=optimizer, lr=lr, steps=40)
    assert_same_run(rows, run, f"{optimizer} on {problem}")
    if problem == "rosenbrock":  # arithmetic alone: the page rounds as torch's float32 does
        assert np.array_equal(rows, rows_of(run)), "not bit for bit"
    if optimizer in ("momentum", "nesterov", "adam"):  # the page's β: momentum, Adam's β1
        rows = driver.execute_script(
            "return document.querySelector('[data-gdviz=player]').gdviz.rerun(arguments[0])",
            {"start": list(start), "optimizer": optimizer, "lr": lr, "steps": 40, "beta": 0.8},
        )
        extra = {"betas": (0.8, 0.999)} if optimizer == "adam" else {"momentum": 0.8}
        run = train(problem, init=start, optimizer=optimizer, lr=lr, steps=40, **extra)
        assert_same_run(rows, run, f"{optimizer}, β 0.8, on {problem}")


def test_a_click_on_the_contour_starts_a_run_there_drawn_on_both_panels(tmp_path, driver):
    from selenium.webdriver.support.ui import Select

    run = train(PLAIN, init=(2.5, 0.5), optimizer="gd", lr=0.05, steps=60)
    anim = gdviz.animate(run, view="dashboard")
    path = anim.save(tmp_path / "dashboard.html")
    open_page(driver, path)
    contour, loss = anim.views
    assert driver.execute_script("return window.gdviz.again") is None
    before = canvas_pixels(driver)
    target = (1.2, -1.0)
    x, y = driver.execute_script("return window.gdviz.toCanvas('contour', ...arguments)", *target)
    px, py = contour.ax_.transData.transform(target)  # matplotlib's own pixel of the point
    assert (x, y) == pytest.approx((px, anim.fig.bbox.height - py), abs=1e-6)
    Select(driver.find_element("css selector", "[data-gdviz=optimizer]")).select_by_value("adam")
    assert driver.find_element("css selector", "[data-gdviz=lr]").get_attribute("value") == "0.1"
    click_at(driver, x, y)
    again = driver.execute_script("return window.gdviz.again")
    rows = np.asarray(again["rows"])
    assert again["options"]["optimizer"] == "adam" and len(rows) == 61
    # The run starts where the click landed: within a pixel of the chosen point.
    pixel = 1 / np.abs(np.diag(contour.ax_.transData.get_matrix())[:2])
    assert np.all(np.abs(rows[0, :2] - target) <= pixel), (rows[0], target, pixel)
    assert_same_run(rows, train(PLAIN, init=tuple(rows[0, :2]), optimizer="adam", lr=0.1, steps=60),
                    "the clicked run")  # fmt: skip
    # Drawn: on the contour along its path, and on the loss panel along its curve.
    after = canvas_pixels(driver)
    changed = np.any(after != before, axis=-1)
    for ax, point in ((contour.ax_, rows[30, :2]), (loss.ax_, (30, rows[30, 2]))):
        px, py = ax.transData.transform(point)
        cx, cy = round(px), round(anim.fig.bbox.height - py)
        assert changed[cy - 3 : cy + 4, cx - 3 : cx + 4].any(), (ax, point)
    text = driver.find_element("css selector", "[data-gdviz=readout]").text
    assert f"after 60 steps loss {rows[-1, 2]:.4g}" in text, text
    # A second click replaces the first run.
    x2, y2 = driver.execute_script("return window.gdviz.toCanvas('contour', 2.0, -0.5)")
    click_at(driver, x2, y2)
    second = np.asarray(driver.execute_script("return window.gdviz.again.rows"))
    assert np.all(np.abs(second[0, :2] - (2.0, -0.5)) <= pixel)
    assert driver.find_element("css selector", "[data-gdviz=readout]").text.count("new run") == 1
    driver.find_element("css selector", "[data-gdviz=clear]").click()
    assert driver.execute_script("return window.gdviz.again") is None
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_dragging_the_3d_page_turns_the_camera_with_the_paths_on_the_surface(tmp_path, driver):
    from mpl_toolkits.mplot3d import proj3d
    from selenium.webdriver.common.action_chains import ActionChains

    from gdviz.problems.functions import FUNCTIONS

    runs = gdviz.sweep("rosenbrock", optimizer=["gd", "adam"], steps=300)
    anim = gdviz.animate(runs, view="surface")
    path = anim.save(tmp_path / "surface.html")
    open_page(driver, path)
    view = anim.views[0]
    ax, height = view.ax_, anim.fig.bbox.height
    view.turning = False
    try:
        view.update(view.last_step)  # the camera where the page starts
        # The page's camera is matplotlib's: its matrix, and a path's point where the page drew it.
        matrix = driver.execute_script("return window.gdviz.turning.matrix()")
        assert np.allclose(matrix, ax.get_proj(), rtol=1e-9, atol=1e-12)
        k = 150
        kinds = driver.execute_script("return window.gdviz.data.tracks.map((t) => t.kind)")
        points = [i for i, kind in enumerate(kinds) if kind == "points"]  # each run's point
        drawn = driver.execute_script("return window.gdviz.point(arguments[0], 150)", points[0])
        xs, ys = runs[0].params[k]
        zs = driver.execute_script(
            "return window.gdviz.turning.height(...arguments)", xs, ys, runs[0].loss[k]
        )
        px, py, _ = proj3d.proj_transform([xs], [ys], [zs], ax.get_proj())
        mx, my = ax.transData.transform((px[0], py[0]))
        assert drawn == pytest.approx([mx, height - my], abs=0.1)
        # Drag: the camera turns as matplotlib's would under the mouse.
        canvas = driver.find_element("css selector", "[data-gdviz=canvas]")
        ActionChains(driver).move_to_element(canvas).click_and_hold().move_by_offset(
            90, 0
        ).move_by_offset(0, 40).release().perform()
        elev, azim, turned = driver.execute_script(
            "const t = window.gdviz.turning; return [t.elev, t.azim, t.turned]"
        )
        assert turned and (elev, azim) != pytest.approx((ax.elev, ax.azim))
        box = ax.bbox
        assert azim == pytest.approx(ax.azim - 90 / box.width * 180, abs=1.5)
        assert elev == pytest.approx(ax.elev + 40 / box.height * 180, abs=1.5)
        ax.view_init(elev=elev, azim=azim)
        matrix = driver.execute_script("return window.gdviz.turning.matrix()")
        assert np.allclose(matrix, ax.get_proj(), rtol=1e-9, atol=1e-12)
        # Each run's current point, reprojected, lies on the surface: where (x, y, f(x, y))
        # projects under the new angles, f computed here from the formula.
        f = FUNCTIONS["rosenbrock"].f
        for i, run in enumerate(runs):
            for k in (0, 150, 300):
                drawn = driver.execute_script(
                    "return window.gdviz.point(arguments[0], arguments[1])", points[i], k
                )
                x, y = run.params[k]
                lift = driver.execute_script(
                    "return window.gdviz.turning.height(...arguments)", x, y, float(f([x, y]))
                )
                px, py, _ = proj3d.proj_transform([x], [y], [lift], ax.get_proj())
                mx, my = ax.transData.transform((px[0], py[0]))
                assert drawn == pytest.approx([mx, height - my], abs=0.5), (run.label, k)
        driver.save_screenshot(str(tmp_path / "turned.png"))
        # A click on the turned surface starts a run at the point under it.
        target = (0.5, 2.0)
        lift = driver.execute_script(
            "return window.gdviz.turning.height(...arguments)", *target, float(f(target))
        )
        x, y, _ = driver.execute_script(
            "return window.gdviz.turning.project(...arguments)", *target, lift
        )
        click_at(driver, x, y)
        rows = np.asarray(driver.execute_script("return window.gdviz.again.rows"))
        assert np.abs(rows[0, :2] - target).max() < 0.1, rows[0]  # the page's mesh is coarse
        # and draws it on the surface, along the projection of its points and nowhere else
        # (but for its label at the end)
        drawn = canvas_pixels(driver)
        driver.find_element("css selector", "[data-gdviz=clear]").click()
        changed = np.argwhere(np.any(canvas_pixels(driver) != drawn, axis=-1))[:, ::-1]
        path = np.asarray(
            driver.execute_script(
                "const t = window.gdviz.turning;"
                "return arguments[0].map(([x, y, l]) => t.project(x, y, t.height(x, y, l)))",
                rows.tolist(),
            )
        )[:, :2]
        assert len(changed) > 100
        a, b = path[:-1], path[1:]
        d = b - a
        t = np.clip(((changed[:, None] - a) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
        far = np.linalg.norm(changed[:, None] - (a + t[..., None] * d), axis=-1).min(axis=1)
        dx, dy = (changed - path[-1]).T  # the label "new run" right of the end, above it
        label = (dx > 6) & (dx < 90) & (dy > -25) & (dy < 0)
        assert far[~label].max() < 10, far[~label].max()  # the end markers: 8 pixels
    finally:
        view.turning = True
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.mark.parametrize("kind", ["data", "function"])
def test_a_page_of_data_or_code_says_re_running_needs_python(tmp_path, driver, kind):
    if kind == "data":
        run = train("synthetic", steps=30)
        says = "this loss comes from data and a model"
    else:
        run = train(lambda p: (p**2).sum() + p[0] * p[1], init=[1.0, 2.0], steps=30)
        says = "the function minimised is Python code"
    anim = gdviz.animate(run, view="dashboard")
    path = anim.save(tmp_path / f"{kind}.html")
    open_page(driver, path)
    note = driver.find_element("css selector", "[data-gdviz=note]").text
    assert "Re-running from a click needs Python" in note and says in note, note
    assert driver.execute_script(
        "const p = document.querySelector('[data-gdviz=player]');"
        "return [p.gdviz.rerun === undefined, document.querySelector('[data-gdviz=again]').hidden]"
    ) == [True, True]
    contour = next(v for v in anim.views if v.name == "contour")
    x, y = contour.ax_.transData.transform(run.params[0])
    before = canvas_pixels(driver)
    click_at(driver, x, anim.fig.bbox.height - y)  # no handler: nothing starts, nothing changes
    assert driver.execute_script("return window.gdviz.again") is None
    assert np.array_equal(canvas_pixels(driver), before)
