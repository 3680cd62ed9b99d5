"""The interactive page, in a real browser: every snapshot on the slider, the readout against the
run's numbers, the drawn point against matplotlib's, no request leaving the file, no error."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
import stand_ins

import gdviz

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def open_page(driver, path):
    driver.get_log("performance")  # drop what came before
    stand_ins.open_page(driver, path)


def readout(driver) -> list[tuple[int, float]]:
    text = driver.execute_script(
        "return document.querySelector('[data-gdviz=readout]').textContent"
    )
    return [(int(s), float(v)) for s, v in re.findall(r"step (\d+) · loss (\S+)", text)]


def requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def page_window(driver, x, y, r):
    """The page's picture (on its one canvas: the still parts, what moves, what lies over it)
    around (x, y), RGB."""
    block = driver.execute_script(
        """
        const [x, y, r] = arguments;
        const c = document.querySelector('[data-gdviz=canvas]');
        return Array.from(c.getContext('2d').getImageData(x - r, y - r, 2 * r + 1, 2 * r + 1).data);
        """,
        int(np.rint(x)),
        int(np.rint(y)),
        r,
    )
    return np.asarray(block, dtype=float).reshape(2 * r + 1, 2 * r + 1, 4)[..., :3]


def frame_of(anim, step) -> np.ndarray:
    """Matplotlib's own picture of ``step`` (every view moved there, drawn whole), RGB."""
    for view in anim.views:
        view.update(step)
    anim.fig.canvas.draw()
    return np.asarray(anim.fig.canvas.buffer_rgba())[..., :3].astype(float)


def offset(driver, frame, x, y, r=10, reach=4):
    """How far the page's picture around (x, y) is shifted from matplotlib's: the shift that
    matches them best, searched up to ``reach`` pixels each way (of shifts that match equally
    well, as along a straight band edge, the smallest)."""
    page = page_window(driver, x, y, r)
    cx, cy = int(np.rint(x)), int(np.rint(y))
    best, shift = None, None
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            ref = frame[cy - r + dy : cy + r + 1 + dy, cx - r + dx : cx + r + 1 + dx]
            error = np.abs(ref - page).mean()
            key = (round(float(error), 9), abs(dx) + abs(dy))
            if best is None or key < best:
                best, shift = key, (dx, dy)
    return shift, best[0]


