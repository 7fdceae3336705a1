"""A finished sweep or a study's summary as a pandas DataFrame.

pandas is an optional extra (``pip install 'manifold_scaling[dataframes]'``), imported only when a
function here is called; without it they raise an ImportError that names the extra.

- :func:`to_dataframe` ``(out_dir)``: one row per trial record (the columns of ``trials.csv``:
  ``config_hash``, ``config.*`` flattened with dots, scalar ``metrics.*``, then ``study``,
  ``run.*`` and ``wall_time_s``).
- :func:`summary_to_dataframe` ``(summary_or_path)``: one row per fitted exponent of a study's
  ``summary.json`` (``d``, ``alpha``, ``alpha_ci_lo``/``_hi``, ``predicted_alpha``, ``ratio``,
  ``fit_window_lo``/``_hi``, ``reading``, ``alpha_spread``, ``variant`` and ``learner`` when
  the study has them, ...).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .aggregate import JSONL_FILE, TABLE_FILE, _flatten, read_manifest, table_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["summary_to_dataframe", "to_dataframe"]

log = logging.getLogger(__name__)

EXTRA = "dataframes"
SUMMARY_FILE = "summary.json"

#: The leading columns of :func:`summary_to_dataframe`, in order (others follow them).
SUMMARY_COLUMNS = (
    "study",
    "variant",
    "learner",
    "d",
    "alpha",
    "alpha_ci_lo",
    "alpha_ci_hi",
    "predicted_alpha",
    "ratio",
    "alpha_spread",
    "n_replicates",
    "interval",
    "fit_window_lo",
    "fit_window_hi",
    "window_decades",
    "consistent",
    "within_tolerance",
    "reading",
)


def _pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError(
            "DataFrames need pandas, an optional extra of manifold_scaling: "
            f"pip install 'manifold_scaling[{EXTRA}]' (or pip install pandas)"
        ) from err
    return pandas


# --- trials --------------------------------------------------------------------------------------


def to_dataframe(out_dir) -> pd.DataFrame:
    """One row per complete trial of the sweep in ``out_dir``, in the sweep's config order.

    Columns are those of ``trials.csv``: ``config_hash``, every config field flattened with dots
    (``config.manifold.intrinsic_dim``; list values as JSON text, as in the CSV), every scalar
    metric (``metrics.test_loss``), then the record's ``study``, its run information (``run.*``:
    backend, attempts, ...) and ``wall_time_s``. Records are checksum-verified; missing or corrupt
    ones are left out with a logged warning (a sweep still running can be inspected).

    A folder that kept only the sweep's tables (``trials.csv`` or ``trials.jsonl``, as the
    notebooks' saved results do) is read from them instead; then there is no ``run.*``.
    """
    pd = _pandas()
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{out_dir} is not a sweep's output folder")
    manifest = read_manifest(out_dir)
    if manifest is not None:
        hashes = list(manifest["config_hashes"])
    else:
        hashes = sorted(p.name for p in (out_dir / "trials").glob("*") if p.is_dir())
    if not hashes:
        return _from_tables(pd, out_dir)
    columns, rows = table_rows(out_dir, hashes)
    if len(rows) < len(hashes):
        log.warning(
            "%s: %d of %d trials have no complete record and are left out",
            out_dir,
            len(hashes) - len(rows),
            len(hashes),
        )
    records = []
    for row, record in rows:
        row = dict(row)
        row["study"] = record.study
        _flatten("run", record.run or {}, row, scalars_only=True)
        records.append(row)
    extra = [c for r in records for c in r if c not in columns]
    order = [c for c in columns if c != "wall_time_s"] + list(dict.fromkeys(extra))
    return pd.DataFrame.from_records(records, columns=[*order, "wall_time_s"])


def _from_tables(pd, out_dir: Path) -> pd.DataFrame:
    """The sweep's ``trials.csv`` (or ``trials.jsonl``) when its trial records are not there."""
    if (out_dir / TABLE_FILE).is_file():
        return pd.read_csv(out_dir / TABLE_FILE)
    if (out_dir / JSONL_FILE).is_file():
        records = []
        for line in (out_dir / JSONL_FILE).read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            row = {"config_hash": entry.get("config_hash")}
            _flatten("config", entry.get("config", {}), row, scalars_only=False)
            _flatten("metrics", entry.get("metrics", {}), row, scalars_only=True)
            row["wall_time_s"] = entry.get("wall_time_s")
            records.append(row)
        return pd.DataFrame.from_records(records)
    raise FileNotFoundError(
        f"{out_dir} holds no sweep: no manifest.json, trials/ records, {TABLE_FILE} or {JSONL_FILE}"
    )


# --- summaries -----------------------------------------------------------------------------------


