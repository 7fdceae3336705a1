"""Ambient invariance: d = 4 in ambient 24 and 96, embedded by padding, rotation and a network.

    python experiments/ambient_invariance.py [--out notebooks/data/ambient-invariance]
Same as ``manifold-scaling ambient-invariance`` with its defaults.
"""

import argparse
from pathlib import Path

from manifold_scaling.studies.ambient import AmbientInvarianceConfig, run_ambient_invariance

ap = argparse.ArgumentParser()
ap.add_argument("--out", type=Path, default=Path("results/ambient-invariance"))
args = ap.parse_args()
print(run_ambient_invariance(AmbientInvarianceConfig(), args.out)["reading"])
