"""The data-scaling analysis: verdicts per (d, learner) with the mechanism call, and the one
pooled test of 4/d across d (:func:`pooled_exponent`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ... import keys
from ...manifolds import has_boundary
from ..base import teacher_summary
from ..findings import (
    CONTRAST_MARGIN,
    Agreement,
    AgreementFinding,
    PooledExponent,
    equivalence,
    margin_band,
)
from ._curve import _fit, analyse_curve
from ._mechanism import paired_contrast, read_mechanism, resolution
from ._rules import config_cell_ok, convergence_cell_rule, design_rule, reference_rule
from ._verdict import TOLERANCE, Verdict

#: The loss each learner's exponent is fitted to. ``test_loss`` is the network's loss on the full
#: test set, ``test_loss_interior`` on the points where every learner is defined (inside the
#: smallest training set's hull when the simplex runs); the learners' losses are on those points.
LOSS_KEYS = {"network": "test_loss", "simplex": "simplex_test_loss", "kernel": "kernel_test_loss"}


def _replicate_alphas(rows, loss_key, mask, key, common) -> dict[str, float]:
    """Per-replicate exponents of ``loss_key`` on the masked cells (label -> alpha)."""
    sizes = np.array([r["n_train"] for r in rows], float)
    losses = np.array([r.get(loss_key, np.nan) for r in rows], float)
    groups = np.array([r["seed"] for r in rows])
    fit = _fit(sizes, losses, groups, mask, key=key, with_floor=False,
               n_bootstrap=common["n_bootstrap"], ci=common["ci"])  # fmt: skip
    if fit is None or not fit.replicate_labels:
        return {}
    return dict(zip(map(str, fit.replicate_labels), fit.alpha_replicates or ()))


def analyse_learners(
    config, rows: list[dict], reps: dict, learners: dict, *, key_path=()
) -> list[Verdict]:
    """Data-scaling verdicts per (d, learner) on the same training sets.

    The network's row is read on the interior test points where the simplex runs (the full set
    otherwise; the other is its ``alternate``), against its own teacher's predictions
    (piecewise-linear first, then the kernel band); cells count by the convergence cell rule. The
    reference learners' rows are read against their own theory. The mechanism comes from the
    paired contrasts network - learner over the network's cells. ``learners[d]`` lists the
    learners that ran at ``d``.
    """
    out = []
    band = config.agreement_band
    for d in config.dims:
        rows_d = [r for r in rows if r["d"] == d]
        teacher = teacher_summary(reps[d])
        predicted = predictions_for(config, d)
        common = dict(
            predicted=config.predicted_alpha(d), min_decades=config.min_decades,
            with_floor=config.with_floor, n_bootstrap=config.n_bootstrap, ci=config.ci,
            teacher=teacher, band=band, learner=None, theories=predicted,
        )  # fmt: skip
        # A periodic chart (the torus) has no hull: its "interior" set is the whole test set.
        interior = (
            "simplex" in learners[d]
            and has_boundary(config.latent)
            and all("test_loss_interior" in r for r in rows_d)
        )
        for i, name in enumerate(learners[d]):
            key = keys.analysis_key(config.seed, *key_path, d, *((i,) if i else ()))
            kw = {**common, "learner": name}
            if name == "network":
                net = _network_verdict(config, d, rows_d, learners[d], predicted, interior, key, kw)
                out.append(net)
                continue
            lrows = [{**r, "test_loss": r[LOSS_KEYS[name]]} for r in rows_d]
            theory = "piecewise_linear" if name == "simplex" else "kernel"
            target = "the piecewise-linear rate" if name == "simplex" else "the kernel band"
            ref = analyse_curve(
                d,
                lrows,
                reference_rule(teacher.get("length_scale")),
                key=key,
                axis="reference",
                test_set="interior" if interior else "full",
                target=target,
                predicted_range=tuple(predicted[f"{theory}_range"]),
                **{**kw, "predicted": predicted[theory]},
            )
            res = resolution(rows_d, teacher, ref.window.lo if ref.window else None)
            out.append(replace(ref, resolution=res).rendered())
    return out


def predictions_for(config, d: float) -> dict:
    """Each theory's prediction for this study's teacher at ``d``, scaled to the loss power (2p/d
    for |y - y_hat|^p; ``teachers.predicted_exponents`` states them for MSE)."""
    from ...teachers import predicted_exponents

    raw = predicted_exponents(config.teacher, d, boundary=has_boundary(config.latent))
    scale = config.predicted_alpha(d) / (4.0 / d)
    out = {"teacher": raw["teacher"]}
    for theory in ("piecewise_linear", "kernel"):
        out[theory] = raw[theory] * scale
        out[f"{theory}_range"] = [v * scale for v in raw[f"{theory}_range"]]
    return out


def _range_text(r, d) -> str:
    lo, hi = min(r), max(r)
    if abs(hi - lo) < 1e-12:
        return f"{lo * d:.3g}/d"
    return f"{lo * d:.3g}/d-{hi * d:.3g}/d"


def _network_verdict(config, d, rows, learners, predicted, interior, key, kw) -> Verdict:
    """The network's row at one d: window, cells, exponent, agreements, resolution, mechanism."""
    size_rule = design_rule(config.min_params_per_point, kw["teacher"].get("length_scale"))
    cell_rule = convergence_cell_rule(config.convergence_tol, config.max_excluded_share)
    pl, kr = predicted["piecewise_linear_range"], predicted["kernel_range"]
    loss_key = "test_loss_interior" if interior else "test_loss"
    scored = [{**r, "test_loss_all": r["test_loss"], "test_loss": r.get(loss_key)} for r in rows]
    v = analyse_curve(
        d, scored, size_rule, key=key, cell_rule=cell_rule, loss_key="test_loss",
        alternate_key="test_loss_all" if interior else None,
        test_set="interior" if interior else "full",
        predicted_range=tuple(pl), target=f"the piecewise-linear {_range_text(pl, d)}",
        more_agreements=[(f"the kernel band {_range_text(kr, d)}", tuple(kr))], **kw,
    )  # fmt: skip
    lo = v.window.lo if v.window is not None else None
    res = resolution(rows, kw["teacher"], lo)
    mech = None
    others = [n for n in learners if n != "network"]
    if others and v.alpha is not None and v.alpha_ci is not None and res.resolved is not False:
        sizes = np.array([r["n_train"] for r in scored], float)
        keep = np.zeros(len(scored), bool)
        if lo is not None:
            keep = (sizes >= lo) & (sizes <= v.window.hi)
            keep &= np.array([config_cell_ok(cell_rule, r) for r in scored])
        common = {"n_bootstrap": config.n_bootstrap, "ci": config.ci}
        k_net, *k_refs = keys.split_key(key, 1 + len(others))
        net = _replicate_alphas(scored, "test_loss", keep, k_net, common)
        margin = CONTRAST_MARGIN if config.contrast_margin is None else config.contrast_margin
        margin *= config.predicted_alpha(d)
        contrasts = []
        for name, k in zip(others, k_refs):
            ref = _replicate_alphas(scored, LOSS_KEYS[name], keep, k, common)
            c = paired_contrast(net, ref, learner=name, margin=margin, ci=config.ci)
            if c is not None:
                contrasts.append(c)
        if contrasts:
            mech = read_mechanism(contrasts, predicted)
    return replace(v, resolution=res, mechanism=mech).rendered()


