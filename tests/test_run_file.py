"""Run files: `Run.save` and `gdviz.load` round trips, plain-numpy readability, errors."""

from __future__ import annotations

import json
import os
import re
import stat
import warnings
import zipfile

import numpy as np
import pytest
import torch

import gdviz
from gdviz import GdvizError, Run


def assert_same_run(a: Run, b: Run) -> None:
    """Field by field, with numpy (not Run.__eq__, which is under test too)."""
    for name in ("params", "grads", "loss", "x", "y"):
        left, right = getattr(a, name), getattr(b, name)
        if left is None or right is None:
            assert left is None and right is None, name
        else:
            assert left.dtype == right.dtype, name
            np.testing.assert_array_equal(left, right, err_msg=name)
    assert a.param_names == b.param_names
    assert a.diverged_at == b.diverged_at
    assert a.meta == b.meta
    assert sorted(a.extras) == sorted(b.extras)
    for key in a.extras:
        np.testing.assert_array_equal(a.extras[key], b.extras[key], err_msg=key)


def diverged_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return gdviz.train("single-point", lr=1.0, steps=100)


def recorded_run():
    w = torch.tensor([1.0, -1.0], requires_grad=True)
    rec = gdviz.Recorder({"w": w})
    for _ in range(4):
        loss = (w**2).sum()
        loss.backward()
        rec.record(loss)
        with torch.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    return rec.to_run()


RUNS = {
    "preset": lambda: gdviz.train("synthetic", steps=20),
    "options": lambda: gdviz.train("thermometer", optimizer="adam", betas=(0.8, 0.9), steps=5),
    "module": lambda: gdviz.train(
        "synthetic",
        model=torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Linear(2, 1)),
        steps=5,
    ),
    "function": lambda: gdviz.train("rosenbrock", steps=10),
    "diverged": diverged_run,
    "recorded": recorded_run,
}


@pytest.mark.parametrize("kind", RUNS)
def test_save_then_load_gives_an_equal_run(tmp_path, kind):
    run = RUNS[kind]()
    path = tmp_path / "run.npz"
    run.save(path)
    loaded = gdviz.load(path)
    assert_same_run(loaded, run)
    assert loaded == run
    assert os.listdir(tmp_path) == ["run.npz"]  # no temporary file left behind


def test_load_takes_a_str_path(tmp_path):
    run = gdviz.train("single-point", steps=3)
    run.save(str(tmp_path / "a.npz"))
    assert_same_run(gdviz.load(str(tmp_path / "a.npz")), run)


def test_equality_sees_a_changed_array_or_meta(tmp_path):
    # Guards the round-trip test's `loaded == run`.
    run = gdviz.train("single-point", steps=3)
    run.save(tmp_path / "a.npz")
    loaded = gdviz.load(tmp_path / "a.npz")
    loaded.loss[2] += 1e-12
    assert loaded != run
    loaded = gdviz.load(tmp_path / "a.npz")
    loaded.meta["lr"] = 0.2
    assert loaded != run


