"""Sweeps of trials with records that lose nothing: resume, backends, progress.

``run_sweep(trial_fn, configs, out_dir, options=SweepOptions(...))`` runs each config once,
writes ``out_dir/trials/<config_hash>/{arrays.npz, record.json}`` atomically as trials return,
and rebuilds ``out_dir/{manifest.json, trials.csv, trials.jsonl}`` from those records.
``to_dataframe(out_dir)`` and ``summary_to_dataframe(summary)`` read them into pandas (an optional
extra: ``pip install 'manifold_scaling[dataframes]'``). ``on_trial=`` (or
``CallbackOptions(on_trial=...)``) watches a sweep as it runs: :class:`SweepEvent` at its start
and end, :class:`TrialEvent` per trial (``docs/tracking.md``).
"""

from .aggregate import load_records as load_records
from .backends import Grouping as Grouping
from .config_file import load_sweep_config as load_sweep_config
from .frames import summary_to_dataframe as summary_to_dataframe
from .frames import to_dataframe as to_dataframe
from .options import CallbackOptions as CallbackOptions
from .options import SweepOptions as SweepOptions
from .options import add_sweep_arguments as add_sweep_arguments
from .options import sweep_options_from_args as sweep_options_from_args
from .records import CorruptRecord as CorruptRecord
from .records import TrialOutput as TrialOutput
from .records import TrialRecord as TrialRecord
from .runner import SweepError as SweepError
from .runner import SweepEvent as SweepEvent
from .runner import SweepResult as SweepResult
from .runner import TrialEvent as TrialEvent
from .runner import run_sweep as run_sweep
from .sharding import ShardedBatch as ShardedBatch
from .sharding import shard_leading_axis as shard_leading_axis
from .sharding import unpad as unpad

__all__ = [
    "CallbackOptions",
    "Grouping",
    "CorruptRecord",
    "ShardedBatch",
    "SweepError",
    "SweepEvent",
    "SweepOptions",
    "SweepResult",
    "TrialEvent",
    "TrialOutput",
    "TrialRecord",
    "add_sweep_arguments",
    "load_records",
    "load_sweep_config",
    "run_sweep",
    "shard_leading_axis",
    "summary_to_dataframe",
    "sweep_options_from_args",
    "to_dataframe",
    "unpad",
]
