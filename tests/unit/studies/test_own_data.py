"""``data-scaling --data X --targets y``: the data-scaling test on the user's own arrays.

(X, y) are saved from a known manifold (d = 2 in 6 ambient dimensions) and teacher, so the
measured d_hat and the prediction 4/d_hat can be checked (Sharma & Kaplan 2020, Sec. 4; Bahri et
al. 2021, Sec. 3: for real data, alpha_D >= 4/d_hat).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _configs import OWN_DATA_TINY as TINY

from manifold_scaling.cli import main


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_csv_and_npz_inputs(own_arrays, tmp_path):
    from manifold_scaling.studies.own_data import arrays_sha256, load_arrays

    root, x, y = own_arrays
    np.savez(tmp_path / "xy.npz", X=x, y=y)
    header = ",".join([f"f{i}" for i in range(x.shape[1])] + ["target"])
    np.savetxt(tmp_path / "xy.csv", np.column_stack([x, y]), delimiter=",", header=header,
               comments="")  # fmt: skip
    ref = load_arrays(root / "X.npy", root / "y.npy")
    from_npz = load_arrays(tmp_path / "xy.npz")
    from_csv = load_arrays(tmp_path / "xy.csv", "target")
    assert arrays_sha256(*from_npz) == arrays_sha256(*ref)
    np.testing.assert_allclose(from_csv[0], ref[0], rtol=1e-6)
    np.testing.assert_allclose(from_csv[1], ref[1], rtol=1e-6)
    # The CLI path: an .npz run end to end, and the CSV config built with a column as targets.
    out = tmp_path / "npz"
    assert main(["data-scaling", "--data", str(tmp_path / "xy.npz"), *TINY, "--learners",
                 "kernel", "--out", str(out)]) == 0  # fmt: skip
    assert json.loads((out / "summary.json").read_text())["results"][0]["learner"] == "kernel"
    from manifold_scaling.cli import config_from_argv

    cfg = config_from_argv("data-scaling", ["--data", str(tmp_path / "xy.csv"), "--targets",
                                            "target", "--task", "regression"])  # fmt: skip
    assert cfg.targets == "target" and cfg.task == "regression"


def test_help_shows_what_applies_with_data(capsys):
    from manifold_scaling.cli import config_from_argv

    assert main(["data-scaling", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 128 256 512 1024 2048); with --data: 64 128 256 512 1024" in text
    assert "(default: 2000); with --data: 1500" in text  # --min-steps
    assert "--task {auto,regression,classification}" in text and "with --data also auto" in text
    assert "--id-estimator {calibrated,twonn,mle,multiscale}" in text
    assert "--dims, --latent" in text and "are refused" in text
    argv = ["--data", "x.npy", "--targets", "y.npy"]
    cfg = config_from_argv("data-scaling", [*argv, "--task", "auto", "--id-estimator", "twonn"])
    assert cfg.task == "auto" and cfg.id_estimator == "twonn"
    assert config_from_argv("data-scaling", argv).id_estimator == "calibrated"
    err = _error(capsys, ["data-scaling", "--id-estimator", "mle"])
    assert err.endswith("--id-estimator: only with --data (generated data know their d)")
    err = _error(capsys, ["data-scaling", "--task", "auto"])
    assert "--task: " in err and "regression, classification" in err


def test_task_inference():
    from manifold_scaling.studies.own_data import infer_task

    assert infer_task(np.array([0, 1, 2, 1, 0])) == "classification"
    assert infer_task(np.array([0.5, 1.2, 2.0])) == "regression"
    assert infer_task(np.arange(100)) == "regression"  # too many distinct values


def test_bad_input_is_one_line(own_arrays, tmp_path, capsys):
    root, x, y = own_arrays
    base = ["data-scaling", *TINY, "--out", str(tmp_path / "bad")]
    np.save(tmp_path / "short.npy", y[:-5])
    err = _error(capsys, [*base, "--data", str(root / "X.npy"), "--targets",
                          str(tmp_path / "short.npy")])  # fmt: skip
    assert "--targets" in err and "rows" in err
    xn = x.copy()
    xn[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", xn)
    err = _error(capsys, [*base, "--data", str(tmp_path / "nan.npy"), "--targets",
                          str(root / "y.npy")])  # fmt: skip
    assert "--data" in err and "NaN" in err
    np.save(tmp_path / "flat.npy", x[:, 0])
    err = _error(capsys, [*base, "--data", str(tmp_path / "flat.npy"), "--targets",
                          str(root / "y.npy")])  # fmt: skip
    assert "2-D" in err
    np.savetxt(tmp_path / "a.csv", x, delimiter=",", header="a,b,c,d,e,f", comments="")
    err = _error(capsys, [*base, "--data", str(tmp_path / "a.csv"), "--targets", "target"])
    assert "--targets" in err and "no column 'target'" in err
    err = _error(capsys, [*base, "--data", str(root / "X.npy"), "--targets", str(root / "y.npy"),
                          "--dims", "2"])  # fmt: skip
    assert err.endswith("--dims: does not apply with --data (it describes generated data)")
    err = _error(capsys, [*base, "--targets", str(root / "y.npy")])
    assert "--data" in err
    assert not (tmp_path / "bad").exists()  # nothing written before the input is checked


# --- the same study from Python, on arrays in memory ----------------------------------------------


def test_run_own_data_bad_input(tmp_path):
    from manifold_scaling.errors import InputError
    from manifold_scaling.studies.own_data import run_own_data
    from manifold_scaling.sweep import SweepOptions

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 5)), rng.normal(size=100)
    out = tmp_path / "bad"
    cases = [
        ((x.reshape(100, 5, 1), y), {}, "X", "must be 2-D (n_points, n_features)"),
        ((x, y[:-1]), {}, "y", "X has 100 rows but y has 99"),
        ((x[:10], y[:10]), {}, "X", "need at least 32 points (got 10)"),
        ((x, y), {"sizes": (16, 32, 200)}, "sizes", "must be <= 75"),
        ((x, y), {"widht": 8}, "widht", "not a setting of the own-data study"),
        ((x, y), {"data": "x.npy"}, "data", "takes the arrays X and y"),
        ((x, None), {}, "y", "give the targets y"),
        (
            (x, y),
            {"sizes": (16, 32, 64), "options": SweepOptions(backend="dask")},
            "options",
            "local or devices backend",
        ),
    ]
    for args, kwargs, parameter, words in cases:
        with pytest.raises(InputError) as err:
            run_own_data(*args, out=out, **kwargs)
        assert err.value.parameter == parameter, err.value
        assert words in str(err.value) and "\n" not in str(err.value)
    assert not out.exists()  # nothing written before the input is checked
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(x, columns=list("abcde")).assign(label=["u"] * 100)
    with pytest.raises(InputError, match=r"^X: column 'label' is not numeric"):
        run_own_data(df, y, out=out)
    with pytest.raises(InputError, match=r"^y: X has no column 'target'"):
        run_own_data(df, "target", out=out)
    assert not out.exists()


def test_layer_dims_on_saved_activations(tmp_path, capsys):
    rng = np.random.default_rng(0)
    z = rng.uniform(size=(600, 2))
    w = rng.normal(size=(2, 16))
    np.savez(tmp_path / "acts.npz", input=z @ rng.normal(size=(2, 5)), hidden=np.tanh(z @ w))
    out = tmp_path / "layers"
    assert main(["layer-dims", "--activations", str(tmp_path / "acts.npz"), "--d", "2",
                 "--out", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "| input | 5 |" in text and "| hidden | 16 |" in text
    result = json.loads(out.with_suffix(".json").read_text())
    dims = {r["layer"]: r["dimension"] for r in result["layers"]}
    assert abs(dims["input"] - 2) < 0.5
    np.savez(tmp_path / "bad.npz", a=z, b=z[:10])
    err = _error(capsys, ["layer-dims", "--activations", str(tmp_path / "bad.npz")])
    assert "--activations" in err and "points" in err
