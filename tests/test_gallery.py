"""The gallery: every example runs, the site builds, and a real browser loads every animation."""

from __future__ import annotations

import ast
import html
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

import gdviz
from gdviz.cli.gallery import build, default_source, examples

pytestmark = pytest.mark.slow

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("*.py"))


def test_at_least_ten_examples_each_with_title_and_paragraph():
    found = examples(GALLERY)
    assert len(found) >= 10
    for ex in found:
        assert ex.title and len(ex.description.split()) >= 15, ex.name


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_examples_use_only_the_public_api(script):
    tree = ast.parse(script.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("gdviz"), f"{script.name}: from {node.module}"
        if isinstance(node, ast.Import):
            assert all(a.name == "gdviz" or not a.name.startswith("gdviz") for a in node.names)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "gdviz"
        ):
            assert node.attr in gdviz.__all__, f"{script.name}: gdviz.{node.attr}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    results = build(out, source=GALLERY, jobs=2)
    return out, results


def test_every_example_builds_and_writes_its_animation(site):
    out, results = site
    assert [r.error for r in results if r.error] == []
    for r in results:
        assert r.media, r.example.name
        for name in r.media:
            if name.endswith(".mp4"):  # a turning 3-D camera: a video
                path = str(out / "media" / name)
                frames, _ = imageio_ffmpeg.count_frames_and_secs(path)
                meta = next(imageio_ffmpeg.read_frames(path))
                assert frames >= 10 and meta["size"][0] >= 640, name
                continue
            with Image.open(out / "media" / name) as im:
                # an animation, or a still where the picture is one (a landscape without a path)
                assert im.n_frames >= (1 if name.endswith(".png") else 10), name
                assert im.size[0] >= 640


def test_site_links_are_relative_and_include_sources(site):
    out, results = site
    index = (out / "index.html").read_text()
    assert "file://" not in index and 'src="/' not in index and 'href="/' not in index
    for r in results:
        assert f'src="media/{r.media[0]}"' in index
        assert (out / "src" / r.example.path.name).read_text() == r.example.path.read_text()
        assert html.escape(r.example.title) in index


def test_a_failing_example_is_named_and_does_not_stop_the_others(tmp_path):
    source = tmp_path / "examples"
    source.mkdir()
    (source / "good.py").write_text(
        '"""Good\n\nA run that works, drawn as the last frame only."""\n'
        "import gdviz\n"
        'gdviz.animate(gdviz.train("single-point", steps=2)).save("good.png")\n'
    )
    (source / "bad.py").write_text(
        '"""Bad\n\nThis one raises."""\nraise SystemExit("bad example: boom")\n'
    )
    results = {r.example.name: r for r in build(tmp_path / "site", source=source, jobs=2)}
    assert results["bad"].error == "bad example: boom"
    assert results["good"].error is None and results["good"].media == ["good.png"]
    index = (tmp_path / "site" / "index.html").read_text()
    assert "failed to build: bad example: boom" in index and "media/good.png" in index


def test_gallery_command_reports_failures_by_name(tmp_path):
    source = tmp_path / "examples"
    source.mkdir()
    (source / "broken.py").write_text(
        '"""Broken\n\nFails on purpose."""\nimport sys; sys.exit(3)\n'
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gdviz.cli.commands",
            "gallery",
            "--out",
            str(tmp_path / "s"),
            "--source",
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "broken" in proc.stderr.splitlines()[-1] and "Traceback" not in proc.stderr


@pytest.mark.browser
def test_site_loads_in_a_real_browser(site, tmp_path, browser):
    out, results = site
    driver = browser()
    try:
        driver.get((out / "index.html").as_uri())
        driver.execute_script("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        driver.set_script_timeout(60)
        state = driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const imgs = [...document.images];
            const vids = [...document.querySelectorAll('video')];
            const waitImg = i => i.complete ? Promise.resolve() :
                new Promise(r => { i.onload = r; i.onerror = r; });
            const waitVid = v => v.readyState >= 2 ? Promise.resolve() :
                new Promise(r => { v.onloadeddata = r; v.onerror = r; v.load(); });
            Promise.all([...imgs.map(waitImg), ...vids.map(waitVid)]).then(() => done({
                images: imgs.map(i => [i.getAttribute('src'), i.naturalWidth]),
                videos: vids.map(v => [v.getAttribute('src'), v.readyState, v.error && v.error.code]),
                cards: document.querySelectorAll('.card').length,
            }));
            """
        )
        driver.save_screenshot(str(tmp_path / "gallery.png"))
        logs = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert state["cards"] == len(results)
    assert len(state["images"]) + len(state["videos"]) == sum(len(r.media) for r in results)
    assert all(width > 0 for _, width in state["images"]), state["images"]
    assert all(ready >= 2 and err is None for _, ready, err in state["videos"]), state["videos"]
    assert logs == []


def test_an_interrupted_gallery_stops_its_examples_and_says_what_is_on_disk(tmp_path):
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    import psutil

    source = tmp_path / "src"
    source.mkdir()
    for name in ("slow_a", "slow_b"):
        (source / f"{name}.py").write_text(
            f'"""Slow {name}\n\nAn example that takes its time, started to be interrupted by a '
            'test that checks nothing of it outlives the gallery command."""\n'
            "import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "time.sleep(120)\n"
        )
    stale = Path(tempfile.gettempdir()) / "gdviz-slow_a.pid999999999.abcd"
    stale.mkdir(exist_ok=True)  # as a gallery killed outright leaves it: removed at the next
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gdviz.cli.launch",
            "gallery",
            "--out",
            str(tmp_path / "site"),
            "--source",
            str(source),
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(psutil.Process(child.pid).children(recursive=True)) < 4:  # 2 examples, 2 sleepers
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline, "the examples did not start"
            time.sleep(0.1)
        family = psutil.Process(child.pid).children(recursive=True)
        scratch = sorted(Path(tempfile.gettempdir()).glob(f"gdviz-slow_*.pid{child.pid}.*"))
        assert len(scratch) == 2 and not stale.exists()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130
    assert err.strip() == "gdviz: interrupted; nothing was written"
    gone = psutil.wait_procs(family, timeout=10)[1]
    assert not [p for p in gone if p.status() != psutil.STATUS_ZOMBIE], "an example outlived gdviz"
    assert not any(p.exists() for p in scratch), "a scratch folder was left"


def test_a_cards_code_shows_as_code_not_between_raw_backticks():
    from gdviz.cli.gallery import _prose

    text = "Races ``gdviz.sweep`` against `lr=0.1` for <b> & co."
    assert _prose(text) == (
        "Races <code>gdviz.sweep</code> against <code>lr=0.1</code> for &lt;b&gt; &amp; co."
    )
    for example in examples(default_source()):  # every card of the gallery as it is
        assert "`" not in _prose(example.description), example.name
