"""The report's verdict and diagnostics sections: one row per fitted exponent, and which
sizes entered each fit and why."""

from __future__ import annotations

from ..report import local_slope_table, verdict_table
from ..studies.protocol import StudySummary
from ..studies.verdict import Verdict
from ._model import _Block, _fmt, _interval, _parse_md_tables, _Section, _Table

_ORDER = {"network": 0, "simplex": 1, "kernel": 2}


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
                summary if len(groups) == 1 else list(rows),
                alpha_name=_alpha_name(summary),
            )
            blocks += _parse_md_tables(table)
    variants = [] if summary.results else _variant_verdicts(summary)
    if variants:
        blocks.append(_Block("p", "One fitted exponent per variant of the base study:"))
        for label, v in variants:
            blocks.append(_Block("p", f"Variant {label}:"))
            blocks += _parse_md_tables(verdict_table([v]))
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
