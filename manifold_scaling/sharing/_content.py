"""What a report holds: its sections in order (verdict, published values, figures,
diagnostics, study fields, provenance, sub-runs)."""

from __future__ import annotations

import json
from pathlib import Path

from ..studies.protocol import SUMMARY_FILE, StudySummary
from ..studies.verdict import Verdict
from ._model import _Block, _fmt, _interval, _Section, _Table
from ._published import match_published
from ._verdicts import _diagnostics_section, _verdict_sections

_PNG = b"\x89PNG\r\n\x1a\n"


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
