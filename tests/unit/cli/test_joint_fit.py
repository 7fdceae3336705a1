"""``fit --joint`` and ``predict``: the Chinchilla refit of Besiroglu et al. 2024 reproduced on the
245 runs Epoch AI extracted from Hoffmann et al. 2022 (Fig. 4), the same optimum from
``scipy.optimize.least_squares``, predictions with bootstrap bands, and one-line errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jax
import numpy as np
import pytest
from scipy.optimize import least_squares
from scipy.special import huber, logsumexp

from manifold_scaling.cli import main
from manifold_scaling.errors import InputError
from manifold_scaling.fitting import JointFit, fit_joint_scaling, read_runs_csv

DATA = Path(__file__).resolve().parents[2] / "data" / "chinchilla_svg_extracted_data.csv"
DATA_SHA256 = "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"
CHINCHILLA = ["--n-column", "Model Size", "--c-column", "Training FLOP", "--exclude-highest", 5]
# Besiroglu et al. 2024 (arXiv 2404.10102), their refit of Hoffmann et al.'s approach 3 on the same
# runs: estimate and standard error (4000 bootstrap resamples).
PUBLISHED = {
    "E": (1.8172, 0.03),
    "A": (482.01, 124.6),
    "B": (2085.43, 1293.0),
    "alpha": (0.3478, 0.02),
    "beta": (0.3658, 0.02),
}
DELTA = 1e-3
N_BOOTSTRAP = 100  # the paper's 4000 would take minutes; 100 is enough to check the machinery


def run_cli(capsys, *argv):
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def chinchilla(tmp_path_factory):
    """The CLI's fit of the Chinchilla runs (one run, shared by the tests below)."""
    tmp = tmp_path_factory.mktemp("chinchilla")
    out, fig = tmp / "fit.json", tmp / "fit.png"
    argv = ["fit", DATA, "--joint", *CHINCHILLA, "--bootstrap", N_BOOTSTRAP, "--out", out]
    code = main([*map(str, argv), "--plot", str(fig)])
    assert code == 0
    return {"fit": json.loads(out.read_text()), "path": out, "figure": fig}


def _runs():
    runs = read_runs_csv(DATA, n_column="Model Size", c_column="Training FLOP")
    keep = np.ones(runs.losses.size, bool)
    keep[np.argsort(-runs.losses, kind="stable")[:5]] = False  # as Besiroglu et al.
    return runs.N[keep], runs.D[keep], runs.losses[keep]


# ------------------------------------------------------------------ the Chinchilla validation


def test_data_file_is_the_published_one():
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == DATA_SHA256
    runs = read_runs_csv(DATA, n_column="Model Size", c_column="Training FLOP")
    assert runs.losses.size == 245
    np.testing.assert_allclose(6 * runs.N * runs.D, runs.C, rtol=1e-12)  # D = C / (6 N)


def test_chinchilla_refit_within_published_standard_errors(chinchilla):
    fit = chinchilla["fit"]
    assert fit["n_points"] == 240 and fit["n_rows"] == 245
    for name, (value, se) in PUBLISHED.items():
        ours = fit[name]
        print(f"{name}: ours {ours:.5g} {fit[f'{name}_ci']}, published {value} ± {se}")
        assert abs(ours - value) <= se, (name, ours, value, se)
    # Much tighter than one SE where the data pin them down (E, alpha, beta).
    assert fit["E"] == pytest.approx(1.8172, abs=0.005)
    assert fit["alpha"] == pytest.approx(0.3478, abs=0.005)
    assert fit["beta"] == pytest.approx(0.3658, abs=0.005)
    for name in ("E", "alpha", "beta"):
        lo, hi = fit[f"{name}_ci"]
        assert lo <= PUBLISHED[name][0] <= hi  # the published value is inside our 90% interval
    # Compute-optimal allocation: N* ∝ C^(beta/(alpha+beta)), D* ∝ C^(alpha/(alpha+beta)).
    opt = fit["compute_optimal"]
    s = fit["alpha"] + fit["beta"]
    assert opt["N_opt_exponent"] == pytest.approx(fit["beta"] / s)
    assert opt["D_opt_exponent"] == pytest.approx(fit["alpha"] / s)
    assert opt["loss_exponent"] == pytest.approx(fit["alpha"] * fit["beta"] / s)
    assert opt["N_opt_exponent"] == pytest.approx(0.3658 / (0.3478 + 0.3658), abs=0.01)
    lo, hi = opt["N_opt_exponent_ci"]
    assert lo < opt["N_opt_exponent"] < hi
    assert opt["D_opt_exponent_ci"] == pytest.approx([1 - hi, 1 - lo])


