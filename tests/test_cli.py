"""The command line: exit codes, one-line errors, output names, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import gdviz
from gdviz.cli.commands import main


def gdviz_cli(*args: str, cwd=None) -> tuple[int, str, str]:
    """Run the real console entry point in a subprocess: exit code, stdout, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "gdviz.cli.commands", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    return proc.returncode, proc.stdout, proc.stderr


def call(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_default_output_is_source_view_gif_in_current_folder(tmp_path, listing):
    code, out, err = gdviz_cli("animate", "--dataset", "synthetic", "--frames", "12", cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == "synthetic-fit.gif"
    with Image.open(tmp_path / "synthetic-fit.gif") as gif:
        assert gif.n_frames == 12
        assert gif.size == (640, 480)
    assert listing(tmp_path) == ["synthetic-fit.gif"]


def test_save_run_then_rerender_from_it(tmp_path, capsys):
    run_path, gif = tmp_path / "fit.npz", tmp_path / "again.gif"
    code, out, err = call(
        capsys,
        "animate",
        "--dataset",
        "single-point",
        "--steps",
        "3",
        "--frames",
        "4",
        "--out",
        str(tmp_path / "a.gif"),
        "--save-run",
        str(run_path),
    )
    assert code == 0, err
    run = gdviz.load(run_path)
    assert run.params[:2, 0] == pytest.approx([1.0, 1.4])
    code, _out, err = call(capsys, "animate", "--run", str(run_path), "--out", str(gif))
    assert code == 0, err
    with Image.open(gif) as im:
        assert im.n_frames == 4


def test_rerendering_a_saved_run_does_not_import_torch(tmp_path):
    run_path = tmp_path / "r.npz"
    gdviz.train("single-point", steps=2).save(run_path)
    probe = (
        "import sys; from gdviz.cli.commands import main; "
        f"code = main(['animate', '--run', {str(run_path)!r}, '--out', {str(tmp_path / 'r.png')!r}, '-q']); "
        "print(code, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]


def test_csv_fit_is_in_the_data_units(tmp_path, capsys):
    x = np.linspace(0, 10, 30)
    y = 1.8 * x + 32
    csv = tmp_path / "temps.csv"
    csv.write_text("celsius,fahrenheit\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y)))
    code, _out, err = call(
        capsys,
        "animate",
        "--csv",
        str(csv),
        "--x",
        "celsius",
        "--y",
        "fahrenheit",
        "--steps",
        "3000",
        "--frames",
        "5",
        "--out",
        str(tmp_path / "t.png"),
        "--save-run",
        str(tmp_path / "t.npz"),
    )
    assert code == 0, err
    run = gdviz.load(tmp_path / "t.npz")
    assert run.params[-1] == pytest.approx([1.8, 32.0], rel=1e-3)
    assert run.meta["x_label"] == "celsius" and run.meta["source"] == "temps"


def test_divergence_is_reported_and_still_rendered(tmp_path, capsys):
    out_path = tmp_path / "d.gif"
    code, _out, err = call(
        capsys, "animate", "--dataset", "synthetic", "--lr", "50", "--out", str(out_path)
    )
    assert code == 0
    assert "diverged at step" in err
    k = int(err.split("diverged at step ")[1].split(";")[0])
    with Image.open(out_path) as gif:
        assert gif.n_frames == k  # snapshots 0 .. k-1


def test_race_makes_one_run_per_combination(tmp_path, capsys):
    code, _out, err = call(
        capsys,
        "animate",
        "--dataset",
        "synthetic",
        "--optimizer",
        "gd,adam",
        "--lr",
        "0.05,0.1",
        "--steps",
        "5",
        "--out",
        str(tmp_path / "r.png"),
        "--save-run",
        str(tmp_path / "race.npz"),
    )
    assert code == 0, err
    saved = sorted(p.name for p in tmp_path.glob("race-*.npz"))
    assert saved == [
        "race-adam-lr-0.05.npz",
        "race-adam-lr-0.1.npz",
        "race-gd-lr-0.05.npz",
        "race-gd-lr-0.1.npz",
    ]


def test_datasets_lists_presets_and_functions(capsys):
    code, out, _err = call(capsys, "datasets")
    assert code == 0
    for name in ("synthetic", "thermometer", "single-point", "rosenbrock", "fastai", "ch. 5"):
        assert name in out


USAGE = [
    (["animate", "--dataset", "nope"], "'nope'"),
    (["animate", "--model", "cubic"], "'cubic'"),
    (["animate", "--loss", "huber"], "'huber'"),
    (["animate", "--optimizer", "sgd,lbfgs"], "'lbfgs'"),
    (["animate", "--lr", "0"], "'0'"),
    (["animate", "--lr", "-0.1"], "'-0.1'"),
    (["animate", "--lr", "fast"], "'fast'"),
    (["animate", "--steps", "0"], "0"),
    (["animate", "--frames", "1"], "1"),
    (["animate", "--csv", "missing.csv", "--x", "a", "--y", "b"], "missing.csv"),
    (["animate", "--run", "missing.npz"], "missing.npz"),
    (["animate", "--out", "movie.avi"], "movie.avi"),
    (["animate", "--size", "10x10"], "10x10"),
    (["animate", "--dataset", "synthetic", "--function", "beale"], "--function"),
    (["animate", "--function", "beale", "--view", "fit"], "fit"),
    (["animate", "--function", "x^2 + y", "--init", "1,1"], "'^' at position 2"),
    (["animate", "--function", "x + foo", "--init", "1"], "unknown name 'foo'"),
    (["animate", "--function", "x + 1/0", "--init", "1"], "divides by zero"),
    (["animate", "--function", "3 + 4"], "neither x nor y"),
    (["animate", "--function", "x**2 + 10*y**2"], "--init"),
    (["animate", "--function", "x**2 + y", "--init", "1,1", "--model", "line"], "--model"),
    (["animate", "--function", "x**2 + y", "--init", "1,1", "--box", "1,2,3"], "--box"),
    (["animate", "--function", "x**2 + y", "--init", "1,1", "--box", "1,0,0,1"], "minimum"),
    (["animate", "--dataset", "moons", "--plane", "flat"], "'flat'"),
    (["animate", "--dataset", "moons", "--hidden", "16,0"], "'0'"),
    (["animate", "--dataset", "synthetic", "--hidden", "4"], "--hidden"),
]


@pytest.mark.parametrize(("args", "named"), USAGE, ids=[" ".join(a[1:]) for a, _ in USAGE])
def test_usage_errors_exit_2_with_one_line_naming_the_value(
    tmp_path, capsys, monkeypatch, args, named, listing
):
    monkeypatch.chdir(tmp_path)
    code, _out, err = call(capsys, *args)
    assert code == 2
    message = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(message) == 1 and named in message[0]
    assert "Traceback" not in err
    assert listing(tmp_path) == []


@pytest.mark.slow
def test_a_formula_of_ones_own_races_like_rosenbrock(tmp_path):
    code, out, err = gdviz_cli(
        "animate",
        "--function",
        "x**2 + 10*y**2",
        "--init",
        "3,1",
        "--optimizer",
        "gd,momentum,adam",
        "--frames",
        "8",
        "--save-run",
        "race.npz",
        cwd=tmp_path,
    )
    assert code == 0, err
    assert out.splitlines()[-1] == "formula-contour.gif"
    with Image.open(tmp_path / "formula-contour.gif") as gif:
        assert gif.n_frames == 8
    runs = [gdviz.load(p) for p in sorted(tmp_path.glob("race-*.npz"))]
    assert sorted(r.label for r in runs) == ["adam, lr 0.1", "gd, lr 0.05", "momentum, lr 0.005"]
    assert all(r.meta["expression"] == "x**2 + 10*y**2" for r in runs)


def test_formula_not_finite_at_the_start_exits_1_naming_where(
    tmp_path, capsys, monkeypatch, listing
):
    monkeypatch.chdir(tmp_path)
    code, _out, err = call(capsys, "animate", "--function", "log(x) + y**2", "--init", "-1,0")
    assert code == 1
    assert (
        err.strip() == "gdviz: error: the function is not finite at the start (x = -1, y = 0): nan"
    )
    assert listing(tmp_path) == []


def test_box_and_plane_reach_the_run(tmp_path, capsys):
    code, _out, err = call(
        capsys,
        "animate",
        "--function",
        "x**2 + y**2",
        "--init",
        "1,1",
        "--box",
        "-2,2,-3,3",
        "--steps",
        "5",
        "--out",
        str(tmp_path / "b.png"),
        "--save-run",
        str(tmp_path / "b.npz"),
    )
    assert code == 0, err
    assert gdviz.load(tmp_path / "b.npz").meta["box"] == [[-2, 2], [-3, 3]]
    code, _out, err = call(
        capsys,
        "animate",
        "--dataset",
        "moons",
        "--plane",
        "random",
        "--hidden",
        "8",
        "--steps",
        "20",
        "--view",
        "dashboard",
        "--out",
        str(tmp_path / "m.png"),
        "--save-run",
        str(tmp_path / "m.npz"),
    )
    assert code == 0, err
    run = gdviz.load(tmp_path / "m.npz")
    assert run.meta["plane"] == "random" and run.params.shape[1] == 2 * 8 + 8 + 8 * 2 + 2
    with Image.open(tmp_path / "m.png") as im:
        assert im.size == (1280, 440)


def test_two_csv_columns_and_class_labels_draw_decision_regions(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    lines = ["height,weight,kind"] + [f"{a:.3f},{b:.3f},{int(a + b > 0)}" for a, b in x]
    csv = _csv(tmp_path, "\n".join(lines) + "\n")
    code, _out, err = call(
        capsys,
        "animate",
        "--csv",
        str(csv),
        "--x",
        "height,weight",
        "--y",
        "kind",
        "--model",
        "mlp",
        "--loss",
        "cross_entropy",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--steps",
        "30",
        "--out",
        str(tmp_path / "k.png"),
        "--save-run",
        str(tmp_path / "k.npz"),
    )
    assert code == 0, err
    run = gdviz.load(tmp_path / "k.npz")
    assert run.x.shape == (60, 2) and run.meta["columns"] == ["height", "weight"]
    assert run.extras["region"].shape[1:] == (64, 64, 1)
    assert run.loss[-1] < run.loss[0]


def _csv(tmp_path, text: str):
    path = tmp_path / "d.csv"
    path.write_text(text)
    return path


RUNTIME = [
    ("a,b\n1,2\n3,x\n", "line 3, column 'b' holds 'x'"),
    ("a;b\n1;2\n3;4\n5;x\n", "line 4, column 'b' holds 'x'"),
    ("a,b\n1,\n3,\n", "every data row has an empty cell"),
    ("a,b\n", "no data rows"),
]


@pytest.mark.parametrize(
    ("text", "named"), RUNTIME, ids=["text", "text after semicolons", "all gaps", "no rows"]
)
def test_bad_csv_exits_1_with_one_line(tmp_path, capsys, monkeypatch, text, named, listing):
    monkeypatch.chdir(tmp_path)
    csv = _csv(tmp_path, text)
    code, _out, err = call(capsys, "animate", "--csv", str(csv), "--x", "a", "--y", "b")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and named in err
    assert listing(tmp_path) == ["d.csv"]


@pytest.mark.parametrize(
    "text",
    [
        "hours,score\n1,52\n2,\n3,61\n4,NA\n5,70\n",
        "hours;score\n1;52\n2;\n3;61\n4;NA\n5;70\n",
        "hours\tscore\n1\t52\n2\t\n3\t61\n4\tNA\n5\t70\n",
        "hours;score\n1,0;52,0\n2;\n3;61\n4;NA\n5;70\n",
    ],
    ids=["comma", "semicolon", "tab", "decimal comma"],
)
def test_csv_as_people_have_it(tmp_path, capsys, text):
    csv = _csv(tmp_path, text)
    code, _out, err = call(
        capsys,
        "animate",
        "--csv",
        str(csv),
        "--x",
        "hours",
        "--y",
        "score",
        "--steps",
        "3",
        "--out",
        str(tmp_path / "s.png"),
        "--save-run",
        str(tmp_path / "s.npz"),
    )
    assert code == 0, err
    assert "gdviz: d.csv: dropped 2 of 5 rows with an empty cell (lines 3, 5)" in err
    run = gdviz.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(run.x, [1, 3, 5])
    np.testing.assert_array_equal(run.y, [52, 61, 70])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--dataset", "synthetic", "--init", "1,2,3"], "3 values for 2 parameters (m, b)"),
        (["--function", "x**2 + y", "--init", "1"], "1 values for 2 parameters (x, y)"),
        (["--function", "beale", "--init", "1,2,3"], "3 values for 2 parameters"),
        (["--dataset", "single-point", "--model", "quadratic", "--init", "1"], "(a, b, c)"),
        (["--csv", "d.csv", "--x", "hours", "--y", "scor"], "no column 'scor'"),
        (["--csv", "d.csv", "--x", "hour", "--y", "score"], "it has: hours, score"),
        (["--csv", "empty.csv", "--x", "a", "--y", "b"], "no column 'a'"),
        (["--dataset", "synthetic", "--loss", "cross_entropy"], "--model mlp"),
    ],
)
def test_usage_errors_found_before_torch_loads(tmp_path, args, named):
    (tmp_path / "d.csv").write_text("hours,score\n1,2\n")
    (tmp_path / "empty.csv").write_text("")
    probe = (
        "import sys\n"
        "from gdviz.cli.commands import main\n"
        f"code = main({['animate', *args]!r})\n"
        "print(code, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.stdout.split() == ["2", "False"], out.stderr
    assert named in out.stderr and "Traceback" not in out.stderr


def test_a_bad_run_file_exits_1(tmp_path, capsys, monkeypatch, listing):
    monkeypatch.chdir(tmp_path)
    fake = tmp_path / "fake.npz"
    fake.write_bytes(b"not a zip file")
    code, _out, err = call(capsys, "animate", "--run", str(fake))
    assert code == 1 and "fake.npz" in err and len(err.strip().splitlines()) == 1
    assert listing(tmp_path) == ["fake.npz"]


def test_missing_output_folder_fails_before_training(tmp_path, capsys, listing):
    code, _out, err = call(capsys, "animate", "--out", str(tmp_path / "no" / "such" / "x.gif"))
    assert code == 1 and "does not exist" in err
    assert listing(tmp_path) == []


def test_unwritable_output_folder(tmp_path, capsys):
    # Root writes anywhere but where the file system refuses everyone: /proc. Others get a
    # folder of their own without write permission. Nothing is mocked.
    if os.geteuid() == 0:
        locked = Path("/proc")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
    code, out, err = call(capsys, "animate", "--out", str(locked / "x.gif"))
    assert code == 1 and "not writable" in err and str(locked) in err
    assert not (locked / "x.gif").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.slow
def test_a_signal_mid_export_leaves_nothing_and_exits_130(tmp_path, sig):
    target = tmp_path / "long.mp4"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gdviz.cli.commands",
            "animate",
            "--dataset",
            "thermometer",
            "--frames",
            "2000",
            "--out",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.iterdir()):  # the temporary file: rendering has begun
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.05)
        time.sleep(0.3)
        child.send_signal(sig)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130
    assert err.strip() == "gdviz: interrupted; nothing was written"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--fps", "nan"], "'nan' is not a finite number"),
        (["--dpi", "nan"], "'nan' is not a finite number"),
        (["--size", "9" * 5000 + "x100"], "is not a size like 640x480"),
        (["--steps", "9" * 5000], "is not a whole number"),
        (["--frames", "2x"], "'2x' is not a whole number"),
        (["--dataset", "moons", "--hidden", "²"], "'²' is not a layer width"),
        (["--style", "slide", "--size", "100x8000"], "8000 pixels high would need 1667"),
    ],
)
def test_usage_errors_are_usage_errors_in_one_short_line(tmp_path, capsys, args, said):
    code, out, err = call(capsys, "animate", *args, "--out", str(tmp_path / "a.gif"))
    assert code == 2 and said in err
    assert max(len(line) for line in err.splitlines()) < 200
    assert list(tmp_path.iterdir()) == []


