"""Labelled variants of the data-scaling study, run as one sweep and read side by side.

Three questions have the same shape, "the data-scaling verdict under several settings":

- **ambient invariance** (Sharma & Kaplan 2020, Sec. 2; Bahri et al. 2021, Sec. 2.2): the spacing of
  D points on a d-dimensional manifold is D^(-1/d) however it sits in the input space, so alpha_D
  should not move with the ambient dimension or the embedding (every alpha inside every other
  variant's interval: :func:`intervals_agree`);
- **loss powers** (Sharma & Kaplan 2020, Sec. 2): a loss |y - y_hat|^p scales as s^(2p) ~ D^(-2p/d);
  cross-entropy is quadratic in the logit error near its minimum, so it scales like MSE, D^(-4/d).
  The interpolation rule train <= r x test is stated for MSE and carried to |e|^p as r^(p/2);
- **teacher scan**: the teacher's nonlinearity (linear R^2) and input frequency, to make the
  dependence of the exponent on the teacher visible instead of hiding it behind one default.

Each variant is a :class:`DataScalingConfig`; every variant's trials go through one sweep (one
manifest, one table, resumable; trials shared by two variants run once) and each is analysed with
the data-scaling window rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..configs import config_hash, param, save_json
from ..errors import InputError, check_choice, check_float, check_int
from ..manifolds import EMBEDDINGS
from ..students import StudentConfig
from ..training import TrainConfig
from .base import DataScalingConfig, replicates, teacher_summary
from .findings import Agreement
from .presets import smoothness_base
from .protocol import Analysis, Study
from .trials import (
    batch_key,
    data_scaling_row,
    data_scaling_trials,
    run_trial,
    run_trials_on_devices,
)
from .verdict import Verdict, analyse_data_scaling

__all__ = [
    "AMBIENT_BASE",
    "LOSS_POWERS_BASE",
    "AmbientInvarianceConfig",
    "LossPowersConfig",
    "SmoothnessScanConfig",
    "TeacherScanConfig",
    "Variant",
    "intervals_agree",
    "run_ambient_invariance",
    "run_loss_powers",
    "run_smoothness_scan",
    "run_teacher_scan",
    "smoothness_verdicts",
    "run_variants",
    "teacher_scan_table",
    "variants",
]

AMBIENT_BASE = DataScalingConfig(
    dims=(4,),
    sizes=(64, 128, 256, 512, 1024),
    seeds=4,
    ambient_dim=24,
    embedding="rotation",
    student=StudentConfig(depth=2, width=96),
    train=TrainConfig(steps_per_point=8.0, min_steps=1500, max_steps=20000),
    n_test=4096,
    n_bootstrap=500,
)
LOSS_POWERS_BASE = replace(AMBIENT_BASE, seeds=2)
SMOOTHNESS_BASE = smoothness_base()


@dataclass(frozen=True)
class Variant:
    """A labelled data-scaling config, with the settings that distinguish it (for the table)."""

    label: str
    config: DataScalingConfig
    settings: dict


# --- the three variant families ------------------------------------------------------------------


@dataclass(frozen=True)
class AmbientInvarianceConfig:
    """The data-scaling study ``base`` for every (ambient dimension, embedding) pair."""

    base: DataScalingConfig = param(help="the shared study", factory=lambda: AMBIENT_BASE)
    ambient_dims: tuple[int, ...] = param((24, 96), help="ambient dimensions (variants)")
    embeddings: tuple[str, ...] = param(
        ("pad", "rotation", "network"), help="embeddings (variants): pad | rotation | network"
    )

    def __post_init__(self):
        if not self.ambient_dims:
            raise InputError("ambient_dims", "give at least one ambient dimension")
        for a in self.ambient_dims:
            check_int("ambient_dims", a, minimum=1, maximum=1 << 14)
            for d in self.base.dims:
                if a < d:
                    raise InputError(
                        "ambient_dims", f"must be >= the intrinsic dimension {d} (got {a})"
                    )
        if not self.embeddings:
            raise InputError("embeddings", f"give at least one of {', '.join(EMBEDDINGS)}")
        for e in self.embeddings:
            check_choice("embeddings", e, EMBEDDINGS)
        if len(self.ambient_dims) * len(self.embeddings) < 2:
            raise InputError("ambient_dims", "need at least two (ambient, embedding) variants")
        variants(self)  # each variant validates itself (e.g. ambient >= d + 1 for a sphere)


@dataclass(frozen=True)
class LossPowersConfig:
    """The data-scaling study ``base`` trained and scored with each loss power, and cross-entropy."""

    base: DataScalingConfig = param(help="the shared study", factory=lambda: LOSS_POWERS_BASE)
    powers: tuple[float, ...] = param((1.0, 2.0, 4.0), help="loss powers p (prediction 2p/d)")
    classification: bool = param(True, help="add the cross-entropy variant (prediction 4/d)")

    def __post_init__(self):
        for p in self.powers:
            check_float("powers", p, minimum=0.25, maximum=8.0)
        if len(self.powers) + int(self.classification) < 2:
            raise InputError(
                "powers", "need at least two losses to compare (powers + cross-entropy)"
            )
        variants(self)


@dataclass(frozen=True)
class TeacherScanConfig:
    """The data-scaling study ``base`` for every teacher rule R^2 and fixed input frequency."""

    base: DataScalingConfig = param(help="the shared study", factory=DataScalingConfig)
    target_r2: tuple[float, ...] = param((0.5, 0.7, 0.9), help="teacher rule R^2 values")
    input_scales: tuple[float, ...] = param((), help="fixed teacher input frequencies (no rule)")

    def __post_init__(self):
        for r in self.target_r2:
            check_float("target_r2", r, minimum=0.05, maximum=0.99)
        for w in self.input_scales:
            check_float("input_scales", w, minimum=0.0, strict_min=True)
        if len(self.target_r2) + len(self.input_scales) < 1:
            raise InputError("target_r2", "give at least one teacher setting")


@dataclass(frozen=True)
class SmoothnessScanConfig:
    """The data-scaling study ``base`` with a Matérn teacher of every smoothness ``nus``.

    The experiment that names the mechanism: piecewise-linear interpolation follows
    alpha d / 2 = min(nu, 2), an NTK-like kernel learner min(nu, d + 1)
    (``teachers.predicted_exponents``); the network's exponents say which line it follows.
    """

    base: DataScalingConfig = param(help="the shared study", factory=lambda: SMOOTHNESS_BASE)
    nus: tuple[float, ...] = param((0.5, 1.5, 2.5, 3.5), help="Matérn smoothness values nu")

    def __post_init__(self):
        from ..fields import MATERN_NUS

        if not self.nus:
            raise InputError("nus", f"give at least one of {', '.join(map(str, MATERN_NUS))}")
        for nu in self.nus:
            if nu not in MATERN_NUS:
                raise InputError(
                    "nus", f"must be among {', '.join(map(str, MATERN_NUS))} (got {nu:g})"
                )
        variants(self)


def variants(config) -> list[Variant]:
    """The labelled variants of an ambient-invariance, loss-powers or teacher-scan config."""
    if isinstance(config, AmbientInvarianceConfig):
        return [
            Variant(
                f"{e}-{a}",
                replace(config.base, ambient_dim=a, embedding=e),
                {"ambient_dim": a, "embedding": e},
            )
            for a in config.ambient_dims
            for e in config.embeddings
        ]
    if isinstance(config, LossPowersConfig):
        base = replace(config.base, teacher=replace(config.base.teacher, task="regression"))
        out = [
            Variant(
                f"|e|^{p:g}",
                replace(
                    base,
                    loss_power=float(p),
                    interpolation_ratio=base.interpolation_ratio ** (p / 2.0),
                ),
                {"loss": f"|y - y_hat|^{p:g}", "loss_power": float(p)},
            )
            for p in config.powers
        ]
        if config.classification:
            out.append(
                Variant(
                    "cross-entropy",
                    replace(
                        base, teacher=replace(base.teacher, task="classification"), loss_power=2.0
                    ),
                    {"loss": "KL(teacher || student), 2 classes, softmax(6 logits)"},
                )
            )
        return out
    if isinstance(config, TeacherScanConfig):
        out = [
            Variant(f"r2_{r:g}", replace(config.base, teacher_target_r2=r), {"target_r2": r})
            for r in config.target_r2
        ]
        out += [
            Variant(
                f"freq_{w:g}",
                replace(
                    config.base,
                    teacher_target_r2=None,
                    teacher=replace(config.base.teacher, input_scale=w),
                ),
                {"input_scale": w},
            )
            for w in config.input_scales
        ]
        return out
    if isinstance(config, SmoothnessScanConfig):
        return [
            Variant(
                f"nu_{nu:g}",
                replace(config.base, teacher=replace(config.base.teacher, kind="matern", nu=nu)),
                {"nu": nu},
            )
            for nu in config.nus
        ]
    raise TypeError(f"not a variants config: {type(config).__name__}")


# --- one sweep, one verdict per (variant, d) ------------------------------------------------------


def run_variants(
    config,
    out_dir,
    *,
    study: str,
    options=None,
    make_figures=True,
    title: str = "",
    alpha_figure: str = "alpha_by_variant",
    alpha_file: str = "alpha_by_variant.png",
) -> dict:
    """Every variant's trials through one sweep, then the data-scaling verdict per (variant, d).

    Each result row carries ``variant`` and ``settings``; the summary also keeps the rows grouped
    as ``variants`` (label, settings, result), the shape earlier summaries had.
    """
    per_variant, unique = [], {}
    for v in variants(config):
        reps = {d: replicates(v.config, d) for d in v.config.dims}
        trials = data_scaling_trials(v.config, reps)
        per_variant.append((v, reps, trials))
        for t in trials:
            unique.setdefault(config_hash(t), t)
    seed = per_variant[0][0].config.seed if per_variant else 0

    def analyse_records(trials, records):
        metrics = {config_hash(t): rec.metrics for t, rec in zip(trials, records)}
        rows, results = [], []
        for i, (v, reps, v_trials) in enumerate(per_variant):
            v_rows = [
                {"variant": v.label, **data_scaling_row(t, metrics[config_hash(t)])}
                for t in v_trials
            ]
            rows.extend(v_rows)
            for verdict in analyse_data_scaling(
                replace(v.config, seed=seed), v_rows, reps, key_path=(i,)
            ):
                results.append(
                    replace(
                        verdict,
                        nu=v.settings.get("nu", verdict.nu),
                        variant=v.label,
                        settings={**v.settings, "d": verdict.d},
                    )
                )
        # The grouped view, the agreement and the readings are about the network (the reference
        # learners' rows stay in ``results``).
        network = [r for r in results if (r.learner or "network") == "network"]
        grouped = [
            {"label": r.variant, "settings": r.settings, "result": r.to_dict()} for r in network
        ]
        fields = {"variants": grouped}
        if study == "ambient-invariance":
            agreement = intervals_agree(network)
            fields.update(agreement=agreement, reading=_invariance_reading(agreement, network))
        elif study == "loss-powers":
            fields["reading"] = _loss_powers_reading(network)
        elif study == "smoothness-scan":
            fields["verdicts"] = smoothness_verdicts(results)
            fields["reading"] = "; ".join(v["reading"] for v in fields["verdicts"])
        fields["teachers"] = {
            v.label: {str(d): teacher_summary(reps[d]) for d in v.config.dims}
            for v, reps, _ in per_variant
        }
        return Analysis(results, rows, fields)

    def figures(summary, analysis, out_dir):
        from ..plots import smoothness_figures, variants_figures

        if study == "smoothness-scan":
            return smoothness_figures(summary, analysis.rows, out_dir)
        return variants_figures(
            summary, analysis.rows, out_dir, title=title, alpha_figure=alpha_figure,
            alpha_file=alpha_file,
        )  # fmt: skip

    spec = Study(study, run_trial, figures, run_trials_on_devices, batch_key)
    run = dict(options=options, make_figures=make_figures)
    return spec.run(config, list(unique.values()), out_dir, analyse_records, **run)


def run_ambient_invariance(
    config: AmbientInvarianceConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Every (ambient dimension, embedding) through one sweep; pairwise interval agreement."""
    return run_variants(
        config, out_dir, study="ambient-invariance", options=options, make_figures=make_figures,
        title="α_D by ambient dimension and embedding", alpha_file="alpha_by_embedding.png",
    )  # fmt: skip


