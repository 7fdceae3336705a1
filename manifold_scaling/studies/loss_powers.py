"""Loss powers and cross-entropy: the resolution argument beyond mean squared error.

Sharma & Kaplan 2020 (Sec. 2): the interpolation error between training points is O(s^2) with
s ~ D^(-1/d), so a loss |y - y_hat|^p scales as s^(2p) ~ D^(-2p/d); cross-entropy is quadratic in
the logit error near its minimum (KL(teacher || student), ``training.soft_cross_entropy_kl``), so
it scales like MSE, D^(-4/d). Each variant is the data-scaling study with a different loss; the
interpolation rule train <= r x test is stated for MSE and carried to |e|^p as r^(p/2) (the same
ratio of error magnitudes), so every variant is judged by the same standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..configs import config_to_dict
from ..errors import InputError, check_float
from ..provenance import provenance
from .ambient import AMBIENT_BASE
from .data_scaling import DataScalingConfig
from .regimes import Variant, run_variants, save_variants_summary

__all__ = ["LOSS_POWERS_BASE", "LossPowersConfig", "run_loss_powers", "variants"]

LOSS_POWERS_BASE = replace(AMBIENT_BASE, seeds=2)


@dataclass(frozen=True)
class LossPowersConfig:
    """The data-scaling study ``base`` trained and scored with each loss power, and cross-entropy."""

    base: DataScalingConfig = field(default_factory=lambda: LOSS_POWERS_BASE)
    powers: tuple[float, ...] = (1.0, 2.0, 4.0)
    classification: bool = True

    def __post_init__(self):
        for p in self.powers:
            check_float("--powers", p, minimum=0.25, maximum=8.0)
        if len(self.powers) + int(self.classification) < 2:
            raise InputError(
                "--powers", "need at least two losses to compare (powers + cross-entropy)"
            )
        variants(self)


def variants(config: LossPowersConfig) -> list[Variant]:
    base = replace(config.base, teacher=replace(config.base.teacher, task="regression"))
    out = [
        Variant(
            label=f"|e|^{p:g}",
            config=replace(
                base,
                loss_power=float(p),
                interpolation_ratio=base.interpolation_ratio ** (p / 2.0),
            ),
            settings={"loss": f"|y - y_hat|^{p:g}", "loss_power": float(p)},
        )
        for p in config.powers
    ]
    if config.classification:
        out.append(
            Variant(
                label="cross-entropy",
                config=replace(
                    base, teacher=replace(base.teacher, task="classification"), loss_power=2.0
                ),
                settings={"loss": "KL(teacher || student), 2 classes, softmax(6 logits)"},
            )
        )
    return out


def run_loss_powers(config: LossPowersConfig, out_dir, *, options=None, make_figures=True) -> dict:
    """Every loss through one sweep; alpha per loss against its own prediction (2p/d or 4/d)."""
    out_dir = Path(out_dir)
    res = run_variants(
        variants(config),
        out_dir,
        study="loss-powers",
        sweep_config=config_to_dict(config),
        options=options,
    )
    summary = {
        "study": "loss-powers",
        "config": config_to_dict(config),
        "variants": [v.to_dict() for v in res.verdicts],
        "reading": _reading(res.verdicts),
        "provenance": provenance(),
        **res.sweep,
    }
    return save_variants_summary(
        summary,
        res.rows,
        out_dir,
        make_figures=make_figures,
        alpha_figure="alpha_by_loss",
        alpha_file="alpha_by_loss.png",
        title="α_D by loss (prediction 2p/d; cross-entropy 4/d)",
    )


def _reading(verdicts) -> str:
    parts = []
    for v in verdicts:
        r = v.verdict
        if r.alpha is None:
            parts.append(f"{v.label}: no fit")
        else:
            parts.append(
                f"{v.label}: alpha = {r.alpha:.2f} vs {r.predicted_alpha:.2f} "
                f"(ratio {r.ratio:.2f}{', interval contains it' if r.consistent else ''})"
            )
    return "; ".join(parts)
