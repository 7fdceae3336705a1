"""The README's reproduction: data-scaling verdict for d = 2, 3, 4, 6, 8 with the default preset.

    python experiments/reproduce.py [--out results/reproduce] [--quick | --tiny]
Same as ``manifold-scaling reproduce``.
"""

import argparse
from pathlib import Path

from manifold_scaling.report import verdict_table
from manifold_scaling.studies.data_scaling import run_data_scaling
from manifold_scaling.studies.presets import reproduce_config, tiny

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/reproduce"))
ap.add_argument("--quick", action="store_true")
ap.add_argument("--tiny", action="store_true", help="seconds-long smoke config (tests)")
args = ap.parse_args()
config = reproduce_config(quick=args.quick)
if args.tiny:
    config = tiny(config)
print(verdict_table(run_data_scaling(config, args.out)))
