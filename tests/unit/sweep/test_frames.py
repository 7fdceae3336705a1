"""Using the package from Python: sweeps and summaries as DataFrames, progress that shows in a
notebook and stays quiet in logs, and the snippets of ``docs/from_python.md`` as written."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from pathlib import Path

import pytest

from manifold_scaling.sweep import SweepOptions, run_sweep, summary_to_dataframe, to_dataframe

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "notebooks" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sweep_toy import ToySweep, toy_configs, toy_trial  # noqa: E402

pd = pytest.importorskip("pandas")


# --- to_dataframe ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy")
    configs = toy_configs(ToySweep(seeds=(0, 1), sizes=(4, 8)))
    run_sweep(toy_trial, configs, out, options=SweepOptions(progress=False), study="toy")
    return out, configs


def test_to_dataframe_has_one_row_per_trial_with_flat_columns(toy_sweep):
    out, configs = toy_sweep
    df = to_dataframe(out)
    assert len(df) == len(configs)
    assert list(df["config.seed"]) == [c.seed for c in configs]  # the sweep's config order
    assert list(df["config.size"]) == [c.size for c in configs]
    for column in ("config_hash", "metrics.final", "metrics.converged", "study", "run.backend"):
        assert column in df.columns, column
    assert df.columns[-1] == "wall_time_s"
    assert set(df["study"]) == {"toy"} and set(df["run.backend"]) == {"local"}
    assert df["metrics.final"].dtype.kind == "f" and df["metrics.steps"].dtype.kind == "i"
    # The same columns, in the same order, as the sweep's trials.csv (plus study and run.*).
    csv = pd.read_csv(out / "trials.csv")
    assert [c for c in df.columns if c != "study" and not c.startswith("run.")] == list(csv.columns)


def test_to_dataframe_leaves_out_a_corrupt_record(toy_sweep, tmp_path, caplog):
    import shutil

    out, configs = toy_sweep
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    record = next((copy / "trials").glob("*/record.json"))
    record.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        df = to_dataframe(copy)
    assert len(df) == len(configs) - 1
    assert "no complete record" in caplog.text


def test_to_dataframe_reads_the_tables_a_results_folder_kept():
    # notebooks/data keeps summary.json and trials.csv only (no per-trial records).
    df = to_dataframe(DATA / "data-scaling-small")
    assert len(df) > 0
    assert {"config.manifold.intrinsic_dim", "config.n_train", "metrics.test_loss"} <= set(df)


def test_to_dataframe_refuses_a_folder_without_a_sweep(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no sweep"):
        to_dataframe(tmp_path)


# --- summary_to_dataframe -------------------------------------------------------------------------


def test_summary_to_dataframe_one_row_per_result():
    summary = json.loads((DATA / "reproduce" / "summary.json").read_text())
    df = summary_to_dataframe(DATA / "reproduce")  # a folder; a path or a dict work the same
    assert len(df) == len(summary["results"])
    i = next(k for k, r in enumerate(summary["results"]) if r["alpha"] is not None)
    first = summary["results"][i]
    row = df.iloc[i]
    assert row["d"] == first["d"] and row["alpha"] == pytest.approx(first["alpha"])
    assert math.isnan(df.iloc[0]["alpha"]) == (summary["results"][0]["alpha"] is None)
    assert (row["alpha_ci_lo"], row["alpha_ci_hi"]) == pytest.approx(tuple(first["alpha_ci"]))
    assert (row["fit_window_lo"], row["fit_window_hi"]) == tuple(first["fit_window"])
    assert row["predicted_alpha"] == pytest.approx(first["predicted_alpha"])
    assert row["reading"] == first["reading"]
    assert row["teacher.linear_r2"] == pytest.approx(first["teacher"]["linear_r2"])
    assert row["alpha_spread"] == pytest.approx(first["alpha_spread"])
    assert row["agreement"] == first["agreement"] and "variant" not in df.columns
    assert list(df.columns[:4]) == ["study", "learner", "d", "alpha"]
    pd.testing.assert_frame_equal(df, summary_to_dataframe(summary))


def test_summary_to_dataframe_variants_old_and_new_shapes():
    old = json.loads((DATA / "ambient-invariance" / "summary.json").read_text())
    df_old = summary_to_dataframe(old)
    labels = [v["label"] for v in old["variants"]]
    assert list(df_old["variant"]) == labels
    assert list(df_old["settings.embedding"]) == [
        v["settings"]["embedding"] for v in old["variants"]
    ]
    # A summary written now: results carry their variant, settings and the replicate fields.
    new = {
        "study": "ambient-invariance",
        "results": [
            dict(
                v["result"],
                variant=v["label"],
                settings=v["settings"],
                alpha_spread=0.1,
                alpha_replicates=[1.2, 1.3, 1.4],
                interval="replicate-t",
            )
            for v in old["variants"]
        ],
        "variants": old["variants"],
    }
    df_new = summary_to_dataframe(new)
    assert list(df_new["variant"]) == labels
    assert set(df_new["n_replicates"]) == {3} and set(df_new["interval"]) == {"replicate-t"}
    assert list(df_new["alpha"]) == pytest.approx(list(df_old["alpha"]))


def test_summary_to_dataframe_missing_values_and_no_results():
    summary = {
        "study": "x",
        "results": [{"d": 3, "alpha": None, "alpha_ci": None, "fit_window": None, "reading": "no"}],
    }
    row = summary_to_dataframe(summary).iloc[0]
    assert math.isnan(row["alpha"]) and math.isnan(row["alpha_ci_lo"])
    assert math.isnan(row["fit_window_hi"]) and row["reading"] == "no"
    empty = summary_to_dataframe(DATA / "compute-frontier")  # one joint fit, no per-d results
    assert len(empty) == 0 and "alpha" in empty.columns


def test_the_readers_name_the_extra_when_pandas_is_missing(monkeypatch, toy_sweep):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=re.escape("pip install 'manifold_scaling[dataframes]'")):
        to_dataframe(toy_sweep[0])
    with pytest.raises(ImportError, match=r"manifold_scaling\[dataframes\]"):
        summary_to_dataframe({"results": []})


# --- progress -------------------------------------------------------------------------------------


# --- docs/from_python.md --------------------------------------------------------------------------