def summary_to_dataframe(summary_or_path) -> pd.DataFrame:
    """One row per fitted exponent of a study's summary, with flat columns.

    ``summary_or_path`` is a ``summary.json`` path, the folder holding it, the dict it holds, or a
    :class:`~manifold_scaling.studies.StudySummary`. Rows come from ``results`` (one per d, or per
    (variant, d)); a summary written before results carried their variant (``variants`` of
    ``{label, settings, result}``) gives the same rows. Columns start with
    :data:`SUMMARY_COLUMNS` (``alpha_ci`` and ``fit_window`` split into ``_lo``/``_hi``;
    ``n_replicates`` counts ``alpha_replicates``), then any other scalar field of a result
    (``floor``, ``resolution_alpha``, ...), the fit's ``amplitude``, and ``settings.*`` and
    ``teacher.*`` flattened. Fields an older summary lacks are missing (NaN / None), never an error.

    A study without per-exponent results (``compute-frontier``: one joint fit, in
    ``summary["fit"]``) gives an empty frame with these columns.
    """
    pd = _pandas()
    summary = _summary_dict(summary_or_path)
    study = summary.get("study")
    entries = _result_entries(summary)
    rows = [_result_row(result, variant, settings, study) for result, variant, settings in entries]
    # ``variant`` and ``learner`` label rows only in the studies that have them.
    leading = [
        c
        for c in SUMMARY_COLUMNS
        if c not in ("variant", "learner") or any(r.get(c) is not None for r in rows)
    ]
    rest = list(dict.fromkeys(c for r in rows for c in r if c not in SUMMARY_COLUMNS))
    return pd.DataFrame.from_records(rows, columns=[*leading, *rest])


def _summary_dict(summary_or_path) -> dict:
    if hasattr(summary_or_path, "to_dict") and not isinstance(summary_or_path, dict):
        return summary_or_path.to_dict()
    if isinstance(summary_or_path, dict):
        return summary_or_path
    path = Path(summary_or_path)
    if path.is_dir():
        path = path / SUMMARY_FILE
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a study summary (a JSON object)")
    return data


def _result_entries(summary: dict) -> list[tuple[dict, Any, dict]]:
    """``(result, variant, settings)`` for every per-exponent result of a summary."""
    results = summary.get("results")
    results = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    if results:
        return [(r, r.get("variant"), r.get("settings") or {}) for r in results]
    variants = summary.get("variants")
    if isinstance(variants, list):  # summaries from before results carried their variant
        return [
            (v["result"], v.get("label"), v.get("settings") or {})
            for v in variants
            if isinstance(v, dict) and isinstance(v.get("result"), dict)
        ]
    if isinstance(summary.get("result"), dict):  # a single-result study
        return [(summary["result"], None, {})]
    return []


def _pair(value) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, None


def _scalar(value) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _result_row(result: dict, variant, settings: dict, study) -> dict:
    lo, hi = _pair(result.get("alpha_ci"))
    w_lo, w_hi = _pair(result.get("fit_window"))
    replicates = result.get("alpha_replicates")
    row = {
        "study": study,
        "variant": variant,
        "learner": result.get("learner"),
        "d": result.get("d"),
        "alpha": result.get("alpha"),
        "alpha_ci_lo": lo,
        "alpha_ci_hi": hi,
        "predicted_alpha": result.get("predicted_alpha"),
        "ratio": result.get("ratio"),
        "alpha_spread": result.get("alpha_spread"),
        "n_replicates": len(replicates) if isinstance(replicates, list) and replicates else None,
        "interval": result.get("interval"),
        "fit_window_lo": w_lo,
        "fit_window_hi": w_hi,
        "window_decades": result.get("window_decades"),
        "consistent": result.get("consistent"),
        "within_tolerance": result.get("within_tolerance"),
        "reading": result.get("reading"),
    }
    for key, value in result.items():
        if key not in row and key not in ("variant", "settings") and _scalar(value):
            row[key] = value
    fit = result.get("fit")
    if isinstance(fit, dict) and _scalar(fit.get("amplitude")):
        row["amplitude"] = fit.get("amplitude")
    for prefix, nested in (("settings", settings), ("teacher", result.get("teacher"))):
        if isinstance(nested, dict):
            _flatten(prefix, nested, row, scalars_only=True)
    # JSON has no NaN: a summary may hold None where a number is missing; keep numbers numeric.
    return {k: (math.nan if v is None and k in _NUMERIC else v) for k, v in row.items()}


#: The numeric columns among them (a missing one reads NaN, not None), and the fit's amplitude.
_TEXT = {"study", "variant", "learner", "interval", "consistent", "within_tolerance", "reading"}
_NUMERIC = frozenset(SUMMARY_COLUMNS) - _TEXT | {"amplitude"}
