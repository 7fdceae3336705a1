"""``tables.fit_table``: a loss table from Python, read by the same window rule, fit and verdict as
the studies (``studies.verdict.analyse_curve``) and the ``fit`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from manifold_scaling import keys
from manifold_scaling.errors import InputError
from manifold_scaling.studies.verdict import Verdict, analyse_curve, interpolation_rule
from manifold_scaling.tables import TableFit, fit_table, predicted_alpha

ALPHA = 0.8  # = 4/d at d = 5
SIZES = (2 ** np.arange(6, 14)).tolist()  # 64 ... 8192: more than two decades


def synthetic(alpha=ALPHA, groups=4, sigma=0.03, rng_seed=0, train=False):
    """Power-law test losses, one curve per group (each with its own small exponent offset)."""
    rng = np.random.default_rng(rng_seed)
    rows = {"D": [], "run": [], "test": [], "train": [], "P": []}
    for g in range(groups):
        a = alpha + 0.02 * rng.standard_normal()
        for size in SIZES:
            test = 3.0 * size**-a * np.exp(sigma * rng.standard_normal())
            rows["D"].append(size)
            rows["run"].append(g)
            rows["test"].append(test)
            rows["train"].append(test * (0.01 if size <= 2048 else 0.5))  # interpolates <= 2048
            rows["P"].append(20000)
    if not train:
        for k in ("train", "P"):
            del rows[k]
    return {k: np.asarray(v) for k, v in rows.items()}


def test_recovers_a_known_exponent_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(synthetic())
    res = fit_table(df, size="D", loss="test", group="run", d=5)
    lo, hi = res.interval
    assert lo <= res.alpha <= hi
    assert abs(res.alpha - ALPHA) < 0.05  # the stated tolerance
    assert lo <= ALPHA <= hi
    assert res.interval_method == "replicate-t" and res.ci == 0.9
    assert res.window == (64.0, 8192.0) and len(res.window_sizes) == 8
    assert res.predicted_alpha == pytest.approx(predicted_alpha(5)) == pytest.approx(0.8)
    assert len(res.local_slopes.slopes) == 7 and res.local_slopes.slopes_ci is not None
    # The reading is the studies' Verdict, rendered by the one renderer.
    assert isinstance(res.verdict, Verdict) and res.reading == res.verdict.reading
    assert res.reading.startswith(f"alpha = {res.alpha:.2f}; consistent with 4/d = 0.8 at d = 5")
    assert res.consistent is True and res.ratio == pytest.approx(res.alpha / 0.8)


def test_same_numbers_as_the_fit_command(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    from manifold_scaling.cli import main

    df = pd.DataFrame(synthetic())
    df.rename(columns={"D": "size", "run": "seed", "test": "loss"}).to_csv(
        tmp_path / "losses.csv", index=False
    )
    assert main(["fit", str(tmp_path / "losses.csv"), "--d", "5"]) == 0
    cli = json.loads(capsys.readouterr().out)
    res = fit_table(df, size="D", loss="test", group="run", d=5)  # key=None: the CLI's --seed 0
    assert res.alpha == pytest.approx(cli["alpha"], rel=1e-12)
    assert list(res.interval) == pytest.approx(cli["alpha_ci"], rel=1e-12)
    assert res.reading == cli["reading"] and res.consistent == cli["consistent_with_4_over_d"]
    np.testing.assert_allclose(res.local_slopes.slopes, cli["local_slopes"]["slopes"], rtol=1e-12)


def test_window_rule_is_the_studies_rule():
    data = synthetic(train=True)
    res = fit_table(data, size="D", loss="test", group="run", train_loss="train", n_params="P",
                    d=5, n_bootstrap=50)  # fmt: skip
    assert res.window == (64.0, 2048.0)
    assert set(res.excluded) == {"4096", "8192"}
    assert "not interpolating" in res.excluded["4096"] and "P/D" in res.excluded["8192"]
    assert [p["passes"] for p in res.per_size] == [True] * 6 + [False] * 2
    # The same call the studies make: interpolation rule -> analyse_curve.
    rows = [
        {"n_train": float(s), "seed": int(g), "test_loss": float(t), "train_loss": float(tr),
         "n_params": float(p)}
        for s, g, t, tr, p in zip(data["D"], data["run"], data["test"], data["train"], data["P"])
    ]  # fmt: skip
    ref = analyse_curve(5.0, rows, interpolation_rule(0.1, 4.0), predicted=0.8,
                        key=keys.analysis_key(0), target="4/d = 0.8 at d = 5", n_bootstrap=50)  # fmt: skip
    assert res.alpha == ref.alpha and res.interval == ref.alpha_ci
    assert res.reading == ref.reading
    assert "sizes above D = 2048 fail the size rule" in res.reading


def test_dicts_and_structured_arrays_and_round_trip():
    pd = pytest.importorskip("pandas")
    data = synthetic(groups=3)
    from_df = fit_table(pd.DataFrame(data), size="D", loss="test", group="run", d=5)
    from_dict = fit_table(data, size="D", loss="test", group="run", d=5)
    structured = np.rec.fromarrays([data["D"], data["run"], data["test"]], names="D,run,test")
    from_rec = fit_table(structured, size="D", loss="test", group="run", d=5)
    assert from_df.alpha == from_dict.alpha == from_rec.alpha
    assert from_df.reading == from_dict.reading == from_rec.reading
    again = TableFit.from_dict(json.loads(json.dumps(from_df.to_dict())))
    assert again.to_dict() == from_df.to_dict()
    assert isinstance(again.verdict, Verdict) and again.verdict.reading == from_df.reading
    # Another key, other bootstrap draws for the slopes' intervals; the same key, the same numbers.
    other = fit_table(data, size="D", loss="test", group="run", key=keys.analysis_key(1))
    same = fit_table(data, size="D", loss="test", group="run", key=keys.analysis_key(0))
    assert same.to_dict()["local_slopes"] == fit_table(data, size="D", loss="test",
                                                       group="run").to_dict()["local_slopes"]  # fmt: skip
    assert other.to_dict()["local_slopes"] != same.to_dict()["local_slopes"]


def test_without_d_or_groups():
    data = synthetic(groups=1)
    res = fit_table(data, size="D", loss="test")
    assert res.verdict is None and res.reading is None and res.predicted_alpha is None
    assert res.interval_method == "residual-bootstrap-symmetric"  # one curve's scatter only
    assert abs(res.alpha - ALPHA) < 0.1
    read = fit_table(data, size="D", loss="test", d=5)
    assert read.alpha == res.alpha and "one replicate" in read.reading


@pytest.mark.parametrize(
    ("kwargs", "parameter", "words"),
    [
        ({"size": "N"}, "size", "no column 'N'"),
        ({"loss": "val"}, "loss", "no column 'val'"),
        ({"group": "seed"}, "group", "no column 'seed'"),
        ({"train_loss": "tr"}, "train_loss", "no column 'tr'"),
        ({"loss": "D"}, "loss", "already the size column"),
        ({"d": 0.5}, "d", ">= 1"),
        ({"ci": 1.5}, "ci", "(0, 1)"),
        ({"interpolation_ratio": 0.2}, "interpolation_ratio", "train_loss"),
        ({"n_params": "three"}, "n_params", "train_loss"),
        ({"with_floor": True, "size": "three"}, "with_floor", "4 distinct sizes"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, parameter, words):
    data = synthetic(groups=2)
    data["three"] = np.resize([10.0, 20.0, 40.0], data["D"].size)  # 3 distinct sizes
    args = {"size": "D", "loss": "test", "group": "run", **kwargs}
    if kwargs.get("size") == "three":
        args["group"] = None  # several rows per size and no group: one curve
    with pytest.raises(InputError) as err:
        fit_table(data, **args)
    assert err.value.parameter == parameter
    assert words in str(err.value) and "\n" not in str(err.value)


def test_bad_values_and_table_types():
    data = synthetic(groups=2)
    bad = {**data, "test": np.where(np.arange(data["test"].size) == 3, -1.0, data["test"])}
    with pytest.raises(InputError, match=r"^loss: column 'test' must be positive and finite"):
        fit_table(bad, size="D", loss="test", group="run")
    few = {k: v[:2] for k, v in data.items()}
    with pytest.raises(InputError, match=r"^size: need at least 3 distinct sizes \(got 2\)"):
        fit_table(few, size="D", loss="test")
    twice = {k: np.concatenate([v, v[:1]]) for k, v in data.items()}
    with pytest.raises(InputError, match=r"^group: size 64 has group 0 twice"):
        fit_table(twice, size="D", loss="test", group="run")
    with pytest.raises(InputError, match=r"^df: must be a pandas DataFrame"):
        fit_table([1, 2, 3], size="D", loss="test")
