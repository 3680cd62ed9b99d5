"""Paper-ready stills: .svg and .pdf as vector graphics with their text as text, and any step's
still (frame=K, --frame K) in every format that holds one picture."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

import gdviz
from gdviz.errors import GdvizError

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def anim():
    return gdviz.animate(gdviz.train("synthetic", steps=30), view="dashboard")


def texts_of_svg(path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_an_svg_holds_the_last_frame_with_its_text_as_text(anim, tmp_path):
    path = anim.save(tmp_path / "fit.svg")
    texts = texts_of_svg(path)
    assert any("step 30 of 30" in t for t in texts)  # the caption, as text
    assert any("synthetic" in t for t in texts)  # the title
    assert not list(ET.parse(path).getroot().iter(f"{SVG}image"))  # nothing drawn as pixels
    assert anim.caption_.get_visible()  # the raster caption is back for the frames


def test_a_pdf_holds_the_frame_asked_for_with_selectable_text(anim, tmp_path):
    path = anim.save(tmp_path / "fit.pdf", frame=10)
    assert path.read_bytes().startswith(b"%PDF")
    (page,) = PdfReader(path).pages
    text = page.extract_text()
    assert "step 10 of 30" in text and "synthetic" in text


def test_any_step_s_still_is_the_animation_s_frame_at_that_step(anim, tmp_path):
    frames = list(anim.frames())  # blitted, as the GIF is written
    for step in (0, 10, 30):
        path = anim.save(tmp_path / f"s{step}.png", frame=step)
        with Image.open(path) as im:
            np.testing.assert_array_equal(np.asarray(im.convert("RGB")), frames[step])
    assert "step 10 of 30" in " ".join(texts_of_svg(anim.save(tmp_path / "s.svg", frame=10)))


def test_a_frame_no_still_can_show_is_one_line_and_nothing_written(anim, tmp_path):
    cases = [
        (tmp_path / "a.gif", 3, "a .gif holds every frame"),
        (tmp_path / "a.png", 31, "frame must be a step from 0 to 30"),
        (tmp_path / "a.svg", -1, "frame must be a step from 0 to 30"),
        (tmp_path / "a.pdf", 2.5, "frame must be a step"),
    ]
    for path, frame, said in cases:
        with pytest.raises(GdvizError, match=said):
            anim.save(path, frame=frame)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_command_line_writes_any_step_s_still(tmp_path):
    def gdviz_cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "gdviz.cli.launch", "animate", "--steps", "20", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    done = gdviz_cli("--out", "fit.svg", "--frame", "5")
    assert done.returncode == 0, done.stderr
    assert any("step 5 of 20" in t for t in texts_of_svg(tmp_path / "fit.svg"))
    refused = gdviz_cli("--out", "fit.gif", "--frame", "5")
    assert refused.returncode == 2 and "--frame picks the step of a still" in refused.stderr
    assert not (tmp_path / "fit.gif").exists()