def test_file_is_plain_numpy_without_pickle(tmp_path):
    run = gdviz.train("synthetic", steps=10)
    run.save(tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz", allow_pickle=False) as npz:
        assert {"params", "grads", "loss", "x", "y"} <= set(npz.files)
        np.testing.assert_array_equal(npz["params"], run.params)
        np.testing.assert_array_equal(npz["grads"], run.grads)
        np.testing.assert_array_equal(npz["loss"], run.loss)
        np.testing.assert_array_equal(npz["x"], run.x)
        np.testing.assert_array_equal(npz["y"], run.y)
        texts = [str(npz[k]) for k in npz.files if npz[k].dtype.kind == "U"]
    # The metadata is JSON text, and holds what re-rendering needs.
    assert texts
    header = json.loads(texts[0])
    flat = json.dumps(header)
    for needed in ('"line"', '"mse"', '"gd"', "0.1", '"synthetic"'):
        assert needed in flat
    # The file names its format as every gdviz has: files saved by any version load in any.
    assert header["format"] == "gdviz.run" and header["version"] == 1


def test_function_run_has_no_data_arrays(tmp_path):
    gdviz.train("rosenbrock", steps=3).save(tmp_path / "f.npz")
    with np.load(tmp_path / "f.npz", allow_pickle=False) as npz:
        assert "x" not in npz.files and "y" not in npz.files


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_saved_file_permissions_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = gdviz.train("single-point", steps=2).save(tmp_path / "run.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "run.npz").st_mode) == 0o666 & ~mask
    assert os.fspath(path) == os.fspath(tmp_path / "run.npz")


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "run.npz"
    gdviz.train("single-point", steps=2).save(path)
    second = gdviz.train("single-point", steps=5)
    second.save(path)
    assert_same_run(gdviz.load(path), second)
    assert os.listdir(tmp_path) == ["run.npz"]


def test_interrupted_save_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    first = gdviz.train("single-point", steps=2)
    first.save(path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gdviz.train("single-point", steps=5).save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["run.npz"]
    assert_same_run(gdviz.load(path), first)


def test_save_into_a_missing_folder(tmp_path):
    run = gdviz.train("single-point", steps=2)
    with pytest.raises(GdvizError, match="nope"):
        run.save(tmp_path / "nope" / "run.npz")


# -- loading what is not a run ----------------------------------------------------------------


def bad_files(folder):
    text = folder / "notes.npz"
    text.write_text("these are not the arrays you are looking for\n")
    headless = folder / "headless.npz"
    np.savez(headless, params=np.zeros((2, 1)), grads=np.zeros((2, 1)), loss=np.zeros(2))
    foreign = folder / "foreign.npz"
    np.savez(foreign, header=np.array(json.dumps({"format": "something.else"})), loss=np.zeros(2))
    armless = folder / "armless.npz"
    header = {"format": "gdviz.run", "version": 1, "param_names": ["m"], "meta": {}}
    np.savez(armless, header=np.array(json.dumps(header)), loss=np.zeros(2))
    garbled = folder / "garbled.npz"
    np.savez(garbled, header=np.array("{not json"), params=np.zeros((2, 1)))
    empty = folder / "empty.npz"
    empty.write_bytes(b"")
    return {
        "missing": folder / "missing.npz",
        "text": text,
        "no header": headless,
        "foreign header": foreign,
        "no params": armless,
        "bad json": garbled,
        "empty": empty,
        "folder": folder,
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "text", "no header", "foreign header", "no params", "bad json", "empty", "folder"],
)
def test_loading_what_is_not_a_run_is_one_line_naming_the_file(tmp_path, case):
    path = bad_files(tmp_path)[case]
    with pytest.raises(GdvizError) as info:
        gdviz.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def test_metadata_of_the_wrong_type_is_refused_in_one_line_naming_the_key(tmp_path):
    # The views read run.meta through typed views (run.problem, run.training): a value of the
    # wrong type, in a file from someone else or a run made by hand, would crash them later.
    run = gdviz.train("synthetic", steps=3)
    for key, value, said in [
        ("lr", "fast", "has lr 'fast', not a positive number"),
        ("box", [1, 2], "has box '[1, 2]', not (lo, hi) pairs of numbers"),
        ("model", ["line"], "has a model that is not a string"),
    ]:
        with pytest.raises(GdvizError, match=re.escape(f"a run's meta {said}")):
            gdviz.Run(run.params, run.grads, run.loss, run.param_names, meta={key: value})
        header = {
            "format": "gdviz.run",
            "version": 1,
            "param_names": list(run.param_names),
            "meta": {**run.meta, key: value},
        }
        path = tmp_path / f"{key}.npz"
        np.savez(path, header=np.array(json.dumps(header)), params=run.params, grads=run.grads,
                 loss=run.loss)  # fmt: skip
        with pytest.raises(GdvizError, match=re.escape(said)):
            gdviz.load(path)


def test_a_run_of_many_parameters_keeps_its_names_in_an_entry_of_their_own(tmp_path):
    # A network's million names made a header of tens of megabytes, past what load reads: the
    # run saved, and could not be loaded again.
    from gdviz.run.record import NAMES_IN_HEADER

    width = NAMES_IN_HEADER + 5
    params = np.arange(3 * width, dtype=float).reshape(3, width)
    names = tuple(f"layer.weight[{i}]" for i in range(width))
    run = Run(params, -params, [3.0, 2.0, 1.0], names, meta={"label": "big"})
    path = run.save(tmp_path / "many.npz")
    with np.load(path) as raw:
        header = json.loads(str(raw["header"]))
        assert header["version"] == 2 and header["param_names"] is None
        assert list(raw["param_names"][:2]) == list(names[:2])
    assert gdviz.load(path) == run
    small = Run(params[:, :4], params[:, :4], [3.0, 2.0, 1.0], names[:4])
    with np.load(small.save(tmp_path / "small.npz")) as raw:  # as before: version 1
        assert json.loads(str(raw["header"]))["version"] == 1 and "param_names" not in raw


def test_big_arrays_are_written_plain_and_as_float32_where_that_holds_them(tmp_path, monkeypatch):
    from gdviz.run import record

    monkeypatch.setattr(record, "NARROW_FROM", 10)  # "big", for the test's small arrays
    monkeypatch.setattr(record, "PLAIN_FROM", 100)
    rng = np.random.default_rng(0)
    single = rng.normal(size=(6, 5)).astype(np.float32).astype(np.float64)  # float32's values
    double = rng.normal(size=(6, 5))  # float64's own: narrowing would change them
    run = Run(single, double, np.linspace(1, 0, 6), tuple("abcde"),
              state={"exp_avg": single * 2})  # fmt: skip
    path = run.save(tmp_path / "big.npz")
    with zipfile.ZipFile(path) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    with np.load(path) as raw:
        assert raw["params"].dtype == np.float32 and raw["state.exp_avg"].dtype == np.float32
        assert raw["grads"].dtype == np.float64
    back = gdviz.load(path)
    assert back == run and back.params.dtype == back.state["exp_avg"].dtype == np.float64


def test_a_loaded_runs_extras_and_state_list_each_entry_once(tmp_path):
    run = gdviz.train("rosenbrock", optimizer="adam", steps=5)
    run.extras["curve"] = np.ones((2, 3))
    back = gdviz.load(run.save(tmp_path / "r.npz"))
    _ = back.extras["curve"], back.state["exp_avg"]  # read: kept as read, and still listed
    assert sorted(back.extras) == ["curve"] and len(back.extras) == 1
    assert sorted(back.state) == sorted(run.state) and len(back.state) == len(run.state)


def test_a_run_trained_without_a_seed_says_so():
    run = gdviz.train("synthetic", steps=3)
    assert "seed" in run.meta and run.meta["seed"] is None  # no seed given, said as null
    assert gdviz.train("synthetic", steps=3, seed=7).meta["seed"] == 7