def test_chinchilla_json_records_its_provenance(chinchilla):
    fit = chinchilla["fit"]
    assert fit["kind"] == "joint-fit" and fit["format"] == 1
    assert fit["input_sha256"] == DATA_SHA256
    assert fit["columns"] == {
        "N": "Model Size",
        "D": None,
        "C": "Training FLOP",
        "loss": "loss",
        "D_from_C": "D = C / (6 N)",
    }
    excluded = fit["excluded"]
    assert excluded["n"] == 5 and len(excluded["runs"]) == 5
    worst = sorted(r["loss"] for r in excluded["runs"])
    assert worst[0] > 3.4 and max(worst) == pytest.approx(5.005581996196243)
    assert fit["versions"]["numpy"] == np.__version__
    assert fit["huber_delta"] == DELTA and fit["interval"] == "pairs-bootstrap-percentile"
    draws = fit["bootstrap_draws"]
    assert draws["columns"] == ["E", "A", "alpha", "B", "beta"]
    rows = np.array(draws["rows"])
    assert rows.shape == (N_BOOTSTRAP, 5) == (fit["n_bootstrap"], 5)
    # The intervals are the percentiles of the stored draws.
    for j, name in enumerate(draws["columns"]):
        expected = np.quantile(rows[:, j], [0.05, 0.95])
        np.testing.assert_allclose(fit[f"{name}_ci"], expected, rtol=1e-12)
    # One line per draw in the file, not five.
    assert chinchilla["path"].read_text().count("\n") < 150 + N_BOOTSTRAP
    assert chinchilla["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _residuals(p, log_n, log_d, y):
    """Besiroglu et al.'s residuals: LSE(a - alpha log N, b - beta log D, e) - log L."""
    e, a, alpha, b, beta = p
    terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    return logsumexp(terms, axis=0) - y


def _jacobian(p, log_n, log_d, y):
    e, a, alpha, b, beta = p
    terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    w = np.exp(terms - logsumexp(terms, axis=0))
    return np.stack([w[2], w[0], -w[0] * log_n, w[1], -w[1] * log_d], axis=1)


def test_same_optimum_as_scipy_least_squares_huber(chinchilla):
    """least_squares(loss="huber", f_scale=delta) minimises 0.5 sum f^2 rho(r^2 / f^2) with
    rho(z) = z (z <= 1), 2 sqrt(z) - 1 (z > 1): r^2 / 2 inside delta, delta (|r| - delta / 2)
    outside, i.e. exactly the summed Huber loss (factor 1), so both must find the same point."""
    n, d, loss = _runs()
    args = (np.log(n), np.log(d), np.log(loss))
    fit = chinchilla["fit"]
    ours = np.array(
        [np.log(fit["E"]), np.log(fit["A"]), fit["alpha"], np.log(fit["B"]), fit["beta"]]
    )

    def objective(p):
        return huber(DELTA, _residuals(p, *args)).sum()

    kwargs = dict(
        jac=_jacobian, args=args, loss="huber", f_scale=DELTA, method="trf",
        x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10_000,
    )  # fmt: skip
    from_ours = least_squares(_residuals, ours, **kwargs)
    assert from_ours.cost == pytest.approx(objective(from_ours.x), rel=1e-12)  # same objective
    np.testing.assert_allclose(from_ours.x, ours, rtol=0, atol=1e-4)
    assert objective(ours) <= objective(from_ours.x) * (1 + 1e-9)
    # From the published values, least_squares walks to our optimum too.
    published = [np.log(1.8172), np.log(482.01), 0.3478, np.log(2085.43), 0.3658]
    from_published = least_squares(_residuals, np.array(published), **kwargs)
    np.testing.assert_allclose(from_published.x, ours, rtol=0, atol=1e-4)
    print("least_squares - ours (log E, log A, alpha, log B, beta):", from_ours.x - ours)


# ------------------------------------------------------------------ predict


def run_predict(capsys, fit_path, *argv):
    code, out, err = run_cli(capsys, "predict", fit_path, *argv)
    return code, (json.loads(out) if code == 0 else out), err


def test_predict_at_n_and_d_with_band(chinchilla, capsys):
    fit = chinchilla["fit"]
    n = np.array([1e9, 7e10, 7e10])
    d = np.array([2e10, 1.4e12, 1.4e12])
    code, got, err = run_predict(capsys, chinchilla["path"], "--N", *n, "--D", *d)
    assert code == 0, err
    assert got["kind"] == "joint-prediction" and got["allocation"] == "given"
    expected = fit["E"] + fit["A"] * n ** -fit["alpha"] + fit["B"] * d ** -fit["beta"]
    np.testing.assert_allclose(got["loss"], expected, rtol=1e-12)
    # The band: percentiles of every stored draw's prediction, computed here independently.
    e, a, alpha, b, beta = np.array(fit["bootstrap_draws"]["rows"]).T[:, :, None]
    preds = e + a * n**-alpha + b * d**-beta
    lo, hi = np.quantile(preds, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(got["loss_lo"], lo, rtol=1e-12)
    np.testing.assert_allclose(got["loss_hi"], hi, rtol=1e-12)
    assert np.all(np.array(got["loss_lo"]) < got["loss"]) and np.all(got["loss"] < hi)
    assert got["ci_level"] == 0.9 and got["n_draws"] == N_BOOTSTRAP
    np.testing.assert_allclose(got["C"], 6 * n * d)


def test_predict_with_compute_and_broadcast(chinchilla, capsys):
    path = chinchilla["path"]
    n = [1e9, 2e9, 4e9]
    _, by_c, _ = run_predict(capsys, path, "--N", *n, "--C", 1e21)  # one C pairs with every N
    d = [1e21 / (6 * v) for v in n]
    _, by_d, _ = run_predict(capsys, path, "--N", *n, "--D", *d)
    np.testing.assert_allclose(by_c["loss"], by_d["loss"], rtol=1e-12)
    np.testing.assert_allclose(by_c["loss_hi"], by_d["loss_hi"], rtol=1e-12)
    assert by_c["C"] == [1e21] * 3


def test_predict_compute_optimal(chinchilla, capsys):
    path = chinchilla["path"]
    c = np.array([1e21, 5.76e23])
    code, opt, err = run_predict(capsys, path, "--C", *c)
    assert code == 0, err
    assert opt["allocation"] == "compute-optimal"
    np.testing.assert_allclose(6 * np.array(opt["N"]) * opt["D"], c, rtol=1e-12)
    for factor in (0.5, 2.0):  # any other split of the same compute does worse
        n = np.array(opt["N"]) * factor
        _, other, _ = run_predict(capsys, path, "--N", *n, "--C", *c)
        assert np.all(np.array(other["loss"]) > opt["loss"])
    assert np.all(np.array(opt["loss_lo"]) <= opt["loss"])
    assert np.all(np.array(opt["loss"]) <= opt["loss_hi"])


def _one_line(code, out, err, fragment):
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert fragment in err, err


def test_predict_refuses_other_kinds_of_file(chinchilla, tmp_path, capsys):
    power = tmp_path / "power.json"
    csv = tmp_path / "losses.csv"
    csv.write_text("size,loss\n" + "".join(f"{s},{3 / s}\n" for s in (10, 20, 40, 80, 160)))
    assert run_cli(capsys, "fit", csv, "--bootstrap", 20, "--out", power)[0] == 0
    _one_line(
        *run_cli(capsys, "predict", power, "--N", 1e9, "--D", 1e10),
        f"FIT.json: {power} is a power-law-fit file, not a joint fit",
    )
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"study": "data-scaling", "config": {}, "results": []}))
    _one_line(
        *run_cli(capsys, "predict", summary, "--N", 1e9, "--D", 1e10),
        "is a data-scaling summary file, not a joint fit",
    )
    _one_line(*run_cli(capsys, "predict", csv, "--N", 1, "--D", 1), "FIT.json: ")
    _one_line(*run_cli(capsys, "predict", tmp_path / "no.json", "--C", 1), "no such file")
    data = chinchilla["fit"]
    for damage, fragment in [
        ({"format": 2}, "has format 2"),
        ({"beta": "x"}, "'beta' is not a finite number"),
        ({"bootstrap_draws": {"columns": ["E"], "rows": [[1.0]]}}, "'bootstrap_draws' must"),
        (
            {"bootstrap_draws": {"columns": data["bootstrap_draws"]["columns"], "rows": [[1, 2]]}},
            "has shape (1, 2)",
        ),
    ]:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**data, **damage}))
        _one_line(*run_cli(capsys, "predict", bad, "--C", 1e21), fragment)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--N", 1e9], "--D: give --D (or --C) with --N"),
        (["--D", 1e9], "--N: give --N with --D or --C"),
        (["--N", 1e9, "--D", 1e9, "--C", 1e21], "--C: give --D or --C, not both"),
        (["--N", 1e9, 2e9, 3e9, "--D", 1e9, 2e9], "--D: 2 values cannot pair with 3 values"),
        (["--N", 0, "--D", 1e9], "--N: must be positive and finite"),
        (["--N", "x", "--D", 1e9], "--N: expected a number"),
        (["--C", "inf"], "--C: must be positive and finite"),
    ],
)
def test_predict_bad_arguments(chinchilla, capsys, argv, fragment):
    _one_line(*run_cli(capsys, "predict", chinchilla["path"], *argv), fragment)