def pooled_exponent(
    verdicts: Sequence[Verdict], *, ci: float = 0.9, band=TOLERANCE
) -> PooledExponent | None:
    """One pooled test across d: alpha_d = kappa / d, so kappa_d = d x mean alpha_d.

    kappa is the mean of kappa_d over the dimensions that are tests (resolution-limited, with a
    verdict and >= 2 replicates), each d weighted alike; its variance is the sum of
    d^2 s_d^2 / n_d over d, divided by the number of d squared, with Welch-Satterthwaite degrees
    of freedom. It is read against d x the piecewise-linear prediction (4 for MSE on a smooth
    teacher; [3, 4] for a ReLU teacher).
    """
    from scipy.stats import t

    use = [v for v in verdicts if v.is_test and len(v.alpha_replicates) >= 2]
    if len(use) < 2:
        return None
    kappas, variances, dofs = [], [], []
    for v in use:
        a = np.asarray(v.alpha_replicates, float)
        kappas.append(v.d * a.mean())
        variances.append(v.d**2 * a.var(ddof=1) / a.size)
        dofs.append(a.size - 1)
    m = len(use)
    kappa = float(np.mean(kappas))
    var = float(np.sum(variances)) / m**2
    var_terms = np.asarray(variances) / m**2
    dof = var**2 / float(np.sum(var_terms**2 / np.asarray(dofs))) if var > 0 else sum(dofs)
    half = float(t.ppf((1 + ci) / 2, dof)) * math.sqrt(var)
    interval = (kappa - half, kappa + half)
    ranges = [np.asarray(v.agreements[0].predicted_range) * v.d for v in use]
    prange = (float(min(r.min() for r in ranges)), float(max(r.max() for r in ranges)))
    target = (
        "kappa = 4"
        if abs(prange[0] - prange[1]) < 1e-9
        else (f"kappa in [{prange[0]:.3g}, {prange[1]:.3g}]")
    )
    finding = AgreementFinding(target, prange, margin_band(prange, band),
                               equivalence(interval, margin_band(prange, band)))  # fmt: skip
    rule = (
        "alpha_d = kappa/d over the d that are tests (resolution-limited, with a verdict); equal "
        "weight per d, Welch-Satterthwaite degrees of freedom"
    )
    return PooledExponent(kappa, interval, tuple(float(v.d) for v in use),
                          int(sum(a.size for a in (np.asarray(v.alpha_replicates) for v in use))),
                          finding, rule)  # fmt: skip


def render_pooled(p: PooledExponent | None) -> str:
    """The pooled test in words (the same equivalence phrasing as every row)."""
    if p is None:
        return "pooled kappa: fewer than 2 dimensions are tests of 4/d: no pooled exponent"
    dims = ", ".join(f"{d:g}" for d in p.dims)
    f = p.agreement
    lo, hi = p.interval
    head = f"pooled over d = {dims}: kappa = alpha x d = {p.kappa:.2f} [{lo:.2f}, {hi:.2f}]"
    word = {
        Agreement.CONSISTENT: f"consistent with {f.target}: its interval lies inside",
        Agreement.INCONSISTENT: f"inconsistent with {f.target}: its interval lies outside",
        Agreement.UNDETERMINED: f"undetermined against {f.target}: its interval reaches outside",
    }[f.call]
    return f"{head}; {word} [{f.band[0]:.2f}, {f.band[1]:.2f}]"


def analyse_data_scaling(config, rows: list[dict], reps: dict, *, key_path=()) -> list[Verdict]:
    """Data-scaling verdicts (``config`` a ``DataScalingConfig``) from per-trial rows (dicts with
    d, n_train, seed, losses, n_params): one per (d, learner), :func:`analyse_learners`."""
    learners = {d: config.learners_at(d) for d in config.dims}
    return analyse_learners(config, rows, reps, learners, key_path=key_path)