def run_loss_powers(config: LossPowersConfig, out_dir, *, options=None, make_figures=True) -> dict:
    """Every loss through one sweep; alpha per loss against its own prediction (2p/d or 4/d)."""
    return run_variants(
        config, out_dir, study="loss-powers", options=options, make_figures=make_figures,
        title="α_D by loss (prediction 2p/d; cross-entropy 4/d)", alpha_figure="alpha_by_loss",
        alpha_file="alpha_by_loss.png",
    )  # fmt: skip


def run_smoothness_scan(
    config: SmoothnessScanConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Every (d, nu) with a Matérn teacher and every learner through one sweep; which line does
    the network follow, min(nu, 2) (piecewise-linear) or min(nu, d + 1) (kernel)?"""
    return run_variants(
        config, out_dir, study="smoothness-scan", options=options, make_figures=make_figures,
        title="α·d/2 against the teacher's smoothness ν", alpha_figure="smoothness",
        alpha_file="smoothness.png",
    )  # fmt: skip


def smoothness_verdicts(results: list[Verdict]) -> list[dict]:
    """Per d, one decision: does the network's exponent follow the piecewise-linear line
    min(2 nu, 4)/d or the kernel band across nu?

    Only a nu at which the two theories' predictions do not overlap can separate them
    (``discriminating``). The decision needs >= 2 such nu with an exponent that is a test (an
    interval, a verdict, resolution-limited): *piecewise-linear* when at every one of them the
    network is consistent with the piecewise-linear band and inconsistent with the kernel band,
    *kernel* the other way round; otherwise *undetermined*. It uses the same equivalence calls as
    the rows, so it cannot contradict them.
    """
    out = []
    for d in sorted({r.d for r in results}):
        net = [r for r in results if r.d == d and r.learner == "network"]
        points, calls = [], []
        for r in sorted(net, key=lambda r: r.nu):
            pred = r.predicted or {}
            pl, kr = pred.get("piecewise_linear_range"), pred.get("kernel_range")
            separates = bool(pl and kr and max(min(pl), min(kr)) > min(max(pl), max(kr)))
            point = {
                "nu": r.nu,
                "alpha_d_over_2": None if r.alpha is None else r.alpha * d / 2,
                "piecewise_linear": min(r.nu, 2.0),
                "kernel": min(r.nu, d + 1.0),
                "discriminating": separates,
            }
            if r.alpha_ci is not None:
                point["interval"] = [r.alpha_ci[0] * d / 2, r.alpha_ci[1] * d / 2]
            if r.is_test and len(r.agreements) >= 2:
                point["calls"] = {"piecewise_linear": r.agreements[0].call.value,
                                  "kernel": r.agreements[1].call.value}  # fmt: skip
                if separates:
                    calls.append((r.agreements[0].call, r.agreements[1].call))
            points.append(point)
        n_disc = sum(p["discriminating"] for p in points)
        if len(calls) < 2:
            follows = "undetermined"
            text = (
                f"undetermined: {len(calls)} nu with a tested exponent where the piecewise-linear "
                f"and kernel predictions separate ({n_disc} such nu in the scan; 2 are needed)"
            )
        elif all(c == (Agreement.CONSISTENT, Agreement.INCONSISTENT) for c in calls):
            follows, text = "piecewise_linear", "follows the piecewise-linear line min(2 nu, 4)/d"
        elif all(c == (Agreement.INCONSISTENT, Agreement.CONSISTENT) for c in calls):
            follows, text = "kernel", "follows the kernel band"
        else:
            follows = "undetermined"
            text = "undetermined: its equivalence calls do not single out one line at every nu"
        out.append(
            {
                "d": d,
                "follows": follows,
                "excludes_other": follows in ("piecewise_linear", "kernel"),
                "points": points,
                "reading": f"d = {d}: the network's exponent is {text}"
                if follows == "undetermined"
                else f"d = {d}: the network {text}",
            }
        )
    return out


def run_teacher_scan(config: TeacherScanConfig, out_dir, *, options=None, make_figures=True):
    """Every teacher setting through one sweep; also writes ``teacher_scan.json`` (the table)."""
    summary = run_variants(
        config, out_dir, study="teacher-scan", options=options, make_figures=make_figures,
        title="α_D by teacher setting",
    )  # fmt: skip
    rows = [
        {
            "setting": r["variant"],
            "d": r["d"],
            "teacher_linear_r2": (r.get("teacher") or {}).get("linear_r2"),
            "alpha": r["alpha"],
            "alpha_ci": r["alpha_ci"],
            "predicted_alpha": r["predicted_alpha"],
            "ratio": r["ratio"],
            "fit_window": r["fit_window"],
            "reading": r["reading"],
        }
        for r in summary["results"]
        if (r.get("learner") or "network") == "network"
    ]
    table = {"study": "teacher-scan", "rows": rows}
    save_json(Path(out_dir) / "teacher_scan.json", table)
    return table


# --- readings of a family of variants -------------------------------------------------------------


def intervals_agree(verdicts: list[Verdict]) -> dict:
    """Pairwise: is each fitted alpha inside the other's interval? (The ambient-invariance test.)

    Returns ``{"all_agree": bool, "pairs": [...], "spread": max - min alpha}``; a variant without
    a fit (or without an interval) makes ``all_agree`` False.
    """
    label = lambda v: v.variant or str(v.d)  # noqa: E731
    fitted = [v for v in verdicts if v.alpha is not None and v.alpha_ci is not None]
    pairs = []
    for i, a in enumerate(fitted):
        for b in fitted[i + 1 :]:
            a_in_b = b.alpha_ci[0] <= a.alpha <= b.alpha_ci[1]
            b_in_a = a.alpha_ci[0] <= b.alpha <= a.alpha_ci[1]
            overlap = a.alpha_ci[0] <= b.alpha_ci[1] and b.alpha_ci[0] <= a.alpha_ci[1]
            pairs.append(
                {
                    "a": label(a),
                    "b": label(b),
                    "each_inside_other": bool(a_in_b and b_in_a),
                    "intervals_overlap": bool(overlap),
                }
            )
    alphas = [v.alpha for v in fitted]
    complete = len(fitted) == len(verdicts)
    return {
        "all_agree": bool(complete and all(p["each_inside_other"] for p in pairs)),
        "all_overlap": bool(complete and all(p["intervals_overlap"] for p in pairs)),
        "pairs": pairs,
        "spread": float(max(alphas) - min(alphas)) if alphas else None,
        "n_fitted": len(fitted),
        "n_variants": len(verdicts),
    }


def _invariance_reading(agreement: dict, verdicts: list[Verdict]) -> str:
    if agreement["n_fitted"] < agreement["n_variants"]:
        missing = [v.variant or "?" for v in verdicts if v.alpha is None or not v.alpha_ci]
        return f"no exponent for {', '.join(missing)} (window rule): invariance not testable there"
    spread = agreement["spread"]
    # Overlapping intervals fail to show a difference; they do not show equality, so the
    # reading says "no dependence detected", never "invariant" or "consistent".
    if agreement["all_agree"]:
        return (
            f"no dependence detected: every alpha lies inside every other interval "
            f"(spread {spread:.2f})"
        )
    if agreement["all_overlap"]:
        return (
            f"no dependence detected: all intervals overlap, though not every alpha lies inside "
            f"every other interval (spread {spread:.2f})"
        )
    bad = [f"{p['a']} vs {p['b']}" for p in agreement["pairs"] if not p["intervals_overlap"]]
    return f"depends on the variant: disjoint intervals for {', '.join(bad)} (spread {spread:.2f})"


def _loss_powers_reading(verdicts: list[Verdict]) -> str:
    parts = []
    for r in verdicts:
        name = r.variant or "?"
        if r.alpha is None:
            parts.append(f"{name}: no fit")
        else:
            call = r.agreement.value if r.agreement is not None else "no test"
            parts.append(
                f"{name}: alpha = {r.alpha:.2f} vs {r.predicted_alpha:.2f} "
                f"(ratio {r.ratio:.2f}; {call})"
            )
    return "; ".join(parts)


def teacher_scan_table(table: dict) -> str:
    lines = [
        "| setting | d | teacher R² | α_D | 4/d | ratio | window |",
        "|---|---|---|---|---|---|---|",
    ]
    fmt = lambda x: "–" if x is None else f"{x:.2f}"  # noqa: E731
    for r in table["rows"]:
        win = "none" if not r["fit_window"] else f"{r['fit_window'][0]:g}–{r['fit_window'][1]:g}"
        lines.append(
            f"| {r['setting']} | {r['d']} | {fmt(r['teacher_linear_r2'])} | {fmt(r['alpha'])} | "
            f"{r['predicted_alpha']:.2f} | {fmt(r['ratio'])} | {win} |"
        )
    return "\n".join(lines)
