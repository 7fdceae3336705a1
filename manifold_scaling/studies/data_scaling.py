"""The data-scaling study: for each d, test loss vs training-set size D, and alpha_D against 4/d.

Sharma & Kaplan 2020 (Sec. 2, Eq. 2.3) and Bahri et al. 2021 (Sec. 2.2): a ReLU student that
interpolates D points of a smooth function on a d-dimensional manifold has L ~ D^(-4/d). A measured
exponent means something only inside the resolution-limited regime, so the fit window is chosen by a
rule fixed in advance (every replicate interpolates, train <= ratio x test, and P >> D), never by
eye, and the verdict reports the window, the local slopes and why it stops where it stops.
"""

from __future__ import annotations

from ..sweep.backends import Grouping
from .base import DataScalingConfig, replicates, teacher_summary
from .protocol import Analysis, Study
from .trials import batch_key, run_trial, run_trials, run_trials_on_devices
from .trials import data_scaling_row as trial_row
from .trials import data_scaling_trials as _trials
from .verdict import analyse_data_scaling as analyse
from .verdict import pooled_exponent

__all__ = [
    "DataScalingConfig",
    "analyse",
    "run_data_scaling",
    "trial_configs",
    "trial_row",
]


def trial_configs(config: DataScalingConfig, reps=None):
    """Every trial of the sweep, in (d, D, replicate) order (its replicates drawn if not given)."""
    return _trials(config, reps or {d: replicates(config, d) for d in config.dims})


def run_data_scaling(config: DataScalingConfig, out_dir, *, options=None, make_figures=True):
    """Run (or resume) the sweep, analyse, write summary.json and the figures."""
    reps = {d: replicates(config, d) for d in config.dims}
    trials = _trials(config, reps)

    def analyse_records(trials, records):
        rows = [trial_row(t, rec.metrics) for t, rec in zip(trials, records)]
        teachers = {str(d): teacher_summary(reps[d]) for d in config.dims}
        verdicts = analyse(config, rows, reps)
        pooled = pooled_network(verdicts, config)
        fields = {"teachers": teachers, "pooled": pooled.to_dict() if pooled else None}
        return Analysis(verdicts, rows, fields)

    run = dict(options=options, make_figures=make_figures)
    return DATA_SCALING.run(config, trials, out_dir, analyse_records, **run)


def pooled_network(verdicts, config: DataScalingConfig):
    """The one pooled test of 4/d across the study's d (``verdict.pooled_exponent``), from the
    network's rows that are tests."""
    network = [v for v in verdicts if (v.learner or "network") == "network"]
    return pooled_exponent(network, ci=config.ci, band=config.agreement_band)


def _figures(summary, analysis, out_dir):
    from ..plots import data_scaling_figures

    return data_scaling_figures(summary, analysis.rows, out_dir)


def run_trials_batched(configs):
    """One group of trials (every teacher and size of one d with one step budget and batch) as one
    vmapped program, on every backend (``benchmarks/batched_trials.py`` measures it against one
    trial at a time)."""
    return run_trials(configs, batched=True)


# Every backend runs one compiled program per group; ``devices`` also shards it over the devices.
DATA_SCALING = Study(
    "data-scaling", run_trial, _figures, run_trials_on_devices, batch_key,
    grouping=Grouping(run_trials_batched, batch_key),
)  # fmt: skip