# ------------------------------------------------------------------ fit --joint on a table


TRUE = {"E": 1.5, "A": 400.0, "alpha": 0.34, "B": 1200.0, "beta": 0.28}


def _write_runs(path, header="N,D,loss", sigma=0.005, extra=""):
    rng = np.random.default_rng(0)
    lines = [header]
    for n in np.geomspace(1e7, 1e10, 6).tolist():
        for d in np.geomspace(1e9, 1e12, 6).tolist():
            clean = TRUE["E"] + TRUE["A"] * n ** -TRUE["alpha"] + TRUE["B"] * d ** -TRUE["beta"]
            loss = float(clean * np.exp(sigma * rng.standard_normal()))
            lines.append(f"{n!r},{d!r},{loss!r}{extra}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_joint_fit_recovers_a_known_law_with_default_columns(tmp_path, capsys):
    csv = _write_runs(tmp_path / "runs.csv")
    code, out, err = run_cli(capsys, "fit", csv, "--joint", "--bootstrap", 20, "--seed", 3)
    assert code == 0, err
    fit = json.loads(out)
    assert fit["columns"] == {"N": "N", "D": "D", "C": None, "loss": "loss", "D_from_C": None}
    assert fit["excluded"]["n"] == 0 and fit["n_points"] == 36 and fit["seed"] == 3
    assert fit["E"] == pytest.approx(TRUE["E"], rel=0.05)
    assert fit["alpha"] == pytest.approx(TRUE["alpha"], abs=0.03)
    assert fit["beta"] == pytest.approx(TRUE["beta"], abs=0.03)
    # The CLI's numbers are the library's.
    n, d, loss = np.loadtxt(csv, delimiter=",", skiprows=1).T
    lib = fit_joint_scaling(n, d, loss, key=jax.random.key(3), n_bootstrap=20)
    assert fit["alpha"] == lib.a and fit["beta_ci"] == list(lib.ci["b"])


def test_joint_fit_columns_by_name_case_and_exclusion(tmp_path, capsys):
    csv = _write_runs(tmp_path / "runs.csv", header="params,FLOP count,Final Loss,note", extra=",x")
    text = csv.read_text().splitlines()
    # Turn D into C = 6 N D, so that --c-column must give the same fit back.
    rows = [r.split(",") for r in text[1:]]
    body = [f"{r[0]},{6 * float(r[0]) * float(r[1])!r},{r[2]},{r[3]}" for r in rows]
    csv.write_text("\n".join([text[0], *body]) + "\n")
    argv = ["--n-column", "PARAMS", "--c-column", "flop count", "--loss-column", "final loss"]
    code, out, err = run_cli(
        capsys, "fit", csv, "--joint", *argv, "--exclude-highest", 2, "--bootstrap", 10
    )
    assert code == 0, err
    fit = json.loads(out)
    assert fit["columns"]["N"] == "params" and fit["columns"]["C"] == "FLOP count"
    losses = np.array([float(r[2]) for r in rows])
    worst = np.sort(losses)[-2:]
    assert sorted(r["loss"] for r in fit["excluded"]["runs"]) == pytest.approx(worst)
    assert [r["line"] for r in fit["excluded"]["runs"]] == sorted(
        int(i) + 2 for i in np.argsort(-losses)[:2]
    )
    assert fit["n_points"] == 34


def _good(tmp_path):
    return _write_runs(tmp_path / "runs.csv")


@pytest.mark.parametrize(
    ("text", "argv", "fragment"),
    [
        (None, ["--n-column", "params"], "--n-column: "),
        (None, ["--loss-column", "L"], "--loss-column: "),
        (None, ["--d-column", "D", "--c-column", "C"], "--c-column: give --d-column or --c-column"),
        (None, ["--c-column", "C"], "--c-column: "),
        ("N,D\n1,2\n", [], "--loss-column: "),
        ("N,D,loss\n1e6,1e9,abc\n", [], "line 2: column 'loss' (loss) must be a positive"),
        ("N,D,loss\n-1e6,1e9,2.0\n", [], "line 2: column 'N' (N) must be a positive"),
        ("N,D,loss\n1e6,0,2.0\n", [], "line 2: column 'D' (D) must be a positive"),
        ("N,D,loss\n1e6,1e9,2.0,7\n", [], "line 2: malformed row"),
        ("N,D,loss\n" + "1e6,1e9,2.0\n2e6,2e9,1.9\n4e6,4e9,1.8\n" * 1, [], "at least 6"),
        (
            "N,D,loss\n"
            + "".join(f"{n},{d},{2 + 1 / d}\n" for n in (1e6, 2e6) for d in range(1, 5)),
            [],
            "--n-column: the fit needs at least 3 distinct values of N",
        ),
        (None, ["--exclude-highest", 31], "has 5 run(s) after leaving out the 31"),
        (None, ["--exclude-highest", -1], "--exclude-highest: must be an integer >= 0"),
        (None, ["--floor"], "--floor: not used by --joint"),
        (None, ["--d", 4], "--d: only without --joint"),
        (None, ["--n-column", ""], "--n-column: must name a column"),
        (None, ["--plot", "fig.nope"], "--plot: cannot write a figure with '.nope'"),
        (None, ["--ci", 2], "--ci: must be a level in (0, 1)"),
    ],
)
def test_joint_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, text, argv, fragment):
    csv = _good(tmp_path) if text is None else tmp_path / "runs.csv"
    if text is not None:
        csv.write_text(text)
    out, fig = tmp_path / "fit.json", tmp_path / "fig.png"
    argv = [a if a != "fig.nope" else tmp_path / a for a in argv]
    if "--plot" not in argv:
        argv += ["--plot", fig]
    _one_line(*run_cli(capsys, "fit", csv, "--joint", *argv, "--out", out), fragment)
    assert not out.exists() and not fig.exists()


