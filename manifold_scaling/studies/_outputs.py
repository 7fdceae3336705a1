"""Hand a trial's metrics and arrays to the sweep runner in the record type it writes."""

from __future__ import annotations

from ..sweep import TrialOutput


def to_sweep_output(outputs) -> TrialOutput:
    """Any object with ``metrics`` and ``arrays`` (e.g. ``trial.TrialOutputs``) as a TrialOutput."""
    if isinstance(outputs, TrialOutput):
        return outputs
    return TrialOutput(metrics=dict(outputs.metrics), arrays=dict(outputs.arrays))
