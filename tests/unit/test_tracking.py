"""Per-trial callbacks of the sweep runner and studies, and the MLflow tracker on a local store."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # sweep_toy, as Dask workers import it

from sweep_toy import ToySweep, failing_trial, toy_configs, toy_trial  # noqa: E402

from manifold_scaling.errors import InputError  # noqa: E402
from manifold_scaling.sweep import (  # noqa: E402
    CallbackOptions,
    SweepError,
    SweepEvent,
    SweepOptions,
    TrialEvent,
    load_records,
    run_sweep,
)
from manifold_scaling.sweep.records import read_record, trial_dir  # noqa: E402

QUIET = SweepOptions(progress=False)


def _collect():
    events = []
    return events, events.append


def test_callback_gets_start_each_trial_and_end(tmp_path):
    configs = toy_configs(ToySweep(seeds=(0, 1, 2), sizes=(8, 16)))
    events, cb = _collect()
    result = run_sweep(toy_trial, configs, tmp_path, options=QUIET, on_trial=cb)
    assert [e.kind for e in events] == ["start"] + ["trial"] * len(configs) + ["end"]
    start, trials, end = events[0], events[1:-1], events[-1]
    assert start.counts == {"total": 6, "skipped": 0} and start.config is None
    assert end.status == "complete" and end.counts["run"] == 6 and end.seconds >= 0
    assert sorted(e.index for e in trials) == list(range(len(configs)))
    for event in trials:
        record = read_record(trial_dir(tmp_path, event.config_hash))
        assert event.status == "ok" and event.error is None and event.seconds >= 0
        assert event.config == record.config and event.metrics == record.metrics
        assert TrialEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event
    assert result.n_run == 6
    # a resume runs nothing: start (every trial skipped) and end, no trial events
    events.clear()
    run_sweep(toy_trial, configs, tmp_path, options=CallbackOptions(on_trial=cb, progress=False))
    assert [e.kind for e in events] == ["start", "end"] and events[0].counts["skipped"] == 6
    assert SweepEvent.from_dict(events[-1].to_dict()) == events[-1]


def test_failed_trials_are_events_too(tmp_path):
    configs = toy_configs(ToySweep(seeds=(0, 1, 2)))
    events, cb = _collect()
    with pytest.raises(SweepError):
        run_sweep(failing_trial, configs, tmp_path, options=QUIET, on_trial=cb)
    trials = {e.index: e for e in events if e.kind == "trial"}
    assert len(trials) == 3 and trials[1].status == "failed" and trials[1].metrics == {}
    assert "seed 1 always fails" in trials[1].error
    assert {trials[0].status, trials[2].status} == {"ok"}
    assert events[-1].kind == "end" and events[-1].status == "incomplete"


def test_a_raising_callback_does_not_stop_the_sweep(tmp_path, caplog):
    calls = []

    def broken(event):
        calls.append(event.kind)
        raise ValueError("tracker down")

    configs = toy_configs(ToySweep(seeds=(0, 1, 2)))
    options = CallbackOptions.wrap(QUIET, broken)
    with caplog.at_level(logging.WARNING, logger="manifold_scaling.sweep.runner"):
        result = run_sweep(toy_trial, configs, tmp_path, options=options)
    assert result.n_run == 3 and len(load_records(tmp_path)) == 3
    assert calls == ["start", "trial", "trial", "trial", "end"]
    warned = [r for r in caplog.records if "tracker down" in r.getMessage()]
    assert len(warned) == 5 and "the sweep goes on" in warned[0].getMessage()


def test_callback_options(tmp_path):
    options = CallbackOptions(on_trial=print, workers=3)
    assert isinstance(options, SweepOptions) and options.workers == 3
    assert options.to_dict() == SweepOptions(workers=3).to_dict()  # the manifest never has it
    assert CallbackOptions.wrap(SweepOptions(workers=3), print) == options
    with pytest.raises(InputError, match="on_trial"):
        CallbackOptions(on_trial="print")
    with pytest.raises(InputError, match="on_trial"):
        run_sweep(toy_trial, toy_configs(ToySweep()), tmp_path, on_trial=1)
    run_sweep(toy_trial, toy_configs(ToySweep()), tmp_path, options=options.wrap(QUIET, None))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "on_trial" not in manifest["options"]


def test_tracker_without_mlflow_says_how_to_install(monkeypatch):
    from manifold_scaling.tracking import MLflowTracker

    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    with pytest.raises(InputError, match=r"install manifold_scaling\[mlflow\]"):
        MLflowTracker(experiment="x", tracking_uri="file:/nowhere")


def _tiny_data_scaling():
    from manifold_scaling.students import StudentConfig
    from manifold_scaling.studies.base import DataScalingConfig
    from manifold_scaling.training import TrainConfig

    return DataScalingConfig(
        dims=(2,),
        sizes=(32, 64, 128),
        seeds=1,
        student=StudentConfig(depth=2, width=16),
        train=TrainConfig(steps_per_point=2.0, min_steps=100, max_steps=200),
        n_test=256,
        n_val=64,
        n_bootstrap=50,
        learners=("network",),
    )


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_mlflow_tracker_end_to_end(tmp_path):
    pytest.importorskip(
        "mlflow", reason="MLflow is an extra: pip install 'manifold_scaling[mlflow]'"
    )
    from mlflow.tracking import MlflowClient

    from manifold_scaling.studies.data_scaling import run_data_scaling
    from manifold_scaling.tracking import MLflowTracker, flatten, verdict_label

    uri = (tmp_path / "mlruns").as_uri()
    tracker = MLflowTracker(experiment="tiny", tracking_uri=uri, tags={"who": "test"})
    config, out = _tiny_data_scaling(), tmp_path / "out"
    options = CallbackOptions(on_trial=tracker, progress=False)
    summary = run_data_scaling(config, out, options=options, make_figures=False)
    records = load_records(out)

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([tracker.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == len(records) == 3
    parent = parents[0]
    assert parent.info.run_id == tracker.parent_run_id and parent.info.status == "FINISHED"
    assert parent.data.tags["manifold_scaling.study"] == "data-scaling"
    assert parent.data.tags["who"] == "test"
    assert parent.data.params["student.width"] == "16" and parent.data.params["dims"] == "[2]"
    assert parent.data.metrics["sweep/run"] == 3

    by_hash = {r.data.tags["manifold_scaling.config_hash"]: r for r in children}
    for record in records:
        child = by_hash[record.config_hash]
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED"
        for name, value in flatten(record.config).items():
            expected = value if isinstance(value, str) else json.dumps(value)
            assert child.data.params[name] == expected, name
        assert child.data.metrics["test_loss"] == record.metrics["test_loss"]
        assert child.data.metrics["steps"] == record.metrics["steps"]
        assert "val_tail_dlog" in child.data.metrics and "wall_time_s" in child.data.metrics

    verdict = summary["results"][0]
    label = verdict_label(verdict)
    assert label == "d2/network"
    assert parent.data.metrics[f"{label}/predicted_alpha"] == verdict["predicted_alpha"] == 2.0
    # at these sizes the window rule finds no window (alpha None: no metric); the test above
    # checks alpha and its interval bounds on a made-up verdict
    assert (f"{label}/alpha" in parent.data.metrics) == (verdict["alpha"] is not None)
    if verdict["alpha"] is not None:
        assert parent.data.metrics[f"{label}/alpha"] == verdict["alpha"]
        assert [parent.data.metrics[f"{label}/alpha_{b}"] for b in ("lo", "hi")] == verdict[
            "alpha_ci"
        ]
    assert parent.data.tags[f"{label}/agreement"] == str(verdict["agreement"])
    artifacts = [a.path for a in client.list_artifacts(parent.info.run_id)]
    assert artifacts == ["summary.json"]
    local = client.download_artifacts(parent.info.run_id, "summary.json", str(tmp_path))
    assert json.loads(Path(local).read_text()) == json.loads((out / "summary.json").read_text())


def test_mlflow_tracker_logs_verdicts_and_failures(tmp_path):
    pytest.importorskip(
        "mlflow", reason="MLflow is an extra: pip install 'manifold_scaling[mlflow]'"
    )
    from mlflow.tracking import MlflowClient

    from manifold_scaling.tracking import MLflowTracker

    tracker = MLflowTracker(experiment="made-up", tracking_uri=tmp_path / "store")
    where = dict(study="toy", out_dir=str(tmp_path))
    tracker(SweepEvent("start", **where, config={"a": {"b": 1}}, counts={"total": 2}))
    tracker(TrialEvent(0, "h0", {"seed": 0}, "ok", {"loss": 0.5, "curve": [1, 2]}, 0.1))
    tracker(TrialEvent(1, "h1", {"seed": 1}, "failed", seconds=None, error="RuntimeError: no"))
    tracker(SweepEvent("end", **where, status="complete", counts={"run": 2}, seconds=1.0))
    full = {"d": 2, "learner": None, "test_set": "full", "alpha": 1.8, "alpha_ci": [1.5, 2.1]}
    row = {**full, "predicted_alpha": 2.0, "agreement": "consistent", "fit_window": [32, 128]}
    interior = {**full, "test_set": "interior", "alpha": 1.7, "agreement": None}
    summary = {"config": {"a": {"b": 1}}, "results": [row, interior], "pooled": {"alpha": 1.9}}
    tracker(SweepEvent("summary", **where, status="complete", summary=summary))

    client = MlflowClient(tracking_uri=tracker.tracking_uri)
    parent = client.get_run(tracker.parent_run_id)
    metrics, tags = parent.data.metrics, parent.data.tags
    assert parent.info.status == "FINISHED" and parent.data.params == {"a.b": "1"}
    assert metrics["d2/network/alpha"] == 1.8 and metrics["d2/network/alpha_lo"] == 1.5
    assert metrics["d2/network/alpha_hi"] == 2.1 and metrics["d2/network/fit_window_hi"] == 128
    assert metrics["d2/network/interior/alpha"] == 1.7 and metrics["pooled/alpha"] == 1.9
    assert tags["d2/network/agreement"] == "consistent"
    assert tags["d2/network/interior/agreement"] == "None"
    assert "d2/network/interior/interval" not in tags  # None fields are left out
    assert [a.path for a in client.list_artifacts(parent.info.run_id)] == ["summary.json"]
    ok, failed = (client.get_run(tracker.trial_run_ids[h]) for h in ("h0", "h1"))
    assert ok.info.status == "FINISHED" and ok.data.metrics == {"loss": 0.5, "wall_time_s": 0.1}
    assert failed.info.status == "FAILED" and failed.data.metrics == {}
    assert failed.data.tags["manifold_scaling.error"] == "RuntimeError: no"
    # an incomplete sweep leaves its parent FAILED (no summary follows)
    tracker(SweepEvent("start", **where))
    tracker(SweepEvent("end", **where, status="incomplete"))
    assert client.get_run(tracker.parent_run_id).info.status == "FAILED"


def test_the_cli_logs_a_study_to_mlflow(tmp_path):
    """``--mlflow URI`` on a study command: one parent run, one child per trial."""
    mlflow = pytest.importorskip("mlflow")
    from manifold_scaling.cli import main

    store = tmp_path / "mlruns"
    code = main([
        "data-scaling", "--dims", "2", "--sizes", "32", "64", "128", "--seeds", "1",
        "--width", "16", "--train-steps", "100", "--n-test", "256", "--n-val", "64",
        "--bootstrap", "50", "--learners", "network", "--no-progress", "--no-figures",
        "--out", str(tmp_path / "run"), "--mlflow", f"file:{store}",
    ])  # fmt: skip
    assert code == 0
    client = mlflow.tracking.MlflowClient(tracking_uri=f"file:{store}")
    (experiment,) = [e for e in client.search_experiments() if e.name == "data-scaling"]
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and len(runs) == 1 + 3