def test_a_race_page_every_snapshot_its_numbers_and_its_points(tmp_path, driver):
    runs = gdviz.sweep("rosenbrock", optimizer=["gd", "momentum", "adam"], steps=400)
    anim = gdviz.animate(runs, view="contour")
    path = anim.save(tmp_path / "race.html")
    assert anim.n_frames == 200  # the video would show 200 frames; the page shows all 401
    open_page(driver, path)
    assert (
        driver.execute_script("return document.querySelector('[data-gdviz=slider]').max") == "400"
    )
    # Nothing but the file itself and the data: URL of its own background.
    assert [u for u in requests(driver) if not u.startswith("data:")] == [path.as_uri()]
    view = anim.views[0]
    height = anim.fig.bbox.height
    for k in (0, 1, 137, 400):
        driver.execute_script("window.gdviz.show(arguments[0])", k)
        assert readout(driver) == [
            (k, pytest.approx(float(f"{r.loss[k]:.4g}"), rel=1e-9)) for r in runs
        ]
        frame = frame_of(anim, k)
        for run in runs:  # around each run's current point, matplotlib's own pixel
            x, y = view.ax_.transData.transform(run.params[k])
            (dx, dy), error = offset(driver, frame, x, height - y)
            assert abs(dx) <= 2 and abs(dy) <= 2 and error < 25, (k, run.label, dx, dy, error)
    # The readout of a later step after the arrow key, and play then pause.
    driver.execute_script("window.gdviz.show(10)")
    body = driver.find_element("css selector", "div.gdviz")
    slider = driver.find_element("css selector", "[data-gdviz=slider]")
    slider.click()
    slider.send_keys("\ue014")  # the right arrow
    assert driver.execute_script("return window.gdviz.step") in (
        driver.execute_script("return Number(document.querySelector('[data-gdviz=slider]').value)"),
    )
    driver.execute_script("window.gdviz.show(10)")
    play = driver.find_element("css selector", "[data-gdviz=play]")
    play.click()
    time.sleep(0.6)
    play.click()
    paused = driver.execute_script("return window.gdviz.step")
    assert paused > 10
    time.sleep(0.3)
    assert driver.execute_script("return window.gdviz.step") == paused
    assert body.get_attribute("class") == "gdviz"
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_long_dashboard_page_is_small_and_every_panel_moves(tmp_path, driver):
    run = gdviz.train("thermometer", steps=10_000)
    anim = gdviz.animate(run, view="dashboard")
    path = anim.save(tmp_path / "long.html")
    assert path.stat().st_size < 1_500_000
    open_page(driver, path)
    assert driver.execute_script("return window.gdviz.count") == 10_001
    for k in (0, 5000, 10_000):
        driver.execute_script("window.gdviz.show(arguments[0])", k)
        ((step, loss),) = readout(driver)
        assert step == k and loss == pytest.approx(float(f"{run.loss[k]:.4g}"))
    # Every panel's current point is drawn where matplotlib puts it at that step.
    k = 2500
    driver.execute_script("window.gdviz.show(arguments[0])", k)
    height = anim.fig.bbox.height
    frame = frame_of(anim, k)
    for view in anim.views:
        if view.name == "fit":  # the fitted line: where it crosses the middle of the panel
            xs, ys = view.line_[0].get_data()
            mid = len(xs) // 2
            x, y = view.ax_.transData.transform((xs[mid], ys[mid]))
        else:
            (px,), (py,) = view.point_[0].get_data()
            x, y = view.point_[0].get_transform().transform((px, py))
        (dx, dy), error = offset(driver, frame, x, height - y)
        assert abs(dx) <= 2 and abs(dy) <= 2 and error < 25, (view.name, dx, dy, error)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_hovering_a_path_or_the_loss_curve_names_the_step_under_the_pointer(tmp_path, driver):
    from selenium.webdriver.common.action_chains import ActionChains

    run = gdviz.train("synthetic", steps=100)
    anim = gdviz.animate(run, view="dashboard")
    path = anim.save(tmp_path / "hover.html")
    open_page(driver, path)
    driver.execute_script("window.gdviz.show(100)")
    canvas = driver.find_element("css selector", "[data-gdviz=canvas]")
    height = anim.fig.bbox.height
    contour, loss = anim.views[1], anim.views[2]
    for ax, point, k in (
        (contour.ax_, run.params[30], 30),
        (loss.ax_, (64, run.loss[64]), 64),
    ):
        x, y = ax.transData.transform(point)
        # Selenium offsets are from the element's centre.
        ActionChains(driver).move_to_element_with_offset(
            canvas, int(x - canvas.size["width"] / 2), int(height - y - canvas.size["height"] / 2)
        ).perform()
        tip = driver.execute_script("return document.querySelector('[data-gdviz=tip]').textContent")
        assert tip.startswith(f"step {k} · loss "), tip
        shown = float(tip.split("loss ")[1])
        assert shown == pytest.approx(run.loss[k], rel=1e-3)


def test_runs_past_the_limit_are_thinned_evenly_with_the_first_and_last():
    from gdviz.export.page import LIMIT, slider_steps

    class Long:
        loss = np.zeros(250_001)

    steps, thinned = slider_steps([Long()])
    assert thinned and len(steps) == LIMIT and steps[0] == 0 and steps[-1] == 250_000
    assert np.ptp(np.diff(steps)) <= 1  # evenly: gaps of 2 and 3 only
    steps, thinned = slider_steps([type("Short", (), {"loss": np.zeros(LIMIT)})()])
    assert not thinned and len(steps) == LIMIT


