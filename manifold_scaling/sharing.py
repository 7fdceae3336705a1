"""A run folder as a report to share: ``report.md`` and a self-contained ``report.html``.

:func:`report` reads a study's ``summary.json`` (any study: data-scaling, reproduce,
model-scaling, variance-limited, smoothness-scan, ambient-invariance, digits, ...) and writes the
figures of the run (embedded in the HTML as PNG data URIs), the verdict table
(:func:`manifold_scaling.report.verdict_table`: the network's rows first, then the learners'), the
diagnostics of every row (fit window, excluded cells, resolution, per-size checks, local slopes),
the provenance the summary stores (seed, config, versions, device, trials) and, when the run is a
published setup (:data:`PUBLISHED`, matched by :func:`match_published`), the published values
beside ours with their source. The HTML loads nothing from outside the file (CSS inline, figures
embedded), so it can be mailed or attached as is.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .configs import atomic_write_bytes, config_to_dict
from .errors import InputError
from .report import local_slope_table, verdict_table
from .studies.protocol import SUMMARY_FILE, StudySummary, load_summary
from .studies.verdict import Verdict

__all__ = [
    "PUBLISHED",
    "PublishedMatch",
    "PublishedQuantity",
    "PublishedSetup",
    "PublishedValue",
    "match_published",
    "report",
    "report_html",
    "report_markdown",
]

MD_FILE = "report.md"
HTML_FILE = "report.html"
_PNG = b"\x89PNG\r\n\x1a\n"


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
    from .studies.presets import PRESETS

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


# ---------------------------------------------------------------------------------------------
# The report's content, one structure rendered twice (markdown and HTML)
# ---------------------------------------------------------------------------------------------

_ORDER = {"network": 0, "simplex": 1, "kernel": 2}


def _fmt(x, spec=".2f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    return format(x, spec)


def _interval(ci) -> str:
    return f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"


def _ordered(verdicts: list[Verdict]) -> list[Verdict]:
    return sorted(verdicts, key=lambda v: (_ORDER.get(v.learner or "network", 3), v.d))


def _row_name(v: Verdict, label: str | None = None) -> str:
    parts = [f"d = {v.d:g}"]
    if label:
        parts.insert(0, label)
    if v.learner:
        parts.append(v.learner)
    if v.nu is not None:
        parts.append(f"ν = {v.nu:g}")
    elif v.variant and not label:
        parts.append(v.variant)
    if v.budget_fraction is not None:
        parts.append(f"budget × {v.budget_fraction:g}")
    if v.test_set and v.test_set != "full":
        parts.append(f"{v.test_set} test set")
    return ", ".join(parts)


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Block:
    """One piece of a section: a paragraph, a table, a preformatted text, a list or a figure."""

    kind: str  # "p" | "table" | "pre" | "list" | "figure" | "details"
    text: str = ""
    table: _Table | None = None
    items: tuple[str, ...] = ()
    path: Path | None = None  # a figure's file
    title: str = ""  # a figure's name or a details' summary


@dataclass(frozen=True)
class _Section:
    title: str
    blocks: tuple[_Block, ...]
    level: int = 2


def _parse_md_tables(text: str) -> list[_Block]:
    """Blocks of a renderer's text: its pipe tables as tables, other lines as paragraphs."""
    blocks, rows = [], []

    def flush():
        if rows:
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            body = [c for c in cells[1:] if not all(set(x) <= {"-", ":"} for x in c)]
            blocks.append(_Block("table", table=_Table(tuple(cells[0]), tuple(map(tuple, body)))))
            rows.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            rows.append(line)
            continue
        flush()
        if line.strip():
            blocks.append(_Block("p", line.strip()))
    flush()
    return blocks


def _variant_verdicts(summary: StudySummary) -> list[tuple[str, Verdict]]:
    """(label, verdict) of a study that fits one exponent per variant (ambient-invariance,
    loss-powers): ``variants[i].result``."""
    out = []
    for var in summary.fields.get("variants") or []:
        if isinstance(var, dict) and isinstance(var.get("result"), dict):
            out.append((str(var.get("label", "")), Verdict.from_dict(var["result"])))
    return out


