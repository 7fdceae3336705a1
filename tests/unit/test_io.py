"""Reading a loss table: any column order, errors naming the line, a missing file."""

from __future__ import annotations

import numpy as np
import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.fitting import (
    read_loss_csv,
)


def test_read_loss_csv_any_column_order(tmp_path):
    path = tmp_path / "losses.csv"
    path.write_text(
        "seed,loss,extra,size\n0,0.5,x,100\n1,0.6,y,100\n0,0.1,z,1000\n\n0,0.02,w,1e4\n"
    )
    sizes, losses, seeds = read_loss_csv(path)
    np.testing.assert_array_equal(sizes, [100, 100, 1000, 10000])
    np.testing.assert_array_equal(losses, [0.5, 0.6, 0.1, 0.02])
    np.testing.assert_array_equal(seeds, [0, 1, 0, 0])
    path.write_text("size,loss\n1,1\n2,0.5\n4,0.25\n")
    assert read_loss_csv(path)[2] is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("size,loss\n1,1\n2,nan\n4,0.25\n", "line 3"),
        ("size,loss\n1,1\n2,-0.5\n4,0.25\n", "loss must be positive"),
        ("size,loss\n0,1\n2,0.5\n4,0.25\n", "size must be positive"),
        ("size,los\n1,1\n2,0.5\n4,0.25\n", "missing column 'loss'"),
        ("size,loss\n1,1\n2,abc\n4,0.25\n", "line 3"),
        ("size,loss\n1,1\n2\n4,0.25\n", "malformed row"),
        ("size,loss\n1,1\n2,0.5\n2,0.25\n", "3 distinct sizes"),
        ("size,loss,seed\n1,1,0\n1,0.9,0\n2,0.5,0\n4,0.25,0\n", "seed"),
    ],
)
def test_read_loss_csv_errors(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment) as err:
        read_loss_csv(path)
    assert err.value.parameter == "LOSSES.csv"
    assert "\n" not in str(err.value)


def test_read_loss_csv_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_loss_csv(tmp_path / "absent.csv")
