"""Science checks of the intrinsic-dimension estimators (known-d samples, with tolerances)."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest
from _data import cube

from manifold_scaling.errors import InputError
from manifold_scaling.intrinsic_dim import (
    IDEstimate,
    calibrated_id,
    estimate_id,
    layer_dimensions,
    mle_levina_bickel,
    multiscale_id,
    twonn,
)


def test_calibrated_low_dimension_and_same_key_same_result():
    x = cube(1200, 3, 8, 6)
    a = estimate_id(x, key=jax.random.key(3), block_size=500)
    b = estimate_id(x, key=jax.random.key(3), block_size=500)
    c = estimate_id(x, key=jax.random.key(4), block_size=500)
    assert a == b
    assert a.diagnostics["n_blocks"] == 3
    assert a.dimension == pytest.approx(3, rel=0.05)
    assert c.dimension == pytest.approx(a.dimension, rel=0.05)


def test_duplicates_dropped_counted_and_harmless():
    rng = np.random.default_rng(7)
    clean = cube(2000, 5, 10, 8)
    copies = clean[rng.choice(len(clean), 200, replace=False)]
    near = clean[:50] + 1e-13 * rng.standard_normal((50, 10))
    dup = rng.permutation(np.vstack([clean, copies, near]))
    for fn in (twonn, mle_levina_bickel, calibrated_id):
        ref, got = fn(clean), fn(dup)
        assert np.isfinite(got.dimension) and got.dimension > 0
        assert got.dimension == pytest.approx(ref.dimension, rel=0.05), fn.__name__
        assert got.n_dropped == 250
        assert got.dropped_reasons == {"duplicate": 200, "near_duplicate": 50}
        assert got.n_points == 2000
    with pytest.raises(InputError, match="duplicates"):
        twonn(dup, duplicates="error")


@pytest.mark.parametrize(
    "points, k, match",
    [
        (np.arange(10.0), None, "points: must be a 2-D"),
        ([["a", "b"], ["c", "d"], ["e", "f"]], None, "points: must be a numeric"),
        (np.ones((50, 3)), None, "points: all rows are identical"),
        (np.vstack([np.random.default_rng(0).random((40, 3)), [[np.nan, 0, 0]]]), None, "NaN"),
        (np.random.default_rng(0).random((40, 3)), 40, r"k: must be an integer in \[2, 39\]"),
        (np.random.default_rng(0).random((40, 3)), 1, r"k: must be an integer in \[2, 39\]"),
    ],
)
def test_bad_input_raises_input_error(points, k, match):
    for estimator in ("twonn", "mle", "calibrated") if k is None else ("mle", "calibrated"):
        with pytest.raises(InputError, match=match if estimator != "calibrated" else match[:5]):
            estimate_id(points, estimator=estimator, k=k)


def test_unknown_estimator_and_twonn_k():
    x = cube(100, 2, 3, 0)
    with pytest.raises(InputError, match="estimator: must be one of"):
        estimate_id(x, estimator="danco")
    with pytest.raises(InputError, match="k: twonn"):
        estimate_id(x, estimator="twonn", k=5)


def test_result_is_frozen_and_json_ready():
    est = estimate_id(cube(400, 2, 3, 1), estimator="multiscale")
    assert isinstance(est, IDEstimate)
    with pytest.raises(AttributeError):
        est.dimension = 3.0
    d = json.loads(json.dumps(est.to_dict()))
    assert d["estimator"] == "multiscale" and len(d["ci"]) == 2
    assert d["diagnostics"]["scales"][0]["n1"] == 1


def test_layer_dimensions_over_dict_and_list():
    x = cube(600, 3, 3, 2)
    h = np.tanh(x @ np.random.default_rng(3).standard_normal((3, 20)))
    rows = layer_dimensions({"data": x, "hidden 1": h}, estimator="twonn")
    assert [r.layer for r in rows] == ["data", "hidden 1"]
    assert [r.width for r in rows] == [3, 20]
    assert all(abs(r.estimate.dimension - 3) < 0.5 for r in rows)
    assert rows[1].to_dict()["layer"] == "hidden 1"
    assert [r.layer for r in layer_dimensions([x], estimator="twonn")] == ["layer_0"]
    with pytest.raises(InputError, match="activations"):
        layer_dimensions(x)
    with pytest.raises(InputError, match=r"activations\['bad'\]"):
        layer_dimensions({"bad": np.ones((10, 2))}, estimator="twonn")


# --- keys, neighbour engines and the shipped calibration table --------------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1])
def test_integer_seed_is_jax_key_bit_for_bit(seed):
    from manifold_scaling._rng import numpy_rng
    from manifold_scaling.intrinsic_dim._keys import as_key

    key, ours = jax.random.key(seed), as_key(seed)
    assert ours.bits == tuple(np.asarray(jax.random.key_data(key)).tolist())
    for data in (0, 1, 3, 128, 2**32 - 1):
        folded = jax.random.fold_in(jax.random.fold_in(key, data), 7)
        assert ours.fold_in(data).fold_in(7).bits == tuple(
            np.asarray(jax.random.key_data(folded)).tolist()
        )
        np.testing.assert_array_equal(
            ours.fold_in(data).numpy_rng().random(4),
            numpy_rng(jax.random.fold_in(key, data)).random(4),
        )


def test_jax_keys_of_any_kind():
    from manifold_scaling.intrinsic_dim._keys import as_key

    x = cube(1200, 3, 8, 17)
    ref = estimate_id(x, key=5, block_size=500)
    assert estimate_id(x, key=jax.random.key(5), block_size=500) == ref
    assert estimate_id(x, key=jax.random.PRNGKey(5), block_size=500) == ref
    rbg = jax.random.key(5, impl="rbg")  # not threefry: folded by JAX itself
    assert as_key(rbg).jax_key is rbg and len(as_key(rbg).bits) == 4
    assert estimate_id(x, key=rbg, block_size=500).dimension == pytest.approx(3, rel=0.05)
    with pytest.raises(InputError, match="key"):
        estimate_id(x, key="seed")


def test_neighbour_engines_agree(monkeypatch):
    from manifold_scaling.intrinsic_dim import _neighbors

    rng = np.random.default_rng(12)
    for ambient in (3, 20):
        x = rng.random((700, ambient))
        x[5] = x[6]  # an exact duplicate: the engines must still exclude each row itself
        ref = _neighbors.knn(x, 9)
        monkeypatch.setattr(_neighbors, "_NUMPY_MAX_POINTS", 10)  # scikit-learn's search
        monkeypatch.setattr(_neighbors, "_KD_TREE_MAX_DIM", 0)
        sk = _neighbors.knn(x, 9)
        monkeypatch.undo()
        np.testing.assert_array_equal(ref[0], sk[0])
        same = np.where(ref[1] == 6, 5, ref[1]) == np.where(sk[1] == 6, 5, sk[1])
        assert same.all()  # up to which of two equidistant copies fills the last place
        assert ref[1][5, 0] == 6 and ref[1][6, 0] == 5
        assert (ref[1] != np.arange(700)[:, None]).all()


def test_shipped_table_matches_a_fresh_build():
    # A code change that moves the reference statistics (sampler, kNN, statistic, keys) fails
    # here: rebuild with `python benchmarks/build_id_calibration.py`.
    from manifold_scaling.intrinsic_dim import _calibrated, _calibration_table

    with np.load(_calibration_table.path(), allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        sizes, raw, inhom = list(data["sizes"]), data["raw"], data["inhomogeneity"]
    assert meta["format_version"] == _calibration_table.FORMAT_VERSION
    assert sizes == list(_calibrated.SIZES) and raw.shape == (len(sizes), 3, 128)
    expected = _calibration_table.table_parameters(_calibrated._parameters())
    assert {name: meta[name] for name in expected} == expected
    dims = [1, 2, 3, 5, 8, 9, 17, 64, 128]  # both kNN engines, every family
    fresh = _calibrated.build_table([50], dims)
    i = sizes.index(50)
    np.testing.assert_allclose(fresh["raw"][0], raw[i][:, np.array(dims) - 1], rtol=1e-10)
    np.testing.assert_allclose(
        fresh["inhomogeneity"][0], inhom[i][:, np.array(dims) - 1], rtol=1e-10, atol=1e-12
    )


def test_loaded_and_built_calibration_give_the_same_estimate(monkeypatch):
    from manifold_scaling.intrinsic_dim import _calibrated, _calibration_table

    def forbidden(*args):
        raise AssertionError("the shipped table should cover this call")

    x400, x450 = cube(400, 4, 9, 13), cube(450, 4, 9, 14)  # on the size grid; interpolated
    with monkeypatch.context() as m:
        m.setattr(_calibrated, "reference_statistics", forbidden)
        loaded = [calibrated_id(x) for x in (x400, x450)]
    monkeypatch.setitem(_calibration_table._LOADED, "table", None)  # as if nothing shipped
    monkeypatch.setattr(_calibrated, "_CACHE", {})
    built = [calibrated_id(x) for x in (x400, x450)]
    for a, b in zip(loaded, built):
        assert a.dimension == pytest.approx(b.dimension, rel=1e-12, abs=0)
        assert a.ci == pytest.approx(b.ci, rel=1e-12)


def test_curves_interpolate_in_log_n_and_fallback_is_logged(caplog, monkeypatch):
    from manifold_scaling.intrinsic_dim import _calibrated, calibration_curve

    monkeypatch.setattr(_calibrated, "_ANNOUNCED", set())  # the note comes once per process

    lo, mid, hi = (calibration_curve(n, 10, [3, 7], "cube") for n in (400, 447, 500))
    t = np.log(447 / 400) / np.log(500 / 400)
    np.testing.assert_allclose(mid["raw"], (1 - t) * np.array(lo["raw"]) + t * np.array(hi["raw"]))
    with caplog.at_level("INFO", logger="manifold_scaling.intrinsic_dim"):
        calibrated_id(cube(300, 3, 5, 15), k=7)  # k = 7 is not in the table
    assert "not in the shipped table" in caplog.text


def test_warnings_and_ci_level_in_the_result():
    x = cube(900, 3, 6, 16)
    est = estimate_id(np.vstack([x, x[:9]]), estimator="mle")
    assert len(est.warnings) == 1 and "dropped 9 duplicate rows (9 exact)" in est.warnings[0]
    assert est.ci_level == 0.9 and est.to_dict()["warnings"] == list(est.warnings)
    for name in ("calibrated", "twonn", "mle", "multiscale"):
        a = estimate_id(x, estimator=name)
        b = estimate_id(x, estimator=name, ci=0.99)
        assert a.dimension == b.dimension and a.warnings == ()
        assert b.ci[0] < a.ci[0] < a.ci[1] < b.ci[1]


# --- the small-sample warning --------------------------------------------------------------------


def test_needed_points_rule():
    from manifold_scaling.intrinsic_dim._result import needed_points

    assert needed_points(0.4) == needed_points(2.0) == 100  # the floor
    assert needed_points(8.0) == 160 and needed_points(16.0) == 2560  # 10 * 2^(d/2)
    assert needed_points(float("nan")) == 100


@pytest.mark.parametrize("name", ["calibrated", "twonn", "mle", "multiscale"])
def test_small_sample_warns_once_and_the_result_says_so(name, recwarn):
    k = {"calibrated": 5, "mle": 10, "multiscale": 8}.get(name)
    est = estimate_id(cube(15, 2, 4, 17), estimator=name, k=k)
    small = [w for w in recwarn.list if "small sample" in str(w.message)]
    assert len(small) == 1 and small[0].category.__name__ == "IntrinsicDimensionWarning"
    assert [w for w in est.warnings if w.startswith("small sample: 15 points")]
    assert "max(100, 10 * 2^(d/2))" in est.warnings[-1]
    assert est.to_dict()["warnings"] == list(est.warnings)


def test_small_sample_in_high_dimension_and_silent_when_enough(recwarn):
    # 300 points of a 16-cube: the estimate (~12) needs 10 * 2^(12/2) ~ 640 points
    est = twonn(cube(300, 16, 20, 18))
    assert 10 < est.dimension < 14
    assert any(w.startswith("small sample: 300 points") for w in est.warnings)
    recwarn.clear()
    for fn in (twonn, mle_levina_bickel, calibrated_id, multiscale_id):
        assert not [w for w in fn(cube(600, 3, 5, 19)).warnings if "small sample" in w]
    assert not [w for w in recwarn.list if "small sample" in str(w.message)]


def test_estimate_aliases_match_the_estimator_spelling():
    est = estimate_id(cube(500, 3, 5, 20), estimator="twonn")
    assert est.dimension_ == est.dimension and est.interval_ == est.ci
    assert "dimension_" not in est.to_dict() and "interval_" not in est.to_dict()
    with pytest.raises(AttributeError):
        est.dimension_ = 1.0
