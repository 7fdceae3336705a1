"""Log sweeps and studies to MLflow as they run (an optional extra: ``manifold_scaling[mlflow]``).

:class:`MLflowTracker` is an ``on_trial`` callback (``sweep.run_sweep``, ``studies.run_study``,
every study's ``run_*(..., options=CallbackOptions(on_trial=tracker))``): one parent run per
sweep (the study config as flattened params), one nested run per trial this call runs (its config
as params, its metrics, FINISHED or FAILED), and, for a study, its verdict rows as the parent's
metrics and tags with ``summary.json`` (and the figures) as artifacts::

    from manifold_scaling.studies.data_scaling import run_data_scaling
    from manifold_scaling.sweep import CallbackOptions
    from manifold_scaling.tracking import MLflowTracker

    tracker = MLflowTracker(experiment="data-scaling", tracking_uri="file:./mlruns")
    run_data_scaling(config, "out", options=CallbackOptions(on_trial=tracker))

The records on disk stay the results; the tracker only mirrors them (a tracker that fails logs a
warning and never stops a sweep). Trials resumed from complete records get no nested run.
MLflow is imported only when a tracker is made, so the package works without it.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from .errors import InputError

__all__ = ["MLflowTracker", "flatten", "verdict_label", "verdict_metrics"]

_INSTALL = "install manifold_scaling[mlflow] (pip install 'manifold_scaling[mlflow]')"
_BAD_KEY = re.compile(r"[^\w./\- ]")
_MAX_KEY = 250
_MAX_PARAM = 6000  # MLflow's MAX_PARAM_VAL_LENGTH (500 before MLflow 2.x)
_MAX_TAG = 5000  # under MLflow's MAX_TAG_VAL_LENGTH (8000)
_BATCH = 100  # params or tags per log_batch call
_END_STATUS = {"complete": "FINISHED", "incomplete": "FAILED", "interrupted": "KILLED"}
# the numbers of a verdict row (summary.json ``results``) logged as the parent run's metrics
_VERDICT_NUMBERS = (
    "d",
    "alpha",
    "predicted_alpha",
    "ratio",
    "window_decades",
    "alpha_spread",
    "d_hat",
    "floor",
    "n_params",
)
_VERDICT_PAIRS = {"alpha_ci": "alpha", "fit_window": "fit_window", "predicted_band": "band"}
_VERDICT_TAGS = ("agreement", "consistent", "within_tolerance", "interval", "mechanism_call")


def _mlflow():
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InputError("mlflow", f"MLflow is not installed; {_INSTALL}") from None
    return mlflow, MlflowClient


def flatten(data: Mapping, prefix: str = "") -> dict:
    """A nested dict as ``{"student.depth": 2, ...}`` (lists and scalars are leaves)."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _key(name: str) -> str:
    return _BAD_KEY.sub("_", str(name))[:_MAX_KEY]