def _alpha_name(summary: StudySummary) -> str:
    axis = next((v.axis for v in summary.results), "D")
    if summary.study == "model-scaling":  # older summaries do not record the axis
        axis = "N"
    return "α_N" if axis == "N" else "α_D"  # digits' axis "real" is its training-set size


def _groups(verdicts: list[Verdict]) -> list[tuple[str, list[Verdict]]]:
    """Rows the verdict table cannot tell apart (one per budget fraction, smoothness or
    variant), as groups, in the order of the summary; one group when there is nothing to split."""
    groups: dict[tuple, list[Verdict]] = {}
    for v in verdicts:
        groups.setdefault((v.variant, v.nu, v.budget_fraction), []).append(v)

    def label(key) -> str:
        variant, nu, fraction = key
        parts = [f"ν = {nu:g}" if nu is not None else f"variant {variant}" if variant else ""]
        parts.append(f"budget × {fraction:g}" if fraction is not None else "")
        return ", ".join(p for p in parts if p) or "all rows"

    return [(label(k), rows) for k, rows in groups.items()]


def _verdict_sections(summary: StudySummary) -> list[_Section]:
    blocks: list[_Block] = []
    if summary.results:
        blocks.append(
            _Block(
                "p",
                "One row per fitted exponent"
                + (
                    " (the network's rows first, then each learner's on the same data)"
                    if any(v.learner for v in summary.results)
                    else ""
                )
                + ": α with its 90 % interval over replicates, the band it is read against, the "
                "equivalence call, the fit window and the reading.",
            )
        )
        groups = _groups(summary.results)
        for label, rows in groups:
            if len(groups) > 1:
                blocks.append(_Block("p", f"**{label}**"))
            table = verdict_table(
                summary if len(groups) == 1 else {"results": [v.to_dict() for v in rows]},
                alpha_name=_alpha_name(summary),
            )
            blocks += _parse_md_tables(table)
    variants = [] if summary.results else _variant_verdicts(summary)
    if variants:
        blocks.append(_Block("p", "One fitted exponent per variant of the base study:"))
        for label, v in variants:
            blocks.append(_Block("p", f"Variant {label}:"))
            blocks += _parse_md_tables(verdict_table({"results": [v.to_dict()]}))
    if not summary.results and not variants:
        text = "This study's summary holds no per-exponent verdicts; its findings are below."
        blocks.append(_Block("p", text))
    reading = summary.fields.get("reading")
    if isinstance(reading, str) and reading:
        blocks.append(_Block("p", f"Reading: {reading}"))
    budget = summary.fields.get("budget_reading")
    if isinstance(budget, dict) and budget:
        blocks.append(_Block("list", items=tuple(f"d = {d}: {t}" for d, t in budget.items())))
    return [_Section("Verdict", tuple(blocks))]


def _per_size_table(per_size: list) -> _Table | None:
    rows = [r for r in per_size if isinstance(r, dict)]
    if not rows:
        return None
    columns = [
        ("size", "D", "g"),
        ("test_loss_mean", "test loss", ".3g"),
        ("train_loss_mean", "train loss", ".3g"),
        ("max_train_test_ratio", "max train/test", ".3f"),
        ("params_per_point", "P/D", ".1f"),
        ("passes", "passes", ""),
    ]
    columns = [c for c in columns if any(c[0] in r for r in rows)]
    body = tuple(
        tuple(
            ("yes" if r.get(k) else "no")
            if k == "passes"
            else _fmt(r.get(k), spec)
            if spec
            else str(r.get(k, "–"))
            for k, _, spec in columns
        )
        for r in rows
    )
    return _Table(tuple(c[1] for c in columns), body)


