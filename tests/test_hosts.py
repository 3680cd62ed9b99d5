"""Notebook hosts: the inline player in real marimo (its own server, under headless Chromium),
and the last frame with a note where a viewer runs no scripts, never an empty box."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import gdviz
from gdviz.notebook.display import notebook_html

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHADOWS = """
function frames(root) {
  let out = [...root.querySelectorAll('iframe')];
  for (const e of root.querySelectorAll('*')) if (e.shadowRoot) out = out.concat(frames(e.shadowRoot));
  return out;
}
return frames(document);
"""


def test_a_viewer_that_runs_no_scripts_shows_the_last_frame_and_a_note(tmp_path):
    selenium = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    anim = gdviz.animate(gdviz.train("synthetic", steps=20), view="contour")
    page = tmp_path / "output.html"
    page.write_text(f"<html><body>{notebook_html(anim)}</body></html>", encoding="utf-8")
    options = selenium.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )  # as GitHub's or nbviewer's rendering of a saved notebook: no script runs
    options.binary_location = shutil.which("chromium")
    driver = selenium.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(page.as_uri())
        still = driver.find_element("css selector", "[data-gdviz=still] img")
        assert still.is_displayed() and still.size["width"] == anim.fig.bbox.width
        assert driver.find_element("css selector", "[data-gdviz=still] p").is_displayed()
        assert driver.find_elements("css selector", "[data-gdviz=live], button, canvas") == []
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import gdviz

    run = gdviz.train("synthetic", steps=40)
    gdviz.animate(run, view="contour")
    return


if __name__ == "__main__":
    app.run()
"""


def test_marimo_shows_the_player_and_it_moves(tmp_path, driver):
    marimo = shutil.which("marimo") or str(Path(sys.executable).parent / "marimo")
    if not Path(marimo).exists():
        pytest.skip("marimo is not installed")
    (tmp_path / "nb.py").write_text(NOTEBOOK)
    port = _free_port()
    server = subprocess.Popen(
        [marimo, "run", "nb.py", "--headless", "--port", str(port), "--no-token"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=dict(os.environ, MPLBACKEND="Agg"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=5).read(100)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()[-2000:]
                assert time.monotonic() < deadline, "marimo did not start"
                time.sleep(0.5)
        driver.get(f"http://127.0.0.1:{port}")
        frames = []
        while not frames:  # marimo runs the cell, then shows its output
            assert time.monotonic() < deadline, "no output in marimo"
            frames = driver.execute_script(SHADOWS)
            time.sleep(0.5)
        driver.switch_to.frame(frames[0])
        while not driver.execute_script("return !!(window.gdviz && window.gdviz.ready)"):
            assert time.monotonic() < deadline, "the player did not start"
            time.sleep(0.2)
        slider = "document.querySelector('[data-gdviz=slider]')"
        assert driver.execute_script(f"return {slider}.max") == "40"
        assert driver.execute_script("return document.querySelector('[data-gdviz=still]')") is None
        driver.find_element("css selector", "[data-gdviz=play]").click()
        while driver.execute_script("return window.gdviz.step") == 0:  # it moves
            assert time.monotonic() < deadline, "the player did not move"
            time.sleep(0.1)
        driver.switch_to.default_content()
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