def test_a_constant_formula_draws_one_flat_colour(tmp_path, capsys):
    code, out, err = call(
        capsys, "animate", "--function", "0*x*y + 3", "--init", "1,1", "--steps", "3",
        "--view", "dashboard", "--out", str(tmp_path / "flat.png"),
    )  # fmt: skip
    assert code == 0, err
    with Image.open(tmp_path / "flat.png") as picture:
        assert picture.size == (1280, 440)


def test_a_race_whose_second_run_file_hits_a_full_disk_keeps_none(
    tmp_path, capsys, monkeypatch, listing
):
    import errno

    from gdviz.run.record import Run

    real, calls = Run.save, []

    def save(self, path):
        calls.append(path)
        if len(calls) == 2:  # as a full disk does: a partial file, then the error
            raise gdviz.GdvizError(f"cannot write {path}: {os.strerror(errno.ENOSPC)}")
        return real(self, path)

    monkeypatch.setattr(Run, "save", save)
    code, out, err = call(
        capsys, "animate", "--dataset", "synthetic", "--lr", "0.1,0.2", "--steps", "5",
        "--out", str(tmp_path / "race.gif"), "--save-run", str(tmp_path / "race.npz"),
    )  # fmt: skip
    assert code == 1 and len(calls) == 2
    assert "No space left on device; the 1 run file(s) written before it were removed" in err
    assert "saved run" not in out  # nothing claims a file that is not there
    assert listing(tmp_path) == []
