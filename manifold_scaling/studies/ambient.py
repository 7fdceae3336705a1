"""Ambient invariance: the exponent depends on the intrinsic dimension d, not on the ambient one.

Sharma & Kaplan 2020 (Sec. 2) and Bahri et al. 2021 (Sec. 2.2): the spacing of D points on a
d-dimensional manifold is D^(-1/d) however the manifold sits in the input space, so alpha_D ~ 4/d
should not move when the same d is embedded in more ambient dimensions, or by a different map
(zero padding, a random rotation, a curved network embedding). The test: every variant's fitted
alpha lies inside every other variant's interval (``regimes.intervals_agree``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..configs import config_to_dict
from ..errors import InputError, check_choice, check_int
from ..manifolds import EMBEDDINGS
from ..provenance import provenance
from ..students import StudentConfig
from ..training import TrainConfig
from .data_scaling import DataScalingConfig
from .regimes import Variant, intervals_agree, run_variants, save_variants_summary

__all__ = ["AMBIENT_BASE", "AmbientInvarianceConfig", "run_ambient_invariance", "variants"]

# Four seeds: with two, a stratified bootstrap has almost nothing to resample and the intervals
# come out narrower than the seed-to-seed scatter between variants.
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


@dataclass(frozen=True)
class AmbientInvarianceConfig:
    """The data-scaling study ``base`` for every (ambient dimension, embedding) pair."""

    base: DataScalingConfig = field(default_factory=lambda: AMBIENT_BASE)
    ambient_dims: tuple[int, ...] = (24, 96)
    embeddings: tuple[str, ...] = ("pad", "rotation", "network")

    def __post_init__(self):
        if not self.ambient_dims:
            raise InputError("--ambient-dims", "give at least one ambient dimension")
        for a in self.ambient_dims:
            check_int("--ambient-dims", a, minimum=1, maximum=1 << 14)
            for d in self.base.dims:
                if a < d:
                    raise InputError(
                        "--ambient-dims", f"must be >= the intrinsic dimension {d} (got {a})"
                    )
        if not self.embeddings:
            raise InputError("--embeddings", f"give at least one of {', '.join(EMBEDDINGS)}")
        for e in self.embeddings:
            check_choice("--embeddings", e, EMBEDDINGS)
        if len(self.ambient_dims) * len(self.embeddings) < 2:
            raise InputError("--ambient-dims", "need at least two (ambient, embedding) variants")
        variants(self)  # each variant validates itself (e.g. ambient >= d + 1 for a sphere)


def variants(config: AmbientInvarianceConfig) -> list[Variant]:
    return [
        Variant(
            label=f"{e}-{a}",
            config=replace(config.base, ambient_dim=a, embedding=e),
            settings={"ambient_dim": a, "embedding": e},
        )
        for a in config.ambient_dims
        for e in config.embeddings
    ]


def run_ambient_invariance(
    config: AmbientInvarianceConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Run every variant through one sweep; table, pairwise interval agreement, figures."""
    out_dir = Path(out_dir)
    res = run_variants(
        variants(config),
        out_dir,
        study="ambient-invariance",
        sweep_config=config_to_dict(config),
        options=options,
    )
    agreement = intervals_agree(res.verdicts)
    summary = {
        "study": "ambient-invariance",
        "config": config_to_dict(config),
        "variants": [v.to_dict() for v in res.verdicts],
        "agreement": agreement,
        "reading": _reading(agreement, res.verdicts),
        "provenance": provenance(),
        **res.sweep,
    }
    return save_variants_summary(
        summary,
        res.rows,
        out_dir,
        make_figures=make_figures,
        alpha_figure="alpha_by_variant",
        alpha_file="alpha_by_embedding.png",
        title="α_D by ambient dimension and embedding",
    )


def _reading(agreement: dict, verdicts) -> str:
    if agreement["n_fitted"] < agreement["n_variants"]:
        missing = [v.label for v in verdicts if v.verdict.alpha is None]
        return f"no exponent for {', '.join(missing)} (window rule): invariance not testable there"
    spread = agreement["spread"]
    if agreement["all_agree"]:
        return (
            f"ambient-invariant: every alpha lies inside every other interval (spread {spread:.2f})"
        )
    if agreement["all_overlap"]:
        return (
            f"consistent: all intervals overlap, though not every alpha lies inside every other "
            f"interval (spread {spread:.2f})"
        )
    bad = [f"{p['a']} vs {p['b']}" for p in agreement["pairs"] if not p["intervals_overlap"]]
    return f"not invariant: disjoint intervals for {', '.join(bad)} (spread {spread:.2f})"
