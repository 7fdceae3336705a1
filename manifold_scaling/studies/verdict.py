"""One verdict type and one plain-words reading for every fitted exponent of every study.

A measured exponent means something only inside one regime (Bahri et al. 2021, Sec. 2, Table 1), so
every study decides per size, by a rule stated in advance, whether that size may enter the fit
(:class:`SizeRule`: interpolation for data scaling, convergence for model scaling), then fits inside
the longest passing run (``fitting.fit_in_window``) and reads the exponent against its prediction
(:func:`read_exponent`). The same code serves every study; only the rule and the phrasing differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .. import keys
from ..errors import InputError
from ..fitting import LocalSlopes, WindowedFit, fit_in_window, select_window
from .base import teacher_summary

__all__ = [
    "TOLERANCE",
    "SizeCheck",
    "SizeRule",
    "Verdict",
    "analyse_curve",
    "analyse_data_scaling",
    "analyse_dims",
    "analyse_learners",
    "paired_difference",
    "read_mechanism",
    "resolution",
    "convergence_rule",
    "interpolation_rule",
    "points_per_param_rule",
    "read_exponent",
]

#: alpha / prediction inside this band reads as "within the tolerance" of the prediction.
TOLERANCE = (0.8, 1.25)


@dataclass(frozen=True)
class Verdict:
    """The verdict on one exponent: its fit, window, prediction, diagnostics and reading.

    ``d`` is the intrinsic dimension (measured, and so fractional, for real data). Fields that only
    some studies have (a variance-limited floor, a real-data ID interval) live in ``extra`` and are
    written at the top level of :meth:`to_dict`, so ``summary.json`` rows keep one flat shape.
    """

    d: float
    alpha: float | None
    alpha_ci: tuple[float, float] | None
    predicted_alpha: float
    ratio: float | None
    fit_window: tuple[float, float] | None
    window_decades: float
    reading: str
    consistent: bool
    within_tolerance: bool
    diagnostics: dict
    fit: dict | None
    local_slopes: dict
    teacher: dict
    alpha_spread: float | None = None  # SD of the per-replicate exponents
    alpha_replicates: tuple[float, ...] = ()
    interval: str | None = None  # how alpha_ci was made (see fitting.fit_power_law)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out["alpha_ci"] = list(self.alpha_ci) if self.alpha_ci else None
        out["fit_window"] = list(self.fit_window) if self.fit_window else None
        out["alpha_replicates"] = list(self.alpha_replicates)
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        """Inverse of :meth:`to_dict` (unknown keys go to ``extra``)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kw = {k: v for k, v in data.items() if k in names}
        for k in ("alpha_ci", "fit_window"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        kw["alpha_replicates"] = tuple(kw.get("alpha_replicates") or ())
        kw.setdefault("window_decades", 0.0)
        kw.setdefault("diagnostics", {})
        kw.setdefault("local_slopes", {})
        kw.setdefault("teacher", {})
        for k in ("ratio", "fit", "alpha", "alpha_ci", "fit_window"):
            kw.setdefault(k, None)
        kw.setdefault("consistent", False)
        kw.setdefault("within_tolerance", False)
        kw.setdefault("reading", "")
        return cls(**kw, extra={k: v for k, v in data.items() if k not in names})


# --- the one reading ------------------------------------------------------------------------------

# Phrasing per size axis: D (data scaling) and N (model scaling at unlimited data). Everything
# else about the reading -- the tolerance band, the interval test, the notes -- is shared.
_PHRASES = {
    "D": {
        "none_pass": "no size interpolates: optimisation-limited everywhere, no exponent",
        "too_few": "fewer than 3 sizes pass the diagnostics (window {lo:g}-{hi:g}): no fit",
        "consistent": "resolution-limited and consistent with 4/d (alpha/(4/d) = {ratio:.2f})",
        "within": "resolution-limited, within the tolerance of 4/d (alpha/(4/d) = {ratio:.2f}) "
        "though the interval excludes it",
        "above": "above 4/d: consistent with the bound, not tight (alpha/(4/d) = {ratio:.2f}; "
        "a teacher too simple for this d or a pre-asymptotic window)",
        "below": "below 4/d (alpha/(4/d) = {ratio:.2f}): slower than the resolution-limited rate; "
        "pre-asymptotic (teacher not yet resolved) or optimisation-limited",
        "fails_above": "optimisation-limited beyond D = {hi:g}",
        "fails_below": None,
    },
    "N": {
        "none_pass": "no width converged: optimisation-limited everywhere, no exponent",
        "too_few": "fewer than 3 widths pass the convergence rule (window N = {lo:g}-{hi:g}): "
        "no fit",
        "consistent": "resolution-limited in N and consistent with 4/d "
        "(alpha_N/(4/d) = {ratio:.2f})",
        "within": "resolution-limited in N, within the tolerance of 4/d "
        "(alpha_N/(4/d) = {ratio:.2f}) though the interval excludes it",
        "above": "above 4/d (alpha_N/(4/d) = {ratio:.2f}): the smallest students do not yet "
        "resolve the teacher (pre-asymptotic), or the bound is not tight here",
        "below": "below 4/d (alpha_N/(4/d) = {ratio:.2f}): the largest students gain less than "
        "the resolution argument allows; training (steps, learning rate) limits them",
        "fails_above": "not converged beyond N = {hi:g}",
        "fails_below": "not converged below N = {lo:g}",
    },
    # real data: the prediction is a bound from a measured d_hat, and there is no teacher
    "real": {
        "none_pass": "no size fits its training set: optimisation-limited everywhere, no exponent",
        "too_few": "fewer than 3 sizes fit their training set (window {lo:g}-{hi:g}): no fit",
        "consistent": "consistent with 4/d_hat (alpha/(4/d_hat) = {ratio:.2f})",
        "within": "within the tolerance of 4/d_hat (alpha/(4/d_hat) = {ratio:.2f}) though the "
        "interval excludes it",
        "above": "above 4/d_hat: the bound holds and is not tight (alpha/(4/d_hat) = "
        "{ratio:.2f}), as the papers find for real images",
        "below": "below 4/d_hat (alpha/(4/d_hat) = {ratio:.2f}): slower than the "
        "resolution-limited bound",
        "fails_above": "not interpolating beyond D = {hi:g}",
        "fails_below": None,
    },
    # a reference learner (simplex, kernel) against its own theory's rate for this teacher
    "reference": {
        "none_pass": "no size has finite losses: no exponent",
        "too_few": "fewer than 3 sizes with finite losses (window {lo:g}-{hi:g}): no fit",
        "consistent": "follows its theory's rate {pred:.2f} (alpha/prediction = {ratio:.2f})",
        "within": "within the tolerance of its theory's rate {pred:.2f} (alpha/prediction = "
        "{ratio:.2f}) though the interval excludes it",
        "above": "faster than its theory's rate {pred:.2f} (alpha/prediction = {ratio:.2f})",
        "below": "slower than its theory's rate {pred:.2f} (alpha/prediction = {ratio:.2f}): "
        "pre-asymptotic at these D",
        "fails_above": None,
        "fails_below": None,
    },
    # the variance-limited regime: the prediction is D^-1 for L(D) - L(inf)
    "variance": {
        "none_pass": "no size has D >= the required multiple of P: no exponent",
        "too_few": "fewer than 4 sizes with D >> P (window {lo:g}-{hi:g}): no fit",
        "consistent": "variance-limited: L(D) - L(inf) ~ D^-{alpha:.2f}, consistent with D^-1",
        "within": "variance-limited: L(D) - L(inf) ~ D^-{alpha:.2f}, consistent with D^-1",
        "above": "steeper than D^-1 (alpha = {alpha:.2f}): not yet in the variance-limited regime",
        "below": "shallower than D^-1 (alpha = {alpha:.2f}): optimisation noise or a drifting "
        "floor",
        "fails_above": None,
        "fails_below": None,
        "window_note": False,
    },
}


def _no_fit(sizes, reasons, rule_text, min_decades, why):
    """A windowed fit with nothing in the window (what a curve with no usable loss gets)."""
    empty = np.zeros(0)
    window = select_window(
        sizes, np.zeros(len(sizes), bool), reasons={**{float(s): why for s in sizes}, **reasons},
        min_decades=min_decades, rule_text=rule_text,
    )  # fmt: skip
    return WindowedFit(window, None, LocalSlopes(empty, empty, empty, empty, None))


def read_exponent(
    alpha: float | None,
    ci: tuple[float, float] | None,
    predicted: float,
    window,
    sizes: Sequence[float],
    passes: Sequence[bool],
    *,
    axis: str = "D",
    tolerance: tuple[float, float] = TOLERANCE,
    max_ci_width: float | None = None,
    interval: str | None = None,
) -> tuple[str, bool, bool]:
    """The plain-words reading of an exponent against its prediction.

    Returns ``(text, consistent, within_tolerance)``: ``consistent`` when the interval contains the
    prediction; ``within_tolerance`` when alpha/prediction is inside ``tolerance`` *and* the window
    spans at least the minimum number of decades. Notes say where the diagnostics fail outside the
    window and when the window is too short to be strong evidence, and when ``interval`` (how the
    interval was made, ``fitting.PowerLawFit.interval``) does not cover replicates. ``axis`` picks
    the phrasing:
    ``"D"`` data scaling, ``"N"`` model scaling, ``"real"`` real data against 4/d_hat,
    ``"variance"`` the variance-limited D^-1. An interval wider than ``max_ci_width`` reads as
    inconclusive.
    """
    words = _PHRASES[axis]
    if alpha is None:
        if not any(passes) or window.lo is None:
            return words["none_pass"], False, False
        return words["too_few"].format(lo=window.lo, hi=window.hi), False, False
    ratio = alpha / predicted
    if max_ci_width is not None and ci is not None and ci[1] - ci[0] > max_ci_width:
        text = (
            f"inconclusive: alpha = {alpha:.2f} with interval [{ci[0]:.2f}, {ci[1]:.2f}] "
            "(too wide: more seeds, sizes or a longer L-BFGS)"
        )
        return text, False, False
    consistent = bool(ci is not None and ci[0] <= predicted <= ci[1])
    within = tolerance[0] <= ratio <= tolerance[1]
    fmt = {"ratio": ratio, "alpha": alpha, "pred": predicted}
    if consistent:
        text = words["consistent"].format(**fmt)
    elif within:
        text = words["within"].format(**fmt)
    elif ratio > tolerance[1]:
        text = words["above"].format(**fmt)
    else:
        text = words["below"].format(**fmt)
    if ci is None:
        text = text.replace(" though the interval excludes it", "")
    notes = []
    if ci is None:
        notes.append("no interval: one replicate (use at least 2 seeds)")
    elif interval and interval.startswith("residual"):
        notes.append("one replicate: the interval covers this curve's scatter, not a re-run's")
    if words["fails_above"] and any(
        not p and window.hi and s > window.hi for s, p in zip(sizes, passes)
    ):
        notes.append(words["fails_above"].format(hi=window.hi))
    if words["fails_below"] and any(
        not p and window.lo and s < window.lo for s, p in zip(sizes, passes)
    ):
        notes.append(words["fails_below"].format(lo=window.lo))
    if words.get("window_note", True) and not window.spans_min_decades:
        notes.append(f"window spans only {window.decades:.2f} decades (< 1): weak evidence")
    if notes:
        text += "; " + "; ".join(notes)
    return text, consistent, bool(within and window.spans_min_decades)


# --- size rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeCheck:
    """One size's verdict under a rule: pass or not, why not, and what the table shows."""

    passes: bool
    why: list[str]
    info: dict


@dataclass(frozen=True)
class SizeRule:
    """A rule, stated before any exponent is seen, deciding which sizes may enter the fit.

    ``check(size, rows)`` looks at every replicate's row at one size.
    """

    text: str
    check: Callable[[float, list[dict]], SizeCheck]


def _geo_mean(values) -> float:
    return float(np.exp(np.mean(np.log(np.maximum(np.asarray(values, float), 1e-300)))))


def _finite_positive(values) -> bool:
    values = np.asarray(values, float)
    return bool(np.all(np.isfinite(values)) and np.all(values > 0))


def _judge(test, failures: list[tuple[bool, str]], info: dict) -> SizeCheck:
    """A size passes when every replicate's test loss is finite and positive and no failure
    ``(failed, why)`` holds; ``info`` (the per-size table row) gets its ``passes`` flag."""
    why = [] if _finite_positive(test) else ["non-finite or zero test loss"]
    why += [text for failed, text in failures if failed]
    return SizeCheck(not why, why, {**info, "passes": not why})


def _column(rows, name, default=None) -> np.ndarray:
    return np.array([r.get(name, default) for r in rows], float)


def interpolation_rule(interpolation_ratio: float, min_params_per_point: float) -> SizeRule:
    """Data scaling: every replicate has train <= ratio x test (it interpolates) and P >= k x D."""

    def check(size, rows):
        test, train, params = (_column(rows, k) for k in ("test_loss", "train_loss", "n_params"))
        ratio = np.where(test > 0, train / np.maximum(test, 1e-300), np.inf)
        failures = [
            (
                not np.all(ratio <= interpolation_ratio),
                f"train/test up to {np.max(ratio):.2g} > {interpolation_ratio:g} "
                "(not interpolating)",
            ),
            (
                not np.all(params >= min_params_per_point * size),
                f"P/D = {params[0] / size:.1f} < {min_params_per_point:g}",
            ),
        ]
        info = {
            "size": int(size),
            "test_loss_mean": _geo_mean(test),
            "train_loss_mean": _geo_mean(train),
            "max_train_test_ratio": float(np.max(ratio)),
            "params_per_point": float(params[0] / size),
        }
        return _judge(test, failures, info)

    text = (
        f"longest run of sizes where every seed has train <= {interpolation_ratio:g} x test "
        f"and P >= {min_params_per_point:g} x D"
    )
    return SizeRule(text, check)


def convergence_rule(window: float, tolerance: float, *, phased: bool = False) -> SizeRule:
    """Model scaling: every replicate's loss curve has converged (``training.convergence``).

    Rows carry ``converged`` and ``late_drop`` computed from the stored validation curve (from its
    final phase when training runs in phases: ``phased``).
    """
    of = "of the final phase of training" if phased else "of training"

    def check(size, rows):
        test, drops = _column(rows, "test_loss"), _column(rows, "late_drop", np.nan)
        conv = [bool(r["converged"]) for r in rows]
        worst = float(np.max(drops[np.isfinite(drops)])) if np.isfinite(drops).any() else np.nan
        why = (
            f"not converged (loss still fell {worst:.0%} over the last {window:g} {of} > "
            f"{tolerance:g})"
            if np.isfinite(worst)
            else f"not converged (too few evaluations in the last {window:g} {of} to judge)"
        )
        info = {
            "size": int(size),
            "width": int(rows[0].get("width", 0)),
            "test_loss_mean": _geo_mean(test),
            "late_drop_max": worst,
            "converged": conv,
        }
        return _judge(test, [(not all(conv), why)], info)

    text = (
        "longest run of widths at which every seed converged (running-best validation loss fell "
        f"by <= {tolerance:g} over the last {window:g} {of})"
    )
    return SizeRule(text, check)


def points_per_param_rule(min_ratio: float) -> SizeRule:
    """Variance-limited: D >= ``min_ratio`` x P at every replicate (the model cannot interpolate)."""

    def check(size, rows):
        test, p = _column(rows, "test_loss"), float(rows[0]["n_params"])
        info = {
            "size": int(size),
            "test_loss_mean": float(np.mean(test)),
            "train_loss_mean": float(np.mean(_column(rows, "train_loss"))),
            "in_fit": bool(size >= min_ratio * p),
        }
        return _judge(test, [(size < min_ratio * p, f"D/P = {size / p:.1f} < {min_ratio:g}")], info)

    return SizeRule(f"every size with D >= {min_ratio:g} x P", check)


# --- the one analysis of a curve ------------------------------------------------------------------


def analyse_curve(
    d: float,
    rows: list[dict],
    rule: SizeRule,
    *,
    predicted: float,
    key,
    size_key: str = "n_train",
    replicate_key: str = "seed",
    loss_key: str = "test_loss",
    axis: str = "D",
    tolerance: tuple[float, float] = TOLERANCE,
    max_ci_width: float | None = None,
    min_decades: float = 1.0,
    with_floor: bool = False,
    n_bootstrap: int = 1000,
    ci: float = 0.9,
    teacher: dict | None = None,
    diagnostics: dict | None = None,
    extra: dict | None = None,
) -> Verdict:
    """Rule per size -> window -> robust fit (intervals over replicates) -> reading, for one curve.

    ``rows``: one dict per trial with ``size_key``, ``replicate_key`` and ``loss_key`` (plus what
    ``rule`` reads; the rule judges every size on the rows as they are, the fit uses ``loss_key``). Replicates are what a repetition of the study would redraw (teacher, data,
    initialisation), so the fit's interval is taken over them (``fitting.fit_power_law``).
    """
    sizes = np.array([r[size_key] for r in rows], float)
    test = np.array([r.get(loss_key, np.nan) for r in rows], float)
    groups = np.array([r[replicate_key] for r in rows])
    uniq = np.unique(sizes)
    passes, reasons, per_size = [], {}, []
    for s in uniq:
        checked = rule.check(float(s), [r for r, m in zip(rows, sizes == s) if m])
        passes.append(checked.passes)
        if checked.why:
            reasons[float(s)] = "; ".join(checked.why)
        per_size.append(checked.info)
    try:
        wf = fit_in_window(
            sizes, test, passes, key=key, groups=groups, reasons=reasons, rule_text=rule.text,
            min_decades=min_decades, with_floor=with_floor, n_bootstrap=n_bootstrap, ci=ci,
        )  # fmt: skip
    except InputError as err:  # e.g. no finite loss at all: a verdict without an exponent
        wf = _no_fit(uniq, reasons, rule.text, min_decades, f"no fit ({err})")
        passes = [False] * len(uniq)
    window, fit = wf.window, wf.fit
    alpha = alpha_ci = ratio = None
    if fit is not None:
        alpha = fit.alpha
        alpha_ci = tuple(fit.alpha_ci) if fit.alpha_ci is not None else None
        ratio = alpha / predicted
    reading, consistent, within = read_exponent(
        alpha, alpha_ci, predicted, window, uniq, passes, axis=axis, tolerance=tolerance,
        max_ci_width=max_ci_width, interval=getattr(fit, "interval", None),
    )  # fmt: skip
    return Verdict(
        d=d,
        alpha=alpha,
        alpha_ci=alpha_ci,
        predicted_alpha=predicted,
        ratio=ratio,
        fit_window=(window.lo, window.hi) if window.lo is not None else None,
        window_decades=float(window.decades),
        reading=reading,
        consistent=consistent,
        within_tolerance=within,
        diagnostics={
            "per_size": per_size,
            "window_rule": window.rule,
            "excluded": window.to_dict()["excluded"],
            "n_trials": len(rows),
            **(diagnostics or {}),
        },
        fit=fit.to_dict() if fit else None,
        local_slopes=wf.slopes.to_dict(),
        teacher=teacher or {},
        alpha_spread=getattr(fit, "alpha_spread", None),
        alpha_replicates=tuple(getattr(fit, "alpha_replicates", None) or ()),
        interval=getattr(fit, "interval", None) or (fit.bootstrap if fit else None),
        extra=extra or {},
    )


def analyse_dims(
    config, rows: list[dict], reps: dict, rule: SizeRule, *, key_path=(), **kwargs
) -> list[Verdict]:
    """:func:`analyse_curve` for every d of a study ``config`` (a ``StudyConfig``) with the rule
    ``rule``; ``reps`` holds each d's replicates (their teachers go into the verdict)."""
    return [
        analyse_curve(
            d,
            [r for r in rows if r["d"] == d],
            rule,
            predicted=config.predicted_alpha(d),
            key=keys.analysis_key(config.seed, *key_path, d),
            min_decades=config.min_decades,
            with_floor=config.with_floor,
            n_bootstrap=config.n_bootstrap,
            ci=config.ci,
            teacher=teacher_summary(reps[d]),
            **kwargs,
        )
        for d in config.dims
    ]


#: The loss each learner's exponent is fitted to (the network's keeps today's meaning: the loss on
#: the full test set; ``test_loss_interior`` is its loss on the points where every learner is
#: defined, the like-for-like comparison).
LOSS_KEYS = {"network": "test_loss", "simplex": "simplex_test_loss", "kernel": "kernel_test_loss"}


def reference_rule() -> SizeRule:
    """A reference learner interpolates its training set exactly: every size with finite losses."""

    def check(size, rows):
        test = _column(rows, "test_loss")
        return _judge(test, [], {"size": int(size), "test_loss_mean": _geo_mean(test)})

    return SizeRule("every size with finite losses (the learner interpolates exactly)", check)


def resolution(rows: list[dict], teacher: dict) -> dict:
    """The resolution diagnostic, stated in advance and the same for every d: the median nearest-
    neighbour spacing of the training points at the largest D against the teacher's length scale
    (mean over replicates); resolution-limited needs the spacing below the length scale."""
    sizes = [r["n_train"] for r in rows if "nn_spacing" in r]
    length = teacher.get("length_scale")
    if not sizes or length is None or not np.isfinite(length):
        return {"resolved": None, "rule": "no spacing or length scale recorded"}
    top = max(sizes)
    spacing = float(np.median([r["nn_spacing"] for r in rows if r["n_train"] == top]))
    return {
        "size": int(top),
        "nn_spacing": spacing,
        "length_scale": float(length),
        "ratio": spacing / float(length),
        "resolved": bool(spacing < length),
        "rule": "resolution-limited needs the median nearest-neighbour spacing at the largest D "
        "below the teacher's length scale",
    }


def paired_difference(a: dict, b: dict, ci: float = 0.9) -> dict | None:
    """Mean per-replicate difference of two learners' exponents on the same data, with its
    Student-t interval: the like-for-like comparison (same teacher, same training sets, same
    test points), which removes the teacher-to-teacher variation both share."""
    from scipy.stats import t

    common = [k for k in a if k in b and np.isfinite(a[k]) and np.isfinite(b[k])]
    if len(common) < 2:
        return None
    diffs = np.array([a[k] - b[k] for k in common])
    half = float(t.ppf((1 + ci) / 2, diffs.size - 1) * diffs.std(ddof=1) / np.sqrt(diffs.size))
    mean = float(diffs.mean())
    return {"mean": mean, "ci": [mean - half, mean + half], "n": int(diffs.size)}


def _pair_text(p: dict) -> str:
    return f"{p['mean']:+.2f} [{p['ci'][0]:+.2f}, {p['ci'][1]:+.2f}] over {p['n']} teachers"


def read_mechanism(network: Verdict, refs: dict, predicted: dict, res: dict) -> tuple[str, str]:
    """Name the mechanism behind the network's exponent: ``(key, sentence)``.

    With the reference learners on the same data, the decision rests on the paired differences
    network - learner of per-replicate exponents over the network's window, on the interior test
    points (``extra["paired"]``): a difference interval containing 0 for the simplex interpolant
    *follows the piecewise-linear rate* (unless it contains 0 for the kernel learner too: *cannot
    tell them apart*); above 0, *faster than the interpolant* -- *kernel-like* when the kernel
    learner's difference contains 0; below 0, *slower* (optimisation- or regime-limited).
    Without the learners (d > 5), the network's interval is read against the predictions.
    Not resolution-limited overrides all.
    """
    if res.get("resolved") is False:
        return "not-resolution-limited", (
            f"not resolution-limited at these D: the nearest-neighbour spacing at D = "
            f"{res['size']} ({res['nn_spacing']:.2f}) is not below the teacher's length scale "
            f"({res['length_scale']:.2f}); the exponent measures how fast coarse structure is learned"
        )
    if network.alpha is None:
        return "no-exponent", network.reading
    paired = network.extra.get("paired") or {}
    pl, kernel = paired.get("simplex"), paired.get("kernel")
    if pl is not None:
        has_zero = lambda p: p is not None and p["ci"][0] <= 0 <= p["ci"][1]  # noqa: E731
        head = f"network - simplex interpolant of the same data: {_pair_text(pl)}"
        k_text = f"; network - kernel learner: {_pair_text(kernel)}" if kernel else ""
        if has_zero(pl):
            if has_zero(kernel):
                return "undecided", f"cannot tell the mechanisms apart ({head}{k_text})"
            return "piecewise-linear", f"follows the piecewise-linear rate ({head}{k_text})"
        if pl["mean"] > 0:
            key = "kernel-like" if has_zero(kernel) else "faster"
            what = "kernel-like" if has_zero(kernel) else "and unlike the kernel learner"
            return key, f"faster than the piecewise-linear interpolant, {what} ({head}{k_text})"
        fails = network.diagnostics.get("excluded", {})
        failing = f"; the interpolation rule fails at D = {', '.join(fails)}" if fails else ""
        return "slower", (
            f"slower than the piecewise-linear interpolant: optimisation- or regime-limited "
            f"({head}{k_text}){failing}"
        )
    return _read_against_predictions(network, refs, predicted)


def _read_against_predictions(network: Verdict, refs: dict, predicted: dict) -> tuple[str, str]:
    """The reading without a paired interpolant: the network's interval against the
    piecewise-linear prediction (and the kernel learner's exponent, or the kernel prediction)."""
    alpha, ci = network.alpha, network.alpha_ci
    ref, what = predicted["piecewise_linear"], "the piecewise-linear prediction"
    kernel = refs.get("kernel")
    if kernel is not None and kernel.alpha is not None:
        k_ref, k_what = kernel.alpha, "the kernel learner's"
    else:
        k_ref, k_what = predicted["kernel"], "the kernel prediction"
    in_pl = ci is not None and ci[0] <= ref <= ci[1]
    in_k = ci is not None and ci[0] <= k_ref <= ci[1] and abs(k_ref - ref) > 1e-12
    near_pl = 0.85 <= alpha / ref <= 1.15
    head = f"alpha = {alpha:.2f} against {ref:.2f} for {what}"
    if (in_pl or near_pl) and in_k and not near_pl:
        return "undecided", (
            f"cannot tell the mechanisms apart: {head}, but its interval also contains "
            f"{k_what} {k_ref:.2f} (more replicates or sizes)"
        )
    if in_pl or near_pl:
        return "piecewise-linear", f"follows the piecewise-linear rate: {head}"
    if alpha > ref:
        return "kernel-like", f"faster than {what} ({head}): kernel-like ({k_what} {k_ref:.2f})"
    fails = network.diagnostics.get("excluded", {})
    failing = f"; the interpolation rule fails at D = {', '.join(fails)}" if fails else ""
    return "slower", f"slower than {what} ({head}): optimisation- or regime-limited{failing}"


def analyse_learners(
    config, rows: list[dict], reps: dict, learners: dict, *, key_path=()
) -> list[Verdict]:
    """Data-scaling verdicts per (d, learner): the network by the interpolation rule, the reference
    learners on the same training sets; the network's row names the mechanism. ``learners[d]``
    lists the learners that ran at ``d``."""
    from ..teachers import predicted_exponents

    out = []
    for d in config.dims:
        rows_d = [r for r in rows if r["d"] == d]
        teacher = teacher_summary(reps[d])
        predicted = predicted_exponents(config.teacher, d)
        res = resolution(rows_d, teacher)
        common = dict(
            predicted=config.predicted_alpha(d), min_decades=config.min_decades,
            with_floor=config.with_floor, n_bootstrap=config.n_bootstrap, ci=config.ci,
            teacher=teacher,
        )  # fmt: skip
        verdicts = {}
        for i, name in enumerate(learners[d]):
            key = keys.analysis_key(config.seed, *key_path, d, *((i,) if i else ()))
            if name == "network":
                rule = interpolation_rule(config.interpolation_ratio, config.min_params_per_point)
                verdicts[name] = analyse_curve(d, rows_d, rule, key=key, **common)
            else:
                lrows = [{**r, "test_loss": r[LOSS_KEYS[name]]} for r in rows_d]
                theory = predicted["piecewise_linear" if name == "simplex" else "kernel"]
                verdicts[name] = analyse_curve(
                    d, lrows, reference_rule(), key=key, axis="reference",
                    **{**common, "predicted": theory},
                )  # fmt: skip
        for name, v in verdicts.items():
            extra = {"learner": name, "predicted": predicted, "resolution": res}
            if name == "network":
                extra.update(_interior_alpha(d, rows_d, v, learners[d], key, common))
                v = replace(v, extra=extra)
                mech, text = read_mechanism(v, verdicts, predicted, res)
                if mech != "no-exponent":
                    v = replace(v, reading=f"{text}. Against 4/d: {v.reading}")
                extra["mechanism"] = mech
            out.append(replace(v, extra=extra))
    return out


def _interior_alpha(d, rows, network: Verdict, learners, key, common) -> dict:
    """The network's exponent on the interior test points over its own window, and the paired
    differences with every reference learner's exponent over that same window."""
    if network.alpha is None or not all("test_loss_interior" in r for r in rows):
        return {}
    lo, hi = network.fit_window
    inside = [r for r in rows if lo <= r["n_train"] <= hi]

    def per_replicate(loss_key):
        v = analyse_curve(d, inside, reference_rule(), key=key, loss_key=loss_key, **common)
        fit = v.fit or {}
        labels, alphas = fit.get("replicate_labels") or [], fit.get("alpha_replicates") or []
        return v, dict(zip(map(str, labels), alphas))

    net, net_reps = per_replicate("test_loss_interior")
    paired = {}
    for name in learners:
        if name != "network":
            _, reps = per_replicate(LOSS_KEYS[name])
            paired[name] = paired_difference(net_reps, reps, common["ci"])
    return {
        "alpha_interior": net.alpha,
        "alpha_interior_ci": list(net.alpha_ci or []) or None,
        "paired": paired,
    }


def analyse_data_scaling(config, rows: list[dict], reps: dict, *, key_path=()) -> list[Verdict]:
    """Data-scaling verdicts (``config`` a ``DataScalingConfig``) from per-trial rows (dicts with
    d, n_train, seed, losses, n_params): one per (d, learner), :func:`analyse_learners`."""
    learners = {d: config.learners_at(d) for d in config.dims}
    return analyse_learners(config, rows, reps, learners, key_path=key_path)
