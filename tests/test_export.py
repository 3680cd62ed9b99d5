"""Export: every format decoded by a real decoder, files written whole or not at all, flat memory.

Most tests use `Sweep`, a small blitted animation with a known picture; a few go end to end
through `gdviz.animate`. No test asserts on time: speed lives in benchmarks/export.py.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import psutil
import pytest
from PIL import Image
from pypdf import PdfReader
from stand_ins import RED, Sweep, Terminal, gif_frames

from gdviz.errors import GdvizError
from gdviz.export import (
    FORMATS,
    GifWriter,
    Mp4Writer,
    Progress,
    check_target,
    html_fragment,
    save,
)
from gdviz.notebook.display import notebook_html

TESTS = Path(__file__).resolve().parent
WHITE = (255, 255, 255)


def mp4_frames(path: Path) -> tuple[int, tuple[int, int]]:
    """Frame count and (width, height) of a video, as ffmpeg decodes it."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    count = sum(1 for _ in reader)
    return count, tuple(meta["size"])


# -- the target -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.jpg", "out", "out.gif.bak"])
def test_unknown_suffix_is_one_line_listing_the_formats(tmp_path, name):
    with pytest.raises(GdvizError) as caught:
        check_target(tmp_path / name)
    message = str(caught.value)
    assert "\n" not in message
    assert all(suffix in message for suffix in (".gif", ".mp4", ".html", ".png"))


def test_missing_or_unwritable_folder_fails_before_rendering(tmp_path):
    class Untouchable(Sweep):
        def frames(self):
            raise AssertionError("rendering started")

        last_frame = frames

    with pytest.raises(GdvizError, match="does not exist"):
        save(Untouchable(), tmp_path / "nowhere" / "out.gif")
    # Root writes anywhere but where the file system refuses everyone (/proc).
    locked = Path("/proc") if os.geteuid() == 0 else tmp_path / "locked"
    if locked != Path("/proc"):
        locked.mkdir(mode=0o500)
    with pytest.raises(GdvizError, match="not writable"):
        save(Untouchable(), locked / "out.gif")


def test_suffix_case_does_not_matter(tmp_path):
    assert check_target(tmp_path / "OUT.GIF") == tmp_path / "OUT.GIF"