def _text(value, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value) -> float | None:
    """A metric value: numbers and bools (as 0/1); ``None`` for anything else."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def _uri(tracking_uri) -> str | None:
    if tracking_uri is None:
        return None
    if isinstance(tracking_uri, os.PathLike):
        return Path(tracking_uri).resolve().as_uri()
    if not isinstance(tracking_uri, str) or not tracking_uri.strip():
        raise InputError(
            "tracking_uri",
            f"must be a URI or a directory, e.g. file:./mlruns (got {tracking_uri!r})",
        )
    parts = urlsplit(tracking_uri)
    if parts.scheme == "file" and not parts.netloc and not Path(parts.path).is_absolute():
        return Path(parts.path).resolve().as_uri()  # file:./mlruns, fixed before any chdir
    if len(parts.scheme) > 1 or tracking_uri == "databricks":
        return tracking_uri
    return Path(tracking_uri).expanduser().resolve().as_uri()  # a directory: a file store


def _is_file_store(uri: str | None) -> bool:
    return uri is not None and urlsplit(uri).scheme == "file"


class MLflowTracker:
    """An ``on_trial`` callback that mirrors sweeps, trials and study verdicts into MLflow.

    ``experiment`` is created if it does not exist. ``tracking_uri`` is any MLflow tracking URI
    (``file:./mlruns``, ``sqlite:///mlflow.db``, ``http://host:5000``) or a directory (a file
    store); ``None`` uses MLflow's own default (``MLFLOW_TRACKING_URI``). MLflow 3 keeps the file
    store in maintenance mode and refuses it unless ``MLFLOW_ALLOW_FILE_STORE`` is true; a
    ``file:`` URI given here is that choice, so the tracker sets the variable when it is unset.
    ``run_name`` names the parent runs (default: the study's name); ``tags`` go on every run.
    It talks to MLflow through its own ``MlflowClient`` (no global active run is changed).

    Raises :class:`~manifold_scaling.errors.InputError` when MLflow is not installed or the
    tracking store cannot be opened, before any sweep starts.
    """

    def __init__(
        self,
        experiment: str = "manifold_scaling",
        tracking_uri=None,
        *,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        if not isinstance(experiment, str) or not experiment.strip():
            raise InputError("experiment", f"must be a non-empty name (got {experiment!r})")
        if tags is not None and not isinstance(tags, Mapping):
            raise InputError("tags", f"must be a mapping of names to values (got {tags!r})")
        uri = _uri(tracking_uri)
        self._mlflow, client_cls = _mlflow()
        if _is_file_store(uri):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            self.client = client_cls(tracking_uri=uri)
            found = self.client.get_experiment_by_name(experiment)
            if found is None:
                self.experiment_id = self.client.create_experiment(experiment)
            elif found.lifecycle_stage != "active":
                raise InputError(
                    "experiment", f"{experiment!r} is deleted in {uri}; restore it or use another"
                )
            else:
                self.experiment_id = found.experiment_id
        except self._mlflow.exceptions.MlflowException as err:
            line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise InputError("tracking_uri", f"MLflow cannot open {uri!r}: {line}") from None
        self.experiment, self.tracking_uri = experiment, self.client.tracking_uri
        self.run_name = run_name
        self.tags = {_key(k): _text(v, _MAX_TAG) for k, v in (tags or {}).items()}
        self.parent_run_id: str | None = None
        self.trial_run_ids: dict[str, str] = {}  # config hash -> nested run of this tracker

    def __repr__(self) -> str:
        experiment, uri = getattr(self, "experiment", None), getattr(self, "tracking_uri", None)
        return f"MLflowTracker(experiment={experiment!r}, tracking_uri={uri!r})"

    def __call__(self, event) -> None:
        handler = {
            "start": self._start,
            "trial": self._trial,
            "end": self._end,
            "summary": self._summary,
        }.get(getattr(event, "kind", None))
        if handler is not None:
            handler(event)

    # -- events ---------------------------------------------------------------------------------

    def _start(self, event) -> str:
        from ._version import __version__

        tags = {
            "mlflow.runName": self.run_name or event.study,
            "manifold_scaling.study": event.study,
            "manifold_scaling.out_dir": str(event.out_dir),
            "manifold_scaling.version": __version__,
            **self.tags,
        }
        run = self.client.create_run(self.experiment_id, tags=tags)
        self.parent_run_id = run.info.run_id
        if event.kind == "trial":  # no start event seen (a hand-made one): no study config
            return self.parent_run_id
        counts = {f"sweep/{k}": v for k, v in (getattr(event, "counts", None) or {}).items()}
        self._log(self.parent_run_id, params=flatten(event.config or {}), metrics=counts)
        return self.parent_run_id

    def _trial(self, event) -> None:
        parent = self.parent_run_id or self._start(event)
        now = time.time()
        started = now - event.seconds if event.seconds and event.seconds > 0 else now
        tags = {
            "mlflow.parentRunId": parent,
            "mlflow.runName": f"{event.study} #{event.index} {event.config_hash[:8]}",
            "manifold_scaling.config_hash": event.config_hash,
            "manifold_scaling.trial_index": str(event.index),
            "manifold_scaling.status": event.status,
            **self.tags,
        }
        if event.error:
            tags["manifold_scaling.error"] = event.error[-_MAX_TAG:]
        run = self.client.create_run(
            self.experiment_id, start_time=int(started * 1000), tags=tags
        ).info.run_id
        self.trial_run_ids[event.config_hash] = run
        metrics = flatten(event.metrics or {})
        if event.seconds is not None:
            metrics["wall_time_s"] = event.seconds
        self._log(run, params=flatten(event.config or {}), metrics=metrics)
        status = "FINISHED" if event.status == "ok" else "FAILED"
        self.client.set_terminated(run, status, end_time=int(now * 1000))

    def _end(self, event) -> None:
        if self.parent_run_id is None:
            return
        metrics = {f"sweep/{k}": v for k, v in (event.counts or {}).items()}
        if event.seconds is not None:
            metrics["sweep/wall_time_s"] = event.seconds
        self._log(
            self.parent_run_id,
            metrics=metrics,
            tags={"manifold_scaling.sweep_status": event.status},
        )
        self.client.set_terminated(self.parent_run_id, _END_STATUS.get(event.status, "FAILED"))

    def _summary(self, event) -> None:
        parent = self.parent_run_id or self._start(event)
        summary = event.summary or {}
        metrics, tags = verdict_metrics(summary.get("results") or [])
        pooled = summary.get("pooled")
        if isinstance(pooled, Mapping):
            metrics.update({f"pooled/{k}": v for k, v in flatten(pooled).items()})
        self._log(parent, metrics=metrics, tags=tags)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(event.summary_path) if event.summary_path else None
            if path is None or not path.is_file():
                path = Path(tmp) / "summary.json"
                path.write_text(json.dumps(summary, indent=2, default=str))
            self.client.log_artifact(parent, str(path))
        for name in (summary.get("figures") or {}).values():
            figure = Path(event.out_dir) / name
            if figure.is_file():
                self.client.log_artifact(parent, str(figure), "figures")
        self.client.set_terminated(parent, "FINISHED")

    # -- logging --------------------------------------------------------------------------------

    def _log(self, run_id: str, *, params=None, metrics=None, tags=None) -> None:
        entities = self._mlflow.entities
        stamp = int(time.time() * 1000)
        items = [entities.Param(_key(k), _text(v, _MAX_PARAM)) for k, v in (params or {}).items()]
        items += [entities.RunTag(_key(k), _text(v, _MAX_TAG)) for k, v in (tags or {}).items()]
        numbers = {_key(k): _number(v) for k, v in (metrics or {}).items()}
        items += [entities.Metric(k, v, stamp, 0) for k, v in numbers.items() if v is not None]
        for i in range(0, len(items), _BATCH):
            chunk = items[i : i + _BATCH]
            self.client.log_batch(
                run_id,
                metrics=[e for e in chunk if isinstance(e, entities.Metric)],
                params=[e for e in chunk if isinstance(e, entities.Param)],
                tags=[e for e in chunk if isinstance(e, entities.RunTag)],
            )


def verdict_label(row: Mapping) -> str:
    """A verdict row's metric prefix: ``d2/network`` (``/interior``, ``/axis_N``, ``/variant``)."""
    d = row.get("d")
    parts = [f"d{d:g}" if isinstance(d, int | float) else f"d{d}", row.get("learner") or "network"]
    if row.get("test_set") not in (None, "full"):
        parts.append(str(row["test_set"]))
    if row.get("axis") not in (None, "D"):
        parts.append(f"axis_{row['axis']}")
    if row.get("variant"):
        parts.append(str(row["variant"]))
    return _key("/".join(parts))


def verdict_metrics(rows: list) -> tuple[dict, dict]:
    """``summary.json``'s verdict rows as (metrics, tags) keyed ``<label>/<field>``."""
    metrics, tags, seen = {}, {}, {}
    for row in rows:
        label = verdict_label(row)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}_{seen[label]}"
        for name in _VERDICT_NUMBERS:
            value = _number(row.get(name))
            if value is not None and not math.isnan(value):
                metrics[f"{label}/{name}"] = value
        for name, short in _VERDICT_PAIRS.items():
            pair = row.get(name)
            if isinstance(pair, list | tuple) and len(pair) == 2:
                metrics[f"{label}/{short}_lo"], metrics[f"{label}/{short}_hi"] = pair
        for name in _VERDICT_TAGS:  # agreement always (None: no verdict), the others if set
            if name in row and (row[name] is not None or name == "agreement"):
                tags[f"{label}/{name}"] = str(row[name])
        if row.get("reading"):
            tags[f"{label}/reading"] = row["reading"]
    return metrics, tags