def _diagnostics_of(v: Verdict) -> list[_Block]:
    items = []
    w = v.window
    if w is not None:
        span = f"{w.lo:g}–{w.hi:g}" if w.lo is not None and w.hi is not None else "none"
        text = f"window: {span} ({w.decades:.2f} decades; at least {w.min_decades:g} wanted)"
        if w.failing_below:
            text += "; failing below: " + ", ".join(f"{x:g}" for x in w.failing_below)
        if w.failing_above:
            text += "; failing above: " + ", ".join(f"{x:g}" for x in w.failing_above)
        items.append(text + (f". Rule: {w.rule}" if w.rule else ""))
    elif v.fit_window:
        items.append(
            f"window: {v.fit_window[0]:g}–{v.fit_window[1]:g} ({v.window_decades:.2f} decades)"
            + (
                f". Rule: {v.diagnostics['window_rule']}"
                if v.diagnostics.get("window_rule")
                else ""
            )
        )
    else:
        items.append("window: none (no run of sizes passes the rule)")
    c = v.cells
    if c is not None:
        text = f"excluded cells: {c.n_excluded} of {c.n_cells} (no verdict above {c.max_share:.0%})"
        if c.replicates_dropped:
            text += f"; {c.replicates_dropped} replicate(s) dropped"
        items.append(text + (f". Rule: {c.rule}" if c.rule else ""))
    r = v.resolution
    if r is not None:
        state = {True: "resolved", False: "not resolved", None: "not decided"}[r.resolved]
        text = f"resolution: {state}"
        if r.nn_spacing is not None and r.length_scale is not None:
            text += (
                f" (median nearest-neighbour spacing {r.nn_spacing:.3g} at D = {r.size} against "
                f"the teacher's length scale {r.length_scale:.3g})"
            )
        items.append(text + (f". Rule: {r.rule}" if r.rule else ""))
    for name, e in (("sensitivity", v.sensitivity), ("other test set", v.alternate)):
        if e is not None:
            items.append(
                f"{name}: α = {_fmt(e.alpha)} {_interval(e.interval)} on {e.test_set} ({e.n})"
            )
    if v.layer_id_twonn_median is not None or v.layer_id_mle_median is not None:
        items.append(
            f"last hidden layer's ID: TwoNN {_fmt(v.layer_id_twonn_median)}, "
            f"MLE {_fmt(v.layer_id_mle_median)}"
        )
    blocks = [_Block("list", items=tuple(items))]
    if c is not None and c.excluded:
        blocks.append(
            _Block("details", title=f"{len(c.excluded)} excluded cells", items=c.excluded)
        )
    per_size = _per_size_table(v.diagnostics.get("per_size") or [])
    if per_size is not None:
        blocks.append(_Block("table", table=per_size))
    return blocks


def _diagnostics_section(summary: StudySummary) -> _Section | None:
    rows = [(None, v) for v in _ordered(summary.results)] or _variant_verdicts(summary)
    if not rows:
        return None
    blocks = [
        _Block(
            "p",
            "Which sizes entered each fit and why: the fit window, the cells excluded by the "
            "convergence rule, whether the data resolve the teacher, and the per-size checks.",
        )
    ]
    for label, v in rows:
        blocks.append(_Block("p", f"**{_row_name(v, label)}**"))
        blocks += _diagnostics_of(v)
    try:
        slopes = local_slope_table(summary) if summary.results else ""
    except (KeyError, TypeError, ValueError, AttributeError):  # an older summary's shape
        slopes = ""
    if slopes.strip():
        blocks.append(_Block("p", "Local slopes as the size doubles:"))
        blocks.append(_Block("pre", slopes))
    return _Section("Diagnostics", tuple(blocks))


def _ours(summary: StudySummary, d: float) -> Verdict | None:
    rows = [v for v in summary.results if v.d == d and (v.learner or "network") == "network"]
    if not rows:
        return None
    return max(rows, key=lambda v: v.budget_fraction if v.budget_fraction is not None else 1.0)


