"""Model-size scaling: the window rule and fit on known curves, and a tiny run through the CLI."""

import numpy as np
import pytest

from manifold_scaling.cli import main
from manifold_scaling.studies.model_scaling import ModelScalingConfig
from manifold_scaling.studies.verdict import analyse_curve, convergence_rule


def _rows(alpha, widths, *, unconverged_from=None, seeds=2, noise=0.03):
    rng = np.random.default_rng(0)
    rows = []
    for w in widths:
        n = 3 * w + w + w * w + w + w + 1  # a depth-2 student on 3 inputs
        for s in range(seeds):
            bad = unconverged_from is not None and w >= unconverged_from
            rows.append(
                {
                    "n_params": n,
                    "width": w,
                    "seed": s,
                    "test_loss": 5.0 * n ** (-alpha) * np.exp(noise * rng.standard_normal()),
                    "converged": not bad,
                    "late_drop": 0.3 if bad else 0.02,
                }
            )
    return rows


def analyse_width_sweep(d, rows, config, key):
    rule = convergence_rule(config.convergence_window, config.convergence_tol)
    return analyse_curve(
        d, rows, rule, predicted=config.predicted_alpha(d), key=key, size_key="n_params",
        axis="N", n_bootstrap=config.n_bootstrap,
    )  # fmt: skip


def test_analysis_recovers_alpha_and_stops_at_unconverged_widths(key):
    config = ModelScalingConfig(dims=(3,), n_bootstrap=200)
    widths = [4, 6, 8, 12, 16, 24, 32, 48, 64]
    verdict = analyse_width_sweep(3, _rows(4 / 3, widths, unconverged_from=48), config, key)
    n32 = 3 * 32 + 32 + 32 * 32 + 32 + 32 + 1
    assert verdict.fit_window[1] == n32
    assert verdict.alpha == pytest.approx(4 / 3, abs=0.08)
    assert verdict.alpha_ci[0] <= 4 / 3 <= verdict.alpha_ci[1]
    assert verdict.ratio == pytest.approx(1.0, abs=0.06)
    assert "consistent with 4/d" in verdict.reading
    assert f"sizes above N = {n32} fail the size rule" in verdict.reading
    assert (
        "not converged" in verdict.diagnostics["excluded"][str(3 * 48 + 48 + 48 * 48 + 48 + 48 + 1)]
    )


def test_analysis_with_nothing_converged_gives_no_exponent(key):
    config = ModelScalingConfig(dims=(3,), n_bootstrap=100)
    verdict = analyse_width_sweep(3, _rows(1.0, [4, 8, 16], unconverged_from=1), config, key)
    assert verdict.alpha is None and verdict.fit_window is None
    assert verdict.reading.startswith("no width converged")


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--widths", "0", "8", "16"], "--widths"),
        (["--widths", "8", "8", "16"], "--widths"),
        (["--dims", "0"], "--dims"),
        (["--steps", "10"], "--steps"),
        (["--convergence-tol", "2"], "--convergence-tol"),
        (["--convergence-window", "0"], "--convergence-window"),
        (["--embedding", "fold"], "--embedding"),
        (["--dims", "8", "--ambient-dim", "4"], "--ambient-dim"),
        (["--lr", "-1"], "--lr"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "bad"
    code = main(["model-scaling", "--out", str(out), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