def test_missing_ffmpeg_is_said_plainly_before_rendering(tmp_path, monkeypatch):
    def no_ffmpeg():
        raise RuntimeError("No ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_ffmpeg)
    for name in ("out.mp4", "out.html"):
        with pytest.raises(GdvizError, match="pip install imageio-ffmpeg"):
            check_target(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


# -- GIF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [GifWriter])
def test_gif_decodes_to_every_frame_looping_at_the_given_fps(tmp_path, writer):
    anim = Sweep(12)
    originals = list(anim.frames())
    last = originals[-1]  # as save() passes it: the palette covers the path to come
    with writer(tmp_path / "a.gif", fps=20, size=(160, 120), palette_frames=[last]) as gif:
        for frame in originals:
            gif.append(frame)
    frames, durations, image = gif_frames(tmp_path / "a.gif")
    assert len(frames) == 12
    assert image.size == (160, 120)
    assert image.info["loop"] == 0  # forever
    assert durations == [50] * 12  # 20 fps: 5 hundredths of a second exactly
    for decoded, original in zip(frames, originals):
        error = np.abs(decoded.astype(int) - original).max(axis=2)
        assert np.mean(error > 24) < 0.002  # antialiased edges may shift a little, nothing else


def test_gif_frames_decode_to_every_pixel_that_changed(tmp_path):
    # Each frame after the first is written as the box around what changed: its last column
    # and row are in it. White and red cover enough pixels to be kept exact.
    first = np.full((120, 160, 3), 255, np.uint8)
    second = first.copy()
    second[40:43, 70:73] = RED  # a 3 x 3 square
    third = second.copy()
    third[42, 72] = WHITE  # its last pixel, alone
    originals = [first, second, third]
    with GifWriter(tmp_path / "a.gif", fps=10, size=(160, 120), palette_frames=[second]) as gif:
        for frame in originals:
            gif.append(frame)
    frames, _, _ = gif_frames(tmp_path / "a.gif")
    for decoded, original in zip(frames, originals):
        np.testing.assert_array_equal(decoded, original)


def test_gif_keeps_white_exact_and_the_thin_red_line(tmp_path):
    anim = Sweep(12, size=(320, 240))
    save(anim, tmp_path / "a.gif")
    frames, _, _ = gif_frames(tmp_path / "a.gif")
    last = anim.last_frame()
    white = (last == WHITE).all(axis=2)
    assert white.mean() > 0.1
    assert (frames[-1][white] == WHITE).all()
    red = (last == RED).all(axis=2)
    assert red.sum() > 20
    assert (frames[-1][red] == RED).all()
    # The fill levels of the contour come out exact: no banding.
    levels = {tuple(c) for c in last[60:180, 60:260].reshape(-1, 3)}
    decoded = {tuple(c) for c in frames[-1][60:180, 60:260].reshape(-1, 3)}
    common = [c for c in levels if (last == c).all(axis=2).sum() > 200]
    assert len(common) >= 5
    assert set(common) <= decoded


def test_gif_fits_a_new_palette_when_colours_appear_later(tmp_path):
    # No palette frames: the first frame has no red; the writer must notice and adapt.
    originals = list(Sweep(12, size=(320, 240)).frames())
    with GifWriter(tmp_path / "a.gif", fps=20, size=(320, 240)) as gif:
        for frame in originals:
            gif.append(frame)
    frames, _, _ = gif_frames(tmp_path / "a.gif")
    red = (originals[-1] == RED).all(axis=2)
    error = np.abs(frames[-1][red].astype(int) - RED).max(axis=1)
    assert np.mean(error <= 16) > 0.95


@pytest.mark.parametrize("fps", [30, 24, 7.5])
def test_gif_delays_add_up_to_the_true_duration(tmp_path, fps):
    frames = list(Sweep(30, path=False).frames())
    with GifWriter(tmp_path / "a.gif", fps=fps, size=(160, 120)) as gif:
        for frame in frames:
            gif.append(frame)
    _, durations, _ = gif_frames(tmp_path / "a.gif")
    assert len(durations) == 30
    assert all(d % 10 == 0 for d in durations)  # GIF counts hundredths of a second
    assert abs(sum(durations) - 30 * 1000 / fps) <= 10


def test_gif_frames_faster_than_browsers_play_last_two_hundredths(tmp_path):
    # 100 fps asks one hundredth a frame, which browsers slow to a tenth: two is the shortest
    # delay they all honour.
    frames = list(Sweep(10, path=False).frames())
    with GifWriter(tmp_path / "a.gif", fps=100, size=(160, 120)) as gif:
        for frame in frames:
            gif.append(frame)
    _, durations, _ = gif_frames(tmp_path / "a.gif")
    assert durations == [20] * 10


def test_a_pixel_misfits_the_palette_when_a_channel_is_off_by_more_than_the_level():
    from gdviz.export.gif import MISFIT_LEVEL, misfits

    grey = Image.new("RGB", (4, 4), (100, 100, 100))

    def shown_as(red: int) -> Image.Image:  # the 16 pixels in a palette colour of this red
        image = Image.new("P", (4, 4), 0)
        image.putpalette([red, 100, 100] * 256)
        return image

    assert misfits(grey, shown_as(100 + MISFIT_LEVEL)) == 0  # off by the level: a fit
    assert misfits(grey, shown_as(100 + MISFIT_LEVEL + 1)) == 16
    assert misfits(grey, shown_as(100 - MISFIT_LEVEL - 1)) == 16


def test_gif_keeps_identical_frames(tmp_path):
    frame = next(iter(Sweep(3).frames()))
    with GifWriter(tmp_path / "a.gif", fps=10, size=(160, 120)) as gif:
        for _ in range(4):
            gif.append(frame)
    frames, durations, _ = gif_frames(tmp_path / "a.gif")
    assert len(frames) == 4 and durations == [100] * 4
    assert all((f == frames[0]).all() for f in frames)


def test_gif_of_100_frames_at_640x480_stays_small(tmp_path):
    path = save(Sweep(100, size=(640, 480)), tmp_path / "a.gif")
    assert path.stat().st_size < 2_000_000


def test_a_3d_gif_holds_the_camera_still_where_its_turn_ends_and_stays_light(tmp_path):
    import gdviz

    anim = gdviz.animate(gdviz.train("rosenbrock", steps=100), view="surface", frames=40)
    last = anim.last_frame()  # turning: the camera's end position, drawn whole
    path = anim.save(tmp_path / "turn.gif")
    frames, _, _ = gif_frames(path)
    assert len(frames) == 40
    changed = [(a != b).any(axis=2).mean() for a, b in itertools.pairwise(frames)]
    assert max(changed) < 0.02, max(changed)  # the path moves; the surface stays put
    # the held camera is the turn's end: the last frame is the animation's own, to the
    # palette's rounding
    assert np.abs(frames[-1].astype(int) - last.astype(int)).max(axis=2).mean() < 4
    assert path.stat().st_size < 2_000_000 * 40 / 100
    assert anim.views[0].turning and anim.views[0].full_redraw  # still turns in an MP4


# -- MP4, HTML, PNG -----------------------------------------------------------------------------


def test_mp4_decodes_to_every_frame_at_even_size(tmp_path):
    path = save(Sweep(15, size=(161, 121)), tmp_path / "a.mp4")
    assert mp4_frames(path) == (15, (162, 122))
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    )
    assert re.search(r"Video: h264 .*yuv420p", probe.stderr)
    assert re.search(r"\b20 fps\b", probe.stderr)


def test_html_is_one_page_holding_the_video(tmp_path):
    page = save(Sweep(10), tmp_path / "a.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    tag = re.search(r"<video [^>]*>", page).group(0)
    assert all(word in tag for word in ("controls", "autoplay", "loop", "muted"))
    data = re.search(r'src="data:video/mp4;base64,([^"]+)"', page).group(1)
    video = tmp_path / "embedded.mp4"
    video.write_bytes(base64.b64decode(data))
    assert mp4_frames(video) == (10, (160, 120))
    assert "<title>a</title>" in page


def test_html_fragment_is_the_markup_a_notebook_embeds():
    fragment = html_fragment(Sweep(4))
    assert fragment.startswith("<video") and "data:video/mp4;base64," in fragment
    assert notebook_html(Sweep(4)).startswith("<video")


def test_png_is_the_final_frame_losslessly(tmp_path):
    anim = Sweep(6)
    path = save(anim, tmp_path / "a.png")
    image = Image.open(path)
    assert image.format == "PNG" and image.size == (160, 120)
    assert (np.asarray(image.convert("RGB")) == anim.last_frame()).all()


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_writer_follows_the_protocol(tmp_path, suffix):
    frames = list(Sweep(3).frames())
    writer = FORMATS[suffix](tmp_path / f"a{suffix}", fps=10, size=(160, 120))
    for frame in frames:
        writer.append(frame)
    writer.close()
    assert (tmp_path / f"a{suffix}").stat().st_size > 0
    with pytest.raises(ValueError, match="expected uint8"):
        FORMATS[suffix](tmp_path / f"b{suffix}", fps=10, size=(160, 120)).append(frames[0][:, :50])


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_an_animation_of_frames_alone_saves_as_a_vector_still(tmp_path, suffix):
    # No figure to draw as vectors: its last frame, laid in as the picture it is.
    path = save(Sweep(3), tmp_path / f"a{suffix}")
    assert path.stat().st_size > 0 and path.read_bytes()[:5] in (b"<?xml", b"%PDF-")
    if suffix == ".svg":
        root = ET.parse(path).getroot()
        size = [float(root.get(k).removesuffix("pt")) for k in ("width", "height")]
    else:
        box = PdfReader(path).pages[0].mediabox
        size = [float(box.width), float(box.height)]
    np.testing.assert_allclose(size, [160 * 0.72, 120 * 0.72])  # 160 x 120 pixels at 100 dpi


def test_mp4_abort_stops_and_reaps_ffmpeg(tmp_path):
    writer = Mp4Writer(tmp_path / "a.mp4", fps=10, size=(160, 120))
    writer.append(next(iter(Sweep(2).frames())))
    ffmpeg = psutil.Process(writer._process.pid)
    assert ffmpeg.is_running() and "ffmpeg" in ffmpeg.name()
    writer.abort()
    # Killed and reaped at once (no zombie left waiting), so nothing more reaches the file.
    assert not psutil.pid_exists(ffmpeg.pid) or ffmpeg.status() != psutil.STATUS_ZOMBIE
    assert ffmpeg.pid not in {p.pid for p in psutil.Process().children(recursive=True)}


def test_a_dropped_mp4_writer_leaves_no_ffmpeg_behind(tmp_path):
    writer = Mp4Writer(tmp_path / "a.mp4", fps=10, size=(160, 120))
    pid = writer._process.pid
    del writer
    import gc

    gc.collect()
    assert pid not in {p.pid for p in psutil.Process().children(recursive=True)}


def test_ffmpeg_dies_with_gdviz_even_when_killed(tmp_path):
    script = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "from stand_ins import Sweep\n"
        "from gdviz.export import Mp4Writer\n"
        f"w = Mp4Writer({str(tmp_path / 'a.mp4')!r}, fps=10, size=(160, 120))\n"
        "w.append(next(iter(Sweep(2).frames())))\n"
        "print(w._process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    ffmpeg = int(child.stdout.readline())
    child.kill()  # SIGKILL: gdviz gets no chance to clean up
    child.wait()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(ffmpeg) and psutil.Process(ffmpeg).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "ffmpeg outlived gdviz"
        time.sleep(0.05)


# -- whole or nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".html"])
def test_an_error_mid_render_leaves_nothing(tmp_path, suffix):
    (tmp_path / f"old{suffix}").write_bytes(b"the old file")
    with pytest.raises(RuntimeError, match="failed at frame 30"):
        save(Sweep(40, fail_at=30), tmp_path / f"new{suffix}")
    with pytest.raises(RuntimeError, match="failed at frame 30"):
        save(Sweep(40, fail_at=30), tmp_path / f"old{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"old{suffix}"]
    assert (tmp_path / f"old{suffix}").read_bytes() == b"the old file"


def encoders() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "gdviz-encoder"]


def test_a_gif_encoded_behind_the_drawing_is_the_gif_encoded_in_turn(tmp_path, monkeypatch):
    behind = save(Sweep(60, size=(320, 240)), tmp_path / "behind.gif")
    monkeypatch.setattr(GifWriter, "behind", False)
    in_turn = save(Sweep(60, size=(320, 240)), tmp_path / "in_turn.gif")
    assert behind.read_bytes() == in_turn.read_bytes()
    assert len(gif_frames(behind)[0]) == 60 and encoders() == []


@pytest.mark.parametrize("fails", ["encoder", "drawing"])
def test_an_error_on_either_side_of_the_encoder_thread_stops_both_and_leaves_nothing(
    tmp_path, monkeypatch, fails
):
    # The encoder fails at its 20th frame (a full disk), or the drawing is interrupted at its
    # 30th while the encoder is a few frames behind: the error is the caller's, whole.
    appended = []
    append = GifWriter.append

    def failing(self, frame):
        appended.append(threading.current_thread().name)
        if fails == "encoder" and len(appended) == 20:
            raise OSError(28, "No space left on device")
        append(self, frame)

    monkeypatch.setattr(GifWriter, "append", failing)
    target = tmp_path / "out.gif"
    if fails == "encoder":
        with pytest.raises(GdvizError, match=f"cannot write {re.escape(str(target))}: No space"):
            save(Sweep(40), target)
    else:
        with pytest.raises(KeyboardInterrupt):
            save(Sweep(40, fail_at=30, fail_with=KeyboardInterrupt), target)
    assert list(tmp_path.iterdir()) == [] and encoders() == []
    assert set(appended) == {"gdviz-encoder"} and len(appended) <= 30


INTERRUPTED = """
import sys
sys.path.insert(0, {tests!r})
from stand_ins import RED, Sweep, gif_frames
from gdviz.export import save
save(Sweep(100000, size=(320, 240)), {target!r})
"""


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
@pytest.mark.slow
def test_ctrl_c_mid_render_leaves_nothing_behind(tmp_path, suffix, listing):
    target = tmp_path / f"long{suffix}"
    script = INTERRUPTED.format(tests=str(TESTS), target=str(target))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    child = subprocess.Popen(
        [sys.executable, "-c", script], stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not listing(tmp_path, ".part"):
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.05)
        time.sleep(0.5)  # well into rendering
        helpers = psutil.Process(child.pid).children(recursive=True)
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0
    assert "KeyboardInterrupt" in child.stderr.read()
    assert list(tmp_path.iterdir()) == []
    for helper in helpers:  # ffmpeg or the GIF encoder went with it
        assert not helper.is_running() or helper.status() == psutil.STATUS_ZOMBIE


# -- memory -------------------------------------------------------------------------------------


PEAK = """
import resource, sys
sys.path.insert(0, {tests!r})
from stand_ins import RED, Sweep, gif_frames
from gdviz.export import save
save(Sweep({n}, size=(320, 240)), {target!r})
peak = max(resource.getrusage(who).ru_maxrss
           for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(peak * 1024)
"""


def peak_bytes(tmp_path: Path, n: int, suffix: str) -> int:
    target = tmp_path / f"{n}{suffix}"
    script = PEAK.format(tests=str(TESTS), n=n, target=str(target))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert target.exists()
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
@pytest.mark.slow
def test_memory_does_not_grow_with_the_frame_count(tmp_path, suffix):
    # 1000 frames of 320x240 held in memory would take 230 MB, more than the whole process.
    few = peak_bytes(tmp_path, 100, suffix)
    many = peak_bytes(tmp_path, 1000, suffix)
    assert many <= 1.25 * few + 8e6, (few, many)


# -- progress -----------------------------------------------------------------------------------


def test_progress_counts_frames_and_time_left():
    out = io.StringIO()
    bar = Progress("writing a.gif", 10, enabled=True, file=out)
    time.sleep(0.15)  # past the redraw interval: every update after it is drawn
    bar.update(1)
    time.sleep(0.15)
    bar.update(10)
    bar.close()
    text = out.getvalue()
    assert "1/10 frames" in text and "10/10 frames" in text and "left" in text
    assert text.endswith("\n")


def test_quiet_turns_off_every_bar_that_would_show_itself():
    assert Progress("training", 3, file=Terminal()).enabled
    with Progress.hushed():  # as the command line's -q
        assert not Progress("training", 3, file=Terminal()).enabled
        assert Progress("asked for", 3, file=Terminal(), enabled=True).enabled
    assert Progress("training", 3, file=Terminal()).enabled


def test_progress_is_silent_unless_asked_or_on_a_terminal(tmp_path, capsys):
    save(Sweep(4), tmp_path / "a.gif")  # stderr is captured here: not a terminal
    save(Sweep(4), tmp_path / "b.gif", progress=False)
    assert capsys.readouterr().err == ""
    save(Sweep(4), tmp_path / "c.gif", progress=True)
    assert "4/4 frames" in capsys.readouterr().err


# -- end to end ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_run():
    import gdviz

    return gdviz.train("synthetic", steps=30)


def available_views():
    from gdviz.views import VIEWS

    return [v for v in ("fit", "contour") if v in VIEWS]


@pytest.mark.parametrize("view", available_views())
@pytest.mark.slow
def test_gdviz_animate_saves_every_format(tmp_path, synthetic_run, view):
    import gdviz

    anim = gdviz.animate(synthetic_run, view=view, frames=20)
    try:
        gif = anim.save(tmp_path / "a.gif", progress=False)
        frames, durations, image = gif_frames(gif)
        # Paced: the first frame held half a second, the last two, the rest 1/20 s each.
        assert len(frames) == 20 and image.size == (640, 480)
        assert durations == [500] + [50] * 18 + [2000]
        # A video has one rate: the held frames are repeated (10 and 40 times at 20 fps).
        assert mp4_frames(anim.save(tmp_path / "a.mp4", progress=False)) == (68, (640, 480))
        page = anim.save(tmp_path / "a.html").read_text()  # the interactive page, no video
        assert 'data-gdviz="slider"' in page and "<video" not in page
        png = Image.open(anim.save(tmp_path / "a.png"))
        assert (np.asarray(png.convert("RGB")) == anim.last_frame()).all()
    finally:
        anim.fig.clear()


def test_sweep_matches_the_animation_interface():
    anim = Sweep(3)
    frames = list(anim.frames())
    assert len(frames) == anim.n_frames
    assert (frames[-1] == anim.last_frame()).all()  # blitting draws what a full draw does