def _published_section(summary: StudySummary) -> _Section | None:
    match = match_published(summary)
    if match is None:
        return None
    s = match.setup
    blocks = [
        _Block(
            "p",
            f"This run is the published setup of {s.citation}: {match.how}. Source of the "
            f"published values: {s.source}; {s.caveat}.",
        )
    ]
    if match.setup_differences:
        blocks.append(
            _Block(
                "p",
                "It differs from the published setup in: "
                + ", ".join(match.setup_differences)
                + " (so the published values are a reference here, not a replication target).",
            )
        )
    scale = [d for d in match.differences if d not in match.setup_differences]
    if scale:
        blocks.append(
            _Block(
                "p",
                "Its scale differs from the preset in: " + ", ".join(scale) + " (the published "
                "values are at the published scale).",
            )
        )
    dims = sorted({v.d for v in summary.results if (v.learner or "network") == "network"})
    for q in s.quantities:
        rows, missing = [], []
        for d in dims:
            pub = q.at(d)
            ours = _ours(summary, d)
            if pub is None:
                missing.append(f"{d:g}")
                continue
            if q.name == "alpha":
                value = ours.alpha if ours else None
                ci = f" {_interval(ours.alpha_ci)}" if ours and ours.alpha_ci else ""
                ratio = value * d / 4 if value is not None else None
                rows.append((
                    f"{d:g}",
                    _fmt(value) + ci,
                    _fmt(ratio),
                    _fmt(pub.value),
                    _fmt(pub.value * d / 4),
                    pub.as_stated,
                    _where(ours),
                ))  # fmt: skip
            else:
                twonn = ours.layer_id_twonn_median if ours else None
                mle = ours.layer_id_mle_median if ours else None
                rows.append((
                    f"{d:g}", f"{_fmt(twonn)} / {_fmt(mle)}", _fmt(pub.value), pub.as_stated,
                    _where(ours),
                ))  # fmt: skip
        if q.name == "alpha":
            header = (
                "d", f"ours: {q.label} [90 % interval]", f"ours: {q.label}/(4/d)",
                f"published {q.label}", f"published {q.label}/(4/d)", "as published", "ours at",
            )  # fmt: skip
        else:
            header = ("d", f"ours: {q.label} (TwoNN / MLE)", "published", "as published", "ours at")
        if rows:
            blocks.append(_Block("table", table=_Table(header, tuple(rows))))
        if missing:
            blocks.append(_Block("p", f"No published {q.label} at d = {', '.join(missing)}."))
    return _Section("Published values beside ours", tuple(blocks))


def _where(v: Verdict | None) -> str:
    if v is None:
        return "not in this run"
    if v.alpha is None:
        return "no exponent (see the verdict's reading)"
    out = f"window {v.fit_window[0]:g}–{v.fit_window[1]:g}" if v.fit_window else "no window"
    if v.budget_fraction is not None:
        out += f", budget × {v.budget_fraction:g}"
    return out


def _flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(data, dict):
        out = []
        for k, v in data.items():
            out += _flatten(v, f"{prefix}{k}.")
        return out
    return [(prefix.rstrip("."), _fmt(data, "g") if isinstance(data, float) else str(data))]


def _seed(config: dict):
    while isinstance(config, dict):
        if "seed" in config:
            return config["seed"]
        config = config.get("base")
    return None


def _provenance_section(summary: StudySummary) -> _Section:
    rows = [("study", summary.study)]
    seed = _seed(summary.config)
    rows.append(("master seed", "–" if seed is None else str(seed)))
    for key in ("preset", "overrides"):
        if key in summary.fields and summary.fields[key]:
            v = summary.fields[key]
            rows.append((key, ", ".join(map(str, v)) if isinstance(v, list) else str(v)))
    trials = summary.sweep.get("trials")
    if isinstance(trials, dict):
        rows.append(("trials", ", ".join(f"{k} {v}" for k, v in trials.items())))
    records = summary.sweep.get("records")
    if isinstance(records, dict):
        rows.append(("records", ", ".join(f"{k}: {v}" for k, v in records.items())))
    blocks = [_Block("table", table=_Table(("", "value"), tuple(rows)))]
    prov = summary.provenance or {}
    for key in ("versions", "device"):
        if isinstance(prov.get(key), dict) and prov[key]:
            blocks.append(_Block("p", f"{key.capitalize()}:"))
            blocks.append(_Block("table", table=_Table(("", ""), tuple(_flatten(prov[key])))))
    others = {k: v for k, v in prov.items() if k not in ("versions", "device")}
    if others:
        blocks.append(_Block("table", table=_Table(("provenance", ""), tuple(_flatten(others)))))
    blocks.append(
        _Block("details", title="Config (summary.json)", text=json.dumps(summary.config, indent=2))
    )
    return _Section("Provenance", tuple(blocks))


# Summary fields shown in other sections.
_SHOWN = {"reading", "budget_reading", "variants", "preset", "overrides", "pooled"}


