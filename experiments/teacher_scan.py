"""Scan the teacher's nonlinearity (linear R^2) and input frequency; alpha_D/(4/d) for each.

python experiments/teacher_scan.py [--out results/teacher-scan] [--tiny]
"""

import argparse
from dataclasses import replace
from pathlib import Path

from manifold_scaling.studies.presets import reproduce_config, tiny
from manifold_scaling.studies.teacher_scan import teacher_scan, teacher_scan_table

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/teacher-scan"))
ap.add_argument("--dims", type=int, nargs="+", default=[4, 6])
ap.add_argument("--tiny", action="store_true", help="seconds-long smoke config (tests)")
args = ap.parse_args()
config = replace(
    reproduce_config(), dims=tuple(args.dims), seeds=1, sizes=(64, 128, 256, 512, 1024, 2048)
)
r2, freqs = (0.5, 0.7, 0.9), (2.0,)
if args.tiny:
    config, r2, freqs = tiny(config), (0.6, 0.9), (2.0,)
print(teacher_scan_table(teacher_scan(config, args.out, target_r2=r2, input_scales=freqs)))
