"""The published values a report sets beside ours, and which published setup a run is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..configs import config_to_dict
from ..studies.protocol import StudySummary

# ---------------------------------------------------------------------------------------------
# Published values (as this repository quotes them: README.md, docs/presets.md, docs/results.md)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedValue:
    """One published number at one d, in the quantity's units, and how the source states it."""

    d: int
    value: float
    as_stated: str


@dataclass(frozen=True)
class PublishedQuantity:
    """A published quantity: per-d values, or a law stated for every d (``law(d)``)."""

    name: str  # "alpha" (the run's exponent) | "layer_id" (the last hidden layer's ID)
    label: str  # how it is written in the table: "α_D", "α_N", "last-layer ID"
    values: tuple[PublishedValue, ...] = ()
    law: Callable[[float], float] | None = None
    law_text: str = ""

    def at(self, d: float) -> PublishedValue | None:
        for v in self.values:
            if v.d == d:
                return v
        if self.law is not None:
            return PublishedValue(int(d), self.law(d), self.law_text)
        return None


@dataclass(frozen=True)
class PublishedSetup:
    """A preset that names a published setup, the source of its values and their caveat."""

    preset: str  # the --preset name (studies.presets.PRESETS)
    study: str  # the study whose summary it is matched against
    citation: str
    source: str  # where in the paper the values are
    caveat: str
    quantities: tuple[PublishedQuantity, ...]


# Bahri et al. 2021, Fig. 1b as transcribed second-hand (docs/presets.md): 4/alpha_D at d = 2..9.
_BAHRI_FOUR_OVER_ALPHA = (3.3, 4.3, 5.4, 5.8, 6.6, 7.1, 8.3, 8.8)

PUBLISHED: dict[str, PublishedSetup] = {
    "bahri2021": PublishedSetup(
        preset="bahri2021",
        study="data-scaling",
        citation=(
            "Bahri, Dyer, Kaplan, Lee & Sharma, Explaining neural scaling laws, PNAS 2024 "
            "(arXiv:2102.06701)"
        ),
        source="Fig. 1b (teacher-student, test loss against D), Appendix A.5",
        caveat=(
            "a second-hand transcription of the figure (unverified), stated as 4/α_D; "
            "α_D = 4 / (4/α_D)"
        ),
        quantities=(
            PublishedQuantity(
                "alpha",
                "α_D",
                tuple(
                    PublishedValue(d, 4.0 / x, f"4/α_D ≈ {x:g}")
                    for d, x in zip(range(2, 10), _BAHRI_FOUR_OVER_ALPHA, strict=True)
                ),
            ),
        ),
    ),
    "sharma-kaplan2020": PublishedSetup(
        preset="sharma-kaplan2020",
        study="model-scaling",
        citation=(
            "Sharma & Kaplan, Scaling laws from the data manifold dimension, JMLR 2022 "
            "(arXiv:2004.10802)"
        ),
        source="Sec. 3 and Appendix A (the model-size experiment)",
        caveat=(
            "their stated results, not per-d fitted values: α_N ≈ 4/d, and the last hidden "
            "layer's intrinsic dimension ≈ d"
        ),
        quantities=(
            PublishedQuantity("alpha", "α_N", law=lambda d: 4.0 / d, law_text="α_N ≈ 4/d"),
            PublishedQuantity(
                "layer_id", "last-layer ID", law=lambda d: float(d), law_text="ID ≈ d"
            ),
        ),
    ),
}

# Fields that scale a run without changing its setup: a run equal to a preset except in these is
# that published setup at another size (fewer d, seeds or sizes, another budget).
_SCALE_FIELDS = frozenset(
    {"dims", "sizes", "seeds", "seed", "n_bootstrap", "ci", "budget_fractions"}
)


@dataclass(frozen=True)
class PublishedMatch:
    """A run matched to a published setup: how, and where its config differs from the preset."""

    setup: PublishedSetup
    how: str
    differences: tuple[str, ...] = ()  # dotted config fields that differ from the preset

    @property
    def setup_differences(self) -> tuple[str, ...]:
        """The differences that change the setup, not only its scale."""
        return tuple(d for d in self.differences if d.split(".")[0] not in _SCALE_FIELDS)


def _config_differences(ref, cfg, prefix: str = "") -> list[str]:
    """Dotted fields where ``cfg`` differs from ``ref``; fields the run's config does not hold
    (added to the config after the run) are not differences."""
    if isinstance(ref, dict) and isinstance(cfg, dict):
        out = []
        for k in ref:
            if k in cfg:
                out += _config_differences(ref[k], cfg[k], f"{prefix}{k}.")
        return out
    if _same(ref, cfg):
        return []
    return [prefix.rstrip(".")]


def _same(a, b) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def match_published(summary: StudySummary) -> PublishedMatch | None:
    """The published setup a run is, if any.

    A run started with ``--preset NAME`` records ``preset`` in its summary: it is matched by that
    name, and every config field its flags changed is listed. Any other run is matched when its
    config equals a published preset's in every field both hold except the scale of the design
    (``dims``, ``sizes``, ``seeds``, ``seed``, ``budget_fractions``, bootstrap settings).
    """
    from ..studies.presets import PRESETS

    presets = PRESETS.get(summary.study, {})
    recorded = summary.fields.get("preset")
    if isinstance(recorded, str) and recorded in PUBLISHED and recorded in presets:
        diffs = _config_differences(config_to_dict(presets[recorded]), summary.config)
        return PublishedMatch(
            PUBLISHED[recorded],
            f"run with --preset {recorded} (recorded in summary.json)",
            tuple(diffs),
        )
    for name, preset in presets.items():
        if name not in PUBLISHED:
            continue
        diffs = _config_differences(config_to_dict(preset), summary.config)
        if all(d.split(".")[0] in _SCALE_FIELDS for d in diffs):
            return PublishedMatch(
                PUBLISHED[name], f"config equal to --preset {name}'s setup", tuple(diffs)
            )
    return None