def _findings_section(summary: StudySummary) -> _Section | None:
    """The study's own summary fields (what only it has), scalars as a table, the rest folded."""
    scalars, compound = [], []
    for k, v in summary.fields.items():
        if k in _SHOWN or v is None:
            continue
        if isinstance(v, dict | list):
            compound.append(_Block("details", title=k, text=json.dumps(v, indent=2)))
        else:
            scalars.append((k, _fmt(v, ".4g") if isinstance(v, float) else str(v)))
    if not scalars and not compound:
        return None
    blocks = []
    if scalars:
        blocks.append(_Block("table", table=_Table(("field", "value"), tuple(scalars))))
    blocks += compound
    return _Section("Study fields", tuple(blocks))


def _figures_section(summary: StudySummary, run_dir: Path) -> _Section:
    blocks = []
    for name, file in (summary.figures or {}).items():
        path = run_dir / str(file)
        ok = path.is_file() and path.read_bytes()[:8] == _PNG
        blocks.append(_Block("figure", path=path if ok else None, title=str(name), text=str(file)))
    if not blocks:
        blocks.append(
            _Block("p", "The run holds no figures (run without --no-figures to draw them).")
        )
    return _Section("Figures", tuple(blocks))


def _sub_runs(run_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in run_dir.glob(f"*/{SUMMARY_FILE}") if p.is_file())


def _content(summary: StudySummary, run_dir: Path) -> tuple[str, list[_Section]]:
    title = f"{summary.study or 'study'} report: {run_dir.resolve().name}"
    sections = _verdict_sections(summary)
    published = _published_section(summary)
    if published is not None:
        sections.append(published)
    sections.append(_figures_section(summary, run_dir))
    diagnostics = _diagnostics_section(summary)
    if diagnostics is not None:
        sections.append(diagnostics)
    findings = _findings_section(summary)
    if findings is not None:
        sections.append(findings)
    sections.append(_provenance_section(summary))
    subs = _sub_runs(run_dir)
    if subs:
        sections.append(
            _Section(
                "Runs inside this folder",
                (
                    _Block(
                        "p",
                        "Each has its own summary.json; report it with "
                        "`manifold-scaling report RUN_DIR/NAME`:",
                    ),
                    _Block("list", items=tuple(subs)),
                ),
            )
        )
    return title, sections


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(t: _Table) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in t.header) + " |"]
    lines.append("|" + "---|" * len(t.header))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return lines


