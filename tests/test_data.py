"""The presets' data against their tutorials' descriptions, and `gdviz.problems.data.read_csv`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gdviz import GdvizError
from gdviz.problems.data import PRESETS, read_csv

# -- presets ----------------------------------------------------------------------------------


def test_synthetic_is_the_fastai_recipe():
    # x ~ U(-1, 1), y = 3x + 2 + U(0, 1), n = 100.
    x, y = PRESETS["synthetic"].data()
    assert x.shape == y.shape == (100,)
    assert x.dtype == y.dtype == np.float64
    assert x.min() >= -1.0 and x.max() <= 1.0
    noise = y - (3.0 * x + 2.0)
    assert noise.min() >= -1e-12 and noise.max() <= 1.0 + 1e-12
    # Uniform: means 0 and 1/2 (sd 0.058 and 0.029 for n = 100), variances 1/3 and 1/12.
    assert abs(x.mean()) < 0.25 and abs(noise.mean() - 0.5) < 0.12
    assert x.var() == pytest.approx(1 / 3, rel=0.3)
    assert noise.var() == pytest.approx(1 / 12, rel=0.3)


def test_synthetic_seed_is_reproducible_and_changes_the_data():
    a, b, c = (PRESETS["synthetic"].data(s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(PRESETS["synthetic"].data()[0], PRESETS["synthetic"].data()[0])


def test_thermometer_is_the_books_data_scaled_in_float32():
    # The book: t_un = 0.1 * t_u with float32 tensors.
    t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
    t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    t_un = 0.1 * t_u
    x, y = PRESETS["thermometer"].data()
    np.testing.assert_array_equal(x, t_un.double().numpy())
    np.testing.assert_array_equal(y, t_c.double().numpy())


def test_single_point_is_x_2_y_3():
    x, y = PRESETS["single-point"].data()
    np.testing.assert_array_equal(x, [2.0])
    np.testing.assert_array_equal(y, [3.0])


# -- CSV --------------------------------------------------------------------------------------


def write(folder, text, name="data.csv", encoding="utf-8"):
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def test_reads_the_named_columns(tmp_path):
    path = write(
        tmp_path,
        "id, celsius ,fahrenheit,note\n1,0,32,freezing\n2, 100 ,212,boiling\n\n3,-40,-40.0,same\n",
    )
    x, y = read_csv(path, "celsius", "fahrenheit")
    assert x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(x, [0.0, 100.0, -40.0])
    np.testing.assert_array_equal(y, [32.0, 212.0, -40.0])
    # Either column may come first, and any two may be chosen.
    x, y = read_csv(str(path), "fahrenheit", "id")
    np.testing.assert_array_equal(x, [32.0, 212.0, -40.0])
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0])


def test_reads_a_file_with_a_byte_order_mark(tmp_path):
    # Spreadsheet programs write one; it must not stick to the first column's name.
    path = write(tmp_path, "a,b\n1,2e3\n", encoding="utf-8-sig")
    x, y = read_csv(path, "a", "b")
    np.testing.assert_array_equal(x, [1.0])
    np.testing.assert_array_equal(y, [2000.0])


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("a,b\n1,2\n3,warm\n", ["line 3", "'b'", "warm"]),
        ("a,b\n1,2\n\n4,5\nsix,7\n", ["line 5", "'a'", "six"]),
        ("a,b\n1, \n", ["every data row has an empty cell in a, b"]),
        ("a,b\n1,nan\n3,NA\n", ["every data row has an empty cell"]),
        ("a;b\n1;2\n3;4x\n", ["line 3", "'b'", "4x"]),
        ("a,b\n1,inf\n", ["line 2", "'b'", "inf"]),
        ("a,c\n1,2\n", ["'b'", "a, c"]),  # no such column: says which there are
        ("a,b\n", ["no data rows"]),
        ("", ["empty"]),
        ("\n\n", ["empty"]),
    ],
)
def test_bad_csv_is_one_line_naming_file_line_and_column(tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(GdvizError) as info:
        read_csv(path, "a", "b")
    message = str(info.value)
    assert str(path) in message
    for part in named:
        assert part in message
    assert "\n" not in message


def test_missing_csv_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(GdvizError) as info:
        read_csv(path, "a", "b")
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_csv_that_is_not_text(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(bytes(range(128, 256)))
    with pytest.raises(GdvizError) as info:
        read_csv(path, "a", "b")
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,\n5,6\n7\n8,NaN\n9,10\n",  # empty, short, NaN
        "a;b\n1;2\n3;\n5;6\n7\n8;NaN\n9;10\n",
        "a\tb\n1\t2\n3\t\n5\t6\n7\n8\tNaN\n9\t10\n",
    ],
    ids=["comma", "semicolon", "tab"],
)
def test_rows_with_empty_cells_are_dropped_and_counted(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.warns(
        UserWarning, match=r"dropped 3 of 6 rows with an empty cell \(lines 3, 5, 6\)"
    ):
        x, y = read_csv(path, "a", "b")
    np.testing.assert_array_equal(x, [1, 5, 9])
    np.testing.assert_array_equal(y, [2, 6, 10])


def test_semicolons_with_decimal_commas_and_a_header_of_other_columns(tmp_path):
    path = write(tmp_path, "name;height;weight\nann;1,62;55,5\nbob;1,80;80\n")
    x, y = read_csv(path, "height", "weight")
    np.testing.assert_array_equal(x, [1.62, 1.80])
    np.testing.assert_array_equal(y, [55.5, 80.0])


def test_a_column_cannot_be_both_input_and_target(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    for x, y in (("a", "a"), (["a", "b"], "b"), (["a", "a"], "b")):
        with pytest.raises(GdvizError, match="CSV columns must differ"):
            read_csv(path, x, y)