def test_two_players_on_one_page_keep_to_themselves(tmp_path, driver):
    """As a notebook shows them: each player finds its own data and controls."""
    first = gdviz.animate(gdviz.train("synthetic", steps=30), view="loss")
    second = gdviz.animate(gdviz.train("thermometer", steps=50), view="loss")
    page = tmp_path / "notebook.html"
    page.write_text(
        "<!DOCTYPE html><html><body>"
        + first._repr_html_()
        + "<p>between the outputs</p>"
        + second._repr_html_()
        + "</body></html>"
    )
    driver.get(page.as_uri())
    deadline = time.monotonic() + 30
    while (
        driver.execute_script(
            "return [...document.querySelectorAll('[data-gdviz=readout]')]"
            ".filter(r => r.textContent).length"
        )
        < 2
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sliders = driver.execute_script(
        "return [...document.querySelectorAll('[data-gdviz=slider]')].map(s => s.max)"
    )
    assert sliders == ["30", "50"]
    assert "body" not in driver.execute_script(
        "return getComputedStyle(document.body).margin === '0px' ? 'body' : ''"
    )  # the players' style keeps to them: the page's own margin stays
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_decision_regions_move_on_the_page_as_matplotlib_draws_them(tmp_path, driver):
    run = gdviz.train("moons", steps=120)
    anim = gdviz.animate(run, view="fit")
    path = anim.save(tmp_path / "moons.html")
    assert "<video" not in path.read_text()
    open_page(driver, path)
    view, height = anim.views[0], anim.fig.bbox.height
    for k in (0, 60, 120):
        driver.execute_script("window.gdviz.show(arguments[0])", k)
        frame = frame_of(anim, k)
        # Along the decision boundary (where the picture changes most from step to step) and at
        # the middle of the panel: the page's picture is matplotlib's, within 2 pixels.
        segments = view.boundary_[0].get_segments()
        spots = [segments[0][len(segments[0]) // 2]] if segments else []
        (x0, x1), (y0, y1) = view.ax_.get_xlim(), view.ax_.get_ylim()
        spots.append(((x0 + x1) / 2, (y0 + y1) / 2))
        for spot in spots:
            x, y = view.ax_.transData.transform(spot)
            (dx, dy), error = offset(driver, frame, x, height - y, r=14)
            assert abs(dx) <= 2 and abs(dy) <= 2 and error < 12, (k, spot, dx, dy, error)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_3d_page_holds_the_camera_still_and_draws_what_matplotlib_draws_there(tmp_path, driver):
    from mpl_toolkits.mplot3d import proj3d

    runs = gdviz.sweep("rosenbrock", optimizer=["gd", "adam"], steps=300)
    anim = gdviz.animate(runs, view="surface")
    path = anim.save(tmp_path / "surface.html")
    text = path.read_text()
    assert "<video" not in text and "The camera stays where the animation" in text
    view = anim.views[0]
    assert view.turning  # the animation itself still turns
    open_page(driver, path)
    view.turning = False  # matplotlib's frames with the camera where the page holds it
    height = anim.fig.bbox.height
    try:
        for k in (40, 150, 300):
            driver.execute_script("window.gdviz.show(arguments[0])", k)
            frame = frame_of(anim, k)
            projection = view.ax_.get_proj()
            assert any(p.get_visible() for p in view.point_)
            for point in view.point_:
                if not point.get_visible():
                    continue
                xs, ys, zs = point.get_data_3d()
                px, py, _ = proj3d.proj_transform(xs, ys, zs, projection)
                x, y = view.ax_.transData.transform((px[0], py[0]))
                (dx, dy), error = offset(driver, frame, x, height - y)
                assert abs(dx) <= 2 and abs(dy) <= 2 and error < 25, (k, dx, dy, error)
    finally:
        view.turning = True
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_moving_artist_the_page_cannot_draw_makes_a_video_page_that_says_why(tmp_path):
    from matplotlib.patches import Rectangle

    anim = gdviz.animate(gdviz.train("synthetic", steps=20), view="loss", frames=5)
    view = anim.views[0]
    box = view.ax_.add_patch(Rectangle((0, 0), 1, 1))
    view.moving_.append(box)
    text = anim.save(tmp_path / "odd.html").read_text()
    assert "<video" in text and "Shown as a video: the loss view moves a Rectangle" in text
    assert "https://" not in text and "http://" not in text


def test_a_label_with_markup_in_it_leaves_the_player_working(tmp_path, driver):
    # "<!--<script>" inside the data's script block would put the HTML parser in a state where
    # the block never ends: nothing runs. As JSON escapes it is text, and shows as written.
    runs = gdviz.sweep("synthetic", lr=[0.1, 0.5], steps=8)
    for run, label in zip(runs, ["<!--<script>", "a</script><b>&amp;"]):
        run.meta["label"] = label
    path = gdviz.animate(runs, view="loss", frames=4).save(tmp_path / "markup.html")
    open_page(driver, path)
    shown = driver.execute_script(
        "return document.querySelector('[data-gdviz=readout]').textContent"
    )
    assert "<!--<script>" in shown and "a</script><b>&amp;" in shown
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