def _render_md(title: str, sections: list[_Section], md_dir: Path) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += ["#" * s.level + " " + s.title, ""]
        for b in s.blocks:
            if b.kind == "p":
                out += [b.text, ""]
            elif b.kind == "table":
                out += [*_md_table(b.table), ""]
            elif b.kind == "pre":
                out += ["```", b.text, "```", ""]
            elif b.kind == "list":
                out += [f"- {i}" for i in b.items] + [""]
            elif b.kind == "details":
                if b.items:
                    out += [f"{b.title}:", ""] + [f"- {i}" for i in b.items] + [""]
                elif b.title.startswith("Config"):
                    out += [f"{b.title}:", "", "```json", b.text, "```", ""]
                else:  # long JSON stays in summary.json (and folded in the HTML)
                    out += [f"{b.title}: see `summary.json` (folded in report.html).", ""]
            elif b.kind == "figure":
                if b.path is None:
                    out += [f"{b.title}: `{b.text}` is listed in summary.json but missing.", ""]
                else:
                    rel = Path(os.path.relpath(b.path.resolve(), md_dir.resolve())).as_posix()
                    out += [f"![{b.title}]({rel})", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;
 background:#fff;margin:0;padding:24px 32px;line-height:1.45;font-size:15px}
main{max-width:1140px;margin:0 auto}
h1{font-size:26px;border-bottom:2px solid #d0d7de;padding-bottom:6px}
h2{font-size:20px;margin-top:30px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:10px 0 16px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}
td.n{white-space:nowrap}
tr:nth-child(even) td{background:#f8fafc}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow-x:auto;font-size:12px}
details{margin:6px 0 12px}
summary{cursor:pointer;color:#0b5cad}
.figures{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:8px 0 14px;flex:1 1 460px;max-width:560px}
figure img{width:100%;height:auto;border:1px solid #d0d7de}
figcaption{font-size:13px;color:#57606a}
.missing{color:#9a3412}
"""


def _inline(text: str) -> str:
    """Escaped text, with the markdown this module writes (**bold**, `code`) as HTML."""
    out = html.escape(text)
    parts = out.split("**")
    out = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = out.split("`")
    if len(parts) % 2:  # balanced backticks only
        out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    return out


def _td(text: str) -> str:
    cls = ' class="n"' if len(text) <= 24 else ""  # short cells do not wrap
    return f"<td{cls}>{html.escape(text)}</td>"


def _html_table(t: _Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render_html(title: str, sections: list[_Section]) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for s in sections:
        out.append(f"<section><h{s.level}>{html.escape(s.title)}</h{s.level}>")
        in_figures = False
        for b in s.blocks:
            if (b.kind == "figure" and b.path is not None) != in_figures:
                in_figures = not in_figures
                out.append('<div class="figures">' if in_figures else "</div>")
            if b.kind == "p":
                out.append(f"<p>{_inline(b.text)}</p>")
            elif b.kind == "table":
                out.append(_html_table(b.table))
            elif b.kind == "pre":
                out.append(f"<pre>{html.escape(b.text)}</pre>")
            elif b.kind == "list":
                out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>")
            elif b.kind == "details":
                inner = (
                    "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b.items) + "</ul>"
                    if b.items
                    else f"<pre>{html.escape(b.text)}</pre>"
                )
                out.append(f"<details><summary>{html.escape(b.title)}</summary>{inner}</details>")
            elif b.kind == "figure":
                if b.path is None:
                    out.append(
                        f'<p class="missing">{html.escape(b.title)}: {html.escape(b.text)} is '
                        "listed in summary.json but missing from the run folder.</p>"
                    )
                    continue
                data = base64.b64encode(b.path.read_bytes()).decode("ascii")
                out.append(
                    f'<figure><img alt="{html.escape(b.title)}" '
                    f'src="data:image/png;base64,{data}"><figcaption>{html.escape(b.title)} '
                    f"({html.escape(b.text)})</figcaption></figure>"
                )
        out.append("</div></section>" if in_figures else "</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _load(run_dir: Path) -> StudySummary:
    expected = (
        f"expected a run folder holding {SUMMARY_FILE} (the output folder of a study: "
        "manifold-scaling data-scaling, reproduce, model-scaling, ... --out DIR)"
    )
    if not run_dir.is_dir():
        raise InputError("RUN_DIR", f"{str(run_dir)!r} is not a folder; {expected}")
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        raise InputError("RUN_DIR", f"{str(run_dir)!r} holds no run: no {SUMMARY_FILE}; {expected}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError("RUN_DIR", f"cannot read {str(path)!r}: {err}") from None
    if not isinstance(data, dict) or not ("study" in data or "results" in data):
        raise InputError("RUN_DIR", f"{str(path)!r} is not a study's summary; {expected}")
    try:
        return load_summary(path)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError("RUN_DIR", f"{str(path)!r} is not a study's summary ({err})") from None


def report_markdown(run_dir, out=None) -> str:
    """The text of ``report.md`` for ``run_dir`` (figures linked relative to ``out``)."""
    run_dir = Path(run_dir)
    title, sections = _content(_load(run_dir), run_dir)
    return _render_md(title, sections, Path(out) if out is not None else run_dir)


def report_html(run_dir) -> str:
    """The text of the self-contained ``report.html`` for ``run_dir``."""
    run_dir = Path(run_dir)
    title, sections = _content(_load(run_dir), run_dir)
    return _render_html(title, sections)


def report(run_dir, out=None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` for the run in ``run_dir`` into ``out`` (default:
    ``run_dir``); returns their paths. Raises :class:`InputError` (and writes nothing) when
    ``run_dir`` holds no run or ``out`` cannot be a folder."""
    run_dir = Path(run_dir)
    summary = _load(run_dir)
    out_dir = Path(out) if out is not None else run_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("--out", f"{str(out_dir)!r} exists and is not a folder")
    title, sections = _content(summary, run_dir)
    md = _render_md(title, sections, out_dir)
    page = _render_html(title, sections)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / MD_FILE, out_dir / HTML_FILE
    atomic_write_bytes(md_path, md.encode("utf-8"))
    atomic_write_bytes(html_path, page.encode("utf-8"))
    return md_path, html_path