def test_joint_only_flags_need_joint(tmp_path, capsys):
    csv = _good(tmp_path)
    for flag, value in (("--n-column", "N"), ("--c-column", "C"), ("--exclude-highest", 1)):
        _one_line(*run_cli(capsys, "fit", csv, flag, value), f"{flag}: only with --joint")


# ------------------------------------------------------------------ library pieces


def test_read_runs_csv_errors_name_the_argument(tmp_path):
    csv = _good(tmp_path)
    with pytest.raises(InputError) as err:
        read_runs_csv(csv, n_column="missing")
    assert err.value.parameter == "n_column" and "'N', 'D', 'loss'" in str(err.value)
    with pytest.raises(InputError, match="^loss_column: column 'N' is already the N column"):
        read_runs_csv(csv, loss_column="N")
    with pytest.raises(InputError, match="^c_column: "):
        read_runs_csv(csv, d_column="D", c_column="D")


def test_joint_fit_checks_shapes():
    n = np.geomspace(1e6, 1e9, 8)
    with pytest.raises(InputError, match=r"^D: must have one entry per loss \(got 7 D for 8"):
        fit_joint_scaling(n, n[:-1], n, key=jax.random.key(0))
    with pytest.raises(InputError, match="^N: must be a 1-D sequence"):
        fit_joint_scaling(n.reshape(2, 4), n, n, key=jax.random.key(0))


def test_band_needs_draws():
    fit = JointFit(E=1.0, A=1.0, a=0.3, B=1.0, b=0.3, ci={}, n_points=9, huber_delta=1e-3,
                   n_bootstrap=0)  # fmt: skip
    with pytest.raises(InputError, match="no bootstrap draws"):
        fit.predict_band([1e6], [1e9])
    assert "N_opt_exponent_ci" not in fit.allocation_exponents()
    assert fit.allocation_exponents()["N_opt_exponent"] == pytest.approx(0.5)
