"""The one run protocol of every study: trials -> sweep -> analysis -> summary.json -> figures.

A study is a config, a list of trials with their run function, and an analysis of the records;
:func:`run_study` does the rest the same way for all of them: the sweep runner (resume, backends,
atomic records), the summary (with the full config, provenance and the runner's files) and the
figures. Figures are drawn from what the summary holds, after it is saved, and a figure that fails
is logged and skipped: nothing can fail a sweep whose trials have run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..configs import config_to_dict, save_json
from ..provenance import provenance
from .verdict import Verdict

__all__ = ["Analysis", "Study", "StudySummary", "load_summary", "run_study"]

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class Analysis:
    """What a study's analysis returns: verdicts, per-trial rows, and its own summary fields."""

    results: list[Verdict]
    rows: list[dict]
    fields: dict = field(default_factory=dict)
    figure_data: dict = field(default_factory=dict)  # arrays figures need beyond the rows


@dataclass(frozen=True)
class StudySummary:
    """``summary.json``: one shape for every study (``fields`` holds what only one study has)."""

    study: str
    config: dict
    results: list[Verdict]
    fields: dict
    provenance: dict
    sweep: dict
    figures: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "study": self.study,
            "config": self.config,
            "results": [v.to_dict() for v in self.results],
            **self.fields,
            "provenance": self.provenance,
            **self.sweep,
            **({"figures": self.figures} if self.figures else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> StudySummary:
        known = {"study", "config", "results", "provenance", "trials", "records", "figures"}
        return cls(
            study=data.get("study", ""),
            config=data.get("config", {}),
            results=[Verdict.from_dict(r) for r in data.get("results", [])],
            fields={k: v for k, v in data.items() if k not in known},
            provenance=data.get("provenance", {}),
            sweep={k: data[k] for k in ("trials", "records") if k in data},
            figures=data.get("figures", {}),
        )


def load_summary(path) -> StudySummary:
    """A study's ``summary.json`` (a file or the directory holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY_FILE
    return StudySummary.from_dict(json.loads(path.read_text()))


@dataclass(frozen=True)
class Study:
    """What makes one study: its name (in records and summaries), the function that runs one trial,
    how its figures are drawn, (optionally) how trials batch on the ``devices`` backend, and
    (optionally) the groups its trials run in on every backend (``sweep.Grouping``)."""

    name: str
    trial_fn: Callable
    figures: Callable[[dict, Analysis, Path], dict] | None = None
    batch_fn: Callable | None = None
    batch_key: Callable | None = None
    grouping: object | None = None

    def run(
        self, config, trials, out_dir, analyse, *, options=None, make_figures=True, on_trial=None
    ) -> dict:
        """:func:`run_study` for this study."""
        return run_study(
            self, config, trials, out_dir, analyse, options, make_figures, on_trial=on_trial
        )


def run_study(
    study: Study,
    config,
    trials: list,
    out_dir,
    analyse: Callable[[list, list], Analysis],
    options=None,
    make_figures: bool = True,
    *,
    on_trial: Callable | None = None,
) -> dict:
    """Run (or resume) ``trials`` through the sweep runner, analyse, write the summary and figures.

    ``analyse(trials, records)`` turns the records (aligned with ``trials``) into an
    :class:`Analysis`; ``study.figures(summary, analysis, out_dir)`` writes PNGs and returns
    ``{name: file}``. Returns the summary as written.

    ``on_trial`` (default: ``options.on_trial``, e.g. ``sweep.CallbackOptions(on_trial=cb)``, so
    every study's ``run_*(..., options=...)`` takes one) gets the sweep's events
    (``sweep.run_sweep``) and, once the summary and figures are written, a ``SweepEvent`` of kind
    ``"summary"``. An exception it raises is logged as a warning and the study goes on.
    """
    from ..sweep import SweepEvent, SweepOptions, run_sweep
    from ..sweep.runner import notify, resolve_callback

    callback = resolve_callback(on_trial, options)
    out_dir = Path(out_dir)
    result = run_sweep(
        study.trial_fn,
        trials,
        out_dir,
        options=options or SweepOptions(),
        batch_fn=study.batch_fn,
        batch_key=study.batch_key,
        grouping=study.grouping,
        study=study.name,
        sweep_config=config_to_dict(config),
        on_trial=callback,
    )
    analysis = analyse(trials, result.records)
    summary = StudySummary(
        study=study.name,
        config=config_to_dict(config),
        results=analysis.results,
        fields=analysis.fields,
        provenance=provenance(),
        sweep={
            "trials": {"total": len(trials), "run": result.n_run, "skipped": result.n_skipped},
            "records": {"table": result.table_path.name, "manifest": result.manifest_path.name},
        },
    ).to_dict()
    save_json(out_dir / SUMMARY_FILE, summary)
    if make_figures and study.figures is not None:
        try:
            written = study.figures(summary, analysis, out_dir)
        except Exception as err:  # a plotting bug must not lose a finished sweep
            log.warning(
                "%s: figures failed (%s: %s); summary kept", study.name, type(err).__name__, err
            )
            written = {}
        summary["figures"] = {k: Path(v).name for k, v in written.items()}
        save_json(out_dir / SUMMARY_FILE, summary)
    if callback is not None:  # the summary as read back from disk: the callback gets its own copy
        path = out_dir / SUMMARY_FILE
        written = json.loads(path.read_text())
        done = dict(status="complete", summary=written, summary_path=str(path))
        notify(callback, SweepEvent("summary", study.name, str(out_dir), written["config"], **done))
    return summary
