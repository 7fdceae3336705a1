"""Labelled variants of the data-scaling study, run as one sweep and read side by side.

Ambient invariance (the same d in several ambient spaces) and loss powers (|y - y_hat|^p and
cross-entropy) are both "the data-scaling verdict, under several settings": each variant is a
:class:`DataScalingConfig`, every variant's trials go through one call of the sweep runner (one
manifest, one table, resumable), and each variant is analysed with the data-scaling window rule
(:func:`data_scaling.analyse_dimension`). Trials shared by two variants run once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax

from ..configs import config_hash, save_json
from .data_scaling import (
    DataScalingConfig,
    DimensionVerdict,
    analyse_dimension,
    calibrated_teachers,
    trial_configs,
)
from .trial import batch_key, run_trial, run_trials_on_devices

__all__ = ["Variant", "VariantVerdict", "intervals_agree", "run_variants"]


@dataclass(frozen=True)
class Variant:
    """A labelled data-scaling config, with the settings that distinguish it (for the table)."""

    label: str
    config: DataScalingConfig
    settings: dict


@dataclass(frozen=True)
class VariantVerdict:
    label: str
    settings: dict
    verdict: DimensionVerdict

    def to_dict(self) -> dict:
        return {"label": self.label, "settings": self.settings, "result": self.verdict.to_dict()}


@dataclass(frozen=True)
class VariantsResult:
    verdicts: list[VariantVerdict]
    rows: list[dict]  # one per (variant, trial): variant label, d, n_train, seed, metrics
    sweep: dict  # trial counts and the runner's files


def run_variants(
    variants: list[Variant], out_dir, *, study: str, sweep_config, options=None
) -> VariantsResult:
    """Every variant's trials through one sweep, then the data-scaling verdict per (variant, d)."""
    from ..sweep import SweepOptions, run_sweep

    options = options or SweepOptions()
    per_variant, unique = [], {}
    for v in variants:
        teachers = calibrated_teachers(v.config)
        trials = trial_configs(v.config, teachers)
        per_variant.append((v, teachers, trials))
        for t in trials:
            unique.setdefault(config_hash(t), t)
    result = run_sweep(
        run_trial,
        list(unique.values()),
        Path(out_dir),
        options=options,
        batch_fn=run_trials_on_devices,
        batch_key=batch_key,
        study=study,
        sweep_config=sweep_config,
    )
    metrics = {config_hash(t): rec.metrics for t, rec in zip(unique.values(), result.records)}
    key = jax.random.key(variants[0].config.seed if variants else 0)
    rows, verdicts = [], []
    for i, (v, teachers, trials) in enumerate(per_variant):
        v_rows = [
            {
                "variant": v.label,
                "d": t.manifold.intrinsic_dim,
                "n_train": t.n_train,
                "seed": t.seed,
                **metrics[config_hash(t)],
            }
            for t in trials
        ]
        rows.extend(v_rows)
        for d in v.config.dims:
            verdict = analyse_dimension(
                d,
                [r for r in v_rows if r["d"] == d],
                v.config,
                teachers[d][1],
                key=jax.random.fold_in(jax.random.fold_in(key, i), d),
            )
            verdicts.append(VariantVerdict(v.label, {**v.settings, "d": d}, verdict))
    sweep = {
        "trials": {"total": len(unique), "run": result.n_run, "skipped": result.n_skipped},
        "records": {"table": result.table_path.name, "manifest": result.manifest_path.name},
    }
    return VariantsResult(verdicts, rows, sweep)


def intervals_agree(verdicts: list[VariantVerdict]) -> dict:
    """Pairwise: is each fitted alpha inside the other's interval? (The ambient-invariance test.)

    Returns ``{"all_agree": bool, "pairs": [...], "spread": max - min alpha}``; a variant without
    a fit makes ``all_agree`` False.
    """
    pairs, fitted = [], [v for v in verdicts if v.verdict.alpha is not None]
    for i, a in enumerate(fitted):
        for b in fitted[i + 1 :]:
            a_in_b = b.verdict.alpha_ci[0] <= a.verdict.alpha <= b.verdict.alpha_ci[1]
            b_in_a = a.verdict.alpha_ci[0] <= b.verdict.alpha <= a.verdict.alpha_ci[1]
            overlap = (
                a.verdict.alpha_ci[0] <= b.verdict.alpha_ci[1]
                and b.verdict.alpha_ci[0] <= a.verdict.alpha_ci[1]
            )
            pairs.append(
                {
                    "a": a.label,
                    "b": b.label,
                    "each_inside_other": bool(a_in_b and b_in_a),
                    "intervals_overlap": bool(overlap),
                }
            )
    alphas = [v.verdict.alpha for v in fitted]
    return {
        "all_agree": bool(
            len(fitted) == len(verdicts) and all(p["each_inside_other"] for p in pairs)
        ),
        "all_overlap": bool(
            len(fitted) == len(verdicts) and all(p["intervals_overlap"] for p in pairs)
        ),
        "pairs": pairs,
        "spread": float(max(alphas) - min(alphas)) if alphas else None,
        "n_fitted": len(fitted),
        "n_variants": len(verdicts),
    }


def save_variants_summary(
    summary: dict,
    rows: list[dict],
    out_dir,
    *,
    make_figures: bool,
    alpha_figure: str,
    alpha_file: str,
    title: str,
) -> dict:
    """Write a variants study's summary.json and, if asked, its two figures (alpha per variant,
    loss vs D), recording the figure names in the summary under ``alpha_figure`` and
    ``loss_vs_size``."""
    out_dir = Path(out_dir)
    save_json(out_dir / "summary.json", summary)
    if make_figures:
        from ..plots_regimes import variants_alpha_plot, variants_loss_plot

        summary["figures"] = {
            alpha_figure: Path(
                variants_alpha_plot(summary, out_dir / alpha_file, title=title)
            ).name,
            "loss_vs_size": Path(
                variants_loss_plot(summary, rows, out_dir / "loss_vs_size.png")
            ).name,
        }
        save_json(out_dir / "summary.json", summary)
    return summary
