"""The inline player in real JupyterLab and Jupyter Notebook 7: each its own server, under
headless Chromium, as a user sees it.

A notebook saved with its output elsewhere (by nbclient, papermill or another machine) opens
untrusted: the front end sanitises its HTML, dropping the scripts, the stylesheet and the data
and ``hidden`` attributes. It must show the last frame with its note, and no dead player. Run
in the session, the cell's new output is trusted: its script runs, and the player plays.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

import gdviz

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
STEPS = 30
SOURCE = f'import gdviz\ngdviz.animate(gdviz.train("synthetic", steps={STEPS}))'
# Both cores busy (the kernel trains and draws, the browser lays out the front end): generous.
START = 240  # seconds for the server, the front end, the kernel and the run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, deadline: float, check, every: float = 0.25):
    """Poll ``check`` until it returns something truthy (returned), failing past ``deadline``."""
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: timed out"
        time.sleep(every)


def _notebook(path: Path) -> None:
    """The notebook, saved with its output as a run elsewhere leaves it (unsigned: untrusted)."""
    anim = gdviz.animate(gdviz.train("synthetic", steps=STEPS))
    output = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/html": anim._repr_html_(), "text/plain": repr(anim)},
    }
    cell = {"cell_type": "code", "id": "run", "execution_count": 1, "metadata": {}}
    notebook = {
        "cells": [{**cell, "source": SOURCE, "outputs": [output]}],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


@contextmanager
def _server(kind: str, folder: Path, deadline: float):
    """``jupyter lab`` or ``jupyter notebook`` serving ``folder`` on a free port, with no token,
    its settings, runtime files and trust database its own; killed, with its kernels, at the end.
    Its kernels import this checkout's gdviz and keep IPython's own matplotlib backend."""
    pytest.importorskip({"lab": "jupyterlab", "notebook": "notebook"}[kind])
    state = folder.parent / f"{kind}-state"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])]),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
    )
    port = _free_port()
    module = {"lab": "jupyterlab", "notebook": "notebook"}[kind]
    state.mkdir()
    log = state / "server.log"  # a file, not a pipe: a chatty server never blocks on it
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", module, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             "--IdentityProvider.token=", "--ServerApp.password=",
             f"--ServerApp.root_dir={folder}", "--allow-root"],
            cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return urllib.request.urlopen(f"{url}/api/status", timeout=5).status == 200
            except OSError:
                assert server.poll() is None, log.read_text()[-3000:]
                return False

        _wait(f"jupyter {kind} starting", deadline, up, every=0.5)
        yield url
    finally:
        # The kernels run in sessions of their own: the server stops them as it stops; any it
        # left (killed itself, say) are killed here, by the ids it started them with.
        try:
            kernels = psutil.Process(server.pid).children(recursive=True)
            os.killpg(server.pid, signal.SIGTERM)
        except (psutil.NoSuchProcess, ProcessLookupError):  # it ended already (and said why)
            kernels = []
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        for kernel in psutil.wait_procs(kernels, timeout=10)[1]:
            kernel.kill()


OUTPUTS = "return [...document.querySelectorAll('.jp-Cell .jp-OutputArea-output')]"
CANVAS = "return arguments[0].querySelector('canvas').toDataURL()"


@pytest.mark.parametrize(
    ("kind", "path"), [("lab", "lab/tree/nb.ipynb"), ("notebook", "notebooks/nb.ipynb")]
)
def test_jupyter_shows_a_saved_output_as_a_still_and_a_run_cell_as_a_player_that_moves(
    kind, path, tmp_path, driver
):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "nb.ipynb")
    deadline = time.monotonic() + START
    with _server(kind, folder, deadline) as url:
        driver.get_log("browser")  # the module's browser: this test's messages only
        driver.get(f"{url}/{path}")

        # Opened, untrusted: the last frame and the note, sanitised; no dead controls.
        def saved():
            outputs = driver.execute_script(OUTPUTS)
            images = [
                img
                for out in outputs
                for img in out.find_elements("css selector", "img[src^='data:image/png']")
            ]
            return images and driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", images[0]
            )

        _wait("the saved output", deadline, saved)
        (output,) = driver.execute_script(OUTPUTS)
        assert output.find_element("css selector", "img").is_displayed()
        assert "This viewer runs no scripts" in output.text
        assert "trust the notebook" in output.text
        dead = "button, canvas, input, select, [data-gdviz]"
        assert output.find_elements("css selector", dead) == []
        driver.save_screenshot(str(tmp_path / f"{kind}-saved.png"))

        # Run in the session, once the kernel is idle: with the keyboard, as a user does.
        _wait(
            "the kernel starting",
            deadline,
            lambda: driver.execute_script(
                "const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
                "return s && s.getAttribute('data-status') === 'idle'"
            ),
        )

        def kernels():
            with urllib.request.urlopen(f"{url}/api/kernels", timeout=10) as response:
                return json.load(response)

        # ... and connected to this page (the server counts its websocket): a request sent
        # before then could be lost.
        _wait(
            "the kernel connecting",
            deadline,
            lambda: [k for k in kernels() if k["connections"] and k["execution_state"] == "idle"],
        )
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        driver.find_element("css selector", ".jp-Cell .cm-content").click()
        keys = ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)
        keys.perform()
        find = "return document.querySelector('.jp-OutputArea [data-gdviz=player]')"
        try:
            player = _wait("the cell's output", deadline, lambda: driver.execute_script(find))
        except AssertionError as e:  # what the front end and the server saw
            driver.save_screenshot(str(tmp_path / f"{kind}-no-output.png"))
            prompts = driver.execute_script(
                "return [...document.querySelectorAll('.jp-InputPrompt')].map(e => e.textContent)"
            )
            log = (folder.parent / f"{kind}-state" / "server.log").read_text()[-3000:]
            raise AssertionError(f"{e}; prompts {prompts}; kernels {kernels()}; {log}") from e
        _wait(
            "the player starting",
            deadline,
            lambda: driver.execute_script("return !!(arguments[0].gdviz||{}).ready", player),
        )
        # One output, the player alone: no stray static figure from the inline backend.
        outputs = driver.execute_script(OUTPUTS)
        assert [o for o in outputs if o.find_elements("css selector", "img, canvas")] == [
            o for o in outputs if o.find_elements("css selector", "[data-gdviz=player]")
        ]
        assert player.find_elements("css selector", "[data-gdviz=still]") == []
        slider = player.find_element("css selector", "[data-gdviz=slider]")
        assert slider.get_attribute("max") == str(STEPS)
        readout = player.find_element("css selector", "[data-gdviz=readout]")
        assert readout.text.startswith("step 0 · loss ")
        first = driver.execute_script(CANVAS, player)
        driver.save_screenshot(str(tmp_path / f"{kind}-player.png"))

        # Played: the step, the readout and the canvas's pixels change.
        player.find_element("css selector", "[data-gdviz=play]").click()
        _wait(
            "the player moving",
            deadline,
            lambda: driver.execute_script("return arguments[0].gdviz.step", player) > 0,
            every=0.05,
        )
        _wait("the readout moving", deadline, lambda: not readout.text.startswith("step 0 "))
        _wait("the canvas moving", deadline, lambda: driver.execute_script(CANVAS, player) != first)
        _wait(
            "the player reaching the end",
            deadline,
            lambda: readout.text.startswith(f"step {STEPS} · loss "),
        )
        driver.save_screenshot(str(tmp_path / f"{kind}-played.png"))

        # Saved in the session (the server signs it: trusted) and opened again, the player starts
        # by itself, with no kernel run.
        driver.find_element("css selector", ".jp-Cell .cm-content").click()
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
        notebook = folder / "nb.ipynb"
        _wait("the save", deadline, lambda: "not converged" in notebook.read_text("utf-8"))
        first_tab = driver.current_window_handle
        driver.switch_to.new_window("tab")  # a tab of its own: no leaving a page mid-save
        try:
            driver.get(f"{url}/{path}")
            player = _wait("the reopened output", deadline, lambda: driver.execute_script(find))
            _wait(
                "the reopened player starting",
                deadline,
                lambda: driver.execute_script("return !!(arguments[0].gdviz||{}).ready", player),
            )
            assert player.find_elements("css selector", "[data-gdviz=still]") == []
            driver.save_screenshot(str(tmp_path / f"{kind}-reopened.png"))
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            driver.close()
            driver.switch_to.window(first_tab)
        severe += [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        # The output's script, put in place by the front end, logs its errors from "javascript"
        # (or the notebook's own address); the front end's bundles log from /static/ (Notebook 7
        # logs an error of its own on opening: not gdviz's).
        ours = ("javascript ", f"{url}/{path}")
        assert [e for e in severe if e["message"].startswith(ours)] == []
